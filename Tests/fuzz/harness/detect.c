/* libFuzzer harness: HOG detection + 68-point landmarks on fuzzed images.
 *
 * Input: byte 0 picks how the image is made (bit 0: decode the bytes after the header as an
 * encoded file / build raw pixels from them) and the detector (bit 1: defaults / upsample 1 with a
 * low threshold, so random texture gives more "faces"). Bytes 1..4: raw width, height, format.
 * Bytes 5..21: one more face rectangle (sane integers or raw floats: NaN, inf, huge) handed to
 * fs_landmarks_fit directly. The rest: the pixels (repeated to fill the image) or the file.
 * Images are kept at most 200x200 pixels so that an execution takes milliseconds.
 * The detectors and the landmarker (the 68-point model, found by the library's resolver) are
 * created once. */
#include "fuzz_common.h"
#include <math.h>

#define MAX_SIDE 200
#define HEADER 22

static fs_detector *detectors[2];
static fs_landmarker *landmarker;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init();
    fs_detector_options o;
    FUZZ_CHECK(FS_DETECTOR_OPTIONS_INIT(&o) == FS_OK, "fs_detector_options_init failed");
    FUZZ_CHECK(fs_detector_create(&o, &detectors[0]) == FS_OK, "cannot create the HOG detector");
    o.upsample = 1;
    o.threshold = -0.6f;
    o.margin = 0.2f;
    o.max_faces = 3;
    FUZZ_CHECK(fs_detector_create(&o, &detectors[1]) == FS_OK, "cannot create the upsampling detector");
    fs_status st = fs_landmarker_create(NULL, &landmarker);
    FUZZ_CHECK(st == FS_OK, "cannot load the 68-point landmark model (install it: .ci/fetch-models)");
    FUZZ_CHECK(fs_landmarker_num_points(landmarker) == 68, "the landmark model has %d points",
               fs_landmarker_num_points(landmarker));
    return 0;
}

static fs_image *make_image(uint8_t mode, fuzz_reader *hdr, const uint8_t *rest, size_t rest_size) {
    fs_image *img = NULL;
    if (mode & 1) {
        fs_status st = fs_image_decode(rest, rest_size, &img);
        fuzz_check_status(st, "fs_image_decode");
        if (st != FS_OK) return NULL;
        fs_image_view v;
        fs_image_get_view(img, &v);
        if (v.width > MAX_SIDE || v.height > MAX_SIDE) { /* too slow to scan: not this harness's job */
            fs_image_free(img);
            return NULL;
        }
        return img;
    }
    int32_t w = 1 + fuzz_u8(hdr) % MAX_SIDE, h = 1 + fuzz_u8(hdr) % MAX_SIDE;
    fs_pixel_format f = (fs_pixel_format)(1 + fuzz_u8(hdr) % 5);
    fuzz_u8(hdr); /* reserved */
    size_t stride = (size_t)w * fuzz_bytes_per_pixel(f), bytes = stride * h;
    uint8_t *pixels = malloc(bytes);
    for (size_t i = 0; i < bytes; i++) pixels[i] = rest_size ? rest[i % rest_size] : (uint8_t)(i * 7);
    fs_image_view view = {pixels, w, h, stride, f};
    fs_status st = fs_image_from_view(&view, &img);
    free(pixels);
    FUZZ_CHECK(st == FS_OK, "a valid %dx%d view was refused", w, h);
    return img;
}

/* The landmarks are inside a generous neighbourhood of the rectangle they were fitted in. */
static void check_face(const fs_face *face, const char *what) {
    FUZZ_CHECK(face->num_landmarks == 68, "%s: %d landmarks", what, face->num_landmarks);
    float cx = face->rect.x + face->rect.width / 2, cy = face->rect.y + face->rect.height / 2;
    float reach = 4 * fmaxf(face->rect.width, face->rect.height) + 4;
    for (int i = 0; i < 68; i++) {
        fs_point p = face->landmarks[i];
        FUZZ_CHECK(isfinite(p.x) && isfinite(p.y), "%s: landmark %d is not finite", what, i);
        FUZZ_CHECK(fabsf(p.x - cx) <= reach && fabsf(p.y - cy) <= reach,
                   "%s: landmark %d (%g, %g) far from its rect (%g, %g, %g, %g)", what, i, p.x, p.y, face->rect.x,
                   face->rect.y, face->rect.width, face->rect.height);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < HEADER) return -1; /* not worth keeping */
    fuzz_reader hdr = {data, HEADER};
    uint8_t mode = fuzz_u8(&hdr);
    fs_image *img = make_image(mode, &hdr, data + HEADER, size - HEADER);
    if (!img) return 0;
    hdr.p = data + 5;
    hdr.n = HEADER - 5;

    /* Detection, then landmarks and an aligned crop of each face found. */
    fs_face faces[4];
    size_t count = 99;
    const fs_detector *det = detectors[(mode >> 1) & 1];
    fs_status st = fs_detect(det, img, faces, 4, &count);
    fuzz_check_status(st, "fs_detect");
    FUZZ_CHECK(st == FS_OK, "fs_detect failed on a small image");
    fs_image_view v;
    fs_image_get_view(img, &v);
    for (size_t i = 0; i < count && i < 4; i++) {
        FUZZ_CHECK(faces[i].num_landmarks == 0 && faces[i].rect.width > 0 && faces[i].box.width > 0 &&
                       isfinite(faces[i].score),
                   "fs_detect gave a bad face %zu", i);
        st = fs_landmarks_fit(landmarker, img, &faces[i]);
        fuzz_check_status(st, "fs_landmarks_fit");
        FUZZ_CHECK(st == FS_OK, "landmarks failed on a detected face");
        check_face(&faces[i], "detected face");
        fs_affine m;
        st = fs_align_transform(&faces[i], 32, 0.25f, &m);
        fuzz_check_status(st, "fs_align_transform");
        if (st == FS_OK) {
            fs_image *crop = NULL;
            st = fs_align_crop(img, &m, 32, &crop);
            fuzz_check_status(st, "fs_align_crop");
            FUZZ_CHECK(st == FS_OK, "fs_align_crop failed");
            fuzz_touch_image(crop);
            fs_image_free(crop);
        }
    }

    /* Landmarks in a rectangle the caller made up: anywhere, any size, or not a number at all. */
    fs_face face;
    memset(&face, 0, sizeof face);
    uint8_t kind = fuzz_u8(&hdr);
    if (kind & 1) {
        face.rect.x = fuzz_f32(&hdr), face.rect.y = fuzz_f32(&hdr);
        face.rect.width = fuzz_f32(&hdr), face.rect.height = fuzz_f32(&hdr);
    } else {
        face.rect.x = (float)(int16_t)fuzz_u16(&hdr) / 64, face.rect.y = (float)(int16_t)fuzz_u16(&hdr) / 64;
        face.rect.width = (float)fuzz_u16(&hdr) / 64, face.rect.height = (float)fuzz_u16(&hdr) / 64;
    }
    face.box = face.rect;
    st = fs_landmarks_fit(landmarker, img, &face);
    fuzz_check_status(st, "fs_landmarks_fit");
    if (st == FS_OK) check_face(&face, "given rect");
    else FUZZ_CHECK(st == FS_ERR_INVALID_ARGUMENT, "fs_landmarks_fit: %s", fs_status_string(st));
    fs_image_free(img);
    return 0;
}

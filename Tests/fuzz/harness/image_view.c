/* libFuzzer harness: images from a caller's pixel description. fs_image_from_view and
 * fs_image_wrap with fuzzed width/height/stride/format (the pixel buffer is exactly as large as
 * the view says, so a read past it is caught), then convert, encode, and an affine crop with a
 * fuzzed matrix (fs_align_crop, fs_affine_invert, fs_affine_apply). */
#include "fuzz_common.h"
#include <math.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_reader r = {data, size};
    int32_t w = (int8_t)fuzz_u8(&r), h = (int8_t)fuzz_u8(&r);
    fs_pixel_format fmt = (fs_pixel_format)(fuzz_u8(&r) % 7); /* 0 and 6 are not formats */
    uint8_t stride_mode = fuzz_u8(&r) % 4;
    int bpp = fuzz_bytes_per_pixel(fmt);
    size_t row = (w > 0 && bpp) ? (size_t)w * bpp : 0;
    size_t stride;
    switch (stride_mode) {
    case 0: stride = row; break;
    case 1: stride = row + fuzz_u8(&r); break;
    case 2: stride = fuzz_u16(&r); break;                               /* may be too small */
    default: stride = ((size_t)fuzz_u32(&r) << 32) | fuzz_u32(&r); break; /* anything */
    }
    /* The contract: a view is valid when its size and format are, stride >= a row and
     * stride * height fits in the address arithmetic (the library checks all of these). A valid
     * view must be accepted and read only within (height-1) strides + one row, so the buffer is
     * exactly that long; an invalid one must be refused before any pixel is read (a 16-byte
     * buffer). A valid view over more memory than the harness can give would be a caller's lie:
     * skipped. */
    int overflow = h > 0 && stride > (size_t)INT64_MAX / (size_t)h;
    int valid = w > 0 && h > 0 && bpp > 0 && stride >= row && !overflow;
    if (valid && (h > 1 && stride > (1u << 16))) return 0;
    size_t bytes = valid ? (size_t)(h - 1) * stride + row : 16;
    uint8_t *pixels = malloc(bytes);
    for (size_t i = 0; i < bytes; i++) pixels[i] = fuzz_u8(&r);
    fs_image_view view = {pixels, w, h, stride, fmt};

    fs_image *img = (fs_image *)(uintptr_t)1, *wrapped = (fs_image *)(uintptr_t)1;
    fs_status st = fs_image_from_view(&view, &img);
    fuzz_check_status(st, "fs_image_from_view");
    fs_status st2 = fs_image_wrap(&view, &wrapped);
    fuzz_check_status(st2, "fs_image_wrap");
    FUZZ_CHECK(st == st2, "from_view (%d) and wrap (%d) disagree on one view", (int)st, (int)st2);
    if (st != FS_OK) {
        FUZZ_CHECK(img == NULL && wrapped == NULL, "failed calls left *out set");
        FUZZ_CHECK(!valid, "a valid %dx%d view (stride %zu, format %d) was refused: %s", w, h,
                   stride, (int)fmt, fs_last_error_message());
        free(pixels);
        return 0;
    }
    FUZZ_CHECK(valid, "an invalid view was accepted: %dx%d stride %zu format %d", w, h, stride, (int)fmt);
    fuzz_touch_image(img);
    fuzz_touch_image(wrapped);
    fs_image_view cv;
    fs_image_get_view(img, &cv);
    for (int32_t y = 0; y < h; y++)
        FUZZ_CHECK(memcmp((uint8_t *)cv.data + (size_t)y * cv.stride, pixels + (size_t)y * stride, row) == 0,
                   "from_view copied row %d wrongly", y);
    fs_image_get_view(wrapped, &cv);
    FUZZ_CHECK(cv.data == pixels && cv.stride == stride, "wrap did not wrap the caller's pixels");

    /* Conversions between every pair of formats keep the size. */
    fs_pixel_format to = (fs_pixel_format)(fuzz_u8(&r) % 7);
    fs_image *c = NULL;
    st = fs_image_convert(wrapped, to, &c);
    fuzz_check_status(st, "fs_image_convert");
    FUZZ_CHECK((st == FS_OK) == (fuzz_bytes_per_pixel(to) > 0), "convert to format %d gave %d", (int)to, (int)st);
    if (c) {
        fs_image_get_view(c, &cv);
        FUZZ_CHECK(cv.width == w && cv.height == h && cv.format == to, "convert changed the size");
        fuzz_touch_image(c);
        fs_image_free(c);
    }

    /* Encoding any format. */
    uint8_t codec = fuzz_u8(&r) % 4; /* 3 is not a codec */
    int quality = (int8_t)fuzz_u8(&r);
    void *enc = (void *)(uintptr_t)1;
    size_t enc_size = 7;
    st = fs_image_encode(wrapped, (fs_codec)codec, quality, &enc, &enc_size);
    fuzz_check_status(st, "fs_image_encode");
    if (st == FS_OK) {
        FUZZ_CHECK(enc && enc_size > 0, "encode gave no bytes");
        fs_image *back = NULL;
        st = fs_image_decode(enc, enc_size, &back);
        FUZZ_CHECK(st == FS_OK, "the library's own encoding does not decode: %s", fs_last_error_message());
        fs_image_get_view(back, &cv);
        FUZZ_CHECK(cv.width == w && cv.height == h, "encode + decode changed the size");
        fs_image_free(back);
        fs_free(enc);
    } else {
        FUZZ_CHECK(enc == NULL && enc_size == 0, "failed encode left output set");
    }

    /* An affine crop with a fuzzed matrix: anything from identity-like to NaN and huge. */
    fs_affine m;
    uint8_t kind = fuzz_u8(&r);
    for (int i = 0; i < 6; i++) m.m[i] = (kind & 1) ? fuzz_f64(&r) : (double)(int8_t)fuzz_u8(&r) / 16.0;
    int32_t crop = (int8_t)fuzz_u8(&r);
    fs_image *out = NULL;
    st = fs_align_crop(wrapped, &m, crop, &out);
    fuzz_check_status(st, "fs_align_crop");
    if (st == FS_OK) {
        fs_image_get_view(out, &cv);
        FUZZ_CHECK(cv.width == crop && cv.height == crop && cv.format == fmt, "crop has the wrong size or format");
        fuzz_touch_image(out);
        fs_image_free(out);
    }
    fs_affine inv;
    st = fs_affine_invert(&m, &inv);
    fuzz_check_status(st, "fs_affine_invert");
    fs_point pts[4];
    for (int i = 0; i < 4; i++) pts[i].x = fuzz_f32(&r), pts[i].y = fuzz_f32(&r);
    st = fs_affine_apply(&m, pts, 4);
    fuzz_check_status(st, "fs_affine_apply");

    fs_image_free(wrapped);
    fs_image_free(img);
    free(pixels);
    return 0;
}

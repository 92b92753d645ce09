/* libFuzzer harness: fs_image_decode on arbitrary bytes (JPEG through libjpeg-turbo, PNG and the
 * rest through OpenCV), then what a caller does with a decoded image: read it, convert it, and
 * encode it again (small images only, to keep executions fast) and decode that. */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fs_image *img = (fs_image *)(uintptr_t)1; /* must be overwritten with NULL on failure */
    fs_status st = fs_image_decode(data, size, &img);
    fuzz_check_status(st, "fs_image_decode");
    if (st != FS_OK) {
        FUZZ_CHECK(img == NULL, "failed fs_image_decode left *out = %p", (void *)img);
        return 0;
    }
    FUZZ_CHECK(img != NULL, "fs_image_decode: FS_OK without an image");
    fuzz_touch_image(img);

    fs_image_view v;
    fs_image_get_view(img, &v);
    FUZZ_CHECK(v.format == FS_FORMAT_BGR8 || v.format == FS_FORMAT_BGRA8, "decode gave format %d", (int)v.format);
    if ((uint64_t)v.width * (uint64_t)v.height <= 64 * 64) {
        /* Every conversion gives the same size; back to the decoded format keeps colour pixels. */
        for (int f = FS_FORMAT_GRAY8; f <= FS_FORMAT_RGBA8; f++) {
            fs_image *c = NULL;
            st = fs_image_convert(img, (fs_pixel_format)f, &c);
            fuzz_check_status(st, "fs_image_convert");
            FUZZ_CHECK(st == FS_OK, "fs_image_convert to %d failed", f);
            fs_image_view cv;
            fs_image_get_view(c, &cv);
            FUZZ_CHECK(cv.width == v.width && cv.height == v.height && cv.format == (fs_pixel_format)f,
                       "convert changed the size or format");
            fuzz_touch_image(c);
            fs_image_free(c);
        }
        /* PNG is lossless: encode + decode gives the same pixels. */
        void *png = NULL;
        size_t png_size = 0;
        st = fs_image_encode(img, FS_CODEC_PNG, 0, &png, &png_size);
        fuzz_check_status(st, "fs_image_encode(PNG)");
        FUZZ_CHECK(st == FS_OK && png && png_size > 0, "PNG encode of a decoded image failed");
        fs_image *back = NULL;
        st = fs_image_decode(png, png_size, &back);
        fuzz_check_status(st, "fs_image_decode(own PNG)");
        FUZZ_CHECK(st == FS_OK, "the library's own PNG does not decode");
        fs_image_view bv;
        fs_image_get_view(back, &bv);
        FUZZ_CHECK(bv.width == v.width && bv.height == v.height && bv.format == v.format, "PNG round trip changed the image");
        int bpp = fuzz_bytes_per_pixel(v.format);
        for (int32_t y = 0; y < v.height; y++)
            FUZZ_CHECK(memcmp((uint8_t *)v.data + (size_t)y * v.stride, (uint8_t *)bv.data + (size_t)y * bv.stride,
                              (size_t)v.width * bpp) == 0,
                       "PNG round trip changed row %d", y);
        fs_image_free(back);
        fs_free(png);
        /* JPEG is lossy: it must encode and decode to the same size. */
        void *jpg = NULL;
        size_t jpg_size = 0;
        st = fs_image_encode(img, FS_CODEC_JPEG, 1 + (int)(size % 100), &jpg, &jpg_size);
        fuzz_check_status(st, "fs_image_encode(JPEG)");
        FUZZ_CHECK(st == FS_OK && jpg && jpg_size > 0, "JPEG encode of a decoded image failed");
        st = fs_image_decode(jpg, jpg_size, &back);
        fuzz_check_status(st, "fs_image_decode(own JPEG)");
        FUZZ_CHECK(st == FS_OK, "the library's own JPEG does not decode");
        fs_image_get_view(back, &bv);
        FUZZ_CHECK(bv.width == v.width && bv.height == v.height, "JPEG round trip changed the size");
        fs_image_free(back);
        fs_free(jpg);
    }
    fs_image_free(img);
    return 0;
}

/*
 * test_images.c — images: made from caller pixels, created, converted between every pair of
 * formats, encoded and decoded (PNG, JPEG), saved and loaded, wrapped around caller memory.
 */
#include "harness.h"

/* A w x h image (at most 16 x 16) of 3-byte format f whose every pixel is the bytes b0, b1, b2,
 * made by fs_image_from_view (one check); NULL when that failed. */
static fs_image *solid3(int w, int h, fs_pixel_format f, unsigned char b0, unsigned char b1, unsigned char b2) {
    unsigned char px[16 * 16 * 3];
    for (int i = 0; i < w * h; i++) {
        px[i * 3] = b0;
        px[i * 3 + 1] = b1;
        px[i * 3 + 2] = b2;
    }
    fs_image_view v = {px, w, h, (size_t)w * 3, f};
    fs_image *img = NULL;
    return EXPECT_OK(fs_image_from_view(&v, &img)) ? img : NULL;
}

GROUP(group_images, "images", FX_NONE,
      "fs_image_from_view (5 formats, padded stride) copies; fs_image_create "
      "zeroes; fs_image_convert between all 25 format pairs (BGR (10,20,30) -> "
      "RGB (30,20,10), GRAY ~ 0.299R+0.587G+0.114B); PNG encode/decode exact; "
      "JPEG within tolerance and channel order kept; save/load to a temp path; "
      "atomic save leaves no stray files; fs_image_wrap sees the caller's memory") {
    const int W = 37, H = 23;

    /* from_view and get_view, every format, with a padded stride. */
    fs_image *imgs[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int fi = 0; fi < 5; fi++) {
        fs_pixel_format f = k_formats[fi];
        size_t stride = (size_t)W * (size_t)bytes_per_pixel(f) + 7;
        unsigned char *buf = make_pixels(W, H, stride, f, gradient_at);
        if (!buf) continue;
        fs_image_view in = {buf, W, H, stride, f};
        if (EXPECT_OK(fs_image_from_view(&in, &imgs[fi]))) {
            memset(buf, 0, stride * H); /* a copy: the image must not change */
            fs_image_view v;
            if (get_view(imgs[fi], &v)) {
                CHECKF(v.width == W && v.height == H && v.format == f && v.stride >= (size_t)W * (size_t)bytes_per_pixel(f) &&
                           v.data != NULL && v.data != (void *)buf,
                       "%s view %dx%d %s stride %zu", format_name(f), (int)v.width, (int)v.height, format_name(v.format), v.stride);
                int bad = 0;
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        rgba a = pixel_get(&v, x, y), b = gradient_at(x, y);
                        if (f == FS_FORMAT_GRAY8) b.g = b.b = b.r;
                        if (!has_alpha(f)) b.a = 255;
                        bad += a.r != b.r || a.g != b.g || a.b != b.b || a.a != b.a;
                    }
                CHECKF(bad == 0, "%s: %d pixels differ after from_view", format_name(f), bad);
            }
        }
        free(buf);
    }

    /* fs_image_create: zeroed, tight. */
    for (int fi = 0; fi < 5; fi++) {
        fs_image *z = NULL;
        if (!EXPECT_OK(fs_image_create(W, H, k_formats[fi], &z))) continue;
        fs_image_view v;
        if (get_view(z, &v)) {
            CHECK(v.width == W && v.height == H && v.format == k_formats[fi]);
            int nonzero = 0;
            for (int y = 0; y < H; y++)
                for (int i = 0; i < W * bytes_per_pixel(k_formats[fi]); i++)
                    nonzero += ((const unsigned char *)v.data)[(size_t)y * v.stride + (size_t)i] != 0;
            CHECKF(nonzero == 0, "%s: %d non-zero bytes", format_name(k_formats[fi]), nonzero);
        }
        fs_image_free(z);
    }

    /* Known pixel: BGR (10, 20, 30). */
    {
        fs_image *bgr = solid3(4, 3, FS_FORMAT_BGR8, 10, 20, 30);
        if (bgr) {
            fs_image *c = NULL;
            fs_image_view cv;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_RGB8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 2, 1);
                CHECKF(p[0] == 30 && p[1] == 20 && p[2] == 10, "RGB (%d,%d,%d)", p[0], p[1], p[2]);
            }
            fs_image_free(c);
            c = NULL;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_GRAY8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 3, 2);
                double want = 0.299 * 30 + 0.587 * 20 + 0.114 * 10;
                CHECKF(fabs(p[0] - want) <= 1.0, "GRAY %d, want %.2f", p[0], want);
            }
            fs_image_free(c);
            c = NULL;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_RGBA8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 0, 0);
                CHECKF(p[0] == 30 && p[1] == 20 && p[2] == 10 && p[3] == 255, "RGBA (%d,%d,%d,%d)", p[0], p[1], p[2], p[3]);
            }
            fs_image_free(c);
            c = NULL;
            if (EXPECT_OK(fs_image_convert(bgr, FS_FORMAT_BGRA8, &c)) && get_view(c, &cv)) {
                const unsigned char *p = pixel_ptr(&cv, 1, 1);
                CHECKF(p[0] == 10 && p[1] == 20 && p[2] == 30 && p[3] == 255, "BGRA (%d,%d,%d,%d)", p[0], p[1], p[2], p[3]);
            }
            fs_image_free(c);
            fs_image_free(bgr);
        }
    }

    /* Every pair of formats, every pixel. */
    for (int si = 0; si < 5; si++) {
        if (!imgs[si]) continue;
        fs_image_view sv;
        if (!get_view(imgs[si], &sv)) continue;
        for (int di = 0; di < 5; di++) {
            fs_pixel_format s = k_formats[si], d = k_formats[di];
            fs_image *c = NULL;
            if (!EXPECT_OK(fs_image_convert(imgs[si], d, &c))) continue;
            fs_image_view dv;
            if (get_view(c, &dv)) {
                int bad = 0;
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        rgba a = pixel_get(&sv, x, y), b = pixel_get(&dv, x, y);
                        if (d == FS_FORMAT_GRAY8 && s != FS_FORMAT_GRAY8) {
                            double want = 0.299 * a.r + 0.587 * a.g + 0.114 * a.b;
                            bad += fabs(b.r - want) > 1.0;
                        } else {
                            int wa = has_alpha(d) ? (has_alpha(s) ? a.a : 255) : 255;
                            bad += a.r != b.r || a.g != b.g || a.b != b.b || b.a != wa;
                        }
                    }
                CHECKF(dv.width == W && dv.height == H && dv.format == d && bad == 0, "%s -> %s: %d pixels wrong",
                       format_name(s), format_name(d), bad);
            }
            fs_image_free(c);
        }
    }

    /* PNG: encode -> decode exact (decoding gives BGR8, or BGRA8 with alpha). */
    for (int fi = 0; fi < 5; fi++) {
        if (!imgs[fi]) continue;
        fs_pixel_format f = k_formats[fi];
        void *data = NULL;
        size_t size = 0;
        if (!EXPECT_OK(fs_image_encode(imgs[fi], FS_CODEC_PNG, 0, &data, &size))) continue;
        CHECK(data != NULL && size > 8 && memcmp(data, "\x89PNG", 4) == 0);
        fs_image *back = NULL;
        if (data && EXPECT_OK(fs_image_decode(data, size, &back))) {
            fs_image_view bv, sv;
            if (get_view(back, &bv) && get_view(imgs[fi], &sv)) {
                fs_pixel_format want = has_alpha(f) ? FS_FORMAT_BGRA8 : FS_FORMAT_BGR8;
                int bad = 0;
                for (int y = 0; y < H && bv.width == W && bv.height == H; y++)
                    for (int x = 0; x < W; x++) {
                        rgba a = pixel_get(&sv, x, y), b = pixel_get(&bv, x, y);
                        bad += a.r != b.r || a.g != b.g || a.b != b.b || a.a != b.a;
                    }
                CHECKF(bv.width == W && bv.height == H && bv.format == want && bad == 0,
                       "PNG %s -> decoded %dx%d %s, %d pixels differ", format_name(f), (int)bv.width, (int)bv.height,
                       format_name(bv.format), bad);
            }
            fs_image_free(back);
        }
        fs_free(data);
    }

    /* JPEG: smooth picture, every format; and a solid colour keeps its channel order. */
    for (int fi = 0; fi < 5; fi++) {
        fs_pixel_format f = k_formats[fi];
        fs_image *src = make_image(48, 40, f, smooth_at);
        if (!src) continue;
        void *data = NULL;
        size_t size = 0;
        if (EXPECT_OK(fs_image_encode(src, FS_CODEC_JPEG, 95, &data, &size))) {
            CHECK(data != NULL && size > 3 && memcmp(data, "\xFF\xD8\xFF", 3) == 0);
            fs_image *back = NULL;
            if (data && EXPECT_OK(fs_image_decode(data, size, &back))) {
                fs_image_view bv, sv;
                if (get_view(back, &bv) && get_view(src, &sv) && bv.width == 48 && bv.height == 40) {
                    double err = 0;
                    int maxerr = 0;
                    for (int y = 0; y < 40; y++)
                        for (int x = 0; x < 48; x++) {
                            rgba a = pixel_get(&sv, x, y), b = pixel_get(&bv, x, y);
                            int e = abs(a.r - b.r) + abs(a.g - b.g) + abs(a.b - b.b);
                            err += e;
                            if (abs(a.r - b.r) > maxerr) maxerr = abs(a.r - b.r);
                            if (abs(a.g - b.g) > maxerr) maxerr = abs(a.g - b.g);
                            if (abs(a.b - b.b) > maxerr) maxerr = abs(a.b - b.b);
                        }
                    err /= 48.0 * 40.0 * 3.0;
                    CHECKF(bv.format == FS_FORMAT_BGR8 && err < 3.0 && maxerr < 24,
                           "JPEG %s: decoded %s, mean error %.2f, max %d", format_name(f), format_name(bv.format), err, maxerr);
                } else {
                    CHECKF(false, "JPEG %s: decoded size %dx%d", format_name(f), (int)bv.width, (int)bv.height);
                }
                fs_image_free(back);
            }
            fs_free(data);
        }
        fs_image_free(src);
    }
    {
        /* A solid orange given as RGB8 comes back as BGR (B small, R large). */
        fs_image *rgb = solid3(16, 16, FS_FORMAT_RGB8, 220, 120, 20);
        if (rgb) {
            void *data = NULL;
            size_t size = 0;
            if (EXPECT_OK(fs_image_encode(rgb, FS_CODEC_JPEG, 0, &data, &size))) {
                fs_image *back = NULL;
                fs_image_view bv;
                if (EXPECT_OK(fs_image_decode(data, size, &back)) && get_view(back, &bv)) {
                    const unsigned char *p = pixel_ptr(&bv, 8, 8);
                    CHECKF(abs(p[0] - 20) <= 6 && abs(p[1] - 120) <= 6 && abs(p[2] - 220) <= 6,
                           "decoded BGR (%d,%d,%d), want about (20,120,220)", p[0], p[1], p[2]);
                }
                fs_image_free(back);
                fs_free(data);
            }
            fs_image_free(rgb);
        }
    }

    /* Save and load back through a temp folder; atomic writes leave no stray files. */
    if (imgs[1]) {
        char p_png[1024], p_jpg[1024], p_noext[1024];
        tmp_path(p_png, sizeof p_png, "roundtrip.png");
        tmp_path(p_jpg, sizeof p_jpg, "roundtrip.JPEG");
        tmp_path(p_noext, sizeof p_noext, "roundtrip_noext");
        int before = count_dir_entries(g_tmp_dir);
        fs_image_view sv;
        get_view(imgs[1], &sv);
        if (EXPECT_OK(fs_image_save(imgs[1], p_png, FS_CODEC_AUTO, 0))) {
            CHECKF(count_dir_entries(g_tmp_dir) == before + 1, "%d entries after one save, had %d",
                   count_dir_entries(g_tmp_dir), before);
            fs_image *back = NULL;
            fs_image_view bv;
            if (EXPECT_OK(fs_image_load(p_png, &back)) && get_view(back, &bv)) {
                int bad = 0;
                for (int y = 0; y < H && bv.width == W && bv.height == H; y++)
                    bad += memcmp(pixel_ptr(&bv, 0, y), pixel_ptr(&sv, 0, y), (size_t)W * 3) != 0;
                CHECKF(bv.width == W && bv.height == H && bv.format == FS_FORMAT_BGR8 && bad == 0, "saved PNG differs");
            }
            fs_image_free(back);
            /* Overwrite: still one file. */
            EXPECT_OK(fs_image_save(imgs[1], p_png, FS_CODEC_PNG, 0));
            CHECK(count_dir_entries(g_tmp_dir) == before + 1);
        }
        if (EXPECT_OK(fs_image_save(imgs[1], p_jpg, FS_CODEC_AUTO, 90))) {
            fs_image *back = NULL;
            size_t n = 0;
            unsigned char *raw = read_whole_file(p_jpg, &n);
            CHECK(raw != NULL && n > 3 && raw[0] == 0xFF && raw[1] == 0xD8);
            free(raw);
            fs_image_view bv;
            if (EXPECT_OK(fs_image_load(p_jpg, &back)) && get_view(back, &bv))
                CHECK(bv.width == W && bv.height == H && bv.format == FS_FORMAT_BGR8);
            fs_image_free(back);
        }
        /* Explicit codec: no extension needed. */
        if (EXPECT_OK(fs_image_save(imgs[1], p_noext, FS_CODEC_PNG, 0))) {
            size_t n = 0;
            unsigned char *raw = read_whole_file(p_noext, &n);
            CHECK(raw != NULL && n > 4 && memcmp(raw, "\x89PNG", 4) == 0);
            free(raw);
        }
        CHECKF(count_dir_entries(g_tmp_dir) == before + 3, "%d entries, want %d (stray temporary files?)",
               count_dir_entries(g_tmp_dir), before + 3);
        /* fs_image_decode of a file's bytes = fs_image_load of the file. */
        size_t n = 0;
        unsigned char *raw = read_whole_file(p_png, &n);
        fs_image *a = NULL, *b = NULL;
        fs_image_view av, bv;
        if (raw && EXPECT_OK(fs_image_decode(raw, n, &a)) && EXPECT_OK(fs_image_load(p_png, &b)) && get_view(a, &av) &&
            get_view(b, &bv)) {
            int bad = 0;
            for (int y = 0; y < H; y++) bad += memcmp(pixel_ptr(&av, 0, y), pixel_ptr(&bv, 0, y), (size_t)W * 3) != 0;
            CHECK(bad == 0);
        }
        fs_image_free(a);
        fs_image_free(b);
        free(raw);
    }

    /* CMYK JPEG from the data set decodes to BGR8. */
    {
        fs_image *cmyk = load_image("rcv_one_face_cmyk.jpg");
        fs_image_view v;
        if (get_view(cmyk, &v)) CHECK(v.format == FS_FORMAT_BGR8 && v.width > 0 && v.height > 0);
        fs_image_free(cmyk);
    }

    /* fs_image_wrap sees (and is) the caller's memory. */
    {
        const int w = 8, h = 6;
        size_t stride = (size_t)w * 4 + 12;
        unsigned char *buf = make_pixels(w, h, stride, FS_FORMAT_RGBA8, gradient_at);
        fs_image_view in = {buf, w, h, stride, FS_FORMAT_RGBA8};
        fs_image *wr = NULL;
        if (buf && EXPECT_OK(fs_image_wrap(&in, &wr))) {
            fs_image_view v;
            if (get_view(wr, &v)) {
                CHECK(v.data == (void *)buf && v.stride == stride && v.width == w && v.height == h &&
                      v.format == FS_FORMAT_RGBA8);
                buf[3 * stride + 5 * 4 + 0] = 201;
                buf[3 * stride + 5 * 4 + 3] = 7;
                rgba c = pixel_get(&v, 5, 3);
                CHECK(c.r == 201 && c.a == 7);
            }
            /* The library reads the caller's current pixels. */
            fs_image *c = NULL;
            fs_image_view cv;
            if (EXPECT_OK(fs_image_convert(wr, FS_FORMAT_BGRA8, &c)) && get_view(c, &cv)) {
                rgba p = pixel_get(&cv, 5, 3);
                CHECKF(p.r == 201 && p.a == 7, "converted wrapped pixel (%d,..,%d)", p.r, p.a);
            }
            fs_image_free(c);
            fs_image_free(wr);
            /* Freeing the wrapper leaves the caller's buffer alone. */
            CHECK(buf[3 * stride + 5 * 4 + 0] == 201);
        }
        free(buf);
    }

    for (int fi = 0; fi < 5; fi++) fs_image_free(imgs[fi]);
}

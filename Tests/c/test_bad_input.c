/*
 * test_bad_input.c — bad arguments to the image, detection and alignment functions: NULL pointers,
 * bad sizes and data, bad model files and detector options, wrong-kind, foreign and freed handles.
 * (The swapping functions': test_swap_bad_input.c; every function, one row a case:
 * test_bad_input_table.c.)
 */
#include "harness.h"

GROUP(group_null_args, "null-args", FX_MODELS,
      "NULL for every pointer argument of every function (each out-pointer, "
      "handle and input): INVALID_ARGUMENT with a message, outs set to NULL; "
      "*_free(NULL) and fs_free(NULL) are no-ops") {
    char path[1024];
    data_path(path, sizeof path, "fr_obama1.jpg");
    fs_image *img = fx->obama;
    fs_image *small = NULL;
    EXPECT_OK(fs_image_create(16, 16, FS_FORMAT_BGR8, &small));
    fs_image *out = NULL;
    unsigned char px[48] = {0};
    fs_image_view view = {px, 4, 4, 12, FS_FORMAT_BGR8};
    fs_image_view vout;
    char buf[256];
    fs_face face;
    memset(&face, 0, sizeof face);
    fs_face faces[2];
    size_t count = 0;
    fs_affine t = {{1, 0, 0, 0, 1, 0}}, tout;
    fs_point pts[FS_MAX_LANDMARKS];
    memset(pts, 0, sizeof pts);
    void *data = NULL;
    size_t size = 0;
    fs_detector_options o = detector_defaults();

    /* fs_image_load */
    out = (fs_image *)&out;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_load(NULL, &out));
    CHECKF(out == NULL, "fs_image_load failure leaves *out non-NULL");
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_load(path, NULL));
    /* fs_image_decode */
    out = (fs_image *)&out;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_decode(NULL, 100, &out));
    CHECK(out == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_decode(px, sizeof px, NULL));
    /* fs_image_from_view / fs_image_wrap */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(NULL, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&view, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(NULL, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&view, NULL));
    {
        fs_image_view nodata = view;
        nodata.data = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&nodata, &out));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&nodata, &out));
    }
    /* fs_image_create / convert / get_view */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(4, 4, FS_FORMAT_BGR8, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_convert(NULL, FS_FORMAT_RGB8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_convert(small, FS_FORMAT_RGB8, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view(NULL, &vout));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view(small, NULL));
    /* fs_image_encode / save */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(NULL, FS_CODEC_PNG, 0, &data, &size));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_PNG, 0, NULL, &size));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_PNG, 0, &data, NULL));
    CHECK(data == NULL); /* nothing leaked into our pointer */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_save(NULL, "/tmp/never_written.png", FS_CODEC_AUTO, 0));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_save(small, NULL, FS_CODEC_PNG, 0));
    /* fs_model_find */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find(NULL, buf, sizeof buf));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find("shape_predictor_68_face_landmarks.dat", NULL, sizeof buf));
    /* fs_detector_create / fs_detect */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, NULL));
    {
        /* NULL options: the header says "options NULL means the defaults". */
        fs_detector *d = NULL;
        if (EXPECT_OK(fs_detector_create(NULL, &d))) fs_detector_free(d);
    }
    count = 5;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(NULL, small, faces, 2, &count));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(fx->det, NULL, faces, 2, &count));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(fx->det, small, NULL, 2, &count));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(fx->det, small, faces, 2, NULL));
    /* fs_landmarker_create / num_points / fit */
    {
        char p68[4096];
        if (fs_model_find("shape_predictor_68_face_landmarks.dat", p68, sizeof p68) == FS_OK)
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarker_create(p68, NULL));
        else
            CHECKF(false, "68-point model not found");
    }
    CHECK(fs_landmarker_num_points(NULL) == 0);
    face = fx->obama_face;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(NULL, img, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(fx->lm, NULL, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(fx->lm, img, NULL));
    CHECK(memcmp(&face, &fx->obama_face, sizeof face) == 0); /* untouched on failure */
    /* Alignment */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(NULL, 256, 0.25f, &tout));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&fx->obama_face, 256, 0.25f, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(256, 0.25f, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(NULL, &t, 64, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, NULL, 64, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &t, 64, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(NULL, &tout));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&t, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(NULL, pts, 68));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(&t, NULL, 68));
    /* Frees of NULL. */
    fs_image_free(NULL);
    fs_detector_free(NULL);
    fs_landmarker_free(NULL);
    fs_free(NULL);
    CHECK(true); /* reached: the frees of NULL did not crash */
    fs_image_free(small);
}

GROUP(group_bad_input, "bad-input", FX_MODELS | FX_JPEGS,
      "zero/negative/huge sizes (40000 wide, 20000x20000, one past the limits), "
      "short stride, unknown format 99, unknown codec, bad JPEG quality; empty "
      "data, truncated JPEG (first half), corrupt JPEG (SOI + garbage), a text "
      "file, SOF patched to 60000x60000 -> TOO_LARGE, PNG IHDR patched too; "
      "missing file / directory / unwritable path -> IO; bad alignment values") {
    const jpegs *j = &fx->jpeg;
    fs_image *out = NULL;
    unsigned char px[64] = {0};

    /* fs_image_create sizes. */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(0, 10, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(10, 0, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(-5, 10, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(10, -1, FS_FORMAT_GRAY8, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_create(INT32_MIN, INT32_MIN, FS_FORMAT_GRAY8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(40000, 10, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(10, 40000, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(20000, 20000, FS_FORMAT_BGR8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(FS_MAX_IMAGE_SIDE + 1, 1, FS_FORMAT_GRAY8, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(16385, 16385, FS_FORMAT_GRAY8, &out)); /* > 2^28 pixels */
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_create(INT32_MAX, INT32_MAX, FS_FORMAT_RGBA8, &out));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_create(4, 4, (fs_pixel_format)99, &out));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_create(4, 4, (fs_pixel_format)0, &out));
    {
        /* The largest side is allowed (1 row). */
        fs_image *wide = NULL;
        if (EXPECT_OK(fs_image_create(FS_MAX_IMAGE_SIDE, 1, FS_FORMAT_GRAY8, &wide))) fs_image_free(wide);
    }
    CHECK(out == NULL);

    /* Views: sizes are checked before any pixel is read (px holds only 64 bytes). */
    fs_image_view v = {px, 40000, 1, 120000, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 20000, 20000, 60000, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 0, 4, 12, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    v = (fs_image_view){px, 4, -4, 12, FS_FORMAT_BGR8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 4, 4, 11, FS_FORMAT_BGR8}; /* a row is 12 bytes */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 4, 4, 0, FS_FORMAT_GRAY8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    v = (fs_image_view){px, 4, 4, SIZE_MAX, FS_FORMAT_GRAY8};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_wrap(&v, &out));
    v = (fs_image_view){px, 4, 4, 16, (fs_pixel_format)99};
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_from_view(&v, &out));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_wrap(&v, &out));
    CHECK(out == NULL);

    /* Convert / encode / save options. */
    fs_image *small = NULL;
    EXPECT_OK(fs_image_create(8, 8, FS_FORMAT_BGR8, &small));
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_convert(small, (fs_pixel_format)99, &out));
    CHECK(out == NULL);
    {
        void *data = NULL;
        size_t size = 0;
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_encode(small, (fs_codec)99, 0, &data, &size));
        /* The header: INVALID_ARGUMENT for "codec FS_CODEC_AUTO, which needs a file name". */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_AUTO, 0, &data, &size));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_JPEG, 101, &data, &size));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode(small, FS_CODEC_JPEG, -1, &data, &size));
        CHECK(data == NULL);
        if (EXPECT_OK(fs_image_encode(small, FS_CODEC_JPEG, 1, &data, &size))) fs_free(data);
        data = NULL;
        if (EXPECT_OK(fs_image_encode(small, FS_CODEC_JPEG, 100, &data, &size))) fs_free(data);
    }
    {
        char p[1024];
        tmp_path(p, sizeof p, "unknown_extension.bmp");
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_save(small, p, FS_CODEC_AUTO, 0));
        tmp_path(p, sizeof p, "no_extension");
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_save(small, p, FS_CODEC_AUTO, 0));
        tmp_path(p, sizeof p, "bad_quality.jpg");
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_save(small, p, FS_CODEC_AUTO, 101));
        EXPECT_ST(FS_ERR_IO, fs_image_save(small, "/nonexistent_dir_fs_test/x.png", FS_CODEC_AUTO, 0));
        EXPECT_ST(FS_ERR_IO, fs_image_save(small, g_tmp_dir, FS_CODEC_PNG, 0)); /* a directory */
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_image_save(small, p, (fs_codec)99, 0));
    }

    /* Decoding bad data. */
    out = (fs_image *)&out;
    EXPECT_ST(FS_ERR_DECODE, fs_image_decode(px, 0, &out));
    CHECK(out == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_decode(NULL, 0, &out)); /* NULL, whatever the size */
    CHECK(out == NULL);
    {
        static const unsigned char soi_only[3] = {0xFF, 0xD8, 0xFF};
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(soi_only, sizeof soi_only, &out));
        unsigned char corrupt[4096];
        corrupt[0] = 0xFF;
        corrupt[1] = 0xD8;
        uint32_t s = 12345;
        for (size_t i = 2; i < sizeof corrupt; i++) {
            s = s * 1103515245u + 12345u;
            corrupt[i] = (unsigned char)(s >> 16);
        }
        corrupt[2] = 0xFF;
        corrupt[3] = 0xC0; /* SOF0 with a garbage body */
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(corrupt, sizeof corrupt, &out));
        corrupt[3] = 0x17;
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(corrupt, sizeof corrupt, &out));
        static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(png_sig, sizeof png_sig, &out));
        static const char text[] = "Hello, this is plain text and not an image.\n";
        EXPECT_ST(FS_ERR_DECODE, fs_image_decode(text, sizeof text - 1, &out));
        CHECK(out == NULL);
    }
    EXPECT_ST(FS_ERR_DECODE, fs_image_decode(j->obama, j->obama_size / 2, &out)); /* progressive */
    EXPECT_ST(FS_ERR_DECODE, fs_image_decode(j->two, j->two_size / 2, &out));     /* baseline */
    EXPECT_ST(FS_ERR_DECODE, fs_image_decode(j->two, 200, &out));                 /* headers only */
    CHECK(out == NULL);
    /* SOF declares 60000 x 60000: refused from the header. */
    const unsigned char *srcs[2] = {j->two, j->obama};
    size_t sizes[2] = {j->two_size, j->obama_size};
    const char *names[2] = {"baseline SOF0", "progressive SOF2"};
    for (int i = 0; i < 2; i++) {
        unsigned char *patched = malloc(sizes[i]);
        if (!patched) continue;
        memcpy(patched, srcs[i], sizes[i]);
        size_t sof = find_sof(patched, sizes[i]);
        CHECKF(sof != 0, "no SOF in %s", names[i]);
        if (sof) {
            patched[sof + 5] = 0xEA; /* height 60000 = 0xEA60 */
            patched[sof + 6] = 0x60;
            patched[sof + 7] = 0xEA; /* width */
            patched[sof + 8] = 0x60;
            out = (fs_image *)&out;
            EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_decode(patched, sizes[i], &out));
            CHECK(out == NULL);
            /* And the same through a file. */
            char p[1024];
            tmp_path(p, sizeof p, i == 0 ? "huge_sof0.jpg" : "huge_sof2.jpg");
            if (write_whole_file(p, patched, sizes[i])) EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_load(p, &out));
            /* 40000 x 100: over the side limit although few pixels. */
            patched[sof + 5] = 0x00;
            patched[sof + 6] = 0x64;
            patched[sof + 7] = 0x9C; /* 40000 = 0x9C40 */
            patched[sof + 8] = 0x40;
            EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_decode(patched, sizes[i], &out));
        }
        free(patched);
    }
    {
        /* A PNG whose IHDR says 60000 x 60000. */
        void *data = NULL;
        size_t size = 0;
        if (EXPECT_OK(fs_image_encode(small, FS_CODEC_PNG, 0, &data, &size)) && size > 24) {
            EXPECT_ST(FS_ERR_DECODE, fs_image_decode(data, size / 2, &out)); /* truncated PNG */
            unsigned char *p = data;
            p[16] = 0; p[17] = 0; p[18] = 0xEA; p[19] = 0x60;
            p[20] = 0; p[21] = 0; p[22] = 0xEA; p[23] = 0x60;
            EXPECT_ST(FS_ERR_TOO_LARGE, fs_image_decode(data, size, &out));
        }
        fs_free(data);
    }

    /* Files. */
    {
        char p[1024];
        out = (fs_image *)&out;
        EXPECT_ST(FS_ERR_IO, fs_image_load("/nonexistent_dir_fs_test/missing.jpg", &out));
        CHECK(out == NULL);
        data_path(p, sizeof p, "no_such_photo_0123.jpg");
        EXPECT_ST(FS_ERR_IO, fs_image_load(p, &out));
        CHECKF(strstr(fs_last_error_message(), "no_such_photo_0123.jpg") != NULL, "message does not name the file: \"%s\"",
               fs_last_error_message());
        EXPECT_ST(FS_ERR_IO, fs_image_load(g_tmp_dir, &out)); /* a directory */
        EXPECT_ST(FS_ERR_IO, fs_image_load("", &out));
        tmp_path(p, sizeof p, "notes.txt");
        static const char text[] = "These are some notes.\nNot an image at all.\n";
        if (write_whole_file(p, text, sizeof text - 1)) EXPECT_ST(FS_ERR_DECODE, fs_image_load(p, &out));
        tmp_path(p, sizeof p, "empty.jpg");
        if (write_whole_file(p, "", 0)) EXPECT_ST(FS_ERR_DECODE, fs_image_load(p, &out));
        if (j->two) {
            tmp_path(p, sizeof p, "truncated.jpg");
            if (write_whole_file(p, j->two, j->two_size / 2)) EXPECT_ST(FS_ERR_DECODE, fs_image_load(p, &out));
        }
        CHECK(out == NULL);
    }

    /* Alignment values. */
    {
        fs_affine t;
        fs_point pts[FS_MAX_LANDMARKS];
        fs_face f;
        memset(&f, 0, sizeof f);
        f.rect = (fs_rect){10, 10, 50, 50};
        f.box = f.rect;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t)); /* no landmarks */
        f = fx->obama_face;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 7, 0.25f, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 4097, 0.25f, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, -256, 0.25f, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, -0.1f, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.46f, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, NAN, &t));
        f.num_landmarks = 69;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
        f.num_landmarks = -1;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
        f.num_landmarks = 17; /* neither 68 nor 5 */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
        f = fx->obama_face;
        f.landmarks[40].x = NAN;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
        /* All landmarks on one point: no similarity exists. */
        f = fx->obama_face;
        for (int i = 0; i < 68; i++) f.landmarks[i] = (fs_point){100, 100};
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_transform(&f, 256, 0.25f, &t));
        /* fs_landmarks_fit refuses a face whose num_landmarks is out of range. */
        f = fx->obama_face;
        f.num_landmarks = 1000;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(fx->lm, fx->obama, &f));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(7, 0.25f, pts));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(4097, 0.25f, pts));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(256, 0.5f, pts));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_template(256, -0.01f, pts));
        fs_affine ident = {{1, 0, 0, 0, 1, 0}}, singular = {{0, 0, 5, 0, 0, 7}}, rank1 = {{1, 2, 0, 2, 4, 0}};
        fs_affine nan_t = {{1, 0, NAN, 0, 1, 0}}, inf_t = {{INFINITY, 0, 0, 0, 1, 0}};
        fs_affine sentinel = {{42, 42, 42, 42, 42, 42}};
        t = sentinel;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&singular, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&rank1, &t));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_invert(&nan_t, &t));
        CHECKF(memcmp(&t, &sentinel, sizeof t) == 0, "fs_affine_invert wrote *out on failure");
        pts[0] = (fs_point){3, 4};
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(&inf_t, pts, 1));
        CHECK(pts[0].x == 3 && pts[0].y == 4);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_affine_apply(&ident, pts, SIZE_MAX)); /* absurd count */
        out = (fs_image *)&out;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &ident, 7, &out));
        CHECK(out == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &ident, 0, &out));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &ident, -64, &out));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_align_crop(small, &nan_t, 64, &out));
    }
    fs_image_free(small);
}

GROUP(group_bad_models, "bad-models", FX_NONE,
      "missing model path -> MODEL (*out NULL); garbage and text model files -> "
      "MODEL; a model of the wrong kind -> MODEL; options struct_size 0/4 -> "
      "INVALID_ARGUMENT; upsample 9/-2, downscale 2.0/-0.5/NaN, margin -1/NaN, "
      "min_face_size -5, max_faces -1, threshold NaN -> INVALID_ARGUMENT naming "
      "the option; backend 99 -> UNSUPPORTED; an older, smaller struct works") {
    char garbage[1024], text[1024];
    tmp_path(garbage, sizeof garbage, "garbage_model.dat");
    tmp_path(text, sizeof text, "text_model.dat");
    {
        unsigned char junk[8192];
        uint32_t s = 777;
        for (size_t i = 0; i < sizeof junk; i++) {
            s = s * 1664525u + 1013904223u;
            junk[i] = (unsigned char)(s >> 24);
        }
        CHECK(write_whole_file(garbage, junk, sizeof junk));
        static const char t[] = "this is not a dlib model\n";
        CHECK(write_whole_file(text, t, sizeof t - 1));
    }

    fs_landmarker *lm = (fs_landmarker *)&lm;
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create("/nonexistent_dir_fs_test/shape_predictor.dat", &lm));
    CHECK(lm == NULL);
    lm = (fs_landmarker *)&lm;
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(garbage, &lm));
    CHECK(lm == NULL);
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(text, &lm));
    EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(g_tmp_dir, &lm)); /* a directory */
    {
        char empty[1024];
        tmp_path(empty, sizeof empty, "empty_model.dat");
        if (write_whole_file(empty, "", 0)) EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(empty, &lm));
    }
    char other[4096];
    if (fs_model_find("mmod_human_face_detector.dat", other, sizeof other) == FS_OK) {
        EXPECT_ST(FS_ERR_MODEL, fs_landmarker_create(other, &lm)); /* a CNN detector, not a predictor */
    } else {
        CHECKF(false, "model file mmod_human_face_detector.dat not found (make test installs it): wrong-kind model check not run");
    }
    CHECK(lm == NULL);

    fs_detector *det = (fs_detector *)&det;
    fs_detector_options o = detector_defaults();
    o.backend = FS_DETECTOR_CNN;
    o.model_path = "/nonexistent_dir_fs_test/mmod_human_face_detector.dat";
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    CHECK(det == NULL);
    o.model_path = garbage;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    o.model_path = text;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    char p68[4096];
    if (fs_model_find("shape_predictor_68_face_landmarks.dat", p68, sizeof p68) == FS_OK) {
        o.model_path = p68; /* a shape predictor, not a CNN */
        EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    }
    o = detector_defaults();
    o.backend = FS_DETECTOR_HAAR;
    o.model_path = "/nonexistent_dir_fs_test/haarcascade_frontalface_default.xml";
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    o.model_path = garbage;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    o.model_path = text;
    EXPECT_ST(FS_ERR_MODEL, fs_detector_create(&o, &det));
    CHECK(det == NULL);

    /* Options. */
    struct {
        const char *name;
        const char *field;
        fs_detector_options o;
    } bad[12];
    int nbad = 0;
#define BAD(label, fieldname, stmt)                       \
    do {                                                  \
        bad[nbad].name = label;                           \
        bad[nbad].field = fieldname;                      \
        bad[nbad].o = detector_defaults();      \
        { fs_detector_options *op = &bad[nbad].o; stmt; } \
        nbad++;                                           \
    } while (0)
    BAD("upsample 9", "upsample", op->upsample = 9);
    BAD("upsample -2", "upsample", op->upsample = -2);
    BAD("downscale 2.0", "downscale", op->downscale = 2.0f);
    BAD("downscale -0.5", "downscale", op->downscale = -0.5f);
    BAD("downscale NaN", "downscale", op->downscale = NAN);
    BAD("margin -1", "margin", op->margin = -1.0f);
    BAD("margin NaN", "margin", op->margin = NAN);
    BAD("min_face_size -5", "min_face_size", op->min_face_size = -5);
    BAD("max_faces -1", "max_faces", op->max_faces = -1);
    BAD("threshold NaN", "threshold", op->threshold = NAN);
#undef BAD
    for (int i = 0; i < nbad; i++) {
        det = (fs_detector *)&det;
        fs_status s = EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&bad[i].o, &det));
        CHECKF(det == NULL, "%s: *out not NULL", bad[i].name);
        if (s == FS_OK && det) fs_detector_free(det);
        if (s == FS_ERR_INVALID_ARGUMENT)
            CHECKF(strstr(fs_last_error_message(), bad[i].field) != NULL, "%s: message does not name %s: \"%s\"",
                   bad[i].name, bad[i].field, fs_last_error_message());
    }
    o = detector_defaults();
    o.backend = (fs_detector_backend)99;
    det = NULL;
    if (EXPECT_ST(FS_ERR_UNSUPPORTED, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    o = detector_defaults();
    o.struct_size = 0;
    det = (fs_detector *)&det;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    CHECK(det == NULL);
    o.struct_size = 4;
    det = NULL;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detector_create(&o, &det)) == FS_OK) fs_detector_free(det);
    /* An older caller: the struct ends before max_faces (and its garbage is not read). */
    o = detector_defaults();
    o.struct_size = (uint32_t)offsetof(fs_detector_options, max_faces);
    o.max_faces = -12345;
    det = NULL;
    if (EXPECT_OK(fs_detector_create(&o, &det))) {
        CHECK(det != NULL);
        fs_detector_free(det);
    }
}

GROUP(group_handles, "handles", FX_MODELS,
      "wrong-kind handles (an fs_image cast to fs_detector, ...), a foreign "
      "pointer, and freed handles give INVALID_ARGUMENT; a wrong-kind or "
      "double free is ignored") {
    fs_image *img = NULL;
    EXPECT_OK(fs_image_create(32, 32, FS_FORMAT_BGR8, &img));
    fs_face faces[2];
    size_t count = 0;
    fs_image_view v;
    if (img) {
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect((const fs_detector *)img, img, faces, 2, &count));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(fx->det, (const fs_image *)fx->det, faces, 2, &count));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)fx->det, &v));
        fs_face f = fx->obama_face;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit((const fs_landmarker *)fx->det, img, &f));
        CHECK(fs_landmarker_num_points((const fs_landmarker *)fx->det) == 0);
        /* Freeing a detector as an image must not free it. */
        fs_image_free((fs_image *)fx->det);
        fs_landmarker_free((fs_landmarker *)fx->det);
        EXPECT_OK(fs_detect(fx->det, img, faces, 2, &count));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect((const fs_detector *)fx->lm, img, faces, 2, &count));
        CHECK(fs_landmarker_num_points((const fs_landmarker *)img) == 0);
        /* Pointers the library never made. */
        static max_align_t local; /* aligned for any type: the cast itself is well-defined */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)&local, &v));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)(uintptr_t)0x10, &v));
        fs_image *conv = (fs_image *)&conv;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_convert((const fs_image *)&local, FS_FORMAT_RGB8, &conv));
        CHECK(conv == NULL);
    }

    /* A freed image. */
    if (img) {
        uintptr_t stale = (uintptr_t)img;
        fs_image_free(img);
        img = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_get_view((const fs_image *)stale, &v));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_image_encode((const fs_image *)stale, FS_CODEC_PNG, 0, &(void *){NULL}, &(size_t){0}));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(fx->det, (const fs_image *)stale, faces, 2, &count));
        fs_image_free((fs_image *)stale); /* double free: ignored */
        CHECK(true);
    }
    /* A freed detector. */
    {
        fs_detector_options o = detector_defaults();
        fs_detector *d = NULL;
        fs_image *probe = NULL;
        EXPECT_OK(fs_image_create(16, 16, FS_FORMAT_GRAY8, &probe));
        if (EXPECT_OK(fs_detector_create(&o, &d)) && probe) {
            EXPECT_OK(fs_detect(d, probe, faces, 2, &count));
            CHECK(count == 0);
            uintptr_t stale = (uintptr_t)d;
            fs_detector_free(d);
            d = NULL;
            count = 99;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect((const fs_detector *)stale, probe, faces, 2, &count));
            fs_detector_free((fs_detector *)stale);
            CHECK(true);
        }
        fs_image_free(probe);
    }
}

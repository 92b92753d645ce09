/*
 * test_gan.c — the landmark GAN through the C API, with a generator trained in the group: what
 * fs_model_generate draws from a face's own aligned points against that face (the ground truth
 * the generator learns), and a reenactor of the trained person (fs_reenactor_create_model).
 */
#include "harness.h"

enum { GAN_SIZE = 64, GAN_ITERATIONS = 60 };
/* The model's crop padding: the model file's `padding`, 0.15 for the landmark GAN (README,
 * "Model file"); fs_model_generate's points are in that aligned crop. */
static const float k_gan_padding = 0.15f;

/* Mean |a - b| over the central half of two GAN_SIZE x GAN_SIZE BGR8 images (the face), or -1. */
static double centre_mad(const fs_image *a, const fs_image *b) {
    fs_image_view va, vb;
    if (!get_view(a, &va) || !get_view(b, &vb) || va.width != GAN_SIZE || vb.width != GAN_SIZE ||
        va.height != GAN_SIZE || vb.height != GAN_SIZE || va.format != FS_FORMAT_BGR8 || vb.format != FS_FORMAT_BGR8)
        return -1;
    double sum = 0;
    long n = 0;
    for (int y = GAN_SIZE / 4; y < 3 * GAN_SIZE / 4; y++)
        for (int x = GAN_SIZE / 4; x < 3 * GAN_SIZE / 4; x++)
            for (int ch = 0; ch < 3; ch++, n++)
                sum += fabs((double)pixel_ptr(&va, x, y)[ch] - (double)pixel_ptr(&vb, x, y)[ch]);
    return sum / (double)n;
}

GROUP(group_gan, "gan", FX_MODELS,
      "a landmark GAN trained here on fr_obama1 (64 px, batch 4, no augmentation, 60 iterations): "
      "fs_model_info method 1, size 64; fs_model_generate from the face's own aligned points gives "
      "BGR8 64x64, the same twice, and is nearer the aligned face than the untrained model's (centre "
      "mean |diff| under 0.6x); fs_reenactor_create_model (320x240): BGR8 320x240, canvas corners "
      "grey 128, a closed-mouth neutral driver (fr_rose_leslie1) gives B's neutral within 1 level, a "
      "frame without a face gives B's neutral exactly, an open mouth (fr_obama1) changes the face") {
    char faces[1024], path[1024], photo[1024];
    tmp_path(faces, sizeof faces, "gan_faces");
    tmp_path(path, sizeof path, "b.fsg");
    data_path(photo, sizeof photo, "fr_obama1.jpg");
    const char *in[1] = {photo};
    fs_extract_options eo = extract_defaults();
    eo.size = GAN_SIZE;
    fs_train_options to = train_defaults();
    to.method = FS_MODEL_LANDMARK_GAN;
    to.batch = 4;
    to.augment = 0;
    to.checkpoint_every = 0;
    to.preview_every = 0;
    to.seed = 5;
    fs_trainer *t = NULL;
    fs_model *untrained = NULL, *m = NULL;
    if (!EXPECT_OK(fs_extract(fx->det, fx->lm, in, 1, faces, &eo, NULL, NULL, NULL)) ||
        !EXPECT_OK(fs_trainer_create(NULL, faces, path, &to, &t)))
        return;
    bool ok = EXPECT_OK(fs_trainer_save(t)) && EXPECT_OK(fs_model_load(path, &untrained)) &&
              EXPECT_OK(fs_trainer_run(t, GAN_ITERATIONS, 0, NULL, NULL)) && EXPECT_OK(fs_model_load(path, &m));
    fs_trainer_free(t);
    fs_model_info info = {.struct_size = sizeof info};
    if (ok && EXPECT_OK(fs_model_get_info(m, &info)))
        CHECKF(info.method == FS_MODEL_LANDMARK_GAN && info.size == GAN_SIZE && info.iterations == GAN_ITERATIONS,
               "method %d, size %d, iterations %lld", (int)info.method, (int)info.size, (long long)info.iterations);

    /* The ground truth: fr_obama1's face aligned as the model's crops, and its points there. */
    fs_affine tr;
    fs_image *crop = NULL, *g1 = NULL, *g2 = NULL, *g0 = NULL;
    float pts[136];
    if (ok && EXPECT_OK(fs_align_transform(&fx->obama_face, GAN_SIZE, k_gan_padding, &tr)) &&
        EXPECT_OK(fs_align_crop(fx->obama, &tr, GAN_SIZE, &crop))) {
        for (int i = 0; i < 68; i++) {
            fs_point p = fx->obama_face.landmarks[i];
            pts[2 * i] = tr.m[0] * p.x + tr.m[1] * p.y + tr.m[2];
            pts[2 * i + 1] = tr.m[3] * p.x + tr.m[4] * p.y + tr.m[5];
        }
        if (EXPECT_OK(fs_model_generate(m, pts, &g1)) && EXPECT_OK(fs_model_generate(m, pts, &g2)) &&
            EXPECT_OK(fs_model_generate(untrained, pts, &g0))) {
            fs_image_view v;
            CHECKF(get_view(g1, &v) && v.width == GAN_SIZE && v.height == GAN_SIZE && v.format == FS_FORMAT_BGR8,
                   "generated %dx%d %s", (int)v.width, (int)v.height, format_name(v.format));
            CHECKF(images_identical(g1, g2), "two calls on one model drew different faces");
            double trained = centre_mad(g1, crop), before = centre_mad(g0, crop);
            printf("    fs_model_generate vs the aligned face (centre mean |diff|): untrained %.1f, after %d iterations %.1f\n",
                   before, GAN_ITERATIONS, trained);
            CHECKF(trained >= 0 && before > 0 && trained < 0.6 * before, "trained %.2f, untrained %.2f", trained, before);
        }
    }

    /* The trained person reenacted on a 320 x 240 canvas. */
    fs_reenactor *r = NULL;
    fs_image *closed = load_image("fr_rose_leslie1.jpg"), *dogs = load_image("dlib_dogs_noface.jpg");
    fs_image *out[3] = {NULL, NULL, NULL};
    const fs_image *drivers[3] = {closed, dogs, fx->obama};
    if (ok && closed && dogs && EXPECT_OK(fs_reenactor_create_model(fx->det, fx->lm, m, 321, 240, NULL, &r))) {
        for (int i = 0; i < 3; i++) EXPECT_OK(fs_reenactor_push(r, drivers[i], i / 25.0, &out[i]));
        fs_image_view v[3];
        if (out[0] && out[1] && out[2] && get_view(out[0], &v[0]) && get_view(out[1], &v[1]) && get_view(out[2], &v[2])) {
            CHECKF(v[0].width == 320 && v[0].height == 240 && v[0].format == FS_FORMAT_BGR8, "output %dx%d %s",
                   (int)v[0].width, (int)v[0].height, format_name(v[0].format));
            const int cx[4] = {0, 319, 0, 319}, cy[4] = {0, 0, 239, 239};
            for (int k = 0; k < 4; k++) {
                rgba p = pixel_get(&v[0], cx[k], cy[k]);
                CHECKF(p.r == 128 && p.g == 128 && p.b == 128, "corner (%d, %d) is %d %d %d", cx[k], cy[k], p.r, p.g, p.b);
            }
            /* The neutral frame of B: the first frame is the driver's neutral (closed mouth). */
            double neutral = mean_abs_diff(&v[0], &v[1]), open = mean_abs_diff(&v[2], &v[1]);
            CHECKF(neutral >= 0 && neutral < 1, "closed neutral vs B's neutral: %.2f", neutral);
            fs_image *again = NULL;
            if (EXPECT_OK(fs_reenactor_push(r, dogs, 3 / 25.0, &again))) CHECK(images_identical(again, out[1]));
            fs_image_free(again);
            long changed = changed_pixels(&v[2], &v[1]);
            printf("    reenacted: neutral vs B's neutral %.3f, open mouth: %ld pixels changed (mean %.2f)\n", neutral, changed, open);
            CHECKF(changed > 100, "an open mouth changed %ld pixels of B's neutral", changed);
        }
    }
    for (int i = 0; i < 3; i++) fs_image_free(out[i]);
    fs_reenactor_free(r);
    fs_image_free(closed);
    fs_image_free(dogs);
    fs_image_free(crop);
    fs_image_free(g0);
    fs_image_free(g1);
    fs_image_free(g2);
    fs_model_free(untrained);
    fs_model_free(m);
}

/*
 * test_swap_bad_input.c — bad arguments to the swapping functions: NULL pointers, wrong-kind and
 * freed handles, options out of range (each refused naming the option), older option structs.
 */
#include "harness.h"

GROUP(group_swap_null_args, "swap-null-args", FX_SWAP,
      "NULL for every pointer argument of every swapping function -> "
      "INVALID_ARGUMENT with a message (outs NULL, targets untouched); the "
      "optional recognizer and options may be NULL; *_free(NULL) are no-ops") {
    fs_image *t = copy_image(fx->biden);
    fs_face face = fx->biden_face;
    float emb[FS_EMBEDDING_SIZE];
    fs_swap_metrics mt = {.struct_size = sizeof mt};
    fs_swap_options o = swap_defaults();
    size_t n = 0;

    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_recognizer_create(fx->rec_path, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(NULL, fx->obama, &face, emb));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(fx->rec, NULL, &face, emb));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(fx->rec, fx->obama, NULL, emb));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(fx->rec, fx->obama, &face, NULL));

    fs_swapper *sw = (fs_swapper *)&sw;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(NULL, fx->lm, NULL, &o, &sw));
    CHECK(sw == NULL);
    sw = (fs_swapper *)&sw;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, NULL, NULL, &o, &sw));
    CHECK(sw == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, fx->lm, fx->rec, &o, NULL));
    sw = NULL;
    if (EXPECT_OK(fs_swapper_create(fx->det, fx->lm, NULL, NULL, &sw))) { /* both optional */
        CHECK(sw != NULL);
        fs_swapper_free(sw);
    }

    fs_source *src = (fs_source *)&src;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(NULL, fx->obama, 0, &src));
    CHECK(src == NULL);
    src = (fs_source *)&src;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(fx->sw, NULL, 0, &src));
    CHECK(src == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(fx->sw, fx->obama, 0, NULL));
    fs_face f;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face(NULL, &f));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face(fx->src, NULL));

    fs_image *out = (fs_image *)&out, *mask = NULL;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(NULL, fx->src, t, &out, &mask, &n));
    CHECK(out == NULL && mask == NULL);
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, NULL, t, &out, &mask, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, fx->src, NULL, &out, &mask, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, fx->src, t, NULL, &mask, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, fx->src, t, NULL, NULL, NULL));
    CHECK(out == NULL && mask == NULL);

    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(NULL, fx->src, t, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(fx->sw, NULL, t, &n));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(fx->sw, fx->src, NULL, &n));

    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(NULL, fx->src, t, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(fx->sw, NULL, t, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(fx->sw, fx->src, NULL, &face));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(fx->sw, fx->src, t, NULL));
    if (t) CHECKF(images_identical(t, fx->biden), "a failing call wrote into the target");

    fs_image *one[1] = {t};
    const fs_image *cone[1] = {fx->biden};
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(NULL, 1, cone, 1));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(one, 1, NULL, 1));

    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(NULL, fx->obama, fx->biden, t, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(fx->sw, NULL, fx->biden, t, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(fx->sw, fx->obama, NULL, t, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(fx->sw, fx->obama, fx->biden, NULL, &mt));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(fx->sw, fx->obama, fx->biden, t, NULL));

    fs_recognizer_free(NULL);
    fs_swapper_free(NULL);
    fs_source_free(NULL);
    CHECK(true); /* reached */
    fs_image_free(t);
}

GROUP(group_swap_handles, "swap-handles", FX_SWAP,
      "wrong-kind handles (an fs_image as fs_swapper, an fs_swapper as fs_source, "
      "...) and freed sources and swappers -> INVALID_ARGUMENT; wrong-kind and "
      "double frees are ignored; a swapper outlives the detector it was made with") {
    fs_image *img = NULL, *t = copy_image(fx->biden);
    EXPECT_OK(fs_image_create(32, 32, FS_FORMAT_BGR8, &img));
    fs_face face = fx->biden_face, f;
    fs_image *out = NULL;
    fs_source *src = NULL;
    fs_swapper *sw = NULL;
    size_t n = 0;
    float emb[FS_EMBEDDING_SIZE];
    fs_swap_metrics mt = {.struct_size = sizeof mt};
    if (img && t) {
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare((const fs_swapper *)img, fx->obama, 0, &src));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare((const fs_swapper *)fx->src, fx->obama, 0, &src));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(fx->sw, (const fs_image *)fx->src, 0, &src));
        CHECK(src == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, (const fs_source *)fx->sw, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, (const fs_source *)img, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap((const fs_swapper *)fx->src, fx->src, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, fx->src, (const fs_image *)fx->sw, &out, NULL, NULL));
        CHECK(out == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(fx->sw, fx->src, (fs_image *)fx->src, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace((const fs_swapper *)fx->det, fx->src, t, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(fx->sw, (const fs_source *)fx->lm, t, &face));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face((const fs_source *)img, &f));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face((const fs_source *)fx->sw, &f));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create((const fs_detector *)fx->lm, fx->lm, NULL, NULL, &sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, (const fs_landmarker *)fx->det, NULL, NULL, &sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, fx->lm, (const fs_recognizer *)fx->det, NULL, &sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, fx->lm, (const fs_recognizer *)img, NULL, &sw));
        CHECK(sw == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding((const fs_recognizer *)fx->sw, fx->obama, &face, emb));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap((const fs_swapper *)fx->det, fx->obama, fx->biden, t, &mt));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(fx->sw, (const fs_image *)fx->src, fx->biden, t, &mt));
        CHECKF(images_identical(t, fx->biden), "a failing call wrote into the target");

        /* Wrong-kind frees are ignored: the handles still work. */
        fs_source_free((fs_source *)fx->sw);
        fs_swapper_free((fs_swapper *)fx->src);
        fs_recognizer_free((fs_recognizer *)fx->sw);
        fs_image_free((fs_image *)fx->src);
        fs_swapper_free((fs_swapper *)img);
        EXPECT_OK(fs_source_get_face(fx->src, &f));
        EXPECT_ST(FS_ERR_NO_FACE, fs_source_prepare(fx->sw, img, 0, &src)); /* the swapper is live */
        CHECK(src == NULL);
    }

    /* A freed source. */
    fs_source *s2 = new_source(fx->sw, fx->obama, 0);
    if (s2 && t) {
        uintptr_t stale = (uintptr_t)s2;
        fs_source_free(s2);
        s2 = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_get_face((const fs_source *)stale, &f));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap(fx->sw, (const fs_source *)stale, t, &out, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_inplace(fx->sw, (const fs_source *)stale, t, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(fx->sw, (const fs_source *)stale, t, &face));
        fs_source_free((fs_source *)stale); /* double free: ignored */
        CHECK(out == NULL);
        CHECKF(images_identical(t, fx->biden), "a freed source wrote into the target");
    }
    /* A freed swapper; a swapper whose detector was freed. */
    {
        fs_detector_options o = detector_defaults();
        fs_detector *d = NULL;
        if (EXPECT_OK(fs_detector_create(&o, &d))) {
            fs_swapper *sw2 = new_swapper(d, fx->lm, NULL, NULL);
            fs_detector_free(d); /* the swapper keeps its own reference */
            d = NULL;
            fs_source *s3 = new_source(sw2, fx->obama, 0);
            CHECKF(s3 != NULL, "a swapper whose detector handle was freed cannot prepare a source");
            fs_source_free(s3);
            if (sw2) {
                uintptr_t stale = (uintptr_t)sw2;
                fs_swapper_free(sw2);
                sw2 = NULL;
                EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare((const fs_swapper *)stale, fx->obama, 0, &src));
                EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap((const fs_swapper *)stale, fx->src, fx->biden, &out, NULL, NULL));
                fs_swapper_free((fs_swapper *)stale);
                CHECK(true);
            }
        }
    }
    fs_image_free(img);
    fs_image_free(t);
}

/* Accepts the option's C name or the same words with spaces ("face_index" or "face index"). */
static bool message_names(const char *msg, const char *field) {
    char spaced[64];
    snprintf(spaced, sizeof spaced, "%s", field);
    for (char *p = spaced; *p; p++)
        if (*p == '_') *p = ' ';
    return strstr(msg, field) != NULL || strstr(msg, spaced) != NULL;
}

GROUP(group_swap_bad_options, "swap-bad-options", FX_MODELS,
      "fs_swapper_create: struct_size 0/4 -> INVALID_ARGUMENT; mode 7, colour 9, "
      "blend 9 -> UNSUPPORTED; feather 0.9/-0.1/NaN, expression 2/-0.1, erode 1/-0.5, "
      "forehead 1.5, face_index -5, identity_threshold 0/-1/NaN, occlusion 2/-1, "
      "skin_texture 1.5/-0.1/NaN -> "
      "INVALID_ARGUMENT "
      "naming the option (*out NULL); the range ends work; an older, smaller "
      "struct works with the defaults; a 5-point landmarker -> UNSUPPORTED") {
    fs_swap_options o = swap_defaults();
    fs_swapper *sw = (fs_swapper *)&sw;
    o.struct_size = 0;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, fx->lm, NULL, &o, &sw)) == FS_OK) fs_swapper_free(sw);
    CHECK(sw == NULL);
    o.struct_size = 4;
    sw = NULL;
    if (EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, fx->lm, NULL, &o, &sw)) == FS_OK) fs_swapper_free(sw);

    struct {
        const char *name;
        const char *field;
        fs_status want;
        fs_swap_options o;
    } bad[24];
    int nbad = 0;
#define BAD(label, fieldname, status, stmt)              \
    do {                                                 \
        bad[nbad].name = label;                          \
        bad[nbad].field = fieldname;                     \
        bad[nbad].want = status;                         \
        bad[nbad].o = swap_defaults();         \
        { fs_swap_options *op = &bad[nbad].o; stmt; }    \
        nbad++;                                          \
    } while (0)
    BAD("mode 7", "mode", FS_ERR_UNSUPPORTED, op->mode = (fs_convert_mode)7);
    BAD("color 9", "colour", FS_ERR_UNSUPPORTED, op->color = (fs_color_mode)9);
    BAD("blend 9", "blend", FS_ERR_UNSUPPORTED, op->blend = (fs_blend_mode)9);
    BAD("feather 0.9", "feather", FS_ERR_INVALID_ARGUMENT, op->feather = 0.9f);
    BAD("feather -0.1", "feather", FS_ERR_INVALID_ARGUMENT, op->feather = -0.1f);
    BAD("feather NaN", "feather", FS_ERR_INVALID_ARGUMENT, op->feather = NAN);
    BAD("expression 2", "expression", FS_ERR_INVALID_ARGUMENT, op->expression = 2.0f);
    BAD("expression -0.1", "expression", FS_ERR_INVALID_ARGUMENT, op->expression = -0.1f);
    BAD("erode 1", "erode", FS_ERR_INVALID_ARGUMENT, op->erode = 1.0f);
    BAD("erode -0.5", "erode", FS_ERR_INVALID_ARGUMENT, op->erode = -0.5f);
    BAD("forehead 1.5", "forehead", FS_ERR_INVALID_ARGUMENT, op->forehead = 1.5f);
    BAD("face_index -5", "face_index", FS_ERR_INVALID_ARGUMENT, op->face_index = -5);
    BAD("identity_threshold 0", "identity_threshold", FS_ERR_INVALID_ARGUMENT, op->identity_threshold = 0.0f);
    BAD("identity_threshold -1", "identity_threshold", FS_ERR_INVALID_ARGUMENT, op->identity_threshold = -1.0f);
    BAD("identity_threshold NaN", "identity_threshold", FS_ERR_INVALID_ARGUMENT, op->identity_threshold = NAN);
    BAD("occlusion 2", "occlusion", FS_ERR_INVALID_ARGUMENT, op->occlusion = 2);
    BAD("occlusion -1", "occlusion", FS_ERR_INVALID_ARGUMENT, op->occlusion = -1);
    BAD("skin_texture 1.5", "skin_texture", FS_ERR_INVALID_ARGUMENT, op->skin_texture = 1.5f);
    BAD("skin_texture -0.1", "skin_texture", FS_ERR_INVALID_ARGUMENT, op->skin_texture = -0.1f);
    BAD("skin_texture NaN", "skin_texture", FS_ERR_INVALID_ARGUMENT, op->skin_texture = NAN);
#undef BAD
    for (int i = 0; i < nbad; i++) {
        sw = (fs_swapper *)&sw;
        fs_status st = EXPECT_ST(bad[i].want, fs_swapper_create(fx->det, fx->lm, NULL, &bad[i].o, &sw));
        CHECKF(st != FS_OK || sw == NULL, "%s: *out not NULL", bad[i].name);
        if (st == FS_OK) {
            fs_swapper_free(sw);
            sw = NULL;
        }
        if (st == bad[i].want && st != FS_OK) {
            const char *msg = fs_last_error_message();
            bool named = message_names(msg, bad[i].field) || (strcmp(bad[i].field, "colour") == 0 && strstr(msg, "color"));
            CHECKF(named, "%s: the message does not name %s: \"%s\"", bad[i].name, bad[i].field, msg);
        }
    }
    /* The ends of the documented ranges. */
    struct {
        const char *name;
        fs_swap_options o;
    } good[14];
    int ngood = 0;
#define GOOD(label, stmt)                              \
    do {                                               \
        good[ngood].name = label;                      \
        good[ngood].o = swap_defaults();     \
        { fs_swap_options *op = &good[ngood].o; stmt; } \
        ngood++;                                       \
    } while (0)
    GOOD("feather 0", op->feather = 0.0f);
    GOOD("feather 0.5", op->feather = 0.5f);
    GOOD("erode -0.3", op->erode = -0.3f);
    GOOD("erode 0.3", op->erode = 0.3f);
    GOOD("expression 0", op->expression = 0.0f);
    GOOD("expression 1", op->expression = 1.0f);
    GOOD("forehead 0", op->forehead = 0.0f);
    GOOD("forehead 1", op->forehead = 1.0f);
    GOOD("face_index 3", op->face_index = 3);
    GOOD("occlusion 1", op->occlusion = 1);
    GOOD("skin_texture 1", op->skin_texture = 1.0f);
    GOOD("keep_mouth 0, POISSON_EXACT, HISTOGRAM, AFFINE",
         (op->keep_mouth = 0, op->blend = FS_BLEND_POISSON_EXACT, op->color = FS_COLOR_HISTOGRAM, op->mode = FS_CONVERT_AFFINE));
#undef GOOD
    for (int i = 0; i < ngood; i++) {
        sw = NULL;
        fs_status st = fs_swapper_create(fx->det, fx->lm, NULL, &good[i].o, &sw);
        CHECKF(st == FS_OK && sw != NULL, "%s: %s: %s", good[i].name, status_name(st), fs_last_error_message());
        fs_swapper_free(sw);
    }

    /* An older caller: the struct ends before keep_unmatched; what lies after is not read. */
    o = swap_defaults();
    o.struct_size = (uint32_t)offsetof(fs_swap_options, keep_unmatched);
    o.keep_unmatched = 1;
    o.use_reference = 1;            /* would be MODEL without a recognizer */
    o.identity_threshold = -1.0f;   /* would be INVALID_ARGUMENT */
    sw = NULL;
    if (EXPECT_OK(fs_swapper_create(fx->det, fx->lm, NULL, &o, &sw))) {
        fs_image *dogs = load_image("dlib_dogs_noface.jpg");
        fs_source *src = new_source(sw, fx->obama, 0);
        fs_image *out = NULL;
        if (dogs && src) EXPECT_ST(FS_ERR_NO_FACE, fs_swap(sw, src, dogs, &out, NULL, NULL)); /* keep_unmatched 0 */
        fs_image_free(out);
        fs_source_free(src);
        fs_image_free(dogs);
        fs_swapper_free(sw);
    }

    /* A 5-point landmarker cannot drive a swap. */
    char p5[4096];
    if (fs_model_find("shape_predictor_5_face_landmarks.dat", p5, sizeof p5) == FS_OK) {
        fs_landmarker *lm5 = NULL;
        if (EXPECT_OK(fs_landmarker_create(p5, &lm5))) {
            sw = (fs_swapper *)&sw;
            if (EXPECT_ST(FS_ERR_UNSUPPORTED, fs_swapper_create(fx->det, lm5, NULL, NULL, &sw)) == FS_OK) fs_swapper_free(sw);
            CHECK(sw == NULL);
            fs_landmarker_free(lm5);
        }
    } else {
        CHECKF(false, "model file shape_predictor_5_face_landmarks.dat not found (make test installs it): 5-point swapper check not run");
    }
}

/*
 * fixtures.c — what a group asks the runner for (test_group.needs, FX_* in harness.h), made fresh
 * before the group and freed after it.
 *
 * Making a fixture is not what the group tests (the detect, swap-source and swap groups test these
 * same calls, with checks), so a part that is made adds no passed check; a part that cannot be
 * made is one failed check naming the call and the library's message, and the group does not run.
 */
#include "harness.h"

/* One fixture call: true on FS_OK; otherwise a failed check. */
static bool made(fs_status st, const char *what) {
    if (st == FS_OK) return true;
    check_impl(false, __FILE__, __LINE__, "fixture", "%s: %s: %s", what, status_name(st), fs_last_error_message());
    return false;
}

/* A failed check unless `ok`. */
static bool fixture_ok(bool ok, const char *what) {
    if (!ok) check_impl(false, __FILE__, __LINE__, "fixture", "%s", what);
    return ok;
}

static bool load(const char *name, fs_image **out) {
    char p[1024];
    data_path(p, sizeof p, name);
    return made(fs_image_load(p, out), p);
}

/* The one face of img (exactly one found), with landmarks. */
static bool one_face(const fs_detector *det, const fs_landmarker *lm, const fs_image *img, fs_face *face,
                     const char *name) {
    size_t count = 0;
    memset(face, 0, sizeof *face);
    return made(fs_detect(det, img, face, 1, &count), "fs_detect") && fixture_ok(count == 1, name) &&
           made(fs_landmarks_fit(lm, img, face), "fs_landmarks_fit") && fixture_ok(face->num_landmarks == 68, name);
}

static bool open_models(fixture *fx) {
    fs_detector_options o;
    if (!made(FS_DETECTOR_OPTIONS_INIT(&o), "FS_DETECTOR_OPTIONS_INIT") ||
        !made(fs_detector_create(&o, &fx->det), "fs_detector_create") ||
        !made(fs_landmarker_create(NULL, &fx->lm), "fs_landmarker_create (68 points)") ||
        !load("fr_obama1.jpg", &fx->obama) || !load("fr_two_people_obama_biden.jpg", &fx->two) ||
        !one_face(fx->det, fx->lm, fx->obama, &fx->obama_face, "one face in fr_obama1.jpg"))
        return false;
    /* Both faces of `two`: with the default options, or else with upsample 1 (as the detect group). */
    size_t count = 0;
    fx->two_det = fx->det;
    if (!made(fs_detect(fx->det, fx->two, NULL, 0, &count), "fs_detect")) return false;
    if (count != 2) {
        o.upsample = 1;
        if (!made(fs_detector_create(&o, &fx->det_up1), "fs_detector_create (upsample 1)") ||
            !made(fs_detect(fx->det_up1, fx->two, NULL, 0, &count), "fs_detect"))
            return false;
        fx->two_det = fx->det_up1;
    }
    return fixture_ok(count == 2, "two faces in fr_two_people_obama_biden.jpg");
}

static bool open_swap(fixture *fx) {
    return made(fs_model_find("dlib_face_recognition_resnet_model_v1.dat", fx->rec_path, sizeof fx->rec_path),
                "fs_model_find (the recognizer, installed by make test)") &&
           made(fs_recognizer_create(fx->rec_path, &fx->rec), "fs_recognizer_create") &&
           made(fs_swapper_create(fx->det, fx->lm, fx->rec, NULL, &fx->sw), "fs_swapper_create") &&
           made(fs_swapper_create(fx->det, fx->lm, NULL, NULL, &fx->sw_norec), "fs_swapper_create (no recognizer)") &&
           made(fs_source_prepare(fx->sw, fx->obama, 0, &fx->src), "fs_source_prepare") &&
           made(fs_face_embedding(fx->rec, fx->obama, &fx->obama_face, fx->emb_src), "fs_face_embedding") &&
           load("fr_biden2.jpg", &fx->biden) &&
           one_face(fx->det, fx->lm, fx->biden, &fx->biden_face, "one face in fr_biden2.jpg") &&
           made(fs_face_embedding(fx->rec, fx->biden, &fx->biden_face, fx->emb_biden), "fs_face_embedding");
}

static bool open_result(fixture *fx) {
    size_t n = 0;
    return made(fs_swap(fx->sw, fx->src, fx->biden, &fx->result, &fx->mask, &n), "fs_swap") &&
           fixture_ok(n == 1, "fs_swap onto fr_biden2.jpg swapped 1 face");
}

static bool open_jpegs(jpegs *j) {
    char p[1024];
    data_path(p, sizeof p, "fr_obama1.jpg");
    j->obama = read_whole_file(p, &j->obama_size);
    if (!fixture_ok(j->obama != NULL, p)) return false;
    data_path(p, sizeof p, "fr_two_people_obama_biden.jpg");
    j->two = read_whole_file(p, &j->two_size);
    return fixture_ok(j->two != NULL, p);
}

bool fixture_open(fixture *fx, unsigned needs) {
    memset(fx, 0, sizeof *fx);
    if ((needs & FX_JPEGS) && !open_jpegs(&fx->jpeg)) return false;
    if ((needs & FX_MODELS) && !open_models(fx)) return false;
    if ((needs & FX_SWAP & ~FX_MODELS) && !open_swap(fx)) return false;
    if ((needs & FX_RESULT & ~FX_SWAP) && !open_result(fx)) return false;
    return true;
}

void fixture_close(fixture *fx) {
    fs_image_free(fx->result);
    fs_image_free(fx->mask);
    fs_image_free(fx->biden);
    fs_source_free(fx->src);
    fs_swapper_free(fx->sw_norec);
    fs_swapper_free(fx->sw);
    fs_recognizer_free(fx->rec);
    fs_detector_free(fx->det_up1);
    fs_detector_free(fx->det);
    fs_landmarker_free(fx->lm);
    fs_image_free(fx->obama);
    fs_image_free(fx->two);
    free(fx->jpeg.obama);
    free(fx->jpeg.two);
    memset(fx, 0, sizeof *fx);
}

/*
 * test_reenact.c — reenactment: a still photo animated by driving frames (fs_reenactor_*) and by a
 * driving video (fs_reenact_video).
 */
#include "harness.h"

GROUP(group_reenact, "reenact", FX_SWAP,
      "FS_REENACT_OPTIONS_INIT (1, 1, 1, 0, stream defaults); a reenactor of fr_biden2 "
      "cropped to 1199x1199: outputs BGR8 1198x1198; a first driving frame (neutral) with its "
      "mouth closed (fr_rose_leslie1) gives the photo within 3 levels; a frame without a face gives the photo unchanged; reset; "
      "no-face photo -> NO_FACE; 5-point landmarker -> UNSUPPORTED; expression 3, "
      "head_motion 3, struct_size 0, NULL and wrong-kind arguments -> INVALID_ARGUMENT; "
      "fs_reenact_video of vr_face5 (plain and side by side) -> 122 frames; fs_reenact_grid_video of "
      "two photos -> 122 frames; cancel -> CANCELLED and no file left") {
    fs_reenact_options d = reenact_defaults();
    CHECK_STRUCT_SIZE(d);
    CHECKF(close_to(d.expression, 1, 1e-6) && close_to(d.head_motion, 1, 1e-6) && d.mouth_fill == 1 &&
               d.side_by_side == 0,
           "expression %g, head_motion %g, mouth_fill %d, side_by_side %d", d.expression, d.head_motion,
           (int)d.mouth_fill, (int)d.side_by_side);
    CHECKF(d.stream == NULL, "stream %p: the default is NULL (the stream defaults)", (const void *)d.stream);
    fs_stream_options dstream = stream_defaults(); /* the stream defaults, given explicitly */
    d.stream = &dstream;
    /* An odd-sized photo: fr_biden2 without its last row and column (1199 x 1199). */
    fs_image_view bv, pv;
    fs_image *photo = NULL, *dogs = load_image("dlib_dogs_noface.jpg"), *waving = load_image("fr_obama_and_biden_waving.jpg");
    /* The neutral frame's mouth must read closed for "the photo as it is": a neutral whose inner
     * lips are open by more than 0.05 of the eye distance (fr_obama1: 0.067) is taken as a driver
     * that started mid-word, and the photo's mouth opens (the header's fs_reenactor text). */
    fs_image *closed = load_image("fr_rose_leslie1.jpg");
    if (get_view(fx->biden, &bv)) {
        fs_image_view odd = bv;
        odd.width = bv.width - 1 + (bv.width % 2);   /* odd */
        odd.height = bv.height - 1 + (bv.height % 2);
        EXPECT_OK(fs_image_from_view(&odd, &photo));
    }
    fs_reenactor *r = (fs_reenactor *)&r;
    if (!photo || !dogs || !waving || !closed || !get_view(photo, &pv) ||
        !EXPECT_OK(fs_reenactor_create(fx->det, fx->lm, photo, &d, &r))) {
        fs_image_free(closed);
        fs_image_free(photo);
        fs_image_free(dogs);
        fs_image_free(waving);
        return;
    }
    CHECK(r != NULL);
    const int ew = pv.width & ~1, eh = pv.height & ~1;
    const fs_image *drivers[6] = {closed, closed, fx->two, waving, fx->obama, dogs};
    const char *names[6] = {"fr_rose_leslie1 (neutral)", "fr_rose_leslie1", "fr_two_people_obama_biden",
                            "fr_obama_and_biden_waving", "fr_obama1", "dlib_dogs_noface"};
    for (int i = 0; i < 6; i++) {
        fs_image *o = (fs_image *)&o;
        if (!EXPECT_OK(fs_reenactor_push(r, drivers[i], i / 25.0, &o))) continue;
        fs_image_view ov;
        if (o && get_view(o, &ov)) {
            CHECKF(ov.width == ew && ov.height == eh && ov.format == FS_FORMAT_BGR8, "%s: output %dx%d %s, want %dx%d BGR8",
                   names[i], (int)ov.width, (int)ov.height, format_name(ov.format), ew, eh);
            if (ov.width == ew && ov.height == eh && ov.format == pv.format) {
                double mad = mean_abs_diff(&ov, &pv);
                if (i == 0 || i == 1) CHECKF(mad >= 0 && mad < 3, "%s: mean |output - photo| = %.2f", names[i], mad);
                if (i == 5) CHECKF(view_is_crop_of(&ov, &pv), "%s: the photo changed (mean |diff| %.2f)", names[i], mad);
                if (g_verbose) printf("    %s: mean |output - photo| %.2f\n", names[i], mad);
            }
        }
        fs_image_free(o);
    }
    EXPECT_OK(fs_reenactor_reset(r));
    {
        fs_image *o = NULL;
        fs_image_view ov;
        if (EXPECT_OK(fs_reenactor_push(r, dogs, -1, &o)) && get_view(o, &ov))
            CHECKF(ov.width == ew && ov.height == eh && view_is_crop_of(&ov, &pv),
                   "after reset, a frame without a face did not give the photo");
        fs_image_free(o);
        o = NULL;
        if (EXPECT_OK(fs_reenactor_push(r, fx->two, -1, &o)) && get_view(o, &ov)) {
            double mad = mean_abs_diff(&ov, &pv);
            CHECKF(mad >= 0 && mad < 3, "after reset, the new neutral frame: mean |output - photo| = %.2f", mad);
        }
        fs_image_free(o);
    }

    /* Creation errors. */
    {
        fs_reenactor *o = (fs_reenactor *)&o;
        EXPECT_ST(FS_ERR_NO_FACE, fs_reenactor_create(fx->det, fx->lm, dogs, NULL, &o));
        CHECK(o == NULL);
        char p5[4096];
        if (fs_model_find("shape_predictor_5_face_landmarks.dat", p5, sizeof p5) == FS_OK) {
            fs_landmarker *lm5 = NULL;
            if (EXPECT_OK(fs_landmarker_create(p5, &lm5))) {
                o = (fs_reenactor *)&o;
                EXPECT_ST(FS_ERR_UNSUPPORTED, fs_reenactor_create(fx->det, lm5, photo, NULL, &o));
                CHECK(o == NULL);
                fs_landmarker_free(lm5);
            }
        } else {
            CHECKF(false, "model file shape_predictor_5_face_landmarks.dat not found (make test installs it): 5-point check not run");
        }
        struct { const char *what; fs_reenact_options o; } bad[6];
        for (int i = 0; i < 6; i++) bad[i].o = reenact_defaults();
        fs_stream_options bad_stream = stream_defaults(), bad_stream_size = stream_defaults();
        bad_stream.detect_interval = 0;
        bad_stream_size.struct_size = 0;
        bad[0].what = "expression 3";
        bad[0].o.expression = 3;
        bad[1].what = "head_motion 3";
        bad[1].o.head_motion = 3;
        bad[2].what = "struct_size 0";
        bad[2].o.struct_size = 0;
        bad[3].what = "expression -0.5";
        bad[3].o.expression = -0.5f;
        bad[4].what = "stream->detect_interval 0";
        bad[4].o.stream = &bad_stream;
        bad[5].what = "stream->struct_size 0";
        bad[5].o.stream = &bad_stream_size;
        for (int i = 0; i < 6; i++) {
            o = (fs_reenactor *)&o;
            fs_status st = fs_reenactor_create(fx->det, fx->lm, photo, &bad[i].o, &o);
            CHECKF(st == FS_ERR_INVALID_ARGUMENT && o == NULL && fs_last_error_message()[0] != '\0',
                   "fs_reenactor_create with %s gave %s (out %s): \"%s\"", bad[i].what, status_name(st),
                   o ? "not NULL" : "NULL", fs_last_error_message());
            if (st == FS_OK) fs_reenactor_free(o);
        }
        o = (fs_reenactor *)&o;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(NULL, fx->lm, photo, NULL, &o));
        CHECK(o == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(fx->det, NULL, photo, NULL, &o));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(fx->det, fx->lm, NULL, NULL, &o));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create(fx->det, fx->lm, photo, NULL, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_create((const fs_detector *)fx->lm, fx->lm, photo, NULL, &o));
        CHECK(o == NULL);
        fs_image *img = (fs_image *)&img;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push(NULL, fx->obama, 0, &img));
        CHECK(img == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push(r, NULL, 0, &img));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push(r, fx->obama, 0, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push((fs_reenactor *)fx->det, fx->obama, 0, &img));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_reset(NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_reset((fs_reenactor *)fx->lm));
        CHECK(img == NULL);
        fs_reenactor_free(NULL);
    }

    /* Whole videos. */
    char in[1024], out[1024], snap[8192], extra[256];
    video_path(in, sizeof in, "vr_face5.mp4");
    fs_video_stats stats;
    long long size = 0;
    tmp_path(out, sizeof out, "reenact_face5.mp4");
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    progress_rec pr;
    progress_init(&pr, -1);
    if (EXPECT_OK(fs_reenact_video(r, in, out, NULL, progress_cb, &pr, &stats))) {
        CHECKF(stats.frames == 122, "stats.frames %lld", (long long)stats.frames);
        CHECKF(stats.frames_with_faces >= 110 && stats.frames_with_faces <= stats.frames, "frames_with_faces %lld",
               (long long)stats.frames_with_faces);
        CHECKF(file_exists(out, &size) && size > 0, "%s: %lld bytes", out, size);
        CHECKF(pr.calls > 0 && pr.increasing && pr.last_done == 122, "progress: %d calls, increasing %d, last %lld",
               pr.calls, (int)pr.increasing, (long long)pr.last_done);
    }
    fs_reenact_options sbs = reenact_defaults();
    sbs.side_by_side = 1;
    tmp_path(out, sizeof out, "reenact_face5_sbs.mp4");
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    size = 0;
    if (EXPECT_OK(fs_reenact_video(r, in, out, &sbs, NULL, NULL, &stats))) {
        CHECKF(stats.frames == 122, "side by side: stats.frames %lld", (long long)stats.frames);
        CHECKF(file_exists(out, &size) && size > 0, "%s: %lld bytes", out, size);
    }
    /* Two photos by one driver (fs_reenact_grid_video): every driver frame, and a cancel. */
    fs_reenactor *r2 = NULL;
    if (EXPECT_OK(fs_reenactor_create(fx->det, fx->lm, closed, NULL, &r2))) {
        fs_reenactor *const pair[2] = {r, r2};
        tmp_path(out, sizeof out, "reenact_grid_face5.mp4");
        memset(&stats, 0, sizeof stats);
        stats.struct_size = sizeof stats;
        size = 0;
        progress_init(&pr, -1);
        if (EXPECT_OK(fs_reenact_grid_video(pair, 2, 0, in, out, NULL, progress_cb, &pr, &stats))) {
            CHECKF(stats.frames == 122, "grid: stats.frames %lld", (long long)stats.frames);
            CHECKF(file_exists(out, &size) && size > 0, "%s: %lld bytes", out, size);
            CHECKF(pr.last_done == 122, "grid: progress last %lld", (long long)pr.last_done);
        }
        dir_snapshot(g_tmp_dir, snap, sizeof snap);
        tmp_path(out, sizeof out, "reenact_grid_cancelled.mp4");
        progress_init(&pr, 5);
        EXPECT_ST(FS_ERR_CANCELLED, fs_reenact_grid_video(pair, 2, 1, in, out, &sbs, progress_cb, &pr, NULL));
        CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a cancelled fs_reenact_grid_video left \"%s\" in %s",
               extra, g_tmp_dir);
        fs_reenactor_free(r2);
    }
    dir_snapshot(g_tmp_dir, snap, sizeof snap);
    tmp_path(out, sizeof out, "reenact_cancelled.mp4");
    progress_init(&pr, 10);
    EXPECT_ST(FS_ERR_CANCELLED, fs_reenact_video(r, in, out, NULL, progress_cb, &pr, NULL));
    CHECKF(!file_exists(out, NULL), "a cancelled fs_reenact_video left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a cancelled fs_reenact_video left \"%s\" in %s",
           extra, g_tmp_dir);
    char missing[1024];
    video_path(missing, sizeof missing, "no_such_clip_0123.mp4");
    EXPECT_ST(FS_ERR_IO, fs_reenact_video(r, missing, out, NULL, NULL, NULL, NULL)); /* "IO (input missing" */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenact_video(NULL, in, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenact_video(r, NULL, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenact_video(r, in, NULL, NULL, NULL, NULL, NULL));
    CHECKF(!file_exists(out, NULL), "a failing fs_reenact_video left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a failing fs_reenact_video left \"%s\" in %s",
           extra, g_tmp_dir);

    /* A freed reenactor. */
    uintptr_t stale = (uintptr_t)r;
    fs_reenactor_free(r);
    r = NULL;
    fs_image *img = NULL;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_push((fs_reenactor *)stale, fx->obama, 0, &img));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_reenactor_reset((fs_reenactor *)stale));
    fs_reenactor_free((fs_reenactor *)stale); /* double free: ignored */
    CHECK(img == NULL);
    fs_image_free(photo);
    fs_image_free(dogs);
    fs_image_free(closed);
    fs_image_free(waving);
}

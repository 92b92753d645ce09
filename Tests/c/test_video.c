/*
 * test_video.c — frames and video files: fs_stream (tracking, swapping frame by frame, filtered
 * landmarks) and fs_video_swap (whole files, progress, cancel, bad inputs, stats).
 */
#include "harness.h"

static bool stream_options_are_defaults(const fs_stream_options *o, const char *label) {
    bool ok = o->struct_size == sizeof(fs_stream_options) && o->detect_interval == 5 && close_to(o->min_cutoff, 2, 1e-6) &&
              close_to(o->beta, 8, 1e-6) && close_to(o->scene_cut, 28, 1e-6);
    CHECKF(ok, "%s: struct_size %u (sizeof %zu), detect_interval %d, min_cutoff %g, beta %g, scene_cut %g", label,
           (unsigned)o->struct_size, sizeof(fs_stream_options), (int)o->detect_interval, o->min_cutoff, o->beta,
           o->scene_cut);
    return ok;
}

GROUP(group_stream, "stream", FX_SWAP,
      "FS_STREAM_OPTIONS_INIT (5, 2, 8, 28, struct_size); 10 copies of fr_biden2 as RGBA8 "
      "through fs_stream_push_view (caller buffer, padded stride) and fs_stream_push: 1 face "
      "each, pixels outside the grown detector box unchanged, padding intact; "
      "fs_stream_get_faces: 1 face, 68 finite landmarks within 5% of the inter-ocular "
      "distance of fs_landmarks_fit's; a frame without a face -> FS_OK, 0 faces, unchanged; "
      "reset/flush; NULL pointers, bad options, wrong-kind and freed handles -> "
      "INVALID_ARGUMENT") {
    fs_stream_options d = stream_defaults();
    stream_options_are_defaults(&d, "FS_STREAM_OPTIONS_INIT");
    fs_image *rgba = NULL, *dogs = load_image("dlib_dogs_noface.jpg");
    EXPECT_OK(fs_image_convert(fx->biden, FS_FORMAT_RGBA8, &rgba));
    fs_stream *st = (fs_stream *)&st; /* not a handle: must be overwritten */
    if (!rgba || !dogs || !EXPECT_OK(fs_stream_create(fx->sw, fx->src, &d, &st))) {
        fs_image_free(rgba);
        fs_image_free(dogs);
        return;
    }
    CHECK(st != NULL);
    /* The reference: fs_detect + fs_landmarks_fit on the same (unswapped) frame. */
    fs_face ref[4];
    size_t nref = detect_fit(fx->det, fx->lm, rgba, ref, 4);
    CHECKF(nref == 1, "fs_detect found %zu faces in the RGBA8 frame", nref);
    fs_image_view orig;
    if (nref >= 1 && get_view(rgba, &orig)) {
        /* The box grown by 10% per side: the swap's feathered mask stays inside it. */
        fs_rect far = ref[0].box;
        far.x -= 0.1f * far.width;
        far.y -= 0.1f * far.height;
        far.width *= 1.2f;
        far.height *= 1.2f;
        int bad_count = 0, bad_outside = 0, unchanged = 0, bad_padding = 0;
        for (int i = 0; i < 10; i++) {
            size_t n = 99;
            fs_image_view fv;
            fs_status st_push;
            unsigned char *buf = NULL;
            fs_image *frame = NULL;
            if (i % 2 == 0) {
                buf = caller_copy(rgba, 16, &fv);
                if (!buf) continue;
                st_push = EXPECT_ST(FS_OK, fs_stream_push_view(st, &fv, i / 25.0, &n));
                if (!padding_intact(&fv, 16)) bad_padding++;
            } else {
                frame = copy_image(rgba);
                if (!frame) continue;
                st_push = EXPECT_ST(FS_OK, fs_stream_push(st, frame, i / 25.0, &n));
                if (!get_view(frame, &fv)) {
                    fs_image_free(frame);
                    continue;
                }
            }
            if (st_push == FS_OK) {
                if (n != 1) bad_count++;
                long out = changed_outside_rect(&orig, &fv, far), all = changed_pixels(&orig, &fv);
                if (out != 0) {
                    bad_outside++;
                    printf("    frame %d: %ld pixels changed outside the grown box\n", i, out);
                }
                if (all < 1000) unchanged++;
            }
            free(buf);
            fs_image_free(frame);
        }
        CHECKF(bad_count == 0, "%d of 10 frames did not report 1 face swapped", bad_count);
        CHECKF(bad_outside == 0, "%d of 10 frames changed pixels outside the grown detector box", bad_outside);
        CHECKF(unchanged == 0, "%d of 10 frames changed fewer than 1000 pixels (face not swapped)", unchanged);
        CHECKF(bad_padding == 0, "fs_stream_push_view wrote into the stride padding of %d frames", bad_padding);

        fs_face faces[4];
        size_t cnt = 99;
        if (EXPECT_OK(fs_stream_get_faces(st, faces, 4, &cnt))) {
            CHECKF(cnt == 1, "fs_stream_get_faces gave %zu faces", cnt);
            if (cnt >= 1) {
                CHECKF(faces[0].num_landmarks == 68, "num_landmarks %d", (int)faces[0].num_landmarks);
                int nonfinite = 0;
                for (int k = 0; k < 68; k++)
                    if (!isfinite(faces[0].landmarks[k].x) || !isfinite(faces[0].landmarks[k].y)) nonfinite++;
                CHECKF(nonfinite == 0, "%d landmarks are not finite", nonfinite);
                if (faces[0].num_landmarks == 68 && nonfinite == 0) {
                    double err = landmark_mean_error(&faces[0], &ref[0]), iod = inter_ocular(&ref[0]), worst = 0;
                    for (int k = 0; k < 68; k++) {
                        double dk = dist(faces[0].landmarks[k], ref[0].landmarks[k]);
                        if (dk > worst) worst = dk;
                    }
                    CHECKF(err < 0.05 * iod, "stream landmarks %.2f px off fs_landmarks_fit's on average (%.1f%% of "
                           "the %.1f px inter-ocular distance; worst point %.2f px)", err, 100 * err / iod, iod, worst);
                }
            }
        }
        /* capacity 0, faces NULL: the count only. */
        cnt = 99;
        EXPECT_OK(fs_stream_get_faces(st, NULL, 0, &cnt));
        CHECKF(cnt == 1, "capacity 0 gave count %zu", cnt);
    }

    /* A frame without a face. */
    fs_image *dogs_copy = copy_image(dogs);
    size_t n = 99;
    if (dogs_copy && EXPECT_OK(fs_stream_push(st, dogs_copy, -1, &n))) {
        CHECKF(n == 0, "a frame without a face: %zu faces swapped", n);
        CHECKF(images_identical(dogs_copy, dogs), "a frame without a face was changed");
        size_t cnt = 99;
        fs_face faces[2];
        EXPECT_OK(fs_stream_get_faces(st, faces, 2, &cnt));
        CHECKF(cnt == 0, "fs_stream_get_faces after a frame without a face: %zu faces", cnt);
    }
    EXPECT_OK(fs_stream_reset(st));
    EXPECT_OK(fs_stream_flush(st));
    /* After reset, a frame is swapped again; faces_swapped NULL is allowed. */
    fs_image *again = copy_image(rgba);
    if (again) {
        EXPECT_OK(fs_stream_push(st, again, -1, NULL));
        CHECKF(!images_identical(again, rgba), "after fs_stream_reset the face was not swapped");
    }
    fs_image_view gv;
    if (get_view(rgba, &gv)) EXPECT_OK(fs_stream_push_view(st, &gv, -1, NULL));
    fs_image_free(rgba);
    rgba = NULL;

    /* NULL pointers. */
    fs_image_view dv;
    fs_image *t = copy_image(dogs);
    if (t && get_view(t, &dv)) {
        fs_face faces[2];
        size_t cnt = 0;
        n = 99;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push(NULL, t, 0, &n));
        CHECKF(n == 0, "count %zu after a failing fs_stream_push", n);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push(st, NULL, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push_view(NULL, &dv, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push_view(st, NULL, 0, &n));
        fs_image_view nodata = dv;
        nodata.data = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push_view(st, &nodata, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_get_faces(NULL, faces, 2, &cnt));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_get_faces(st, faces, 2, NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_reset(NULL));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_flush(NULL));
        fs_stream *o = (fs_stream *)&o;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(NULL, fx->src, &d, &o));
        CHECK(o == NULL);
        o = (fs_stream *)&o;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(fx->sw, NULL, &d, &o));
        CHECK(o == NULL);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(fx->sw, fx->src, &d, NULL));
        CHECKF(images_identical(t, dogs), "a failing call wrote into the frame");
    }
    fs_stream_free(NULL);

    /* Bad options. */
    {
        struct { const char *what; fs_stream_options o; } bad[4];
        for (int i = 0; i < 4; i++) bad[i].o = stream_defaults();
        bad[0].what = "struct_size 0";
        bad[0].o.struct_size = 0;
        bad[1].what = "detect_interval 0";
        bad[1].o.detect_interval = 0;
        bad[2].what = "min_cutoff -1";
        bad[2].o.min_cutoff = -1;
        bad[3].what = "scene_cut 0";
        bad[3].o.scene_cut = 0;
        for (int i = 0; i < 4; i++) {
            fs_stream *o = (fs_stream *)&o;
            fs_status r = fs_stream_create(fx->sw, fx->src, &bad[i].o, &o);
            CHECKF(r == FS_ERR_INVALID_ARGUMENT && o == NULL && fs_last_error_message()[0] != '\0',
                   "fs_stream_create with %s gave %s (out %s): \"%s\"", bad[i].what, status_name(r),
                   o ? "not NULL" : "NULL", fs_last_error_message());
            if (r == FS_OK) fs_stream_free(o);
        }
        fs_stream_options ok0 = stream_defaults();
        ok0.min_cutoff = 0; /* documented: turns the filter off */
        fs_stream *o = NULL;
        if (EXPECT_OK(fs_stream_create(fx->sw, fx->src, &ok0, &o))) fs_stream_free(o);
    }

    /* Wrong-kind handles; a freed stream. */
    if (t) {
        n = 99;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push((fs_stream *)fx->sw, t, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push((fs_stream *)fx->src, t, 0, &n));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_reset((fs_stream *)fx->sw));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push(st, (fs_image *)st, 0, &n));
        fs_stream *o = NULL;
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create((const fs_swapper *)fx->src, fx->src, NULL, &o));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_create(fx->sw, (const fs_source *)fx->sw, NULL, &o));
        CHECK(o == NULL);
        fs_stream_free((fs_stream *)fx->sw); /* wrong kind: ignored */
        fs_stream *s2 = NULL;
        if (EXPECT_OK(fs_stream_create(fx->sw, fx->src, NULL, &s2))) {
            uintptr_t stale = (uintptr_t)s2;
            fs_stream_free(s2);
            s2 = NULL;
            size_t cnt = 0;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_push((fs_stream *)stale, t, 0, &n));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_get_faces((const fs_stream *)stale, NULL, 0, &cnt));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_reset((fs_stream *)stale));
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_stream_flush((fs_stream *)stale));
            fs_stream_free((fs_stream *)stale); /* double free: ignored */
        }
        /* The swapper still works after the wrong-kind free. */
        fs_source *src2 = NULL;
        EXPECT_ST(FS_ERR_NO_FACE, fs_source_prepare(fx->sw, dogs, 0, &src2));
        CHECKF(images_identical(t, dogs), "a failing call wrote into the frame");
    }
    fs_stream_free(st);
    fs_image_free(t);
    fs_image_free(dogs_copy);
    fs_image_free(again);
    fs_image_free(dogs);
}

GROUP(group_video, "video", FX_SWAP,
      "FS_VIDEO_OPTIONS_INIT; fs_video_swap of videos/vr_face5.mp4 (122 frames, audio) to "
      "a .mp4: FS_OK, 122 frames, >= 110 with faces, the file written, progress increasing to "
      "122; options/progress/stats NULL; cancel at 10 -> CANCELLED and no file left; missing "
      "input -> IO naming it; a text file -> DECODE; .xyz -> UNSUPPORTED; preset "
      "\"nope\", a bad options->stream, stats->struct_size 0 and NULL arguments -> "
      "INVALID_ARGUMENT; stats filled with struct_size = sizeof, untouched on failure") {
    fs_video_options vo = video_defaults();
    CHECK_STRUCT_SIZE(vo);
    CHECKF(vo.crf == 18, "crf %d", (int)vo.crf);
    CHECKF(vo.preset == NULL, "preset \"%s\"", vo.preset ? vo.preset : "");
    CHECKF(vo.stream == NULL, "stream %p: the default is NULL (the stream defaults)", (const void *)vo.stream);
    fs_stream_options vso = stream_defaults(); /* explicit stream options, through the pointer */
    vso.detect_interval = 3;
    vo.stream = &vso;
    char in[1024], out[1024], snap[8192], extra[256];
    video_path(in, sizeof in, "vr_face5.mp4");
    long long size = 0;
    if (!file_exists(in, NULL)) {
        CHECKF(false, "missing %s", in);
        return;
    }
    tmp_path(out, sizeof out, "swap_face5.mp4");
    progress_rec pr;
    progress_init(&pr, -1);
    fs_video_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    if (EXPECT_OK(fs_video_swap(fx->sw, fx->src, in, out, &vo, progress_cb, &pr, &stats))) {
        CHECKF(stats.struct_size == sizeof stats, "stats.struct_size %u", (unsigned)stats.struct_size);
        CHECKF(stats.frames == 122, "stats.frames %lld", (long long)stats.frames);
        CHECKF(stats.frames_with_faces >= 110 && stats.frames_with_faces <= stats.frames, "frames_with_faces %lld",
               (long long)stats.frames_with_faces);
        CHECKF(stats.scene_cuts >= 0 && stats.seconds > 0, "scene_cuts %lld, seconds %g", (long long)stats.scene_cuts,
               stats.seconds);
        CHECKF(file_exists(out, &size) && size > 0, "%s: exists %d, %lld bytes", out, file_exists(out, NULL), size);
        CHECKF(pr.calls > 0 && pr.increasing, "progress: %d calls, increasing %d", pr.calls, (int)pr.increasing);
        CHECKF(pr.last_done == 122, "progress: last done %lld (total %lld)", (long long)pr.last_done,
               (long long)pr.last_total);
        CHECKF(pr.total_ok, "progress: a total below done");
        printf("    vr_face5: %lld frames, %lld with faces, %lld scene cuts, %.2f s, %lld bytes\n",
               (long long)stats.frames, (long long)stats.frames_with_faces, (long long)stats.scene_cuts, stats.seconds,
               size);
    }
    /* options, progress and stats NULL. */
    tmp_path(out, sizeof out, "swap_face5_defaults.mkv");
    size = 0;
    if (EXPECT_OK(fs_video_swap(fx->sw, fx->src, in, out, NULL, NULL, NULL, NULL)))
        CHECKF(file_exists(out, &size) && size > 0, "%s: %lld bytes", out, size);

    /* Cancel at 10: CANCELLED, no output, no temporary file left. */
    dir_snapshot(g_tmp_dir, snap, sizeof snap);
    tmp_path(out, sizeof out, "swap_cancelled.mp4");
    progress_init(&pr, 10);
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    EXPECT_ST(FS_ERR_CANCELLED, fs_video_swap(fx->sw, fx->src, in, out, &vo, progress_cb, &pr, &stats));
    CHECKF(stats.frames == 0 && stats.struct_size == sizeof stats, "a cancelled fs_video_swap wrote stats");
    CHECKF(pr.last_done == 10, "progress called up to %lld after asking to cancel at 10", (long long)pr.last_done);
    CHECKF(!file_exists(out, NULL), "a cancelled fs_video_swap left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a cancelled fs_video_swap left \"%s\" in %s",
           extra, g_tmp_dir);

    /* Bad inputs. */
    tmp_path(out, sizeof out, "swap_bad.mp4");
    char missing[1024], text[1024];
    video_path(missing, sizeof missing, "no_such_clip_0123.mp4");
    EXPECT_ST(FS_ERR_IO, fs_video_swap(fx->sw, fx->src, missing, out, NULL, NULL, NULL, NULL)); /* "IO (input missing" */
    CHECKF(strstr(fs_last_error_message(), "no_such_clip_0123.mp4") != NULL, "the message does not name the path: \"%s\"",
           fs_last_error_message());
    tmp_path(text, sizeof text, "not_a_video.mp4");
    const char *words = "this is a text file, not a video\n";
    CHECK(write_whole_file(text, words, strlen(words)));
    dir_snapshot(g_tmp_dir, snap, sizeof snap);
    EXPECT_ST(FS_ERR_DECODE, fs_video_swap(fx->sw, fx->src, text, out, NULL, NULL, NULL, NULL));
    char xyz[1024];
    tmp_path(xyz, sizeof xyz, "swap_out.xyz");
    EXPECT_ST(FS_ERR_UNSUPPORTED, fs_video_swap(fx->sw, fx->src, in, xyz, NULL, NULL, NULL, NULL));
    CHECKF(!file_exists(xyz, NULL), "an unsupported output extension left %s", xyz);
    fs_video_options bad = video_defaults();
    bad.preset = "nope";
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(fx->sw, fx->src, in, out, &bad, NULL, NULL, NULL));
    bad = video_defaults();
    fs_stream_options bad_stream = stream_defaults();
    bad_stream.detect_interval = 0;
    bad.stream = &bad_stream;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(fx->sw, fx->src, in, out, &bad, NULL, NULL, NULL));
    CHECKF(strstr(fs_last_error_message(), "detect_interval") != NULL, "\"%s\"", fs_last_error_message());
    bad_stream = stream_defaults();
    bad_stream.struct_size = 0;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(fx->sw, fx->src, in, out, &bad, NULL, NULL, NULL));
    CHECKF(strstr(fs_last_error_message(), "options->stream") != NULL, "\"%s\"", fs_last_error_message());
    memset(&stats, 0x5A, sizeof stats);
    stats.struct_size = 0;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(fx->sw, fx->src, in, out, NULL, NULL, NULL, &stats));
    CHECKF(strstr(fs_last_error_message(), "stats->struct_size is 0") != NULL, "\"%s\"", fs_last_error_message());
    CHECKF(stats.struct_size == 0 && stats.frames == (int64_t)0x5A5A5A5A5A5A5A5A, "a refused stats struct was written");
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(NULL, fx->src, in, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(fx->sw, NULL, in, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(fx->sw, fx->src, NULL, out, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap(fx->sw, fx->src, in, NULL, NULL, NULL, NULL, NULL));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_video_swap((const fs_swapper *)fx->src, fx->src, in, out, NULL, NULL, NULL, NULL));
    CHECKF(!file_exists(out, NULL), "a failing fs_video_swap left %s", out);
    CHECKF(!dir_new_entry(g_tmp_dir, snap, extra, sizeof extra), "a failing fs_video_swap left \"%s\" in %s", extra,
           g_tmp_dir);
}

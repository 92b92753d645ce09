/*
 * test_detect.c — finding faces and their landmarks (fs_detect, fs_landmarks_fit, the Haar and
 * 5-point models), the capacity of fs_detect's array, and aligning a face (fs_align_*, fs_affine_*).
 */
#include "harness.h"

GROUP(group_detect, "detect", FX_NONE,
      "real photos: fr_obama1 (1 face), fr_two_people_obama_biden (2), "
      "dlib_dogs_noface (0, FS_OK); square box containing the rect; 68 landmarks "
      "inside the box; eyes ordered, nose tip between and below; inter-ocular "
      "distance 0.25-0.6 of the rect width; fit keeps box/rect/score") {
    /* This group makes, with checks, what FX_MODELS gives the others: into fx, freed by the runner. */
    bool have_obama_face = false;
    fs_detector_options o = detector_defaults();
    CHECK(o.struct_size == sizeof(fs_detector_options));
    CHECK(o.backend == FS_DETECTOR_HOG);
    CHECK(o.model_path == NULL);
    CHECK(o.upsample == -1 && o.min_face_size == 80 && o.downscale == 0.0f && o.margin == 0.5f &&
          o.threshold == 0.0f && o.max_faces == 0);

    fx->det = (fs_detector *)&fx; /* not a handle: must be overwritten */
    if (!EXPECT_OK(fs_detector_create(&o, &fx->det))) {
        fx->det = NULL;
    }
    CHECK(fx->det != NULL);
    fx->lm = NULL;
    EXPECT_ST(FS_OK, fs_landmarker_create(NULL, &fx->lm));
    CHECK(fx->lm != NULL);
    CHECK(fs_landmarker_num_points(fx->lm) == 68);

    fx->obama = load_image("fr_obama1.jpg");
    fx->two = load_image("fr_two_people_obama_biden.jpg");
    fs_image *dogs = load_image("dlib_dogs_noface.jpg");
    fs_image_view v;
    if (get_view(fx->obama, &v)) {
        CHECKF(v.width == 1480 && v.height == 832 && v.format == FS_FORMAT_BGR8, "obama %dx%d %s", (int)v.width,
               (int)v.height, format_name(v.format));
        CHECK(v.data != NULL && v.stride >= (size_t)v.width * 3);
    }

    if (fx->det && fx->lm && fx->obama) {
        fs_face faces[4];
        memset(faces, 0, sizeof faces);
        size_t count = 99;
        if (EXPECT_OK(fs_detect(fx->det, fx->obama, faces, 4, &count))) {
            CHECKF(count == 1, "fr_obama1: %zu faces", count);
            if (count >= 1) {
                fs_face f = faces[0];
                CHECK(f.num_landmarks == 0);
                check_face_geometry(&f, "obama", 1480, 832);
                fs_rect rect0 = f.rect, box0 = f.box;
                float score0 = f.score;
                if (EXPECT_OK(fs_landmarks_fit(fx->lm, fx->obama, &f))) {
                    check_landmarks(&f, "obama");
                    CHECK(memcmp(&rect0, &f.rect, sizeof rect0) == 0 && memcmp(&box0, &f.box, sizeof box0) == 0 &&
                          score0 == f.score);
                    fx->obama_face = f;
                    have_obama_face = f.num_landmarks == 68;
                }
            }
        }
    }

    if (fx->det && fx->lm && fx->two) {
        fs_face faces[4];
        memset(faces, 0, sizeof faces);
        size_t count = 0;
        fx->two_det = fx->det;
        EXPECT_OK(fs_detect(fx->det, fx->two, faces, 4, &count));
        if (count != 2) {
            printf("    note: default options found %zu faces in fr_two_people_obama_biden; trying upsample=1\n", count);
            fs_detector_options o1 = detector_defaults();
            o1.upsample = 1;
            if (EXPECT_OK(fs_detector_create(&o1, &fx->det_up1))) {
                fx->two_det = fx->det_up1;
                EXPECT_OK(fs_detect(fx->det_up1, fx->two, faces, 4, &count));
            }
        }
        CHECKF(count == 2, "fr_two_people_obama_biden: %zu faces", count);
        if (count == 2) {
            CHECKF(faces[0].rect.width * faces[0].rect.height >= faces[1].rect.width * faces[1].rect.height,
                   "not largest first");
            for (int i = 0; i < 2; i++) {
                char label[32];
                snprintf(label, sizeof label, "two[%d]", i);
                check_face_geometry(&faces[i], label, 1126, 661);
                if (EXPECT_OK(fs_landmarks_fit(fx->lm, fx->two, &faces[i]))) check_landmarks(&faces[i], label);
            }
            /* Two different people: the rects do not overlap much. */
            double dx = (faces[0].rect.x + faces[0].rect.width / 2) - (faces[1].rect.x + faces[1].rect.width / 2);
            CHECK(fabs(dx) > faces[0].rect.width * 0.5);
        }
    }

    if (fx->det && dogs) {
        size_t count = 99;
        fs_face faces[2];
        EXPECT_ST(FS_OK, fs_detect(fx->det, dogs, faces, 2, &count));
        CHECKF(count == 0, "dogs: %zu faces", count);
    }

    /* The same photo in other pixel formats gives the same one face. */
    if (fx->det && fx->obama && have_obama_face) {
        fs_pixel_format fmts[2] = {FS_FORMAT_GRAY8, FS_FORMAT_RGBA8};
        for (int i = 0; i < 2; i++) {
            fs_image *c = NULL;
            if (!EXPECT_OK(fs_image_convert(fx->obama, fmts[i], &c))) continue;
            fs_face f;
            size_t count = 0;
            if (EXPECT_OK(fs_detect(fx->det, c, &f, 1, &count))) {
                CHECKF(count == 1, "%s: %zu faces", format_name(fmts[i]), count);
                if (count == 1)
                    CHECKF(fabs(f.rect.x - fx->obama_face.rect.x) < 4 && fabs(f.rect.width - fx->obama_face.rect.width) < 4,
                           "%s rect differs from BGR8's", format_name(fmts[i]));
            }
            fs_image_free(c);
        }
    }

    /* max_faces keeps the largest. */
    if (fx->two && fx->two_det) {
        fs_detector_options o2 = detector_defaults();
        o2.upsample = (fx->two_det == fx->det_up1) ? 1 : 0;
        o2.max_faces = 1;
        fs_detector *d1 = NULL;
        if (EXPECT_OK(fs_detector_create(&o2, &d1))) {
            size_t count = 0;
            fs_face f;
            EXPECT_OK(fs_detect(d1, fx->two, &f, 1, &count));
            CHECKF(count == 1, "max_faces 1 gave %zu", count);
            fs_detector_free(d1);
        }
    }

    /* Tiny images: no face, no error. */
    if (fx->det) {
        fs_image *tiny = NULL;
        if (EXPECT_OK(fs_image_create(1, 1, FS_FORMAT_GRAY8, &tiny))) {
            size_t count = 99;
            EXPECT_ST(FS_OK, fs_detect(fx->det, tiny, NULL, 0, &count));
            CHECK(count == 0);
            fs_image_free(tiny);
        }
    }

    /* fs_landmarks_fit on odd rectangles: empty or non-finite ones are refused; one off the
     * image still gives 68 finite points (dlib extrapolates). */
    if (fx->lm && fx->obama) {
        fs_rect bad_rects[3] = {{100, 100, 0, 0}, {NAN, 0, 50, 50}, {0, 0, INFINITY, 50}};
        for (int i = 0; i < 3; i++) {
            fs_face f;
            memset(&f, 0, sizeof f);
            f.rect = f.box = bad_rects[i];
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit(fx->lm, fx->obama, &f));
            CHECK(f.num_landmarks == 0);
        }
        fs_face f;
        memset(&f, 0, sizeof f);
        f.rect = f.box = (fs_rect){-500, -500, 50, 50};
        if (EXPECT_OK(fs_landmarks_fit(fx->lm, fx->obama, &f))) {
            int finite = 0;
            for (int i = 0; i < f.num_landmarks && i < FS_MAX_LANDMARKS; i++)
                finite += isfinite(f.landmarks[i].x) && isfinite(f.landmarks[i].y);
            CHECK(f.num_landmarks == 68 && finite == 68);
        }
    }

    /* The OpenCV Haar backend, when its cascade is installed: finds the face HOG found. */
    char haar[4096];
    if (fx->obama && have_obama_face &&
        fs_model_find("haarcascade_frontalface_default.xml", haar, sizeof haar) == FS_OK) {
        fs_detector_options oh = detector_defaults();
        oh.backend = FS_DETECTOR_HAAR;
        fs_detector *dh = NULL;
        if (EXPECT_OK(fs_detector_create(&oh, &dh))) {
            fs_face hf[8];
            size_t count = 0;
            if (EXPECT_OK(fs_detect(dh, fx->obama, hf, 8, &count))) {
                CHECKF(count >= 1, "Haar found %zu faces", count);
                fs_rect r = fx->obama_face.rect;
                double cx = r.x + r.width / 2, cy = r.y + r.height / 2;
                bool found = false;
                for (size_t i = 0; i < count && i < 8; i++)
                    found = found || (cx > hf[i].rect.x && cx < hf[i].rect.x + hf[i].rect.width && cy > hf[i].rect.y &&
                                      cy < hf[i].rect.y + hf[i].rect.height);
                CHECKF(found, "no Haar rectangle contains the HOG face's centre");
                if (count >= 1) check_face_geometry(&hf[0], "haar", 1480, 832);
            }
            fs_detector_free(dh);
        }
    } else {
        CHECKF(false, "model file haarcascade_frontalface_default.xml not found (make test installs it): Haar checks not run");
    }

    /* A 5-point predictor, when installed. */
    char p5[4096];
    if (fs_model_find("shape_predictor_5_face_landmarks.dat", p5, sizeof p5) == FS_OK && have_obama_face) {
        fs_landmarker *lm5 = NULL;
        if (EXPECT_OK(fs_landmarker_create(p5, &lm5))) {
            CHECK(fs_landmarker_num_points(lm5) == 5);
            fs_face f = fx->obama_face;
            f.num_landmarks = 0;
            if (EXPECT_OK(fs_landmarks_fit(lm5, fx->obama, &f))) {
                CHECK(f.num_landmarks == 5);
                fs_affine t;
                EXPECT_OK(fs_align_transform(&f, 256, 0.25f, &t));
            }
            /* A freed handle is refused. */
            uintptr_t stale = (uintptr_t)lm5;
            fs_landmarker_free(lm5);
            lm5 = NULL;
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_landmarks_fit((const fs_landmarker *)stale, fx->obama, &f));
            CHECK(fs_landmarker_num_points((const fs_landmarker *)stale) == 0);
        }
    } else {
        CHECKF(false, "model file shape_predictor_5_face_landmarks.dat not found (make test installs it): 5-point checks not run");
    }
    fs_image_free(dogs);
}

GROUP(group_capacity, "capacity", FX_MODELS,
      "fs_detect: capacity 0 with faces NULL gives FS_OK and the count; "
      "capacity 1 on the two-face image writes 1 face, count 2, the rest untouched") {
    size_t count = 77;
    EXPECT_ST(FS_OK, fs_detect(fx->two_det, fx->two, NULL, 0, &count));
    CHECKF(count == 2, "count %zu", count);

    fs_face all[2];
    memset(all, 0, sizeof all);
    count = 0;
    EXPECT_ST(FS_OK, fs_detect(fx->two_det, fx->two, all, 2, &count));

    fs_face faces[2];
    memset(faces, 0xAB, sizeof faces);
    fs_face sentinel;
    memset(&sentinel, 0xAB, sizeof sentinel);
    count = 0;
    EXPECT_ST(FS_OK, fs_detect(fx->two_det, fx->two, faces, 1, &count));
    CHECKF(count == 2, "count %zu", count);
    CHECK(faces[0].rect.width > 0 && faces[0].num_landmarks == 0);
    CHECK(memcmp(&faces[0].rect, &all[0].rect, sizeof(fs_rect)) == 0); /* the largest */
    CHECKF(memcmp(&faces[1], &sentinel, sizeof sentinel) == 0, "faces[1] was written past capacity");

    /* capacity > 0 with faces NULL is an argument error. */
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_detect(fx->two_det, fx->two, NULL, 1, &count));
}

GROUP(group_align, "align", FX_MODELS,
      "fs_align_transform(256, 0.25) + fs_affine_apply put the eyes within 3% of the "
      "template's; the transform is a similarity; invert∘transform = identity; "
      "fs_align_crop gives 256x256 of the same format; template fits [p·s,(1−p)·s]; "
      "crop direction and border replication on a synthetic image") {
    fs_point tmpl[FS_MAX_LANDMARKS];
    if (EXPECT_OK(fs_align_template(256, 0.25f, tmpl))) {
        float minx = 1e9f, maxx = -1e9f, miny = 1e9f, maxy = -1e9f;
        for (int i = 17; i < 68; i++) {
            if (tmpl[i].x < minx) minx = tmpl[i].x;
            if (tmpl[i].x > maxx) maxx = tmpl[i].x;
            if (tmpl[i].y < miny) miny = tmpl[i].y;
            if (tmpl[i].y > maxy) maxy = tmpl[i].y;
        }
        CHECKF(minx >= 63.5f && maxx <= 192.5f && miny >= 63.5f && maxy <= 192.5f,
               "inner points span x %g..%g y %g..%g, want inside 64..192", minx, maxx, miny, maxy);
        CHECKF(close_to(maxx - minx, 128, 0.5) || close_to(maxy - miny, 128, 0.5), "span %g x %g", maxx - minx,
               maxy - miny);
        CHECKF(close_to((minx + maxx) / 2, 128, 0.5) && close_to((miny + maxy) / 2, 128, 0.5), "not centred");
        fs_point tle = mean_points(tmpl, 36, 41), tre = mean_points(tmpl, 42, 47);
        CHECK(tle.x < tre.x && close_to(tle.y, tre.y, 1.0));
        CHECK(tmpl[30].y > tle.y && tmpl[30].x > tle.x && tmpl[30].x < tre.x);
    }
    fs_point t0[FS_MAX_LANDMARKS];
    EXPECT_OK(fs_align_template(256, 0.0f, t0));
    EXPECT_OK(fs_align_template(8, 0.45f, t0));
    EXPECT_OK(fs_align_template(4096, 0.25f, t0));

    fs_affine t;
    if (EXPECT_OK(fs_align_transform(&fx->obama_face, 256, 0.25f, &t))) {
        /* Similarity: [a -b; b a]. */
        double s = hypot(t.m[0], t.m[3]);
        CHECKF(s > 0 && close_to(t.m[0], t.m[4], 1e-9 * s + 1e-12) && close_to(t.m[1], -t.m[3], 1e-9 * s + 1e-12),
               "not a similarity: %g %g %g %g", t.m[0], t.m[1], t.m[3], t.m[4]);
        fs_point pts[FS_MAX_LANDMARKS];
        memcpy(pts, fx->obama_face.landmarks, sizeof pts);
        if (EXPECT_OK(fs_affine_apply(&t, pts, 68))) {
            fs_point le = mean_points(pts, 36, 41), re = mean_points(pts, 42, 47);
            fs_point tle = mean_points(tmpl, 36, 41), tre = mean_points(tmpl, 42, 47);
            CHECKF(dist(le, tle) < 0.03 * 256, "left eye off by %.2f px", dist(le, tle));
            CHECKF(dist(re, tre) < 0.03 * 256, "right eye off by %.2f px", dist(re, tre));
            int inside = 0;
            for (int i = 0; i < 68; i++) inside += pts[i].x >= 0 && pts[i].x < 256 && pts[i].y >= 0 && pts[i].y < 256;
            CHECKF(inside == 68, "%d of 68 aligned landmarks inside the crop", inside);
        }
        fs_affine ti;
        if (EXPECT_OK(fs_affine_invert(&t, &ti))) {
            /* Composition in double: ti ∘ t = identity. */
            double c[6] = {
                ti.m[0] * t.m[0] + ti.m[1] * t.m[3],           ti.m[0] * t.m[1] + ti.m[1] * t.m[4],
                ti.m[0] * t.m[2] + ti.m[1] * t.m[5] + ti.m[2], ti.m[3] * t.m[0] + ti.m[4] * t.m[3],
                ti.m[3] * t.m[1] + ti.m[4] * t.m[4],           ti.m[3] * t.m[2] + ti.m[4] * t.m[5] + ti.m[5]};
            double id[6] = {1, 0, 0, 0, 1, 0};
            double worst = 0;
            for (int i = 0; i < 6; i++)
                if (fabs(c[i] - id[i]) > worst) worst = fabs(c[i] - id[i]);
            CHECKF(worst < 1e-6, "inverse∘transform differs from identity by %g", worst);
            fs_point probe[4] = {{0, 0}, {1479, 831}, {700.5f, 300.25f}, {fx->obama_face.landmarks[30].x, fx->obama_face.landmarks[30].y}};
            fs_point orig[4];
            memcpy(orig, probe, sizeof orig);
            EXPECT_OK(fs_affine_apply(&t, probe, 4));
            EXPECT_OK(fs_affine_apply(&ti, probe, 4));
            double err = 0;
            for (int i = 0; i < 4; i++)
                if (dist(probe[i], orig[i]) > err) err = dist(probe[i], orig[i]);
            CHECKF(err < 1e-3, "round trip error %g px", err);
        }
        fs_image *crop = NULL;
        if (EXPECT_OK(fs_align_crop(fx->obama, &t, 256, &crop))) {
            fs_image_view cv;
            if (get_view(crop, &cv)) {
                CHECK(cv.width == 256 && cv.height == 256 && cv.format == FS_FORMAT_BGR8 && cv.stride >= 256 * 3);
                /* Not a flat colour: a face is in it. */
                long sum = 0, sum2 = 0;
                for (int y = 0; y < 256; y += 4)
                    for (int x = 0; x < 256; x += 4) {
                        int g = pixel_get(&cv, x, y).g;
                        sum += g;
                        sum2 += (long)g * g;
                    }
                double n = 64.0 * 64.0, mean = (double)sum / n, var = (double)sum2 / n - mean * mean;
                CHECKF(var > 100, "crop variance %g", var);
            }
            fs_image_free(crop);
        }
        /* A GRAY8 source gives a GRAY8 crop. */
        fs_image *gray = NULL;
        if (EXPECT_OK(fs_image_convert(fx->obama, FS_FORMAT_GRAY8, &gray))) {
            fs_image *gc = NULL;
            if (EXPECT_OK(fs_align_crop(gray, &t, 128, &gc))) {
                fs_image_view gv;
                if (get_view(gc, &gv)) CHECK(gv.width == 128 && gv.height == 128 && gv.format == FS_FORMAT_GRAY8);
                fs_image_free(gc);
            }
            fs_image_free(gray);
        }
    }

    /* Crop direction (transform maps image → crop) and replicated border, exactly. */
    fs_image *g = make_image(64, 48, FS_FORMAT_RGB8, gradient_at);
    if (g) {
        fs_affine shift = {{1, 0, -5, 0, 1, -3}}; /* crop(x, y) = image(x + 5, y + 3) */
        fs_image *c = NULL;
        if (EXPECT_OK(fs_align_crop(g, &shift, 32, &c))) {
            fs_image_view cv;
            if (get_view(c, &cv)) {
                int bad = 0;
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++) {
                        rgba a = pixel_get(&cv, x, y), b = gradient_at(x + 5, y + 3);
                        bad += a.r != b.r || a.g != b.g || a.b != b.b;
                    }
                CHECKF(bad == 0 && cv.format == FS_FORMAT_RGB8, "%d pixels differ from the shifted image", bad);
            }
            fs_image_free(c);
        }
        fs_affine ident = {{1, 0, 0, 0, 1, 0}};
        c = NULL;
        if (EXPECT_OK(fs_align_crop(g, &ident, 80, &c))) {
            fs_image_view cv;
            if (get_view(c, &cv)) {
                rgba a = pixel_get(&cv, 75, 10), b = gradient_at(63, 10);
                rgba a2 = pixel_get(&cv, 20, 70), b2 = gradient_at(20, 47);
                CHECKF(a.r == b.r && a.g == b.g && a.b == b.b && a2.r == b2.r && a2.g == b2.g && a2.b == b2.b,
                       "border not replicated");
            }
            fs_image_free(c);
        }
        fs_image_free(g);
    }
    /* fs_affine_apply with count 0 touches nothing. */
    {
        fs_affine ident = {{1, 0, 0, 0, 1, 0}};
        fs_point p = {1, 2};
        EXPECT_OK(fs_affine_apply(&ident, &p, 0));
        CHECK(p.x == 1 && p.y == 2);
        fs_affine sc = {{2, 0, 1, 0, 3, -1}};
        EXPECT_OK(fs_affine_apply(&sc, &p, 1));
        CHECK(p.x == 3 && p.y == 5);
    }
}

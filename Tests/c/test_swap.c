/*
 * test_swap.c — swapping faces: the recognizer, swapper and source (swap-source), fs_swap and
 * what its result must be, fs_eval_swap, every conversion/colour/blend mode and pixel format,
 * fs_swap_inplace and fs_swap_face, choosing faces (face_index, no face, a reference identity),
 * fs_color_mean_shift, embeddings. (Bad input to these: test_swap_bad_input.c.)
 */
#include "harness.h"

GROUP(group_swap_source, "swap-source", FX_MODELS,
      "recognizer, swapper over the detector and "
      "landmarker; fs_source_prepare(fr_obama1.jpg, 0); fs_source_get_face gives "
      "68 landmarks, rect and box in the source image's coordinates = fs_detect + "
      "fs_landmarks_fit on it within 0.5 px; the source image may be freed") {
    /* This group makes, with checks, what FX_SWAP adds to FX_MODELS: into fx, freed by the runner. */
    fs_face src_face;
    bool have_src_face = false, have_biden_face = false;
    if (fs_model_find("dlib_face_recognition_resnet_model_v1.dat", fx->rec_path, sizeof fx->rec_path) == FS_OK) {
        fx->rec = (fs_recognizer *)&fx->rec; /* not a handle: must be overwritten */
        if (!EXPECT_OK(fs_recognizer_create(fx->rec_path, &fx->rec))) fx->rec = NULL;
        CHECK(fx->rec != NULL);
    } else {
        fx->rec_path[0] = '\0';
        CHECKF(false, "model file dlib_face_recognition_resnet_model_v1.dat not found (make test installs it): identity checks not run");
    }
    fx->sw = (fs_swapper *)&fx->sw;
    if (!EXPECT_OK(fs_swapper_create(fx->det, fx->lm, fx->rec, NULL, &fx->sw))) fx->sw = NULL;
    CHECK(fx->sw != NULL);
    fx->sw_norec = new_swapper(fx->det, fx->lm, NULL, NULL);

    /* The source image, loaded here and freed after preparing: the source keeps what it needs. */
    fs_image *obama = load_image("fr_obama1.jpg");
    fs_face faces[4];
    if (obama && detect_fit(fx->det, fx->lm, obama, faces, 4) == 1) {
        src_face = faces[0];
        have_src_face = faces[0].num_landmarks == 68;
    }
    CHECK(have_src_face);
    if (fx->sw && obama) {
        fx->src = (fs_source *)&fx->src;
        if (!EXPECT_OK(fs_source_prepare(fx->sw, obama, 0, &fx->src))) fx->src = NULL;
        CHECK(fx->src != NULL);
    }
    if (fx->rec && obama && have_src_face) {
        EXPECT_OK(fs_face_embedding(fx->rec, obama, &src_face, fx->emb_src));
    }
    fs_image_free(obama);
    obama = NULL;

    if (fx->src && have_src_face) {
        fs_face f;
        memset(&f, 0xAB, sizeof f);
        if (EXPECT_OK(fs_source_get_face(fx->src, &f))) {
            CHECKF(f.num_landmarks == 68, "num_landmarks %d", (int)f.num_landmarks);
            double worst = 0;
            for (int i = 0; i < 68 && f.num_landmarks == 68; i++) {
                double d = dist(f.landmarks[i], src_face.landmarks[i]);
                if (!(d <= worst)) worst = d; /* NaN sticks */
            }
            CHECKF(worst <= 0.5, "a source landmark is %.3f px from fs_detect + fs_landmarks_fit's", worst);
            CHECKF(close_to(f.rect.x, src_face.rect.x, 0.5) && close_to(f.rect.y, src_face.rect.y, 0.5) &&
                       close_to(f.rect.width, src_face.rect.width, 0.5) &&
                       close_to(f.rect.height, src_face.rect.height, 0.5),
                   "rect (%g,%g %gx%g) vs (%g,%g %gx%g)", f.rect.x, f.rect.y, f.rect.width, f.rect.height,
                   src_face.rect.x, src_face.rect.y, src_face.rect.width, src_face.rect.height);
            CHECKF(close_to(f.box.x, src_face.box.x, 0.5) && close_to(f.box.y, src_face.box.y, 0.5) &&
                       close_to(f.box.width, src_face.box.width, 0.5),
                   "box (%g,%g %gx%g) vs (%g,%g %gx%g)", f.box.x, f.box.y, f.box.width, f.box.height,
                   src_face.box.x, src_face.box.y, src_face.box.width, src_face.box.height);
            check_landmarks(&f, "source");
            /* Twice gives the same. */
            fs_face g;
            memset(&g, 0, sizeof g);
            EXPECT_OK(fs_source_get_face(fx->src, &g));
            CHECK(memcmp(&g.landmarks, &f.landmarks, sizeof f.landmarks) == 0);
        }
    }

    /* The target: fr_biden2.jpg, one face. */
    fx->biden = load_image("fr_biden2.jpg");
    if (fx->biden) {
        size_t n = detect_fit(fx->det, fx->lm, fx->biden, faces, 4);
        CHECKF(n == 1, "fr_biden2: %zu faces", n);
        if (n >= 1) {
            fx->biden_face = faces[0];
            have_biden_face = faces[0].num_landmarks == 68;
        }
        if (fx->rec && have_biden_face) {
            if (EXPECT_OK(fs_face_embedding(fx->rec, fx->biden, &fx->biden_face, fx->emb_biden))) {
                float d = fs_embedding_distance(fx->emb_src, fx->emb_biden);
                CHECKF(d > 0.6f, "Obama and Biden are only %.3f apart", d);
            }
        }
    }
}

GROUP(group_swap, "swap", FX_SWAP,
      "fs_swap fr_obama1 -> fr_biden2: the target's size and format, 1 face swapped, a "
      "GRAY8 mask of the target's size; pixels with mask == 0 byte-identical to the "
      "target; mean |diff| > 5 where mask > 200; the target unchanged; landmarks "
      "re-detected on the result within 5% of the target's inter-ocular distance; with "
      "the recognizer the result is nearer the source than the target; NULL mask and "
      "faces_swapped give the same pixels") {
    fs_image *before = copy_image(fx->biden);
    fs_image *out = (fs_image *)&out, *mask = (fs_image *)&mask;
    size_t n = 99;
    if (!EXPECT_OK(fs_swap(fx->sw, fx->src, fx->biden, &out, &mask, &n))) {
        fs_image_free(before);
        return;
    }
    CHECK(out != NULL && out != fx->biden && mask != NULL && mask != out);
    CHECKF(n == 1, "faces_swapped %zu", n);
    fs_image_view tv, rv, mv;
    if (get_view(fx->biden, &tv) && get_view(out, &rv) && get_view(mask, &mv)) {
        CHECKF(rv.width == tv.width && rv.height == tv.height && rv.format == tv.format, "result %dx%d %s, target %dx%d %s",
               (int)rv.width, (int)rv.height, format_name(rv.format), (int)tv.width, (int)tv.height,
               format_name(tv.format));
        CHECKF(mv.width == tv.width && mv.height == tv.height && mv.format == FS_FORMAT_GRAY8, "mask %dx%d %s",
               (int)mv.width, (int)mv.height, format_name(mv.format));
        swap_diff d;
        if (diff_views(&tv, &rv, &mv, &d)) {
            CHECKF(d.outside_changed == 0, "%ld pixels with mask 0 differ from the target", d.outside_changed);
            CHECKF(d.inside > 1000, "only %ld pixels with mask > 200", d.inside);
            CHECKF(d.inside_mad > 5, "mean |diff| where mask > 200 is %.2f: the face did not change", d.inside_mad);
            /* The mask lies around the target's face. */
            CHECKF(d.masked > 0 && box_inside(d.mx0, d.my0, d.mx1, d.my1, fx->biden_face.box),
                   "mask spans x %d..%d y %d..%d, the face's box is (%g,%g %gx%g)", d.mx0, d.mx1, d.my0, d.my1,
                   fx->biden_face.box.x, fx->biden_face.box.y, fx->biden_face.box.width, fx->biden_face.box.height);
        }
    }
    CHECKF(before && images_identical(before, fx->biden), "fs_swap changed its target");

    /* Re-detect on the result. */
    fs_face rf[4];
    size_t rn = detect_fit(fx->det, fx->lm, out, rf, 4);
    CHECKF(rn == 1, "%zu faces re-detected in the result", rn);
    if (rn >= 1) {
        size_t best = 0;
        fs_point tc = rect_centre(fx->biden_face.rect);
        for (size_t i = 1; i < rn && i < 4; i++)
            if (dist(rect_centre(rf[i].rect), tc) < dist(rect_centre(rf[best].rect), tc)) best = i;
        double err = landmark_mean_error(&rf[best], &fx->biden_face), iod = inter_ocular(&fx->biden_face);
        CHECKF(err < 0.05 * iod, "re-detected landmarks are %.2f px off on average (%.1f%% of the %.1f px "
               "inter-ocular distance)", err, 100 * err / iod, iod);
        float e[FS_EMBEDDING_SIZE];
        if (EXPECT_OK(fs_face_embedding(fx->rec, out, &rf[best], e))) {
            float ds = fs_embedding_distance(e, fx->emb_src), dt = fs_embedding_distance(e, fx->emb_biden);
            CHECKF(ds < dt, "result->source %.3f, result->target %.3f", ds, dt);
            printf("    identity: result->source %.3f, result->target %.3f\n", ds, dt);
        }
    }

    /* mask and faces_swapped NULL: the same result. */
    fs_image *out2 = NULL;
    if (EXPECT_OK(fs_swap(fx->sw, fx->src, fx->biden, &out2, NULL, NULL))) {
        CHECKF(images_identical(out, out2), "a second fs_swap (mask NULL) gave different pixels");
        fs_image_free(out2);
    }
    fs_image_free(out);
    fs_image_free(mask);
    fs_image_free(before);
}

GROUP(group_swap_eval, "swap-eval", FX_RESULT,
      "fs_eval_swap on the swap result: landmark_error < 0.05, changed_outside == 0, "
      "seam_score 0.8..1.25, redetected 1, edge steps finite; identity fields finite (source nearer) "
      "with the recognizer, NaN without; the target as its own result (edge steps exactly 0); sizes that "
      "differ -> INVALID_ARGUMENT; a target without a face -> NO_FACE; metrics->struct_size "
      "0/4/7/too large -> INVALID_ARGUMENT, untouched; an older, smaller struct gets only its bytes") {
    fs_swap_metrics mt;
    mt.struct_size = sizeof mt;
    mt.identity_to_source = mt.identity_to_target = mt.landmark_error = mt.changed_outside = mt.seam_score = -7;
    mt.redetected = -7;
    mt.edge_step_worst = mt.edge_step_mean = NAN;
    if (EXPECT_OK(fs_eval_swap(fx->sw, fx->obama, fx->biden, fx->result, &mt))) {
        CHECKF(mt.struct_size == sizeof mt, "struct_size %u after the call", (unsigned)mt.struct_size);
        printf("    metrics: identity_to_source %.3f identity_to_target %.3f landmark_error %.4f changed_outside "
               "%g seam_score %.3f redetected %d\n",
               mt.identity_to_source, mt.identity_to_target, mt.landmark_error, mt.changed_outside, mt.seam_score,
               (int)mt.redetected);
        CHECKF(mt.landmark_error >= 0 && mt.landmark_error < 0.05, "landmark_error %g", mt.landmark_error);
        CHECKF(mt.changed_outside == 0, "changed_outside %g", mt.changed_outside);
        CHECKF(mt.seam_score >= 0.8 && mt.seam_score <= 1.25, "seam_score %g", mt.seam_score);
        CHECKF(mt.redetected == 1, "redetected %d", (int)mt.redetected);
        printf("    edge step: worst sector %.3f, mean %.3f (CIE dE76)\n", mt.edge_step_worst, mt.edge_step_mean);
        CHECKF(isfinite(mt.edge_step_worst) && isfinite(mt.edge_step_mean) && mt.edge_step_worst >= mt.edge_step_mean,
               "edge steps %g %g", mt.edge_step_worst, mt.edge_step_mean);
        CHECKF(isfinite(mt.identity_to_source) && isfinite(mt.identity_to_target), "identity %g %g",
               mt.identity_to_source, mt.identity_to_target);
        CHECKF(mt.identity_to_source < mt.identity_to_target, "identity_to_source %g >= identity_to_target %g",
               mt.identity_to_source, mt.identity_to_target);
    }
    fs_swap_metrics m2;
    memset(&m2, 0, sizeof m2);
    m2.struct_size = sizeof m2;
    if (EXPECT_OK(fs_eval_swap(fx->sw_norec, fx->obama, fx->biden, fx->result, &m2))) {
        CHECKF(isnan(m2.identity_to_source) && isnan(m2.identity_to_target), "identity %g %g without a recognizer",
               m2.identity_to_source, m2.identity_to_target);
        CHECKF(close_to(m2.landmark_error, mt.landmark_error, 1e-9) && m2.changed_outside == mt.changed_outside &&
                   close_to(m2.seam_score, mt.seam_score, 1e-9) && m2.redetected == mt.redetected &&
                   m2.edge_step_worst == mt.edge_step_worst && m2.edge_step_mean == mt.edge_step_mean,
               "metrics without the recognizer differ: %g %g %g %d", m2.landmark_error, m2.changed_outside,
               m2.seam_score, (int)m2.redetected);
    }
    /* No swap at all: the target as the result. */
    fs_swap_metrics m3;
    memset(&m3, 0, sizeof m3);
    m3.struct_size = sizeof m3;
    if (EXPECT_OK(fs_eval_swap(fx->sw, fx->obama, fx->biden, fx->biden, &m3))) {
        CHECKF(m3.landmark_error < 0.01 && m3.changed_outside == 0 && m3.redetected == 1,
               "unchanged target: landmark_error %g changed_outside %g redetected %d", m3.landmark_error,
               m3.changed_outside, (int)m3.redetected);
        CHECKF(close_to(m3.seam_score, 1.0, 1e-6), "unchanged target: seam_score %g", m3.seam_score);
        CHECKF(m3.edge_step_worst == 0 && m3.edge_step_mean == 0, "unchanged target: edge steps %g %g",
               m3.edge_step_worst, m3.edge_step_mean);
        CHECKF(m3.identity_to_target < 0.01 && m3.identity_to_source > m3.identity_to_target,
               "unchanged target: identity_to_target %g, identity_to_source %g", m3.identity_to_target,
               m3.identity_to_source);
    }
    fs_image *small = NULL, *dogs = load_image("dlib_dogs_noface.jpg");
    EXPECT_OK(fs_image_create(64, 64, FS_FORMAT_BGR8, &small));
    if (small) EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(fx->sw, fx->obama, fx->biden, small, &mt));
    if (dogs) EXPECT_ST(FS_ERR_NO_FACE, fs_eval_swap(fx->sw, fx->obama, dogs, dogs, &mt));
    /* The caller's struct_size: 0, below the first field, over FS_STRUCT_SIZE_MAX -> refused, untouched; a
     * smaller (older) struct gets only its bytes, struct_size kept. */
    {
        struct { fs_swap_metrics m; unsigned char canary[64]; } w;
        const uint32_t sizes[] = {0, 4, 7, FS_STRUCT_SIZE_MAX + 1, 0xFFFFFFFFu};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            memset(&w, 0x5A, sizeof w);
            w.m.struct_size = sizes[i];
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_eval_swap(fx->sw, fx->obama, fx->biden, fx->result, &w.m));
            CHECKF(strstr(fs_last_error_message(), "metrics->struct_size") != NULL, "struct_size %u: \"%s\"",
                   (unsigned)sizes[i], fs_last_error_message());
            bool untouched = w.m.struct_size == sizes[i];
            for (size_t k = 4; k < sizeof w; k++) untouched = untouched && ((unsigned char *)&w)[k] == 0x5A;
            CHECKF(untouched, "struct_size %u: a refused metrics struct was written", (unsigned)sizes[i]);
        }
        memset(&w, 0x5A, sizeof w);
        w.m.struct_size = (uint32_t)offsetof(fs_swap_metrics, identity_to_target); /* ends after identity_to_source */
        if (EXPECT_OK(fs_eval_swap(fx->sw, fx->obama, fx->biden, fx->result, &w.m))) {
            CHECKF(w.m.struct_size == offsetof(fs_swap_metrics, identity_to_target), "struct_size %u",
                   (unsigned)w.m.struct_size);
            CHECKF(w.m.redetected == 1 && (close_to(w.m.identity_to_source, mt.identity_to_source, 1e-9) ||
                                           (isnan(w.m.identity_to_source) && isnan(mt.identity_to_source))),
                   "redetected %d, identity_to_source %g", (int)w.m.redetected, w.m.identity_to_source);
            bool untouched = true;
            for (size_t k = offsetof(fs_swap_metrics, identity_to_target); k < sizeof w; k++)
                untouched = untouched && ((unsigned char *)&w)[k] == 0x5A;
            CHECKF(untouched, "bytes past the caller's struct_size were written");
        }
    }
    fs_image_free(small);
    fs_image_free(dogs);
}

GROUP(group_swap_modes, "swap-modes", FX_MODELS,
      "sn_adele_2016 -> fr_rose_leslie2 with every conversion x colour x blend mode "
      "(2 x 4 x 4): FS_OK, 1 face, pixels with mask 0 identical, the face changed; "
      "RGB8, BGRA8, RGBA8 and GRAY8 targets keep their format, the pixels outside "
      "the mask and (4-byte formats) every alpha byte") {
    fs_image *adele = load_image("sn_adele_2016.jpg"), *rose = load_image("fr_rose_leslie2.jpg");
    if (!adele || !rose) {
        fs_image_free(adele);
        fs_image_free(rose);
        return;
    }
    static const char *mode_names[] = {"AFFINE", "DELAUNAY"};
    static const char *color_names[] = {"NONE", "MEAN", "REINHARD", "HISTOGRAM"};
    static const char *blend_names[] = {"ALPHA", "POISSON", "MULTIBAND", "POISSON_EXACT"};
    int combos_ok = 0;
    for (int mode = 0; mode < 2; mode++)
        for (int color = 0; color < 4; color++)
            for (int blend = 0; blend < 4; blend++) {
                char label[96];
                snprintf(label, sizeof label, "%s/%s/%s", mode_names[mode], color_names[color], blend_names[blend]);
                fs_swap_options o = swap_defaults();
                o.mode = (fs_convert_mode)mode;
                o.color = (fs_color_mode)color;
                o.blend = (fs_blend_mode)blend;
                fs_swapper *sw = new_swapper(fx->det, fx->lm, NULL, &o);
                fs_source *src = new_source(sw, adele, 0);
                fs_image *out = NULL, *mask = NULL;
                size_t n = 0;
                fs_status st = src ? fs_swap(sw, src, rose, &out, &mask, &n) : FS_ERR_INTERNAL;
                CHECKF(st == FS_OK, "%s: %s: %s", label, status_name(st), fs_last_error_message());
                if (st == FS_OK) {
                    swap_diff d;
                    bool ok = diff_images(rose, out, mask, &d);
                    CHECKF(ok, "%s: result or mask of the wrong size or format", label);
                    CHECKF(n == 1, "%s: %zu faces swapped", label, n);
                    CHECKF(ok && d.outside_changed == 0, "%s: %ld pixels with mask 0 differ", label, d.outside_changed);
                    CHECKF(ok && d.inside > 1000 && d.inside_mad > 5, "%s: %ld pixels with mask > 200, mean |diff| %.2f",
                           label, d.inside, d.inside_mad);
                    combos_ok += ok && n == 1 && d.outside_changed == 0 && d.inside_mad > 5;
                }
                fs_image_free(out);
                fs_image_free(mask);
                fs_source_free(src);
                fs_swapper_free(sw);
            }
    printf("    %d of 32 mode combinations passed every check\n", combos_ok);

    /* Other pixel formats of the target, default options. */
    fs_swapper *sw = new_swapper(fx->det, fx->lm, NULL, NULL);
    fs_source *src = new_source(sw, adele, 0);
    fs_pixel_format fmts[4] = {FS_FORMAT_RGB8, FS_FORMAT_BGRA8, FS_FORMAT_RGBA8, FS_FORMAT_GRAY8};
    for (int i = 0; i < 4 && src; i++) {
        fs_image *t = NULL, *out = NULL, *mask = NULL;
        if (!EXPECT_OK(fs_image_convert(rose, fmts[i], &t))) continue;
        size_t n = 0;
        fs_status st = fs_swap(sw, src, t, &out, &mask, &n);
        CHECKF(st == FS_OK, "%s target: %s: %s", format_name(fmts[i]), status_name(st), fs_last_error_message());
        if (st == FS_OK) {
            fs_image_view rv;
            if (get_view(out, &rv))
                CHECKF(rv.format == fmts[i], "%s target gave a %s result", format_name(fmts[i]), format_name(rv.format));
            swap_diff d;
            bool ok = diff_images(t, out, mask, &d);
            CHECKF(ok && n == 1, "%s target: %zu faces", format_name(fmts[i]), n);
            CHECKF(ok && d.outside_changed == 0, "%s target: %ld pixels with mask 0 differ", format_name(fmts[i]),
                   d.outside_changed);
            CHECKF(ok && d.inside_mad > 5, "%s target: mean |diff| %.2f where mask > 200", format_name(fmts[i]),
                   d.inside_mad);
            if (has_alpha(fmts[i]))
                CHECKF(ok && d.alpha_changed == 0, "%s target: %ld alpha bytes changed", format_name(fmts[i]),
                       d.alpha_changed);
        }
        fs_image_free(out);
        fs_image_free(mask);
        fs_image_free(t);
    }
    fs_source_free(src);
    fs_swapper_free(sw);
    fs_image_free(adele);
    fs_image_free(rose);
}

GROUP(group_swap_inplace, "swap-inplace", FX_RESULT,
      "fs_swap_inplace on an fs_image_wrap of a caller buffer (padded stride): "
      "1 face; the buffer equals fs_swap's result byte for byte (so changed "
      "inside the face, not outside); row padding untouched; faces_swapped NULL "
      "works") {
    for (int pass = 0; pass < 2; pass++) {
        fs_image_view v;
        unsigned char *buf = caller_copy(fx->biden, 13, &v);
        if (!buf) continue;
        fs_image *w = (fs_image *)&w;
        if (EXPECT_OK(fs_image_wrap(&v, &w))) {
            size_t n = 99;
            if (EXPECT_OK(fs_swap_inplace(fx->sw, fx->src, w, pass == 0 ? &n : NULL))) {
                if (pass == 0) CHECKF(n == 1, "faces_swapped %zu", n);
                fs_image_view rv, tv, mv;
                if (get_view(fx->result, &rv) && get_view(fx->biden, &tv) && get_view(fx->mask, &mv)) {
                    CHECKF(views_identical(&v, &rv), "pass %d: the caller's buffer differs from fs_swap's result", pass);
                    swap_diff d;
                    if (diff_views(&tv, &v, &mv, &d)) {
                        CHECKF(d.outside_changed == 0, "%ld pixels outside the mask changed", d.outside_changed);
                        CHECKF(d.inside_mad > 5, "mean |diff| %.2f inside the face", d.inside_mad);
                    }
                }
                CHECKF(padding_intact(&v, 13), "pass %d: the row padding was written", pass);
            }
            fs_image_free(w);
        }
        free(buf);
    }
}

GROUP(group_swap_face, "swap-face", FX_RESULT,
      "fs_swap_face with the landmarks of fs_detect + fs_landmarks_fit gives fs_swap's "
      "pixels on the one-face target; 0, 5, -1 or 99 landmarks -> INVALID_ARGUMENT and "
      "the target untouched") {
    fs_image *t = copy_image(fx->biden);
    if (t && EXPECT_OK(fs_swap_face(fx->sw, fx->src, t, &fx->biden_face)))
        CHECKF(images_identical(t, fx->result), "fs_swap_face's pixels differ from fs_swap's");
    fs_image_free(t);

    t = copy_image(fx->biden);
    int32_t counts[4] = {0, 5, -1, 99};
    for (int i = 0; i < 4 && t; i++) {
        fs_face f = fx->biden_face;
        f.num_landmarks = counts[i];
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swap_face(fx->sw, fx->src, t, &f));
    }
    if (t) CHECKF(images_identical(t, fx->biden), "a failed fs_swap_face wrote into the target");
    fs_image_free(t);
}

GROUP(group_swap_index, "swap-index", FX_MODELS,
      "face_index on fr_two_people_obama_biden: -1 swaps 2 faces, 0 swaps 1 (the "
      "largest), 5 -> NO_FACE (*out NULL), keep_unmatched with 5 -> FS_OK, 0 faces, "
      "the image unchanged and an all-zero mask") {
    fs_face faces[4];
    size_t nf = detect_fit(fx->two_det, fx->lm, fx->two, faces, 4);
    CHECKF(nf == 2, "%zu faces in fr_two_people_obama_biden", nf);
    int32_t idx[4] = {-1, 0, 5, 5};
    int32_t keep[4] = {0, 0, 0, 1};
    for (int i = 0; i < 4; i++) {
        fs_swap_options o = swap_defaults();
        o.face_index = idx[i];
        o.keep_unmatched = keep[i];
        fs_swapper *sw = new_swapper(fx->two_det, fx->lm, NULL, &o);
        fs_source *src = new_source(sw, fx->obama, 0);
        if (!src) {
            fs_swapper_free(sw);
            continue;
        }
        fs_image *out = NULL, *mask = NULL;
        size_t n = 99;
        if (i == 2) {
            out = (fs_image *)&out;
            EXPECT_ST(FS_ERR_NO_FACE, fs_swap(sw, src, fx->two, &out, &mask, &n));
            CHECKF(out == NULL, "*out is not NULL after NO_FACE");
            out = NULL;
        } else if (EXPECT_OK(fs_swap(sw, src, fx->two, &out, &mask, &n))) {
            swap_diff d;
            bool ok = diff_images(fx->two, out, mask, &d);
            CHECK(ok);
            CHECKF(ok && d.outside_changed == 0, "face_index %d: %ld pixels with mask 0 differ", (int)idx[i],
                   d.outside_changed);
            if (i == 0) {
                CHECKF(n == 2, "face_index -1: %zu faces swapped", n);
                for (size_t k = 0; k < nf && k < 2; k++)
                    CHECKF(count_changed_in(fx->two, out, faces[k].rect) > 100, "face %zu was not changed", k);
            } else if (i == 1) {
                CHECKF(n == 1, "face_index 0: %zu faces swapped", n);
                if (nf == 2) {
                    CHECKF(ok && d.changed > 0 && box_inside(d.bx0, d.by0, d.bx1, d.by1, faces[0].box),
                           "changes span x %d..%d y %d..%d, outside the largest face's box", d.bx0, d.bx1, d.by0, d.by1);
                    CHECKF(count_changed_in(fx->two, out, faces[1].rect) == 0, "the smaller face changed");
                }
            } else {
                CHECKF(n == 0, "keep_unmatched: %zu faces swapped", n);
                CHECKF(out != fx->two && images_identical(out, fx->two), "keep_unmatched: the result is not an unchanged copy");
                CHECKF(mask != NULL && all_zero(mask), "keep_unmatched: the mask is missing or not all zero");
            }
        }
        fs_image_free(out);
        fs_image_free(mask);
        fs_source_free(src);
        fs_swapper_free(sw);
    }
}

GROUP(group_swap_noface, "swap-noface", FX_SWAP,
      "a target without a face (dlib_dogs_noface): fs_swap and fs_swap_inplace -> "
      "NO_FACE with a message, the buffer untouched; keep_unmatched -> FS_OK, 0 "
      "faces, an unchanged copy; a source image without a face -> NO_FACE; "
      "source face_index 3 or -1 on a one-face image -> INVALID_ARGUMENT; index 1 of "
      "the two-face image is the smaller face") {
    fs_image *dogs = load_image("dlib_dogs_noface.jpg");
    if (!dogs) return;
    fs_image *out = NULL, *mask = NULL;
    size_t n = 99;
    EXPECT_ST(FS_ERR_NO_FACE, fs_swap(fx->sw, fx->src, dogs, &out, &mask, &n));
    CHECKF(strstr(fs_last_error_message(), "fs_swap") != NULL, "message \"%s\"", fs_last_error_message());
    CHECK(out == NULL && mask == NULL);
    CHECKF(n == 0, "faces_swapped %zu after NO_FACE (the header: counts are set to 0 on failure)", n);
    {
        fs_image_view v;
        unsigned char *buf = caller_copy(dogs, 5, &v);
        fs_image *w = NULL;
        if (buf && EXPECT_OK(fs_image_wrap(&v, &w))) {
            EXPECT_ST(FS_ERR_NO_FACE, fs_swap_inplace(fx->sw, fx->src, w, &n));
            fs_image_view dv;
            if (get_view(dogs, &dv)) CHECKF(views_identical(&v, &dv), "fs_swap_inplace wrote into a no-face target");
            fs_image_free(w);
        }
        free(buf);
    }

    fs_swap_options o = swap_defaults();
    o.keep_unmatched = 1;
    fs_swapper *keep = new_swapper(fx->det, fx->lm, NULL, &o);
    fs_source *ksrc = new_source(keep, fx->obama, 0);
    if (ksrc) {
        n = 99;
        if (EXPECT_OK(fs_swap(keep, ksrc, dogs, &out, &mask, &n))) {
            CHECKF(n == 0, "%zu faces swapped", n);
            CHECKF(out != NULL && out != dogs && images_identical(out, dogs), "not an unchanged copy");
            CHECKF(mask != NULL && all_zero(mask), "mask missing or not all zero");
            fs_image_free(out);
            fs_image_free(mask);
            out = mask = NULL;
        }
        fs_image *c = copy_image(dogs);
        n = 99;
        if (c && EXPECT_OK(fs_swap_inplace(keep, ksrc, c, &n))) {
            CHECK(n == 0);
            CHECK(images_identical(c, dogs));
        }
        fs_image_free(c);
    }
    fs_source_free(ksrc);
    fs_swapper_free(keep);

    /* Sources. */
    fs_source *bad = (fs_source *)&bad;
    EXPECT_ST(FS_ERR_NO_FACE, fs_source_prepare(fx->sw, dogs, 0, &bad));
    CHECK(bad == NULL);
    bad = (fs_source *)&bad;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(fx->sw, fx->obama, 3, &bad));
    CHECK(bad == NULL);
    bad = NULL;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(fx->sw, fx->obama, 1, &bad));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_source_prepare(fx->sw, fx->obama, -1, &bad));
    CHECK(bad == NULL);
    fs_face faces[4];
    size_t nf = detect_fit(fx->two_det, fx->lm, fx->two, faces, 4);
    fs_swapper *sw2 = new_swapper(fx->two_det, fx->lm, NULL, NULL);
    fs_source *s1 = new_source(sw2, fx->two, 1);
    fs_face f;
    if (s1 && nf == 2 && EXPECT_OK(fs_source_get_face(s1, &f)))
        CHECKF(f.num_landmarks == 68 && landmark_mean_error(&f, &faces[1]) < 0.5,
               "source index 1 is not the smaller face");
    fs_source_free(s1);
    fs_swapper_free(sw2);
    fs_image_free(dogs);
}

GROUP(group_swap_reference, "swap-reference", FX_SWAP,
      "use_reference without a recognizer -> INVALID_ARGUMENT; with the recognizer and "
      "Biden's embedding from fr_biden2: exactly 1 face of "
      "fr_two_people_obama_biden is swapped, the right-hand one (Biden's box holds "
      "every changed pixel, Obama's none); threshold 0.01 -> NO_FACE; a NaN "
      "reference -> INVALID_ARGUMENT (ignored when use_reference is 0)") {
    fs_swap_options o = swap_defaults();
    o.use_reference = 1;
    fs_swapper *sw = (fs_swapper *)&sw;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->det, fx->lm, NULL, &o, &sw));
    CHECK(sw == NULL);
    fs_face faces[4];
    size_t nf = detect_fit(fx->two_det, fx->lm, fx->two, faces, 4);
    if (nf != 2) {
        CHECKF(false, "%zu faces in fr_two_people_obama_biden", nf);
        return;
    }
    int right = rect_centre(faces[0].rect).x > rect_centre(faces[1].rect).x ? 0 : 1, left = 1 - right;
    float e_right[FS_EMBEDDING_SIZE], e_left[FS_EMBEDDING_SIZE];
    if (EXPECT_OK(fs_face_embedding(fx->rec, fx->two, &faces[right], e_right)) &&
        EXPECT_OK(fs_face_embedding(fx->rec, fx->two, &faces[left], e_left))) {
        float dr = fs_embedding_distance(e_right, fx->emb_biden), dl = fs_embedding_distance(e_left, fx->emb_biden);
        CHECKF(dr < 0.6f && dl > 0.6f, "premise: the right-hand face is %.3f from Biden, the left %.3f", dr, dl);
    }
    memcpy(o.reference, fx->emb_biden, sizeof o.reference);
    sw = new_swapper(fx->two_det, fx->lm, fx->rec, &o);
    fs_source *src = new_source(sw, fx->obama, 0);
    if (src) {
        fs_image *out = NULL, *mask = NULL;
        size_t n = 99;
        if (EXPECT_OK(fs_swap(sw, src, fx->two, &out, &mask, &n))) {
            CHECKF(n == 1, "%zu faces swapped", n);
            swap_diff d;
            if (diff_images(fx->two, out, mask, &d)) {
                CHECKF(d.changed > 1000, "only %ld pixels changed", d.changed);
                CHECKF(box_inside(d.bx0, d.by0, d.bx1, d.by1, faces[right].box),
                       "changes span x %d..%d y %d..%d; Biden's box is (%g,%g %gx%g)", d.bx0, d.bx1, d.by0, d.by1,
                       faces[right].box.x, faces[right].box.y, faces[right].box.width, faces[right].box.height);
                CHECKF(d.outside_changed == 0, "%ld pixels with mask 0 differ", d.outside_changed);
            }
            long in_left = count_changed_in(fx->two, out, faces[left].box);
            CHECKF(in_left == 0, "%ld pixels changed in Obama's box", in_left);
        }
        fs_image_free(out);
        fs_image_free(mask);
    }
    fs_source_free(src);
    fs_swapper_free(sw);

    /* Nobody within 0.01. */
    o.identity_threshold = 0.01f;
    sw = new_swapper(fx->two_det, fx->lm, fx->rec, &o);
    src = new_source(sw, fx->obama, 0);
    if (src) {
        fs_image *out = (fs_image *)&out;
        EXPECT_ST(FS_ERR_NO_FACE, fs_swap(sw, src, fx->two, &out, NULL, NULL));
        CHECK(out == NULL);
    }
    fs_source_free(src);
    fs_swapper_free(sw);

    /* A NaN in the reference. */
    o = swap_defaults();
    o.use_reference = 1;
    memcpy(o.reference, fx->emb_biden, sizeof o.reference);
    o.reference[17] = NAN;
    sw = (fs_swapper *)&sw;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_swapper_create(fx->two_det, fx->lm, fx->rec, &o, &sw));
    CHECK(sw == NULL);
    o.use_reference = 0;
    sw = new_swapper(fx->two_det, fx->lm, fx->rec, &o);
    fs_swapper_free(sw);
}

/* ---- colour sets, embeddings ---- */

static rgba shift_a1(int x, int y) { return (rgba){80 + (x + y) % 5, 60 + y, 40 + x, 5 + 10 * x}; }
static rgba shift_a2(int x, int y) { (void)x; (void)y; return (rgba){90, 70, 50, 200}; }
static rgba shift_b1(int x, int y) { return (rgba){30 + x, 100 + 2 * y, 120 + x, 255}; }
static rgba shift_b2(int x, int y) { (void)x; (void)y; return (rgba){60, 110, 140, 255}; }

/* Per byte-position means (channel 0..3) over every pixel of a set; false when unreadable. */
static bool set_means(const fs_image *const *set, size_t n, double mean[4]) {
    double sum[4] = {0, 0, 0, 0};
    double pixels = 0;
    for (size_t i = 0; i < n; i++) {
        fs_image_view v;
        if (!get_view(set[i], &v)) return false;
        int bpp = bytes_per_pixel(v.format);
        for (int y = 0; y < v.height; y++)
            for (int x = 0; x < v.width; x++) {
                const unsigned char *p = pixel_ptr(&v, x, y);
                for (int c = 0; c < bpp; c++) sum[c] += p[c];
            }
        pixels += (double)v.width * v.height;
    }
    for (int c = 0; c < 4; c++) mean[c] = pixels > 0 ? sum[c] / pixels : 0;
    return true;
}

/* The byte differences of every pixel to pixel (0, 0) changed by more than 1 somewhere. */
static int structure_changed(const fs_image *before, const fs_image *after, int channels) {
    fs_image_view a, b;
    if (!get_view(before, &a) || !get_view(after, &b)) return -1;
    int bad = 0;
    for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width; x++)
            for (int c = 0; c < channels; c++) {
                int da = (int)pixel_ptr(&a, x, y)[c] - (int)pixel_ptr(&a, 0, 0)[c];
                int db = (int)pixel_ptr(&b, x, y)[c] - (int)pixel_ptr(&b, 0, 0)[c];
                bad += abs(da - db) > 1;
            }
    return bad;
}


GROUP(group_mean_shift, "mean-shift", FX_NONE,
      "fs_color_mean_shift on synthetic BGR8 and RGBA8 sets (gradients and "
      "constants, no clipping): set A's per-channel mean = set B's within 0.51, "
      "A's structure kept within 1, B and A's alpha unchanged; NULL set or entry, "
      "empty set -> INVALID_ARGUMENT; GRAY8 in a set, all-GRAY8 sets, BGR8 with "
      "RGB8 -> UNSUPPORTED; A untouched on failure") {
    fs_pixel_format fmts[2] = {FS_FORMAT_BGR8, FS_FORMAT_RGBA8};
    for (int k = 0; k < 2; k++) {
        fs_pixel_format f = fmts[k];
        fs_image *a[2] = {make_image(10, 8, f, shift_a1), make_image(6, 6, f, shift_a2)};
        const fs_image *b[2] = {make_image(12, 5, f, shift_b1), make_image(7, 3, f, shift_b2)};
        fs_image *a0[2] = {a[0] ? copy_image(a[0]) : NULL, a[1] ? copy_image(a[1]) : NULL};
        fs_image *b0[2] = {b[0] ? copy_image(b[0]) : NULL, b[1] ? copy_image(b[1]) : NULL};
        if (a[0] && a[1] && b[0] && b[1] && a0[0] && a0[1] && b0[0] && b0[1]) {
            double ma[4], mb[4], after[4];
            set_means((const fs_image *const *)a0, 2, ma);
            set_means(b, 2, mb);
            if (EXPECT_OK(fs_color_mean_shift(a, 2, b, 2)) && set_means((const fs_image *const *)a, 2, after)) {
                int colour = 3;
                for (int c = 0; c < colour; c++)
                    CHECKF(close_to(after[c], mb[c], 0.51), "%s channel %d: mean of A %.3f (was %.3f), of B %.3f",
                           format_name(f), c, after[c], ma[c], mb[c]);
                CHECKF(structure_changed(a0[0], a[0], colour) == 0, "%s: A[0]'s gradient changed", format_name(f));
                CHECKF(structure_changed(a0[1], a[1], colour) == 0, "%s: A[1] is no longer constant", format_name(f));
                CHECKF(images_identical(b[0], b0[0]) && images_identical(b[1], b0[1]), "%s: set B changed", format_name(f));
                if (has_alpha(f)) {
                    CHECKF(close_to(after[3], ma[3], 1e-9), "%s: A's alpha mean %.3f, was %.3f", format_name(f), after[3],
                           ma[3]);
                }
            }
        }
        for (int i = 0; i < 2; i++) {
            fs_image_free(a[i]);
            fs_image_free((fs_image *)b[i]);
            fs_image_free(a0[i]);
            fs_image_free(b0[i]);
        }
    }

    /* Errors; set A must be left untouched. */
    fs_image *a1 = make_image(10, 8, FS_FORMAT_BGR8, shift_a1), *orig = a1 ? copy_image(a1) : NULL;
    fs_image *b1 = make_image(12, 5, FS_FORMAT_BGR8, shift_b1);
    fs_image *rgb = make_image(12, 5, FS_FORMAT_RGB8, shift_b1);
    fs_image *gray = make_image(9, 9, FS_FORMAT_GRAY8, shift_b1), *gray2 = make_image(9, 9, FS_FORMAT_GRAY8, shift_a1);
    if (a1 && orig && b1 && rgb && gray && gray2) {
        fs_image *sa[2] = {a1, NULL};
        const fs_image *sb[2] = {b1, NULL};
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 2, sb, 1));    /* NULL entry in A */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, sb, 2));    /* NULL entry in B */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 0, sb, 1));    /* empty A */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, sb, 0));    /* empty B */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(NULL, 1, sb, 1));  /* NULL set A */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, NULL, 1));  /* NULL set B */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(NULL, 0, NULL, 0));
        fs_image *mixed_a[2] = {a1, gray};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(mixed_a, 2, sb, 1));   /* GRAY8 in A */
        const fs_image *mixed_b[2] = {b1, gray};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(sa, 1, mixed_b, 2));   /* GRAY8 in B */
        fs_image *ga[1] = {gray2};
        const fs_image *gb[1] = {gray};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(ga, 1, gb, 1));        /* grey sets */
        const fs_image *rb[1] = {rgb};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(sa, 1, rb, 1));        /* BGR8 with RGB8 */
        fs_image *ab[2] = {a1, rgb};
        EXPECT_ST(FS_ERR_UNSUPPORTED, fs_color_mean_shift(ab, 2, sb, 1));        /* mixed within A */
        CHECKF(images_identical(a1, orig), "a failed fs_color_mean_shift changed set A");
        /* A freed image and a handle of another kind in a set. */
        fs_image *tmp = make_image(4, 4, FS_FORMAT_BGR8, shift_b2);
        if (tmp) {
            uintptr_t stale = (uintptr_t)tmp;
            fs_image_free(tmp);
            const fs_image *fb[1] = {(const fs_image *)stale};
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(sa, 1, fb, 1));
        }
        fs_detector_options o = detector_defaults();
        fs_detector *d = NULL;
        if (EXPECT_OK(fs_detector_create(&o, &d))) {
            fs_image *wa[1] = {(fs_image *)d};
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_color_mean_shift(wa, 1, sb, 1));
            fs_detector_free(d);
        }
        CHECK(images_identical(a1, orig));
        /* One image shifted towards itself: unchanged. */
        const fs_image *self[1] = {a1};
        if (EXPECT_OK(fs_color_mean_shift(sa, 1, self, 1))) CHECKF(images_identical(a1, orig), "shift towards itself changed A");
    }
    fs_image_free(a1);
    fs_image_free(orig);
    fs_image_free(b1);
    fs_image_free(rgb);
    fs_image_free(gray);
    fs_image_free(gray2);
}

GROUP(group_embedding, "embedding", FX_SWAP,
      "fs_embedding_distance: NULL either side -> NaN; x with itself 0; (0,..) to "
      "(3,4,0,..) = 5, symmetric; recognizer embeddings of one face are "
      "deterministic; a face without landmarks -> INVALID_ARGUMENT") {
    float z[FS_EMBEDDING_SIZE], t[FS_EMBEDDING_SIZE];
    memset(z, 0, sizeof z);
    memset(t, 0, sizeof t);
    t[0] = 3;
    t[1] = 4;
    CHECK(isnan(fs_embedding_distance(NULL, t)));
    CHECK(isnan(fs_embedding_distance(t, NULL)));
    CHECK(isnan(fs_embedding_distance(NULL, NULL)));
    CHECK(fs_embedding_distance(t, t) == 0.0f);
    CHECKF(close_to(fs_embedding_distance(z, t), 5.0, 1e-5), "%g", fs_embedding_distance(z, t));
    CHECK(fs_embedding_distance(z, t) == fs_embedding_distance(t, z));
    float v[FS_EMBEDDING_SIZE];
    for (int i = 0; i < FS_EMBEDDING_SIZE; i++) v[i] = (float)(i % 7) * 0.01f - 0.03f;
    CHECK(fs_embedding_distance(v, v) == 0.0f);
    CHECK(fs_embedding_distance(fx->emb_src, fx->emb_src) == 0.0f);
    float e[FS_EMBEDDING_SIZE];
    if (EXPECT_OK(fs_face_embedding(fx->rec, fx->obama, &fx->obama_face, e)))
        CHECKF(fs_embedding_distance(e, fx->emb_src) < 1e-6f, "the same face embeds %g apart",
               fs_embedding_distance(e, fx->emb_src));
    fs_face bare = fx->obama_face;
    bare.num_landmarks = 0;
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_face_embedding(fx->rec, fx->obama, &bare, e));
    CHECK(close_to(fs_embedding_distance(fx->emb_src, fx->emb_biden), fs_embedding_distance(fx->emb_biden, fx->emb_src), 1e-6));
}

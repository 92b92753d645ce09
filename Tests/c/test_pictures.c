/*
 * test_pictures.c — what the CLI draws, from C: fs_swap_targets (the faces fs_swap replaces:
 * fs_detect + fs_landmarks_fit's), fs_face_compare (before | after of the face's box),
 * fs_image_montage (the inputs pixel for pixel), fs_draw_faces (red dots at the landmarks,
 * nothing away from the faces) and fs_option_check (the option table's ranges). The ground truth
 * is the input pixels, the faces found independently and the ranges fs_option_find describes.
 */
#include "harness.h"

/* The pixel (x, y) of a BGR8 view as {b, g, r}. */
static rgba bgr_at(const fs_image_view *v, int x, int y) {
    const unsigned char *p = pixel_ptr(v, x, y);
    rgba c = {p[2], p[1], p[0], 255};
    return c;
}

/* Whether the w x h block at (ax, ay) of a equals the one at (bx, by) of b (both BGR8). */
static bool same_block(const fs_image_view *a, int ax, int ay, const fs_image_view *b, int bx, int by, int w, int h) {
    for (int y = 0; y < h; y++)
        if (memcmp(pixel_ptr(a, ax, ay + y), pixel_ptr(b, bx, by + y), (size_t)w * 3) != 0) return false;
    return true;
}

GROUP(group_pictures, "pictures", FX_RESULT,
      "fs_swap_targets = fs_detect + fs_landmarks_fit on fr_biden2.jpg; fs_face_compare: target | "
      "result of the face's box, 8 black columns between; fs_image_montage: tiles pixel for pixel, "
      "black gaps; fs_draw_faces: red at every landmark, nothing changed away from the face, count 0 "
      "draws nothing; fs_option_check: the described range's ends pass, just past them fail naming "
      "the option, NaN fails") {
    /* fs_swap_targets: the face fs_swap replaced, as found independently (fixture: biden_face). */
    fs_face targets[4];
    size_t n = 0;
    if (EXPECT_OK(fs_swap_targets(fx->sw, fx->biden, targets, 4, &n))) {
        CHECKF(n == 1, "fs_swap_targets found %zu faces in fr_biden2.jpg, fs_detect 1", n);
        if (n == 1) {
            fs_rect a = targets[0].box, b = fx->biden_face.box;
            CHECKF(a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height,
                   "box (%g, %g, %g) vs fs_detect's (%g, %g, %g)", a.x, a.y, a.width, b.x, b.y, b.width);
            CHECKF(targets[0].num_landmarks == 68 && landmark_mean_error(&targets[0], &fx->biden_face) < 0.01,
                   "landmarks differ from fs_landmarks_fit's by %.3f px on average",
                   landmark_mean_error(&targets[0], &fx->biden_face));
        }
    }

    /* fs_face_compare: target | result, cut at the box (whole pixels, clipped), 2x under 256 px. */
    fs_image *pic = NULL;
    fs_image_view t, r, p;
    if (EXPECT_OK(fs_face_compare(fx->biden, fx->result, &fx->biden_face, &pic)) && get_view(fx->biden, &t) &&
        get_view(fx->result, &r) && get_view(pic, &p)) {
        fs_rect b = fx->biden_face.box;
        int x0 = (int)fmax(0, floor(b.x)), y0 = (int)fmax(0, floor(b.y));
        int x1 = (int)fmin(t.width, ceil(b.x + b.width)), y1 = (int)fmin(t.height, ceil(b.y + b.height));
        int w = x1 - x0, h = y1 - y0, scale = (w > h ? w : h) < 256 ? 2 : 1;
        CHECKF(p.format == FS_FORMAT_BGR8 && p.width == 2 * w * scale + 8 && p.height == h * scale,
               "picture %dx%d, want %dx%d (box %dx%d at %d,%d, scale %d)", (int)p.width, (int)p.height,
               2 * w * scale + 8, h * scale, w, h, x0, y0, scale);
        CHECKF(scale == 1, "fr_biden2.jpg's face box is %dx%d: the pixel checks below assume one over 256 px", w, h);
        if (scale == 1 && p.width == 2 * w + 8 && p.height == h) {
            CHECK(same_block(&p, 0, 0, &t, x0, y0, w, h));      /* the target's face box */
            CHECK(same_block(&p, w + 8, 0, &r, x0, y0, w, h));  /* the result's */
            int lit = 0;
            for (int y = 0; y < h; y++)
                for (int x = w; x < w + 8; x++) {
                    rgba c = bgr_at(&p, x, y);
                    lit += c.r || c.g || c.b;
                }
            CHECKF(lit == 0, "%d gap pixels are not black", lit);
        }
    }
    fs_image_free(pic);

    /* fs_image_montage: images of one height are copied pixel for pixel, gaps black. */
    const fs_image *two[2] = {fx->biden, fx->result};
    fs_image *m = NULL;
    fs_image_view mv;
    if (EXPECT_OK(fs_image_montage(two, 2, (int32_t)t.height, 5, &m)) && get_view(m, &mv)) {
        CHECKF(mv.width == 2 * t.width + 5 && mv.height == t.height, "montage %dx%d", (int)mv.width, (int)mv.height);
        if (mv.width == 2 * t.width + 5 && mv.height == t.height) {
            CHECK(same_block(&mv, 0, 0, &t, 0, 0, (int)t.width, (int)t.height));
            CHECK(same_block(&mv, (int)t.width + 5, 0, &r, 0, 0, (int)t.width, (int)t.height));
            rgba g = bgr_at(&mv, (int)t.width + 2, (int)t.height / 2);
            CHECKF(!g.r && !g.g && !g.b, "gap pixel (%d, %d, %d)", g.r, g.g, g.b);
        }
    }
    fs_image_free(m);

    /* fs_draw_faces: red dots at the landmarks; pixels 8 px outside the box unchanged. */
    fs_image *drawn = copy_image(fx->biden);
    fs_image_view dv;
    if (drawn && EXPECT_OK(fs_draw_faces(drawn, NULL, 0)) && get_view(drawn, &dv)) {
        CHECKF(images_identical(drawn, fx->biden), "count 0 changed the image");
        if (EXPECT_OK(fs_draw_faces(drawn, &fx->biden_face, 1))) {
            int red = 0;
            for (int i = 0; i < 68; i++) {
                fs_point q = fx->biden_face.landmarks[i];
                rgba c = bgr_at(&dv, (int)lround(q.x), (int)lround(q.y));
                red += c.r >= 200 && c.g <= 60 && c.b <= 60;
            }
            CHECKF(red == 68, "%d of 68 landmark pixels are red", red);
            fs_rect b = fx->biden_face.box;
            fs_rect keep = {b.x - 8, b.y - 8, b.width + 16, b.height + 16};
            CHECKF(changed_outside_rect(&dv, &t, keep) == 0, "%ld pixels changed away from the face",
                   changed_outside_rect(&dv, &t, keep));
        }
    }
    fs_image_free(drawn);

    /* fs_option_check: the ends of the range fs_option_find describes, and just past them. */
    fs_option_info info = {.struct_size = sizeof info};
    if (EXPECT_OK(fs_option_find(FS_OPTIONS_SWAP, "expression", &info))) {
        EXPECT_OK(fs_option_check(FS_OPTIONS_SWAP, "expression", info.min));
        EXPECT_OK(fs_option_check(FS_OPTIONS_SWAP, "expression", info.max));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_option_check(FS_OPTIONS_SWAP, "expression", info.max + 0.01));
        CHECKF(strstr(fs_last_error_message(), "expression") && strstr(fs_last_error_message(), info.range_text),
               "message '%s' names neither the option nor its range %s", fs_last_error_message(), info.range_text);
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_option_check(FS_OPTIONS_SWAP, "expression", NAN));
    }
    if (EXPECT_OK(fs_option_find(FS_OPTIONS_STREAM, "detect_interval", &info))) {
        EXPECT_OK(fs_option_check(FS_OPTIONS_STREAM, "detect_interval", info.default_value));
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_option_check(FS_OPTIONS_STREAM, "detect_interval", 2.5)); /* whole */
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_option_check(FS_OPTIONS_STREAM, "detect_interval", info.max + 1));
    }
}

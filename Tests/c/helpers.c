/*
 * helpers.c — small functions the groups share: files and folders, pixels, images, faces,
 * swap results, options defaults, progress callbacks (declared in harness.h).
 */
#include "harness.h"

/* ------------------------------------------------------------------------------------------ */
/* Files and folders                                                                           */
/* ------------------------------------------------------------------------------------------ */

void data_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/faces/%s", g_data_dir, name);
}

void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", g_tmp_dir, name);
}

unsigned char *read_whole_file(const char *path, size_t *size) {
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err || len == 0) {
        free(buf);
        return NULL;
    }
    *size = len;
    return buf;
}

bool write_whole_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    return ok;
}

int count_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    }
    closedir(d);
    return n;
}

/* Removes path and, if it is a folder, everything in it. */
void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[2048];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            remove_tree(p);
        }
        closedir(d);
    }
    rmdir(path);
}

void video_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/videos/%s", g_data_dir, name);
}

void join_path(char *buf, size_t n, const char *dir, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

bool file_exists(const char *path, long long *size) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    if (size) *size = (long long)st.st_size;
    return true;
}

/* The names in dir, each followed by '\n' (at most n - 1 bytes). */
void dir_snapshot(const char *dir, char *buf, size_t n) {
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return;
    size_t len = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        int w = snprintf(buf + len, n - len, "%s\n", e->d_name);
        if (w < 0 || (size_t)w >= n - len) break;
        len += (size_t)w;
    }
    closedir(d);
}

/* The first entry of dir that is not in snapshot (into name), or false when there is none. */
bool dir_new_entry(const char *dir, const char *snapshot, char *name, size_t n) {
    DIR *d = opendir(dir);
    if (!d) return false;
    bool found = false;
    struct dirent *e;
    char line[300];
    while (!found && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(line, sizeof line, "%s\n", e->d_name);
        bool listed = strncmp(snapshot, line, strlen(line)) == 0;
        if (!listed) {
            char nl_line[302];
            snprintf(nl_line, sizeof nl_line, "\n%s", line);
            listed = strstr(snapshot, nl_line) != NULL;
        }
        if (!listed) {
            snprintf(name, n, "%s", e->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

bool write_y4m(const char *path, int w, int h, int frames, size_t last_frame_bytes, uint32_t seed) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fprintf(f, "YUV4MPEG2 W%d H%d F25:1 Ip A1:1 C420jpeg\n", w, h) > 0;
    size_t frame = (size_t)w * (size_t)h * 3 / 2;
    unsigned char *buf = calloc(frame, 1);
    ok = ok && buf != NULL;
    for (int i = 0; ok && i < frames; i++) {
        for (size_t k = 0; seed && k < frame; k++) {
            seed = seed * 1664525u + 1013904223u;
            buf[k] = (unsigned char)(seed >> 24);
        }
        size_t n = i == frames - 1 && last_frame_bytes < frame ? last_frame_bytes : frame;
        ok = fputs("FRAME\n", f) >= 0 && fwrite(buf, 1, n, f) == n;
    }
    free(buf);
    return (fclose(f) == 0) && ok;
}

/* Finds the SOFn segment of a JPEG in memory; returns the offset of its 0xFF or 0. */
size_t find_sof(const unsigned char *b, size_t n) {
    size_t i = 2;
    while (i + 4 <= n) {
        if (b[i] != 0xFF) return 0;
        unsigned m = b[i + 1];
        if (m == 0xFF) {
            i++;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            i += 2;
            continue;
        }
        size_t len = ((size_t)b[i + 2] << 8) | b[i + 3];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return i + 9 <= n ? i : 0;
        if (m == 0xDA || m == 0xD9) return 0;
        i += 2 + len;
    }
    return 0;
}

/* A malloc'ed copy of a JPEG whose SOF declares w x h; NULL when it has no SOF. */
unsigned char *patched_sof(const unsigned char *src, size_t n, int w, int h) {
    unsigned char *p = malloc(n);
    if (!p) return NULL;
    memcpy(p, src, n);
    size_t sof = find_sof(p, n);
    if (!sof) {
        free(p);
        return NULL;
    }
    p[sof + 5] = (unsigned char)(h >> 8);
    p[sof + 6] = (unsigned char)h;
    p[sof + 7] = (unsigned char)(w >> 8);
    p[sof + 8] = (unsigned char)w;
    return p;
}

/* ------------------------------------------------------------------------------------------ */
/* Pixels and images                                                                           */
/* ------------------------------------------------------------------------------------------ */

int bytes_per_pixel(fs_pixel_format f) {
    switch (f) {
    case FS_FORMAT_GRAY8: return 1;
    case FS_FORMAT_BGR8:
    case FS_FORMAT_RGB8: return 3;
    case FS_FORMAT_BGRA8:
    case FS_FORMAT_RGBA8: return 4;
    default: return 0;
    }
}

const char *format_name(fs_pixel_format f) {
    switch (f) {
    case FS_FORMAT_GRAY8: return "GRAY8";
    case FS_FORMAT_BGR8: return "BGR8";
    case FS_FORMAT_RGB8: return "RGB8";
    case FS_FORMAT_BGRA8: return "BGRA8";
    case FS_FORMAT_RGBA8: return "RGBA8";
    default: return "?";
    }
}

const fs_pixel_format k_formats[5] = {FS_FORMAT_GRAY8, FS_FORMAT_BGR8, FS_FORMAT_RGB8, FS_FORMAT_BGRA8,
                                      FS_FORMAT_RGBA8};

bool has_alpha(fs_pixel_format f) { return f == FS_FORMAT_BGRA8 || f == FS_FORMAT_RGBA8; }

const unsigned char *pixel_ptr(const fs_image_view *v, int x, int y) {
    return (const unsigned char *)v->data + (size_t)y * v->stride + (size_t)x * (size_t)bytes_per_pixel(v->format);
}

/* A pixel as R, G, B, A (grey as g, g, g; no alpha as 255). */
rgba pixel_get(const fs_image_view *v, int x, int y) {
    const unsigned char *p = pixel_ptr(v, x, y);
    rgba c = {0, 0, 0, 255};
    switch (v->format) {
    case FS_FORMAT_GRAY8: c.r = c.g = c.b = p[0]; break;
    case FS_FORMAT_BGR8: c.b = p[0]; c.g = p[1]; c.r = p[2]; break;
    case FS_FORMAT_RGB8: c.r = p[0]; c.g = p[1]; c.b = p[2]; break;
    case FS_FORMAT_BGRA8: c.b = p[0]; c.g = p[1]; c.r = p[2]; c.a = p[3]; break;
    case FS_FORMAT_RGBA8: c.r = p[0]; c.g = p[1]; c.b = p[2]; c.a = p[3]; break;
    default: break;
    }
    return c;
}

/* Writes raw bytes for R, G, B, A into a pixel of format f (grey takes r). */
void pixel_set(unsigned char *p, fs_pixel_format f, int r, int g, int b, int a) {
    switch (f) {
    case FS_FORMAT_GRAY8: p[0] = (unsigned char)r; break;
    case FS_FORMAT_BGR8: p[0] = (unsigned char)b; p[1] = (unsigned char)g; p[2] = (unsigned char)r; break;
    case FS_FORMAT_RGB8: p[0] = (unsigned char)r; p[1] = (unsigned char)g; p[2] = (unsigned char)b; break;
    case FS_FORMAT_BGRA8:
        p[0] = (unsigned char)b; p[1] = (unsigned char)g; p[2] = (unsigned char)r; p[3] = (unsigned char)a;
        break;
    case FS_FORMAT_RGBA8:
        p[0] = (unsigned char)r; p[1] = (unsigned char)g; p[2] = (unsigned char)b; p[3] = (unsigned char)a;
        break;
    default: break;
    }
}

/* A synthetic picture: every channel different and varying with x and y. */
rgba gradient_at(int x, int y) {
    rgba c;
    c.r = (x * 13 + y * 7 + 5) & 255;
    c.g = (x * 3 + y * 17 + 90) & 255;
    c.b = (x * 29 + y * 5 + 180) & 255;
    c.a = (x * 11 + y * 23 + 40) & 255;
    return c;
}

/* A smooth picture, for JPEG (which is lossy on sharp detail). */
rgba smooth_at(int x, int y) {
    rgba c;
    c.r = 40 + x * 2;
    c.g = 60 + y * 2;
    c.b = 200 - x - y;
    c.a = 255;
    return c;
}

/* Fills a caller buffer of w × h pixels, `stride` bytes a row, in format f; padding bytes 0xEE. */
unsigned char *make_pixels(int w, int h, size_t stride, fs_pixel_format f, rgba (*fn)(int, int)) {
    unsigned char *buf = malloc(stride * (size_t)h);
    if (!buf) return NULL;
    memset(buf, 0xEE, stride * (size_t)h);
    int bpp = bytes_per_pixel(f);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            rgba c = fn(x, y);
            pixel_set(buf + (size_t)y * stride + (size_t)x * (size_t)bpp, f, c.r, c.g, c.b, c.a);
        }
    return buf;
}

/* A new library image of the given picture, or NULL (already counted as a failure). */
fs_image *make_image(int w, int h, fs_pixel_format f, rgba (*fn)(int, int)) {
    size_t stride = (size_t)w * (size_t)bytes_per_pixel(f) + 3;
    unsigned char *buf = make_pixels(w, h, stride, f, fn);
    if (!buf) return NULL;
    fs_image_view v = {buf, w, h, stride, f};
    fs_image *img = NULL;
    EXPECT_ST(FS_OK, fs_image_from_view(&v, &img));
    free(buf);
    return img;
}

bool get_view(const fs_image *img, fs_image_view *v) {
    memset(v, 0, sizeof *v);
    return img != NULL && EXPECT_OK(fs_image_get_view(img, v));
}

fs_image *load_image(const char *name) {
    char p[1024];
    data_path(p, sizeof p, name);
    fs_image *img = NULL;
    fs_status s = fs_image_load(p, &img);
    CHECKF(s == FS_OK && img != NULL, "fs_image_load(%s) gave %s: %s", p, status_name(s), fs_last_error_message());
    return s == FS_OK ? img : NULL;
}


/* A library-owned copy of img's pixels. */
fs_image *copy_image(const fs_image *img) {
    fs_image_view v;
    if (!get_view(img, &v)) return NULL;
    fs_image *c = NULL;
    if (!EXPECT_OK(fs_image_from_view(&v, &c))) return NULL;
    return c;
}

/* Same size, format and pixel bytes (stride padding aside). */
bool views_identical(const fs_image_view *a, const fs_image_view *b) {
    return a->width == b->width && a->height == b->height && view_is_crop_of(a, b);
}

/* The same for two images. */
bool images_identical(const fs_image *a, const fs_image *b) {
    fs_image_view va, vb;
    if (!get_view(a, &va) || !get_view(b, &vb)) return false;
    return views_identical(&va, &vb);
}

bool all_zero(const fs_image *gray) {
    fs_image_view v;
    if (!get_view(gray, &v)) return false;
    size_t row = (size_t)v.width * (size_t)bytes_per_pixel(v.format);
    for (int y = 0; y < v.height; y++) {
        const unsigned char *p = (const unsigned char *)v.data + (size_t)y * v.stride;
        for (size_t i = 0; i < row; i++)
            if (p[i] != 0) return false;
    }
    return true;
}

/* A malloc'ed copy of img's pixels with `pad` extra bytes (0xEE) per row; *view describes it. */
unsigned char *caller_copy(const fs_image *img, size_t pad, fs_image_view *view) {
    fs_image_view v;
    if (!get_view(img, &v)) return NULL;
    size_t row = (size_t)v.width * (size_t)bytes_per_pixel(v.format);
    size_t stride = row + pad;
    unsigned char *buf = malloc(stride * (size_t)v.height);
    if (!buf) return NULL;
    memset(buf, 0xEE, stride * (size_t)v.height);
    for (int y = 0; y < v.height; y++)
        memcpy(buf + (size_t)y * stride, (const unsigned char *)v.data + (size_t)y * v.stride, row);
    *view = v;
    view->data = buf;
    view->stride = stride;
    return buf;
}

bool padding_intact(const fs_image_view *v, size_t pad) {
    size_t row = (size_t)v->width * (size_t)bytes_per_pixel(v->format);
    for (int y = 0; y < v->height; y++) {
        const unsigned char *p = (const unsigned char *)v->data + (size_t)y * v->stride + row;
        for (size_t i = 0; i < pad; i++)
            if (p[i] != 0xEE) return false;
    }
    return true;
}

/* Pixels of a and b (same size and format) that differ outside r; -1 when they cannot be compared. */
long changed_outside_rect(const fs_image_view *a, const fs_image_view *b, fs_rect r) {
    if (a->width != b->width || a->height != b->height || a->format != b->format) return -1;
    size_t bpp = (size_t)bytes_per_pixel(a->format);
    int x0 = (int)floor(r.x), y0 = (int)floor(r.y), x1 = (int)ceil(r.x + r.width), y1 = (int)ceil(r.y + r.height);
    long n = 0;
    for (int y = 0; y < a->height; y++)
        for (int x = 0; x < a->width; x++) {
            if (x >= x0 && x < x1 && y >= y0 && y < y1) continue;
            n += memcmp(pixel_ptr(a, x, y), pixel_ptr(b, x, y), bpp) != 0;
        }
    return n;
}

long changed_pixels(const fs_image_view *a, const fs_image_view *b) {
    fs_rect none = {0, 0, 0, 0};
    return changed_outside_rect(a, b, none);
}

/* Mean absolute difference of the bytes of a and b over a's width × height (b at least as large,
 * same format); -1 when they cannot be compared. */
double mean_abs_diff(const fs_image_view *a, const fs_image_view *b) {
    if (a->format != b->format || b->width < a->width || b->height < a->height) return -1;
    size_t row = (size_t)a->width * (size_t)bytes_per_pixel(a->format);
    double sum = 0;
    for (int y = 0; y < a->height; y++) {
        const unsigned char *pa = (const unsigned char *)a->data + (size_t)y * a->stride;
        const unsigned char *pb = (const unsigned char *)b->data + (size_t)y * b->stride;
        for (size_t i = 0; i < row; i++) sum += abs((int)pa[i] - (int)pb[i]);
    }
    return sum / ((double)row * (double)a->height);
}

/* a equals the top-left a->width × a->height of b, byte for byte (same format). */
bool view_is_crop_of(const fs_image_view *a, const fs_image_view *b) {
    if (a->format != b->format || b->width < a->width || b->height < a->height) return false;
    size_t row = (size_t)a->width * (size_t)bytes_per_pixel(a->format);
    for (int y = 0; y < a->height; y++)
        if (memcmp((const unsigned char *)a->data + (size_t)y * a->stride,
                   (const unsigned char *)b->data + (size_t)y * b->stride, row) != 0)
            return false;
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Geometry and faces                                                                          */
/* ------------------------------------------------------------------------------------------ */

fs_point mean_points(const fs_point *p, int first, int last) {
    fs_point m = {0, 0};
    for (int i = first; i <= last; i++) {
        m.x += p[i].x;
        m.y += p[i].y;
    }
    m.x /= (float)(last - first + 1);
    m.y /= (float)(last - first + 1);
    return m;
}

double dist(fs_point a, fs_point b) { return hypot((double)a.x - b.x, (double)a.y - b.y); }

bool close_to(double a, double b, double tol) { return fabs(a - b) <= tol; }

fs_point rect_centre(fs_rect r) {
    fs_point p = {r.x + r.width / 2, r.y + r.height / 2};
    return p;
}

double inter_ocular(const fs_face *f) {
    return dist(mean_points(f->landmarks, 36, 41), mean_points(f->landmarks, 42, 47));
}

/* Mean distance of the 68 landmarks of a and b. */
double landmark_mean_error(const fs_face *a, const fs_face *b) {
    double s = 0;
    for (int i = 0; i < 68; i++) s += dist(a->landmarks[i], b->landmarks[i]);
    return s / 68.0;
}

void check_face_geometry(const fs_face *f, const char *label, int img_w, int img_h) {
    const float eps = 0.5f;
    CHECKF(f->rect.width > 0 && f->rect.height > 0, "%s rect %gx%g", label, f->rect.width, f->rect.height);
    CHECKF(f->rect.x + f->rect.width > 0 && f->rect.y + f->rect.height > 0 && f->rect.x < (float)img_w &&
               f->rect.y < (float)img_h,
           "%s rect is outside the %dx%d image", label, img_w, img_h);
    CHECKF(isfinite(f->score), "%s score %g", label, f->score);
    CHECKF(close_to(f->box.width, f->box.height, 1e-3 * f->box.width), "%s box %gx%g is not square", label,
           f->box.width, f->box.height);
    CHECKF(f->box.x <= f->rect.x + eps && f->box.y <= f->rect.y + eps &&
               f->box.x + f->box.width >= f->rect.x + f->rect.width - eps &&
               f->box.y + f->box.height >= f->rect.y + f->rect.height - eps,
           "%s box (%g,%g %gx%g) does not contain rect (%g,%g %gx%g)", label, f->box.x, f->box.y,
           f->box.width, f->box.height, f->rect.x, f->rect.y, f->rect.width, f->rect.height);
    /* Centred on the face, side (1 + margin) × face size with the default margin 0.5. */
    double bcx = f->box.x + f->box.width / 2.0, bcy = f->box.y + f->box.height / 2.0;
    double rcx = f->rect.x + f->rect.width / 2.0, rcy = f->rect.y + f->rect.height / 2.0;
    CHECKF(fabs(bcx - rcx) <= 0.05 * f->box.width && fabs(bcy - rcy) <= 0.05 * f->box.width,
           "%s box centre (%g,%g) is not the rect's (%g,%g)", label, bcx, bcy, rcx, rcy);
    double face_side = f->rect.width > f->rect.height ? f->rect.width : f->rect.height;
    CHECKF(f->box.width >= 1.3 * face_side && f->box.width <= 1.7 * face_side,
           "%s box side %g vs face %g (margin 0.5 wants about 1.5x)", label, f->box.width, face_side);
}

void check_landmarks(const fs_face *f, const char *label) {
    CHECKF(f->num_landmarks == 68, "%s num_landmarks = %d", label, (int)f->num_landmarks);
    if (f->num_landmarks != 68) return;
    int outside = 0, nonfinite = 0;
    for (int i = 0; i < 68; i++) {
        fs_point p = f->landmarks[i];
        if (!isfinite(p.x) || !isfinite(p.y)) nonfinite++;
        if (p.x < f->box.x || p.x > f->box.x + f->box.width || p.y < f->box.y || p.y > f->box.y + f->box.height)
            outside++;
    }
    CHECKF(nonfinite == 0, "%s %d landmarks are not finite", label, nonfinite);
    CHECKF(outside == 0, "%s %d landmarks lie outside the box", label, outside);
    fs_point le = mean_points(f->landmarks, 36, 41), re = mean_points(f->landmarks, 42, 47);
    fs_point nose = f->landmarks[30];
    CHECKF(le.x < re.x, "%s eye centres not left/right ordered: %g %g", label, le.x, re.x);
    CHECKF(nose.x > le.x && nose.x < re.x, "%s nose tip x %g not between eyes %g..%g", label, nose.x, le.x, re.x);
    CHECKF(nose.y > le.y && nose.y > re.y, "%s nose tip y %g not below eyes %g %g", label, nose.y, le.y, re.y);
    double iod = dist(le, re) / f->rect.width;
    CHECKF(iod >= 0.25 && iod <= 0.6, "%s inter-ocular distance %.3f of rect width", label, iod);
    /* Mouth (48-67) below the nose tip, chin (8) below the mouth. */
    fs_point mouth = mean_points(f->landmarks, 48, 67);
    CHECKF(mouth.y > nose.y && f->landmarks[8].y > mouth.y, "%s mouth %g / chin %g order", label, mouth.y,
           f->landmarks[8].y);
}

/* Detects the faces of img (largest first, at most cap) and fits landmarks to all of them.
 * Returns how many faces were found (may exceed cap) or 0 on any failure (counted). */
size_t detect_fit(const fs_detector *det, const fs_landmarker *lm, const fs_image *img, fs_face *faces, size_t cap) {
    if (!det || !lm || !img) return 0;
    size_t count = 0;
    memset(faces, 0, cap * sizeof *faces);
    if (!EXPECT_OK(fs_detect(det, img, faces, cap, &count))) return 0;
    for (size_t i = 0; i < count && i < cap; i++)
        if (!EXPECT_OK(fs_landmarks_fit(lm, img, &faces[i]))) return 0;
    return count;
}

/* ------------------------------------------------------------------------------------------ */
/* Swapping                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* target and result: same size and format; mask GRAY8 of that size or NULL (all 0). */
bool diff_views(const fs_image_view *t, const fs_image_view *r, const fs_image_view *mk, swap_diff *d) {
    memset(d, 0, sizeof *d);
    d->bx0 = d->by0 = d->mx0 = d->my0 = INT32_MAX;
    d->bx1 = d->by1 = d->mx1 = d->my1 = -1;
    if (t->width != r->width || t->height != r->height || t->format != r->format) return false;
    if (mk && (mk->format != FS_FORMAT_GRAY8 || mk->width != t->width || mk->height != t->height)) return false;
    int bpp = bytes_per_pixel(t->format);
    int colour = bpp == 4 ? 3 : bpp;
    double sum = 0;
    for (int y = 0; y < t->height; y++)
        for (int x = 0; x < t->width; x++) {
            const unsigned char *pt = pixel_ptr(t, x, y), *pr = pixel_ptr(r, x, y);
            int mv = mk ? *pixel_ptr(mk, x, y) : 0;
            bool changed = memcmp(pt, pr, (size_t)bpp) != 0;
            if (changed) {
                d->changed++;
                if (x < d->bx0) d->bx0 = x;
                if (x > d->bx1) d->bx1 = x;
                if (y < d->by0) d->by0 = y;
                if (y > d->by1) d->by1 = y;
                if (mv == 0) d->outside_changed++;
            }
            if (bpp == 4 && pt[3] != pr[3]) d->alpha_changed++;
            if (mv > 0) {
                d->masked++;
                if (x < d->mx0) d->mx0 = x;
                if (x > d->mx1) d->mx1 = x;
                if (y < d->my0) d->my0 = y;
                if (y > d->my1) d->my1 = y;
            }
            if (mv > 200) {
                d->inside++;
                for (int c = 0; c < colour; c++) sum += abs((int)pt[c] - (int)pr[c]);
            }
        }
    d->inside_mad = d->inside ? sum / ((double)d->inside * colour) : 0;
    return true;
}

bool diff_images(const fs_image *target, const fs_image *result, const fs_image *mask, swap_diff *d) {
    fs_image_view t, r, mk;
    memset(d, 0, sizeof *d);
    if (!get_view(target, &t) || !get_view(result, &r)) return false;
    if (mask && !get_view(mask, &mk)) return false;
    return diff_views(&t, &r, mask ? &mk : NULL, d);
}

/* The inclusive pixel box x0..x1, y0..y1 lies inside r (to the pixel). */
bool box_inside(int x0, int y0, int x1, int y1, fs_rect r) {
    return x0 >= (int)floor(r.x) && y0 >= (int)floor(r.y) && x1 <= (int)ceil(r.x + r.width) &&
           y1 <= (int)ceil(r.y + r.height);
}

/* How many pixels inside r (clipped to the image) differ between target and result; -1 on error. */
long count_changed_in(const fs_image *target, const fs_image *result, fs_rect r) {
    fs_image_view t, v;
    if (!get_view(target, &t) || !get_view(result, &v)) return -1;
    if (t.width != v.width || t.height != v.height || t.format != v.format) return -1;
    int x0 = (int)floor(r.x), y0 = (int)floor(r.y), x1 = (int)ceil(r.x + r.width), y1 = (int)ceil(r.y + r.height);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > t.width) x1 = t.width;
    if (y1 > t.height) y1 = t.height;
    long n = 0;
    size_t bpp = (size_t)bytes_per_pixel(t.format);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += memcmp(pixel_ptr(&t, x, y), pixel_ptr(&v, x, y), bpp) != 0;
    return n;
}

fs_swapper *new_swapper(const fs_detector *det, const fs_landmarker *lm, const fs_recognizer *rec,
                        const fs_swap_options *o) {
    fs_swapper *sw = NULL;
    if (!det || !lm) return NULL;
    if (!EXPECT_OK(fs_swapper_create(det, lm, rec, o, &sw))) return NULL;
    CHECK(sw != NULL);
    return sw;
}

fs_source *new_source(const fs_swapper *sw, const fs_image *img, int32_t index) {
    fs_source *src = NULL;
    if (!sw || !img) return NULL;
    if (!EXPECT_OK(fs_source_prepare(sw, img, index, &src))) return NULL;
    CHECK(src != NULL);
    return src;
}

/* ------------------------------------------------------------------------------------------ */
/* Options and progress                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Options as every caller gets them: filled by the library at this program's sizeof through the
 * header's FS_*_OPTIONS_INIT macros (a by-value return here is within this program, not the ABI). */
#define DEFINE_OPTIONS_DEFAULTS(fn, type, MACRO)                                                      \
    type fn(void) {                                                                                \
        type o;                                                                                    \
        memset(&o, 0xA5, sizeof o);                                                                \
        fs_status st = MACRO(&o);                                                                  \
        CHECKF(st == FS_OK && o.struct_size == sizeof o, #MACRO ": %s, struct_size %u (sizeof %zu)", \
               status_name(st), (unsigned)o.struct_size, sizeof o);                                \
        return o;                                                                                  \
    }
DEFINE_OPTIONS_DEFAULTS(detector_defaults, fs_detector_options, FS_DETECTOR_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(swap_defaults, fs_swap_options, FS_SWAP_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(stream_defaults, fs_stream_options, FS_STREAM_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(video_defaults, fs_video_options, FS_VIDEO_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(reenact_defaults, fs_reenact_options, FS_REENACT_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(extract_defaults, fs_extract_options, FS_EXTRACT_OPTIONS_INIT)
DEFINE_OPTIONS_DEFAULTS(train_defaults, fs_train_options, FS_TRAIN_OPTIONS_INIT)
#undef DEFINE_OPTIONS_DEFAULTS

void progress_init(progress_rec *p, int64_t cancel_at) {
    memset(p, 0, sizeof *p);
    p->increasing = p->total_ok = true;
    p->first_done = p->last_done = -1;
    p->cancel_at = cancel_at;
}

int progress_cb(void *user, int64_t done, int64_t total) {
    progress_rec *p = user;
    if (p->calls > 0 && done <= p->last_done) p->increasing = false;
    if (total != 0 && total < done) p->total_ok = false;
    if (p->calls == 0) p->first_done = done;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->cancel_at >= 0 && done >= p->cancel_at ? 1 : 0;
}

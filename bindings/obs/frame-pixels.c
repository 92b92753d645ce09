/*
 * frame-pixels.c — the frame formats of the "Face swap" OBS filter and the YUV <-> BGR
 * conversion it needs for YUV frames (see frame-pixels.h).
 *
 * The conversion uses the matrix OBS attaches to each frame (obs_source_frame.color_matrix:
 * rows R, G, B over Y, U, V scaled to 0..1, plus an offset column; the same matrix OBS's shaders
 * use to show the frame) and its range (color_range_min/max: YUV is clamped into it first, as the
 * shaders do). Chroma is taken from the block's own sample (no interpolation), so converting an
 * unchanged block back gives its samples again up to rounding; blocks the swap did not touch are
 * not written at all. Arithmetic is 16.16 fixed point through 256-entry tables.
 */
#include "frame-pixels.h"

#include <math.h>
#include <string.h>

/* ---- formats ------------------------------------------------------------------------------ */

/*                                        Y plane, offset, step; U ...; V ...; chroma shift x, y */
static const yuv_layout planar_420 = {0, 0, 1, 1, 0, 1, 2, 0, 1, 1, 1};
static const yuv_layout planar_422 = {0, 0, 1, 1, 0, 1, 2, 0, 1, 1, 0};
static const yuv_layout planar_444 = {0, 0, 1, 1, 0, 1, 2, 0, 1, 0, 0};
static const yuv_layout nv12 = {0, 0, 1, 1, 0, 2, 1, 1, 2, 1, 1};         /* Y plane; UVUV... */
static const yuv_layout yuy2 = {0, 0, 2, 0, 1, 4, 0, 3, 4, 1, 0};         /* Y0 U Y1 V */
static const yuv_layout uyvy = {0, 1, 2, 0, 0, 4, 0, 2, 4, 1, 0};         /* U Y0 V Y1 */
static const yuv_layout yvyu = {0, 0, 2, 0, 3, 4, 0, 1, 4, 1, 0};         /* Y0 V Y1 U */

pixels_access pixels_access_of(enum video_format format) {
    pixels_access a = {PIXELS_UNSUPPORTED, FS_FORMAT_BGR8, planar_420};
    switch (format) {
    case VIDEO_FORMAT_RGBA: a.kind = PIXELS_IN_PLACE, a.in_place = FS_FORMAT_RGBA8; break;
    case VIDEO_FORMAT_BGRA:
    case VIDEO_FORMAT_BGRX: a.kind = PIXELS_IN_PLACE, a.in_place = FS_FORMAT_BGRA8; break; /* X kept */
    case VIDEO_FORMAT_BGR3: a.kind = PIXELS_IN_PLACE, a.in_place = FS_FORMAT_BGR8; break;
    case VIDEO_FORMAT_Y800: a.kind = PIXELS_IN_PLACE, a.in_place = FS_FORMAT_GRAY8; break;
    case VIDEO_FORMAT_I420:
    case VIDEO_FORMAT_I40A: a.kind = PIXELS_YUV, a.yuv = planar_420; break; /* alpha: plane 3, kept */
    case VIDEO_FORMAT_I422:
    case VIDEO_FORMAT_I42A: a.kind = PIXELS_YUV, a.yuv = planar_422; break;
    case VIDEO_FORMAT_I444:
    case VIDEO_FORMAT_YUVA: a.kind = PIXELS_YUV, a.yuv = planar_444; break;
    case VIDEO_FORMAT_NV12: a.kind = PIXELS_YUV, a.yuv = nv12; break;
    case VIDEO_FORMAT_YUY2: a.kind = PIXELS_YUV, a.yuv = yuy2; break;
    case VIDEO_FORMAT_UYVY: a.kind = PIXELS_YUV, a.yuv = uyvy; break;
    case VIDEO_FORMAT_YVYU: a.kind = PIXELS_YUV, a.yuv = yvyu; break;
    default: break; /* 10/12/16-bit YUV, AYUV, formats newer than this file */
    }
    return a;
}

/* ---- the frame's colour matrix ---------------------------------------------------------------- */

typedef struct {
    float m[16];        /* rows R, G, B: (Y, U, V in 0..1, 1) -> 0..1 */
    float lo[3], hi[3]; /* the YUV range (0..1 each) */
} colour_params;

/* The frame's matrix and range; a source that set none gets OBS's default for its range. */
static colour_params colour_params_of(const struct obs_source_frame *frame) {
    colour_params c;
    memcpy(c.m, frame->color_matrix, sizeof c.m);
    memcpy(c.lo, frame->color_range_min, sizeof c.lo);
    memcpy(c.hi, frame->color_range_max, sizeof c.hi);
    if (c.m[0] == 0 && c.m[5] == 0 && c.m[10] == 0) /* no matrix: OBS would show it black */
        video_format_get_parameters_for_format(VIDEO_CS_DEFAULT,
                                               frame->full_range ? VIDEO_RANGE_FULL : VIDEO_RANGE_PARTIAL,
                                               frame->format, c.m, c.lo, c.hi);
    for (int i = 0; i < 3; i++)
        if (!(c.hi[i] > c.lo[i])) c.lo[i] = 0, c.hi[i] = 1; /* no range given: no clamping */
    return c;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* A 16.16 fixed-point value to 0..255, rounded. (>> of a negative int is an arithmetic shift on
 * every compiler OBS supports.) */
static inline uint8_t to_byte(int32_t v) {
    v = (v + 32768) >> 16;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

#define FIX(x) ((int32_t)lrint((x) * 65536.0))

/* ---- YUV -> BGR ------------------------------------------------------------------------------ */

/* Each sample value's share of R, G, B (times 255, 16.16), the offsets folded into the Y table. */
typedef struct {
    int32_t y[256][3], u[256][3], v[256][3]; /* [value][0 = B, 1 = G, 2 = R] */
} to_bgr_tables;

static void make_to_bgr_tables(const colour_params *c, to_bgr_tables *t) {
    const float *m = c->m;
    for (int i = 0; i < 256; i++) {
        float y = clampf(i / 255.f, c->lo[0], c->hi[0]);
        float u = clampf(i / 255.f, c->lo[1], c->hi[1]);
        float v = clampf(i / 255.f, c->lo[2], c->hi[2]);
        for (int ch = 0; ch < 3; ch++) {
            const float *row = m + 4 * (2 - ch); /* B is matrix row 2, R row 0 */
            t->y[i][ch] = FIX(255.0 * (row[0] * y + row[3]));
            t->u[i][ch] = FIX(255.0 * row[1] * u);
            t->v[i][ch] = FIX(255.0 * row[2] * v);
        }
    }
}

/* The rows of one layout: each chroma sample's share is added up once for the pixels it covers.
 * Inlined once per format below with L a constant, so that the layout's offsets and steps become
 * immediates. */
static inline __attribute__((always_inline)) void to_bgr_rows(const struct obs_source_frame *frame, const yuv_layout L,
                                                               const to_bgr_tables *t, uint8_t *bgr) {
    const uint32_t w = frame->width, h = frame->height, bw = 1u << L.cx_shift;
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *ys = frame->data[L.y_plane] + (size_t)y * frame->linesize[L.y_plane] + L.y_offset;
        const uint8_t *us = frame->data[L.u_plane] + (size_t)(y >> L.cy_shift) * frame->linesize[L.u_plane] + L.u_offset;
        const uint8_t *vs = frame->data[L.v_plane] + (size_t)(y >> L.cy_shift) * frame->linesize[L.v_plane] + L.v_offset;
        uint8_t *out = bgr + (size_t)y * w * 3;
        for (uint32_t x0 = 0; x0 < w; x0 += bw) {
            const int32_t *tu = t->u[us[(x0 >> L.cx_shift) * L.u_step]];
            const int32_t *tv = t->v[vs[(x0 >> L.cx_shift) * L.v_step]];
            const int32_t cb = tu[0] + tv[0], cg = tu[1] + tv[1], cr = tu[2] + tv[2];
            for (uint32_t x = x0; x < x0 + bw && x < w; x++, out += 3) {
                const int32_t *ty = t->y[ys[x * L.y_step]];
                out[0] = to_byte(ty[0] + cb);
                out[1] = to_byte(ty[1] + cg);
                out[2] = to_byte(ty[2] + cr);
            }
        }
    }
}

void yuv_to_bgr(const struct obs_source_frame *frame, const yuv_layout *L, uint8_t *bgr) {
    colour_params c = colour_params_of(frame);
    static _Thread_local to_bgr_tables t; /* 9 KB: off the stack */
    make_to_bgr_tables(&c, &t);
#define LAYOUT(l) (memcmp(L, &(l), sizeof *L) == 0) to_bgr_rows(frame, l, &t, bgr)
    if LAYOUT(planar_420);
    else if LAYOUT(nv12);
    else if LAYOUT(planar_422);
    else if LAYOUT(planar_444);
    else if LAYOUT(yuy2);
    else if LAYOUT(uyvy);
    else if LAYOUT(yvyu);
    else to_bgr_rows(frame, *L, &t, bgr); /* any other layout: the same code, slower */
#undef LAYOUT
}

/* ---- BGR -> YUV, changed pixels only ------------------------------------------------------------ */

/* YUV (0..255) = k[.][B, G, R] · (B, G, R) + k[.][3]: the inverse of the frame's matrix, 16.16.
 * (|k| < 2^16 · 2 for every matrix OBS makes, so sums over a 2×2 block stay far inside int32.) */
typedef struct {
    int32_t k[3][4]; /* [0 = Y, 1 = U, 2 = V][B, G, R, constant] */
} to_yuv_coefficients;

static void make_to_yuv(const colour_params *c, to_yuv_coefficients *o) {
    const float *m = c->m;
    double a[3][3] = {{m[0], m[1], m[2]}, {m[4], m[5], m[6]}, {m[8], m[9], m[10]}}; /* RGB <- YUV */
    double off[3] = {m[3], m[7], m[11]};
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    double inv[3][3]; /* YUV <- RGB, by cofactors */
    inv[0][0] = (a[1][1] * a[2][2] - a[1][2] * a[2][1]) / det;
    inv[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
    inv[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
    inv[1][0] = (a[1][2] * a[2][0] - a[1][0] * a[2][2]) / det;
    inv[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
    inv[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
    inv[2][0] = (a[1][0] * a[2][1] - a[1][1] * a[2][0]) / det;
    inv[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
    inv[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
    for (int k = 0; k < 3; k++) {
        /* yuv = inv · (rgb/255 - off); in bytes: 255·yuv = inv · rgb - 255·inv · off */
        double constant = -255.0 * (inv[k][0] * off[0] + inv[k][1] * off[1] + inv[k][2] * off[2]);
        o->k[k][0] = FIX(inv[k][2]); /* B */
        o->k[k][1] = FIX(inv[k][1]); /* G */
        o->k[k][2] = FIX(inv[k][0]); /* R */
        o->k[k][3] = FIX(constant);
    }
}

/* One of Y, U, V from a BGR triple summed over n pixels (their mean). */
static inline uint8_t yuv_sample(const int32_t k[4], int32_t b, int32_t g, int32_t r, int32_t n) {
    int32_t v = k[0] * b + k[1] * g + k[2] * r;
    return to_byte((n == 1 ? v : v / n) + k[3]);
}

size_t bgr_changes_to_yuv(struct obs_source_frame *frame, const yuv_layout *L, const uint8_t *bgr,
                          const uint8_t *before) {
    colour_params c = colour_params_of(frame);
    to_yuv_coefficients k;
    make_to_yuv(&c, &k);
    const uint32_t w = frame->width, h = frame->height;
    const size_t row = (size_t)w * 3;
    const uint32_t bw = 1u << L->cx_shift, bh = 1u << L->cy_shift; /* pixels per chroma sample */
    size_t written = 0;
    for (uint32_t y0 = 0; y0 < h; y0 += bh) {
        uint32_t y1 = y0 + bh < h ? y0 + bh : h;
        if (memcmp(bgr + y0 * row, before + y0 * row, (y1 - y0) * row) == 0) continue; /* untouched rows */
        uint8_t *us = frame->data[L->u_plane] + (size_t)(y0 >> L->cy_shift) * frame->linesize[L->u_plane] + L->u_offset;
        uint8_t *vs = frame->data[L->v_plane] + (size_t)(y0 >> L->cy_shift) * frame->linesize[L->v_plane] + L->v_offset;
        for (uint32_t x0 = 0; x0 < w; x0 += bw) {
            uint32_t x1 = x0 + bw < w ? x0 + bw : w;
            int32_t sb = 0, sg = 0, sr = 0, n = 0;
            int changed = 0;
            for (uint32_t y = y0; y < y1; y++) {
                uint8_t *ys = frame->data[L->y_plane] + (size_t)y * frame->linesize[L->y_plane] + L->y_offset;
                for (uint32_t x = x0; x < x1; x++) {
                    const uint8_t *p = bgr + y * row + x * 3, *q = before + y * row + x * 3;
                    if (p[0] != q[0] || p[1] != q[1] || p[2] != q[2]) {
                        ys[x * L->y_step] = yuv_sample(k.k[0], p[0], p[1], p[2], 1);
                        changed = 1;
                        written++;
                    }
                    sb += p[0], sg += p[1], sr += p[2], n++;
                }
            }
            if (changed) {
                us[(x0 >> L->cx_shift) * L->u_step] = yuv_sample(k.k[1], sb, sg, sr, n);
                vs[(x0 >> L->cx_shift) * L->v_step] = yuv_sample(k.k[2], sb, sg, sr, n);
            }
        }
    }
    return written;
}

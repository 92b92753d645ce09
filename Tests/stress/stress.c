/*
 * stress.c — concurrency stress test of libfaceswap's shared handles.
 *
 * include/faceswap.h documents fs_detector, fs_landmarker, fs_recognizer, fs_swapper, fs_source
 * and fs_model as immutable after creation and usable from any number of threads at once,
 * fs_stream as one thread at a time, and fs_last_error_message() as per thread. This program
 * checks exactly that: N threads (default 8) each make M calls (default 1000) on ONE shared
 * detector, landmarker, swapper + prepared source (and recognizer, Haar detector and learned
 * swapper when their models are there), each thread with its own fs_stream. The calls go in
 * blocks of 20 with a barrier between blocks: in every other block all threads call the same
 * handle at once, in the others each thread is on a different one (kind_of). Every result is
 * compared with the result of the same call made single-threaded before the threads start:
 *
 *   detect     fs_detect on the target: the same faces (every field, bit for bit)
 *   haar       the same with a second shared detector, OpenCV's Haar cascade (when the cascade
 *              file is installed): its pool of per-call classifiers must not share scan state
 *   landmarks  fs_landmarks_fit in the reference face's rectangle: the same 68 points, bit for bit
 *   swap       fs_swap of the prepared source onto the target: the same pixels (FNV-1a of the
 *              result) and the same number of faces swapped
 *   stream     fs_stream_push on the thread's own stream, fed the same frame sequence as the
 *              reference stream: the same pixels and face count, frame by frame
 *   embedding  fs_face_embedding of the reference face (only with the ResNet model): the same
 *              128 floats, bit for bit
 *   learned    fs_swap with a learned swapper (fs_swapper_create_learned over one shared fs_model,
 *              trained for STRESS_TRAIN_ITERATIONS iterations in setup on faces fs_extract takes
 *              from four photos): the same pixels. STRESS_TRAIN_ITERATIONS=0 leaves it out.
 *   error      every 10th call also makes a call that fails (fs_image_load of a path naming the
 *              thread and the call) and checks the status and that fs_last_error_message() names
 *              this thread's path, not another thread's
 *
 * The images are small real photos from the shared data (downscaled so that 8000 calls finish in
 * reasonable time under ThreadSanitizer). Any mismatch is reported and the program exits 1; a
 * setup error exits 2. Run under TSan (make test-tsan) it also checks the library for data races.
 *
 * Usage: stress DATA_DIR [THREADS [CALLS_PER_THREAD]]   (or STRESS_THREADS / STRESS_CALLS)
 */
#define _XOPEN_SOURCE 700
#include "faceswap.h"

#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FACES 8
#define STREAM_FRAMES 12 /* the stream's frame sequence repeats with this period */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "stress: setup: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

#define CHECK_OK(call)                                                                          \
    do {                                                                                        \
        fs_status st_ = (call);                                                                 \
        if (st_ != FS_OK) die("%s: %s (%s)", #call, fs_status_string(st_), fs_last_error_message()); \
    } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t image_hash(const fs_image *img) {
    fs_image_view v;
    if (fs_image_get_view(img, &v) != FS_OK) return 0;
    size_t bpp = v.format == FS_FORMAT_GRAY8 ? 1 : (v.format == FS_FORMAT_BGR8 || v.format == FS_FORMAT_RGB8) ? 3 : 4;
    uint64_t h = 14695981039346656037ull;
    h = fnv1a(h, &v.width, sizeof v.width);
    h = fnv1a(h, &v.height, sizeof v.height);
    for (int32_t y = 0; y < v.height; ++y) h = fnv1a(h, (const char *)v.data + (size_t)y * v.stride, (size_t)v.width * bpp);
    return h;
}

/* A new BGR8 image: src scaled by `scale` (box filter), mirrored when mirror, shifted right by dx. */
static fs_image *resample(const fs_image *src, double scale, int mirror, int dx) {
    fs_image_view s;
    CHECK_OK(fs_image_get_view(src, &s));
    if (s.format != FS_FORMAT_BGR8) die("expected a BGR8 photo");
    int w = (int)(s.width * scale), h = (int)(s.height * scale);
    fs_image *out = NULL;
    CHECK_OK(fs_image_create(w, h, FS_FORMAT_BGR8, &out));
    fs_image_view d;
    CHECK_OK(fs_image_get_view(out, &d));
    for (int y = 0; y < h; ++y) {
        int y0 = (int)(y / scale), y1 = (int)((y + 1) / scale);
        if (y1 <= y0) y1 = y0 + 1;
        if (y1 > s.height) y1 = s.height;
        for (int x = 0; x < w; ++x) {
            int sx = mirror ? w - 1 - x : x;
            sx -= dx;
            if (sx < 0) sx = 0;
            if (sx >= w) sx = w - 1;
            int x0 = (int)(sx / scale), x1 = (int)((sx + 1) / scale);
            if (x1 <= x0) x1 = x0 + 1;
            if (x1 > s.width) x1 = s.width;
            unsigned sum[3] = {0, 0, 0}, n = 0;
            for (int yy = y0; yy < y1; ++yy)
                for (int xx = x0; xx < x1; ++xx) {
                    const unsigned char *p = (const unsigned char *)s.data + (size_t)yy * s.stride + (size_t)xx * 3;
                    sum[0] += p[0], sum[1] += p[1], sum[2] += p[2], ++n;
                }
            unsigned char *q = (unsigned char *)d.data + (size_t)y * d.stride + (size_t)x * 3;
            for (int c = 0; c < 3; ++c) q[c] = (unsigned char)((sum[c] + n / 2) / n);
        }
    }
    return out;
}

static fs_image *load_scaled(const char *data, const char *name, double scale) {
    char path[4096];
    snprintf(path, sizeof path, "%s/faces/%s", data, name);
    fs_image *img = NULL;
    CHECK_OK(fs_image_load(path, &img));
    fs_image *out = resample(img, scale, 0, 0);
    fs_image_free(img);
    return out;
}

static fs_image *copy_of(const fs_image *img) {
    fs_image_view v;
    fs_image *out = NULL;
    if (fs_image_get_view(img, &v) != FS_OK || fs_image_from_view(&v, &out) != FS_OK) return NULL;
    return out;
}

/* ---- shared state (read-only while the threads run) ------------------------------------- */

static fs_detector *g_detector;
static fs_detector *g_haar;        /* NULL without opencv-data's cascade */
static fs_model *g_model;          /* the learned conversion (NULL: STRESS_TRAIN_ITERATIONS=0) */
static fs_swapper *g_learned;
static uint64_t g_ref_learned_hash;
static size_t g_ref_learned_swapped;
static fs_landmarker *g_landmarker;
static fs_recognizer *g_recognizer; /* NULL without the ResNet model */
static fs_swapper *g_swapper;
static fs_source *g_source;
static fs_image *g_target;                      /* two faces */
static fs_image *g_frames[STREAM_FRAMES];       /* the stream's frame sequence (period) */

static size_t g_ref_count;
static fs_face g_ref_faces[MAX_FACES];
static fs_face g_ref_fit;                       /* g_ref_faces[0] with its landmarks */
static size_t g_ref_haar_count;
static fs_face g_ref_haar[MAX_FACES];
static uint64_t g_ref_swap_hash;
static size_t g_ref_swapped;
static float g_ref_embedding[FS_EMBEDDING_SIZE];
static int g_stream_pushes;                     /* per thread */
static uint64_t *g_ref_stream_hash;             /* [g_stream_pushes] */
static size_t *g_ref_stream_faces;

static int g_calls = 1000;
static pthread_barrier_t g_barrier;

enum { K_DETECT, K_LANDMARKS, K_SWAP, K_STREAM, K_EMBED, K_HAAR, K_LEARNED, K_ERROR, K_COUNT };
static const char *kind_name[K_COUNT] = {"detect", "landmarks", "swap", "stream", "embedding", "haar", "learned", "error"};
static int g_kind[K_COUNT]; /* the kinds made, in turn: detect, landmarks, swap, stream (+ embedding, haar) */
static int g_kinds;

/* The schedule: calls go in blocks of BLOCK, all threads waiting for each other between blocks.
 * In even blocks every thread makes the same kind of call (8 threads on one handle at once); in
 * odd blocks each thread is on a different kind (detect on the detector while the swapper uses
 * it, etc.). */
#define BLOCK 20
static int kind_of(int i, int id) {
    int b = i / BLOCK;
    if (b % 2 == 0) return g_kind[(b / 2) % g_kinds];
    return g_kind[(i + id) % g_kinds];
}

typedef struct {
    int id;
    long calls[K_COUNT];
    long mismatches[K_COUNT];
    char first_problem[512];
    double seconds;
} worker;

static void problem(worker *w, int kind, const char *fmt, ...) {
    w->mismatches[kind]++;
    if (w->first_problem[0]) return;
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(w->first_problem, sizeof w->first_problem, "thread %d, %s: ", w->id, kind_name[kind]);
    vsnprintf(w->first_problem + n, sizeof w->first_problem - (size_t)n, fmt, ap);
    va_end(ap);
}

/* The stream's frame for push number i: a fixed, repeating sequence of still, mirrored, shifted
 * and face-less frames (the tracker detects, tracks, loses and re-finds faces). */
static const fs_image *stream_frame(int i) { return g_frames[i % STREAM_FRAMES]; }

static fs_status push_copy(fs_stream *stream, int i, uint64_t *hash, size_t *faces) {
    fs_image *frame = copy_of(stream_frame(i));
    if (!frame) return FS_ERR_OUT_OF_MEMORY;
    fs_status st = fs_stream_push(stream, frame, i / 25.0, faces);
    *hash = st == FS_OK ? image_hash(frame) : 0;
    fs_image_free(frame);
    return st;
}

static void *run(void *arg) {
    worker *w = arg;
    fs_stream *stream = NULL;
    if (fs_stream_create(g_swapper, g_source, NULL, &stream) != FS_OK) /* pushes then fail too */
        problem(w, K_STREAM, "fs_stream_create: %s", fs_last_error_message());
    int pushes = 0;
    pthread_barrier_wait(&g_barrier);
    double t0 = now();
    for (int i = 0; i < g_calls; ++i) {
        if (i > 0 && i % BLOCK == 0) pthread_barrier_wait(&g_barrier);
        int kind = kind_of(i, w->id);
        w->calls[kind]++;
        switch (kind) {
        case K_DETECT: {
            fs_face faces[MAX_FACES];
            size_t count = 0;
            memset(faces, 0, sizeof faces);
            fs_status st = fs_detect(g_detector, g_target, faces, MAX_FACES, &count);
            if (st != FS_OK) problem(w, kind, "call %d: %s: %s", i, fs_status_string(st), fs_last_error_message());
            else if (count != g_ref_count) problem(w, kind, "call %d: %zu faces, reference %zu", i, count, g_ref_count);
            else if (memcmp(faces, g_ref_faces, count * sizeof *faces) != 0)
                problem(w, kind, "call %d: faces differ from the reference (first box %.2f,%.2f %.2fx%.2f vs %.2f,%.2f %.2fx%.2f)",
                        i, faces[0].box.x, faces[0].box.y, faces[0].box.width, faces[0].box.height, g_ref_faces[0].box.x,
                        g_ref_faces[0].box.y, g_ref_faces[0].box.width, g_ref_faces[0].box.height);
            break;
        }
        case K_HAAR: {
            fs_face faces[MAX_FACES];
            size_t count = 0;
            memset(faces, 0, sizeof faces);
            fs_status st = fs_detect(g_haar, g_target, faces, MAX_FACES, &count);
            if (st != FS_OK) problem(w, kind, "call %d: %s: %s", i, fs_status_string(st), fs_last_error_message());
            else if (count != g_ref_haar_count) problem(w, kind, "call %d: %zu faces, reference %zu", i, count, g_ref_haar_count);
            else if (memcmp(faces, g_ref_haar, (count < MAX_FACES ? count : MAX_FACES) * sizeof *faces) != 0)
                problem(w, kind, "call %d: faces differ from the reference", i);
            break;
        }
        case K_LEARNED: {
            fs_image *out = NULL;
            size_t swapped = 0;
            fs_status st = fs_swap(g_learned, NULL, g_target, &out, NULL, &swapped);
            if (st != FS_OK) problem(w, kind, "call %d: %s: %s", i, fs_status_string(st), fs_last_error_message());
            else if (swapped != g_ref_learned_swapped) problem(w, kind, "call %d: %zu faces swapped, reference %zu", i, swapped, g_ref_learned_swapped);
            else if (image_hash(out) != g_ref_learned_hash) problem(w, kind, "call %d: result pixels differ from the reference", i);
            fs_image_free(out);
            break;
        }
        case K_LANDMARKS: {
            fs_face f = g_ref_faces[0];
            fs_status st = fs_landmarks_fit(g_landmarker, g_target, &f);
            if (st != FS_OK) problem(w, kind, "call %d: %s: %s", i, fs_status_string(st), fs_last_error_message());
            else if (f.num_landmarks != g_ref_fit.num_landmarks ||
                     memcmp(f.landmarks, g_ref_fit.landmarks, sizeof f.landmarks) != 0)
                problem(w, kind, "call %d: landmarks differ from the reference (point 30: %.2f,%.2f vs %.2f,%.2f)", i,
                        f.landmarks[30].x, f.landmarks[30].y, g_ref_fit.landmarks[30].x, g_ref_fit.landmarks[30].y);
            break;
        }
        case K_SWAP: {
            fs_image *out = NULL;
            size_t swapped = 0;
            fs_status st = fs_swap(g_swapper, g_source, g_target, &out, NULL, &swapped);
            if (st != FS_OK) problem(w, kind, "call %d: %s: %s", i, fs_status_string(st), fs_last_error_message());
            else if (swapped != g_ref_swapped) problem(w, kind, "call %d: %zu faces swapped, reference %zu", i, swapped, g_ref_swapped);
            else if (image_hash(out) != g_ref_swap_hash) problem(w, kind, "call %d: result pixels differ from the reference", i);
            fs_image_free(out);
            break;
        }
        case K_STREAM: {
            uint64_t h = 0;
            size_t faces = 0;
            int k = pushes++;
            fs_status st = push_copy(stream, k, &h, &faces);
            if (st != FS_OK) problem(w, kind, "push %d: %s: %s", k, fs_status_string(st), fs_last_error_message());
            else if (k < g_stream_pushes && (faces != g_ref_stream_faces[k] || h != g_ref_stream_hash[k]))
                problem(w, kind, "push %d: %zu faces (reference %zu), pixels %s the reference", k, faces,
                        g_ref_stream_faces[k], h == g_ref_stream_hash[k] ? "equal to" : "differ from");
            break;
        }
        case K_EMBED: {
            float e[FS_EMBEDDING_SIZE];
            fs_status st = fs_face_embedding(g_recognizer, g_target, &g_ref_fit, e);
            if (st != FS_OK) problem(w, kind, "call %d: %s: %s", i, fs_status_string(st), fs_last_error_message());
            else if (memcmp(e, g_ref_embedding, sizeof e) != 0)
                problem(w, kind, "call %d: embedding differs from the reference (distance %g)", i,
                        (double)fs_embedding_distance(e, g_ref_embedding));
            break;
        }
        }
        if (i % 10 == 0) { /* per-thread error messages under concurrency */
            char path[128];
            snprintf(path, sizeof path, "/nonexistent-stress/thread-%d-call-%d.jpg", w->id, i);
            fs_image *img = NULL;
            fs_status st = fs_image_load(path, &img);
            const char *msg = fs_last_error_message();
            w->calls[K_ERROR]++;
            if (st != FS_ERR_IO || img != NULL || strstr(msg, path) == NULL)
                problem(w, K_ERROR, "call %d: status %s, message '%s' does not name '%s'", i, fs_status_string(st), msg, path);
            fs_image_free(img);
        }
    }
    w->seconds = now() - t0;
    fs_stream_free(stream);
    return NULL;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* A model trained for `iterations` on faces extracted from two photos per side, in a temporary
 * folder that is removed again; loaded twice (*other: the reference's own copy, so that the
 * threads' model makes its first conversions concurrently). */
static fs_model *train_model(const char *data, int iterations, fs_model **other) {
    char dir[] = "/tmp/fs-stress-XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp failed");
    char a[4200], b[4200], model_path[4200], in[4][4200];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(model_path, sizeof model_path, "%s/ab.fsm", dir);
    const char *names[4] = {"fb_einstein2.jpg", "fb_einstein3.jpg", "fr_obama_small.jpg", "fb_carl_sagan2.jpg"};
    for (int i = 0; i < 4; ++i) snprintf(in[i], sizeof in[i], "%s/faces/%s", data, names[i]);
    const char *side_a[2] = {in[0], in[1]}, *side_b[2] = {in[2], in[3]};
    fs_extract_options eo;
    CHECK_OK(FS_EXTRACT_OPTIONS_INIT(&eo));
    eo.size = 128;
    CHECK_OK(fs_extract(g_detector, g_landmarker, side_a, 2, a, &eo, NULL, NULL, NULL));
    CHECK_OK(fs_extract(g_detector, g_landmarker, side_b, 2, b, &eo, NULL, NULL, NULL));
    fs_train_options to;
    CHECK_OK(FS_TRAIN_OPTIONS_INIT(&to));
    to.batch = 2;
    to.checkpoint_every = 0;
    to.preview_every = 0;
    fs_trainer *trainer = NULL;
    CHECK_OK(fs_trainer_create(a, b, model_path, &to, &trainer));
    CHECK_OK(fs_trainer_run(trainer, iterations, 0, NULL, NULL));
    fs_trainer_free(trainer);
    fs_model *model = NULL;
    CHECK_OK(fs_model_load(model_path, &model));
    CHECK_OK(fs_model_load(model_path, other));
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return model;
}

int main(int argc, char **argv) {
    const char *data = argc > 1 ? argv[1] : getenv("FACESWAP_DATA");
    if (!data) die("usage: stress DATA_DIR [THREADS [CALLS_PER_THREAD]]");
    int threads = argc > 2 ? atoi(argv[2]) : getenv("STRESS_THREADS") ? atoi(getenv("STRESS_THREADS")) : 8;
    g_calls = argc > 3 ? atoi(argv[3]) : getenv("STRESS_CALLS") ? atoi(getenv("STRESS_CALLS")) : 1000;
    if (threads < 1 || threads > 256 || g_calls < 1) die("bad thread or call count");
    if (!FS_ABI_COMPATIBLE()) die("library ABI %d, header %d", fs_abi_version(), FS_ABI_VERSION);

    double t_setup = now();
    /* Images: the target has two faces (~110 and ~95 px wide after scaling); the source one. */
    g_target = load_scaled(data, "sn_laos.jpg", 0.45);
    fs_image *source_img = load_scaled(data, "fb_einstein2.jpg", 0.8);
    fs_image *mirrored = resample(g_target, 1.0, 1, 0);
    fs_image *shifted = resample(g_target, 1.0, 0, 6);
    fs_image *zebra = load_scaled(data, "sn_zebra_stripes.jpg", 0.36); /* no face */
    fs_image_view tv, zv;
    CHECK_OK(fs_image_get_view(g_target, &tv));
    CHECK_OK(fs_image_get_view(zebra, &zv));
    if (zv.width < tv.width || zv.height < tv.height) die("no-face frame smaller than the target");
    zv.width = tv.width, zv.height = tv.height;
    fs_image *noface = NULL;
    CHECK_OK(fs_image_from_view(&zv, &noface));
    /* The stream: still (detect, then track), a cut to no face, back, mirrored, shifted. */
    const fs_image *seq[STREAM_FRAMES] = {g_target, g_target, shifted, g_target, noface, noface,
                                          g_target, mirrored, mirrored, g_target, shifted, shifted};
    for (int i = 0; i < STREAM_FRAMES; ++i) g_frames[i] = (fs_image *)seq[i];

    /* Shared handles. */
    fs_detector_options dopt;
    CHECK_OK(FS_DETECTOR_OPTIONS_INIT(&dopt));
    CHECK_OK(fs_detector_create(&dopt, &g_detector));
    CHECK_OK(fs_landmarker_create(NULL, &g_landmarker));
    g_kind[g_kinds++] = K_DETECT;
    g_kind[g_kinds++] = K_LANDMARKS;
    g_kind[g_kinds++] = K_SWAP;
    g_kind[g_kinds++] = K_STREAM;
    char model[4096];
    if (fs_model_find("dlib_face_recognition_resnet_model_v1.dat", model, sizeof model) == FS_OK) {
        CHECK_OK(fs_recognizer_create(model, &g_recognizer));
        g_kind[g_kinds++] = K_EMBED;
    }
    if (fs_model_find("haarcascade_frontalface_default.xml", model, sizeof model) == FS_OK) {
        fs_detector_options hopt;
        CHECK_OK(FS_DETECTOR_OPTIONS_INIT(&hopt));
        hopt.backend = FS_DETECTOR_HAAR;
        hopt.model_path = model;
        CHECK_OK(fs_detector_create(&hopt, &g_haar));
        g_kind[g_kinds++] = K_HAAR;
    }
    CHECK_OK(fs_swapper_create(g_detector, g_landmarker, NULL, NULL, &g_swapper));
    int train_iterations = getenv("STRESS_TRAIN_ITERATIONS") ? atoi(getenv("STRESS_TRAIN_ITERATIONS")) : 2;
    fs_model *ref_model = NULL;
    fs_swapper *ref_learned = NULL;
    if (train_iterations > 0) {
        g_model = train_model(data, train_iterations, &ref_model);
        CHECK_OK(fs_swapper_create_learned(g_detector, g_landmarker, g_model, 0, NULL, &g_learned));
        CHECK_OK(fs_swapper_create_learned(g_detector, g_landmarker, ref_model, 0, NULL, &ref_learned));
        g_kind[g_kinds++] = K_LEARNED;
    }
    CHECK_OK(fs_source_prepare(g_swapper, source_img, 0, &g_source));

    /* Single-threaded references. */
    CHECK_OK(fs_detect(g_detector, g_target, g_ref_faces, MAX_FACES, &g_ref_count));
    if (g_ref_count < 2) die("expected 2 faces in the scaled sn_laos.jpg, found %zu", g_ref_count);
    if (g_ref_count > MAX_FACES) g_ref_count = MAX_FACES;
    g_ref_fit = g_ref_faces[0];
    CHECK_OK(fs_landmarks_fit(g_landmarker, g_target, &g_ref_fit));
    fs_image *ref_out = NULL;
    CHECK_OK(fs_swap(g_swapper, g_source, g_target, &ref_out, NULL, &g_ref_swapped));
    g_ref_swap_hash = image_hash(ref_out);
    fs_image_free(ref_out);
    if (g_recognizer) CHECK_OK(fs_face_embedding(g_recognizer, g_target, &g_ref_fit, g_ref_embedding));
    if (g_learned) {
        fs_image *lout = NULL;
        CHECK_OK(fs_swap(ref_learned, NULL, g_target, &lout, NULL, &g_ref_learned_swapped));
        g_ref_learned_hash = image_hash(lout);
        fs_image_free(lout);
        fs_swapper_free(ref_learned);
        fs_model_free(ref_model);
    }
    if (g_haar) {
        CHECK_OK(fs_detect(g_haar, g_target, g_ref_haar, MAX_FACES, &g_ref_haar_count));
        if (g_ref_haar_count == 0) die("the Haar detector finds no face in the scaled sn_laos.jpg");
    }
    for (int t = 0; t < threads; ++t) { /* the most stream pushes any thread makes */
        int n = 0;
        for (int i = 0; i < g_calls; ++i) n += kind_of(i, t) == K_STREAM;
        if (n > g_stream_pushes) g_stream_pushes = n;
    }
    g_ref_stream_hash = calloc((size_t)g_stream_pushes, sizeof *g_ref_stream_hash);
    g_ref_stream_faces = calloc((size_t)g_stream_pushes, sizeof *g_ref_stream_faces);
    if (!g_ref_stream_hash || !g_ref_stream_faces) die("out of memory");
    fs_stream *ref_stream = NULL;
    CHECK_OK(fs_stream_create(g_swapper, g_source, NULL, &ref_stream));
    size_t with_faces = 0;
    for (int k = 0; k < g_stream_pushes; ++k) {
        CHECK_OK(push_copy(ref_stream, k, &g_ref_stream_hash[k], &g_ref_stream_faces[k]));
        with_faces += g_ref_stream_faces[k] > 0;
    }
    fs_stream_free(ref_stream);
    if (with_faces == 0) die("the reference stream swapped no face");
    /* A second reference pass must agree with the first, or the comparison below means nothing. */
    {
        fs_face again[MAX_FACES];
        size_t n = 0;
        CHECK_OK(fs_detect(g_detector, g_target, again, MAX_FACES, &n));
        if (n != g_ref_count || memcmp(again, g_ref_faces, n * sizeof *again) != 0) die("fs_detect is not deterministic");
    }
    t_setup = now() - t_setup;

    /* Every shared handle may now be dropped by its creator except those used directly: the swapper
     * keeps its own references to the detector and landmarker, and the threads use all of them. */
    pthread_barrier_init(&g_barrier, NULL, (unsigned)threads);
    worker *ws = calloc((size_t)threads, sizeof *ws);
    pthread_t *ts = calloc((size_t)threads, sizeof *ts);
    if (!ws || !ts) die("out of memory");
    printf("stress: %d threads x %d calls on one detector (HOG), landmarker (%d points), swapper + source%s%s, "
           "a stream per thread; target %dx%d with %zu faces; setup and references %.2f s\n",
           threads, g_calls, fs_landmarker_num_points(g_landmarker),
           g_recognizer ? ", recognizer" : " (no recognizer model: no embedding calls)",
           g_haar ? ", Haar detector" : " (no Haar cascade: no haar calls)", tv.width, tv.height, g_ref_count, t_setup);
    if (g_learned) printf("stress: learned swapper over a model trained %d iterations\n", train_iterations);
    fflush(stdout);
    double t0 = now();
    for (int t = 0; t < threads; ++t) {
        ws[t].id = t;
        if (pthread_create(&ts[t], NULL, run, &ws[t]) != 0) die("pthread_create failed");
    }
    for (int t = 0; t < threads; ++t) pthread_join(ts[t], NULL);
    double wall = now() - t0;

    long calls[K_COUNT] = {0}, bad[K_COUNT] = {0}, total = 0, total_bad = 0;
    for (int t = 0; t < threads; ++t)
        for (int k = 0; k < K_COUNT; ++k) {
            calls[k] += ws[t].calls[k];
            bad[k] += ws[t].mismatches[k];
        }
    for (int k = 0; k < K_COUNT; ++k) {
        if (k != K_ERROR) total += calls[k];
        total_bad += bad[k];
    }
    printf("stress: %ld calls in %.2f s (%.1f calls/s):", total, wall, total / wall);
    for (int k = 0; k < K_COUNT; ++k)
        if (calls[k]) printf(" %s %ld%s", kind_name[k], calls[k], k == K_ERROR ? " (extra failing calls)" : "");
    printf("\n");
    for (int t = 0; t < threads; ++t)
        if (ws[t].first_problem[0]) printf("stress: FIRST PROBLEM %s\n", ws[t].first_problem);
    for (int k = 0; k < K_COUNT; ++k)
        if (bad[k]) printf("stress: %ld %s results differ from the single-threaded reference\n", bad[k], kind_name[k]);

    for (int i = 0; i < STREAM_FRAMES; ++i) g_frames[i] = NULL;
    fs_source_free(g_source);
    fs_swapper_free(g_swapper);
    fs_recognizer_free(g_recognizer);
    fs_landmarker_free(g_landmarker);
    fs_detector_free(g_detector);
    fs_detector_free(g_haar);
    fs_swapper_free(g_learned);
    fs_model_free(g_model);
    fs_image_free(g_target);
    fs_image_free(source_img);
    fs_image_free(mirrored);
    fs_image_free(shifted);
    fs_image_free(zebra);
    fs_image_free(noface);
    free(g_ref_stream_hash);
    free(g_ref_stream_faces);
    free(ws);
    free(ts);
    pthread_barrier_destroy(&g_barrier);
    printf("%ld passed, %ld failed\n", total - total_bad, total_bad);
    return total_bad ? 1 : 0;
}

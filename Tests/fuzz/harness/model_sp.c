/* libFuzzer harness: loading a dlib shape predictor (the 68/5-point landmark model) from a file
 * of fuzzed bytes with fs_landmarker_create, and using what loads.
 *
 * Byte 0 picks the path through the loader (Sources/CFaceShim/landmarks.cpp):
 *   0  no cache (FACESWAP_NO_MODEL_CACHE=1): dlib's format read part by part and checked;
 *   1  the default path: the same, then its raw-binary cache written, then a second create from
 *      that cache; both must give identical landmarks;
 *   2  the cache reader: the bytes are the cache file of a fixed model path.
 * The rest is the file. A model that loads must fit finite landmarks on a small probe image in
 * rectangles inside, across and around it.
 * Files live in a private folder under $TMPDIR (or /dev/shm), removed at exit (after a crash, by
 * the next run). */
#define _GNU_SOURCE /* nftw's FTW_DEPTH */
#include "fuzz_files.h"
#include <math.h>

static char dir[PATH_MAX], model_path[PATH_MAX], cache_home[PATH_MAX], cache_dir[PATH_MAX];
static char fixed_model[PATH_MAX], fixed_cache[PATH_MAX];
static fs_image *probe;

static void clear_cache(void) {
    DIR *d = opendir(cache_dir);
    if (!d) return;
    struct dirent *e;
    char p[PATH_MAX * 2];
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') snprintf(p, sizeof p, "%s/%s", cache_dir, e->d_name), unlink(p);
    closedir(d);
}

static void cleanup(void) {
    clear_cache();
    rmdir(cache_dir);
    rmdir(cache_home);
    unlink(model_path);
    unlink(fixed_model);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init();
    struct stat st;
    fuzz_private_dir(dir, sizeof dir, "fs-fuzz-model");
    snprintf(model_path, sizeof model_path, "%s/model.dat", dir);
    snprintf(cache_home, sizeof cache_home, "%s/cache", dir);
    snprintf(cache_dir, sizeof cache_dir, "%s/faceswap", cache_home);
    snprintf(fixed_model, sizeof fixed_model, "%s/fixed.dat", dir);
    atexit(cleanup);
    setenv("XDG_CACHE_HOME", cache_home, 1);
    /* The cache of fixed.dat is found by name (path, size, mtime), whatever fixed.dat holds. */
    fuzz_write_file(fixed_model, (const uint8_t *)"not a model", 11);
    FUZZ_CHECK(stat(fixed_model, &st) == 0, "stat %s", fixed_model);
    char key[PATH_MAX];
    snprintf(key, sizeof key, "%s", fixed_model);
    for (char *c = key; *c; c++)
        if (*c == '/') *c = '_';
    snprintf(fixed_cache, sizeof fixed_cache, "%s/%s.%lld-%lld.spflat", cache_dir, key, (long long)st.st_size,
             (long long)st.st_mtime);
    /* A 96x96 probe with structure (gradients and a dark blob), in grey so any model sees contrast. */
    FUZZ_CHECK(fs_image_create(96, 96, FS_FORMAT_GRAY8, &probe) == FS_OK, "fs_image_create");
    fs_image_view v;
    fs_image_get_view(probe, &v);
    for (int y = 0; y < 96; y++)
        for (int x = 0; x < 96; x++) {
            int d = (x - 48) * (x - 48) + (y - 40) * (y - 40);
            ((uint8_t *)v.data)[y * v.stride + x] = (uint8_t)(d < 300 ? 30 : (x * 2 + y) & 0xff);
        }
    return 0;
}

static void fit_all(const fs_landmarker *lm, fs_face out[4]) {
    static const fs_rect rects[4] = {{20, 20, 56, 56}, {-30, -30, 60, 60}, {0, 0, 96, 96}, {70, 80, 400, 300}};
    int n = fs_landmarker_num_points(lm);
    FUZZ_CHECK(n == 68 || n == 5, "a loaded landmarker has %d points", n);
    for (int i = 0; i < 4; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].rect = out[i].box = rects[i];
        fs_status st = fs_landmarks_fit(lm, probe, &out[i]);
        fuzz_check_status(st, "fs_landmarks_fit");
        FUZZ_CHECK(st == FS_OK, "fitting a loaded model failed");
        FUZZ_CHECK(out[i].num_landmarks == n, "fit gave %d points of %d", out[i].num_landmarks, n);
        for (int k = 0; k < n; k++)
            FUZZ_CHECK(isfinite(out[i].landmarks[k].x) && isfinite(out[i].landmarks[k].y), "landmark %d not finite", k);
    }
}

static fs_landmarker *create(const char *path) {
    fs_landmarker *lm = (fs_landmarker *)(uintptr_t)1;
    fs_status st = fs_landmarker_create(path, &lm);
    fuzz_check_status(st, "fs_landmarker_create");
    if (st != FS_OK) {
        FUZZ_CHECK(lm == NULL, "a failed create left *out set");
        FUZZ_CHECK(st == FS_ERR_MODEL || st == FS_ERR_OUT_OF_MEMORY, "a bad model file gave %s, not FS_ERR_MODEL",
                   fs_status_string(st));
        return NULL;
    }
    return lm;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0] % 3;
    data++, size--;
    fs_face a[4], b[4];
    clear_cache();
    if (mode == 0) {
        setenv("FACESWAP_NO_MODEL_CACHE", "1", 1);
        fuzz_write_file(model_path, data, size);
        fs_landmarker *lm = create(model_path);
        if (lm) fit_all(lm, a);
        fs_landmarker_free(lm);
    } else if (mode == 1) {
        unsetenv("FACESWAP_NO_MODEL_CACHE");
        fuzz_write_file(model_path, data, size);
        fs_landmarker *lm = create(model_path);
        if (lm) {
            fit_all(lm, a);
            fs_landmarker *again = create(model_path); /* now from the cache just written */
            FUZZ_CHECK(again != NULL, "a model that loaded does not load from its own cache");
            FUZZ_CHECK(fs_landmarker_num_points(again) == fs_landmarker_num_points(lm), "cache changed the point count");
            fit_all(again, b);
            for (int i = 0; i < 4; i++)
                FUZZ_CHECK(memcmp(a[i].landmarks, b[i].landmarks, sizeof a[i].landmarks) == 0,
                           "landmarks differ between the model and its cache (rect %d)", i);
            fs_landmarker_free(again);
        }
        fs_landmarker_free(lm);
    } else {
        unsetenv("FACESWAP_NO_MODEL_CACHE");
        mkdir(cache_home, 0755);
        mkdir(cache_dir, 0755);
        fuzz_write_file(fixed_cache, data, size);
        fs_landmarker *lm = create(fixed_model);
        if (lm) fit_all(lm, a);
        fs_landmarker_free(lm);
    }
    return 0;
}

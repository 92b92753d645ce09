/* libFuzzer harness: the frei0r plugin's parameters (bindings/frei0r/faceswap_frei0r.c, included
 * here whole) as a host such as ffmpeg sets them, then frames through f0r_update so that the
 * plugin checks and uses them.
 *
 * Input: 2 bytes frame width/height (1..48), then operations until the input ends:
 *   op = 1 byte: low nibble = parameter index (10..15 are not parameters), bits 4-5 = what:
 *     0  set the parameter from the following bytes (a string: 1 length byte + bytes; a double or
 *        bool: 8 raw bytes), with the type f0r_get_param_info gives, as a host must;
 *     1  set it to a NULL pointer;
 *     2  f0r_update with the frame time from 8 raw bytes (any double: NaN, huge, backwards);
 *     3  f0r_update with time = 0.04 * frame number.
 *   After every set, f0r_get_param_value must give back what was set (or the documented default
 *   for an empty string).
 * The source photo (parameter 0) is one of: "" / $FS_FUZZ_FACE (a small photo with one face,
 * set by run.sh) / a path under a folder that does not exist; the fuzzed bytes name the last, with
 * '/' replaced so that no real file is ever read.
 * The plugin's own detector and landmarker creation is routed to one shared pair (creating them
 * takes a second); everything else is the plugin's code as shipped. */
#define _GNU_SOURCE
#include "fuzz_common.h"
#include <math.h>

static fs_detector *shared_detector;
static fs_landmarker *shared_landmarker;
static FILE *plugin_stderr; /* the plugin reports every distinct problem: keep that out of the log */

static fs_status shared_detector_create(const fs_detector_options *o, fs_detector **out) {
    FUZZ_CHECK(o == NULL, "the plugin asked for a non-default detector");
    *out = shared_detector;
    return FS_OK;
}
static fs_status shared_landmarker_create(const char *path, fs_landmarker **out) {
    FUZZ_CHECK(path == NULL, "the plugin asked for a landmark model by path");
    *out = shared_landmarker;
    return FS_OK;
}
static void shared_free(const void *p) { (void)p; }

#define fs_detector_create shared_detector_create
#define fs_landmarker_create shared_landmarker_create
#define fs_detector_free shared_free
#define fs_landmarker_free shared_free
#undef stderr
#define stderr plugin_stderr
#include "../../../bindings/frei0r/faceswap_frei0r.c"
#undef stderr
#undef fs_detector_create
#undef fs_landmarker_create
#undef fs_detector_free
#undef fs_landmarker_free

static const char *face_path;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init();
    plugin_stderr = fopen("/dev/null", "w");
    FUZZ_CHECK(plugin_stderr != NULL, "cannot open /dev/null");
    FUZZ_CHECK(fs_detector_create(NULL, &shared_detector) == FS_OK, "cannot create the detector");
    FUZZ_CHECK(fs_landmarker_create(NULL, &shared_landmarker) == FS_OK,
               "cannot load the 68-point landmark model (install it: .ci/fetch-models)");
    face_path = getenv("FS_FUZZ_FACE");
    if (!face_path) face_path = "";
    FUZZ_CHECK(f0r_init() == 1, "f0r_init");
    return 0;
}

static int type_of(int index) {
    f0r_param_info_t info = {0};
    info.type = -1;
    f0r_get_param_info(&info, index);
    return info.type;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_reader r = {data, size};
    unsigned w = 1 + fuzz_u8(&r) % 48, h = 1 + fuzz_u8(&r) % 48;
    f0r_instance_t inst = f0r_construct(w, h);
    FUZZ_CHECK(inst != NULL, "f0r_construct(%u, %u)", w, h);
    uint32_t *in = malloc((size_t)w * h * 4), *out = malloc((size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h; i++) in[i] = 0x80402010u ^ (uint32_t)(i * 2654435761u);
    int frames = 0, ops = 0;
    while (r.n && ops++ < 64) {
        uint8_t op = fuzz_u8(&r);
        int index = op & 15, what = (op >> 4) & 3;
        int type = type_of(index);
        if (what == 0 && type == F0R_PARAM_STRING) {
            char s[300];
            size_t len = fuzz_u8(&r);
            for (size_t i = 0; i < len; i++) s[i] = (char)fuzz_u8(&r);
            s[len] = 0;
            if (index == P_SOURCE) { /* never a real file other than the face photo */
                if (len == 0) s[0] = 0;
                else if ((uint8_t)s[0] % 3 == 1) snprintf(s, sizeof s, "%s", face_path);
                else {
                    char name[260];
                    snprintf(name, sizeof name, "%s", s + 1);
                    for (char *c = name; *c; c++)
                        if (*c == '/') *c = '_';
                    snprintf(s, sizeof s, "/nonexistent-fuzz-folder/%s", name);
                }
            }
            char *value = s;
            f0r_set_param_value(inst, &value, index);
            char *got = NULL;
            f0r_get_param_value(inst, &got, index);
            FUZZ_CHECK(got != NULL, "parameter %d reads back NULL", index);
            if (s[0]) FUZZ_CHECK(strcmp(got, s) == 0, "parameter %d: set '%s', got '%s'", index, s, got);
            else FUZZ_CHECK(index == P_SOURCE ? got[0] == 0 : got[0] != 0, "parameter %d: empty gave '%s'", index, got);
        } else if (what == 0 && (type == F0R_PARAM_DOUBLE || type == F0R_PARAM_BOOL)) {
            double d = fuzz_f64(&r), got = -1;
            f0r_set_param_value(inst, &d, index);
            f0r_get_param_value(inst, &got, index);
            FUZZ_CHECK(got == d || (isnan(got) && isnan(d)), "parameter %d: set %g, got %g", index, d, got);
        } else if (what == 0 || what == 1) {
            f0r_set_param_value(inst, NULL, index); /* also an index that is not a parameter */
        } else if (frames < 6) {
            double t = what == 2 ? fuzz_f64(&r) : 0.04 * frames;
            frames++;
            memset(out, 0xAB, (size_t)w * h * 4);
            f0r_update(inst, t, in, out);
            if (!((instance *)inst)->ready) /* nothing usable: the frame passes through */
                FUZZ_CHECK(memcmp(in, out, (size_t)w * h * 4) == 0, "a frame the plugin could not swap changed");
        }
    }
    f0r_destruct(inst);
    free(in);
    free(out);
    return 0;
}

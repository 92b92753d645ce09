/*
 * runner.c — main() of test_faceswap, the C test program of libfaceswap (see harness.h for its
 * files), and its checks.
 *
 * Built from every .c file of Tests/c (Tests/c/run.sh does it, then runs it):
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I include Tests/c/(all the .c files) \
 *      -L .build/release -lfaceswap -lm -pthread -o test_faceswap
 *   LD_LIBRARY_PATH=.build/release ./test_faceswap Tests/data                    every group
 *   LD_LIBRARY_PATH=.build/release ./test_faceswap --group swap-modes Tests/data one group (or more)
 *   ./test_faceswap --list                                                        the groups, in order
 *
 * DATA_DIR is the test data folder (it holds faces/fr_obama1.jpg, videos/, ...). Each group writes
 * its temporary files into its own folder under a fresh mkdtemp() folder in $TMPDIR (or /tmp),
 * removed after it. FS_TEST_VERBOSE=1 prints every check and every error message the library gave.
 * Every model file is required (make test installs them): the 68- and 5-point predictors, the CNN
 * detector, the Haar cascade and the face-recognition ResNet; a missing one is a failure, not a skip.
 *
 * Groups of note: "bad-input-table" runs Tests/c/bad_input_table.h, one row per bad input of every
 * function in faceswap.h (run.sh checks that every header function has rows; --list-table-functions
 * prints the table's functions); "bounds-memory" and "bounds-disk-full" run child copies of this
 * program (--child peak ..., --child diskfull ...) to measure the peak memory of a refused
 * 60000x60000 JPEG and to write into a full 64 KB tmpfs (a private mount namespace, when mounts are
 * allowed) and under RLIMIT_FSIZE; FS_DISKFULL_METHODS=tmpfs or fsize runs one method only.
 *
 * Each group prints "[name] what it checks", its failures, then "[name] P passed, F failed"; the
 * program ends with one line "N passed, M failed" (CI reads it) and exits 1 on any failure.
 */
#include "harness.h"

/* ------------------------------------------------------------------------------------------ */
/* The groups, in the order a full run takes them                                              */
/* ------------------------------------------------------------------------------------------ */

/* startup first: it checks the state before any library call. bounds-memory next, while this
 * process is still small: Linux carries our peak size into the children that measure theirs. */
#define GROUPS(X)                                                                                  \
    X(group_startup)          /* test_library.c */                                                 \
    X(group_bounds_memory)    /* test_bounds.c */                                                  \
    X(group_version)          /* test_library.c */                                                 \
    X(group_options_init)     /* test_options.c */                                                 \
    X(group_status)           /* test_library.c */                                                 \
    X(group_models)           /* test_library.c */                                                 \
    X(group_detect)           /* test_detect.c */                                                  \
    X(group_capacity)         /* test_detect.c */                                                  \
    X(group_align)            /* test_detect.c */                                                  \
    X(group_images)           /* test_images.c */                                                  \
    X(group_null_args)        /* test_bad_input.c */                                               \
    X(group_bad_input)        /* test_bad_input.c */                                               \
    X(group_bad_models)       /* test_bad_input.c */                                               \
    X(group_handles)          /* test_bad_input.c */                                               \
    X(group_threads)          /* test_threads.c */                                                 \
    X(group_swap_options)     /* test_options.c */                                                 \
    X(group_swap_source)      /* test_swap.c */                                                    \
    X(group_swap)             /* test_swap.c */                                                    \
    X(group_swap_eval)        /* test_swap.c */                                                    \
    X(group_swap_modes)       /* test_swap.c */                                                    \
    X(group_swap_inplace)     /* test_swap.c */                                                    \
    X(group_swap_face)        /* test_swap.c */                                                    \
    X(group_swap_index)       /* test_swap.c */                                                    \
    X(group_swap_noface)      /* test_swap.c */                                                    \
    X(group_swap_reference)   /* test_swap.c */                                                    \
    X(group_mean_shift)       /* test_swap.c */                                                    \
    X(group_embedding)        /* test_swap.c */                                                    \
    X(group_pictures)         /* test_pictures.c */                                                \
    X(group_swap_null_args)   /* test_swap_bad_input.c */                                          \
    X(group_swap_handles)     /* test_swap_bad_input.c */                                          \
    X(group_swap_bad_options) /* test_swap_bad_input.c */                                          \
    X(group_swap_threads)     /* test_threads.c */                                                 \
    X(group_stream)           /* test_video.c */                                                   \
    X(group_video)            /* test_video.c */                                                   \
    X(group_reenact)          /* test_reenact.c */                                                 \
    X(group_gan)              /* test_gan.c */                                                     \
    X(group_bad_input_table)  /* test_bad_input_table.c */                                         \
    X(group_bounds_disk_full) /* test_bounds.c */

#define DECLARE_GROUP(id) extern const test_group id;
GROUPS(DECLARE_GROUP)
#undef DECLARE_GROUP
#define LIST_GROUP(id) &id,
static const test_group *const k_groups[] = {GROUPS(LIST_GROUP)};
#undef LIST_GROUP
#define N_GROUPS (sizeof k_groups / sizeof k_groups[0])

/* ------------------------------------------------------------------------------------------ */
/* Settings                                                                                    */
/* ------------------------------------------------------------------------------------------ */

const char *g_data_dir;
char g_tmp_dir[512];
bool g_verbose;
char g_self[4096];

/* ------------------------------------------------------------------------------------------ */
/* Checks and counts                                                                           */
/* ------------------------------------------------------------------------------------------ */

static int g_passed, g_failed;
static int g_group_passed, g_group_failed;
static const char *g_group = "";

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void check_impl(bool ok, const char *file, int line, const char *expr, const char *fmt, ...) {
    if (ok) {
        g_passed++;
        g_group_passed++;
        if (g_verbose) printf("    ok   %s\n", expr);
        return;
    }
    g_failed++;
    g_group_failed++;
    printf("    FAIL [%s] %s:%d: %s", g_group, base_name(file), line, expr);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        printf(" -- ");
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
    fflush(stdout);
}

const char *status_name(fs_status s) {
    static const char *names[] = {"FS_OK", "FS_ERR_INVALID_ARGUMENT", "FS_ERR_UNSUPPORTED",
                                  "FS_ERR_TOO_LARGE", "FS_ERR_DECODE", "FS_ERR_IO", "FS_ERR_MODEL",
                                  "FS_ERR_NO_FACE", "FS_ERR_OUT_OF_MEMORY", "FS_ERR_CANCELLED",
                                  "FS_ERR_BUFFER_TOO_SMALL", "FS_ERR_INTERNAL"};
    unsigned i = (unsigned)s;
    return i < sizeof names / sizeof names[0] ? names[i] : "(unknown status)";
}

fs_status expect_status_impl(fs_status got, int want, const char *expr, const char *file, int line) {
    /* Copy the message before any other fs_ call: the pointer lives until the next one. */
    char msg[1024];
    const char *m = fs_last_error_message();
    if (m) {
        snprintf(msg, sizeof msg, "%s", m);
    } else {
        msg[0] = '\0';
    }
    bool status_ok = (int)got == want;
    bool message_ok = got == FS_OK || (m != NULL && msg[0] != '\0');
    if (status_ok && message_ok) {
        g_passed++;
        g_group_passed++;
        if (g_verbose) {
            if (got == FS_OK)
                printf("    ok   %s -> FS_OK\n", expr);
            else
                printf("    ok   %s -> %s: %s\n", expr, status_name(got), msg);
        }
        return got;
    }
    g_failed++;
    g_group_failed++;
    if (!status_ok) {
        printf("    FAIL [%s] %s:%d: %s -> %s (%d), expected %s; message: \"%s\"%s\n", g_group, base_name(file),
               line, expr, status_name(got), (int)got, status_name((fs_status)want), msg,
               m == NULL ? " (NULL pointer)" : "");
    } else {
        printf("    FAIL [%s] %s:%d: %s -> %s but fs_last_error_message() is %s\n", g_group, base_name(file), line,
               expr, status_name(got), m == NULL ? "NULL" : "empty");
    }
    fflush(stdout);
    return got;
}

void counts_get(int *passed, int *failed) {
    *passed = g_passed;
    *failed = g_failed;
}

void counts_add(int passed, int failed) {
    g_passed += passed;
    g_group_passed += passed;
    g_failed += failed;
    g_group_failed += failed;
}

void group_start(const char *name, const char *what) {
    g_group = name;
    g_group_passed = g_group_failed = 0;
    if (what) printf("[%s] %s\n", name, what);
    fflush(stdout);
}

void group_finish(void) {
    printf("[%s] %d passed, %d failed\n", g_group, g_group_passed, g_group_failed);
    fflush(stdout);
}

const char *group_name(void) { return g_group; }

/* ------------------------------------------------------------------------------------------ */
/* Running                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* One group: its own temporary folder and fixtures, made before it and removed after it. */
static void run_group(const test_group *g, const char *tmp_root) {
    group_start(g->name, g->what);
    snprintf(g_tmp_dir, sizeof g_tmp_dir, "%s/%s", tmp_root, g->name);
    if (mkdir(g_tmp_dir, 0700) != 0) {
        CHECKF(false, "mkdir %s: %s", g_tmp_dir, strerror(errno));
    } else {
        fixture *fx = calloc(1, sizeof *fx);
        if (!fx) {
            CHECKF(false, "out of memory");
        } else if (fixture_open(fx, g->needs)) {
            g->run(fx);
        } else {
            CHECKF(false, "the group's fixtures could not be made (above): its checks did not run");
        }
        if (fx) fixture_close(fx);
        free(fx);
    }
    remove_tree(g_tmp_dir);
    group_finish();
}

static const test_group *find_group(const char *name) {
    for (size_t i = 0; i < N_GROUPS; i++)
        if (strcmp(k_groups[i]->name, name) == 0) return k_groups[i];
    return NULL;
}

static int usage(const char *self) {
    fprintf(stderr,
            "usage: %s [--group NAME]... DATA_DIR   every group, or the groups named (DATA_DIR holds faces/fr_obama1.jpg)\n"
            "       %s --list                       the groups, in the order they run\n"
            "       %s --list-table-functions       the functions of the bad-input table\n",
            self, self, self);
    return 2;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "--list-table-functions") == 0) return list_table_functions();
    if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < N_GROUPS; i++) printf("%s\n", k_groups[i]->name);
        return 0;
    }
    ssize_t self_len = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    if (self_len > 0) g_self[self_len] = '\0';
    if (argc >= 2 && strcmp(argv[1], "--child") == 0) return bounds_child_main(argc, argv);
    const char *verbose = getenv("FS_TEST_VERBOSE");
    g_verbose = verbose && verbose[0] && strcmp(verbose, "0") != 0;

    /* Arguments: --group NAME (repeatable), then the data folder. */
    const test_group **chosen = calloc(N_GROUPS, sizeof *chosen);
    size_t nchosen = 0;
    if (!chosen) return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
            const test_group *g = find_group(argv[++i]);
            if (!g) {
                fprintf(stderr, "%s: no group \"%s\" (--list lists them)\n", argv[0], argv[i]);
                free(chosen);
                return 2;
            }
            bool twice = false;
            for (size_t k = 0; k < nchosen; k++) twice = twice || chosen[k] == g;
            if (!twice) chosen[nchosen++] = g;
        } else if (argv[i][0] == '-' || g_data_dir) {
            free(chosen);
            return usage(argv[0]);
        } else {
            g_data_dir = argv[i];
        }
    }
    if (!g_data_dir) {
        free(chosen);
        return usage(argv[0]);
    }
    if (nchosen == 0) /* all of them, in the list's order */
        for (size_t i = 0; i < N_GROUPS; i++) chosen[nchosen++] = k_groups[i];

    char tmp_root[400];
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/fs_ctest.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(tmp_root)) {
        fprintf(stderr, "mkdtemp(%s): %s\n", tmp_root, strerror(errno));
        free(chosen);
        return 2;
    }
    for (size_t i = 0; i < nchosen; i++) run_group(chosen[i], tmp_root);
    remove_tree(tmp_root);
    free(chosen);

    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

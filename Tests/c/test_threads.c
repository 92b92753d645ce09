/*
 * test_threads.c — handles shared between threads: one detector, one swapper and source; the error
 * message is per thread.
 */
#include "harness.h"

/* Runs fn(arg[0]) and fn(arg[1]) in two threads at once and waits for both; started[i]: whether
 * thread i ran (a check each). */
static void run_two_threads(void *(*fn)(void *), void *arg[2], bool started[2]) {
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        started[i] = pthread_create(&th[i], NULL, fn, arg[i]) == 0;
        CHECK(started[i]);
    }
    for (int i = 0; i < 2; i++)
        if (started[i]) pthread_join(th[i], NULL);
}

typedef struct thread_arg {
    const fs_detector *det;
    const fs_image *img;
    size_t count;
    fs_face face;
    fs_status status;
    char initial_message[256];
    char message[256];
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    snprintf(a->initial_message, sizeof a->initial_message, "%s", fs_last_error_message());
    a->status = fs_detect(a->det, a->img, &a->face, 1, &a->count);
    fs_image *out = NULL;
    (void)fs_image_load("/nonexistent_dir_fs_test/thread.jpg", &out);
    snprintf(a->message, sizeof a->message, "%s", fs_last_error_message());
    return NULL;
}

GROUP(group_threads, "threads", FX_MODELS,
      "two threads detect on one shared detector and get the same face; "
      "fs_last_error_message is per thread (\"\" in a new thread)") {
    fs_image *out = NULL;
    EXPECT_ST(FS_ERR_IO, fs_image_load("/nonexistent_dir_fs_test/main_thread.png", &out));
    char main_msg[512];
    snprintf(main_msg, sizeof main_msg, "%s", fs_last_error_message());
    thread_arg args[2] = {{.det = fx->det, .img = fx->obama}, {.det = fx->det, .img = fx->obama}};
    bool started[2];
    run_two_threads(thread_main, (void *[2]){&args[0], &args[1]}, started);
    for (int i = 0; i < 2; i++) {
        if (!started[i]) continue;
        CHECKF(args[i].status == FS_OK && args[i].count == 1, "thread %d: %s, %zu faces", i, status_name(args[i].status),
               args[i].count);
        CHECK(memcmp(&args[i].face.rect, &fx->obama_face.rect, sizeof(fs_rect)) == 0);
        CHECKF(args[i].initial_message[0] == '\0', "thread %d starts with message \"%s\"", i, args[i].initial_message);
        CHECK(strstr(args[i].message, "thread.jpg") != NULL);
    }
    CHECKF(strcmp(fs_last_error_message(), main_msg) == 0, "main thread's message changed to \"%s\"", fs_last_error_message());
}

/* ---- swapping from threads ---- */

typedef struct swap_thread_arg {
    const fs_swapper *sw;
    const fs_source *src;
    const fs_image *target;
    fs_image *out;
    size_t n;
    fs_status status;
} swap_thread_arg;

static void *swap_thread_main(void *p) {
    swap_thread_arg *a = p;
    a->status = fs_swap(a->sw, a->src, a->target, &a->out, NULL, &a->n);
    return NULL;
}

GROUP(group_swap_threads, "swap-threads", FX_RESULT,
      "two threads fs_swap with one shared swapper and source onto one target: both "
      "give fs_swap's single-threaded result") {
    swap_thread_arg args[2] = {{.sw = fx->sw, .src = fx->src, .target = fx->biden},
                               {.sw = fx->sw, .src = fx->src, .target = fx->biden}};
    bool started[2];
    run_two_threads(swap_thread_main, (void *[2]){&args[0], &args[1]}, started);
    for (int i = 0; i < 2; i++) {
        if (!started[i]) continue;
        CHECKF(args[i].status == FS_OK && args[i].n == 1, "thread %d: %s, %zu faces", i, status_name(args[i].status),
               args[i].n);
        if (args[i].status == FS_OK) CHECKF(images_identical(args[i].out, fx->result), "thread %d: different pixels", i);
        fs_image_free(args[i].out);
    }
}

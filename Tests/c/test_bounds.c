/*
 * test_bounds.c — resource bounds, measured in child copies of this program (--child ...): the
 * peak memory of a refused 60000x60000 JPEG, and disk full while writing images and videos (a full
 * 64 KB tmpfs in a private mount namespace, RLIMIT_FSIZE).
 */
#include "harness.h"

extern char **environ;

typedef struct child_result {
    bool ran;
    int exit_code;       /* -1 when killed by a signal */
    int signal;
    long maxrss_kb;      /* getrusage of the child (wait4) */
    char out[65536];     /* its standard output */
} child_result;

/* Runs this program again with argv (argv[0] is replaced), its stdout captured. posix_spawn: the
 * child does not copy our pages, so its peak resident size is its own (plus our peak at the time,
 * which Linux carries over exec; hence the memory children run before any model is loaded). */
static bool run_child(const char *const *args, child_result *r) {
    memset(r, 0, sizeof *r);
    char *argv[16];
    size_t n = 0;
    argv[n++] = g_self;
    for (size_t i = 1; args[i] && n < 15; i++) argv[n++] = (char *)args[i];
    argv[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    fflush(stdout);
    pid_t pid;
    int e = posix_spawn(&pid, g_self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e != 0) {
        close(fds[0]);
        snprintf(r->out, sizeof r->out, "posix_spawn(%s): %s", g_self, strerror(e));
        return false;
    }
    size_t len = 0;
    for (;;) {
        ssize_t got = read(fds[0], r->out + len, sizeof r->out - 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        len += (size_t)got;
        if (len == sizeof r->out - 1) { /* keep draining */
            char sink[4096];
            while (read(fds[0], sink, sizeof sink) > 0) {}
            break;
        }
    }
    r->out[len] = '\0';
    close(fds[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    r->ran = true;
    r->maxrss_kb = ru.ru_maxrss;
    if (WIFEXITED(status)) {
        r->exit_code = WEXITSTATUS(status);
    } else {
        r->exit_code = -1;
        r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return true;
}

static long proc_status_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* --child peak MODE FILE: MODE baseline (read the file, call fs_version), decode (and
 * fs_image_decode it) or load (fs_image_load it instead). Prints one line. */
static int child_peak(const char *mode, const char *file) {
    size_t n = 0;
    unsigned char *bytes = read_whole_file(file, &n);
    unsigned v = fs_version();
    fs_status st = FS_OK;
    fs_image *img = NULL;
    if (strcmp(mode, "decode") == 0) st = fs_image_decode(bytes, n, &img);
    else if (strcmp(mode, "load") == 0) st = fs_image_load(file, &img);
    char msg[512] = "";
    if (st != FS_OK) snprintf(msg, sizeof msg, "%s", fs_last_error_message());
    fs_image_view view;
    int w = 0, h = 0;
    if (img && fs_image_get_view(img, &view) == FS_OK) {
        w = view.width;
        h = view.height;
    }
    printf("peak status=%d version=%u bytes=%zu size=%dx%d hwm_kb=%ld vmpeak_kb=%ld msg=%s\n", (int)st, v, n, w, h,
           proc_status_kb("VmHWM:"), proc_status_kb("VmPeak:"), msg);
    fs_image_free(img);
    free(bytes);
    return 0;
}

typedef struct peak_run {
    child_result r;
    int status;
    long hwm_kb, vmpeak_kb;
    char msg[512];
    bool parsed;
} peak_run;

static void run_peak(const char *mode, const char *file, peak_run *p) {
    memset(p, 0, sizeof *p);
    const char *args[] = {"", "--child", "peak", mode, file, NULL};
    if (!run_child(args, &p->r) || p->r.exit_code != 0) return;
    const char *line = strstr(p->r.out, "peak status=");
    if (!line) return;
    p->parsed = sscanf(line, "peak status=%d version=%*u bytes=%*u size=%*dx%*d hwm_kb=%ld vmpeak_kb=%ld", &p->status,
                       &p->hwm_kb, &p->vmpeak_kb) == 3;
    const char *m = strstr(line, "msg=");
    if (m) {
        snprintf(p->msg, sizeof p->msg, "%s", m + 4);
        p->msg[strcspn(p->msg, "\n")] = '\0';
    }
}

static double mb(long kb) { return (double)kb / 1024.0; }

GROUP(group_bounds_memory, "bounds-memory", FX_JPEGS,
      "a JPEG whose SOF declares 60000x60000 (baseline SOF0, progressive SOF2) is "
      "refused from its header: FS_ERR_TOO_LARGE through fs_image_decode and "
      "fs_image_load with peak memory < 100 MB, measured in child processes (wait4's "
      "ru_maxrss; VmHWM, VmPeak) against the same child without the decode; a "
      "2048x2048 control decode shows that the measurement sees decoded pixels") {
#if defined(__SANITIZE_ADDRESS__)
    const bool asan = true; /* shadow memory: absolute sizes mean nothing, deltas still do */
#else
    const bool asan = false;
#endif
    const long limit_kb = 100 * 1024;
    char dir[1024], f0[1024], f2[1024], fc[1024];
    tmp_path(dir, sizeof dir, "bounds_memory");
    join_path(f0, sizeof f0, dir, "huge_sof0.jpg");
    join_path(f2, sizeof f2, dir, "huge_sof2.jpg");
    join_path(fc, sizeof fc, dir, "control_2048.jpg");
    const jpegs *j = &fx->jpeg;
    unsigned char *h0 = patched_sof(j->two, j->two_size, 60000, 60000);
    unsigned char *h2 = patched_sof(j->obama, j->obama_size, 60000, 60000);
    bool files = mkdir(dir, 0755) == 0 && h0 && h2 && write_whole_file(f0, h0, j->two_size) &&
                 write_whole_file(f2, h2, j->obama_size);
    free(h0);
    free(h2);
    if (!files || !g_self[0]) {
        CHECKF(false, "cannot write the patched JPEGs (or find this program: \"%s\")", g_self);
        return;
    }
    /* The children's address space must not depend on which thread happened to malloc first:
     * a thread that allocates gets its own 64 MB malloc arena (VmPeak moved by 128 MB between
     * identical runs), and the BLAS starts its threads at load. One arena and no BLAS threads
     * keep VmPeak a measure of what the decode reserves. */
    setenv("MALLOC_ARENA_MAX", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    peak_run base, runs[4];
    const char *labels[4] = {"SOF0 fs_image_decode", "SOF0 fs_image_load", "SOF2 fs_image_decode",
                             "SOF2 fs_image_load"};
    run_peak("baseline", f0, &base);
    run_peak("decode", f0, &runs[0]);
    run_peak("load", f0, &runs[1]);
    run_peak("decode", f2, &runs[2]);
    run_peak("load", f2, &runs[3]);
    unsetenv("MALLOC_ARENA_MAX");
    unsetenv("OPENBLAS_NUM_THREADS");
    CHECKF(base.parsed && base.status == FS_OK, "baseline child: exit %d, output \"%s\"", base.r.exit_code, base.r.out);
    printf("    peak memory of the child (MB): wait4 ru_maxrss / VmHWM / VmPeak\n");
    printf("      %-40s %7.1f / %7.1f / %8.1f\n", "baseline (library loaded, file read)", mb(base.r.maxrss_kb), mb(base.hwm_kb),
           mb(base.vmpeak_kb));
    for (int i = 0; i < 4; i++) {
        peak_run *p = &runs[i];
        CHECKF(p->parsed, "%s child: exit %d (signal %d), output \"%s\"", labels[i], p->r.exit_code, p->r.signal,
               p->r.out);
        if (!p->parsed || !base.parsed) continue;
        CHECKF(p->status == FS_ERR_TOO_LARGE, "%s: status %s, message \"%s\"", labels[i],
               status_name((fs_status)p->status), p->msg);
        CHECKF(strstr(p->msg, "60000") != NULL && strstr(p->msg, "over the limit") != NULL,
               "%s: the message does not give the size and the limit: \"%s\"", labels[i], p->msg);
        long d_rss = p->r.maxrss_kb - base.r.maxrss_kb, d_hwm = p->hwm_kb - base.hwm_kb,
             d_peak = p->vmpeak_kb - base.vmpeak_kb;
        char label[64];
        snprintf(label, sizeof label, "60000x60000 %s", labels[i]);
        printf("      %-40s %7.1f / %7.1f / %8.1f   (%+.1f / %+.1f / %+.1f over the baseline)\n", label,
               mb(p->r.maxrss_kb), mb(p->hwm_kb), mb(p->vmpeak_kb), mb(d_rss), mb(d_hwm), mb(d_peak));
        CHECKF(d_rss < limit_kb && d_hwm < limit_kb, "%s: the decode's own peak is %.1f MB (ru_maxrss) / %.1f MB "
               "(VmHWM)", labels[i], mb(d_rss), mb(d_hwm));
        CHECKF(d_peak < limit_kb, "%s: %.1f MB more address space reserved than the baseline (pixels allocated?)",
               labels[i], mb(d_peak));
        if (!asan) CHECKF(p->hwm_kb < limit_kb, "%s: peak memory %.1f MB (VmHWM): not under 100 MB", labels[i], mb(p->hwm_kb));
        /* ru_maxrss also holds our own peak at the spawn (Linux keeps it across exec): meaningful
         * on its own only while that is small (not under valgrind, which forks a large process). */
        if (!asan && base.r.maxrss_kb < limit_kb)
            CHECKF(p->r.maxrss_kb < limit_kb, "%s: peak memory %.1f MB (ru_maxrss): not under 100 MB", labels[i],
                   mb(p->r.maxrss_kb));
    }
    /* Control: a real 2048 x 2048 decode (12 MB of pixels) must show up in the same measurement. */
    fs_image *ctl = NULL;
    void *data = NULL;
    size_t size = 0;
    if (EXPECT_OK(fs_image_create(2048, 2048, FS_FORMAT_BGR8, &ctl)) &&
        EXPECT_OK(fs_image_encode(ctl, FS_CODEC_JPEG, 90, &data, &size)) && write_whole_file(fc, data, size)) {
        peak_run p;
        run_peak("decode", fc, &p);
        CHECKF(p.parsed && p.status == FS_OK, "control child: status %d, output \"%s\"", p.status, p.r.out);
        if (p.parsed && base.parsed) {
            long d_hwm = p.hwm_kb - base.hwm_kb;
            printf("      %-40s %7.1f / %7.1f / %8.1f   (%+.1f VmHWM: the 12 MB of pixels are seen)\n",
                   "control 2048x2048 fs_image_decode", mb(p.r.maxrss_kb), mb(p.hwm_kb), mb(p.vmpeak_kb), mb(d_hwm));
            CHECKF(d_hwm >= 10 * 1024, "the control decode added only %.1f MB: the measurement does not see pixels",
                   mb(d_hwm));
        }
    }
    fs_free(data);
    fs_image_free(ctl);
}

/* ---- disk full ---- */

static bool file_has(const char *path, const void *data, size_t n) {
    size_t got = 0;
    unsigned char *b = read_whole_file(path, &got);
    bool same = b != NULL && got == n && memcmp(b, data, n) == 0;
    free(b);
    return same;
}

/* The entries of dir other than the `keep` names (NULL-terminated), joined into buf. */
static int dir_extra_entries(const char *dir, const char *const *keep, char *buf, size_t n) {
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return -1;
    int extra = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        bool kept = false;
        for (size_t i = 0; keep[i] && !kept; i++) kept = strcmp(keep[i], e->d_name) == 0;
        if (kept) continue;
        extra++;
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", len ? ", " : "", e->d_name);
    }
    closedir(d);
    return extra;
}

static bool write_text_file(const char *path, const char *text) { return write_whole_file(path, text, strlen(text)); }

static bool enter_private_mount_namespace(char *why, size_t n) {
    if (unshare(CLONE_NEWNS) != 0) {
        int e = errno;
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
            snprintf(why, n, "unshare(CLONE_NEWNS): %s; with CLONE_NEWUSER: %s", strerror(e), strerror(errno));
            return false;
        }
        char map[64];
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
        bool ok = write_text_file("/proc/self/setgroups", "deny") && write_text_file("/proc/self/uid_map", map);
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
        if (!ok || !write_text_file("/proc/self/gid_map", map)) {
            snprintf(why, n, "cannot map our user into the new user namespace");
            return false;
        }
    }
    /* Nothing mounted from here on may propagate back to the parent's namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        snprintf(why, n, "mount --make-rprivate /: %s", strerror(errno));
        return false;
    }
    return true;
}

/* --child diskfull METHOD DATA DIR: METHOD tmpfs (a 64 KB tmpfs at DIR/full in a private mount
 * namespace: ENOSPC) or fsize (RLIMIT_FSIZE: EFBIG, SIGXFSZ ignored). Writes images and videos
 * bigger than the room left, over older files and to new paths, and checks: a non-OK status whose
 * message names the write failure, no output and no temporary file left, older files intact.
 * Exits 3 when the method is not available here; prints "child-checks: P passed, F failed". */
/* The child's last line: its tally, which the parent adds to its own. */
static int child_report(void) {
    int passed, failed;
    counts_get(&passed, &failed);
    printf("child-checks: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

static int child_disk_full(const char *method, const char *data, const char *dir) {
    g_data_dir = data;
    g_verbose = false;
    bool tmpfs = strcmp(method, "tmpfs") == 0;
    group_start(tmpfs ? "disk-full/tmpfs" : "disk-full/fsize", NULL);
    char full[1024], why[512] = "";
    join_path(full, sizeof full, dir, "full");
    if (mkdir(full, 0755) != 0 && errno != EEXIST) {
        printf("unavailable: mkdir %s: %s\n", full, strerror(errno));
        return 3;
    }
    if (tmpfs) {
        if (!enter_private_mount_namespace(why, sizeof why)) {
            printf("unavailable: %s\n", why);
            return 3;
        }
        if (mount("fs_ctest_full", full, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") != 0) {
            printf("unavailable: mount -t tmpfs -o size=64k: %s\n", strerror(errno));
            return 3;
        }
        struct statvfs sv;
        if (statvfs(full, &sv) == 0)
            printf("    %s: a tmpfs of %lu KB at %s (private mount namespace)\n", group_name(),
                   (unsigned long)(sv.f_blocks * sv.f_frsize / 1024), full);
    } else {
        signal(SIGXFSZ, SIG_IGN);
    }
    const int want_errno = tmpfs ? ENOSPC : EFBIG;
    const char *want_text = strerror(want_errno);

    /* Fixtures (before any limit). */
    char p[1024];
    fs_detector *det = NULL;
    fs_landmarker *lm = NULL;
    fs_swapper *sw = NULL;
    fs_source *src = NULL;
    fs_reenactor *re = NULL;
    fs_image *photo = NULL, *noise = NULL;
    EXPECT_OK(fs_detector_create(NULL, &det));
    EXPECT_OK(fs_landmarker_create(NULL, &lm));
    if (det && lm) EXPECT_OK(fs_swapper_create(det, lm, NULL, NULL, &sw));
    data_path(p, sizeof p, "fr_obama1.jpg");
    EXPECT_OK(fs_image_load(p, &photo));
    if (sw && photo) EXPECT_OK(fs_source_prepare(sw, photo, 0, &src));
    if (det && lm && photo) EXPECT_OK(fs_reenactor_create(det, lm, photo, NULL, &re));
    unsigned char *px = malloc(512 * 512 * 3);
    if (px) {
        uint32_t s = 99;
        for (size_t i = 0; i < 512 * 512 * 3; i++) {
            s = s * 1664525u + 1013904223u;
            px[i] = (unsigned char)(s >> 24);
        }
        fs_image_view v = {px, 512, 512, 512 * 3, FS_FORMAT_BGR8};
        EXPECT_OK(fs_image_from_view(&v, &noise));
        free(px);
    }
    char vin[1024];
    video_path(vin, sizeof vin, "vr_face5.mp4");
    if (!sw || !src || !re || !noise) {
        CHECKF(false, "the child's fixtures could not be made");
        return child_report();
    }

    char old[4096];
    for (size_t i = 0; i < sizeof old; i++) old[i] = (char)('A' + i % 26);
    old[sizeof old - 1] = '\n';
    const char *keep[] = {"old.png", "old.mp4", "old_reenact.mp4", NULL};
    char old_png[1024], old_mp4[1024], old_re[1024], new_jpg[1024], new_mp4[1024], new_re[1024], extra[1024];
    join_path(old_png, sizeof old_png, full, "old.png");
    join_path(old_mp4, sizeof old_mp4, full, "old.mp4");
    join_path(old_re, sizeof old_re, full, "old_reenact.mp4");
    join_path(new_jpg, sizeof new_jpg, full, "new.jpg");
    join_path(new_mp4, sizeof new_mp4, full, "new.mp4");
    join_path(new_re, sizeof new_re, full, "new_reenact.mp4");
    bool olds = write_whole_file(old_png, old, sizeof old) && write_whole_file(old_mp4, old, sizeof old) &&
                write_whole_file(old_re, old, sizeof old);
    CHECKF(olds, "cannot write the older files into %s", full);

    if (!tmpfs) {
        /* The exact edge: a limit one byte under the output's size, so that only its last write
         * fails (then, one byte more: it fits, proving the limit is the only cause). */
        struct rlimit rl;
        getrlimit(RLIMIT_FSIZE, &rl);
        void *enc = NULL;
        size_t enc_size = 0;
        char edge[1024];
        join_path(edge, sizeof edge, full, "edge.png");
        if (EXPECT_OK(fs_image_encode(noise, FS_CODEC_PNG, 0, &enc, &enc_size))) {
            rl.rlim_cur = (rlim_t)enc_size - 1;
            setrlimit(RLIMIT_FSIZE, &rl);
            fs_status st = EXPECT_ST(FS_ERR_IO, fs_image_save(noise, edge, FS_CODEC_PNG, 0));
            if (st == FS_ERR_IO)
                CHECKF(strstr(fs_last_error_message(), want_text) != NULL, "edge PNG: the message does not say \"%s\": "
                       "\"%s\"", want_text, fs_last_error_message());
            CHECKF(!file_exists(edge, NULL) && dir_extra_entries(full, keep, extra, sizeof extra) == 0,
                   "edge PNG (limit = size - 1): left \"%s\"", file_exists(edge, NULL) ? "edge.png" : extra);
            rl.rlim_cur = (rlim_t)enc_size;
            setrlimit(RLIMIT_FSIZE, &rl);
            long long got = 0;
            if (EXPECT_OK(fs_image_save(noise, edge, FS_CODEC_PNG, 0)))
                CHECKF(file_exists(edge, &got) && got == (long long)enc_size, "edge PNG at limit = size: %lld bytes, "
                       "want %zu", got, enc_size);
            unlink(edge);
            printf("    %s: PNG of %zu bytes: limit %zu -> IO, limit %zu -> written\n", group_name(), enc_size,
                   enc_size - 1, enc_size);
        }
        fs_free(enc);
        /* The same for a video whose trailer (the moov box, written last) no longer fits. */
        char clip[1024], probe[1024];
        join_path(clip, sizeof clip, dir, "noise_12x192.y4m");
        join_path(probe, sizeof probe, full, "edge.mp4");
        rl.rlim_cur = RLIM_INFINITY;
        setrlimit(RLIMIT_FSIZE, &rl);
        long long vsize = 0;
        if (write_y4m(clip, 192, 192, 12, (size_t)-1, 7) &&
            EXPECT_OK(fs_video_swap(sw, src, clip, probe, NULL, NULL, NULL, NULL)) && file_exists(probe, &vsize)) {
            unlink(probe);
            rl.rlim_cur = (rlim_t)vsize - 1;
            setrlimit(RLIMIT_FSIZE, &rl);
            fs_status st = EXPECT_ST(FS_ERR_IO, fs_video_swap(sw, src, clip, probe, NULL, NULL, NULL, NULL));
            if (st == FS_ERR_IO)
                CHECKF(strstr(fs_last_error_message(), want_text) != NULL && strstr(fs_last_error_message(), "edge.mp4"),
                       "edge video: the message does not name the file and \"%s\": \"%s\"", want_text,
                       fs_last_error_message());
            CHECKF(!file_exists(probe, NULL) && dir_extra_entries(full, keep, extra, sizeof extra) == 0,
                   "edge video (limit = size - 1): left \"%s\"", file_exists(probe, NULL) ? "edge.mp4" : extra);
            printf("    %s: video of %lld bytes: limit %lld -> %s\n", group_name(), vsize, vsize - 1, status_name(st));
        }
        unlink(probe);
        unlink(clip);
        rl.rlim_cur = 64 * 1024;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
            CHECKF(false, "setrlimit(RLIMIT_FSIZE, 64 KB): %s", strerror(errno));
        } else {
            printf("    %s: RLIMIT_FSIZE 64 KB (SIGXFSZ ignored)\n", group_name());
        }
    }

    struct {
        const char *what;
        const char *path;
        bool older;
    } cases[6] = {
        {"fs_image_save PNG over an older file", old_png, true},
        {"fs_image_save JPEG to a new path", new_jpg, false},
        {"fs_video_swap over an older file", old_mp4, true},
        {"fs_video_swap to a new path", new_mp4, false},
        {"fs_reenact_video over an older file", old_re, true},
        {"fs_reenact_video to a new path", new_re, false},
    };
    for (int i = 0; i < 6; i++) {
        fs_status st;
        if (i == 0) st = fs_image_save(noise, cases[i].path, FS_CODEC_AUTO, 0);
        else if (i == 1) st = fs_image_save(noise, cases[i].path, FS_CODEC_AUTO, 100);
        else if (i < 4) st = fs_video_swap(sw, src, vin, cases[i].path, NULL, NULL, NULL, NULL);
        else st = fs_reenact_video(re, vin, cases[i].path, NULL, NULL, NULL, NULL);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", st == FS_OK ? "" : fs_last_error_message());
        const char *name = strrchr(cases[i].path, '/') + 1;
        CHECKF(st == FS_ERR_IO, "%s: %s \"%s\", want FS_ERR_IO", cases[i].what, status_name(st), msg);
        CHECKF(st == FS_OK || (strstr(msg, want_text) && strstr(msg, name)),
               "%s: the message does not name the file and the write failure (\"%s\"): \"%s\"", cases[i].what,
               want_text, msg);
        if (cases[i].older)
            CHECKF(file_has(cases[i].path, old, sizeof old), "%s: the older file was changed or removed", cases[i].what);
        else
            CHECKF(!file_exists(cases[i].path, NULL), "%s: %s was left", cases[i].what, name);
        int n = dir_extra_entries(full, keep, extra, sizeof extra);
        CHECKF(n == 0, "%s: left in the folder: %s", cases[i].what, extra);
        if (st != FS_OK || g_verbose) printf("    %s: %s -> %s: %s\n", group_name(), cases[i].what, status_name(st), msg);
        if (n > 0 || (!cases[i].older && file_exists(cases[i].path, NULL))) {
            unlink(cases[i].path); /* do not let one failure cascade */
            DIR *d = opendir(full);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                bool kept = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
                for (size_t k = 0; keep[k] && !kept; k++) kept = strcmp(keep[k], e->d_name) == 0;
                if (!kept) {
                    char q[2048];
                    snprintf(q, sizeof q, "%s/%s", full, e->d_name);
                    unlink(q);
                }
            }
            if (d) closedir(d);
        }
    }
    fs_reenactor_free(re);
    fs_source_free(src);
    fs_swapper_free(sw);
    fs_landmarker_free(lm);
    fs_detector_free(det);
    fs_image_free(photo);
    fs_image_free(noise);
    for (size_t i = 0; keep[i]; i++) {
        join_path(p, sizeof p, full, keep[i]);
        unlink(p);
    }
    return child_report();
}

static bool mounted_at(const char *path) {
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *mp = strchr(line, ' ');
        for (int k = 0; mp && k < 3; k++) mp = strchr(mp + 1, ' ');
        if (mp) found = strncmp(mp + 1, path, strlen(path)) == 0 && mp[1 + strlen(path)] == ' ';
    }
    fclose(f);
    return found;
}

GROUP(group_bounds_disk_full, "bounds-disk-full", FX_NONE,
      "disk full while writing: fs_image_save (PNG over an older file, JPEG to a "
      "new path), fs_video_swap and fs_reenact_video (over an older file, to a new "
      "path) into a 64 KB tmpfs (ENOSPC; private mount namespace in a child) and under "
      "RLIMIT_FSIZE 64 KB (EFBIG) with the exact edge (limit = size - 1): FS_ERR_IO "
      "naming the file and the failure, no output, no temporary file, older files "
      "intact. FS_DISKFULL_METHODS=tmpfs|fsize picks one") {
    const char *env = getenv("FS_DISKFULL_METHODS");
    const char *methods = env && env[0] ? env : "tmpfs,fsize";
    const char *all[2] = {"tmpfs", "fsize"};
    char ran[64] = "";
    bool tmpfs_unavailable = false;
    for (int i = 0; i < 2; i++) {
        if (!strstr(methods, all[i]) && !(i == 1 && tmpfs_unavailable)) continue;
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/diskfull_%s", g_tmp_dir, all[i]);
        if (mkdir(dir, 0755) != 0) {
            CHECKF(false, "mkdir %s: %s", dir, strerror(errno));
            continue;
        }
        child_result *r = malloc(sizeof *r);
        if (!r) continue;
        const char *args[] = {"", "--child", "diskfull", all[i], g_data_dir, dir, NULL};
        bool spawned = run_child(args, r);
        if (spawned && r->exit_code == 3) {
            printf("    %s: not available here: %s", all[i], r->out);
            if (i == 0) {
                tmpfs_unavailable = true;
                printf("    falling back to RLIMIT_FSIZE\n");
            }
            free(r);
            continue;
        }
        /* The child's report, then its tally. */
        int cp = 0, cf = 0;
        char *tally = strstr(r->out, "child-checks: ");
        bool parsed = tally && sscanf(tally, "child-checks: %d passed, %d failed", &cp, &cf) == 2;
        if (tally) *tally = '\0';
        fputs(r->out, stdout);
        CHECKF(spawned && parsed && r->exit_code >= 0, "the %s child: exit %d, signal %d (%s)", all[i], r->exit_code,
               r->signal, r->signal ? strsignal(r->signal) : "no report");
        counts_add(cp, cf);
        snprintf(ran + strlen(ran), sizeof ran - strlen(ran), "%s%s", ran[0] ? " and " : "",
                 i == 0 ? "tmpfs (ENOSPC)" : "RLIMIT_FSIZE (EFBIG)");
        /* Nothing of the child's mount is visible here, and it left nothing behind. */
        char full[1024];
        join_path(full, sizeof full, dir, "full");
        CHECKF(!mounted_at(full), "%s is mounted in our namespace", full);
        CHECKF(count_dir_entries(full) <= 0, "%s is not empty after the child", full);
        free(r);
    }
    printf("    disk-full methods run: %s\n", ran[0] ? ran : "none");
    CHECKF(ran[0] != '\0', "no disk-full method could run");
}

int bounds_child_main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[2], "peak") == 0) return child_peak(argv[3], argv[4]);
    if (argc >= 6 && strcmp(argv[2], "diskfull") == 0) return child_disk_full(argv[3], argv[4], argv[5]);
    fprintf(stderr, "usage: %s --child peak baseline|decode|load FILE | --child diskfull tmpfs|fsize DATA DIR\n", argv[0]);
    return 2;
}

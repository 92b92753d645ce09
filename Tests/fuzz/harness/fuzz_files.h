/* Files for the harnesses that load models from disk (model_sp.c, model_fsm.c): a private folder
 * per process and a checked write. Include after fuzz_common.h, with _GNU_SOURCE defined before
 * any include (nftw's FTW_DEPTH). */
#ifndef FUZZ_FILES_H
#define FUZZ_FILES_H
#include "fuzz_common.h"
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>

static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL, "cannot write %s", path);
    FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size, "short write to %s", path);
    fclose(f);
}

static int fuzz_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Makes dir = $TMPDIR (or /dev/shm, else /tmp)/PREFIX-PID-XXXXXX. A crash ends a process without
 * atexit, so folders of this prefix left by processes that are gone are removed first. */
static inline void fuzz_private_dir(char *dir, size_t size, const char *prefix) {
    const char *tmp = getenv("TMPDIR");
    struct stat st;
    if (!tmp || !*tmp) tmp = stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
    DIR *d = opendir(tmp);
    if (d) {
        struct dirent *e;
        char p[PATH_MAX * 2];
        size_t n = strlen(prefix);
        while ((e = readdir(d))) {
            int pid = 0;
            if (strncmp(e->d_name, prefix, n) != 0 || sscanf(e->d_name + n, "-%d-", &pid) != 1 || pid <= 0) continue;
            if (kill(pid, 0) == 0 || errno != ESRCH) continue;
            snprintf(p, sizeof p, "%s/%s", tmp, e->d_name);
            nftw(p, fuzz_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
        }
        closedir(d);
    }
    snprintf(dir, size, "%s/%s-%d-XXXXXX", tmp, prefix, (int)getpid());
    FUZZ_CHECK(mkdtemp(dir) != NULL, "cannot make a folder in %s", tmp);
}
#endif

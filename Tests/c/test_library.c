/*
 * test_library.c — the library as a whole: the state at start-up, version, status strings,
 * finding model files.
 */
#include "harness.h"

/* Runs first in a full run: before any library call the thread's message is "". */
GROUP(group_startup, "startup", FX_NONE,
      "fs_last_error_message() is \"\" before any error; shared data present") {
    const char *first = fs_last_error_message();
    CHECK(first != NULL && first[0] == '\0');
    char p[1024];
    data_path(p, sizeof p, "fr_obama1.jpg");
    struct stat st;
    CHECKF(stat(p, &st) == 0, "missing %s", p);
}

GROUP(group_version, "version", FX_NONE,
      "FS_ABI_COMPATIBLE(), fs_abi_version, fs_version == FS_VERSION_NUMBER, "
      "fs_version_string matches the FS_VERSION_* macros") {
    CHECK(FS_ABI_COMPATIBLE());
    CHECK(fs_abi_version() == FS_ABI_VERSION);
    CHECKF(fs_version() == FS_VERSION_NUMBER, "fs_version() = %u, header %d", fs_version(), FS_VERSION_NUMBER);
    CHECK(FS_VERSION_NUMBER == FS_VERSION_MAJOR * 10000 + FS_VERSION_MINOR * 100 + FS_VERSION_PATCH);
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", FS_VERSION_MAJOR, FS_VERSION_MINOR, FS_VERSION_PATCH);
    const char *vs = fs_version_string();
    CHECK(vs != NULL);
    CHECKF(vs != NULL && strcmp(vs, want) == 0, "fs_version_string() = \"%s\", want \"%s\"", vs ? vs : "(null)", want);
    CHECK(fs_version_string() == vs); /* static */
}

GROUP(group_status, "status", FX_NONE,
      "fs_status_string for every status (its FS_ name first) and for 999 "
      "(\"unknown status\"); never NULL") {
    for (int s = FS_OK; s <= FS_ERR_INTERNAL; s++) {
        const char *str = fs_status_string((fs_status)s);
        const char *name = status_name((fs_status)s);
        CHECKF(str != NULL && str[0] != '\0', "status %d", s);
        CHECKF(str != NULL && strncmp(str, name, strlen(name)) == 0 &&
                   (str[strlen(name)] == ':' || str[strlen(name)] == '\0'),
               "fs_status_string(%d) = \"%s\" does not start with %s", s, str ? str : "(null)", name);
    }
    const char *unknown = fs_status_string((fs_status)999);
    CHECK(unknown != NULL && unknown[0] != '\0');
    CHECKF(unknown != NULL && strcmp(unknown, "unknown status") == 0, "got \"%s\"", unknown ? unknown : "(null)");
    const char *unknown12 = fs_status_string((fs_status)(FS_ERR_INTERNAL + 1));
    CHECK(unknown12 != NULL && strcmp(unknown12, "unknown status") == 0);
}

GROUP(group_models, "models", FX_NONE,
      "fs_model_find: finds the 68-point model, BUFFER_TOO_SMALL leaves buf "
      "untouched, MODEL for a missing name, NULL arguments") {
    char buf[4096];
    if (EXPECT_OK(fs_model_find("shape_predictor_68_face_landmarks.dat", buf, sizeof buf))) {
        size_t n = strnlen(buf, sizeof buf);
        CHECK(n > 0 && n < sizeof buf);
        CHECKF(n >= strlen("shape_predictor_68_face_landmarks.dat") &&
                   strcmp(buf + n - strlen("shape_predictor_68_face_landmarks.dat"),
                          "shape_predictor_68_face_landmarks.dat") == 0,
               "path \"%s\"", buf);
        FILE *f = fopen(buf, "rb");
        CHECKF(f != NULL, "cannot open \"%s\"", buf);
        if (f) fclose(f);

        /* Exactly the right size works; one byte less does not. */
        char *exact = malloc(n + 1);
        if (exact) {
            EXPECT_ST(FS_OK, fs_model_find("shape_predictor_68_face_landmarks.dat", exact, n + 1));
            CHECK(memcmp(exact, buf, n + 1) == 0);
            memset(exact, 'X', n + 1);
            EXPECT_ST(FS_ERR_BUFFER_TOO_SMALL, fs_model_find("shape_predictor_68_face_landmarks.dat", exact, n));
            bool untouched = true;
            for (size_t i = 0; i < n + 1; i++) untouched = untouched && exact[i] == 'X';
            CHECKF(untouched, "buffer was written on BUFFER_TOO_SMALL");
            free(exact);
        }
    }
    char small[4];
    memset(small, 'X', sizeof small);
    EXPECT_ST(FS_ERR_BUFFER_TOO_SMALL, fs_model_find("shape_predictor_68_face_landmarks.dat", small, sizeof small));
    CHECK(small[0] == 'X' && small[3] == 'X');
    EXPECT_ST(FS_ERR_BUFFER_TOO_SMALL, fs_model_find("shape_predictor_68_face_landmarks.dat", small, 0));
    EXPECT_ST(FS_ERR_MODEL, fs_model_find("no_such_model_file_0123.dat", buf, sizeof buf));
    CHECKF(strstr(fs_last_error_message(), "faceswap/models") != NULL,
           "the MODEL message should list where it looked: \"%s\"", fs_last_error_message());
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find(NULL, buf, sizeof buf));
    EXPECT_ST(FS_ERR_INVALID_ARGUMENT, fs_model_find("shape_predictor_68_face_landmarks.dat", NULL, 100));
}

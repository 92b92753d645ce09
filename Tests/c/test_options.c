/*
 * test_options.c — the options structs: every fs_*_options_init at every caller size, and the
 * swap options' defaults.
 */
#include "harness.h"

static bool all_bytes(const void *p, size_t n, unsigned char v) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v) return false;
    return true;
}

/* One options struct's fs_*_options_init: exactly `size` bytes written (the defaults truncated, struct_size =
 * size; zeros past the library's struct for a larger, newer caller's struct), nothing past them; NULL and sizes
 * 0, 4, 7, FS_STRUCT_SIZE_MAX + 1 and SIZE_MAX refused with a message naming the function and argument, and
 * nothing written. */
#define CHECK_OPTIONS_INIT(type, init_fn)                                                                        \
    do {                                                                                                         \
        struct { type o; unsigned char canary[64]; } w;                                                          \
        unsigned char full[sizeof(type)];                                                                        \
        memset(&w, 0x5A, sizeof w);                                                                              \
        if (EXPECT_OK(init_fn(&w.o, sizeof w.o)))                                                                \
            CHECKF(w.o.struct_size == sizeof(type) && all_bytes(w.canary, sizeof w.canary, 0x5A),                \
                   #init_fn "(sizeof): struct_size %u, bytes past the struct written %d", (unsigned)w.o.struct_size, \
                   !all_bytes(w.canary, sizeof w.canary, 0x5A));                                                 \
        memcpy(full, &w.o, sizeof full);                                                                         \
        memset(&w, 0x5A, sizeof w);                                                                              \
        (void)init_fn(&w.o, sizeof w.o);                                                                         \
        CHECKF(memcmp(full, &w.o, sizeof full) == 0, #init_fn ": two calls wrote different bytes");              \
        const size_t sizes[] = {8, 12, sizeof(type) / 2, sizeof(type) - 4};                                      \
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {                                            \
            size_t n = sizes[i];                                                                                 \
            memset(&w, 0x5A, sizeof w);                                                                          \
            if (!EXPECT_OK(init_fn(&w.o, n))) continue;                                                          \
            const unsigned char *b = (const unsigned char *)&w;                                                  \
            CHECKF(w.o.struct_size == n, #init_fn "(%zu): struct_size %u", n, (unsigned)w.o.struct_size);       \
            CHECKF(memcmp(b + 4, full + 4, n - 4) == 0, #init_fn "(%zu): not the defaults' first bytes", n);     \
            CHECKF(all_bytes(b + n, sizeof w - n, 0x5A), #init_fn "(%zu): wrote past the caller's size", n);     \
        }                                                                                                        \
        memset(&w, 0x5A, sizeof w); /* a newer caller: 32 more bytes than this library knows */                  \
        if (EXPECT_OK(init_fn(&w.o, sizeof(type) + 32))) {                                                       \
            const unsigned char *b = (const unsigned char *)&w;                                                  \
            CHECKF(w.o.struct_size == sizeof(type) + 32 && memcmp(b + 4, full + 4, sizeof(type) - 4) == 0 &&     \
                       all_bytes(b + sizeof(type), 32, 0) && all_bytes(b + sizeof(type) + 32, sizeof w - sizeof(type) - 32, 0x5A), \
                   #init_fn "(sizeof + 32): struct_size %u; the defaults, then 32 zero bytes, nothing past them",    \
                   (unsigned)w.o.struct_size);                                                                   \
        }                                                                                                        \
        EXPECT_ST(FS_ERR_INVALID_ARGUMENT, init_fn(NULL, sizeof(type)));                                        \
        CHECKF(strcmp(fs_last_error_message(), #init_fn ": options is NULL") == 0, "\"%s\"", fs_last_error_message()); \
        const size_t bad[] = {0, 4, 7, (size_t)FS_STRUCT_SIZE_MAX + 1, SIZE_MAX};                                \
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {                                                \
            memset(&w, 0x5A, sizeof w);                                                                          \
            EXPECT_ST(FS_ERR_INVALID_ARGUMENT, init_fn(&w.o, bad[i]));                                           \
            const char *msg = fs_last_error_message();                                                           \
            CHECKF(strncmp(msg, #init_fn ": size ", strlen(#init_fn) + 7) == 0 && strstr(msg, "sizeof") != NULL, \
                   #init_fn "(%zu): \"%s\"", bad[i], msg);                                                       \
            CHECKF(all_bytes(&w, sizeof w, 0x5A), #init_fn "(%zu): a refused call wrote", bad[i]);               \
        }                                                                                                        \
    } while (0)

GROUP(group_options_init, "options-init", FX_NONE,
      "every fs_*_options_init writes exactly the caller's size: the defaults (two calls "
      "agree), struct_size = size, for sizeof, 8, 12, half and sizeof - 4 nothing past "
      "size; sizeof + 32 (a newer caller) gets 32 zero bytes after the defaults; NULL, "
      "0, 4, 7, FS_STRUCT_SIZE_MAX + 1, SIZE_MAX -> INVALID_ARGUMENT naming the "
      "function and argument, nothing written; the FS_*_OPTIONS_INIT macros pass sizeof") {
    CHECK_OPTIONS_INIT(fs_detector_options, fs_detector_options_init);
    CHECK_OPTIONS_INIT(fs_swap_options, fs_swap_options_init);
    CHECK_OPTIONS_INIT(fs_stream_options, fs_stream_options_init);
    CHECK_OPTIONS_INIT(fs_video_options, fs_video_options_init);
    CHECK_OPTIONS_INIT(fs_reenact_options, fs_reenact_options_init);
    CHECK_OPTIONS_INIT(fs_extract_options, fs_extract_options_init);
    CHECK_OPTIONS_INIT(fs_train_options, fs_train_options_init);
    /* The macros pass the caller's sizeof. */
    struct { fs_video_options o; unsigned char canary[16]; } v;
    memset(&v, 0x5A, sizeof v);
    CHECK(FS_VIDEO_OPTIONS_INIT(&v.o) == FS_OK && v.o.struct_size == sizeof v.o && all_bytes(v.canary, 16, 0x5A));
}

#undef CHECK_OPTIONS_INIT

GROUP(group_swap_options, "swap-options", FX_NONE,
      "FS_SWAP_OPTIONS_INIT: struct_size = sizeof, DELAUNAY, REINHARD, "
      "MULTIBAND, expression 0.6, forehead 0.1, erode 0.04, feather 0.06, "
      "keep_mouth 1, face_index -1, keep_unmatched 0, use_reference 0, "
      "identity_threshold 0.6, occlusion 0, skin_texture 0") {
    fs_swap_options o = swap_defaults();
    CHECK_STRUCT_SIZE(o);
    CHECKF(o.mode == FS_CONVERT_DELAUNAY, "mode %d", (int)o.mode);
    CHECKF(o.color == FS_COLOR_REINHARD, "color %d", (int)o.color);
    CHECKF(o.blend == FS_BLEND_MULTIBAND, "blend %d", (int)o.blend);
    CHECKF(close_to(o.expression, 0.6, 1e-6), "expression %g", o.expression);
    CHECKF(close_to(o.forehead, 0.1, 1e-6), "forehead %g", o.forehead);
    CHECKF(close_to(o.erode, 0.04, 1e-6), "erode %g", o.erode);
    CHECKF(close_to(o.feather, 0.06, 1e-6), "feather %g", o.feather);
    CHECKF(o.keep_mouth == 1, "keep_mouth %d", (int)o.keep_mouth);
    CHECKF(o.face_index == -1, "face_index %d", (int)o.face_index);
    CHECKF(o.keep_unmatched == 0, "keep_unmatched %d", (int)o.keep_unmatched);
    CHECKF(o.use_reference == 0, "use_reference %d", (int)o.use_reference);
    CHECKF(close_to(o.identity_threshold, 0.6, 1e-6), "identity_threshold %g", o.identity_threshold);
    CHECKF(o.occlusion == 0, "occlusion %d", (int)o.occlusion);
    CHECKF(o.skin_texture == 0, "skin_texture %g", o.skin_texture);
    int finite = 0;
    for (int i = 0; i < FS_EMBEDDING_SIZE; i++) finite += isfinite(o.reference[i]) ? 1 : 0;
    CHECKF(finite == FS_EMBEDDING_SIZE, "%d of the default reference's values are finite", finite);
}

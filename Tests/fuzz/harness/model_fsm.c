/* libFuzzer harness: loading a learned-conversion model file (.fsm) with fs_model_load.
 *
 * Byte 0 picks the mode:
 *   even  the rest is written as the file, as is (the reader must refuse anything damaged: magic,
 *         version, lengths, checksum);
 *   odd   the same, but the harness first rewrites the last 4 bytes as the CRC-32 of the others,
 *         so the fuzzer gets past the checksum into the header's key=value text and into dlib's
 *         deserialisation of the weights.
 * Every failure must be a documented status with a message (IO, MODEL or OUT_OF_MEMORY); a model
 * that loads must report a sane fs_model_info. The file lives in a private folder
 * (fuzz_private_dir), removed at exit. */
#define _GNU_SOURCE /* nftw's FTW_DEPTH */
#include "fuzz_files.h"

static char dir[PATH_MAX], model_path[PATH_MAX];
static uint32_t crc_table[256];

static void cleanup(void) {
    unlink(model_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_init();
    fuzz_private_dir(dir, sizeof dir, "fs-fuzz-fsm");
    snprintf(model_path, sizeof model_path, "%s/model.fsm", dir);
    atexit(cleanup);
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    return 0;
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int fix_crc = data[0] & 1;
    data++, size--;
    uint8_t *bytes = malloc(size ? size : 1);
    FUZZ_CHECK(bytes != NULL, "out of memory");
    if (size) memcpy(bytes, data, size);
    if (fix_crc && size >= 4) {
        uint32_t c = crc32_of(bytes, size - 4);
        for (int i = 0; i < 4; i++) bytes[size - 4 + i] = (uint8_t)(c >> (8 * i));
    }
    fuzz_write_file(model_path, bytes, size);
    free(bytes);

    fs_model *m = (fs_model *)(uintptr_t)1;
    fs_status st = fs_model_load(model_path, &m);
    fuzz_check_status(st, "fs_model_load");
    if (st != FS_OK) {
        FUZZ_CHECK(m == NULL, "a failed load left *out set");
        FUZZ_CHECK(st == FS_ERR_MODEL || st == FS_ERR_IO || st == FS_ERR_OUT_OF_MEMORY,
                   "a bad model file gave %s", fs_status_string(st));
        return 0;
    }
    fs_model_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    st = fs_model_get_info(m, &info);
    FUZZ_CHECK(st == FS_OK, "fs_model_get_info failed on a loaded model");
    FUZZ_CHECK(info.size == 64 || info.size == 128, "a loaded model has size %d", info.size);
    FUZZ_CHECK(memchr(info.name_a, 0, sizeof info.name_a) && memchr(info.name_b, 0, sizeof info.name_b),
               "names not NUL-terminated");
    fs_model_free(m);
    return 0;
}

/* The shim's model caches (model_cache.hpp): what a handle's creation did with its cache, and
 * dlib's own detector and shape predictor called directly (the references the caches are tested
 * against). Internal: not exported from libfaceswap.so. */
#ifndef FS_SHIM_CACHE_H
#define FS_SHIM_CACHE_H
#include "fs_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 0: no cache (disabled, no cache folder, or it could not be written); 1: loaded from the cache;
 * 2: built the slow way and the cache written; 3: a stale, truncated or corrupt cache was there,
 * rebuilt and rewritten. */
int fsx_hog_cache_state(const void *det);
int fsx_sp_cache_state(const void *sp);

/* The caches' checksum (fsx::hash64), for tests that forge a cache whose checksums pass. */
uint64_t fsx_cache_hash64(const void *data, size_t size, uint64_t seed);

/* dlib's own HOG detector, freshly built by dlib::get_frontal_face_detector() (~0.3 s), scanning
 * a GRAY8 image as fsx_hog_detect_levels does. */
int fsx_hog_detect_dlib(fsx_view gray, double threshold, fsx_box *boxes, int capacity, int *count);
/* dlib's own shape predictor, read by dlib::deserialize from model_path (seconds: it is kept, by
 * path, for later calls) and fitted as fsx_sp_fit does. */
int fsx_sp_fit_dlib(const char *model_path, fsx_view img, const fsx_box *rect, float *xy);

#ifdef __cplusplus
}
#endif
#endif

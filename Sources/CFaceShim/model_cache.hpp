// The shim's on-disk caches of decoded models (the HOG detector, the shape predictors): where they
// live, how they are written (atomically) and read (a read-only mapping), and their checksum.
//
// Rules, the same for every cache: the folder is $XDG_CACHE_HOME/faceswap (default
// ~/.cache/faceswap); FACESWAP_NO_MODEL_CACHE=1 disables every cache; a folder that cannot be made
// or written, a file that cannot be read, a cache of another format version, of another model or
// that fails its checksum all fall back silently to the slow path (which then tries to write a
// fresh cache). A cache is written under a unique temporary name in the same folder and renamed
// over the final name when complete, so a reader never sees a partly written file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fsx {

// What a handle's creation did with its cache (fsx_hog_cache_state, fsx_sp_cache_state).
enum CacheState : int {
    kCacheOff = 0,      // no cache: disabled, no cache folder, or it could not be written
    kCacheHit = 1,      // loaded from a valid cache
    kCacheWritten = 2,  // built the slow way and the cache written (first use)
    kCacheRebuilt = 3,  // a cache was there but stale, truncated or corrupt: rebuilt and rewritten
};

// The cache folder ("" when caches are disabled or there is no home).
std::string cache_dir();

// Writes the parts, in order, to path atomically (unique temporary file, then rename). Makes the
// folder (and its parent) if needed. False on any failure (nothing is left behind).
bool write_atomically(const std::string &path, const std::vector<std::pair<const void *, size_t>> &parts);

// A 64-bit checksum of data (four interleaved multiply-xor lanes: it runs at memory speed, so
// that a 65 MB cache is verified in a few milliseconds). Not cryptographic: it detects truncation,
// corruption and stale files, not a forger.
uint64_t hash64(const void *data, size_t size, uint64_t seed = 0);

// A whole file mapped read-only (empty when it could not be opened or mapped).
class Mapping {
  public:
    Mapping() = default;
    // populate: fault every page in now (one system call instead of one fault per page later).
    static Mapping open(const std::string &path, bool populate);
    Mapping(Mapping &&o) noexcept { *this = std::move(o); }
    Mapping &operator=(Mapping &&o) noexcept;
    Mapping(const Mapping &) = delete;
    Mapping &operator=(const Mapping &) = delete;
    ~Mapping();
    const uint8_t *data() const { return data_; }
    size_t size() const { return size_; }
    bool empty() const { return data_ == nullptr; }

  private:
    const uint8_t *data_ = nullptr;
    size_t size_ = 0;
};

// Reads into the page cache the pages of the file at path that `mapped` (that file, mapped whole)
// does not find there: after an eviction, or at the first use after a reboot. Call it before
// anything touches the mapping.
// Why: pages a mapping's faults bring in (also MADV_POPULATE_READ, POSIX_FADV_WILLNEED) are small
// folios (4 KiB), and read() brings in folios of mixed sizes; every later process maps and unmaps
// those by 4 KiB page-table entries. Read through the mapping marked MADV_HUGEPAGE, the file comes
// in folios of 2 MB, which every later mapping maps by 2 MB entries (details in model_cache.cpp).
// Pages already cached are not read again (nor regrouped). Only for a file this user owns (whose
// residency mincore reports); a failure just leaves the page cache as it was.
void read_into_page_cache(const std::string &path, const Mapping &mapped);

}  // namespace fsx

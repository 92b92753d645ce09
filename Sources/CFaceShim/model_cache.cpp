// The shim's model caches: folder, atomic writes, read-only mappings, checksum (model_cache.hpp).
#include "model_cache.hpp"
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fsx {

std::string cache_dir() {
    if (const char *off = getenv("FACESWAP_NO_MODEL_CACHE"); off && *off && *off != '0') return "";
    if (const char *x = getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/faceswap";
    if (const char *h = getenv("HOME"); h && *h) return std::string(h) + "/.cache/faceswap";
    return "";
}

bool write_atomically(const std::string &path, const std::vector<std::pair<const void *, size_t>> &parts) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return false;
    std::string dir = path.substr(0, slash);
    std::string parent = dir.substr(0, dir.rfind('/'));
    if (!parent.empty()) mkdir(parent.c_str(), 0755);
    mkdir(dir.c_str(), 0755);
    std::string tmp = path + ".tmp-XXXXXX";
    int fd = mkstemp(&tmp[0]);
    if (fd < 0) return false;
    bool ok = fchmod(fd, 0644) == 0;
    for (const auto &[data, size] : parts) {
        const char *p = static_cast<const char *>(data);
        size_t left = size;
        while (ok && left > 0) {
            ssize_t n = write(fd, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) ok = false;
            else p += n, left -= (size_t)n;
        }
    }
    ok = (close(fd) == 0) && ok;
    ok = ok && rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) unlink(tmp.c_str());
    return ok;
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t mix(uint64_t lane, uint64_t v) {
    lane = (lane ^ v) * 0x9E3779B97F4A7C15ull;
    return lane ^ (lane >> 29);
}

uint64_t hash64(const void *data, size_t size, uint64_t seed) {
    const uint8_t *p = static_cast<const uint8_t *>(data);
    uint64_t a = seed ^ 0x243F6A8885A308D3ull, b = seed ^ 0x13198A2E03707344ull;
    uint64_t c = seed ^ 0xA4093822299F31D0ull, d = seed ^ 0x082EFA98EC4E6C89ull;
    size_t i = 0;
    for (; i + 32 <= size; i += 32) {
        a = mix(a, load64(p + i));
        b = mix(b, load64(p + i + 8));
        c = mix(c, load64(p + i + 16));
        d = mix(d, load64(p + i + 24));
    }
    uint8_t tail[32] = {0};
    if (i < size) {
        memcpy(tail, p + i, size - i);
        a = mix(a, load64(tail));
        b = mix(b, load64(tail + 8));
        c = mix(c, load64(tail + 16));
        d = mix(d, load64(tail + 24));
    }
    uint64_t h = mix(mix(mix(mix(size, a), b), c), d);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

Mapping Mapping::open(const std::string &path, bool populate) {
    Mapping m;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return m;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(nullptr, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
        if (p != MAP_FAILED) {
            m.data_ = static_cast<const uint8_t *>(p);
            m.size_ = (size_t)st.st_size;
        }
    }
    close(fd);
    return m;
}

void read_into_page_cache(const std::string &path, const Mapping &mapped) {
    if (mapped.empty()) return;
    const size_t limit = mapped.size();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t pages = (limit + page - 1) / page;
    uint8_t *base = const_cast<uint8_t *>(mapped.data());
    // mincore reports the page cache for a file the caller owns (or may write); for another's file
    // it reports only pages this process mapped, which would read the whole file every time.
    if (fstat(fd, &st) != 0 || (size_t)st.st_size != mapped.size() || (st.st_uid != geteuid() && geteuid() != 0)) {
        close(fd);
        return;
    }
    // The usual case, a cache in the page cache, decided by 64 pages spread over the file: mincore
    // over all of a 66 MB file's pages costs 0.8-1.6 ms, on the thread creating the handle. A file
    // partly evicted with all 64 still there is left to the mapping's faults (as before this).
    bool all_there = true;
    for (size_t k = 0; k < 64 && all_there; ++k) {
        unsigned char one = 0;
        const size_t at = pages * k / 64;
        all_there = mincore(base + at * page, page, &one) == 0 && (one & 1);
    }
    std::vector<unsigned char> resident(pages);
    if (all_there || mincore(base, limit, resident.data()) != 0) {
        close(fd);
        return;
    }
    close(fd);
    // Through the mapping itself, marked MADV_HUGEPAGE: the kernel then reads what is missing in
    // folios of 2 MB (where the file's offsets allow) and maps each whole with one page-table entry,
    // in this process and every later one that maps the file (the mappings of a file this size
    // start 2 MB-aligned). Reads of 128 KiB through read(), as before, left most of the cache in
    // smaller folios, mapped by 4 KiB entries: a whole-process `faceswap swap` then faulted in and
    // tore down ~16000 of them (issue 11 item 5). Measured here (ext4, Linux 6.18), a later
    // mapping touching one leaf per tree: 0.1 ms and unmapped in 0.02 ms from 2 MB folios,
    // 1-3 ms and 0.2-1.3 ms after the 128 KiB reads. A kernel without either call leaves the
    // pages to the mapping's faults.
    madvise(base, limit, MADV_HUGEPAGE);
    for (size_t i = 0; i < resident.size();) {  // each run of missing pages
        if (resident[i] & 1) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < resident.size() && !(resident[end] & 1)) ++end;
#ifdef MADV_POPULATE_READ
        if (madvise(base + i * page, std::min(end * page, limit) - i * page, MADV_POPULATE_READ) != 0) break;
#endif
        i = end;
    }
}

Mapping &Mapping::operator=(Mapping &&o) noexcept {
    if (this != &o) {
        if (data_) munmap(const_cast<uint8_t *>(data_), size_);
        data_ = o.data_;
        size_ = o.size_;
        o.data_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

Mapping::~Mapping() {
    if (data_) munmap(const_cast<uint8_t *>(data_), size_);
}

}  // namespace fsx

extern "C" uint64_t fsx_cache_hash64(const void *data, size_t size, uint64_t seed) { return fsx::hash64(data, size, seed); }

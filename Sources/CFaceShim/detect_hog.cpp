// dlib's HOG + linear SVM frontal face detector, and its binary cache.
//
// dlib::get_frontal_face_detector() decodes the detector from base64 text through dlib's
// arithmetic-coded compressor: ~0.3 s, on every handle. Its dlib serialisation (155 kB) reads back
// in ~3 ms, so the first handle writes it to the model cache (model_cache.hpp: folder, atomic
// write, FACESWAP_NO_MODEL_CACHE) and later handles deserialise that. The file holds exactly the
// bytes dlib's serialize() wrote for the detector get_frontal_face_detector() returned, so the
// detector read back is the same object (same filters, same boxes). It is keyed by dlib's version
// (the text is compiled in from dlib's header) and checked by size and checksum; anything else is
// rebuilt the slow way and rewritten.
#include "background.hpp"
#include "cv_common.hpp"
#include "fs_shim_cache.h"
#include "model_cache.hpp"
#include "pool.hpp"
#include <cstring>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/revision.h>
#include <sstream>
#include <unistd.h>

using Hog = dlib::frontal_face_detector;

namespace {

const char kMagic[8] = {'F', 'S', 'H', 'O', 'G', 'C', 'A', '1'};
constexpr uint32_t kFormat = 1;
constexpr uint32_t kDlibVersion = DLIB_MAJOR_VERSION * 10000 + DLIB_MINOR_VERSION * 100 + DLIB_PATCH_VERSION;

struct Header {
    char magic[8];
    uint32_t format;
    uint32_t dlib_version;
    uint64_t payload_size;
    uint64_t payload_hash;
    uint64_t header_hash;  // of the fields above
};

uint64_t header_hash(const Header &h) { return fsx::hash64(&h, offsetof(Header, header_hash), 1); }

std::string cache_path() {
    std::string dir = fsx::cache_dir();
    if (dir.empty()) return "";
    return dir + "/frontal_face_detector.dlib-" + std::to_string(DLIB_MAJOR_VERSION) + "." +
           std::to_string(DLIB_MINOR_VERSION) + "." + std::to_string(DLIB_PATCH_VERSION) + ".hogcache";
}

// An istream over bytes in memory (no copy).
struct MemoryBuffer : std::streambuf {
    MemoryBuffer(const uint8_t *p, size_t n) {
        char *b = const_cast<char *>(reinterpret_cast<const char *>(p));
        setg(b, b, b + n);
    }
};

// The detector in the cache file at path, or nullptr (missing, another format or dlib, wrong
// size, checksum mismatch, or dlib refuses it). *present: the file exists.
std::unique_ptr<Hog> read_cache(const std::string &path, bool *present) {
    fsx::Mapping m = fsx::Mapping::open(path, false);
    *present = !m.empty() || access(path.c_str(), F_OK) == 0;  // an empty file is there too
    if (m.empty() || m.size() < sizeof(Header)) return nullptr;
    Header h;
    memcpy(&h, m.data(), sizeof h);
    if (memcmp(h.magic, kMagic, 8) != 0 || h.format != kFormat || h.dlib_version != kDlibVersion ||
        h.header_hash != header_hash(h) || h.payload_size != m.size() - sizeof(Header) ||
        h.payload_hash != fsx::hash64(m.data() + sizeof(Header), h.payload_size))
        return nullptr;
    try {
        MemoryBuffer buf(m.data() + sizeof(Header), h.payload_size);
        std::istream in(&buf);
        auto hog = std::make_unique<Hog>();
        dlib::deserialize(*hog, in);
        if (hog->num_detectors() == 0) return nullptr;
        return hog;
    } catch (...) {
        return nullptr;
    }
}

bool write_cache(const std::string &path, const Hog &hog) {
    std::ostringstream out;
    dlib::serialize(hog, out);
    const std::string payload = out.str();
    Header h{};
    memcpy(h.magic, kMagic, 8);
    h.format = kFormat;
    h.dlib_version = kDlibVersion;
    h.payload_size = payload.size();
    h.payload_hash = fsx::hash64(payload.data(), payload.size());
    h.header_hash = header_hash(h);
    return fsx::write_atomically(path, {{&h, sizeof h}, {payload.data(), payload.size()}});
}

// The detector from its cache, or built by dlib (and the cache written when path is not "").
struct Loaded {
    std::unique_ptr<fsx::Pool<Hog>> pool;
    int cache_state = fsx::kCacheOff;
};
Loaded load(const std::string &path) {
    bool present = false;
    std::unique_ptr<Hog> hog = path.empty() ? nullptr : read_cache(path, &present);
    int state = fsx::kCacheHit;
    if (!hog) {
        hog = std::make_unique<Hog>(dlib::get_frontal_face_detector());
        state = fsx::kCacheOff;
        if (!path.empty() && write_cache(path, *hog)) state = present ? fsx::kCacheRebuilt : fsx::kCacheWritten;
    }
    return {std::make_unique<fsx::Pool<Hog>>(std::move(hog)), state};
}

// The handle: the detector is loaded by the first detect (or cache state query), in its thread.
// Not on a second thread: a load still running when the process exits (a program that stops
// right after another handle failed) crashed in dlib's deserialisation while exit() tore its
// statics down (exit 139 in the wheel's no-model check). The cache folder is read from the
// environment when the handle is made.
struct HogHandle {
    explicit HogHandle(std::string path) : loaded([path] { return load(path); }, std::launch::deferred) {}
    fsx::Background<Loaded> loaded;
};

template <typename Found> int copy_boxes(const Found &found, fsx_box *boxes, int capacity, int *count) {
    *count = (int)found.size();
    for (int i = 0; i < (int)found.size() && i < capacity; ++i) {
        const auto &r = found[i].rect;
        boxes[i] = {(double)r.left(), (double)r.top(), (double)r.width(), (double)r.height(),
                    found[i].detection_confidence};
    }
    return 0;
}

}  // namespace

extern "C" void *fsx_hog_create(void) {
    FSX_GUARD_PTR("HOG detector", FS_ERR_MODEL, {
        return new HogHandle(cache_path());
    })
}

extern "C" int fsx_hog_cache_state(const void *det) {
    try {
        return static_cast<HogHandle *>(const_cast<void *>(det))->loaded.get().cache_state;
    } catch (...) {
        return fsx::kCacheOff;  // the detector could not be made: its detect says why
    }
}

extern "C" int fsx_hog_detect(void *det, fsx_view image, double threshold, fsx_box *boxes,
                              int capacity, int *count) {
    FSX_GUARD("detect (HOG)", {
        const int ch = fsx::channels_of(image.format);
        if (ch != 1 && ch != 3) return fsx::fail(FS_ERR_INTERNAL, "detect (HOG): a GRAY8 or 3-channel image is scanned");
        cv::Mat m = fsx::mat(image);
        std::vector<dlib::rect_detection> found;
        static_cast<HogHandle *>(det)->loaded.get().pool->with([&](Hog &d) {
            // dlib's fHOG on a colour image takes each pixel's strongest channel gradient (the
            // channel order does not matter), on a grey one the grey gradient.
            if (ch == 3) d(dlib::cv_image<dlib::bgr_pixel>(m), found, threshold);
            else d(dlib::cv_image<unsigned char>(m), found, threshold);
            return 0;
        });
        return copy_boxes(found, boxes, capacity, count);
    })
}

extern "C" void fsx_hog_free(void *det) { delete static_cast<HogHandle *>(det); }

extern "C" int fsx_hog_detect_dlib(fsx_view gray, double threshold, fsx_box *boxes, int capacity, int *count) {
    FSX_GUARD("detect (dlib's own HOG)", {
        Hog d = dlib::get_frontal_face_detector();
        cv::Mat m = fsx::mat(gray);
        dlib::cv_image<unsigned char> img(m);
        std::vector<dlib::rect_detection> found;
        d(img, found, threshold);
        return copy_boxes(found, boxes, capacity, count);
    })
}

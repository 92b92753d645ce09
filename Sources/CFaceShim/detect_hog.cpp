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
    // Each detector's filters as dlib's object_detector holds them (built from its weights the
    // way object_detector builds them when it is made or read), for scan_levels() below.
    std::shared_ptr<const Hog> prototype;
    std::vector<Hog::image_scanner_type::fhog_filterbank> banks;
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
    std::shared_ptr<const Hog> prototype = std::make_shared<const Hog>(*hog);
    std::vector<Hog::image_scanner_type::fhog_filterbank> banks;
    for (unsigned long i = 0; i < prototype->num_detectors(); ++i)
        banks.push_back(prototype->get_scanner().build_fhog_filterbank(prototype->get_w(i)));
    return {std::make_unique<fsx::Pool<Hog>>(std::move(hog)), state, std::move(prototype), std::move(banks)};
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

// ---- dlib's HOG scan by pyramid levels ----
// object_detector::operator() (dlib/image_processing/object_detector.h) loads the whole image
// pyramid (scan_fhog_pyramid::load: level 0 the image, each next level pyramid_down<6> of the
// one before), runs each detector's filters over every level, keeps the windows scoring over
// its threshold (their boxes mapped up from their level by rect_up), sorts them and suppresses
// overlaps. scan_levels() does the same for a range of levels only, with dlib's own functions
// (the same pyramid, features, filters and mapping), so the windows it keeps are exactly the
// ones dlib keeps on those levels; finish() then sorts and suppresses as operator() does. So
// levels [0, k) on one thread and [k, n) on another, joined in level order, give dlib's
// detections exactly; levels [k, n) alone give the faces dlib's scan finds at least
// window × (6/5)^k pixels large (a face's box is the one the whole scan gives unless a
// smaller window on a finer level scores higher over it: see Detector.largestFaces).
using Scanner = Hog::image_scanner_type;
using Bank = Scanner::fhog_filterbank;
using Windows = std::vector<std::pair<double, dlib::rectangle>>;

// How many levels dlib's scan of an image of this size has (create_fhog_pyramid's loop).
unsigned long level_count(const Scanner &s, long width, long height) {
    dlib::pyramid_down<6> pyr;
    dlib::rectangle rect(0, 0, width - 1, height - 1);
    unsigned long levels = 0;
    do {
        rect = pyr.rect_down(rect);
        ++levels;
    } while (rect.width() >= (long)s.get_min_pyramid_layer_width() &&
             rect.height() >= (long)s.get_min_pyramid_layer_height() && levels < s.get_max_pyramid_levels());
    return levels;
}

// The windows of levels [first, last) of img over each detector's threshold + adjust, per
// detector, in dlib's order (level by level, row by row), boxes in img's coordinates.
template <typename Pixel>
std::vector<Windows> scan_levels(const Hog &d, const std::vector<Bank> &banks, const dlib::cv_image<Pixel> &img,
                                 unsigned long first, unsigned long last, double adjust) {
    const Scanner &s = d.get_scanner();
    const auto &fe = s.get_feature_extractor();
    const long fw = (long)s.get_fhog_window_width(), fh = (long)s.get_fhog_window_height();
    const long pad = (long)s.get_padding();
    const int cell = (int)s.get_cell_size();
    dlib::array<dlib::array<dlib::array2d<float>>> feats;
    feats.set_max_size(last - first);
    feats.set_size(last - first);
    if (first == 0) fe(img, feats[0], cell, fh, fw);
    if (last > 1) {
        dlib::pyramid_down<6> pyr;
        dlib::array2d<Pixel> temp1, temp2;
        pyr(img, temp1);
        if (first <= 1) fe(temp1, feats[1 - first], cell, fh, fw);
        swap(temp1, temp2);
        for (unsigned long l = 2; l < last; ++l) {
            pyr(temp2, temp1);
            if (l >= first) fe(temp1, feats[l - first], cell, fh, fw);
            swap(temp1, temp2);
        }
    }
    std::vector<Windows> out(banks.size());
    dlib::array2d<float> saliency;
    dlib::pyramid_down<6> pyr;
    for (size_t i = 0; i < banks.size(); ++i) {
        const double thresh = d.get_w(i)(s.get_num_dimensions()) + adjust;
        for (unsigned long l = first; l < last; ++l) {
            const dlib::rectangle area = dlib::impl::apply_filters_to_fhog(banks[i], feats[l - first], saliency);
            for (long r = area.top(); r <= area.bottom(); ++r)
                for (long c = area.left(); c <= area.right(); ++c)
                    if (saliency[r][c] >= thresh) {
                        dlib::rectangle rect = fe.feats_to_image(
                            dlib::centered_rect(dlib::point(c, r), fw - 2 * pad, fh - 2 * pad), cell, fh, fw);
                        rect = pyr.rect_up(rect, l);
                        out[i].push_back(std::make_pair((double)saliency[r][c], rect));
                    }
        }
    }
    return out;
}

// object_detector::operator()'s end: each detector's windows sorted, scores less its threshold,
// all sorted, overlaps suppressed.
std::vector<dlib::rect_detection> finish(const Hog &d, std::vector<Windows> &windows) {
    const Scanner &s = d.get_scanner();
    std::vector<dlib::rect_detection> all;
    for (size_t i = 0; i < windows.size(); ++i) {
        std::sort(windows[i].rbegin(), windows[i].rend(), dlib::impl::compare_pair_rect);
        const double thresh = d.get_w(i)(s.get_num_dimensions());
        for (const auto &w : windows[i]) {
            dlib::rect_detection t;
            t.detection_confidence = w.first - thresh;
            t.weight_index = i;
            t.rect = w.second;
            all.push_back(t);
        }
    }
    if (windows.size() > 1) std::sort(all.rbegin(), all.rend());
    std::vector<dlib::rect_detection> kept;
    const auto &overlap = d.get_overlap_tester();
    for (const auto &t : all) {
        bool covered = false;
        for (const auto &k : kept)
            if (overlap(k.rect, t.rect)) { covered = true; break; }
        if (!covered) kept.push_back(t);
    }
    return kept;
}

// Levels [first, n) of img's scan; with two threads, levels [0, 2) here and [2, n) on a second
// thread (about half the work each: level l has (5/6)^2l of the pixels), joined in level order.
template <typename Pixel>
std::vector<dlib::rect_detection> detect_levels(const Loaded &h, const dlib::cv_image<Pixel> &img, double adjust,
                                                unsigned long first, int threads) {
    const Hog &d = *h.prototype;
    const unsigned long n = level_count(d.get_scanner(), img.nc(), img.nr());
    if (first >= n) return {};
    std::vector<Windows> windows;
    const unsigned long split = first + 2;
    if (threads > 1 && split < n) {
        std::future<std::vector<Windows>> rest;
        try {
            rest = std::async(std::launch::async, [&] { return scan_levels(d, h.banks, img, split, n, adjust); });
        } catch (const std::system_error &) {  // no thread to be had: all here
        }
        if (rest.valid()) {
            windows = scan_levels(d, h.banks, img, first, split, adjust);
            std::vector<Windows> more = rest.get();
            for (size_t i = 0; i < windows.size(); ++i) windows[i].insert(windows[i].end(), more[i].begin(), more[i].end());
            return finish(d, windows);
        }
    }
    windows = scan_levels(d, h.banks, img, first, n, adjust);
    return finish(d, windows);
}

}  // namespace

extern "C" int fsx_hog_detect_levels(void *det, fsx_view image, double threshold, int first_level, int threads,
                                     fsx_box *boxes, int capacity, int *count) {
    FSX_GUARD("detect (HOG)", {
        const int ch = fsx::channels_of(image.format);
        if (ch != 1 && ch != 3) return fsx::fail(FS_ERR_INTERNAL, "detect (HOG): a GRAY8 or 3-channel image is scanned");
        cv::Mat m = fsx::mat(image);
        const Loaded &h = static_cast<HogHandle *>(det)->loaded.get();
        const unsigned long first = (unsigned long)std::max(0, first_level);
        std::vector<dlib::rect_detection> found =
            ch == 3 ? detect_levels(h, dlib::cv_image<dlib::bgr_pixel>(m), threshold, first, threads)
                    : detect_levels(h, dlib::cv_image<unsigned char>(m), threshold, first, threads);
        return copy_boxes(found, boxes, capacity, count);
    })
}

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

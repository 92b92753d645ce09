// dlib's HOG + linear SVM frontal face detector, and its binary cache.
//
// dlib::get_frontal_face_detector() decodes the detector from base64 text through dlib's
// arithmetic-coded compressor: ~0.3 s, on every handle. A scan then needs, for each of its five
// detectors, the filter bank dlib's object_detector builds from the detector's weights (an SVD of
// each of the 31 feature planes' filters: build_fhog_filterbank), and the scanner's settings, the
// overlap test and each detector's threshold. The first handle writes exactly these to the model
// cache (model_cache.hpp: folder, atomic write, FACESWAP_NO_MODEL_CACHE): the scanner and overlap
// test as dlib's serialize() wrote them, the thresholds and the banks' floats as they are in
// memory. Later handles read them back in well under a millisecond, with no SVD (reading dlib's
// own serialisation of the detector, which rebuilds the banks, cost ~3 ms). The banks read back are
// the ones dlib built, float for float, so the scan finds the same boxes. The cache is keyed by
// dlib's version (the detector is compiled in from dlib's header) and checked by size and
// checksum; anything else is rebuilt the slow way and rewritten.
#include "background.hpp"
#include "cv_common.hpp"
#include "fs_shim_cache.h"
#include "model_cache.hpp"
#include <cstring>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/revision.h>
#include <unistd.h>

using Hog = dlib::frontal_face_detector;
using Scanner = Hog::image_scanner_type;
using Bank = Scanner::fhog_filterbank;

namespace {

const char kMagic[8] = {'F', 'S', 'H', 'O', 'G', 'C', 'A', '1'};
constexpr uint32_t kFormat = 2;
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

// The format is in the name too, so that builds writing another format (an older libfaceswap
// in the same cache folder) do not keep rewriting each other's file.
std::string cache_path() {
    std::string dir = fsx::cache_dir();
    if (dir.empty()) return "";
    return dir + "/frontal_face_detector.dlib-" + std::to_string(DLIB_MAJOR_VERSION) + "." +
           std::to_string(DLIB_MINOR_VERSION) + "." + std::to_string(DLIB_PATCH_VERSION) + ".format" +
           std::to_string(kFormat) + ".hogcache";
}

// The detector as the scans use it (scan_levels, finish): what dlib's object_detector holds,
// with each detector's weights reduced to its threshold and its filter bank.
struct Model {
    Scanner scanner;  // settings only (window, cell size, padding, pyramid limits)
    dlib::test_box_overlap overlap;
    std::vector<double> thresholds;  // each detector's w(num_dimensions)
    std::vector<Bank> banks;         // each detector's filters, as object_detector builds them
};

// The model of dlib's own detector (building its banks: the SVDs).
void from_dlib(const Hog &hog, Model &m) {
    m.scanner.copy_configuration(hog.get_scanner());
    m.overlap = hog.get_overlap_tester();
    for (unsigned long i = 0; i < hog.num_detectors(); ++i) {
        m.thresholds.push_back(hog.get_w(i)(m.scanner.get_num_dimensions()));
        m.banks.push_back(m.scanner.build_fhog_filterbank(hog.get_w(i)));
    }
}

// The cache's payload: the scanner's settings (Settings), the overlap test's two thresholds, the
// number of detectors, then each detector's threshold and bank: per feature plane its filter,
// then its separable filters' count and each column and row filter, each matrix as rows, columns
// (uint32) and its floats. The settings are plain fields, not dlib's serialisation of the
// scanner: that computes from them as it reads (a zero cell size divides by zero), and a cache
// file is checked before anything is computed from it (its checksum is no signature).
struct Settings {
    uint32_t cell_size, padding, window_width, window_height, max_levels, min_layer_width, min_layer_height;
    uint32_t zero;  // 0: the double below aligned with no padding byte left unwritten
    double nuclear_norm;
    // In the range of a real detector's (dlib's frontal detector: cell 8, window 80x80, padding 0).
    bool plausible() const {
        return cell_size >= 1 && cell_size <= 32 && padding <= 16 && window_width >= 8 && window_width <= 512 &&
               window_height >= 8 && window_height <= 512 && max_levels >= 1 && max_levels <= 1000 &&
               min_layer_width >= 1 && min_layer_width <= 4096 && min_layer_height >= 1 &&
               min_layer_height <= 4096 && zero == 0 && nuclear_norm >= 0;
    }
};

void append(std::string &out, const void *p, size_t n) { out.append(static_cast<const char *>(p), n); }
template <typename T> void append(std::string &out, T v) { append(out, &v, sizeof v); }
void append(std::string &out, const dlib::matrix<float> &m) {
    append(out, (uint32_t)m.nr());
    append(out, (uint32_t)m.nc());
    if (m.size()) append(out, &m(0, 0), sizeof(float) * (size_t)m.size());
}

std::string payload(const Model &m) {
    const Scanner &sc = m.scanner;
    std::string out;
    append(out, Settings{(uint32_t)sc.get_cell_size(), (uint32_t)sc.get_padding(),
                         (uint32_t)sc.get_detection_window_width(), (uint32_t)sc.get_detection_window_height(),
                         (uint32_t)sc.get_max_pyramid_levels(), (uint32_t)sc.get_min_pyramid_layer_width(),
                         (uint32_t)sc.get_min_pyramid_layer_height(), 0, sc.get_nuclear_norm_regularization_strength()});
    append(out, m.overlap.get_iou_thresh());
    append(out, m.overlap.get_percent_covered_thresh());
    append(out, (uint32_t)m.banks.size());
    for (size_t i = 0; i < m.banks.size(); ++i) {
        append(out, m.thresholds[i]);
        const Bank &b = m.banks[i];
        for (size_t p = 0; p < b.filters.size(); ++p) {
            append(out, b.filters[p]);
            append(out, (uint32_t)b.col_filters[p].size());
            for (size_t k = 0; k < b.col_filters[p].size(); ++k) {
                append(out, dlib::matrix<float>(b.col_filters[p][k]));
                append(out, dlib::matrix<float>(b.row_filters[p][k]));
            }
        }
    }
    return out;
}

// Reads the payload's parts in order; false once anything is short or out of shape.
struct Reader {
    const uint8_t *p, *end;
    bool take(void *to, size_t n) {
        if ((size_t)(end - p) < n) return false;
        memcpy(to, p, n);
        p += n;
        return true;
    }
    template <typename T> bool take(T &v) { return take(&v, sizeof v); }
    // A rows × cols float matrix (cols 1 for a column vector type).
    template <long NC> bool take(dlib::matrix<float, 0, NC> &m, long rows, long cols) {
        uint32_t r, c;
        if (!take(r) || !take(c) || r != rows || c != cols || rows < 1 || cols < 1 || rows > 1024 || cols > 1024 ||
            (size_t)(end - p) < sizeof(float) * (size_t)rows * (size_t)cols)
            return false;
        m.set_size(rows, cols);
        return take(&m(0, 0), sizeof(float) * (size_t)(rows * cols));
    }
};

bool read_payload(const uint8_t *data, size_t size, Model &m) {
    Reader in{data, data + size};
    Settings st;
    double iou, covered;
    if (!in.take(st) || !st.plausible() || !in.take(iou) || !in.take(covered) || !(iou >= 0 && iou <= 1) ||
        !(covered >= 0 && covered <= 1))
        return false;
    m.scanner.set_cell_size(st.cell_size);
    m.scanner.set_padding(st.padding);
    m.scanner.set_detection_window_size(st.window_width, st.window_height);
    m.scanner.set_max_pyramid_levels(st.max_levels);
    m.scanner.set_min_pyramid_layer_size(st.min_layer_width, st.min_layer_height);
    m.scanner.set_nuclear_norm_regularization_strength(st.nuclear_norm);
    m.overlap = dlib::test_box_overlap(iou, covered);
    const long rows = (long)m.scanner.get_fhog_window_height(), cols = (long)m.scanner.get_fhog_window_width();
    const size_t planes = m.scanner.get_feature_extractor().get_num_planes();
    uint32_t detectors;
    if (!in.take(detectors) || detectors == 0 || detectors > 64) return false;
    m.thresholds.resize(detectors);
    m.banks.resize(detectors);
    for (uint32_t i = 0; i < detectors; ++i) {
        Bank &b = m.banks[i];
        b.filters.resize(planes);
        b.col_filters.resize(planes);
        b.row_filters.resize(planes);
        if (!in.take(m.thresholds[i])) return false;
        for (size_t p = 0; p < planes; ++p) {
            uint32_t separable;
            if (!in.take(b.filters[p], rows, cols) || !in.take(separable) || separable > (uint32_t)std::min(rows, cols))
                return false;
            b.col_filters[p].resize(separable);
            b.row_filters[p].resize(separable);
            for (uint32_t k = 0; k < separable; ++k)
                if (!in.take(b.col_filters[p][k], rows, 1) || !in.take(b.row_filters[p][k], cols, 1)) return false;
        }
    }
    return in.p == in.end;
}

// The model in the cache file at path (false: missing, another format or dlib, wrong size,
// checksum mismatch, or out of shape). *present: the file exists.
bool read_cache(const std::string &path, bool *present, Model &m) {
    fsx::Mapping map = fsx::Mapping::open(path, false);
    *present = !map.empty() || access(path.c_str(), F_OK) == 0;  // an empty file is there too
    if (map.empty() || map.size() < sizeof(Header)) return false;
    Header h;
    memcpy(&h, map.data(), sizeof h);
    if (memcmp(h.magic, kMagic, 8) != 0 || h.format != kFormat || h.dlib_version != kDlibVersion ||
        h.header_hash != header_hash(h) || h.payload_size != map.size() - sizeof(Header) ||
        h.payload_hash != fsx::hash64(map.data() + sizeof(Header), h.payload_size))
        return false;
    try {
        return read_payload(map.data() + sizeof(Header), h.payload_size, m);
    } catch (...) {  // dlib refused its part
        return false;
    }
}

bool write_cache(const std::string &path, const Model &m) {
    const std::string bytes = payload(m);
    Header h{};
    memcpy(h.magic, kMagic, 8);
    h.format = kFormat;
    h.dlib_version = kDlibVersion;
    h.payload_size = bytes.size();
    h.payload_hash = fsx::hash64(bytes.data(), bytes.size());
    h.header_hash = header_hash(h);
    return fsx::write_atomically(path, {{&h, sizeof h}, {bytes.data(), bytes.size()}});
}

// The model from its cache, or built from dlib's detector (and the cache written when path is not "").
struct Loaded {
    std::shared_ptr<const Model> model;
    int cache_state = fsx::kCacheOff;
};
Loaded load(const std::string &path) {
    bool present = false;
    auto model = std::make_shared<Model>();
    if (!path.empty() && read_cache(path, &present, *model)) return {model, fsx::kCacheHit};
    model = std::make_shared<Model>();  // whatever a refused cache left in it goes
    from_dlib(dlib::get_frontal_face_detector(), *model);
    int state = fsx::kCacheOff;
    if (!path.empty() && write_cache(path, *model)) state = present ? fsx::kCacheRebuilt : fsx::kCacheWritten;
    return {model, state};
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
std::vector<Windows> scan_levels(const Model &d, const dlib::cv_image<Pixel> &img, unsigned long first,
                                 unsigned long last, double adjust) {
    const Scanner &s = d.scanner;
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
    std::vector<Windows> out(d.banks.size());
    dlib::array2d<float> saliency;
    dlib::pyramid_down<6> pyr;
    for (size_t i = 0; i < d.banks.size(); ++i) {
        const double thresh = d.thresholds[i] + adjust;
        for (unsigned long l = first; l < last; ++l) {
            const dlib::rectangle area = dlib::impl::apply_filters_to_fhog(d.banks[i], feats[l - first], saliency);
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
std::vector<dlib::rect_detection> finish(const Model &d, std::vector<Windows> &windows) {
    std::vector<dlib::rect_detection> all;
    for (size_t i = 0; i < windows.size(); ++i) {
        std::sort(windows[i].rbegin(), windows[i].rend(), dlib::impl::compare_pair_rect);
        const double thresh = d.thresholds[i];
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
    const auto &overlap = d.overlap;
    for (const auto &t : all) {
        bool covered = false;
        for (const auto &k : kept)
            if (overlap(k.rect, t.rect)) { covered = true; break; }
        if (!covered) kept.push_back(t);
    }
    return kept;
}

// Levels [first, n) of img's scan (first 0: dlib's whole scan, object_detector::operator()); with two threads, levels [0, 2) here and [2, n) on a second
// thread (about half the work each: level l has (5/6)^2l of the pixels), joined in level order.
template <typename Pixel>
std::vector<dlib::rect_detection> detect_levels(const Model &d, const dlib::cv_image<Pixel> &img, double adjust,
                                                unsigned long first, int threads) {
    const unsigned long n = level_count(d.scanner, img.nc(), img.nr());
    if (first >= n) return {};
    std::vector<Windows> windows;
    const unsigned long split = first + 2;
    if (threads > 1 && split < n) {
        std::future<std::vector<Windows>> rest;
        try {
            rest = std::async(std::launch::async, [&] { return scan_levels(d, img, split, n, adjust); });
        } catch (const std::system_error &) {  // no thread to be had: all here
        }
        if (rest.valid()) {
            windows = scan_levels(d, img, first, split, adjust);
            std::vector<Windows> more = rest.get();
            for (size_t i = 0; i < windows.size(); ++i) windows[i].insert(windows[i].end(), more[i].begin(), more[i].end());
            return finish(d, windows);
        }
    }
    windows = scan_levels(d, img, first, n, adjust);
    return finish(d, windows);
}

}  // namespace

extern "C" int fsx_hog_detect_levels(void *det, fsx_view image, double threshold, int first_level, int threads,
                                     fsx_box *boxes, int capacity, int *count) {
    FSX_GUARD("detect (HOG)", {
        const int ch = fsx::channels_of(image.format);
        if (ch != 1 && ch != 3) return fsx::fail(FS_ERR_INTERNAL, "detect (HOG): a GRAY8 or 3-channel image is scanned");
        cv::Mat m = fsx::mat(image);
        // dlib's fHOG on a colour image takes each pixel's strongest channel gradient (the
        // channel order does not matter), on a grey one the grey gradient.
        const Model &h = *static_cast<HogHandle *>(det)->loaded.get().model;
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

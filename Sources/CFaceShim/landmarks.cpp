// dlib's shape predictor (68- or 5-point ensemble of regression trees), held flat, and its cache.
#include "cv_common.hpp"
#include "fs_shim_cache.h"
#include "model_cache.hpp"
#include <cstring>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using Forests = std::vector<std::vector<dlib::impl::regression_tree>>;
using Anchors = std::vector<std::vector<unsigned long>>;
using Deltas = std::vector<std::vector<dlib::vector<float, 2>>>;
using Pixels = std::vector<std::vector<dlib::vector<float, 2>>>;

// The predictor is dlib's shape_predictor with its trees stored flat: every split in one array,
// every leaf vector in one array of floats. Fitting runs dlib's own steps in dlib's order (the
// feature pixels as dlib::impl::extract_feature_pixel_values finds them, each tree walked by the same test,
// its leaf added to the shape element by element, the shape mapped to the image by
// dlib::impl::unnormalizing_tform), so the points are exactly those of dlib::shape_predictor read
// from the same file (Tests/FaceSwapTests/ModelCacheTests.swift checks this against dlib's own).
//
// Flat arrays can be mapped straight from a file, so the cache is that layout on disk: dlib's
// format stores every float as a portable variable-length pair (16 million of them in the 68-point
// model, ~1 s to parse); the cache (~66 MB) is mapped read-only and verified by its checksum in a
// few milliseconds, with no parsing and no allocation per tree. It lives in the model cache folder
// (model_cache.hpp) as PATH.SIZE-MTIME.spflat (the model file's path with '/' as '_', its size and
// modification time, which the header repeats; older layouts are not read).
//
// Every byte of the cache is covered by a checksum, and no value is used before its checksum has
// matched. The header has its own; everything between the header and the leaves (mean shape,
// cascades, feature pixels, trees, splits, and a table of one checksum per leaf: 2.6 MB for the
// 68-point model) is checked when the landmarker is created, with the structure a fit walks; the
// leaves (65 MB of the 68-point model's 67 MB, 120000 leaves of 544 bytes) are checked one leaf at
// a time, each the first time a fit reads it (a fit reads one leaf per tree: 7500 of them, 4 MB).
// Why: hashing the whole 67 MB before the first fit (issue 11) was 13% of a whole-process CLI
// swap's CPU and held its first fit back by 18-39 ms, reading 63 MB that the swap never uses.
// A leaf that fails its checksum (or a body that does) makes the handle rebuild its predictor from
// the model file exactly as at creation and rewrite the cache; the fit that found it runs again on
// the rebuilt predictor, so a damaged cache never produces a result. fsx_sp_cache_state checks
// every leaf not checked yet (its answer says whether the whole cache was valid).
namespace {

struct Cascade {  // trees [first_tree, +num_trees), feature pixels [first_pixel, +num_pixels)
    uint64_t first_tree, num_trees, first_pixel, num_pixels;
};
struct Tree {  // splits [first_split, +num_splits); num_splits + 1 leaves of dim floats from first_leaf
    uint64_t first_split, first_leaf;
    uint32_t num_splits, reserved;
};
struct Split {
    uint32_t idx1, idx2;
    float thresh;
};

struct Flat {
    dlib::matrix<float, 0, 1> initial;
    long dim = 0;
    std::vector<Cascade> cascades;
    Anchors anchors;  // per cascade, as extract_feature_pixel_values takes them
    Deltas deltas;
    const Tree *trees = nullptr;
    const Split *splits = nullptr;
    const float *leaves = nullptr;
    uint64_t num_trees = 0, num_splits = 0, num_leaf_floats = 0;
    std::vector<Tree> own_trees;  // when not mapped
    std::vector<Split> own_splits;
    std::vector<float> own_leaves;
    fsx::Mapping mapping;  // when mapped
    // When mapped: the leaves' checksums (one per leaf, leaf n being leaves[n * dim, +dim)) and
    // which leaves have matched theirs (set once, never cleared: the mapping is read-only).
    const uint64_t *leaf_hashes = nullptr;
    std::unique_ptr<std::atomic<uint8_t>[]> checked;
    std::atomic<bool> all_checked{false};
    int cache_state = fsx::kCacheOff;

    // True when leaf n (at `leaf`) may be used: not mapped, already checked, or matching its
    // checksum now.
    bool leaf_ok(uint64_t n, const float *leaf) const {
        if (!leaf_hashes || checked[n].load(std::memory_order_relaxed)) return true;
        if (fsx::hash64(leaf, sizeof(float) * (size_t)dim, n) != leaf_hashes[n]) return false;
        checked[n].store(1, std::memory_order_relaxed);
        return true;
    }
};

// The handle. The predictor is shared with the fits running on it: a fit that finds a damaged leaf
// replaces it (rebuilt from the model file) while others may still be reading the old one, which
// stays mapped until the last of them lets go.
struct Predictor {
    std::mutex mu;                // guards model and failure
    std::shared_ptr<Flat> model;  // null after a failed rebuild
    std::string failure;          // why the rebuild failed
    std::mutex rebuilding;        // one rebuild at a time
    std::string model_path;       // to rebuild from
    long dim = 0;

    std::shared_ptr<Flat> current() {
        std::lock_guard<std::mutex> lock(mu);
        return model;
    }
};

// ---- the cache file: Header, then the sections at the offsets it gives (64-byte aligned) ----
const char kMagic[8] = {'F', 'S', 'S', 'P', 'C', 'A', 'C', '3'};
constexpr uint32_t kFormat = 3;

struct Header {
    char magic[8];
    uint32_t format, header_size;
    uint64_t model_size;
    int64_t model_mtime;
    uint64_t file_size;
    uint64_t dim, cascades, pixels, trees, splits, leaf_floats;
    // sections: initial (dim floats), cascades (Cascade), anchors (pixels u32), deltas (pixels x 2
    // floats), trees (Tree), splits (Split), leaf hashes (leaf_floats / dim u64: hash64 of leaf n
    // with seed n), then leaves (leaf_floats floats), which end the file
    uint64_t off_initial, off_cascades, off_anchors, off_deltas, off_trees, off_splits, off_leaf_hashes, off_leaves;
    uint64_t body_hash;    // hash64 of bytes [header_size, off_leaves)
    uint64_t header_hash;  // hash64 of the fields above
};

uint64_t header_hash(const Header &h) { return fsx::hash64(&h, offsetof(Header, header_hash), 2); }

std::string cache_path(const char *model_path, struct stat *st) {
    std::string dir = fsx::cache_dir();
    if (dir.empty() || stat(model_path, st) != 0) return "";
    std::string key = model_path;
    for (char &c : key) if (c == '/') c = '_';
    return dir + "/" + key + "." + std::to_string((long long)st->st_size) + "-" +
           std::to_string((long long)st->st_mtime) + ".spflat";
}

// a * b + c without overflow, or false.
bool span(uint64_t count, uint64_t elem, uint64_t off, uint64_t limit) {
    if (elem && count > limit / elem) return false;
    uint64_t bytes = count * elem;
    return off <= limit && bytes <= limit - off;
}

// The predictor in the cache file, or false (missing, other format or model, wrong size, a
// checksum of the header or the body that does not match, or a structure a fit could not walk
// safely). The values were checked (model_problem) before the file was written; the leaves'
// checksums are compared as fits first read them (Flat::leaf_ok).
bool read_cache(const std::string &path, const struct stat &model, Flat &sp, bool *present) {
    fsx::Mapping m = fsx::Mapping::open(path, false);
    *present = !m.empty() || access(path.c_str(), F_OK) == 0;  // an empty file is there too
    if (m.empty() || m.size() < sizeof(Header)) return false;
    // Before the first touch through the mapping (a page fault reads around it, up to the disk's
    // readahead, 8 MB here, in small folios), the pages not in the page cache are read in, in
    // folios of 2 MB (model_cache.hpp): every later process maps the cache by 2 MB entries. On this
    // cold path (after an eviction or a reboot) the creation waits for the disk rather than the
    // first fit.
    fsx::read_into_page_cache(path, m);
    Header h;
    memcpy(&h, m.data(), sizeof h);
    const uint64_t size = m.size();
    if (memcmp(h.magic, kMagic, 8) != 0 || h.format != kFormat || h.header_size != sizeof(Header) ||
        h.header_hash != header_hash(h) || h.file_size != size || h.model_size != (uint64_t)model.st_size ||
        h.model_mtime != (int64_t)model.st_mtime)
        return false;
    if (h.dim < 2 || h.dim % 2 || h.dim > 100000 || h.cascades > 1000 || h.pixels > size || h.trees > size ||
        h.splits > size || h.leaf_floats > size || h.leaf_floats % h.dim)
        return false;
    const uint64_t offs[] = {h.off_initial, h.off_cascades, h.off_anchors,    h.off_deltas,
                             h.off_trees,   h.off_splits,   h.off_leaf_hashes, h.off_leaves};
    for (uint64_t o : offs) if (o % 64 || o < sizeof(Header)) return false;
    // The leaves end the file; every other section lies in the body before them, which one
    // checksum covers.
    const uint64_t body = h.off_leaves, num_leaves = h.leaf_floats / h.dim;
    if (!span(h.leaf_floats, 4, h.off_leaves, size) || h.off_leaves + 4 * h.leaf_floats != size) return false;
    if (!span(h.dim, 4, h.off_initial, body) || !span(h.cascades, sizeof(Cascade), h.off_cascades, body) ||
        !span(h.pixels, 4, h.off_anchors, body) || !span(h.pixels, 8, h.off_deltas, body) ||
        !span(h.trees, sizeof(Tree), h.off_trees, body) || !span(h.splits, sizeof(Split), h.off_splits, body) ||
        !span(num_leaves, 8, h.off_leaf_hashes, body))
        return false;
#ifdef MADV_POPULATE_READ
    // The body is read whole, now: one system call rather than a fault per 64 KiB.
    madvise(const_cast<uint8_t *>(m.data()), (size_t)body, MADV_POPULATE_READ);
#endif
    if (fsx::hash64(m.data() + sizeof(Header), body - sizeof(Header)) != h.body_hash) return false;

    const uint8_t *base = m.data();
    const long dim = (long)h.dim, parts = dim / 2;
    sp.dim = dim;
    sp.initial.set_size(dim);
    memcpy(&sp.initial(0), base + h.off_initial, 4 * dim);
    sp.cascades.resize(h.cascades);
    memcpy(sp.cascades.data(), base + h.off_cascades, sizeof(Cascade) * h.cascades);
    const uint32_t *anchors = reinterpret_cast<const uint32_t *>(base + h.off_anchors);
    const float *deltas = reinterpret_cast<const float *>(base + h.off_deltas);
    sp.trees = reinterpret_cast<const Tree *>(base + h.off_trees);
    sp.splits = reinterpret_cast<const Split *>(base + h.off_splits);
    sp.leaves = reinterpret_cast<const float *>(base + h.off_leaves);
    sp.num_trees = h.trees, sp.num_splits = h.splits, sp.num_leaf_floats = h.leaf_floats;
    sp.anchors.assign(h.cascades, {});
    sp.deltas.assign(h.cascades, {});
    for (uint64_t c = 0; c < h.cascades; ++c) {
        const Cascade &cc = sp.cascades[c];
        if (cc.first_pixel > h.pixels || cc.num_pixels > h.pixels - cc.first_pixel || cc.first_tree > h.trees ||
            cc.num_trees > h.trees - cc.first_tree)
            return false;
        for (uint64_t j = cc.first_pixel; j < cc.first_pixel + cc.num_pixels; ++j) {
            if (anchors[j] >= (uint64_t)parts) return false;
            sp.anchors[c].push_back(anchors[j]);
            sp.deltas[c].push_back(dlib::vector<float, 2>(deltas[2 * j], deltas[2 * j + 1]));
        }
        for (uint64_t t = cc.first_tree; t < cc.first_tree + cc.num_trees; ++t) {
            const Tree &tree = sp.trees[t];
            if (tree.first_split > h.splits || tree.num_splits > h.splits - tree.first_split || tree.first_leaf % h.dim ||
                !span((uint64_t)tree.num_splits + 1, h.dim, tree.first_leaf, h.leaf_floats))
                return false;
            for (uint64_t s = tree.first_split; s < tree.first_split + tree.num_splits; ++s)
                if (sp.splits[s].idx1 >= cc.num_pixels || sp.splits[s].idx2 >= cc.num_pixels) return false;
        }
    }
    sp.leaf_hashes = reinterpret_cast<const uint64_t *>(base + h.off_leaf_hashes);
    sp.checked.reset(new std::atomic<uint8_t>[num_leaves]());
    sp.mapping = std::move(m);
    return true;
}

template <typename T> void append(std::vector<uint8_t> &file, uint64_t &off, const T *data, size_t count) {
    file.resize((file.size() + 63) / 64 * 64, 0);  // each section 64-byte aligned
    off = file.size();
    const uint8_t *p = reinterpret_cast<const uint8_t *>(data);
    file.insert(file.end(), p, p + sizeof(T) * count);
}

bool write_cache(const std::string &path, const struct stat &model, const Flat &sp) {
    Header h{};
    memcpy(h.magic, kMagic, 8);
    h.format = kFormat;
    h.header_size = sizeof(Header);
    h.model_size = (uint64_t)model.st_size;
    h.model_mtime = (int64_t)model.st_mtime;
    h.dim = (uint64_t)sp.dim;
    h.cascades = sp.cascades.size();
    h.trees = sp.own_trees.size();
    h.splits = sp.own_splits.size();
    h.leaf_floats = sp.own_leaves.size();
    std::vector<uint32_t> anchors;
    std::vector<float> deltas;
    for (size_t c = 0; c < sp.anchors.size(); ++c)
        for (size_t j = 0; j < sp.anchors[c].size(); ++j) {
            anchors.push_back((uint32_t)sp.anchors[c][j]);
            deltas.push_back(sp.deltas[c][j].x());
            deltas.push_back(sp.deltas[c][j].y());
        }
    h.pixels = anchors.size();
    std::vector<uint8_t> file(sizeof h);
    file.reserve(sizeof h + 4 * sp.own_leaves.size() + 8 * (sp.own_leaves.size() / sp.dim) + sizeof(Split) * sp.own_splits.size() +
                 sizeof(Tree) * sp.own_trees.size() + 12 * anchors.size() + 4096);
    append(file, h.off_initial, &sp.initial(0), sp.dim);
    append(file, h.off_cascades, sp.cascades.data(), sp.cascades.size());
    append(file, h.off_anchors, anchors.data(), anchors.size());
    append(file, h.off_deltas, deltas.data(), deltas.size());
    append(file, h.off_trees, sp.own_trees.data(), sp.own_trees.size());
    append(file, h.off_splits, sp.own_splits.data(), sp.own_splits.size());
    const size_t leaf_bytes = sizeof(float) * (size_t)sp.dim;
    std::vector<uint64_t> leaf_hashes(sp.own_leaves.size() / (size_t)sp.dim);
    for (size_t n = 0; n < leaf_hashes.size(); ++n) leaf_hashes[n] = fsx::hash64(&sp.own_leaves[n * (size_t)sp.dim], leaf_bytes, n);
    append(file, h.off_leaf_hashes, leaf_hashes.data(), leaf_hashes.size());
    append(file, h.off_leaves, sp.own_leaves.data(), sp.own_leaves.size());
    h.file_size = file.size();
    h.body_hash = fsx::hash64(file.data() + sizeof h, h.off_leaves - sizeof h);
    h.header_hash = header_hash(h);
    memcpy(file.data(), &h, sizeof h);
    return fsx::write_atomically(path, {{file.data(), file.size()}});
}

// The flat predictor from dlib's parts (read from the model file and checked).
void flatten(Flat &sp, dlib::matrix<float, 0, 1> &initial, Forests &forests, Anchors &anchors, Deltas &deltas) {
    sp.dim = initial.size();
    sp.initial = initial;
    sp.anchors = std::move(anchors);
    sp.deltas = std::move(deltas);
    sp.cascades.clear();
    uint64_t pixel = 0;
    for (size_t c = 0; c < forests.size(); ++c) {
        sp.cascades.push_back({sp.own_trees.size(), forests[c].size(), pixel, sp.anchors[c].size()});
        pixel += sp.anchors[c].size();
        for (auto &tree : forests[c]) {
            sp.own_trees.push_back({sp.own_splits.size(), sp.own_leaves.size(), (uint32_t)tree.splits.size(), 0});
            for (const auto &s : tree.splits) sp.own_splits.push_back({(uint32_t)s.idx1, (uint32_t)s.idx2, s.thresh});
            for (const auto &leaf : tree.leaf_values) sp.own_leaves.insert(sp.own_leaves.end(), &leaf(0), &leaf(0) + sp.dim);
        }
        std::vector<dlib::impl::regression_tree>().swap(forests[c]);  // give the memory back as we go
    }
    sp.trees = sp.own_trees.data();
    sp.splits = sp.own_splits.data();
    sp.leaves = sp.own_leaves.data();
    sp.num_trees = sp.own_trees.size(), sp.num_splits = sp.own_splits.size(), sp.num_leaf_floats = sp.own_leaves.size();
}

// dlib's serialization of a shape predictor (serialize(shape_predictor): version, mean shape,
// forests, anchor indices, deltas), read item by item. dlib's own deserialize sizes each container
// from the count in the file before reading it, so a few bytes could ask for gigabytes; here no
// count may exceed the file's size and containers grow only as their items arrive.
struct PartReader {
    std::istream &in;
    uint64_t file_size;

    uint64_t count(const char *what) {
        unsigned long n = 0;
        dlib::deserialize(n, in);
        if (n > file_size) throw dlib::serialization_error(std::string("a count of ") + what + " larger than the file");
        return n;
    }
    void floats(dlib::matrix<float, 0, 1> &m) {  // dlib writes (-rows, -cols); old files (rows, cols)
        long nr = 0, nc = 0;
        dlib::deserialize(nr, in);
        dlib::deserialize(nc, in);
        if (nr == LONG_MIN || nc == LONG_MIN) throw dlib::serialization_error("a vector of impossible size");
        if (nr < 0 || nc < 0) nr = -nr, nc = -nc;
        if (nc != 1 || nr < 0 || (uint64_t)nr > file_size) throw dlib::serialization_error("a vector of impossible size");
        std::vector<float> v;
        for (long i = 0; i < nr; ++i) {
            float x;
            dlib::deserialize(x, in);
            v.push_back(x);
        }
        m.set_size(nr);
        for (long i = 0; i < nr; ++i) m(i) = v[i];
    }
    template <typename T, typename F> void list(std::vector<T> &v, const char *what, F item) {
        uint64_t n = count(what);
        v.clear();
        for (uint64_t i = 0; i < n; ++i) {
            v.emplace_back();
            item(v.back());
        }
    }
    void read(int &version, dlib::matrix<float, 0, 1> &initial, Forests &forests, Anchors &anchors, Deltas &deltas) {
        dlib::deserialize(version, in);
        if (version != 1) return;
        floats(initial);
        list(forests, "cascades", [&](std::vector<dlib::impl::regression_tree> &forest) {
            list(forest, "trees", [&](dlib::impl::regression_tree &tree) {
                list(tree.splits, "splits", [&](dlib::impl::split_feature &s) {
                    dlib::deserialize(s.idx1, in);
                    dlib::deserialize(s.idx2, in);
                    dlib::deserialize(s.thresh, in);
                });
                list(tree.leaf_values, "leaves", [&](dlib::matrix<float, 0, 1> &leaf) { floats(leaf); });
            });
        });
        list(anchors, "cascades", [&](std::vector<unsigned long> &a) {
            list(a, "anchors", [&](unsigned long &x) { dlib::deserialize(x, in); });
        });
        list(deltas, "cascades", [&](std::vector<dlib::vector<float, 2>> &d) {
            list(d, "deltas", [&](dlib::vector<float, 2> &x) { dlib::deserialize(x, in); });
        });
    }
};

// dlib's shape_predictor trusts its model: a split index past the cascade's feature pixels, a leaf
// whose length is not the mean shape's, a tree with too few leaves, or numbers so large (or NaN)
// that points leave the range of a long are read and used as they are, out of bounds or with
// undefined conversions. This holds every model to what predicting with it needs; the 68- and
// 5-point models have coordinates within about 1.1 of the face box, leaves summing to under 50.
std::string model_problem(const dlib::matrix<float, 0, 1> &initial, const Forests &forests, const Pixels &pixels) {
    const long n = initial.size();
    if (n < 2 || n % 2) return "its mean shape has " + std::to_string(n) + " coordinates";
    if (pixels.size() != forests.size()) return "its cascades and feature pixels do not match";
    double reach = 0, cx = 0, cy = 0, spread = 0;
    for (long i = 0; i < n; ++i) {
        if (!std::isfinite(initial(i)) || std::fabs(initial(i)) > 100) return "its mean shape is out of range";
        reach = std::max(reach, (double)std::fabs(initial(i)));
    }
    for (long i = 0; i < n; i += 2) cx += initial(i), cy += initial(i + 1);
    cx /= n / 2, cy /= n / 2;
    for (long i = 0; i < n; i += 2) spread += (initial(i) - cx) * (initial(i) - cx) + (initial(i + 1) - cy) * (initial(i + 1) - cy);
    if (!(spread / (n / 2) >= 1e-6)) return "its mean shape has no extent";
    for (size_t c = 0; c < forests.size(); ++c) {
        for (const auto &p : pixels[c])
            if (!std::isfinite(p.x()) || !std::isfinite(p.y()) || std::fabs(p.x()) > 100 || std::fabs(p.y()) > 100)
                return "a feature pixel is out of range";
        for (const auto &tree : forests[c]) {
            if (tree.leaf_values.size() != tree.splits.size() + 1) return "a tree has the wrong number of leaves";
            for (const auto &s : tree.splits)
                if (s.idx1 >= pixels[c].size() || s.idx2 >= pixels[c].size()) return "a split uses a feature pixel that does not exist";
            double largest = 0;
            for (const auto &leaf : tree.leaf_values) {
                if (leaf.size() != n) return "a leaf does not match the mean shape";
                for (long i = 0; i < n; ++i) {
                    if (!std::isfinite(leaf(i))) return "a leaf is not a number";
                    largest = std::max(largest, (double)std::fabs(leaf(i)));
                }
            }
            reach += largest;
            if (reach > 1e4) return "its trees move points out of range";
        }
    }
    return "";
}

// The predictor parsed from dlib's model file (and its cache written when `cache` is not ""), or
// false with the error set.
bool load_model(const char *model_path, const std::string &cache, bool present, Flat &sp) {
    struct stat st;
    // dlib's format, read as parts and checked (model_problem) before anything uses it.
    std::ifstream in(model_path, std::ios::binary);
    if (!in || stat(model_path, &st) != 0) {
        fsx::fail(FS_ERR_MODEL, std::string("cannot open '") + model_path + "'");
        return false;
    }
    int version = 0;
    dlib::matrix<float, 0, 1> initial;
    Forests forests;
    Anchors anchors;
    Deltas deltas;
    PartReader{in, (uint64_t)st.st_size}.read(version, initial, forests, anchors, deltas);
    if (version != 1) {
        fsx::fail(FS_ERR_MODEL, std::string("'") + model_path + "' is not a dlib shape predictor (version " +
                                  std::to_string(version) + ")");
        return false;
    }
    bool damaged = anchors.size() != forests.size() || deltas.size() != forests.size() || initial.size() < 2;
    for (size_t c = 0; c < anchors.size() && !damaged; ++c) {
        damaged = deltas[c].size() != anchors[c].size();
        for (unsigned long a : anchors[c]) damaged = damaged || a >= (unsigned long)initial.size() / 2;
    }
    if (damaged) {
        fsx::fail(FS_ERR_MODEL, std::string("'") + model_path + "' is a damaged shape predictor");
        return false;
    }
    // Feature pixels in the mean shape's frame: anchor point + delta (what model_problem checks).
    Pixels pixels(anchors.size());
    for (size_t c = 0; c < anchors.size(); ++c)
        for (size_t j = 0; j < anchors[c].size(); ++j)
            pixels[c].push_back(dlib::impl::location(initial, anchors[c][j]) + deltas[c][j]);
    std::string problem = model_problem(initial, forests, pixels);
    if (!problem.empty()) {
        fsx::fail(FS_ERR_MODEL, std::string("'") + model_path + "' is a damaged shape predictor: " + problem);
        return false;
    }
    flatten(sp, initial, forests, anchors, deltas);
    if (!cache.empty() && write_cache(cache, st, sp)) sp.cache_state = present ? fsx::kCacheRebuilt : fsx::kCacheWritten;
    return true;
}

// The predictor to fit with, or null with the error set (a rebuild failed).
std::shared_ptr<Flat> usable(Predictor &p) {
    std::lock_guard<std::mutex> lock(p.mu);
    if (!p.model) fsx::fail(FS_ERR_MODEL, p.failure);
    return p.model;
}

// `seen`, the handle's predictor, failed a checksum: replaces it by the predictor rebuilt from the
// model file (its cache rewritten), or records why that failed. Returns the predictor to use now
// (null: the rebuild failed, error set). A fit still reading `seen` keeps it mapped until it ends.
std::shared_ptr<Flat> rebuild(Predictor &p, const std::shared_ptr<Flat> &seen) {
    std::lock_guard<std::mutex> one(p.rebuilding);
    {
        std::lock_guard<std::mutex> lock(p.mu);
        if (p.model != seen) {  // another thread rebuilt it (or failed to) meanwhile
            if (!p.model) fsx::fail(FS_ERR_MODEL, p.failure);
            return p.model;
        }
    }
    auto rebuilt = std::make_shared<Flat>();
    std::string failure;
    try {
        struct stat st;
        if (!load_model(p.model_path.c_str(), cache_path(p.model_path.c_str(), &st), true, *rebuilt))
            failure = fsx_error();
        else if (rebuilt->dim != p.dim)
            failure = "landmark model: '" + p.model_path + "' changed while in use";
    } catch (const std::exception &e) {
        failure = std::string("landmark model: ") + e.what();
    } catch (...) {
        failure = "landmark model: unknown C++ exception";
    }
    std::lock_guard<std::mutex> lock(p.mu);
    if (failure.empty()) {
        p.model = std::move(rebuilt);
    } else {
        p.model = nullptr;  // nothing unverified stays reachable
        p.failure = failure;
        fsx::fail(FS_ERR_MODEL, failure);
    }
    return p.model;
}
}  // namespace

extern "C" void *fsx_sp_load(const char *model_path) {
    FSX_GUARD_PTR("landmark model", FS_ERR_MODEL, {
        struct stat st;
        const std::string cache = cache_path(model_path, &st);
        auto p = std::make_unique<Predictor>();
        p->model_path = model_path;
        auto model = std::make_shared<Flat>();
        bool present = false;
        if (!cache.empty() && read_cache(cache, st, *model, &present)) {
            model->cache_state = fsx::kCacheHit;
        } else {
            model = std::make_shared<Flat>();
            if (!load_model(model_path, cache, present, *model)) return nullptr;
        }
        p->dim = model->dim;
        p->model = std::move(model);
        return p.release();
    })
}

extern "C" int fsx_sp_num_parts(const void *sp) { return (int)(static_cast<const Predictor *>(sp)->dim / 2); }

// What creation did with the cache; for a cache hit, every leaf no fit has checked yet is checked
// now (a damaged one: rebuilt, and the answer is kCacheRebuilt).
extern "C" int fsx_sp_cache_state(const void *handle) {
    Predictor &p = *static_cast<Predictor *>(const_cast<void *>(handle));
    std::shared_ptr<Flat> sp = usable(p);
    if (sp && sp->leaf_hashes && !sp->all_checked.load()) {
        bool ok = true;
        const uint64_t leaves = sp->num_leaf_floats / (uint64_t)sp->dim;
        for (uint64_t n = 0; n < leaves && ok; ++n) ok = sp->leaf_ok(n, sp->leaves + n * (uint64_t)sp->dim);
        if (ok) sp->all_checked.store(true);
        else sp = rebuild(p, sp);
    }
    return sp ? sp->cache_state : fsx::kCacheOff;
}

namespace {

dlib::rectangle dlib_rect(const fsx_box *rect) {
    return dlib::rectangle((long)std::lround(rect->x), (long)std::lround(rect->y), (long)std::lround(rect->x + rect->w) - 1,
                           (long)std::lround(rect->y + rect->h) - 1);
}

// dlib::impl::extract_feature_pixel_values (dlib/image_processing/shape_predictor.h), its
// statements as they are, in two passes: every feature pixel's position first, each fetched
// (prefetch) as it is found, then the values read. dlib's one loop waits for each pixel in turn:
// a video frame's face is rarely in the cache (another thread decoded it), and 88% of that loop's
// time was the pixel load (perf annotate, 720p job); here the loads overlap. Same positions, same
// values.
template <typename Image>
void feature_pixel_values(const Image &img_, const dlib::rectangle &rect, const dlib::matrix<float, 0, 1> &current_shape,
                          const dlib::matrix<float, 0, 1> &reference_shape, const std::vector<unsigned long> &anchor_idx,
                          const std::vector<dlib::vector<float, 2>> &deltas, std::vector<dlib::point> &points,
                          std::vector<float> &values) {
    const dlib::matrix<float, 2, 2> tform =
        dlib::matrix_cast<float>(dlib::impl::find_tform_between_shapes(reference_shape, current_shape).get_m());
    const dlib::point_transform_affine tform_to_img = dlib::impl::unnormalizing_tform(rect);
    const dlib::rectangle area = dlib::get_rect(img_);
    const dlib::const_image_view<Image> img(img_);
    points.resize(deltas.size());
    values.resize(deltas.size());
    for (size_t i = 0; i < deltas.size(); ++i) {
        const dlib::point p = tform_to_img(tform * deltas[i] + dlib::impl::location(current_shape, anchor_idx[i]));
        points[i] = p;
        if (area.contains(p)) __builtin_prefetch(&img[p.y()][p.x()], 0, 3);
    }
    for (size_t i = 0; i < deltas.size(); ++i) {
        const dlib::point p = points[i];
        values[i] = area.contains(p) ? dlib::get_pixel_intensity(img[p.y()][p.x()]) : 0;
    }
}

// dlib::shape_predictor::operator() over the flat trees (see the note at the top). False, with xy
// not all written, when a leaf it reads fails its checksum.
template <typename Pixel> bool fit(const Flat &sp, const cv::Mat &m, const dlib::rectangle &rect, float *xy) {
    dlib::cv_image<Pixel> img(m);
    dlib::matrix<float, 0, 1> current_shape = sp.initial;
    std::vector<dlib::point> points;  // the feature pixels' positions, values: their intensities
    std::vector<float> values;
    std::vector<uint64_t> picked;  // the leaf each tree of the cascade chose
    const long dim = sp.dim;
    const size_t leaf_bytes = sizeof(float) * (size_t)dim;
    for (size_t c = 0; c < sp.cascades.size(); ++c) {
        feature_pixel_values(img, rect, current_shape, sp.initial, sp.anchors[c], sp.deltas[c], points, values);
        const float *f = values.data();
        float *shape = &current_shape(0);
        const Cascade &cc = sp.cascades[c];
        // Within a cascade the trees' tests read only the feature pixels, not the shape: every
        // tree's leaf is found first, and fetched (prefetch) while the others are found, then the
        // leaves are added in dlib's order. In a new process each leaf is a read from memory (a
        // cascade's 500 leaves of the 68-point model are 272 KB): overlapped, not one after another.
        picked.clear();
        for (uint64_t t = cc.first_tree; t < cc.first_tree + cc.num_trees; ++t) {
            const Tree &tree = sp.trees[t];
            const Split *s = sp.splits + tree.first_split;
            unsigned long i = 0;
            while (i < tree.num_splits) {
                if ((float)f[s[i].idx1] - (float)f[s[i].idx2] > s[i].thresh)
                    i = dlib::impl::left_child(i);
                else
                    i = dlib::impl::right_child(i);
            }
            const uint64_t n = tree.first_leaf / (uint64_t)dim + (i - tree.num_splits);
            const char *bytes = reinterpret_cast<const char *>(sp.leaves + n * (uint64_t)dim);
            for (size_t b = 0; b < leaf_bytes; b += 64) __builtin_prefetch(bytes + b, 0, 2);
            picked.push_back(n);
        }
        for (uint64_t n : picked) {
            const float *leaf = sp.leaves + n * (uint64_t)dim;
            if (!sp.leaf_ok(n, leaf)) return false;
            for (long k = 0; k < dim; ++k) shape[k] += leaf[k];
        }
    }
    const dlib::point_transform_affine tform_to_img = dlib::impl::unnormalizing_tform(rect);
    for (long i = 0; i < dim / 2; ++i) {
        const dlib::point p = tform_to_img(dlib::impl::location(current_shape, i));
        xy[2 * i] = (float)p.x();
        xy[2 * i + 1] = (float)p.y();
    }
    return true;
}

template <typename Pixel> void fit_dlib(const dlib::shape_predictor &sp, const cv::Mat &m, const dlib::rectangle &rect, float *xy) {
    dlib::full_object_detection shape = sp(dlib::cv_image<Pixel>(m), rect);
    for (unsigned long i = 0; i < shape.num_parts(); ++i) {
        xy[2 * i] = (float)shape.part(i).x();
        xy[2 * i + 1] = (float)shape.part(i).y();
    }
}

}  // namespace

extern "C" int fsx_sp_fit(const void *handle, fsx_view img, const fsx_box *rect, float *xy) {
    FSX_GUARD("landmarks", {
        Predictor &p = *static_cast<Predictor *>(const_cast<void *>(handle));
        cv::Mat m = fsx::mat(img);
        const dlib::rectangle r = dlib_rect(rect);
        // A damaged leaf: the predictor is rebuilt from the model file and the fit runs again on it
        // (whose leaves are not mapped, so this runs at most twice).
        for (std::shared_ptr<Flat> sp = usable(p); sp; sp = rebuild(p, sp)) {
            bool ok;
            switch (fsx::channels_of(img.format)) {
            case 1: ok = fit<unsigned char>(*sp, m, r, xy); break;
            case 3: ok = fit<dlib::bgr_pixel>(*sp, m, r, xy); break;  // intensity = (r+g+b)/3: order-free
            default: ok = fit<dlib::bgr_alpha_pixel>(*sp, m, r, xy); break;
            }
            if (ok) return 0;
        }
        return FS_ERR_MODEL;
    })
}

extern "C" int fsx_sp_fit_dlib(const char *model_path, fsx_view img, const fsx_box *rect, float *xy) {
    FSX_GUARD("landmarks (dlib's own)", {
        static std::mutex mu;
        static std::map<std::string, std::unique_ptr<dlib::shape_predictor>> loaded;
        const dlib::shape_predictor *sp;
        {
            std::lock_guard<std::mutex> lock(mu);
            auto &slot = loaded[model_path];
            if (!slot) {
                auto p = std::make_unique<dlib::shape_predictor>();
                dlib::deserialize(model_path) >> *p;
                slot = std::move(p);
            }
            sp = slot.get();
        }
        cv::Mat m = fsx::mat(img);
        const dlib::rectangle r = dlib_rect(rect);
        switch (fsx::channels_of(img.format)) {
        case 1: fit_dlib<unsigned char>(*sp, m, r, xy); break;
        case 3: fit_dlib<dlib::bgr_pixel>(*sp, m, r, xy); break;
        default: fit_dlib<dlib::bgr_alpha_pixel>(*sp, m, r, xy); break;
        }
        return 0;
    })
}

extern "C" int fsx_sp_mean_shape(const char *model_path, float *xy, int capacity, int *parts) {
    FSX_GUARD("landmark model", {
        std::ifstream in(model_path, std::ios::binary);
        if (!in) return fsx::fail(FS_ERR_MODEL, std::string("cannot open '") + model_path + "'");
        int version = 0;
        dlib::matrix<float, 0, 1> initial;
        dlib::deserialize(version, in);
        dlib::deserialize(initial, in);
        *parts = (int)(initial.size() / 2);
        for (long i = 0; i < initial.size() && i < 2 * capacity; ++i) xy[i] = initial(i);
        return 0;
    })
}

extern "C" void fsx_sp_free(void *sp) { delete static_cast<Predictor *>(sp); }

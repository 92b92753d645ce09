// dlib's shape predictor (68- or 5-point ensemble of regression trees).
#include "cv_common.hpp"
#include <cstring>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using SP = dlib::shape_predictor;
using Forests = std::vector<std::vector<dlib::impl::regression_tree>>;
using Anchors = std::vector<std::vector<unsigned long>>;
using Deltas = std::vector<std::vector<dlib::vector<float, 2>>>;
using Pixels = std::vector<std::vector<dlib::vector<float, 2>>>;

// A raw-binary cache of a shape predictor. dlib's own format stores every float as a portable
// variable-length mantissa/exponent pair; the 68-point model has 16 million of them and takes
// ~0.5 s to parse. The cache holds the same numbers as native floats (~65 MB, read in tens of
// milliseconds), keyed by the model file's path, size and modification time, in
// $XDG_CACHE_HOME/faceswap (default ~/.cache/faceswap). FACESWAP_NO_MODEL_CACHE=1 disables it.
namespace {
const char kMagic[8] = {'F', 'S', 'S', 'P', 'C', 'A', 'C', '1'};

std::string cache_path(const char *model_path) {
    if (const char *off = getenv("FACESWAP_NO_MODEL_CACHE"); off && *off && *off != '0') return "";
    struct stat st;
    if (stat(model_path, &st) != 0) return "";
    std::string dir;
    if (const char *x = getenv("XDG_CACHE_HOME"); x && *x) dir = std::string(x) + "/faceswap";
    else if (const char *h = getenv("HOME"); h && *h) dir = std::string(h) + "/.cache/faceswap";
    else return "";
    std::string key = model_path;
    for (char &c : key) if (c == '/') c = '_';
    return dir + "/" + key + "." + std::to_string((long long)st.st_size) + "-" +
           std::to_string((long long)st.st_mtime) + ".spcache";
}

template <typename T> bool put(FILE *f, const T &v) { return fwrite(&v, sizeof v, 1, f) == 1; }
template <typename T> bool get(FILE *f, T &v) { return fread(&v, sizeof v, 1, f) == 1; }

bool read_cache(const std::string &path, dlib::matrix<float, 0, 1> &initial, Forests &forests, Pixels &pixels) {
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) return false;
    std::unique_ptr<FILE, int (*)(FILE *)> closer(f, fclose);
    char magic[8];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, kMagic, 8) != 0) return false;
    uint64_t n = 0;
    if (!get(f, n) || n > 100000) return false;
    initial.set_size(n);
    if (n && fread(&initial(0), sizeof(float), n, f) != n) return false;
    uint64_t cascades = 0;
    if (!get(f, cascades) || cascades > 1000) return false;
    forests.assign(cascades, {});
    pixels.assign(cascades, {});
    for (auto &forest : forests) {
        uint64_t trees = 0;
        if (!get(f, trees) || trees > 100000) return false;
        forest.resize(trees);
        for (auto &tree : forest) {
            uint64_t splits = 0, leaves = 0, dim = 0;
            if (!get(f, splits) || splits > 1000000) return false;
            tree.splits.resize(splits);
            for (auto &sp : tree.splits) {
                uint64_t a, b;
                if (!get(f, a) || !get(f, b) || !get(f, sp.thresh)) return false;
                sp.idx1 = a;
                sp.idx2 = b;
            }
            if (!get(f, leaves) || !get(f, dim) || leaves > 1000000 || dim > 100000) return false;
            tree.leaf_values.resize(leaves);
            for (auto &leaf : tree.leaf_values) {
                leaf.set_size(dim);
                if (dim && fread(&leaf(0), sizeof(float), dim, f) != dim) return false;
            }
        }
    }
    for (auto &p : pixels) {
        uint64_t count = 0;
        if (!get(f, count) || count > 100000) return false;
        p.resize(count);
        for (auto &v : p) if (!get(f, v.x()) || !get(f, v.y())) return false;
    }
    return true;
}

void write_cache(const std::string &path, const dlib::matrix<float, 0, 1> &initial, const Forests &forests,
                 const Pixels &pixels) {
    std::string dir = path.substr(0, path.rfind('/'));
    std::string parent = dir.substr(0, dir.rfind('/'));
    mkdir(parent.c_str(), 0755);
    mkdir(dir.c_str(), 0755);
    std::string tmp = path + ".tmp-" + std::to_string(getpid());
    FILE *f = fopen(tmp.c_str(), "wb");
    if (!f) return;
    bool ok = fwrite(kMagic, 1, 8, f) == 8 && put(f, (uint64_t)initial.size());
    if (ok && initial.size()) ok = fwrite(&initial(0), sizeof(float), initial.size(), f) == (size_t)initial.size();
    ok = ok && put(f, (uint64_t)forests.size());
    for (const auto &forest : forests) {
        ok = ok && put(f, (uint64_t)forest.size());
        for (const auto &tree : forest) {
            ok = ok && put(f, (uint64_t)tree.splits.size());
            for (const auto &sp : tree.splits)
                ok = ok && put(f, (uint64_t)sp.idx1) && put(f, (uint64_t)sp.idx2) && put(f, sp.thresh);
            uint64_t dim = tree.leaf_values.empty() ? 0 : tree.leaf_values[0].size();
            ok = ok && put(f, (uint64_t)tree.leaf_values.size()) && put(f, dim);
            for (const auto &leaf : tree.leaf_values)
                ok = ok && (uint64_t)leaf.size() == dim && (dim == 0 || fwrite(&leaf(0), sizeof(float), dim, f) == dim);
        }
    }
    for (size_t c = 0; c < pixels.size() && ok; ++c) {
        ok = put(f, (uint64_t)pixels[c].size());
        for (size_t j = 0; j < pixels[c].size() && ok; ++j) ok = put(f, pixels[c][j].x()) && put(f, pixels[c][j].y());
    }
    ok = (fclose(f) == 0) && ok;
    if (ok) ok = rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) unlink(tmp.c_str());
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

}  // namespace

extern "C" void *fsx_sp_load(const char *model_path) {
    FSX_GUARD_PTR("landmark model", FS_ERR_MODEL, {
        // Both the cache and dlib's format are read as parts and checked (model_problem), then the
        // predictor is built from the feature pixels, as the cache stores them, so that every run
        // agrees exactly whether or not the cache was there.
        std::string cache = cache_path(model_path);
        dlib::matrix<float, 0, 1> initial;
        Forests forests;
        Pixels pixels;
        if (cache.empty() || !read_cache(cache, initial, forests, pixels) || !model_problem(initial, forests, pixels).empty()) {
            std::ifstream in(model_path, std::ios::binary);
            struct stat st;
            if (!in || stat(model_path, &st) != 0) {
                fsx::fail(FS_ERR_MODEL, std::string("cannot open '") + model_path + "'");
                return nullptr;
            }
            int version = 0;
            Anchors anchors;
            Deltas deltas;
            PartReader{in, (uint64_t)st.st_size}.read(version, initial, forests, anchors, deltas);
            if (version != 1) {
                fsx::fail(FS_ERR_MODEL, std::string("'") + model_path + "' is not a dlib shape predictor (version " +
                                          std::to_string(version) + ")");
                return nullptr;
            }
            bool damaged = anchors.size() != forests.size() || deltas.size() != forests.size() || initial.size() < 2;
            for (size_t c = 0; c < anchors.size() && !damaged; ++c) {
                damaged = deltas[c].size() != anchors[c].size();
                for (unsigned long a : anchors[c]) damaged = damaged || a >= (unsigned long)initial.size() / 2;
            }
            if (damaged) {
                fsx::fail(FS_ERR_MODEL, std::string("'") + model_path + "' is a damaged shape predictor");
                return nullptr;
            }
            // Feature pixels in the mean shape's frame: anchor point + delta (what the constructor takes).
            pixels.assign(anchors.size(), {});
            for (size_t c = 0; c < anchors.size(); ++c)
                for (size_t j = 0; j < anchors[c].size(); ++j)
                    pixels[c].push_back(dlib::impl::location(initial, anchors[c][j]) + deltas[c][j]);
            std::string problem = model_problem(initial, forests, pixels);
            if (!problem.empty()) {
                fsx::fail(FS_ERR_MODEL, std::string("'") + model_path + "' is a damaged shape predictor: " + problem);
                return nullptr;
            }
            if (!cache.empty()) write_cache(cache, initial, forests, pixels);
        }
        return new SP(initial, forests, pixels);
    })
}

extern "C" int fsx_sp_num_parts(const void *sp) {
    return (int)static_cast<const SP *>(sp)->num_parts();
}

template <typename Pixel>
static dlib::full_object_detection fit(const SP &sp, const cv::Mat &m, const dlib::rectangle &r) {
    return sp(dlib::cv_image<Pixel>(m), r);
}

extern "C" int fsx_sp_fit(const void *handle, fsx_view img, const fsx_box *rect, float *xy) {
    FSX_GUARD("landmarks", {
        const SP &sp = *static_cast<const SP *>(handle);
        cv::Mat m = fsx::mat(img);
        dlib::rectangle r((long)std::lround(rect->x), (long)std::lround(rect->y),
                          (long)std::lround(rect->x + rect->w) - 1,
                          (long)std::lround(rect->y + rect->h) - 1);
        dlib::full_object_detection shape;
        switch (fsx::channels_of(img.format)) {
        case 1: shape = fit<unsigned char>(sp, m, r); break;
        case 3: shape = fit<dlib::bgr_pixel>(sp, m, r); break;  // intensity = (r+g+b)/3: order-free
        default: shape = fit<dlib::bgr_alpha_pixel>(sp, m, r); break;
        }
        for (unsigned long i = 0; i < shape.num_parts(); ++i) {
            xy[2 * i] = (float)shape.part(i).x();
            xy[2 * i + 1] = (float)shape.part(i).y();
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

extern "C" void fsx_sp_free(void *sp) { delete static_cast<SP *>(sp); }

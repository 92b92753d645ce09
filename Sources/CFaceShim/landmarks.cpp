// dlib's shape predictor (68- or 5-point ensemble of regression trees).
#include "cv_common.hpp"
#include <cstring>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using SP = dlib::shape_predictor;
using Forests = std::vector<std::vector<dlib::impl::regression_tree>>;
using Anchors = std::vector<std::vector<unsigned long>>;
using Deltas = std::vector<std::vector<dlib::vector<float, 2>>>;

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

bool read_cache(const std::string &path, std::unique_ptr<SP> &out) {
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) return false;
    std::unique_ptr<FILE, int (*)(FILE *)> closer(f, fclose);
    char magic[8];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, kMagic, 8) != 0) return false;
    uint64_t n = 0;
    if (!get(f, n) || n > 100000) return false;
    dlib::matrix<float, 0, 1> initial(n);
    if (n && fread(&initial(0), sizeof(float), n, f) != n) return false;
    uint64_t cascades = 0;
    if (!get(f, cascades) || cascades > 1000) return false;
    Forests forests(cascades);
    std::vector<std::vector<dlib::vector<float, 2>>> pixels(cascades);
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
    out = std::make_unique<SP>(initial, forests, pixels);
    return true;
}

void write_cache(const std::string &path, const dlib::matrix<float, 0, 1> &initial, const Forests &forests,
                 const Anchors &anchors, const Deltas &deltas) {
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
    // Feature pixels in the mean shape's frame: anchor point + delta (what the constructor takes).
    for (size_t c = 0; c < anchors.size() && ok; ++c) {
        ok = put(f, (uint64_t)anchors[c].size());
        for (size_t j = 0; j < anchors[c].size() && ok; ++j) {
            dlib::vector<float, 2> p = dlib::impl::location(initial, anchors[c][j]) + deltas[c][j];
            ok = put(f, p.x()) && put(f, p.y());
        }
    }
    ok = (fclose(f) == 0) && ok;
    if (ok) ok = rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) unlink(tmp.c_str());
}
}  // namespace

extern "C" void *fsx_sp_load(const char *model_path) {
    FSX_GUARD_PTR("landmark model", fsx::MODEL, {
        std::string cache = cache_path(model_path);
        std::unique_ptr<SP> sp;
        if (cache.empty()) {  // no cache: dlib's own loader
            sp = std::make_unique<SP>();
            dlib::deserialize(model_path) >> *sp;
            if (sp->num_parts() == 0) {
                fsx::fail(fsx::MODEL, std::string("'") + model_path + "' has no landmark points");
                return nullptr;
            }
            return sp.release();
        }
        if (read_cache(cache, sp) && sp->num_parts() > 0) return sp.release();
        // dlib's format, read part by part (the order of dlib's serialize(shape_predictor)).
        std::ifstream in(model_path, std::ios::binary);
        if (!in) {
            fsx::fail(fsx::MODEL, std::string("cannot open '") + model_path + "'");
            return nullptr;
        }
        int version = 0;
        dlib::matrix<float, 0, 1> initial;
        Forests forests;
        Anchors anchors;
        Deltas deltas;
        dlib::deserialize(version, in);
        if (version != 1) {
            fsx::fail(fsx::MODEL, std::string("'") + model_path + "' is not a dlib shape predictor (version " +
                                      std::to_string(version) + ")");
            return nullptr;
        }
        dlib::deserialize(initial, in);
        dlib::deserialize(forests, in);
        dlib::deserialize(anchors, in);
        dlib::deserialize(deltas, in);
        if (anchors.size() != forests.size() || deltas.size() != forests.size()) {
            fsx::fail(fsx::MODEL, std::string("'") + model_path + "' is a damaged shape predictor");
            return nullptr;
        }
        write_cache(cache, initial, forests, anchors, deltas);
        // Built the way the cache builds it, so the first run and later ones agree exactly.
        std::vector<std::vector<dlib::vector<float, 2>>> pixels(anchors.size());
        for (size_t c = 0; c < anchors.size(); ++c)
            for (size_t j = 0; j < anchors[c].size(); ++j)
                pixels[c].push_back(dlib::impl::location(initial, anchors[c][j]) + deltas[c][j]);
        sp = std::make_unique<SP>(initial, forests, pixels);
        if (sp->num_parts() == 0) {
            fsx::fail(fsx::MODEL, std::string("'") + model_path + "' has no landmark points");
            return nullptr;
        }
        return sp.release();
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
        if (!in) return fsx::fail(fsx::MODEL, std::string("cannot open '") + model_path + "'");
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

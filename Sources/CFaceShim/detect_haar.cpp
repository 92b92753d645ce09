// OpenCV's Haar cascade detector (opencv-data's haarcascade_frontalface_default.xml).
//
// objdetect is opened on the first Haar detector, not linked (cv_common.hpp: open_cv_module): it
// pulls in dnn, protobuf, calib3d, features2d and flann, a few milliseconds of dynamic loading at
// every process start, for a detector most callers never make. The five members of
// cv::CascadeClassifier used here are resolved by their (Itanium C++ ABI) mangled names and called
// with the object as their first argument.
#include "cv_common.hpp"
#include "pool.hpp"
#include <dlfcn.h>
#include <opencv2/objdetect.hpp>  // the class's layout and signatures only: no function of it is called directly

namespace {

using Classifier = cv::CascadeClassifier;
struct Objdetect {
    void (*construct)(Classifier *) = nullptr;
    void (*destroy)(Classifier *) = nullptr;
    bool (*load)(Classifier *, const cv::String &) = nullptr;
    bool (*empty)(const Classifier *) = nullptr;
    void (*detect)(Classifier *, const cv::_InputArray &, std::vector<cv::Rect> &, std::vector<int> &, double, int, int,
                   cv::Size, cv::Size) = nullptr;
    std::string error;  // why it could not be loaded (empty when loaded)
};

// Loaded once, by whichever thread comes first (a function-local static's initialisation is
// thread-safe); a failure is remembered too.
const Objdetect &objdetect() {
    static const Objdetect o = [] {
        Objdetect o;
        std::string why;
        void *lib = fsx::open_cv_module("objdetect", why);
        const std::string name = fsx::cv_module_soname("objdetect");
        if (!lib) {
            o.error = "the Haar detector needs OpenCV's objdetect library (" + name + "), which could not be loaded (" +
                      why + "); install it (Debian/Ubuntu: apt-get install libopencv-objdetect" +
                      std::to_string(CV_VERSION_MAJOR * 100 + CV_VERSION_MINOR) + ")";
            return o;
        }
        auto sym = [lib](auto &fn, const char *mangled) { fn = reinterpret_cast<std::decay_t<decltype(fn)>>(dlsym(lib, mangled)); };
        sym(o.construct, "_ZN2cv17CascadeClassifierC1Ev");  // CascadeClassifier()
        sym(o.destroy, "_ZN2cv17CascadeClassifierD1Ev");    // ~CascadeClassifier()
        sym(o.load, "_ZN2cv17CascadeClassifier4loadERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
        sym(o.empty, "_ZNK2cv17CascadeClassifier5emptyEv");
        // detectMultiScale(InputArray, vector<Rect>&, vector<int>& numDetections, double, int, int, Size, Size)
        sym(o.detect, "_ZN2cv17CascadeClassifier16detectMultiScaleERKNS_11_InputArrayERSt6vectorINS_5Rect_IiEESaIS6_EERS4_"
                      "IiSaIiEEdiiNS_5Size_IiEESE_");
        if (!o.construct || !o.destroy || !o.load || !o.empty || !o.detect) {
            o = Objdetect();
            o.error = "OpenCV's objdetect library (" + name + ") lacks cv::CascadeClassifier's members (built with "
                      "another C++ ABI?): the Haar detector cannot be used";
            dlclose(lib);
        }
        return o;
    }();
    return o;
}

// One cv::CascadeClassifier, built and destroyed through objdetect's own members.
class Cascade {
  public:
    explicit Cascade(const Objdetect &o) : o_(o) { o_.construct(get()); }
    ~Cascade() { o_.destroy(get()); }
    Cascade(const Cascade &) = delete;
    Cascade &operator=(const Cascade &) = delete;
    bool load(const std::string &path) { return o_.load(get(), path) && !o_.empty(get()); }
    void detect(const cv::Mat &m, std::vector<cv::Rect> &found, std::vector<int> &neighbours, int min_size) {
        o_.detect(get(), m, found, neighbours, 1.1, 3, 0, cv::Size(min_size, min_size), cv::Size());
    }

  private:
    Classifier *get() { return reinterpret_cast<Classifier *>(storage_); }
    const Objdetect &o_;
    alignas(Classifier) unsigned char storage_[sizeof(Classifier)];
};

struct ReloadFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};
}  // namespace

extern "C" void *fsx_haar_create(const char *cascade_path) {
    FSX_GUARD_PTR("Haar cascade", FS_ERR_MODEL, {
        const Objdetect &o = objdetect();
        if (!o.construct) {
            fsx::fail(FS_ERR_UNSUPPORTED, o.error);
            return nullptr;
        }
        auto c = std::make_unique<Cascade>(o);
        if (!c->load(cascade_path)) {
            fsx::fail(FS_ERR_MODEL, std::string("'") + cascade_path +
                                      "' is not an OpenCV cascade classifier file");
            return nullptr;
        }
        // Not a copy per worker: copies of a CascadeClassifier share one implementation (a cv::Ptr)
        // whose scan keeps per-image state, so concurrent detectMultiScale calls on copies race
        // (wrong or lost faces). Each further worker loads its own from the file.
        std::string path = cascade_path;
        return new fsx::Pool<Cascade>(std::move(c), [path, &o]() -> std::unique_ptr<Cascade> {
            auto w = std::make_unique<Cascade>(o);
            if (!w->load(path))
                throw ReloadFailed("cannot load the Haar cascade '" + path + "' again for a concurrent call");
            return w;
        });
    })
}

extern "C" int fsx_haar_detect(void *det, fsx_view gray, int min_size, fsx_box *boxes,
                               int capacity, int *count) {
    FSX_GUARD("detect (Haar)", {
        cv::Mat m = fsx::mat(gray);
        std::vector<cv::Rect> found;
        std::vector<int> neighbours;
        try {
            static_cast<fsx::Pool<Cascade> *>(det)->with([&](Cascade &c) {
                c.detect(m, found, neighbours, min_size);
                return 0;
            });
        } catch (const ReloadFailed &e) {
            return fsx::fail(FS_ERR_MODEL, std::string("detect (Haar): ") + e.what());
        }
        *count = (int)found.size();
        for (int i = 0; i < (int)found.size() && i < capacity; ++i) {
            const auto &r = found[i];
            double score = i < (int)neighbours.size() ? neighbours[i] : 0;
            boxes[i] = {(double)r.x, (double)r.y, (double)r.width, (double)r.height, score};
        }
        return 0;
    })
}

extern "C" void fsx_haar_free(void *det) { delete static_cast<fsx::Pool<Cascade> *>(det); }

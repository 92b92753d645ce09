// A pool of per-call workers cloned from one prototype, so one handle serves many threads
// (dlib's object_detector and OpenCV's CascadeClassifier keep scratch state while scanning).
// Cloning copies the prototype, which must then be a deep copy (dlib's are); a type whose copies
// share state (cv::CascadeClassifier shares its cascade and its scan buffers through a cv::Ptr)
// gives a `make` function instead, which builds each further worker from scratch.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace fsx {

template <typename T> class Pool {
  public:
    explicit Pool(std::unique_ptr<T> prototype) : prototype_(std::move(prototype)) {}
    // The first worker is `first`; the others come from make() (nullptr or a throw: an error).
    Pool(std::unique_ptr<T> first, std::function<std::unique_ptr<T>()> make) : make_(std::move(make)) {
        free_.push_back(std::move(first));
    }

    template <typename F> auto with(F &&body) {
        std::unique_ptr<T> worker = acquire();
        struct Return {
            Pool *pool;
            std::unique_ptr<T> *w;
            ~Return() { pool->release(std::move(*w)); }
        } guard{this, &worker};
        return body(*worker);
    }

  private:
    std::unique_ptr<T> acquire() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (!free_.empty()) {
                auto w = std::move(free_.back());
                free_.pop_back();
                return w;
            }
        }
        if (make_) {
            std::unique_ptr<T> w = make_();
            if (!w) throw std::runtime_error("cannot make another worker for a concurrent call");
            return w;
        }
        if constexpr (std::is_copy_constructible_v<T>) {
            std::lock_guard<std::mutex> lock(proto_mu_);
            return std::make_unique<T>(*prototype_);
        } else {  // a type that cannot be copied comes with `make` (the second constructor)
            throw std::logic_error("a pool of a type that cannot be copied needs a make function");
        }
    }
    void release(std::unique_ptr<T> w) {
        if (!w) return;
        try {
            std::lock_guard<std::mutex> lock(mu_);
            free_.push_back(std::move(w));
        } catch (...) {
        }
    }
    std::unique_ptr<T> prototype_;
    std::function<std::unique_ptr<T>()> make_;
    std::mutex mu_, proto_mu_;
    std::vector<std::unique_ptr<T>> free_;
};

}  // namespace fsx

// A pool of per-call workers cloned from one prototype, so one handle serves many threads
// (dlib's object_detector and OpenCV's CascadeClassifier keep scratch state while scanning).
#pragma once
#include <memory>
#include <mutex>
#include <vector>

namespace fsx {

template <typename T> class Pool {
  public:
    explicit Pool(std::unique_ptr<T> prototype) : prototype_(std::move(prototype)) {}

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
        std::lock_guard<std::mutex> lock(proto_mu_);
        return std::make_unique<T>(*prototype_);
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
    std::mutex mu_, proto_mu_;
    std::vector<std::unique_ptr<T>> free_;
};

}  // namespace fsx

// Work started on a second thread when a handle is made (or deferred), waited for where its result is first
// needed (the model caches' checks: landmarks.cpp, detect_hog.cpp). Creating a handle then costs
// little, and the work overlaps whatever the caller does next (decoding its first image).
#pragma once
#include <exception>
#include <future>
#include <mutex>
#include <system_error>
#include <utility>

namespace fsx {

template <typename T> class Background {
  public:
    // Runs work() on a new thread (or right here when no thread can be had); with
    // std::launch::deferred, on the first get() instead, in the caller's thread.
    template <typename F> explicit Background(F work, std::launch policy = std::launch::async) {
        try {
            future_ = std::async(policy, work);
        } catch (const std::system_error &) {
            std::promise<T> now;
            try {
                now.set_value(work());
            } catch (...) {
                now.set_exception(std::current_exception());
            }
            future_ = now.get_future();
        }
    }
    Background(const Background &) = delete;
    Background &operator=(const Background &) = delete;
    // Destroyed: waits for the work (a std::async future's destructor joins its thread).

    // The result, waiting for the work the first time; an exception the work threw is thrown to
    // every caller. Thread-safe.
    T &get() {
        std::call_once(once_, [this] {
            try {
                value_ = future_.get();
            } catch (...) {
                error_ = std::current_exception();
            }
        });
        if (error_) std::rethrow_exception(error_);
        return value_;
    }

  private:
    std::future<T> future_;
    std::once_flag once_;
    T value_{};
    std::exception_ptr error_;
};

}  // namespace fsx

// Compile check: grove.h must build warning-free as C++17 with -Wall -Wextra -Werror -pedantic.
#include "grove.h"

#include <cstdio>
#include <memory>

namespace {
struct StoreDeleter {
    void operator()(grove_store *s) const { grove_store_free(s); }
};

// The scoped lock pattern in C++: release on every path once acquired, then free the handle.
class ScopedLock {
  public:
    explicit ScopedLock(grove_lock *lock) : lock_(lock) {
        acquired_ = grove_lock_acquire(lock_, 1.0, 0.01, &acquired_, nullptr) == GROVE_OK && acquired_;
    }
    ~ScopedLock() {
        bool released = false;
        if (acquired_) {
            grove_lock_release(lock_, &released, nullptr);
        }
        grove_lock_free(lock_);
    }
    ScopedLock(const ScopedLock &) = delete;
    ScopedLock &operator=(const ScopedLock &) = delete;
    bool acquired() const { return acquired_; }
    uint64_t fence() const {
        uint64_t f = 0;
        grove_lock_fencing_token(lock_, &f, nullptr);
        return f;
    }

  private:
    grove_lock *lock_;
    bool acquired_ = false;
};
}  // namespace

int main() {
    grove_store *raw = nullptr;
    grove_error *err = nullptr;
    grove_status st = grove_store_open_memory(nullptr, &raw, &err);
    std::unique_ptr<grove_store, StoreDeleter> db(raw);
    if (st != GROVE_OK) {
        std::printf("open failed: %s\n", grove_error_message(err));
        grove_error_free(err);
        return 1;
    }
    grove_counter *c = nullptr;
    int64_t v = 0;
    const char name[] = "cpp";
    st = grove_counter_new(db.get(), reinterpret_cast<const uint8_t *>(name), sizeof name - 1, &c,
                           &err);
    if (st == GROVE_OK) {
        st = grove_counter_increment(c, 2, &v, &err);
    }
    grove_counter_free(c);
    grove_lock *raw_lock = nullptr;
    uint64_t fence = 0;
    if (st == GROVE_OK) {
        st = grove_lock_new(db.get(), reinterpret_cast<const uint8_t *>(name), sizeof name - 1, 5.0,
                            &raw_lock, &err);
    }
    if (st == GROVE_OK) {
        ScopedLock guard(raw_lock);
        fence = guard.acquired() ? guard.fence() : 0;
    }
    grove_kind kind = GROVE_KIND_COUNTER;
    std::printf("%s %s %lld %d\n", grove_version(), grove_status_name(st),
                static_cast<long long>(v), static_cast<int>(kind));
    grove_error_free(err);
    return st == GROVE_OK && v == 2 && fence == 1 ? 0 : 1;
}

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
    // Bounded decrement and a compare-and-set (a grove_slice for the expected value).
    bool applied = false, swapped = false, had = false;
    if (st == GROVE_OK) {
        st = grove_counter_try_decrement(c, 1, 0, &v, &applied, &err);
    }
    const uint8_t *key = reinterpret_cast<const uint8_t *>(name);
    const grove_slice expected{key, sizeof name - 1};
    if (st == GROVE_OK) {
        st = grove_store_set_if_absent(db.get(), key, sizeof name - 1, key, sizeof name - 1, nullptr,
                                       &swapped, &err);
    }
    if (st == GROVE_OK && swapped) {
        st = grove_store_compare_and_set(db.get(), key, sizeof name - 1, &expected, nullptr, 0, nullptr,
                                         &swapped, &err);
    }
    grove_bytes old{nullptr, 0};
    if (st == GROVE_OK) {
        st = grove_store_get_delete(db.get(), key, sizeof name - 1, &old, &had, &err);
    }
    const bool cond_ok = applied && swapped && had && old.len == 0;
    grove_bytes_free(&old);
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
    // A leaderboard round trip; the list owns its members and is released as one.
    grove_leaderboard *lb = nullptr;
    grove_ranked_list top{nullptr, 0};
    if (st == GROVE_OK) {
        st = grove_leaderboard_new(db.get(), reinterpret_cast<const uint8_t *>(name), sizeof name - 1,
                                   &lb, &err);
    }
    if (st == GROVE_OK) {
        st = grove_leaderboard_add(lb, reinterpret_cast<const uint8_t *>(name), sizeof name - 1, 1.5,
                                   &err);
    }
    if (st == GROVE_OK) {
        st = grove_leaderboard_top(lb, 10, &top, &err);
    }
    const bool top_ok = top.len == 1 && top.ptr[0].rank == 0 && top.ptr[0].score == 1.5;
    grove_ranked_list_free(&top);
    grove_leaderboard_free(lb);
    // A queue round trip: the job owns its payload.
    grove_queue *q = nullptr;
    grove_job job{0, {nullptr, 0}, 0, 0};
    bool found = false, acked = false;
    uint64_t id = 0;
    if (st == GROVE_OK) {
        st = grove_queue_new(db.get(), reinterpret_cast<const uint8_t *>(name), sizeof name - 1, 30.0, 5,
                             &q, &err);
    }
    if (st == GROVE_OK) {
        st = grove_queue_enqueue(q, reinterpret_cast<const uint8_t *>(name), sizeof name - 1, 0.0, &id, &err);
    }
    if (st == GROVE_OK) {
        st = grove_queue_dequeue(q, &job, &found, &err);
    }
    if (st == GROVE_OK && found) {
        st = grove_queue_ack(q, job.id, &acked, &err);
    }
    grove_job_free(&job);
    grove_queue_free(q);
    grove_kind kind = GROVE_KIND_COUNTER;
    std::printf("%s %s %lld %d\n", grove_version(), grove_status_name(st),
                static_cast<long long>(v), static_cast<int>(kind));
    grove_error_free(err);
    return st == GROVE_OK && v == 1 && cond_ok && fence == 1 && top_ok && found && acked && id == 1 ? 0 : 1;
}

#pragma once

// Memory accounting for requests in flight: the broker-wide budget and the per-request lease that
// charges it and its connection. No Asio here; waiting is done by the caller through a waker.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace gregor::net {

// Broker-wide bound on request bytes in flight (Kafka's queued.max.request.bytes). A frame is
// admitted by reserving its declared size, with Kafka's non-strict pool rule: admission succeeds
// while the reserved total is below the maximum, so the total exceeds the maximum by at most one
// frame and a frame larger than the whole budget still gets through alone. Bytes that actually
// arrived (held) and buffer bytes allocated (allocated) are counted separately for the stats, so a
// declared-but-unsent frame shows as reserved, not as memory.
// Thread-safe: every network thread uses it. Waiters are wakers keyed by connection id, called
// (from the releasing thread) once after a release; a waker must only post to its own thread.
class MemoryBudget {
public:
    using Waker = std::function<void()>;

    // max_bytes <= 0: unbounded.
    explicit MemoryBudget(int64_t max_bytes) : max_bytes_(max_bytes) {}
    MemoryBudget(const MemoryBudget&) = delete;
    MemoryBudget& operator=(const MemoryBudget&) = delete;

    bool try_reserve(int64_t bytes);
    // try_reserve(), and on failure register `waker` under `waiter_id` (replacing an earlier one)
    // so the caller can wait without missing a release that races with the failed attempt.
    bool reserve_or_register(int64_t bytes, uint64_t waiter_id, Waker waker);
    void unregister(uint64_t waiter_id);
    // Returns a reservation and wakes every registered waiter.
    void release(int64_t reserved_bytes);

    void add_held(int64_t delta) { held_.fetch_add(delta, std::memory_order_relaxed); }
    void add_allocated(int64_t delta) { allocated_.fetch_add(delta, std::memory_order_relaxed); }

    int64_t max_bytes() const { return max_bytes_; }
    int64_t reserved_bytes() const { return reserved_.load(std::memory_order_relaxed); }
    int64_t held_bytes() const { return held_.load(std::memory_order_relaxed); }
    int64_t allocated_bytes() const { return allocated_.load(std::memory_order_relaxed); }
    uint64_t waits() const { return waits_.load(std::memory_order_relaxed); }

private:
    void wake_all();

    const int64_t max_bytes_;
    std::atomic<int64_t> reserved_{0};
    std::atomic<int64_t> held_{0};
    std::atomic<int64_t> allocated_{0};
    std::atomic<uint64_t> waits_{0};
    // Seq-cst pair with reserved_: a releaser that sees no waiter is ordered before the waiter's
    // retry, which then sees the released bytes.
    std::atomic<int64_t> waiter_count_{0};
    std::mutex waiters_mutex_;
    std::unordered_map<uint64_t, Waker> waiters_;  // guarded by waiters_mutex_
};

// The memory of one request: its reservation in the broker budget, the bytes that arrived, the
// buffer allocated for them and the response bytes buffered for it, charged to the broker budget
// and to its connection's byte counter. Move-only; gives everything back when destroyed or
// released. Lives on its connection's thread (the connection counter is not atomic).
class MemoryLease {
public:
    MemoryLease() = default;
    // Takes over a reservation already made with MemoryBudget::try_reserve/reserve_or_register.
    MemoryLease(MemoryBudget* budget, int64_t* connection_bytes, int64_t reserved_bytes);
    MemoryLease(MemoryLease&& other) noexcept;
    MemoryLease& operator=(MemoryLease&& other) noexcept;
    MemoryLease(const MemoryLease&) = delete;
    MemoryLease& operator=(const MemoryLease&) = delete;
    ~MemoryLease() { release(); }

    // Request bytes that arrived: broker held bytes and the connection counter.
    void add_received(int64_t bytes);
    // Buffer capacity allocated for the request: broker stats only.
    void add_allocated(int64_t bytes);
    // Response bytes buffered until written: the connection counter only.
    void add_response(int64_t bytes);
    void release();

    int64_t reserved_bytes() const { return reserved_; }
    int64_t received_bytes() const { return received_; }

private:
    MemoryBudget* budget_ = nullptr;
    int64_t* connection_bytes_ = nullptr;
    int64_t reserved_ = 0;
    int64_t received_ = 0;
    int64_t allocated_ = 0;
    int64_t response_ = 0;
};

}  // namespace gregor::net

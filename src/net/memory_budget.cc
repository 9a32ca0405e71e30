#include "gregor/net/memory_budget.h"

#include "gregor/common/assert.h"

#include <utility>
#include <vector>

namespace gregor::net {

bool MemoryBudget::try_reserve(int64_t bytes) {
    GREGOR_ASSERT(bytes >= 0, "negative reservation");
    if (max_bytes_ <= 0) {
        reserved_.fetch_add(bytes);
        return true;
    }
    int64_t current = reserved_.load();
    while (current < max_bytes_) {
        if (reserved_.compare_exchange_weak(current, current + bytes)) {
            return true;
        }
    }
    return false;
}

bool MemoryBudget::reserve_or_register(int64_t bytes, uint64_t waiter_id, Waker waker) {
    if (try_reserve(bytes)) {
        return true;
    }
    std::lock_guard lock(waiters_mutex_);
    auto [it, inserted] = waiters_.insert_or_assign(waiter_id, std::move(waker));
    if (inserted) {
        waiter_count_.fetch_add(1);
    }
    // Retry after registering: a release between the first attempt and the registration either
    // shows here or finds the waker.
    if (try_reserve(bytes)) {
        waiters_.erase(it);
        waiter_count_.fetch_sub(1);
        return true;
    }
    waits_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

void MemoryBudget::unregister(uint64_t waiter_id) {
    std::lock_guard lock(waiters_mutex_);
    if (waiters_.erase(waiter_id) > 0) {
        waiter_count_.fetch_sub(1);
    }
}

void MemoryBudget::release(int64_t reserved_bytes) {
    GREGOR_ASSERT(reserved_bytes >= 0, "negative release");
    if (reserved_bytes == 0) {
        return;
    }
    const int64_t before = reserved_.fetch_sub(reserved_bytes);
    GREGOR_ASSERT(before >= reserved_bytes, "released more than was reserved");
    if (waiter_count_.load() > 0) {
        wake_all();
    }
}

void MemoryBudget::wake_all() {
    std::vector<Waker> wakers;
    {
        std::lock_guard lock(waiters_mutex_);
        wakers.reserve(waiters_.size());
        for (auto& [id, waker] : waiters_) {
            wakers.push_back(std::move(waker));
        }
        waiter_count_.fetch_sub(static_cast<int64_t>(waiters_.size()));
        waiters_.clear();
    }
    for (auto& waker : wakers) {
        waker();
    }
}

MemoryLease::MemoryLease(MemoryBudget* budget, int64_t* connection_bytes, int64_t reserved_bytes)
    : budget_(budget), connection_bytes_(connection_bytes), reserved_(reserved_bytes) {
    GREGOR_ASSERT(budget_ != nullptr, "lease without a budget");
    GREGOR_ASSERT(connection_bytes_ != nullptr, "lease without a connection counter");
}

MemoryLease::MemoryLease(MemoryLease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)),
      connection_bytes_(std::exchange(other.connection_bytes_, nullptr)),
      reserved_(std::exchange(other.reserved_, 0)),
      received_(std::exchange(other.received_, 0)),
      allocated_(std::exchange(other.allocated_, 0)),
      response_(std::exchange(other.response_, 0)) {}

MemoryLease& MemoryLease::operator=(MemoryLease&& other) noexcept {
    if (this != &other) {
        release();
        budget_ = std::exchange(other.budget_, nullptr);
        connection_bytes_ = std::exchange(other.connection_bytes_, nullptr);
        reserved_ = std::exchange(other.reserved_, 0);
        received_ = std::exchange(other.received_, 0);
        allocated_ = std::exchange(other.allocated_, 0);
        response_ = std::exchange(other.response_, 0);
    }
    return *this;
}

void MemoryLease::add_received(int64_t bytes) {
    GREGOR_ASSERT(budget_ != nullptr, "add_received on an empty lease");
    received_ += bytes;
    budget_->add_held(bytes);
    *connection_bytes_ += bytes;
}

void MemoryLease::add_allocated(int64_t bytes) {
    GREGOR_ASSERT(budget_ != nullptr, "add_allocated on an empty lease");
    allocated_ += bytes;
    budget_->add_allocated(bytes);
}

void MemoryLease::add_response(int64_t bytes) {
    GREGOR_ASSERT(budget_ != nullptr, "add_response on an empty lease");
    response_ += bytes;
    *connection_bytes_ += bytes;
}

void MemoryLease::release() {
    if (budget_ == nullptr) {
        return;
    }
    *connection_bytes_ -= received_ + response_;
    budget_->add_held(-received_);
    budget_->add_allocated(-allocated_);
    budget_->release(reserved_);
    budget_ = nullptr;
    connection_bytes_ = nullptr;
    reserved_ = received_ = allocated_ = response_ = 0;
}

}  // namespace gregor::net

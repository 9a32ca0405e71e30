// Goal: the broker-wide budget follows Kafka's non-strict pool rule, wakes waiters without losing
// a release, and leases give back exactly what they charged. Method: single-threaded calls plus
// one two-thread race.

#include "gregor/net/memory_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace gregor::net {
namespace {

TEST(MemoryBudgetTest, NonStrictAdmission) {
    MemoryBudget budget(100);
    EXPECT_TRUE(budget.try_reserve(60));
    EXPECT_TRUE(budget.try_reserve(60));  // 60 < 100: admitted, overshoots to 120
    EXPECT_EQ(budget.reserved_bytes(), 120);
    EXPECT_FALSE(budget.try_reserve(1));
    budget.release(60);
    EXPECT_TRUE(budget.try_reserve(1000));  // a frame bigger than the budget gets in alone
    budget.release(1000);
    budget.release(60);
    EXPECT_EQ(budget.reserved_bytes(), 0);
}

TEST(MemoryBudgetTest, UnboundedWhenMaxIsNotPositive) {
    MemoryBudget budget(0);
    EXPECT_TRUE(budget.try_reserve(1 << 30));
    EXPECT_TRUE(budget.try_reserve(1 << 30));
    budget.release(1 << 30);
    budget.release(1 << 30);
}

TEST(MemoryBudgetTest, ReleaseWakesRegisteredWaitersOnce) {
    MemoryBudget budget(10);
    ASSERT_TRUE(budget.try_reserve(10));
    int woken = 0;
    EXPECT_FALSE(budget.reserve_or_register(5, 1, [&woken] { ++woken; }));
    EXPECT_FALSE(budget.reserve_or_register(5, 1, [&woken] { ++woken; }));  // replaces
    EXPECT_EQ(budget.waits(), 2u);
    budget.release(10);
    EXPECT_EQ(woken, 1);
    ASSERT_TRUE(budget.try_reserve(5));
    budget.release(5);
    EXPECT_EQ(woken, 1);  // wakers are one-shot
}

TEST(MemoryBudgetTest, UnregisteredWaiterIsNotWoken) {
    MemoryBudget budget(10);
    ASSERT_TRUE(budget.try_reserve(10));
    bool woken = false;
    EXPECT_FALSE(budget.reserve_or_register(5, 7, [&woken] { woken = true; }));
    budget.unregister(7);
    budget.release(10);
    EXPECT_FALSE(woken);
}

// A release racing with a failed attempt must either admit the attempt or wake its waker.
TEST(MemoryBudgetTest, NoLostWakeupUnderRace) {
    for (int round = 0; round < 2000; ++round) {
        MemoryBudget budget(10);
        ASSERT_TRUE(budget.try_reserve(10));
        std::atomic<bool> woken{false};
        std::thread releaser([&budget] { budget.release(10); });
        const bool admitted = budget.reserve_or_register(5, 1, [&woken] { woken.store(true); });
        releaser.join();
        ASSERT_TRUE(admitted || woken.load()) << "round " << round;
    }
}

TEST(MemoryLeaseTest, ChargesAndReleasesBudgetAndConnection) {
    MemoryBudget budget(1000);
    int64_t connection_bytes = 0;
    ASSERT_TRUE(budget.try_reserve(500));
    {
        MemoryLease lease(&budget, &connection_bytes, 500);
        lease.add_allocated(64);
        lease.add_received(40);
        lease.add_response(10);
        EXPECT_EQ(budget.reserved_bytes(), 500);
        EXPECT_EQ(budget.held_bytes(), 40);
        EXPECT_EQ(budget.allocated_bytes(), 64);
        EXPECT_EQ(connection_bytes, 50);
        MemoryLease moved = std::move(lease);
        EXPECT_EQ(moved.received_bytes(), 40);
        EXPECT_EQ(connection_bytes, 50);
    }
    EXPECT_EQ(budget.reserved_bytes(), 0);
    EXPECT_EQ(budget.held_bytes(), 0);
    EXPECT_EQ(budget.allocated_bytes(), 0);
    EXPECT_EQ(connection_bytes, 0);
}

}  // namespace
}  // namespace gregor::net

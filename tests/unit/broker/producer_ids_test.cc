#include "gregor/broker/producer_ids.h"

#include "gregor/protocol/error_codes.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace gregor::broker {
namespace {

namespace errc = protocol::error;

// A controller that answers when told to, handing out consecutive blocks of `size`.
struct FakeController {
    int32_t size = 10;
    int64_t next = 0;
    int requests = 0;
    bool answer_at_once = true;
    std::vector<ProducerIdManager::BlockDone> pending;

    ProducerIdManager::RequestBlock requester() {
        return [this](ProducerIdManager::BlockDone done) {
            ++requests;
            if (answer_at_once) {
                answer(std::move(done));
            } else {
                pending.push_back(std::move(done));
            }
        };
    }
    void answer(ProducerIdManager::BlockDone done) {
        const ProducerIdBlock block{next, size};
        next += size;
        done(errc::none, block);
    }
    void answer_pending() {
        auto p = std::move(pending);
        pending.clear();
        for (auto& d : p) {
            answer(std::move(d));
        }
    }
};

TEST(ProducerIdManagerTest, FirstCallWaitsForABlockThenIdsIncrease) {
    FakeController c;
    c.answer_at_once = false;
    ProducerIdManager ids(c.requester());
    auto first = ids.generate();
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error(), errc::coordinator_load_in_progress);
    EXPECT_FALSE(ids.generate());
    EXPECT_EQ(c.requests, 1);  // one request in flight at a time
    c.answer_pending();
    for (int64_t i = 0; i < 10; ++i) {
        auto id = ids.generate();
        ASSERT_TRUE(id) << i;
        EXPECT_EQ(*id, i);
    }
}

TEST(ProducerIdManagerTest, PrefetchesAtNinetyPercent) {
    FakeController c;
    c.answer_at_once = false;
    ProducerIdManager ids(c.requester());
    ids.prefetch();
    c.answer_pending();
    for (int i = 0; i < 9; ++i) {
        ASSERT_TRUE(ids.generate());
    }
    EXPECT_EQ(c.requests, 1);
    ASSERT_TRUE(ids.generate());  // id 9 = first + 90% of 10
    EXPECT_EQ(c.requests, 2);
    c.answer_pending();
    auto next = ids.generate();
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, 10);  // straight into the prefetched block, no error
}

TEST(ProducerIdManagerTest, FailedOrStaleBlocksAreRetried) {
    FakeController c;
    c.answer_at_once = false;
    ProducerIdManager ids(c.requester());
    ids.prefetch();
    c.pending.front()(errc::stale_broker_epoch, {});
    c.pending.clear();
    EXPECT_FALSE(ids.generate());
    EXPECT_EQ(c.requests, 2);
    c.answer_pending();
    ASSERT_TRUE(ids.generate());
}

TEST(ProducerIdManagerTest, ConcurrentCallersNeverShareAnId) {
    FakeController c;
    c.size = 100;
    std::mutex m;
    auto inner = c.requester();
    ProducerIdManager ids([&](ProducerIdManager::BlockDone done) {
        std::lock_guard lock(m);
        inner(std::move(done));
    });
    std::vector<std::vector<int64_t>> got(4);
    std::vector<std::thread> threads;
    for (auto& g : got) {
        threads.emplace_back([&ids, &g] {
            while (g.size() < 500) {
                if (auto id = ids.generate()) {
                    g.push_back(*id);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::set<int64_t> all;
    for (const auto& g : got) {
        all.insert(g.begin(), g.end());
    }
    EXPECT_EQ(all.size(), 2000u);
}

}  // namespace
}  // namespace gregor::broker

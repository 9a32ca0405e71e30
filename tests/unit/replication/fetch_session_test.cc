#include "gregor/replication/fetch_session.h"

#include "gregor/protocol/error_codes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gregor::replication {
namespace {

namespace err = protocol::error;
using Kind = FetchContext::Kind;

constexpr int16_t kV12 = 12;  // keyed by name
constexpr int16_t kV13 = 13;  // keyed by topic id
constexpr int64_t kEvictMs = 1000;

protocol::Uuid uuid(uint8_t n) {
    protocol::Uuid u;
    u.bytes[15] = n;
    return u;
}

FetchPartitionKey named(const std::string& topic, int32_t p) {
    return {{}, topic, p};
}
FetchPartitionKey by_id(uint8_t id, const std::string& topic, int32_t p) {
    return {uuid(id), topic, p};
}

FetchPartitionRequest req(FetchPartitionKey key, int64_t offset = 0) {
    FetchPartitionRequest r;
    r.key = std::move(key);
    r.fetch_offset = offset;
    r.max_bytes = 1 << 20;
    return r;
}

std::vector<FetchPartitionRequest> reqs(const std::string& topic, int n) {
    std::vector<FetchPartitionRequest> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(req(named(topic, i)));
    }
    return out;
}

FetchPartitionResult quiet(int64_t hw = 10, int64_t log_start = 0) {
    FetchPartitionResult r;
    r.high_watermark = hw;
    r.last_stable_offset = hw;
    r.log_start_offset = log_start;
    return r;
}

FetchPartitionResult with_records(int64_t hw = 10) {
    FetchPartitionResult r = quiet(hw);
    r.has_records = true;
    return r;
}

FetchPartitionResult failed(int16_t code) {
    FetchPartitionResult r;
    r.error_code = code;
    return r;
}

std::vector<FetchPartitionResult> all_quiet(const FetchContext& ctx, int64_t hw = 10) {
    return std::vector<FetchPartitionResult>(ctx.partitions().size(), quiet(hw));
}

std::vector<std::string> names(const FetchContext& ctx) {
    std::vector<std::string> out;
    for (const auto& p : ctx.partitions()) {
        out.push_back(p.key.topic + "-" + std::to_string(p.key.partition));
    }
    return out;
}

struct Session {
    int32_t id;
    int32_t epoch;
};

// A full fetch (epoch 0) answered with quiet results.
Session open(FetchSessionCache& cache,
             std::vector<FetchPartitionRequest> parts,
             int64_t now,
             bool follower = false,
             int16_t version = kV12) {
    auto ctx = cache.new_context(version, 0, kInitialEpoch, follower, std::move(parts), {}, now);
    EXPECT_EQ(ctx->kind(), Kind::full);
    auto sel = ctx->select(all_quiet(*ctx), now);
    return {sel.session_id, 1};
}

std::unique_ptr<FetchContext> incremental(FetchSessionCache& cache,
                                          Session& s,
                                          int64_t now,
                                          std::vector<FetchPartitionRequest> changed = {},
                                          std::vector<FetchPartitionKey> forgotten = {},
                                          int16_t version = kV12) {
    auto ctx = cache.new_context(version, s.id, s.epoch, false, std::move(changed),
                                 std::move(forgotten), now);
    if (ctx->error_code() == err::none && ctx->kind() == Kind::incremental) {
        s.epoch = next_fetch_epoch(s.epoch);
    }
    return ctx;
}

TEST(FetchSessionEpoch, NextEpochIncrementsAndWrapsToOne) {
    EXPECT_EQ(next_fetch_epoch(kInitialEpoch), 1);
    EXPECT_EQ(next_fetch_epoch(41), 42);
    EXPECT_EQ(next_fetch_epoch(std::numeric_limits<int32_t>::max()), 1);
    EXPECT_EQ(next_fetch_epoch(kFinalEpoch), kFinalEpoch);
}

TEST(FetchSession, FullFetchCreatesSessionWhenSlotFree) {
    FetchSessionCache cache(10, kEvictMs);
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("t", 3), {}, 0);
    EXPECT_EQ(ctx->kind(), Kind::full);
    EXPECT_EQ(ctx->error_code(), err::none);
    EXPECT_EQ(names(*ctx), (std::vector<std::string>{"t-0", "t-1", "t-2"}));
    auto sel = ctx->select(all_quiet(*ctx), 0);
    EXPECT_NE(sel.session_id, kInvalidSessionId);
    EXPECT_EQ(sel.error_code, err::none);
    EXPECT_EQ(sel.included, (std::vector<size_t>{0, 1, 2}));
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.total_partitions(), 3);
    EXPECT_TRUE(cache.contains(sel.session_id));
}

TEST(FetchSession, FullFetchWithoutSlotIsSessionless) {
    FetchSessionCache none(0, kEvictMs);
    auto ctx = none.new_context(kV12, 0, kInitialEpoch, true, reqs("t", 2), {}, 0);
    auto sel = ctx->select(all_quiet(*ctx), 0);
    EXPECT_EQ(sel.session_id, kInvalidSessionId);
    EXPECT_EQ(sel.included.size(), 2u);
    EXPECT_EQ(none.size(), 0u);

    // Full, and the only session is as valuable, recent and recently used: nothing to evict.
    FetchSessionCache one(1, kEvictMs);
    open(one, reqs("a", 2), 0);
    auto ctx2 = one.new_context(kV12, 0, kInitialEpoch, false, reqs("b", 2), {}, 10);
    EXPECT_EQ(ctx2->select(all_quiet(*ctx2), 10).session_id, kInvalidSessionId);
    EXPECT_EQ(one.size(), 1u);
}

TEST(FetchSession, FinalEpochClosesSessionAndCreatesNone) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 2), 0);
    ASSERT_TRUE(cache.contains(s.id));
    auto ctx = cache.new_context(kV12, s.id, kFinalEpoch, false, reqs("t", 2), {}, 5);
    EXPECT_EQ(ctx->kind(), Kind::sessionless);
    EXPECT_FALSE(cache.contains(s.id));
    auto sel = ctx->select(all_quiet(*ctx), 5);
    EXPECT_EQ(sel.session_id, kInvalidSessionId);
    EXPECT_EQ(sel.included.size(), 2u);
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.total_partitions(), 0);
}

TEST(FetchSession, FullFetchNamingASessionReplacesIt) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 2), 0);
    auto ctx = cache.new_context(kV12, s.id, kInitialEpoch, false, reqs("u", 1), {}, 5);
    EXPECT_FALSE(cache.contains(s.id));
    auto sel = ctx->select(all_quiet(*ctx), 5);
    EXPECT_NE(sel.session_id, kInvalidSessionId);
    EXPECT_NE(sel.session_id, s.id);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.total_partitions(), 1);
}

TEST(FetchSession, RequestsBeforeV7AreSessionless) {
    FetchSessionCache cache(10, kEvictMs);
    auto ctx = cache.new_context(6, 0, kInitialEpoch, false, reqs("t", 1), {}, 0);
    EXPECT_EQ(ctx->kind(), Kind::sessionless);
    EXPECT_EQ(ctx->select(all_quiet(*ctx), 0).session_id, kInvalidSessionId);
    EXPECT_EQ(cache.size(), 0u);
}

TEST(FetchSession, FullFetchMergesDuplicatePartitions) {
    FetchSessionCache cache(10, kEvictMs);
    std::vector<FetchPartitionRequest> parts{req(named("t", 0), 1), req(named("t", 1), 2),
                                             req(named("t", 0), 7)};
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, false, parts, {}, 0);
    ASSERT_EQ(ctx->partitions().size(), 2u);
    EXPECT_EQ(ctx->partitions()[0].key.partition, 0);
    EXPECT_EQ(ctx->partitions()[0].fetch_offset, 7);
    EXPECT_EQ(ctx->select(all_quiet(*ctx), 0).included.size(), 2u);
    EXPECT_EQ(cache.total_partitions(), 2);
}

TEST(FetchSession, UnknownSessionIsFetchSessionIdNotFound) {
    FetchSessionCache cache(10, kEvictMs, 4);
    for (int32_t id : {12345, -7, std::numeric_limits<int32_t>::max()}) {
        auto ctx = cache.new_context(kV12, id, 1, false, {}, {}, 0);
        EXPECT_EQ(ctx->kind(), Kind::session_error);
        EXPECT_EQ(ctx->error_code(), err::fetch_session_id_not_found) << id;
        EXPECT_TRUE(ctx->partitions().empty());
        auto sel = ctx->select({}, 0);
        EXPECT_EQ(sel.error_code, err::fetch_session_id_not_found);
        EXPECT_EQ(sel.session_id, kInvalidSessionId);
        EXPECT_TRUE(sel.included.empty());
    }
}

TEST(FetchSession, WrongEpochIsInvalidFetchSessionEpoch) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 2), 0);
    for (int32_t epoch : {2, 5, std::numeric_limits<int32_t>::max()}) {
        auto ctx = cache.new_context(kV12, s.id, epoch, false, {}, {}, 1);
        EXPECT_EQ(ctx->error_code(), err::invalid_fetch_session_epoch) << epoch;
        EXPECT_EQ(ctx->select({}, 1).error_code, err::invalid_fetch_session_epoch);
    }
    // The session is untouched: the right epoch still works.
    auto ok = incremental(cache, s, 2);
    EXPECT_EQ(ok->kind(), Kind::incremental);
    EXPECT_EQ(ok->error_code(), err::none);
}

TEST(FetchSession, IncrementalFetchAnswersOnlyChangedPartitions) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 3), 0);
    auto ctx = incremental(cache, s, 1);
    ASSERT_EQ(ctx->kind(), Kind::incremental);
    EXPECT_EQ(names(*ctx), (std::vector<std::string>{"t-0", "t-1", "t-2"}));
    std::vector<FetchPartitionResult> results{quiet(), quiet(), quiet()};
    auto sel = ctx->select(results, 1);
    EXPECT_EQ(sel.session_id, s.id);
    EXPECT_EQ(sel.error_code, err::none);
    EXPECT_TRUE(sel.included.empty());

    auto ctx2 = incremental(cache, s, 2);
    std::vector<FetchPartitionResult> results2{quiet(), with_records(10), quiet()};
    EXPECT_EQ(ctx2->select(results2, 2).included, (std::vector<size_t>{1}));
}

TEST(FetchSession, IncrementalFetchKeepsCachedFetchParameters) {
    FetchSessionCache cache(10, kEvictMs);
    auto parts = reqs("t", 2);
    parts[1].fetch_offset = 42;
    parts[1].current_leader_epoch = 3;
    parts[1].last_fetched_epoch = 2;
    parts[1].log_start_offset = 5;
    Session s = open(cache, parts, 0);
    auto ctx = incremental(cache, s, 1);
    ASSERT_EQ(ctx->partitions().size(), 2u);
    const auto& p = ctx->partitions()[1];
    EXPECT_EQ(p.fetch_offset, 42);
    EXPECT_EQ(p.current_leader_epoch, 3);
    EXPECT_EQ(p.last_fetched_epoch, 2);
    EXPECT_EQ(p.log_start_offset, 5);
    EXPECT_EQ(p.max_bytes, 1 << 20);
}

TEST(FetchSession, IncrementalFetchAddsUpdatesAndForgetsPartitions) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 3), 0);
    auto ctx = incremental(cache, s, 1, {req(named("t", 1), 99), req(named("u", 0), 5)},
                           {named("t", 2), named("nope", 0)});
    ASSERT_EQ(ctx->kind(), Kind::incremental);
    EXPECT_EQ(names(*ctx), (std::vector<std::string>{"t-0", "t-1", "u-0"}));
    EXPECT_EQ(ctx->partitions()[1].fetch_offset, 99);
    EXPECT_EQ(ctx->partitions()[2].fetch_offset, 5);
    EXPECT_EQ(cache.total_partitions(), 3);
    // The added partition has no cached HW yet: it is answered.
    auto sel = ctx->select(all_quiet(*ctx), 1);
    EXPECT_EQ(sel.included, (std::vector<size_t>{2}));
}

TEST(FetchSession, ForgettingEveryPartitionClosesTheSession) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 2), 0);
    auto ctx = incremental(cache, s, 1, {}, {named("t", 0), named("t", 1)});
    EXPECT_EQ(ctx->kind(), Kind::sessionless);
    EXPECT_TRUE(ctx->partitions().empty());
    EXPECT_FALSE(cache.contains(s.id));
    EXPECT_EQ(ctx->select({}, 1).session_id, kInvalidSessionId);
    EXPECT_EQ(cache.total_partitions(), 0);
}

TEST(FetchSession, ErrorsAreAlwaysAnsweredAndThePartitionResentAfterwards) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 1), 0);
    for (int i = 1; i <= 2; ++i) {
        auto ctx = incremental(cache, s, i);
        std::vector<FetchPartitionResult> r{failed(err::not_leader_or_follower)};
        EXPECT_EQ(ctx->select(r, i).included, (std::vector<size_t>{0})) << i;
    }
    // The error cleared the cached HW: the same HW as before the error is news again.
    auto ctx = incremental(cache, s, 3);
    EXPECT_EQ(ctx->select(all_quiet(*ctx), 3).included, (std::vector<size_t>{0}));
    auto quiet_again = incremental(cache, s, 4);
    EXPECT_TRUE(quiet_again->select(all_quiet(*quiet_again), 4).included.empty());
}

TEST(FetchSession, FullFetchErrorIsResentWhenItClears) {
    FetchSessionCache cache(10, kEvictMs);
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("t", 1), {}, 0);
    FetchPartitionResult r = quiet(10);
    r.error_code = err::offset_out_of_range;
    Session s{ctx->select(std::span(&r, 1), 0).session_id, 1};
    ASSERT_NE(s.id, kInvalidSessionId);
    auto inc = incremental(cache, s, 1);
    EXPECT_EQ(inc->select(all_quiet(*inc, 10), 1).included, (std::vector<size_t>{0}));
}

TEST(FetchSession, EachKindOfNewsIsAnswered) {
    auto check = [](FetchPartitionResult changed, const char* what) {
        FetchSessionCache cache(10, kEvictMs);
        Session s = open(cache, reqs("t", 2), 0);
        auto ctx = incremental(cache, s, 1);
        std::vector<FetchPartitionResult> r{quiet(), changed};
        EXPECT_EQ(ctx->select(r, 1).included, (std::vector<size_t>{1})) << what;
    };
    check(quiet(11), "high watermark");
    check(quiet(10, 3), "log start offset");
    check(with_records(), "records");
    FetchPartitionResult preferred = quiet();
    preferred.preferred_read_replica = 2;
    check(preferred, "preferred read replica");
    FetchPartitionResult diverging = quiet();
    diverging.has_diverging_epoch = true;
    check(diverging, "diverging epoch");
    check(failed(err::unknown_topic_or_partition), "error");
    // The last stable offset alone is not news (Kafka's sessions ignore it).
    FetchPartitionResult lso = quiet();
    lso.last_stable_offset = 3;
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 1), 0);
    auto ctx = incremental(cache, s, 1);
    EXPECT_TRUE(ctx->select(std::span(&lso, 1), 1).included.empty());
}

TEST(FetchSession, ChangesAreRememberedOnce) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 1), 0);
    auto a = incremental(cache, s, 1);
    EXPECT_EQ(a->select(all_quiet(*a, 20), 1).included.size(), 1u);
    auto b = incremental(cache, s, 2);
    EXPECT_TRUE(b->select(all_quiet(*b, 20), 2).included.empty());
}

TEST(FetchSession, PartitionsWithRecordsMoveToTheEnd) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 4), 0);
    auto ctx = incremental(cache, s, 1);
    std::vector<FetchPartitionResult> r{with_records(), quiet(), with_records(), quiet(11)};
    EXPECT_EQ(ctx->select(r, 1).included, (std::vector<size_t>{0, 2, 3}));
    auto next = incremental(cache, s, 2);
    EXPECT_EQ(names(*next), (std::vector<std::string>{"t-1", "t-3", "t-0", "t-2"}));
}

TEST(FetchSession, EpochAdvancesAndADuplicateRequestIsRejected) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 1), 0);
    EXPECT_EQ(s.epoch, 1);
    auto first = cache.new_context(kV12, s.id, 1, false, {}, {}, 1);
    ASSERT_EQ(first->kind(), Kind::incremental);
    // The same epoch again (a retried request) is stale now.
    auto dup = cache.new_context(kV12, s.id, 1, false, {}, {}, 1);
    EXPECT_EQ(dup->error_code(), err::invalid_fetch_session_epoch);
    auto second = cache.new_context(kV12, s.id, 2, false, {}, {}, 2);
    ASSERT_EQ(second->kind(), Kind::incremental);
    // `first` answers after `second` used the session: its view is stale.
    auto sel = first->select(all_quiet(*first), 3);
    EXPECT_EQ(sel.error_code, err::invalid_fetch_session_epoch);
    EXPECT_EQ(sel.session_id, s.id);
    EXPECT_TRUE(sel.included.empty());
    EXPECT_EQ(second->select(all_quiet(*second), 3).error_code, err::none);
    EXPECT_EQ(cache.new_context(kV12, s.id, 3, false, {}, {}, 4)->kind(), Kind::incremental);
}

TEST(FetchSession, ThrottledAnswerLeavesTheSessionAsItIs) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("t", 1), 0);
    auto ctx = incremental(cache, s, 1);
    auto t = ctx->throttled();
    EXPECT_EQ(t.session_id, s.id);
    EXPECT_EQ(t.error_code, err::none);
    EXPECT_TRUE(t.included.empty());
    // The HW change was never delivered, so the next fetch still answers it.
    auto next = incremental(cache, s, 2);
    EXPECT_EQ(next->select(all_quiet(*next, 50), 2).included.size(), 1u);

    auto full = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("u", 1), {}, 3);
    EXPECT_EQ(full->throttled().session_id, kInvalidSessionId);
    EXPECT_EQ(cache.size(), 1u);  // a throttled full fetch creates no session
}

TEST(FetchSession, SessionKindMustMatchRequestVersion) {
    FetchSessionCache cache(10, kEvictMs);
    Session by_name = open(cache, reqs("t", 1), 0, false, kV12);
    auto ctx = cache.new_context(kV13, by_name.id, 1, false, {}, {}, 1);
    EXPECT_EQ(ctx->error_code(), err::fetch_session_topic_id_error);
    EXPECT_EQ(ctx->select({}, 1).error_code, err::fetch_session_topic_id_error);

    Session with_ids = open(cache, {req(by_id(1, "t", 0))}, 0, false, kV13);
    EXPECT_EQ(cache.new_context(kV12, with_ids.id, 1, false, {}, {}, 1)->error_code(),
              err::fetch_session_topic_id_error);
    EXPECT_EQ(cache.new_context(kV13, with_ids.id, 1, false, {}, {}, 1)->kind(), Kind::incremental);
}

TEST(FetchSession, TopicIdSessionsKeyPartitionsById) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, {req(by_id(1, "a", 0)), req(by_id(2, "b", 0))}, 0, false, kV13);
    // A topic recreated under the same name has a new id: it is another partition.
    auto ctx = incremental(cache, s, 1, {req(by_id(3, "a", 0), 7), req(by_id(1, "", 0), 4)},
                           {{uuid(2), "", 0}}, kV13);
    ASSERT_EQ(ctx->kind(), Kind::incremental);
    ASSERT_EQ(ctx->partitions().size(), 2u);
    EXPECT_EQ(ctx->partitions()[0].key.topic_id, uuid(1));
    EXPECT_EQ(ctx->partitions()[0].key.topic, "a");  // the known name is kept
    EXPECT_EQ(ctx->partitions()[0].fetch_offset, 4);
    EXPECT_EQ(ctx->partitions()[1].key.topic_id, uuid(3));
    EXPECT_EQ(ctx->partitions()[1].fetch_offset, 7);
}

TEST(FetchSession, NameSessionsKeyPartitionsByName) {
    FetchSessionCache cache(10, kEvictMs);
    Session s = open(cache, reqs("a", 2), 0);
    auto ctx = incremental(cache, s, 1, {req(named("a", 0), 9)}, {named("a", 1), named("b", 0)});
    EXPECT_EQ(names(*ctx), (std::vector<std::string>{"a-0"}));
    EXPECT_EQ(ctx->partitions()[0].fetch_offset, 9);
}

TEST(FetchSession, UnknownTopicIdStaysInTheSessionUntilResolved) {
    FetchSessionCache cache(10, kEvictMs);
    auto full = cache.new_context(kV13, 0, kInitialEpoch, false,
                                  {req(by_id(1, "a", 0)), req(by_id(9, "", 0))}, {}, 0);
    ASSERT_EQ(full->partitions().size(), 2u);
    EXPECT_EQ(full->partitions()[1].key.topic, "");
    // The handler answers the unresolved id with UNKNOWN_TOPIC_ID.
    std::vector<FetchPartitionResult> r{quiet(), failed(err::unknown_topic_id)};
    Session s{full->select(r, 0).session_id, 1};
    ASSERT_NE(s.id, kInvalidSessionId);
    EXPECT_EQ(cache.total_partitions(), 2);

    // Still unknown: answered with its error every time.
    auto still = incremental(cache, s, 1, {}, {}, kV13);
    EXPECT_EQ(still->partitions()[1].key.topic, "");
    std::vector<FetchPartitionResult> r2{quiet(), failed(err::unknown_topic_id)};
    EXPECT_EQ(still->select(r2, 1).included, (std::vector<size_t>{1}));

    // The id becomes known: the session resolves the name for the handler.
    auto resolve = [](const protocol::Uuid& id) {
        return id == uuid(9) ? std::string("late") : std::string();
    };
    auto ctx = cache.new_context(kV13, s.id, s.epoch, false, {}, {}, 2, resolve);
    ASSERT_EQ(ctx->kind(), Kind::incremental);
    EXPECT_EQ(ctx->partitions()[1].key.topic, "late");
    EXPECT_EQ(ctx->partitions()[0].key.topic, "a");
    EXPECT_EQ(ctx->select(all_quiet(*ctx), 2).included, (std::vector<size_t>{1}));
}

// --- eviction (KIP-227) ---

TEST(FetchSessionEviction, StaleSessionIsEvictedWhenFull) {
    FetchSessionCache cache(2, kEvictMs);
    Session a = open(cache, reqs("a", 5), 0, true);  // even privileged and large
    Session b = open(cache, reqs("b", 5), 500, true);
    // At 1001 `a` has been unused for more than eviction_ms.
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("c", 1), {}, 1001);
    auto sel = ctx->select(all_quiet(*ctx), 1001);
    EXPECT_NE(sel.session_id, kInvalidSessionId);
    EXPECT_FALSE(cache.contains(a.id));
    EXPECT_TRUE(cache.contains(b.id));
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.evictions(), 1u);
}

TEST(FetchSessionEviction, UseKeepsASessionFromGoingStale) {
    FetchSessionCache cache(1, kEvictMs);
    Session a = open(cache, reqs("a", 1), 0);
    auto ctx = incremental(cache, a, 900);
    ASSERT_EQ(ctx->kind(), Kind::incremental);
    // At 1500 `a` was last used 600 ms ago (not stale), and it was young when last used: only a
    // follower may evict it.
    auto full = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("b", 1), {}, 1500);
    EXPECT_EQ(full->select(all_quiet(*full), 1500).session_id, kInvalidSessionId);
    EXPECT_TRUE(cache.contains(a.id));
}

TEST(FetchSessionEviction, FollowerEvictsRecentConsumerSession) {
    FetchSessionCache cache(1, kEvictMs);
    Session consumer = open(cache, reqs("a", 50), 0);
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, true, reqs("b", 1), {}, 10);
    EXPECT_NE(ctx->select(all_quiet(*ctx), 10).session_id, kInvalidSessionId);
    EXPECT_FALSE(cache.contains(consumer.id));
    EXPECT_EQ(cache.size(), 1u);
}

TEST(FetchSessionEviction, ConsumerCannotEvictRecentSessionEvenIfLarger) {
    FetchSessionCache cache(1, kEvictMs);
    Session a = open(cache, reqs("a", 1), 0);
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("b", 50), {}, 500);
    EXPECT_EQ(ctx->select(all_quiet(*ctx), 500).session_id, kInvalidSessionId);
    EXPECT_TRUE(cache.contains(a.id));
}

// Sessions older than eviction_ms but used recently: evictable by size, never stale.
void age_but_keep_used(FetchSessionCache& cache, Session& s, int64_t now) {
    auto ctx = incremental(cache, s, now);
    ASSERT_EQ(ctx->kind(), Kind::incremental);
}

TEST(FetchSessionEviction, LargerSessionEvictsSmallestOldSession) {
    FetchSessionCache cache(2, kEvictMs);
    Session small = open(cache, reqs("s", 2), 0);
    Session big = open(cache, reqs("b", 4), 0);
    age_but_keep_used(cache, small, 1500);
    age_but_keep_used(cache, big, 1500);
    // As large as the smallest: not worth more.
    auto same = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("c", 2), {}, 1600);
    EXPECT_EQ(same->select(all_quiet(*same), 1600).session_id, kInvalidSessionId);
    // Larger than the smallest: evicts it, not the big one.
    auto larger = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("c", 3), {}, 1600);
    EXPECT_NE(larger->select(all_quiet(*larger), 1600).session_id, kInvalidSessionId);
    EXPECT_FALSE(cache.contains(small.id));
    EXPECT_TRUE(cache.contains(big.id));
    EXPECT_EQ(cache.total_partitions(), 7);
}

TEST(FetchSessionEviction, ConsumerCannotEvictFollowerSession) {
    FetchSessionCache cache(1, kEvictMs);
    Session follower = open(cache, reqs("f", 1), 0, true);
    age_but_keep_used(cache, follower, 1500);
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("c", 100), {}, 1600);
    EXPECT_EQ(ctx->select(all_quiet(*ctx), 1600).session_id, kInvalidSessionId);
    EXPECT_TRUE(cache.contains(follower.id));
}

TEST(FetchSessionEviction, FollowerEvictsOnlyOldSmallerFollowerSessions) {
    FetchSessionCache cache(1, kEvictMs);
    Session f = open(cache, reqs("f", 2), 0, true);
    // Recent follower session: protected from other followers.
    auto early = cache.new_context(kV12, 0, kInitialEpoch, true, reqs("g", 10), {}, 500);
    EXPECT_EQ(early->select(all_quiet(*early), 500).session_id, kInvalidSessionId);
    age_but_keep_used(cache, f, 1100);
    // Old now (created more than eviction_ms ago), used recently: a larger follower wins.
    auto late = cache.new_context(kV12, 0, kInitialEpoch, true, reqs("g", 10), {}, 1200);
    EXPECT_NE(late->select(all_quiet(*late), 1200).session_id, kInvalidSessionId);
    EXPECT_FALSE(cache.contains(f.id));
}

TEST(FetchSessionEviction, CacheNeverHoldsMoreThanMaxSlots) {
    FetchSessionCache cache(5, kEvictMs);
    for (int i = 0; i < 200; ++i) {
        bool follower = i % 3 == 0;
        int64_t now = i * 100;
        auto ctx =
            cache.new_context(kV12, 0, kInitialEpoch, follower, reqs("t", 1 + i % 7), {}, now);
        ctx->select(all_quiet(*ctx), now);
        ASSERT_LE(cache.size(), 5u);
    }
    EXPECT_EQ(cache.size(), 5u);
    EXPECT_GT(cache.evictions(), 0u);
}

TEST(FetchSessionIds, RandomNonZeroAndUnique) {
    FetchSessionCache cache(500, kEvictMs);
    std::set<int32_t> ids;
    for (int i = 0; i < 500; ++i) {
        Session s = open(cache, reqs("t", 1), 0);
        EXPECT_GT(s.id, 0);
        ids.insert(s.id);
    }
    EXPECT_EQ(ids.size(), 500u);
    // Random, not a counter: consecutive sessions are far apart somewhere.
    EXPECT_GT(*ids.rbegin() - *ids.begin(), 1'000'000);
}

TEST(FetchSessionIds, ShardsHandOutIdsFromTheirRangeInTurn) {
    constexpr int32_t kShards = 4;
    FetchSessionCache cache(8, kEvictMs, kShards);
    const int32_t range = std::numeric_limits<int32_t>::max() / kShards;
    std::vector<int> per_shard(kShards);
    for (int i = 0; i < 8; ++i) {
        Session s = open(cache, reqs("t", 1), 0);
        ASSERT_GT(s.id, 0);
        ASSERT_LT(s.id / range, kShards);
        ++per_shard[s.id / range];
        // Each shard finds its own sessions.
        EXPECT_EQ(incremental(cache, s, 1)->kind(), Kind::incremental);
    }
    EXPECT_EQ(per_shard, (std::vector<int>{2, 2, 2, 2}));
    // Each shard is full (8 / 4 slots each).
    auto ctx = cache.new_context(kV12, 0, kInitialEpoch, false, reqs("t", 1), {}, 2);
    EXPECT_EQ(ctx->select(all_quiet(*ctx), 2).session_id, kInvalidSessionId);
    EXPECT_EQ(cache.size(), 8u);
}

TEST(FetchSessionCacheThreads, ConcurrentFetchesKeepTheCacheConsistent) {
    FetchSessionCache cache(16, kEvictMs, 2);
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 200; ++round) {
                Session s = open(cache, reqs("t" + std::to_string(t), 3), round, t == 0);
                if (s.id == kInvalidSessionId) {
                    continue;
                }
                for (int i = 0; i < 3; ++i) {
                    auto ctx = incremental(cache, s, round);
                    if (ctx->kind() != Kind::incremental) {
                        break;  // evicted by another thread
                    }
                    if (ctx->select(all_quiet(*ctx, round), round).error_code != err::none) {
                        ++errors;
                    }
                }
                cache.new_context(kV12, s.id, kFinalEpoch, false, {}, {}, round);
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(errors.load(), 0);
    EXPECT_LE(cache.size(), 16u);
    EXPECT_EQ(cache.total_partitions(), static_cast<int64_t>(cache.size()) * 3);
}

}  // namespace
}  // namespace gregor::replication

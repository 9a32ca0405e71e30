#pragma once

// Incremental fetch sessions (KIP-227), as Kafka's FetchManager, FetchSessionCache and
// FetchContext implement them.
//
// A Fetch request (v7+) names a session id and an epoch:
//   - epoch 0 (INITIAL): a full fetch. Any session it names is closed; once the partitions were
//     read, a new session caching them is created if the cache has (or can free) a slot, and its id
//     is answered; otherwise the answer carries session id 0 (a sessionless fetch).
//   - epoch -1 (FINAL): a full fetch that closes the session it names and creates none.
//   - epoch > 0: an incremental fetch of an existing session at exactly that epoch. The request
//     lists only partitions that changed (added or with new fetch parameters) and those to forget;
//     the broker reads every partition of the session and answers only those with something new.
// The handler's flow, per request:
//   auto ctx = cache.new_context(...);
//   if (ctx->error_code() != 0) -> answer that top-level error (ctx->select({}, now)) and no data;
//   read ctx->partitions() (in that order) into results;
//   auto sel = ctx->select(results, now);  // answer sel.error_code, sel.session_id, and
//                                          // results[i] for each i in sel.included, in that order.
//
// Topic ids: a request v13+ names topics by id (the caller resolves names; an id it cannot resolve
// stays in the request and in the session with an empty name, and the handler answers that
// partition with UNKNOWN_TOPIC_ID, which the session treats as any partition error). Sessions
// created by v13+ requests key partitions by topic id, older ones by name; an incremental request
// whose version does not match its session's kind gets FETCH_SESSION_TOPIC_ID_ERROR.
//
// Eviction (KIP-227): the cache holds at most max_slots sessions. When full, a new session may
// evict (1) the least recently used session if it has been unused for more than eviction_ms,
// otherwise (2) the least valuable evictable session if the new one is worth more: follower
// (privileged) sessions outrank consumer sessions, then more partitions outrank fewer. A session
// younger than eviction_ms can only be evicted by a privileged session, and only if it is not
// privileged itself.
//
// Like Kafka (KAFKA-9401) the cache may be split into shards, each with its own lock, its own
// range of session ids and max_slots / shards slots; new sessions go to the shards in turn.
//
// Threads: FetchSessionCache is safe to call from any thread; a FetchContext is used by one request
// at a time and must not outlive its cache.

#include "gregor/protocol/wire.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gregor::replication {

// Kafka's FetchMetadata constants.
inline constexpr int32_t kInvalidSessionId = 0;
inline constexpr int32_t kInitialEpoch = 0;
inline constexpr int32_t kFinalEpoch = -1;
// Kafka's KafkaBroker.MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS (not configurable in Kafka).
inline constexpr int64_t kDefaultFetchSessionEvictionMs = 120'000;
// The first Fetch version with sessions, and the first keyed by topic id.
inline constexpr int16_t kFirstSessionFetchVersion = 7;
inline constexpr int16_t kFirstTopicIdFetchVersion = 13;

// Kafka's FetchMetadata.nextEpoch: FINAL stays FINAL; after INT32_MAX comes 1 (0 means INITIAL).
int32_t next_fetch_epoch(int32_t epoch);

struct FetchPartitionKey {
    protocol::Uuid topic_id;  // zero before v13
    std::string topic;        // resolved by the caller; empty when the id is unknown
    int32_t partition = 0;
};

struct FetchPartitionRequest {
    FetchPartitionKey key;
    int64_t fetch_offset = 0;
    int64_t log_start_offset = -1;  // the fetcher's (followers); -1 for consumers
    int32_t max_bytes = 0;
    int32_t current_leader_epoch = -1;
    int32_t last_fetched_epoch = -1;
};

// What the handler read for one partition; what the session compares with its cached state.
struct FetchPartitionResult {
    int16_t error_code = 0;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;  // not compared: Kafka's sessions only track the HW
    int64_t log_start_offset = -1;
    bool has_records = false;             // records of non-zero size
    int32_t preferred_read_replica = -1;  // -1: none
    bool has_diverging_epoch = false;
};

// Answers a name for a topic id, or "" when it is unknown. Called with the cache's locks held: it
// must not call back into the cache.
using TopicNameResolver = std::function<std::string(const protocol::Uuid&)>;

class FetchSessionCache;
namespace detail {
class FetchSession;
}

// One per Fetch request.
class FetchContext {
public:
    enum class Kind { session_error, sessionless, full, incremental };

    struct Selection {
        int32_t session_id = kInvalidSessionId;
        std::vector<size_t> included;  // indexes into the results, in response order
        int16_t error_code = 0;        // top-level error of the response
    };

    ~FetchContext();
    FetchContext(const FetchContext&) = delete;
    FetchContext& operator=(const FetchContext&) = delete;

    Kind kind() const { return kind_; }
    // FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR or 0.
    int16_t error_code() const { return error_; }
    // The partitions to read, in response order: a full fetch's own (duplicates merged, the first
    // position and the last parameters kept), or every partition of an incremental session.
    const std::vector<FetchPartitionRequest>& partitions() const { return partitions_; }

    // After the handler read every partition (results[i] for partitions()[i]): creates the session
    // (full fetch) or updates its cached state (incremental), and says which results the response
    // carries. An incremental fetch leaves out partitions with nothing new (no records, no error,
    // same HW and log start offset, no preferred replica, no diverging epoch) and moves partitions
    // that returned records to the end of the session's order, so each gets its turn at max_bytes.
    // If another request used the session since this context was made, the answer is
    // INVALID_FETCH_SESSION_EPOCH with no partitions.
    Selection select(std::span<const FetchPartitionResult> results, int64_t now_ms);

    // The answer when the request is throttled: no partitions and the session left as it is.
    Selection throttled() const;

private:
    friend class FetchSessionCache;
    FetchContext(Kind kind, int16_t error);

    Kind kind_;
    int16_t error_;
    bool uses_topic_ids_ = false;
    bool from_follower_ = false;
    int32_t request_epoch_ = 0;
    std::vector<FetchPartitionRequest> partitions_;
    FetchSessionCache* cache_ = nullptr;             // full: where the session is created
    std::shared_ptr<detail::FetchSession> session_;  // incremental
};

class FetchSessionCache {
public:
    // max_slots: max.incremental.fetch.session.cache.slots (Kafka's default 1000); each of the
    // `shards` shards holds max_slots / shards sessions.
    FetchSessionCache(int32_t max_slots,
                      int64_t eviction_ms = kDefaultFetchSessionEvictionMs,
                      int32_t shards = 1);
    ~FetchSessionCache();
    FetchSessionCache(const FetchSessionCache&) = delete;
    FetchSessionCache& operator=(const FetchSessionCache&) = delete;

    // Kafka's FetchManager.newContext. `version` is the Fetch request's; before v7 there are no
    // sessions (the context is sessionless whatever the ids say).
    std::unique_ptr<FetchContext> new_context(int16_t version,
                                              int32_t session_id,
                                              int32_t session_epoch,
                                              bool from_follower,
                                              std::vector<FetchPartitionRequest> fetch_data,
                                              std::vector<FetchPartitionKey> forgotten,
                                              int64_t now_ms,
                                              const TopicNameResolver& resolve = {});

    // For metrics (NumIncrementalFetchSessions, NumIncrementalFetchPartitionsCached,
    // IncrementalFetchSessionEvictionsPerSec) and tests.
    size_t size() const;
    int64_t total_partitions() const;
    uint64_t evictions() const;
    bool contains(int32_t session_id) const;

    class Shard;

private:
    friend class FetchContext;
    Shard* shard_of(int32_t session_id) const;  // nullptr for ids no shard hands out
    Shard& next_shard();

    std::vector<std::unique_ptr<Shard>> shards_;
    int32_t id_range_;
    std::atomic<uint32_t> next_shard_{0};
};

}  // namespace gregor::replication

#include "gregor/replication/fetch_session.h"

#include "gregor/common/assert.h"
#include "gregor/protocol/error_codes.h"

#include <algorithm>
#include <limits>
#include <list>
#include <mutex>
#include <random>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace gregor::replication {

namespace err = protocol::error;

int32_t next_fetch_epoch(int32_t epoch) {
    if (epoch < 0) {
        return kFinalEpoch;
    }
    if (epoch == std::numeric_limits<int32_t>::max()) {
        return 1;
    }
    return epoch + 1;
}

namespace {

// As Kafka's CachedPartition equality: by topic id when there is one, else by name (so a partition
// whose id could not be resolved still matches itself once its name is known).
struct PartKey {
    std::array<uint8_t, 16> id{};
    std::string name;
    int32_t partition = 0;
    bool operator==(const PartKey&) const = default;
};

PartKey key_of(const FetchPartitionKey& k) {
    if (!k.topic_id.is_zero()) {
        return {k.topic_id.bytes, {}, k.partition};
    }
    return {{}, k.topic, k.partition};
}

struct PartKeyHash {
    size_t operator()(const PartKey& k) const {
        size_t h = std::hash<std::string>{}(k.name);
        for (uint8_t b : k.id) {
            h = h * 131 + b;
        }
        return h * 31 + static_cast<size_t>(static_cast<uint32_t>(k.partition));
    }
};

// Kafka keys a request's partitions by a map: a repeated partition keeps its first position and
// takes its last parameters.
void dedupe_into(const FetchPartitionRequest& p,
                 std::unordered_map<PartKey, size_t, PartKeyHash>& seen,
                 std::vector<FetchPartitionRequest>& out) {
    auto [it, inserted] = seen.try_emplace(key_of(p.key), out.size());
    if (inserted) {
        out.push_back(p);
    } else {
        out[it->second] = p;
    }
}

}  // namespace

namespace detail {

// The session's cached view of one partition: the fetcher's last parameters and the last HW and
// log start offset it was told.
struct CachedPartition {
    FetchPartitionRequest request;
    int64_t high_watermark = -1;
    int64_t local_log_start_offset = -1;

    // Kafka's CachedPartition.maybeUpdateResponseData with updateResponseData = true.
    bool update_and_check(const FetchPartitionResult& r) {
        bool must = r.has_records;
        if (high_watermark != r.high_watermark) {
            must = true;
            high_watermark = r.high_watermark;
        }
        if (local_log_start_offset != r.log_start_offset) {
            must = true;
            local_log_start_offset = r.log_start_offset;
        }
        if (r.preferred_read_replica != -1 || r.has_diverging_epoch) {
            must = true;
        }
        if (r.error_code != err::none) {
            // Forget the HW so the partition is sent again once the error is gone.
            high_watermark = -1;
            must = true;
        }
        return must;
    }
};

class FetchSession {
public:
    FetchSession(int32_t session_id, bool is_privileged, bool with_topic_ids, int64_t now_ms)
        : id(session_id),
          privileged(is_privileged),
          uses_topic_ids(with_topic_ids),
          creation_ms(now_ms),
          epoch(next_fetch_epoch(kInitialEpoch)) {}

    const int32_t id;
    const bool privileged;
    const bool uses_topic_ids;
    const int64_t creation_ms;

    // Guards everything below except the shard's bookkeeping.
    std::mutex mutex;
    int32_t epoch;

    // Owned by the shard, read and written under the shard's lock only.
    int64_t last_used_ms = 0;
    int32_t cached_size = -1;  // -1: not in the shard's eviction sets yet

    size_t size() const { return parts_.size(); }
    bool empty() const { return parts_.empty(); }

    CachedPartition* find(const FetchPartitionKey& k) {
        auto it = index_.find(key_of(k));
        return it == index_.end() ? nullptr : &*it->second;
    }

    // Adds the partition at the end, or updates its fetch parameters in place.
    void upsert(const FetchPartitionRequest& req) {
        auto [it, inserted] = index_.try_emplace(key_of(req.key));
        if (inserted) {
            parts_.push_back(CachedPartition{req});
            it->second = std::prev(parts_.end());
            return;
        }
        FetchPartitionRequest& cached = it->second->request;
        std::string name = std::move(cached.key.topic);
        cached = req;
        if (cached.key.topic.empty()) {
            cached.key.topic = std::move(name);
        }
    }

    // Full fetches build the session with what was just answered.
    void add_answered(const FetchPartitionRequest& req, const FetchPartitionResult& res) {
        upsert(req);
        CachedPartition* p = find(req.key);
        p->high_watermark = res.error_code == err::none ? res.high_watermark : -1;
        p->local_log_start_offset = res.log_start_offset;
    }

    bool forget(const FetchPartitionKey& k) {
        auto it = index_.find(key_of(k));
        if (it == index_.end()) {
            return false;
        }
        parts_.erase(it->second);
        index_.erase(it);
        return true;
    }

    void move_to_end(const FetchPartitionKey& k) {
        auto it = index_.find(key_of(k));
        if (it != index_.end()) {
            parts_.splice(parts_.end(), parts_, it->second);
        }
    }

    // The partitions to read, resolving names of ids that were unknown when they were added.
    std::vector<FetchPartitionRequest> snapshot(const TopicNameResolver& resolve) {
        std::vector<FetchPartitionRequest> out;
        out.reserve(parts_.size());
        for (CachedPartition& p : parts_) {
            FetchPartitionKey& key = p.request.key;
            if (uses_topic_ids && key.topic.empty() && resolve) {
                key.topic = resolve(key.topic_id);
            }
            out.push_back(p.request);
        }
        return out;
    }

private:
    std::list<CachedPartition> parts_;  // response order
    std::unordered_map<PartKey, std::list<CachedPartition>::iterator, PartKeyHash> index_;
};

}  // namespace detail

using detail::FetchSession;

// Kafka's FetchSessionCacheShard: sessions, their last-used order and the two eviction orders.
class FetchSessionCache::Shard {
public:
    Shard(int32_t max_entries, int64_t eviction_ms, int32_t id_range, int32_t shard_num)
        : max_entries_(max_entries),
          eviction_ms_(eviction_ms),
          id_range_(id_range),
          shard_num_(shard_num),
          rng_(std::random_device{}()) {}

    std::mutex& mutex() const { return mutex_; }

    std::shared_ptr<FetchSession> get_locked(int32_t id) const {
        auto it = sessions_.find(id);
        return it == sessions_.end() ? nullptr : it->second;
    }

    void remove(int32_t id) {
        std::lock_guard lock(mutex_);
        if (auto s = get_locked(id)) {
            remove_locked(*s);
        }
    }

    void remove_locked(FetchSession& s) {
        last_used_.erase({s.last_used_ms, s.id});
        evictable_by_all_.erase(evictable_key(s));
        evictable_by_privileged_.erase(evictable_key(s));
        if (sessions_.erase(s.id) > 0) {
            num_partitions_ -= s.cached_size;
        }
    }

    // Kafka's touch: refresh the session's place in the last-used and eviction orders. `size` is
    // the session's partition count, read under its lock by the caller.
    void touch_locked(FetchSession& s, int64_t now_ms, size_t size) {
        last_used_.erase({s.last_used_ms, s.id});
        s.last_used_ms = now_ms;
        last_used_.insert({s.last_used_ms, s.id});
        if (s.cached_size != -1) {
            evictable_by_all_.erase(evictable_key(s));
            evictable_by_privileged_.erase(evictable_key(s));
            num_partitions_ -= s.cached_size;
        }
        s.cached_size = static_cast<int32_t>(size);
        bool old = now_ms - s.creation_ms > eviction_ms_;
        if (!s.privileged || old) {
            evictable_by_privileged_.insert(evictable_key(s));
        }
        if (old) {
            evictable_by_all_.insert(evictable_key(s));
        }
        num_partitions_ += s.cached_size;
    }

    // Kafka's maybeCreateSession: `build` fills the new session's partitions.
    template <typename Build>
    int32_t maybe_create(
        int64_t now_ms, bool privileged, size_t size, bool uses_topic_ids, Build&& build) {
        std::lock_guard lock(mutex_);
        if (static_cast<int64_t>(sessions_.size()) >= max_entries_
            && !try_evict_locked(privileged, size, now_ms)) {
            return kInvalidSessionId;
        }
        auto s =
            std::make_shared<FetchSession>(new_id_locked(), privileged, uses_topic_ids, now_ms);
        build(*s);  // not yet shared: no other thread can see it
        sessions_.emplace(s->id, s);
        touch_locked(*s, now_ms, s->size());
        return s->id;
    }

    size_t size() const {
        std::lock_guard lock(mutex_);
        return sessions_.size();
    }
    int64_t total_partitions() const {
        std::lock_guard lock(mutex_);
        return num_partitions_;
    }
    uint64_t evictions() const {
        std::lock_guard lock(mutex_);
        return evictions_;
    }

private:
    // Ordered as Kafka's EvictableKey: unprivileged before privileged, then smaller first.
    using EvictableKey = std::tuple<bool, int32_t, int32_t>;
    static EvictableKey evictable_key(const FetchSession& s) {
        return {s.privileged, s.cached_size, s.id};
    }

    // Kafka's newSessionId: random, unique, never 0, within this shard's range.
    int32_t new_id_locked() {
        int32_t lo = std::max(1, shard_num_ * id_range_);
        int32_t hi = (shard_num_ + 1) * id_range_ - 1;
        std::uniform_int_distribution<int32_t> dist(lo, hi);
        int32_t id;
        do {
            id = dist(rng_);
        } while (id == kInvalidSessionId || sessions_.contains(id));
        return id;
    }

    // Kafka's tryEvict: a stale session first, else the least valuable one the new session
    // outranks.
    bool try_evict_locked(bool privileged, size_t size, int64_t now_ms) {
        if (last_used_.empty()) {
            return false;
        }
        auto [last_used_ms, stale_id] = *last_used_.begin();
        if (now_ms - last_used_ms > eviction_ms_) {
            evict_locked(stale_id);
            return true;
        }
        auto& candidates = privileged ? evictable_by_privileged_ : evictable_by_all_;
        if (candidates.empty()) {
            return false;
        }
        // Id 0 ranks below every real id: an equal session is never evicted.
        EvictableKey proposed{privileged, static_cast<int32_t>(size), 0};
        if (proposed < *candidates.begin()) {
            return false;
        }
        evict_locked(std::get<2>(*candidates.begin()));
        return true;
    }

    void evict_locked(int32_t id) {
        std::shared_ptr<FetchSession> s = get_locked(id);
        GREGOR_ASSERT(s != nullptr, "fetch session eviction order names a missing session");
        remove_locked(*s);
        ++evictions_;
    }

    mutable std::mutex mutex_;
    const int32_t max_entries_;
    const int64_t eviction_ms_;
    const int32_t id_range_;
    const int32_t shard_num_;
    std::mt19937 rng_;
    std::unordered_map<int32_t, std::shared_ptr<FetchSession>> sessions_;
    std::set<std::pair<int64_t, int32_t>> last_used_;
    std::set<EvictableKey> evictable_by_all_;
    std::set<EvictableKey> evictable_by_privileged_;
    int64_t num_partitions_ = 0;
    uint64_t evictions_ = 0;
};

// --- FetchContext ---

FetchContext::FetchContext(Kind kind, int16_t error) : kind_(kind), error_(error) {}
FetchContext::~FetchContext() = default;

FetchContext::Selection FetchContext::select(std::span<const FetchPartitionResult> results,
                                             int64_t now_ms) {
    Selection sel;
    switch (kind_) {
        case Kind::session_error:
            sel.error_code = error_;
            return sel;
        case Kind::sessionless:
        case Kind::full: {
            GREGOR_ASSERT(results.size() == partitions_.size(), "one fetch result per partition");
            sel.included.resize(results.size());
            for (size_t i = 0; i < results.size(); ++i) {
                sel.included[i] = i;
            }
            if (kind_ == Kind::full) {
                sel.session_id = cache_->next_shard().maybe_create(
                    now_ms, from_follower_, partitions_.size(), uses_topic_ids_,
                    [&](FetchSession& s) {
                        for (size_t i = 0; i < partitions_.size(); ++i) {
                            s.add_answered(partitions_[i], results[i]);
                        }
                    });
            }
            return sel;
        }
        case Kind::incremental: {
            GREGOR_ASSERT(results.size() == partitions_.size(), "one fetch result per partition");
            sel.session_id = session_->id;
            std::lock_guard lock(session_->mutex);
            // Another request with the same epoch (a duplicate) got there first.
            if (session_->epoch != next_fetch_epoch(request_epoch_)) {
                sel.error_code = err::invalid_fetch_session_epoch;
                return sel;
            }
            for (size_t i = 0; i < results.size(); ++i) {
                detail::CachedPartition* cached = session_->find(partitions_[i].key);
                if (cached == nullptr || !cached->update_and_check(results[i])) {
                    continue;
                }
                sel.included.push_back(i);
                if (results[i].has_records) {
                    session_->move_to_end(partitions_[i].key);
                }
            }
            return sel;
        }
    }
    return sel;
}

FetchContext::Selection FetchContext::throttled() const {
    Selection sel;
    if (kind_ != Kind::incremental) {
        // As Kafka: even a session error is answered with NONE when throttled.
        return sel;
    }
    sel.session_id = session_->id;
    std::lock_guard lock(session_->mutex);
    if (session_->epoch != next_fetch_epoch(request_epoch_)) {
        sel.error_code = err::invalid_fetch_session_epoch;
    }
    return sel;
}

// --- FetchSessionCache ---

FetchSessionCache::FetchSessionCache(int32_t max_slots, int64_t eviction_ms, int32_t shards) {
    GREGOR_ASSERT(shards >= 1 && max_slots >= 0, "fetch session cache: bad size");
    id_range_ = std::numeric_limits<int32_t>::max() / shards;
    for (int32_t i = 0; i < shards; ++i) {
        shards_.push_back(std::make_unique<Shard>(max_slots / shards, eviction_ms, id_range_, i));
    }
}

FetchSessionCache::~FetchSessionCache() = default;

FetchSessionCache::Shard* FetchSessionCache::shard_of(int32_t session_id) const {
    if (session_id <= 0) {
        return nullptr;
    }
    size_t n = static_cast<size_t>(session_id / id_range_);
    return n < shards_.size() ? shards_[n].get() : nullptr;
}

FetchSessionCache::Shard& FetchSessionCache::next_shard() {
    return *shards_[next_shard_.fetch_add(1, std::memory_order_relaxed) % shards_.size()];
}

std::unique_ptr<FetchContext> FetchSessionCache::new_context(
    int16_t version,
    int32_t session_id,
    int32_t session_epoch,
    bool from_follower,
    std::vector<FetchPartitionRequest> fetch_data,
    std::vector<FetchPartitionKey> forgotten,
    int64_t now_ms,
    const TopicNameResolver& resolve) {
    using Kind = FetchContext::Kind;
    if (version < kFirstSessionFetchVersion) {
        session_id = kInvalidSessionId;
        session_epoch = kFinalEpoch;
    }
    bool uses_topic_ids = version >= kFirstTopicIdFetchVersion;

    if (session_epoch == kInitialEpoch || session_epoch == kFinalEpoch) {
        // A full fetch closes the session it names.
        if (Shard* shard = shard_of(session_id)) {
            shard->remove(session_id);
        }
        Kind kind = session_epoch == kFinalEpoch ? Kind::sessionless : Kind::full;
        std::unique_ptr<FetchContext> ctx(new FetchContext(kind, err::none));
        std::unordered_map<PartKey, size_t, PartKeyHash> seen;
        ctx->partitions_.reserve(fetch_data.size());
        for (const FetchPartitionRequest& p : fetch_data) {
            dedupe_into(p, seen, ctx->partitions_);
        }
        ctx->uses_topic_ids_ = uses_topic_ids;
        ctx->from_follower_ = from_follower;
        ctx->cache_ = this;
        return ctx;
    }

    auto error = [](int16_t code) {
        return std::unique_ptr<FetchContext>(new FetchContext(Kind::session_error, code));
    };
    Shard* shard = shard_of(session_id);
    if (shard == nullptr) {
        return error(err::fetch_session_id_not_found);
    }
    std::lock_guard shard_lock(shard->mutex());
    std::shared_ptr<FetchSession> session = shard->get_locked(session_id);
    if (session == nullptr) {
        return error(err::fetch_session_id_not_found);
    }
    std::lock_guard session_lock(session->mutex);
    if (session->epoch != session_epoch) {
        return error(err::invalid_fetch_session_epoch);
    }
    if (session->uses_topic_ids != uses_topic_ids) {
        return error(err::fetch_session_topic_id_error);
    }
    for (const FetchPartitionRequest& p : fetch_data) {
        session->upsert(p);
    }
    for (const FetchPartitionKey& k : forgotten) {
        session->forget(k);
    }
    if (session->empty()) {
        // Nothing left to fetch: the session ends and the request is answered without one.
        shard->remove_locked(*session);
        std::unique_ptr<FetchContext> ctx(new FetchContext(Kind::sessionless, err::none));
        std::unordered_map<PartKey, size_t, PartKeyHash> seen;
        for (const FetchPartitionRequest& p : fetch_data) {
            dedupe_into(p, seen, ctx->partitions_);
        }
        return ctx;
    }
    shard->touch_locked(*session, now_ms, session->size());
    session->epoch = next_fetch_epoch(session->epoch);
    std::unique_ptr<FetchContext> ctx(new FetchContext(Kind::incremental, err::none));
    ctx->partitions_ = session->snapshot(resolve);
    ctx->uses_topic_ids_ = uses_topic_ids;
    ctx->from_follower_ = from_follower;
    ctx->request_epoch_ = session_epoch;
    ctx->session_ = std::move(session);
    return ctx;
}

size_t FetchSessionCache::size() const {
    size_t n = 0;
    for (const auto& s : shards_) {
        n += s->size();
    }
    return n;
}

int64_t FetchSessionCache::total_partitions() const {
    int64_t n = 0;
    for (const auto& s : shards_) {
        n += s->total_partitions();
    }
    return n;
}

uint64_t FetchSessionCache::evictions() const {
    uint64_t n = 0;
    for (const auto& s : shards_) {
        n += s->evictions();
    }
    return n;
}

bool FetchSessionCache::contains(int32_t session_id) const {
    Shard* shard = shard_of(session_id);
    if (shard == nullptr) {
        return false;
    }
    std::lock_guard lock(shard->mutex());
    return shard->get_locked(session_id) != nullptr;
}

}  // namespace gregor::replication

#include "gregor/coordinator/group_coordinator.h"

#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/group.h"
#include "gregor/protocol/messages/group_records.h"
#include "gregor/protocol/wire.h"

#include <algorithm>
#include <random>

namespace gregor::coordinator {

namespace errc = protocol::error;
namespace asio = boost::asio;

const char* to_string(GroupState s) {
    switch (s) {
        case GroupState::empty:
            return "Empty";
        case GroupState::preparing_rebalance:
            return "PreparingRebalance";
        case GroupState::completing_rebalance:
            return "CompletingRebalance";
        case GroupState::stable:
            return "Stable";
        case GroupState::dead:
            return "Dead";
    }
    return "Dead";
}

struct GroupCoordinator::Member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::vector<Protocol> protocols;
    Bytes assignment;
    JoinCallback awaiting_join;
    SyncCallback awaiting_sync;
    std::unique_ptr<asio::steady_timer> heartbeat;
    uint64_t heartbeat_epoch = 0;

    const Bytes* metadata_for(const std::string& protocol) const {
        for (const auto& p : protocols) {
            if (p.name == protocol) {
                return &p.metadata;
            }
        }
        return nullptr;
    }
};

struct GroupCoordinator::Group {
    std::string id;
    GroupState state = GroupState::empty;
    int32_t generation = 0;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    std::string leader;
    int64_t empty_since_ms = 0;  // wall clock; offsets expire counting from it (KIP-211)
    std::map<std::string, std::unique_ptr<Member>> members;
    std::map<std::string, std::string> static_members;  // group.instance.id -> member id
    std::set<std::string> pending;                      // MEMBER_ID_REQUIRED, not yet rejoined
    std::map<std::string, std::unique_ptr<asio::steady_timer>> pending_timers;
    std::unique_ptr<asio::steady_timer> join_timer;
    uint64_t join_epoch = 0;
    bool initial_delay = false;  // the first join of an empty group waits for more members
    bool new_member_added = false;

    bool all_members_joined() const {
        if (!pending.empty()) {
            return false;
        }
        return std::all_of(members.begin(), members.end(), [](const auto& m) {
            return static_cast<bool>(m.second->awaiting_join);
        });
    }
    int32_t max_rebalance_timeout() const {
        int32_t t = 0;
        for (const auto& [member_id, m] : members) {
            t = std::max(t, m->rebalance_timeout_ms);
        }
        return t;
    }
};

namespace {

bool same_protocols(const std::vector<Protocol>& a, const std::vector<Protocol>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].name != b[i].name || a[i].metadata != b[i].metadata) {
            return false;
        }
    }
    return true;
}

JoinResult join_error(int16_t error, std::string member_id = {}) {
    JoinResult r;
    r.error = error;
    r.member_id = std::move(member_id);
    return r;
}

SyncResult sync_error(int16_t error) {
    SyncResult r;
    r.error = error;
    return r;
}

// The topics a consumer-protocol member subscribes to (ConsumerProtocolSubscription).
std::set<std::string> subscribed_topics(const Bytes& metadata) {
    std::set<std::string> out;
    protocol::Reader r(metadata);
    const int16_t version = r.read_int16();
    if (!r.ok() || version < 0) {
        return out;
    }
    protocol::ConsumerProtocolSubscription sub;
    sub.read(r, std::min<int16_t>(version, protocol::ConsumerProtocolSubscription::max_version));
    if (r.ok()) {
        out.insert(sub.topics.begin(), sub.topics.end());
    }
    return out;
}

int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

constexpr int16_t kGroupMetadataKeyVersion = 2;
constexpr int16_t kGroupMetadataValueVersion = 3;

}  // namespace

GroupCoordinator::GroupCoordinator(CoordinatorConfig config) : config_(config) {
    work_.emplace(io_.get_executor());
    expiry_timer_ = std::make_unique<asio::steady_timer>(io_);
    schedule_expiry();
    thread_ = std::thread([this] { io_.run(); });
}

void GroupCoordinator::schedule_expiry() {
    expiry_timer_->expires_after(std::chrono::milliseconds(config_.retention_check_interval_ms));
    expiry_timer_->async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            expire_offsets(wall_clock_ms());
            schedule_expiry();
        }
    });
}

size_t GroupCoordinator::expire_offsets(int64_t now_ms) {
    std::lock_guard lock(mu_);
    size_t expired = 0;
    std::vector<std::string> dead;
    for (auto& [id, g] : groups_) {
        if (g->state != GroupState::empty) {
            continue;  // a live group keeps its offsets
        }
        auto it = offsets_.find(id);
        std::vector<GroupStore::Record> tombstones;
        std::vector<TopicPartitionKey> gone;
        if (it != offsets_.end()) {
            for (const auto& [tp, c] : it->second) {
                // A group that had members counts from when it became empty; a group that only
                // ever took simple commits counts from each commit.
                const int64_t base = g->protocol_type ? g->empty_since_ms : c.commit_timestamp_ms;
                if (now_ms - base >= config_.offsets_retention_ms) {
                    tombstones.push_back(
                        offset_commit_record(id, tp.first, tp.second, std::nullopt));
                    gone.push_back(tp);
                }
            }
        }
        const bool no_offsets_left = it == offsets_.end() || gone.size() == it->second.size();
        if (no_offsets_left && g->pending.empty()) {
            auto metadata = group_metadata_record(*g);
            metadata.value.reset();
            tombstones.push_back(std::move(metadata));
        }
        if (tombstones.empty() || persist(id, tombstones) != 0) {
            continue;  // tried again at the next check
        }
        for (const auto& tp : gone) {
            it->second.erase(tp);
        }
        expired += gone.size();
        if (it != offsets_.end() && it->second.empty()) {
            offsets_.erase(it);
        }
        if (no_offsets_left && g->pending.empty()) {
            dead.push_back(id);
        }
    }
    for (const auto& id : dead) {
        groups_.erase(id);
    }
    return expired;
}

GroupCoordinator::~GroupCoordinator() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) {
        thread_.join();
    }
    expiry_timer_.reset();
    // Timers go before the io_context they were made on.
    std::lock_guard lock(mu_);
    groups_.clear();
}

GroupStore::Record GroupCoordinator::group_metadata_record(const Group& g) const {
    protocol::GroupMetadataKey key;
    key.group = g.id;
    protocol::GroupMetadataValue value;
    value.protocol_type = g.protocol_type.value_or("");
    value.generation = g.generation;
    value.protocol = g.protocol_name;
    value.leader = g.leader.empty() ? std::nullopt : std::optional<std::string>(g.leader);
    value.current_state_timestamp =
        g.state == GroupState::empty ? g.empty_since_ms : wall_clock_ms();
    for (const auto& [id, m] : g.members) {
        auto& out = value.members.emplace_back();
        out.member_id = id;
        out.group_instance_id = m->instance_id;
        out.client_id = m->client_id;
        out.client_host = m->client_host;
        out.rebalance_timeout = m->rebalance_timeout_ms;
        out.session_timeout = m->session_timeout_ms;
        const Bytes* md = g.protocol_name ? m->metadata_for(*g.protocol_name) : nullptr;
        out.subscription = md != nullptr ? *md : Bytes{};
        out.assignment = m->assignment;
    }
    GroupStore::Record r;
    protocol::Writer kw(r.key);
    kw.write_int16(kGroupMetadataKeyVersion);
    key.write(kw, 0);  // the int16 before it is the record type; the struct is version 0
    r.value.emplace();
    protocol::Writer vw(*r.value);
    vw.write_int16(kGroupMetadataValueVersion);
    value.write(vw, kGroupMetadataValueVersion);
    return r;
}

int16_t GroupCoordinator::persist(const std::string& group_id,
                                  const std::vector<GroupStore::Record>& records) {
    if (store_ == nullptr || records.empty()) {
        return 0;
    }
    return store_->append(group_id, records);
}

void GroupCoordinator::replay(std::span<const uint8_t> key,
                              std::optional<std::span<const uint8_t>> value) {
    std::lock_guard lock(mu_);
    protocol::Reader kr(key);
    const int16_t key_version = kr.read_int16();
    if (!kr.ok()) {
        return;
    }
    if (key_version == 0 || key_version == 1) {
        protocol::OffsetCommitKey k;
        k.read(kr, 0);
        if (!kr.ok()) {
            return;
        }
        if (!value) {
            auto it = offsets_.find(k.group);
            if (it != offsets_.end()) {
                it->second.erase({k.topic, k.partition});
                if (it->second.empty()) {
                    offsets_.erase(it);
                }
            }
            return;
        }
        protocol::Reader vr(*value);
        const int16_t vv = vr.read_int16();
        protocol::OffsetCommitValue v;
        if (vr.ok() && vv >= 0 && vv <= 4) {
            v.read(vr, vv);
        }
        if (!vr.ok() || vv < 0 || vv > 4) {
            return;
        }
        int16_t error = 0;
        get_or_create_group(k.group, error);
        offsets_[k.group][{k.topic, k.partition}] =
            CommittedOffset{v.offset, v.leader_epoch, v.metadata, v.commit_timestamp};
        return;
    }
    if (key_version != kGroupMetadataKeyVersion) {
        return;  // consumer-protocol and share group records: not served yet
    }
    protocol::GroupMetadataKey k;
    k.read(kr, 0);
    if (!kr.ok()) {
        return;
    }
    if (!value) {
        groups_.erase(k.group);
        return;
    }
    protocol::Reader vr(*value);
    const int16_t vv = vr.read_int16();
    protocol::GroupMetadataValue v;
    if (vr.ok() && vv >= 0 && vv <= 4) {
        v.read(vr, vv);
    }
    if (!vr.ok() || vv < 0 || vv > 4) {
        return;
    }
    int16_t error = 0;
    Group* g = get_or_create_group(k.group, error);
    if (g == nullptr) {
        return;
    }
    // The group comes back Empty at its generation: members that were in it rejoin (their ids
    // are unknown now, so they get new ones), as after Kafka expires a loaded member.
    g->generation = v.generation;
    if (v.current_state_timestamp >= 0) {
        g->empty_since_ms = v.current_state_timestamp;
    }
    if (!v.protocol_type.empty()) {
        g->protocol_type = v.protocol_type;
    }
}

GroupCoordinator::Group* GroupCoordinator::find_group(const std::string& id) {
    auto it = groups_.find(id);
    return it == groups_.end() ? nullptr : it->second.get();
}

GroupCoordinator::Group* GroupCoordinator::get_or_create_group(const std::string& id,
                                                               int16_t& error) {
    if (auto* g = find_group(id)) {
        return g;
    }
    if (groups_.size() >= config_.max_groups) {
        error = errc::coordinator_not_available;
        return nullptr;
    }
    auto g = std::make_unique<Group>();
    g->id = id;
    g->empty_since_ms = wall_clock_ms();
    g->join_timer = std::make_unique<asio::steady_timer>(io_);
    auto* raw = g.get();
    groups_.emplace(id, std::move(g));
    return raw;
}

std::string GroupCoordinator::new_member_id(const std::string& client_id) {
    // Kafka's member ids are the client id and a random UUID.
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    const uint64_t hi = rng();
    const uint64_t lo = rng() ^ ++next_id_;
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return client_id + "-" + buf;
}

bool GroupCoordinator::supports_protocols(const Group& g, const JoinRequest& req) const {
    if (req.protocol_type.empty() || req.protocols.empty()) {
        return false;
    }
    if (g.members.empty()) {
        return true;
    }
    if (g.protocol_type != req.protocol_type) {
        return false;
    }
    for (const auto& p : req.protocols) {
        bool everyone = true;
        for (const auto& [id, m] : g.members) {
            if (id != req.member_id && m->metadata_for(p.name) == nullptr) {
                everyone = false;
                break;
            }
        }
        if (everyone) {
            return true;
        }
    }
    return false;
}

std::optional<std::string> GroupCoordinator::select_protocol(const Group& g) const {
    if (g.members.empty()) {
        return std::nullopt;
    }
    // Candidates: the protocols every member supports; each member votes for its most preferred.
    std::vector<std::string> candidates;
    for (const auto& p : g.members.at(g.leader)->protocols) {
        bool everyone = std::all_of(g.members.begin(), g.members.end(), [&](const auto& m) {
            return m.second->metadata_for(p.name) != nullptr;
        });
        if (everyone) {
            candidates.push_back(p.name);
        }
    }
    if (candidates.empty()) {
        return std::nullopt;
    }
    std::map<std::string, int> votes;
    for (const auto& [id, m] : g.members) {
        for (const auto& p : m->protocols) {
            if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
                ++votes[p.name];
                break;
            }
        }
    }
    std::string best = candidates.front();
    for (const auto& c : candidates) {
        if (votes[c] > votes[best]) {
            best = c;
        }
    }
    return best;
}

JoinResult GroupCoordinator::join_result(const Group& g, const Member& m) const {
    JoinResult r;
    r.generation_id = g.generation;
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol_name;
    r.leader = g.leader;
    r.member_id = m.id;
    if (m.id == g.leader && g.protocol_name) {
        for (const auto& [id, other] : g.members) {
            const Bytes* md = other->metadata_for(*g.protocol_name);
            r.members.push_back({id, other->instance_id, md != nullptr ? *md : Bytes{}});
        }
    }
    return r;
}

void GroupCoordinator::schedule_heartbeat(Group& g, Member& m) {
    const uint64_t epoch = ++m.heartbeat_epoch;
    m.heartbeat->expires_after(std::chrono::milliseconds(m.session_timeout_ms));
    m.heartbeat->async_wait([this, gid = g.id, mid = m.id, epoch](boost::system::error_code ec) {
        if (!ec) {
            on_heartbeat_expired(gid, mid, epoch);
        }
    });
}

void GroupCoordinator::on_heartbeat_expired(const std::string& group_id,
                                            const std::string& member_id,
                                            uint64_t epoch) {
    std::lock_guard lock(mu_);
    Group* g = find_group(group_id);
    if (g == nullptr) {
        return;
    }
    auto it = g->members.find(member_id);
    if (it == g->members.end() || it->second->heartbeat_epoch != epoch) {
        return;  // left, or heartbeated since
    }
    Member& m = *it->second;
    // A member waiting in a join or sync is alive (Kafka's shouldKeepAlive).
    if (m.awaiting_join || m.awaiting_sync) {
        schedule_heartbeat(*g, m);
        return;
    }
    remove_member(*g, member_id, errc::unknown_member_id);
    maybe_prepare_rebalance(*g);
}

void GroupCoordinator::schedule_join_timer(Group& g,
                                           int32_t delay_ms,
                                           int32_t remaining_ms,
                                           bool initial) {
    const uint64_t epoch = ++g.join_epoch;
    g.initial_delay = initial;
    g.join_timer->expires_after(std::chrono::milliseconds(std::max(delay_ms, 0)));
    g.join_timer->async_wait(
        [this, gid = g.id, epoch, remaining_ms, initial](boost::system::error_code ec) {
            if (!ec) {
                on_join_timer(gid, epoch, remaining_ms, initial);
            }
        });
}

void GroupCoordinator::on_join_timer(const std::string& group_id,
                                     uint64_t epoch,
                                     int32_t remaining_ms,
                                     bool initial) {
    std::lock_guard lock(mu_);
    Group* g = find_group(group_id);
    if (g == nullptr || g->join_epoch != epoch || g->state != GroupState::preparing_rebalance) {
        return;
    }
    // Kafka's InitialDelayedJoin: while members keep arriving, wait again, up to the rebalance
    // timeout.
    if (initial && g->new_member_added && remaining_ms > 0) {
        g->new_member_added = false;
        const int32_t delay = std::min(config_.initial_rebalance_delay_ms, remaining_ms);
        schedule_join_timer(*g, delay, remaining_ms - delay, true);
        return;
    }
    complete_join(*g);
}

void GroupCoordinator::schedule_pending_expiry(Group& g,
                                               const std::string& member_id,
                                               int32_t timeout_ms) {
    auto& timer = g.pending_timers[member_id];
    timer = std::make_unique<asio::steady_timer>(io_);
    timer->expires_after(std::chrono::milliseconds(timeout_ms));
    timer->async_wait([this, gid = g.id, member_id](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        std::lock_guard lock(mu_);
        Group* grp = find_group(gid);
        if (grp == nullptr) {
            return;
        }
        if (grp->pending.erase(member_id) > 0 && grp->state == GroupState::preparing_rebalance) {
            try_complete_join(*grp);
        }
        grp->pending_timers.erase(member_id);
    });
}

void GroupCoordinator::prepare_rebalance(Group& g) {
    if (g.state == GroupState::completing_rebalance) {
        // The assignment being synced is void: members rejoin.
        for (auto& [id, m] : g.members) {
            m->assignment.clear();
            if (m->awaiting_sync) {
                std::exchange(m->awaiting_sync, nullptr)(sync_error(errc::rebalance_in_progress));
            }
        }
    }
    const bool initial = g.state == GroupState::empty;
    g.state = GroupState::preparing_rebalance;
    const int32_t timeout = g.max_rebalance_timeout();
    if (initial) {
        g.new_member_added = false;
        const int32_t delay = std::min(config_.initial_rebalance_delay_ms, timeout);
        schedule_join_timer(g, delay, std::max(timeout - delay, 0), true);
    } else {
        schedule_join_timer(g, timeout, 0, false);
    }
}

void GroupCoordinator::maybe_prepare_rebalance(Group& g) {
    if (g.state == GroupState::stable || g.state == GroupState::completing_rebalance
        || g.state == GroupState::empty) {
        prepare_rebalance(g);
    }
    try_complete_join(g);
}

void GroupCoordinator::try_complete_join(Group& g) {
    if (g.state == GroupState::preparing_rebalance && !g.initial_delay && g.all_members_joined()) {
        complete_join(g);
    }
}

void GroupCoordinator::complete_join(Group& g) {
    ++g.join_epoch;  // the join timer, if still pending, is void
    g.join_timer->cancel();
    g.initial_delay = false;
    // Members that did not rejoin leave, but static ones stay (KIP-345: a restarting instance
    // keeps its place until its session times out) as long as someone rejoined.
    const bool any_joined = std::any_of(g.members.begin(), g.members.end(), [](const auto& m) {
        return bool(m.second->awaiting_join);
    });
    std::vector<std::string> gone;
    for (const auto& [id, m] : g.members) {
        if (!m->awaiting_join && (!m->instance_id || !any_joined)) {
            gone.push_back(id);
        }
    }
    for (const auto& id : gone) {
        remove_member(g, id, errc::unknown_member_id);
    }
    if (auto leader = g.members.find(g.leader);
        leader != g.members.end() && !leader->second->awaiting_join) {
        for (const auto& [id, m] : g.members) {
            if (m->awaiting_join) {
                g.leader = id;  // the leader must be a member that joined this generation
                break;
            }
        }
    }
    ++g.generation;
    if (g.members.empty()) {
        g.protocol_name.reset();
        g.leader.clear();
        g.state = GroupState::empty;
        g.empty_since_ms = wall_clock_ms();
        persist(g.id, {group_metadata_record(g)});
        return;
    }
    g.protocol_name = select_protocol(g);
    g.state = GroupState::completing_rebalance;
    for (auto& [id, m] : g.members) {
        if (auto done = std::exchange(m->awaiting_join, nullptr)) {
            done(join_result(g, *m));
        }
        schedule_heartbeat(g, *m);
    }
    schedule_sync_timer(g);
}

void GroupCoordinator::schedule_sync_timer(Group& g) {
    const uint64_t epoch = ++g.join_epoch;
    g.join_timer->expires_after(std::chrono::milliseconds(g.max_rebalance_timeout()));
    g.join_timer->async_wait([this, gid = g.id, epoch](boost::system::error_code ec) {
        if (!ec) {
            on_sync_timer(gid, epoch);
        }
    });
}

void GroupCoordinator::on_sync_timer(const std::string& group_id, uint64_t epoch) {
    std::lock_guard lock(mu_);
    Group* g = find_group(group_id);
    if (g == nullptr || g->join_epoch != epoch || g->state != GroupState::completing_rebalance) {
        return;
    }
    // Kafka's pending-sync timeout: members that never synced (the leader among them, or the
    // group would be Stable) are dropped and the rest rebalance.
    std::vector<std::string> gone;
    for (const auto& [id, m] : g->members) {
        if (!m->awaiting_sync) {
            gone.push_back(id);
        }
    }
    for (const auto& id : gone) {
        remove_member(*g, id, errc::unknown_member_id);
    }
    maybe_prepare_rebalance(*g);
}

void GroupCoordinator::remove_member(Group& g, const std::string& member_id, int16_t error) {
    auto it = g.members.find(member_id);
    if (it == g.members.end()) {
        return;
    }
    auto m = std::move(it->second);
    g.members.erase(it);
    if (m->instance_id) {
        auto s = g.static_members.find(*m->instance_id);
        if (s != g.static_members.end() && s->second == member_id) {
            g.static_members.erase(s);
        }
    }
    if (m->awaiting_join) {
        std::exchange(m->awaiting_join, nullptr)(join_error(error, member_id));
    }
    if (m->awaiting_sync) {
        std::exchange(m->awaiting_sync, nullptr)(sync_error(error));
    }
    if (g.leader == member_id) {
        g.leader = g.members.empty() ? std::string{} : g.members.begin()->first;
    }
}

void GroupCoordinator::add_member_and_rebalance(Group& g,
                                                const JoinRequest& req,
                                                std::string member_id,
                                                JoinCallback done) {
    auto m = std::make_unique<Member>();
    m->id = member_id;
    m->instance_id = req.group_instance_id;
    m->client_id = req.client_id;
    m->client_host = req.client_host;
    m->session_timeout_ms = req.session_timeout_ms;
    m->rebalance_timeout_ms = req.rebalance_timeout_ms;
    m->protocols = req.protocols;
    m->awaiting_join = std::move(done);
    m->heartbeat = std::make_unique<asio::steady_timer>(io_);
    if (g.members.empty()) {
        g.protocol_type = req.protocol_type;
    }
    if (g.state == GroupState::preparing_rebalance && g.initial_delay) {
        g.new_member_added = true;
    }
    if (req.group_instance_id) {
        g.static_members[*req.group_instance_id] = member_id;
    }
    g.pending.erase(member_id);
    g.pending_timers.erase(member_id);
    if (g.leader.empty()) {
        g.leader = member_id;
    }
    auto* raw = m.get();
    g.members.emplace(member_id, std::move(m));
    schedule_heartbeat(g, *raw);
    maybe_prepare_rebalance(g);
}

void GroupCoordinator::update_member_and_rebalance(Group& g,
                                                   Member& m,
                                                   const JoinRequest& req,
                                                   JoinCallback done) {
    m.protocols = req.protocols;
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    if (m.awaiting_join) {
        // A second join while the first waits: the first is superseded.
        std::exchange(m.awaiting_join, nullptr)(join_error(errc::rebalance_in_progress, m.id));
    }
    m.awaiting_join = std::move(done);
    maybe_prepare_rebalance(g);
}

GroupCoordinator::Member& GroupCoordinator::rename_member(Group& g,
                                                          const std::string& from,
                                                          const std::string& to) {
    auto node = g.members.extract(from);
    Member& m = *node.mapped();
    if (m.awaiting_join) {
        std::exchange(m.awaiting_join, nullptr)(join_error(errc::fenced_instance_id, m.id));
    }
    if (m.awaiting_sync) {
        std::exchange(m.awaiting_sync, nullptr)(sync_error(errc::fenced_instance_id));
    }
    if (g.leader == from) {
        g.leader = to;
    }
    m.id = to;
    node.key() = to;
    if (m.instance_id) {
        g.static_members[*m.instance_id] = to;
    }
    auto inserted = g.members.insert(std::move(node));
    schedule_heartbeat(g, *inserted.position->second);
    return *inserted.position->second;
}

// A static member restarted (KIP-345): its new id replaces and fences the old one. A Stable group
// whose protocol does not change keeps its assignment: no rebalance.
void GroupCoordinator::replace_static_member(Group& g,
                                             const std::string& old_id,
                                             std::string new_id,
                                             const JoinRequest& req,
                                             JoinCallback done) {
    const std::string previous_leader = g.leader;
    Member& m = rename_member(g, old_id, new_id);
    if (g.state != GroupState::stable) {
        if (g.state == GroupState::completing_rebalance) {
            // The leader may be assigning to the old id: rebalance.
            m.protocols = req.protocols;
            m.session_timeout_ms = req.session_timeout_ms;
            m.rebalance_timeout_ms = req.rebalance_timeout_ms;
            m.awaiting_join = std::move(done);
            maybe_prepare_rebalance(g);
            return;
        }
        update_member_and_rebalance(g, m, req, std::move(done));
        return;
    }
    auto old_protocols = std::exchange(m.protocols, req.protocols);
    const int32_t old_session = std::exchange(m.session_timeout_ms, req.session_timeout_ms);
    const int32_t old_rebalance = std::exchange(m.rebalance_timeout_ms, req.rebalance_timeout_ms);
    if (select_protocol(g) != g.protocol_name) {
        update_member_and_rebalance(g, m, req, std::move(done));
        return;
    }
    if (int16_t error = persist(g.id, {group_metadata_record(g)})) {
        m.protocols = std::move(old_protocols);
        m.session_timeout_ms = old_session;
        m.rebalance_timeout_ms = old_rebalance;
        rename_member(g, new_id, old_id);
        JoinResult r = join_error(error);
        r.generation_id = g.generation;
        r.protocol_type = g.protocol_type;
        r.protocol_name = g.protocol_name;
        r.leader = previous_leader;
        done(std::move(r));
        return;
    }
    JoinResult r;
    r.member_id = new_id;
    r.generation_id = g.generation;
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol_name;
    if (req.supports_skip_assignment) {
        // JoinGroup v9+: a restarted leader learns the members but must not reassign.
        const bool leader = g.leader == new_id;
        r.leader = g.leader;
        r.skip_assignment = leader;
        if (leader) {
            r.members = join_result(g, m).members;
        }
    } else {
        r.leader = previous_leader;  // not this member: older clients then just sync
    }
    done(std::move(r));
}

void GroupCoordinator::join_group(JoinRequest req, JoinCallback done) {
    if (req.group_id.empty()) {
        done(join_error(errc::invalid_group_id, req.member_id));
        return;
    }
    if (req.session_timeout_ms < config_.min_session_timeout_ms
        || req.session_timeout_ms > config_.max_session_timeout_ms) {
        done(join_error(errc::invalid_session_timeout, req.member_id));
        return;
    }
    if (req.rebalance_timeout_ms <= 0) {
        req.rebalance_timeout_ms = req.session_timeout_ms;  // JoinGroup v0 has none
    }
    std::lock_guard lock(mu_);
    Group* g = find_group(req.group_id);
    if (g == nullptr) {
        if (!req.member_id.empty()) {
            done(join_error(errc::unknown_member_id, req.member_id));
            return;
        }
        int16_t error = 0;
        g = get_or_create_group(req.group_id, error);
        if (g == nullptr) {
            done(join_error(error, req.member_id));
            return;
        }
    }
    if (g->state == GroupState::dead) {
        done(join_error(errc::coordinator_not_available, req.member_id));
        return;
    }
    if (!supports_protocols(*g, req)) {
        done(join_error(errc::inconsistent_group_protocol, req.member_id));
        return;
    }
    if (req.member_id.empty()) {
        if (g->members.size() + g->pending.size() >= static_cast<size_t>(config_.max_size)) {
            done(join_error(errc::group_max_size_reached));
            return;
        }
        std::string id = new_member_id(req.client_id);
        if (req.group_instance_id) {
            auto known = g->static_members.find(*req.group_instance_id);
            if (known != g->static_members.end()) {
                replace_static_member(*g, known->second, std::move(id), req, std::move(done));
                return;
            }
            add_member_and_rebalance(*g, req, std::move(id), std::move(done));
            return;
        }
        if (req.require_known_member_id) {
            // KIP-394: the client learns its id first, so a lost response leaves no ghost member.
            g->pending.insert(id);
            schedule_pending_expiry(*g, id, req.session_timeout_ms);
            done(join_error(errc::member_id_required, id));
            return;
        }
        add_member_and_rebalance(*g, req, std::move(id), std::move(done));
        return;
    }
    if (g->pending.contains(req.member_id)) {
        add_member_and_rebalance(*g, req, req.member_id, std::move(done));
        return;
    }
    if (req.group_instance_id) {
        auto known = g->static_members.find(*req.group_instance_id);
        if (known != g->static_members.end() && known->second != req.member_id) {
            done(join_error(errc::fenced_instance_id, req.member_id));
            return;
        }
    }
    auto it = g->members.find(req.member_id);
    if (it == g->members.end()) {
        done(join_error(errc::unknown_member_id, req.member_id));
        return;
    }
    Member& m = *it->second;
    switch (g->state) {
        case GroupState::preparing_rebalance:
            update_member_and_rebalance(*g, m, req, std::move(done));
            return;
        case GroupState::completing_rebalance:
            if (same_protocols(m.protocols, req.protocols)) {
                done(join_result(*g, m));  // the join response was lost: the same answer again
            } else {
                update_member_and_rebalance(*g, m, req, std::move(done));
            }
            return;
        case GroupState::stable:
            if (m.id == g->leader || !same_protocols(m.protocols, req.protocols)) {
                update_member_and_rebalance(*g, m, req, std::move(done));
            } else {
                done(join_result(*g, m));
            }
            return;
        case GroupState::empty:
        case GroupState::dead:
            done(join_error(errc::unknown_member_id, req.member_id));
            return;
    }
}

namespace {
// group.instance.id checks shared by sync, heartbeat and commit (Kafka's fencing).
int16_t check_instance(const std::map<std::string, std::string>& static_members,
                       const std::string& member_id,
                       const std::optional<std::string>& instance_id) {
    if (!instance_id) {
        return 0;
    }
    auto it = static_members.find(*instance_id);
    if (it == static_members.end()) {
        return errc::unknown_member_id;
    }
    return it->second == member_id ? int16_t{0} : errc::fenced_instance_id;
}
}  // namespace

void GroupCoordinator::sync_group(SyncRequest req, SyncCallback done) {
    std::lock_guard lock(mu_);
    Group* g = find_group(req.group_id);
    if (g == nullptr) {
        done(sync_error(errc::unknown_member_id));
        return;
    }
    if (g->state == GroupState::dead) {
        done(sync_error(errc::coordinator_not_available));
        return;
    }
    if (int16_t e = check_instance(g->static_members, req.member_id, req.group_instance_id)) {
        done(sync_error(e));
        return;
    }
    auto it = g->members.find(req.member_id);
    if (it == g->members.end()) {
        done(sync_error(errc::unknown_member_id));
        return;
    }
    if (req.generation_id != g->generation) {
        done(sync_error(errc::illegal_generation));
        return;
    }
    if ((req.protocol_type && req.protocol_type != g->protocol_type)
        || (req.protocol_name && req.protocol_name != g->protocol_name)) {
        done(sync_error(errc::inconsistent_group_protocol));
        return;
    }
    Member& m = *it->second;
    switch (g->state) {
        case GroupState::empty:
        case GroupState::dead:
            done(sync_error(errc::unknown_member_id));
            return;
        case GroupState::preparing_rebalance:
            done(sync_error(errc::rebalance_in_progress));
            return;
        case GroupState::stable: {
            schedule_heartbeat(*g, m);
            SyncResult r{0, g->protocol_type, g->protocol_name, m.assignment};
            done(std::move(r));
            return;
        }
        case GroupState::completing_rebalance:
            break;
    }
    if (m.awaiting_sync) {
        std::exchange(m.awaiting_sync, nullptr)(sync_error(errc::rebalance_in_progress));
    }
    m.awaiting_sync = std::move(done);
    schedule_heartbeat(*g, m);
    if (m.id != g->leader) {
        return;
    }
    for (auto& [id, member] : g->members) {
        member->assignment.clear();
    }
    for (auto& [id, assignment] : req.assignments) {
        auto target = g->members.find(id);
        if (target != g->members.end()) {
            target->second->assignment = std::move(assignment);
        }
    }
    if (int16_t error = persist(g->id, {group_metadata_record(*g)})) {
        // The assignment is not durable: the members get the error and rejoin.
        for (auto& [id, member] : g->members) {
            member->assignment.clear();
            if (member->awaiting_sync) {
                std::exchange(member->awaiting_sync, nullptr)(sync_error(error));
            }
        }
        prepare_rebalance(*g);
        return;
    }
    g->state = GroupState::stable;
    for (auto& [id, member] : g->members) {
        if (member->awaiting_sync) {
            SyncResult r{0, g->protocol_type, g->protocol_name, member->assignment};
            std::exchange(member->awaiting_sync, nullptr)(std::move(r));
        }
    }
}

int16_t GroupCoordinator::heartbeat(const std::string& group_id,
                                    const std::string& member_id,
                                    const std::optional<std::string>& group_instance_id,
                                    int32_t generation_id) {
    std::lock_guard lock(mu_);
    Group* g = find_group(group_id);
    if (g == nullptr) {
        return errc::unknown_member_id;
    }
    if (g->state == GroupState::dead) {
        return errc::coordinator_not_available;
    }
    if (int16_t e = check_instance(g->static_members, member_id, group_instance_id)) {
        return e;
    }
    auto it = g->members.find(member_id);
    if (it == g->members.end() || g->state == GroupState::empty) {
        return errc::unknown_member_id;
    }
    if (generation_id != g->generation) {
        return errc::illegal_generation;
    }
    schedule_heartbeat(*g, *it->second);
    // During a rebalance the heartbeat tells the member to rejoin.
    return g->state == GroupState::preparing_rebalance ? errc::rebalance_in_progress : int16_t{0};
}

LeaveResult GroupCoordinator::leave_group(const std::string& group_id,
                                          const std::vector<LeaveMember>& members) {
    std::lock_guard lock(mu_);
    LeaveResult out;
    Group* g = find_group(group_id);
    if (g == nullptr) {
        out.error = errc::unknown_member_id;
        return out;
    }
    if (g->state == GroupState::dead) {
        out.error = errc::coordinator_not_available;
        return out;
    }
    bool changed = false;
    for (const auto& lm : members) {
        std::string id = lm.member_id;
        if (lm.group_instance_id) {
            auto known = g->static_members.find(*lm.group_instance_id);
            if (known == g->static_members.end()) {
                out.member_errors.push_back(errc::unknown_member_id);
                continue;
            }
            if (!lm.member_id.empty() && known->second != lm.member_id) {
                out.member_errors.push_back(errc::fenced_instance_id);
                continue;
            }
            id = known->second;
        } else if (g->pending.erase(id) > 0) {
            g->pending_timers.erase(id);
            out.member_errors.push_back(0);
            try_complete_join(*g);  // the join may have waited for it
            continue;
        }
        if (!g->members.contains(id)) {
            out.member_errors.push_back(errc::unknown_member_id);
            continue;
        }
        remove_member(*g, id, errc::unknown_member_id);
        out.member_errors.push_back(0);
        changed = true;
    }
    if (changed) {
        maybe_prepare_rebalance(*g);
    }
    return out;
}

std::vector<int16_t> GroupCoordinator::commit_offsets(const OffsetCommitRequestData& req,
                                                      int16_t& group_error) {
    std::lock_guard lock(mu_);
    group_error = 0;
    std::vector<int16_t> errors(req.offsets.size(), 0);
    auto fail = [&](int16_t e) {
        group_error = e;
        std::fill(errors.begin(), errors.end(), e);
        return errors;
    };
    if (req.group_id.empty()) {
        return fail(errc::invalid_group_id);
    }
    const bool simple = req.generation_id < 0 && req.member_id.empty() && !req.group_instance_id;
    Group* g = find_group(req.group_id);
    if (g == nullptr) {
        if (!simple) {
            return fail(errc::illegal_generation);  // the group is gone: the member must rejoin
        }
        int16_t error = 0;
        g = get_or_create_group(req.group_id, error);
        if (g == nullptr) {
            return fail(error);
        }
    }
    if (g->state == GroupState::dead) {
        return fail(errc::coordinator_not_available);
    }
    if (!(simple && g->state == GroupState::empty)) {
        if (simple) {
            return fail(errc::unknown_member_id);  // a live group takes no commits from outside
        }
        if (int16_t e = check_instance(g->static_members, req.member_id, req.group_instance_id)) {
            return fail(e);
        }
        if (!g->members.contains(req.member_id)) {
            return fail(errc::unknown_member_id);
        }
        if (req.generation_id != g->generation) {
            return fail(errc::illegal_generation);
        }
        if (g->state == GroupState::completing_rebalance) {
            return fail(errc::rebalance_in_progress);
        }
        schedule_heartbeat(*g, *g->members.at(req.member_id));
    }
    std::vector<GroupStore::Record> records;
    for (size_t i = 0; i < req.offsets.size(); ++i) {
        const auto& o = req.offsets[i];
        if (o.committed.metadata
            && o.committed.metadata->size()
                   > static_cast<size_t>(config_.offset_metadata_max_bytes)) {
            errors[i] = errc::offset_metadata_too_large;
            continue;
        }
        records.push_back(offset_commit_record(req.group_id, o.topic, o.partition, o.committed));
    }
    if (int16_t error = persist(req.group_id, records)) {
        for (auto& e : errors) {
            e = e != 0 ? e : error;
        }
        return errors;
    }
    auto& committed = offsets_[req.group_id];
    for (size_t i = 0; i < req.offsets.size(); ++i) {
        if (errors[i] == 0) {
            committed[{req.offsets[i].topic, req.offsets[i].partition}] = req.offsets[i].committed;
        }
    }
    return errors;
}

std::map<TopicPartitionKey, CommittedOffset> GroupCoordinator::fetch_offsets(
    const std::string& group_id, const std::optional<std::vector<TopicPartitionKey>>& which) {
    std::lock_guard lock(mu_);
    std::map<TopicPartitionKey, CommittedOffset> out;
    auto it = offsets_.find(group_id);
    if (it == offsets_.end()) {
        return out;
    }
    if (!which) {
        return it->second;
    }
    for (const auto& tp : *which) {
        auto found = it->second.find(tp);
        if (found != it->second.end()) {
            out.emplace(tp, found->second);
        }
    }
    return out;
}

int16_t GroupCoordinator::delete_offsets(const std::string& group_id,
                                         const std::vector<TopicPartitionKey>& partitions,
                                         std::vector<int16_t>& partition_errors) {
    std::lock_guard lock(mu_);
    partition_errors.assign(partitions.size(), 0);
    Group* g = find_group(group_id);
    if (g == nullptr || g->state == GroupState::dead) {
        return errc::group_id_not_found;
    }
    std::set<std::string> subscribed;
    if (g->state != GroupState::empty) {
        if (g->protocol_type != "consumer") {
            return errc::non_empty_group;
        }
        for (const auto& [id, m] : g->members) {
            const Bytes* md = g->protocol_name ? m->metadata_for(*g->protocol_name) : nullptr;
            if (md == nullptr && !m->protocols.empty()) {
                md = &m->protocols.front().metadata;
            }
            if (md != nullptr) {
                subscribed.merge(subscribed_topics(*md));
            }
        }
    }
    auto it = offsets_.find(group_id);
    std::vector<GroupStore::Record> tombstones;
    for (size_t i = 0; i < partitions.size(); ++i) {
        if (subscribed.contains(partitions[i].first)) {
            partition_errors[i] = errc::group_subscribed_to_topic;
        } else if (it != offsets_.end() && it->second.contains(partitions[i])) {
            tombstones.push_back(offset_commit_record(group_id, partitions[i].first,
                                                      partitions[i].second, std::nullopt));
        }
    }
    if (int16_t error = persist(group_id, tombstones)) {
        return error;
    }
    for (size_t i = 0; i < partitions.size(); ++i) {
        if (partition_errors[i] == 0 && it != offsets_.end()) {
            it->second.erase(partitions[i]);
        }
    }
    return 0;
}

GroupDescription GroupCoordinator::describe_group(const std::string& group_id) {
    std::lock_guard lock(mu_);
    GroupDescription d;
    d.group_id = group_id;
    Group* g = find_group(group_id);
    if (g == nullptr) {
        d.error = errc::group_id_not_found;
        d.state = to_string(GroupState::dead);
        return d;
    }
    d.state = to_string(g->state);
    d.protocol_type = g->protocol_type.value_or("");
    const bool stable = g->state == GroupState::stable;
    if (stable) {
        d.protocol_data = g->protocol_name.value_or("");
    }
    for (const auto& [id, m] : g->members) {
        DescribedMember dm;
        dm.member_id = id;
        dm.group_instance_id = m->instance_id;
        dm.client_id = m->client_id;
        dm.client_host = m->client_host;
        if (stable) {
            // Kafka shows metadata and assignment only once the group is Stable.
            const Bytes* md = m->metadata_for(d.protocol_data);
            dm.metadata = md != nullptr ? *md : Bytes{};
            dm.assignment = m->assignment;
        }
        d.members.push_back(std::move(dm));
    }
    return d;
}

std::vector<GroupListing> GroupCoordinator::list_groups() {
    std::lock_guard lock(mu_);
    std::vector<GroupListing> out;
    for (const auto& [id, g] : groups_) {
        out.push_back({id, g->protocol_type.value_or(""), to_string(g->state)});
    }
    return out;
}

int16_t GroupCoordinator::delete_group(const std::string& group_id) {
    std::lock_guard lock(mu_);
    Group* g = find_group(group_id);
    if (g == nullptr || g->state == GroupState::dead) {
        return errc::group_id_not_found;
    }
    if (g->state != GroupState::empty || !g->members.empty()) {
        return errc::non_empty_group;
    }
    // Tombstones for every offset and the group itself, as Kafka's deleteGroups writes them.
    std::vector<GroupStore::Record> tombstones;
    if (auto it = offsets_.find(group_id); it != offsets_.end()) {
        for (const auto& [tp, c] : it->second) {
            tombstones.push_back(offset_commit_record(group_id, tp.first, tp.second, std::nullopt));
        }
    }
    auto metadata = group_metadata_record(*g);
    metadata.value.reset();
    tombstones.push_back(std::move(metadata));
    if (int16_t error = persist(group_id, tombstones)) {
        return error;
    }
    g->state = GroupState::dead;
    groups_.erase(group_id);
    offsets_.erase(group_id);
    return 0;
}

}  // namespace gregor::coordinator

#pragma once

// The classic group coordinator (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and the committed
// offsets of its groups. Every group on this node lives here; handlers call in from any network
// thread. Joins and syncs complete later (when the members have rejoined, the leader has synced
// or a timer fired): their callbacks run on the coordinator's timer thread or on the caller's
// thread, with the coordinator's lock held, so they must only hand the result on (post it to the
// connection's executor) and never call back into the coordinator.
//
// With a GroupStore, offsets and group metadata are also appended to __consumer_offsets in
// Kafka's record formats (group_records.h), and replay() rebuilds them from there at startup.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace gregor::coordinator {

using Bytes = std::vector<uint8_t>;

struct CoordinatorConfig {
    int32_t initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
    int32_t min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
    int32_t max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
    int32_t max_size = 2147483647;              // group.max.size
    int32_t offset_metadata_max_bytes = 4096;   // offset.metadata.max.bytes
    size_t max_groups = 100000;                 // bounds the group map (gregor.groups.max)
    int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;  // offsets.retention.minutes
    int64_t retention_check_interval_ms = 600000;           // offsets.retention.check.interval.ms
};

enum class GroupState { empty, preparing_rebalance, completing_rebalance, stable, dead };
const char* to_string(GroupState s);

struct Protocol {
    std::string name;
    Bytes metadata;
};

struct JoinRequest {
    std::string group_id;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::string protocol_type;
    std::vector<Protocol> protocols;
    bool require_known_member_id = false;   // JoinGroup v4+: MEMBER_ID_REQUIRED round trip
    bool supports_skip_assignment = false;  // JoinGroup v9+ (KIP-814)
};

struct JoinedMember {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    Bytes metadata;
};

struct JoinResult {
    int16_t error = 0;
    int32_t generation_id = -1;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    std::string leader;
    std::string member_id;
    std::vector<JoinedMember> members;  // the leader's only
    bool skip_assignment = false;       // a restarted static leader keeps the assignment
};

struct SyncRequest {
    std::string group_id;
    int32_t generation_id = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    std::vector<std::pair<std::string, Bytes>> assignments;
};

struct SyncResult {
    int16_t error = 0;
    std::optional<std::string> protocol_type;
    std::optional<std::string> protocol_name;
    Bytes assignment;
};

struct LeaveMember {
    std::string member_id;
    std::optional<std::string> group_instance_id;
};

struct LeaveResult {
    int16_t error = 0;
    std::vector<int16_t> member_errors;  // one per LeaveMember, in order
};

struct CommittedOffset {
    int64_t offset = -1;
    int32_t leader_epoch = -1;
    std::optional<std::string> metadata;
    int64_t commit_timestamp_ms = 0;
};

struct OffsetCommitPartition {
    std::string topic;
    int32_t partition = 0;
    CommittedOffset committed;
};

struct OffsetCommitRequestData {
    std::string group_id;
    int32_t generation_id = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::vector<OffsetCommitPartition> offsets;
};

struct DescribedMember {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    Bytes metadata;
    Bytes assignment;
};

struct GroupDescription {
    int16_t error = 0;
    std::string group_id;
    std::string state;
    std::string protocol_type;
    std::string protocol_data;
    std::vector<DescribedMember> members;
};

struct GroupListing {
    std::string group_id;
    std::string protocol_type;
    std::string state;
};

using TopicPartitionKey = std::pair<std::string, int32_t>;

// Where the coordinator's state is kept durably: the broker appends the records (Kafka's
// __consumer_offsets key and value; no value = a tombstone) to the group's partition.
class GroupStore {
public:
    struct Record {
        Bytes key;
        std::optional<Bytes> value;
    };
    virtual ~GroupStore() = default;
    // 0 once appended, or the Kafka error the request gets (COORDINATOR_NOT_AVAILABLE...).
    virtual int16_t append(const std::string& group_id, const std::vector<Record>& records) = 0;
};

// The __consumer_offsets partition of a group: Utils.abs(groupId.hashCode()) % partitions, with
// Java's String.hashCode over the UTF-16 code units.
int32_t offsets_partition_for(const std::string& group_id, int32_t partitions);

// Kafka's record formats for __consumer_offsets.
GroupStore::Record offset_commit_record(const std::string& group,
                                        const std::string& topic,
                                        int32_t partition,
                                        const std::optional<CommittedOffset>& committed);

class GroupCoordinator {
public:
    using JoinCallback = std::function<void(JoinResult)>;
    using SyncCallback = std::function<void(SyncResult)>;

    explicit GroupCoordinator(CoordinatorConfig config);
    ~GroupCoordinator();
    GroupCoordinator(const GroupCoordinator&) = delete;
    GroupCoordinator& operator=(const GroupCoordinator&) = delete;

    // Set once, before any request; nullptr keeps state in memory only (unit tests).
    void set_store(GroupStore* store) { store_ = store; }
    // Replays one __consumer_offsets record (key, value or tombstone), oldest first.
    void replay(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value);

    void join_group(JoinRequest req, JoinCallback done);
    void sync_group(SyncRequest req, SyncCallback done);
    int16_t heartbeat(const std::string& group_id,
                      const std::string& member_id,
                      const std::optional<std::string>& group_instance_id,
                      int32_t generation_id);
    LeaveResult leave_group(const std::string& group_id, const std::vector<LeaveMember>& members);

    // The error of the whole request (generation, member), then one error per offset.
    std::vector<int16_t> commit_offsets(const OffsetCommitRequestData& req, int16_t& group_error);
    // nullopt topics: every committed offset of the group.
    std::map<TopicPartitionKey, CommittedOffset> fetch_offsets(
        const std::string& group_id, const std::optional<std::vector<TopicPartitionKey>>& which);
    // The group error, then one error per partition.
    int16_t delete_offsets(const std::string& group_id,
                           const std::vector<TopicPartitionKey>& partitions,
                           std::vector<int16_t>& partition_errors);

    // Expires the offsets of empty groups older than offsets.retention.minutes (and then the
    // groups themselves, when nothing is left), as Kafka's periodic cleanup does; runs every
    // offsets.retention.check.interval.ms. Returns how many offsets expired.
    size_t expire_offsets(int64_t now_ms);

    GroupDescription describe_group(const std::string& group_id);
    std::vector<GroupListing> list_groups();
    int16_t delete_group(const std::string& group_id);

private:
    struct Member;
    struct Group;

    Group* find_group(const std::string& id);
    Group* get_or_create_group(const std::string& id, int16_t& error);
    void add_member_and_rebalance(Group& g,
                                  const JoinRequest& req,
                                  std::string member_id,
                                  JoinCallback done);
    Member& rename_member(Group& g, const std::string& from, const std::string& to);
    void replace_static_member(Group& g,
                               const std::string& old_id,
                               std::string new_id,
                               const JoinRequest& req,
                               JoinCallback done);
    void update_member_and_rebalance(Group& g,
                                     Member& m,
                                     const JoinRequest& req,
                                     JoinCallback done);
    void maybe_prepare_rebalance(Group& g);
    void prepare_rebalance(Group& g);
    void try_complete_join(Group& g);
    void complete_join(Group& g);
    void remove_member(Group& g, const std::string& member_id, int16_t error);
    void schedule_heartbeat(Group& g, Member& m);
    void on_heartbeat_expired(const std::string& group_id,
                              const std::string& member_id,
                              uint64_t epoch);
    void schedule_join_timer(Group& g, int32_t delay_ms, int32_t remaining_ms, bool initial);
    void on_join_timer(const std::string& group_id,
                       uint64_t epoch,
                       int32_t remaining_ms,
                       bool initial);
    void schedule_expiry();
    void schedule_sync_timer(Group& g);
    void on_sync_timer(const std::string& group_id, uint64_t epoch);
    void schedule_pending_expiry(Group& g, const std::string& member_id, int32_t timeout_ms);
    JoinResult join_result(const Group& g, const Member& m) const;
    std::optional<std::string> select_protocol(const Group& g) const;
    bool supports_protocols(const Group& g, const JoinRequest& req) const;
    std::string new_member_id(const std::string& client_id);

    GroupStore::Record group_metadata_record(const Group& g) const;
    int16_t persist(const std::string& group_id, const std::vector<GroupStore::Record>& records);

    CoordinatorConfig config_;
    GroupStore* store_ = nullptr;
    boost::asio::io_context io_;  // timers; run by thread_
    std::mutex mu_;
    std::map<std::string, std::unique_ptr<Group>> groups_;
    std::map<std::string, std::map<TopicPartitionKey, CommittedOffset>> offsets_;
    uint64_t next_id_ = 0;
    std::unique_ptr<boost::asio::steady_timer> expiry_timer_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
};

}  // namespace gregor::coordinator

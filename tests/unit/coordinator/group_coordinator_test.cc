#include "gregor/coordinator/group_coordinator.h"

#include "gregor/protocol/error_codes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace gregor::coordinator {
namespace {

namespace errc = protocol::error;
using namespace std::chrono_literals;

CoordinatorConfig test_config() {
    CoordinatorConfig c;
    c.initial_rebalance_delay_ms = 0;
    c.min_session_timeout_ms = 10;
    c.max_session_timeout_ms = 60000;
    return c;
}

JoinRequest join_req(const std::string& member_id,
                     std::vector<std::string> protocols = {"range"},
                     int32_t session_ms = 10000,
                     int32_t rebalance_ms = 2000) {
    JoinRequest r;
    r.group_id = "g";
    r.member_id = member_id;
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = session_ms;
    r.rebalance_timeout_ms = rebalance_ms;
    r.protocol_type = "consumer";
    for (auto& p : protocols) {
        r.protocols.push_back({p, Bytes{1, 2, 3}});
    }
    r.require_known_member_id = true;
    return r;
}

// Starts a join; the future completes when the coordinator answers.
std::future<JoinResult> join(GroupCoordinator& c, JoinRequest r) {
    auto p = std::make_shared<std::promise<JoinResult>>();
    auto f = p->get_future();
    c.join_group(std::move(r), [p](JoinResult res) { p->set_value(std::move(res)); });
    return f;
}

std::future<SyncResult> sync(GroupCoordinator& c,
                             const std::string& member,
                             int32_t generation,
                             std::vector<std::pair<std::string, Bytes>> assignments = {}) {
    SyncRequest r;
    r.group_id = "g";
    r.member_id = member;
    r.generation_id = generation;
    r.assignments = std::move(assignments);
    auto p = std::make_shared<std::promise<SyncResult>>();
    auto f = p->get_future();
    c.sync_group(std::move(r), [p](SyncResult res) { p->set_value(std::move(res)); });
    return f;
}

template <typename T>
T get(std::future<T>& f) {
    EXPECT_EQ(f.wait_for(5s), std::future_status::ready);
    return f.get();
}

// MEMBER_ID_REQUIRED, then the real join; returns the completed join.
JoinResult join_new(GroupCoordinator& c, JoinRequest r) {
    auto first = join(c, r);
    auto required = get(first);
    EXPECT_EQ(required.error, errc::member_id_required);
    r.member_id = required.member_id;
    auto second = join(c, r);
    return get(second);
}

TEST(GroupCoordinatorTest, MemberIdRequiredThenSingleMemberBecomesStable) {
    GroupCoordinator c(test_config());
    auto f = join(c, join_req(""));
    auto r = get(f);
    EXPECT_EQ(r.error, errc::member_id_required);
    EXPECT_EQ(r.member_id.rfind("client-", 0), 0u);
    EXPECT_EQ(c.describe_group("g").state, "Empty");

    auto req = join_req(r.member_id);
    auto f2 = join(c, req);
    auto joined = get(f2);
    ASSERT_EQ(joined.error, 0);
    EXPECT_EQ(joined.generation_id, 1);
    EXPECT_EQ(joined.leader, r.member_id);
    EXPECT_EQ(joined.protocol_name, "range");
    ASSERT_EQ(joined.members.size(), 1u);
    EXPECT_EQ(c.describe_group("g").state, "CompletingRebalance");

    auto s = sync(c, r.member_id, 1, {{r.member_id, Bytes{9}}});
    auto synced = get(s);
    EXPECT_EQ(synced.error, 0);
    EXPECT_EQ(synced.assignment, Bytes{9});
    auto d = c.describe_group("g");
    EXPECT_EQ(d.state, "Stable");
    EXPECT_EQ(d.protocol_data, "range");
    ASSERT_EQ(d.members.size(), 1u);
    EXPECT_EQ(d.members[0].assignment, Bytes{9});
    EXPECT_EQ(c.heartbeat("g", r.member_id, std::nullopt, 1), 0);
    EXPECT_EQ(c.heartbeat("g", r.member_id, std::nullopt, 0), errc::illegal_generation);
    EXPECT_EQ(c.heartbeat("g", "nobody", std::nullopt, 1), errc::unknown_member_id);
}

TEST(GroupCoordinatorTest, SecondMemberRebalancesAndFollowersWaitForTheLeadersSync) {
    GroupCoordinator c(test_config());
    auto a = join_new(c, join_req(""));
    ASSERT_EQ(a.error, 0);
    auto sa = sync(c, a.member_id, 1, {{a.member_id, Bytes{1}}});
    ASSERT_EQ(get(sa).error, 0);

    // B's join starts a rebalance; A learns it from its heartbeat and rejoins.
    auto breq = join_req("");
    auto bfirst = join(c, breq);
    breq.member_id = get(bfirst).member_id;
    auto bjoin = join(c, breq);
    EXPECT_EQ(bjoin.wait_for(50ms), std::future_status::timeout);
    EXPECT_EQ(c.describe_group("g").state, "PreparingRebalance");
    EXPECT_EQ(c.heartbeat("g", a.member_id, std::nullopt, 1), errc::rebalance_in_progress);
    auto ajoin = join(c, join_req(a.member_id));
    auto ja = get(ajoin);
    auto jb = get(bjoin);
    ASSERT_EQ(ja.error, 0);
    ASSERT_EQ(jb.error, 0);
    EXPECT_EQ(ja.generation_id, 2);
    EXPECT_EQ(jb.generation_id, 2);
    EXPECT_EQ(ja.leader, a.member_id);
    EXPECT_EQ(ja.members.size(), 2u);
    EXPECT_TRUE(jb.members.empty());  // only the leader gets the members

    // The follower's sync waits for the leader's assignment.
    auto sb = sync(c, breq.member_id, 2);
    EXPECT_EQ(sb.wait_for(50ms), std::future_status::timeout);
    auto sa2 = sync(c, a.member_id, 2, {{a.member_id, Bytes{1}}, {breq.member_id, Bytes{2}}});
    EXPECT_EQ(get(sa2).assignment, Bytes{1});
    EXPECT_EQ(get(sb).assignment, Bytes{2});
    EXPECT_EQ(c.describe_group("g").state, "Stable");
}

TEST(GroupCoordinatorTest, SelectsTheProtocolEveryMemberSupportsAndRefusesOthers) {
    GroupCoordinator c(test_config());
    auto r = join_req("", {"range", "roundrobin"});
    r.require_known_member_id = false;
    auto fa = join(c, r);
    auto a = get(fa);
    ASSERT_EQ(a.error, 0);
    auto sa = sync(c, a.member_id, 1);
    ASSERT_EQ(get(sa).error, 0);

    auto bad = join_req("", {"sticky"});
    auto fbad = join(c, bad);
    EXPECT_EQ(get(fbad).error, errc::inconsistent_group_protocol);
    auto other_type = join_req("", {"range"});
    other_type.protocol_type = "connect";
    auto fother = join(c, other_type);
    EXPECT_EQ(get(fother).error, errc::inconsistent_group_protocol);

    auto b = join_req("", {"roundrobin"});
    b.require_known_member_id = false;
    auto fb = join(c, b);
    auto fa2 = join(c, join_req(a.member_id, {"range", "roundrobin"}));
    EXPECT_EQ(get(fb).protocol_name, "roundrobin");
    EXPECT_EQ(get(fa2).protocol_name, "roundrobin");
}

TEST(GroupCoordinatorTest, SessionTimeoutBoundsAndGroupMaxSize) {
    auto config = test_config();
    config.max_size = 1;
    GroupCoordinator c(config);
    auto f = join(c, join_req("", {"range"}, 5));
    EXPECT_EQ(get(f).error, errc::invalid_session_timeout);
    auto f2 = join(c, join_req("", {"range"}, 60001));
    EXPECT_EQ(get(f2).error, errc::invalid_session_timeout);
    auto empty_id = join_req("");
    empty_id.group_id = "";
    auto f3 = join(c, empty_id);
    EXPECT_EQ(get(f3).error, errc::invalid_group_id);

    auto a = join_new(c, join_req(""));
    ASSERT_EQ(a.error, 0);
    auto fb = join(c, join_req(""));
    EXPECT_EQ(get(fb).error, errc::group_max_size_reached);
}

TEST(GroupCoordinatorTest, ExpiredSessionRemovesTheMember) {
    GroupCoordinator c(test_config());
    auto a = join_new(c, join_req("", {"range"}, 100));
    ASSERT_EQ(a.error, 0);
    auto sa = sync(c, a.member_id, 1);
    ASSERT_EQ(get(sa).error, 0);
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(40ms);
        ASSERT_EQ(c.heartbeat("g", a.member_id, std::nullopt, 1), 0);  // heartbeats keep it
    }
    std::this_thread::sleep_for(400ms);
    auto d = c.describe_group("g");
    EXPECT_EQ(d.state, "Empty");
    EXPECT_TRUE(d.members.empty());
    EXPECT_EQ(c.heartbeat("g", a.member_id, std::nullopt, 1), errc::unknown_member_id);
}

TEST(GroupCoordinatorTest, RebalanceTimeoutDropsMembersThatDoNotRejoin) {
    GroupCoordinator c(test_config());
    auto a = join_new(c, join_req("", {"range"}, 10000, 200));
    auto sa = sync(c, a.member_id, 1);
    ASSERT_EQ(get(sa).error, 0);
    auto b = join_req("", {"range"}, 10000, 200);
    b.require_known_member_id = false;
    auto fb = join(c, b);
    // A never rejoins: after the rebalance timeout B is alone in generation 2.
    auto jb = get(fb);
    ASSERT_EQ(jb.error, 0);
    EXPECT_EQ(jb.generation_id, 2);
    EXPECT_EQ(jb.leader, jb.member_id);
    EXPECT_EQ(c.heartbeat("g", a.member_id, std::nullopt, 1), errc::unknown_member_id);
}

TEST(GroupCoordinatorTest, LeaveGroupBatchedAndPerMemberErrors) {
    GroupCoordinator c(test_config());
    auto a = join_new(c, join_req(""));
    auto sa = sync(c, a.member_id, 1);
    ASSERT_EQ(get(sa).error, 0);
    auto res = c.leave_group("g", {{a.member_id, std::nullopt}, {"ghost", std::nullopt}});
    EXPECT_EQ(res.error, 0);
    EXPECT_EQ(res.member_errors, (std::vector<int16_t>{0, errc::unknown_member_id}));
    EXPECT_EQ(c.describe_group("g").state, "Empty");
    EXPECT_EQ(c.leave_group("nope", {{"x", std::nullopt}}).error, errc::unknown_member_id);
}

TEST(GroupCoordinatorTest, StaticMemberRestartKeepsTheAssignmentAndFencesTheOldId) {
    GroupCoordinator c(test_config());
    auto leader_req = join_req("");
    leader_req.group_instance_id = "leader";
    auto follower_req = join_req("");
    follower_req.group_instance_id = "follower";
    auto fl = join(c, leader_req);  // static members skip MEMBER_ID_REQUIRED
    auto leader = get(fl);
    ASSERT_EQ(leader.error, 0);
    auto sl = sync(c, leader.member_id, 1);
    ASSERT_EQ(get(sl).error, 0);
    auto ff = join(c, follower_req);
    auto fl2 = join(c, join_req(leader.member_id));
    auto follower = get(ff);
    ASSERT_EQ(get(fl2).error, 0);
    ASSERT_EQ(follower.generation_id, 2);
    auto sf = sync(c, follower.member_id, 2);
    auto sl2 = sync(c, leader.member_id, 2, {{follower.member_id, Bytes{7}}});
    ASSERT_EQ(get(sl2).error, 0);
    ASSERT_EQ(get(sf).assignment, Bytes{7});

    // The follower restarts without its old id: same generation, no rebalance, same assignment.
    auto fr = join(c, follower_req);
    auto restarted = get(fr);
    ASSERT_EQ(restarted.error, 0);
    EXPECT_NE(restarted.member_id, follower.member_id);
    EXPECT_EQ(restarted.generation_id, 2);
    EXPECT_EQ(restarted.leader, leader.member_id);
    EXPECT_FALSE(restarted.skip_assignment);
    EXPECT_EQ(c.describe_group("g").state, "Stable");
    auto sr = sync(c, restarted.member_id, 2);
    EXPECT_EQ(get(sr).assignment, Bytes{7});
    EXPECT_EQ(c.heartbeat("g", follower.member_id, std::string("follower"), 2),
              errc::fenced_instance_id);
    EXPECT_EQ(c.heartbeat("g", restarted.member_id, std::string("follower"), 2), 0);

    // The leader restarts with JoinGroup v9: it gets the members but must skip the assignment.
    leader_req.supports_skip_assignment = true;
    auto lr = join(c, leader_req);
    auto leader2 = get(lr);
    ASSERT_EQ(leader2.error, 0);
    EXPECT_EQ(leader2.leader, leader2.member_id);
    EXPECT_TRUE(leader2.skip_assignment);
    EXPECT_EQ(leader2.members.size(), 2u);
    EXPECT_EQ(c.describe_group("g").members.size(), 2u);
}

TEST(GroupCoordinatorTest, StaticMembersThatDoNotRejoinKeepTheirPlace) {
    GroupCoordinator c(test_config());
    auto a = join_req("", {"range"}, 10000, 200);
    a.group_instance_id = "a";
    auto fa = join(c, a);
    auto ja = get(fa);
    ASSERT_EQ(ja.error, 0);
    auto sa = sync(c, ja.member_id, 1);
    ASSERT_EQ(get(sa).error, 0);
    auto b = join_req("", {"range"}, 10000, 200);
    b.require_known_member_id = false;
    auto fb = join(c, b);
    // A (static) never rejoins: after the rebalance timeout B leads generation 2 and A stays.
    auto jb = get(fb);
    ASSERT_EQ(jb.error, 0);
    EXPECT_EQ(jb.generation_id, 2);
    EXPECT_EQ(jb.leader, jb.member_id);
    EXPECT_EQ(jb.members.size(), 2u);
    EXPECT_EQ(c.heartbeat("g", ja.member_id, std::string("a"), 2), 0);
}

TEST(GroupCoordinatorTest, OffsetCommitChecksAndSimpleCommits) {
    GroupCoordinator c(test_config());
    OffsetCommitRequestData simple;
    simple.group_id = "g";
    simple.offsets.push_back({"t", 0, {42, 3, std::string("meta"), 0}});
    simple.offsets.push_back({"t", 1, {7, -1, std::string(5000, 'x'), 0}});
    int16_t group_error = -1;
    auto errors = c.commit_offsets(simple, group_error);
    EXPECT_EQ(group_error, 0);
    EXPECT_EQ(errors, (std::vector<int16_t>{0, errc::offset_metadata_too_large}));
    auto fetched = c.fetch_offsets("g", std::nullopt);
    ASSERT_EQ(fetched.size(), 1u);
    EXPECT_EQ(fetched.at({"t", 0}).offset, 42);
    EXPECT_EQ(fetched.at({"t", 0}).metadata, "meta");
    EXPECT_EQ(c.list_groups().size(), 1u);

    auto a = join_new(c, join_req(""));
    auto sa = sync(c, a.member_id, 1);
    ASSERT_EQ(get(sa).error, 0);
    // A live group takes commits only from its members, of its generation.
    c.commit_offsets(simple, group_error);
    EXPECT_EQ(group_error, errc::unknown_member_id);
    OffsetCommitRequestData member = simple;
    member.member_id = a.member_id;
    member.generation_id = 0;
    c.commit_offsets(member, group_error);
    EXPECT_EQ(group_error, errc::illegal_generation);
    member.generation_id = 1;
    member.offsets.resize(1);
    member.offsets[0].committed.offset = 50;
    c.commit_offsets(member, group_error);
    EXPECT_EQ(group_error, 0);
    EXPECT_EQ(c.fetch_offsets("g", std::vector<TopicPartitionKey>{{"t", 0}}).at({"t", 0}).offset,
              50);

    EXPECT_EQ(c.delete_group("g"), errc::non_empty_group);
    c.leave_group("g", {{a.member_id, std::nullopt}});
    EXPECT_EQ(c.delete_group("g"), 0);
    EXPECT_TRUE(c.fetch_offsets("g", std::nullopt).empty());
    EXPECT_EQ(c.delete_group("g"), errc::group_id_not_found);
}

}  // namespace
}  // namespace gregor::coordinator

// The classic group family: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// ListGroups, DescribeGroups, DeleteGroups. The group state is the coordinator's
// (src/coordinator); joins and syncs wait for the rebalance without blocking the network thread.

#include "gregor/broker/await_controller.h"
#include "gregor/broker/handlers.h"
#include "gregor/broker/offsets_topic.h"
#include "gregor/coordinator/group_coordinator.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/group.h"

#include <algorithm>
#include <cctype>

namespace gregor::broker {

namespace errc = protocol::error;
using coordinator::GroupCoordinator;

namespace {

constexpr int8_t kKeyTypeGroup = 0;
constexpr int8_t kKeyTypeTransaction = 1;
// Past the rebalance, a join or sync always completes (the coordinator's timers see to it); the
// margin only bounds a wait whose answer was lost at shutdown.
constexpr int32_t kWaitMarginMs = 10000;
// A SyncGroup waits at most the group's rebalance timeout; the handler does not know it, so it
// bounds the wait by Kafka's largest default (max.poll.interval.ms) with room to spare.
constexpr int32_t kSyncWaitMs = 30 * 60 * 1000;

struct Coordinates {
    int16_t error = 0;
    int32_t node_id = -1;
    std::string host;
    int32_t port = -1;
};

// This node coordinates every group whose __consumer_offsets partition it leads (all of them
// on a single node); transactions have no coordinator yet.
Coordinates coordinator_for(const RequestContext& ctx, int8_t key_type, const std::string& key) {
    Coordinates c;
    if (key_type == kKeyTypeTransaction) {
        c.error = errc::coordinator_not_available;
        return c;
    }
    if (key_type != kKeyTypeGroup) {
        c.error = errc::invalid_request;
        return c;
    }
    if (ctx.broker.groups == nullptr) {
        c.error = errc::coordinator_not_available;
        return c;
    }
    if (int16_t e = ensure_offsets_partition(ctx, key)) {
        c.error = e;
        return c;
    }
    const auto view = ctx.broker.cluster.current();
    for (const auto& b : view->brokers) {
        if (b.node_id != ctx.broker.node_id) {
            continue;
        }
        if (const AdvertisedEndpoint* ep = b.endpoint(ctx.conn.listener_name)) {
            c.node_id = b.node_id;
            c.host = ep->host;
            c.port = ep->port;
            return c;
        }
    }
    c.error = errc::coordinator_not_available;
    return c;
}

std::string client_host(const RequestContext& ctx) {
    // Kafka shows the client's address as InetAddress.toString does: "/1.2.3.4".
    return "/" + ctx.conn.peer.address().to_string();
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return s;
}

}  // namespace

net::Response handle_find_coordinator(RequestContext& ctx) {
    protocol::FindCoordinatorRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::FindCoordinatorResponse resp;
    if (ctx.version < 4) {
        const Coordinates c = coordinator_for(ctx, req.key_type, req.key);
        resp.error_code = c.error;
        resp.node_id = c.node_id;
        resp.host = c.host;
        resp.port = c.port;
        return respond(ctx, resp);
    }
    for (const auto& key : req.coordinator_keys) {
        const Coordinates c = coordinator_for(ctx, req.key_type, key);
        auto& out = resp.coordinators.emplace_back();
        out.key = key;
        out.error_code = c.error;
        out.node_id = c.node_id;
        out.host = c.host;
        out.port = c.port;
    }
    return respond(ctx, resp);
}

boost::asio::awaitable<net::Response> handle_join_group(RequestContext& ctx) {
    protocol::JoinGroupRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    protocol::JoinGroupResponse resp;
    resp.member_id = req.member_id;
    GroupCoordinator* groups = ctx.broker.groups;
    if (groups == nullptr) {
        resp.error_code = errc::coordinator_not_available;
        co_return respond(ctx, resp);
    }
    coordinator::JoinRequest join;
    join.group_id = req.group_id;
    join.member_id = req.member_id;
    join.group_instance_id = req.group_instance_id;
    join.client_id = ctx.header.client_id.value_or("");
    join.client_host = client_host(ctx);
    join.session_timeout_ms = req.session_timeout_ms;
    join.rebalance_timeout_ms = ctx.version >= 1 ? req.rebalance_timeout_ms : -1;
    join.protocol_type = req.protocol_type;
    for (auto& p : req.protocols) {
        join.protocols.push_back({std::move(p.name), std::move(p.metadata)});
    }
    join.require_known_member_id = ctx.version >= 4;
    join.supports_skip_assignment = ctx.version >= 9;
    const int32_t wait =
        std::max(join.rebalance_timeout_ms, join.session_timeout_ms) + kWaitMarginMs;
    auto result = co_await await_controller_result<coordinator::JoinResult>(
        wait, [&](auto done) { groups->join_group(std::move(join), std::move(done)); });
    if (!result) {
        resp.error_code = errc::rebalance_in_progress;
        co_return respond(ctx, resp);
    }
    resp.error_code = result->error;
    resp.generation_id = result->generation_id;
    resp.protocol_type = result->protocol_type;
    // Before v7 the name is not nullable: an empty group's "no protocol" is "".
    resp.protocol_name = ctx.version >= 7
                             ? result->protocol_name
                             : std::optional<std::string>(result->protocol_name.value_or(""));
    resp.leader = result->leader;
    resp.skip_assignment = result->skip_assignment;
    resp.member_id = result->member_id;
    for (auto& m : result->members) {
        auto& out = resp.members.emplace_back();
        out.member_id = std::move(m.member_id);
        out.group_instance_id = std::move(m.group_instance_id);
        out.metadata = std::move(m.metadata);
    }
    co_return respond(ctx, resp);
}

boost::asio::awaitable<net::Response> handle_sync_group(RequestContext& ctx) {
    protocol::SyncGroupRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    protocol::SyncGroupResponse resp;
    GroupCoordinator* groups = ctx.broker.groups;
    if (groups == nullptr) {
        resp.error_code = errc::coordinator_not_available;
        co_return respond(ctx, resp);
    }
    coordinator::SyncRequest sync;
    sync.group_id = req.group_id;
    sync.generation_id = req.generation_id;
    sync.member_id = req.member_id;
    sync.group_instance_id = req.group_instance_id;
    sync.protocol_type = req.protocol_type;
    sync.protocol_name = req.protocol_name;
    for (auto& a : req.assignments) {
        sync.assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));
    }
    auto result = co_await await_controller_result<coordinator::SyncResult>(
        kSyncWaitMs, [&](auto done) { groups->sync_group(std::move(sync), std::move(done)); });
    if (!result) {
        resp.error_code = errc::rebalance_in_progress;
        co_return respond(ctx, resp);
    }
    resp.error_code = result->error;
    resp.protocol_type = result->protocol_type;
    resp.protocol_name = result->protocol_name;
    resp.assignment = std::move(result->assignment);
    co_return respond(ctx, resp);
}

net::Response handle_heartbeat(RequestContext& ctx) {
    protocol::HeartbeatRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::HeartbeatResponse resp;
    if (ctx.broker.groups == nullptr) {
        resp.error_code = errc::coordinator_not_available;
    } else {
        resp.error_code = ctx.broker.groups->heartbeat(req.group_id, req.member_id,
                                                       req.group_instance_id, req.generation_id);
    }
    return respond(ctx, resp);
}

net::Response handle_leave_group(RequestContext& ctx) {
    protocol::LeaveGroupRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::LeaveGroupResponse resp;
    if (ctx.broker.groups == nullptr) {
        resp.error_code = errc::coordinator_not_available;
        return respond(ctx, resp);
    }
    std::vector<coordinator::LeaveMember> members;
    if (ctx.version < 3) {
        members.push_back({req.member_id, std::nullopt});
    } else {
        for (const auto& m : req.members) {
            members.push_back({m.member_id, m.group_instance_id});
        }
    }
    const auto result = ctx.broker.groups->leave_group(req.group_id, members);
    resp.error_code = result.error;
    if (ctx.version < 3) {
        if (resp.error_code == 0 && !result.member_errors.empty()) {
            resp.error_code = result.member_errors.front();
        }
        return respond(ctx, resp);
    }
    for (size_t i = 0; i < result.member_errors.size(); ++i) {
        auto& out = resp.members.emplace_back();
        out.member_id = members[i].member_id;
        out.group_instance_id = members[i].group_instance_id;
        out.error_code = result.member_errors[i];
    }
    return respond(ctx, resp);
}

net::Response handle_list_groups(RequestContext& ctx) {
    protocol::ListGroupsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::ListGroupsResponse resp;
    if (ctx.broker.groups == nullptr) {
        resp.error_code = errc::coordinator_not_available;
        return respond(ctx, resp);
    }
    std::vector<std::string> states;
    for (const auto& s : req.states_filter) {
        states.push_back(lower(s));
    }
    std::vector<std::string> types;
    for (const auto& t : req.types_filter) {
        types.push_back(lower(t));
    }
    for (auto& g : ctx.broker.groups->list_groups()) {
        if (!states.empty()
            && std::find(states.begin(), states.end(), lower(g.state)) == states.end()) {
            continue;
        }
        // Every group here is a classic group.
        if (!types.empty() && std::find(types.begin(), types.end(), "classic") == types.end()) {
            continue;
        }
        auto& out = resp.groups.emplace_back();
        out.group_id = std::move(g.group_id);
        out.protocol_type = std::move(g.protocol_type);
        out.group_state = std::move(g.state);
        out.group_type = "classic";
    }
    return respond(ctx, resp);
}

net::Response handle_describe_groups(RequestContext& ctx) {
    protocol::DescribeGroupsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::DescribeGroupsResponse resp;
    for (const auto& id : req.groups) {
        auto& out = resp.groups.emplace_back();
        out.group_id = id;
        if (ctx.broker.groups == nullptr) {
            out.error_code = errc::coordinator_not_available;
            continue;
        }
        auto d = ctx.broker.groups->describe_group(id);
        out.group_state = d.state;
        // Before v6 an unknown group is described as Dead without an error.
        if (d.error == errc::group_id_not_found) {
            if (ctx.version >= 6) {
                out.error_code = d.error;
                out.error_message = "Group " + id + " not found.";
            }
            continue;
        }
        out.error_code = d.error;
        out.protocol_type = std::move(d.protocol_type);
        out.protocol_data = std::move(d.protocol_data);
        for (auto& m : d.members) {
            auto& om = out.members.emplace_back();
            om.member_id = std::move(m.member_id);
            om.group_instance_id = std::move(m.group_instance_id);
            om.client_id = std::move(m.client_id);
            om.client_host = std::move(m.client_host);
            om.member_metadata = std::move(m.metadata);
            om.member_assignment = std::move(m.assignment);
        }
    }
    return respond(ctx, resp);
}

net::Response handle_delete_groups(RequestContext& ctx) {
    protocol::DeleteGroupsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    protocol::DeleteGroupsResponse resp;
    for (const auto& id : req.groups_names) {
        auto& out = resp.results.emplace_back();
        out.group_id = id;
        out.error_code = ctx.broker.groups == nullptr ? errc::coordinator_not_available
                                                      : ctx.broker.groups->delete_group(id);
    }
    return respond(ctx, resp);
}

}  // namespace gregor::broker

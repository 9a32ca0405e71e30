#pragma once

// The request handlers, one file per API family under src/broker/handlers/, and the table that
// says which APIs and versions this broker serves. An API without an entry is neither advertised
// nor answered.

#include "gregor/broker/request_context.h"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <span>

namespace gregor::broker {

using HandlerFn = net::Response (*)(RequestContext&);
// A handler that waits for something (the controller) without blocking its network thread.
using AsyncHandlerFn = boost::asio::awaitable<net::Response> (*)(RequestContext&);

struct HandlerEntry {
    int16_t api_key;
    int16_t min_version;  // advertised range; within the schema's range
    int16_t max_version;
    HandlerFn handle;  // exactly one of handle and handle_async is set
    AsyncHandlerFn handle_async;
};

// Every API this broker serves, in api key order.
std::span<const HandlerEntry> handler_table();
const HandlerEntry* find_handler(int16_t api_key);

// Cluster family (handlers/cluster.cc).
net::Response handle_api_versions(RequestContext& ctx);
net::Response handle_metadata(RequestContext& ctx);
net::Response handle_describe_cluster(RequestContext& ctx);
net::Response handle_describe_topic_partitions(RequestContext& ctx);

// Topic family (handlers/topics.cc): answered by the controller.
boost::asio::awaitable<net::Response> handle_create_topics(RequestContext& ctx);
boost::asio::awaitable<net::Response> handle_delete_topics(RequestContext& ctx);

// Produce and Fetch (handlers/produce.cc, handlers/fetch.cc): may wait for the high watermark.
boost::asio::awaitable<net::Response> handle_produce(RequestContext& ctx);
boost::asio::awaitable<net::Response> handle_fetch(RequestContext& ctx);

// Offsets family (handlers/offsets.cc).
net::Response handle_list_offsets(RequestContext& ctx);
net::Response handle_offset_for_leader_epoch(RequestContext& ctx);

// Log family (handlers/log_dirs.cc).
net::Response handle_delete_records(RequestContext& ctx);
net::Response handle_describe_log_dirs(RequestContext& ctx);

// Config family (handlers/configs.cc): describe from the image, alters and CreatePartitions
// through the controller.
net::Response handle_describe_configs(RequestContext& ctx);
boost::asio::awaitable<net::Response> handle_alter_configs(RequestContext& ctx);
boost::asio::awaitable<net::Response> handle_incremental_alter_configs(RequestContext& ctx);
boost::asio::awaitable<net::Response> handle_create_partitions(RequestContext& ctx);
// Producer family (handlers/producers.cc).
net::Response handle_init_producer_id(RequestContext& ctx);
net::Response handle_describe_producers(RequestContext& ctx);

// Group family (handlers/groups.cc): the classic group coordinator; joins and syncs wait for
// the rebalance.
net::Response handle_find_coordinator(RequestContext& ctx);
boost::asio::awaitable<net::Response> handle_join_group(RequestContext& ctx);
boost::asio::awaitable<net::Response> handle_sync_group(RequestContext& ctx);
net::Response handle_heartbeat(RequestContext& ctx);
net::Response handle_leave_group(RequestContext& ctx);
net::Response handle_list_groups(RequestContext& ctx);
net::Response handle_describe_groups(RequestContext& ctx);
net::Response handle_delete_groups(RequestContext& ctx);
// Group offsets (handlers/group_offsets.cc).
net::Response handle_offset_commit(RequestContext& ctx);
net::Response handle_offset_fetch(RequestContext& ctx);
net::Response handle_offset_delete(RequestContext& ctx);

// ApiVersions for a version we do not know: v0 body, UNSUPPORTED_VERSION, our ranges (KIP-511).
net::Response api_versions_unsupported(int32_t correlation_id);

}  // namespace gregor::broker

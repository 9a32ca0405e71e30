#pragma once

// Internal to src/net (server.cc and connection.cc); not an API for other modules. It lives under
// include/ only because src/net holds no headers.

#include "gregor/net/memory_budget.h"
#include "gregor/net/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>
#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gregor::net::detail {

// The "net" module logger.
const std::shared_ptr<spdlog::logger>& logger();

// A peer address in a log call, formatted only if the line is actually logged.
struct Peer {
    const boost::asio::ip::tcp::endpoint& endpoint;
};

// The live counters behind ServerStats. Atomics, written by every network thread.
struct StatsCounters {
    std::atomic<int64_t> open_connections{0};
    std::atomic<uint64_t> accepted_total{0};
    std::atomic<uint64_t> rejected_max_connections{0};
    std::atomic<uint64_t> closed_idle{0};
    std::atomic<uint64_t> frames_rejected_too_small{0};
    std::atomic<uint64_t> frames_rejected_too_large{0};
    std::atomic<uint64_t> frames_rejected_preauth{0};
    std::atomic<uint64_t> requests_total{0};
    std::atomic<uint64_t> responses_total{0};
    std::atomic<uint64_t> dispatch_errors{0};
    std::atomic<uint64_t> connection_errors{0};
    std::atomic<int64_t> inflight_requests{0};
    std::atomic<uint64_t> file_bytes_sendfile{0};
    std::atomic<uint64_t> file_bytes_copied{0};
};

// A connection as the server sees it, to drain or close it at stop(). Methods are called only on
// the connection's own network thread.
class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
public:
    virtual ~ConnectionBase() = default;
    // Stop reading; write the responses of requests already read, then close.
    virtual void begin_drain() = 0;
    // Close the socket now; requests still being handled finish and are discarded.
    virtual void close_now() = 0;
};

// The connections living on one network thread. Touched only by that thread (and by stop() after
// the thread has been joined).
using ConnectionRegistry = std::unordered_map<uint64_t, std::weak_ptr<ConnectionBase>>;

// State shared by the server and all its connections. Owned by the server; outlives every
// connection (the io_contexts are destroyed first). Thread-safe members only, apart from
// `limits` and `dispatcher`, which are immutable after construction.
struct ServerShared {
    ServerShared(ServerLimits limits_in, RequestDispatcher& dispatcher_in)
        : limits(limits_in), dispatcher(dispatcher_in), budget(limits_in.total_memory_max_bytes) {}

    // Called from a connection's destructor (any thread).
    void connection_closed() {
        stats.open_connections.fetch_sub(1);
        std::lock_guard lock(closed_mutex);
        closed_cv.notify_all();
    }

    const ServerLimits limits;
    RequestDispatcher& dispatcher;
    MemoryBudget budget;
    StatsCounters stats;
    std::atomic<bool> stopping{false};
    std::atomic<uint64_t> next_connection_id{1};
    std::mutex closed_mutex;
    std::condition_variable closed_cv;  // stop() waits here for open_connections to reach 0
};

struct ListenerInfo {
    std::string name;
    SecurityProtocol protocol = SecurityProtocol::plaintext;
};

// Starts serving an accepted plain TCP socket (PLAINTEXT or SASL_PLAINTEXT) on the socket's
// executor. May be called from any thread: the connection is created, registered in `registry`
// and destroyed on the socket's thread. The caller has already counted it in
// stats.open_connections.
void start_plain_connection(boost::asio::ip::tcp::socket socket,
                            const ListenerInfo& listener,
                            ConnectionRegistry& registry,
                            ServerShared& shared);

}  // namespace gregor::net::detail

template <>
struct fmt::formatter<gregor::net::detail::Peer> {
    constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }

    template <typename FormatContext>
    auto format(const gregor::net::detail::Peer& peer, FormatContext& ctx) const {
        const auto address = peer.endpoint.address();
        if (address.is_v6()) {
            return fmt::format_to(ctx.out(), "[{}]:{}", address.to_string(), peer.endpoint.port());
        }
        return fmt::format_to(ctx.out(), "{}:{}", address.to_string(), peer.endpoint.port());
    }
};

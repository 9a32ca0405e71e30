#pragma once

// The network layer's public API: listeners, N network threads, connection lifecycle, framing,
// pipelining with in-order responses, and memory bounds. The broker plugs in through
// RequestDispatcher; it never sees sockets. Apache Kafka's SocketServer is the reference for
// behaviour (size-prefixed frames, socket.request.max.bytes, connections.max.idle.ms,
// max.connections, queued.max.request.bytes), with two deliberate differences: requests on one
// connection may be handled concurrently (responses still go out in request order), and a frame's
// buffer grows as its bytes arrive instead of being allocated from the declared size.

#include "gregor/common/file_handle.h"
#include "gregor/common/result.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <any>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gregor::net {

enum class SecurityProtocol { plaintext, ssl, sasl_plaintext, sasl_ssl };

// Kafka's spelling: "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL".
std::string_view to_string(SecurityProtocol protocol);
// Whether connections on such a listener start unauthenticated and must run a SASL exchange.
bool is_sasl(SecurityProtocol protocol);

// One entry of Kafka's `listeners` (with its `listener.security.protocol.map` entry resolved).
struct ListenerSpec {
    std::string name;   // e.g. "PLAINTEXT", "INTERNAL"
    std::string host;   // "" = all interfaces; an IP literal or a resolvable name otherwise
    uint16_t port = 0;  // 0 = pick a free port (see Server::bound())
    SecurityProtocol protocol = SecurityProtocol::plaintext;
};

// A listener after binding: the port the kernel actually gave us.
struct BoundListener {
    std::string name;
    std::string host;
    uint16_t port = 0;
    SecurityProtocol protocol = SecurityProtocol::plaintext;
};

// Every bound of the network layer. The broker fills it from config; names in comments are
// Kafka's. Checked by Server::start().
struct ServerLimits {
    int32_t socket_request_max_bytes = 104857600;  // socket.request.max.bytes
    // sasl.server.max.receive.size: frame cap on a SASL listener before authentication
    // (CVE-2022-34917).
    int32_t preauth_max_bytes = 524288;
    int64_t connections_max_idle_ms = 600000;  // connections.max.idle.ms; <= 0 disables
    // Requests read from one connection whose responses have not been written yet.
    int32_t max_inflight_per_connection = 16;
    // Per connection: request bytes received plus buffered response bytes not yet written. At or
    // above it the connection stops reading (TCP back-pressure). A single frame may exceed it.
    int64_t connection_memory_max_bytes = 104857600;
    // Broker wide: declared sizes of admitted, unanswered requests (queued.max.request.bytes).
    // Like Kafka's non-strict memory pool a frame is admitted while anything is left, so the
    // total may exceed this by at most one frame; when exhausted, readers wait. <= 0 = unbounded.
    int64_t total_memory_max_bytes = 1073741824;
    int32_t max_connections = std::numeric_limits<int32_t>::max();  // max.connections
    // stop(): how long in-flight requests may take to finish before connections are cut.
    int64_t shutdown_grace_ms = 3000;
    // FileSlice parts go out with sendfile(2) on plaintext listeners; false (or TLS) copies them
    // through user space instead.
    bool use_sendfile = true;
};

// Record bytes a response sends from a file (zero-copy on plaintext): see common/file_handle.h.
using FileHandle = gregor::FileHandle;
using FileSlice = gregor::FileSlice;

// What the dispatcher hands back for one request. The parts are concatenated on the wire
// (response header, then body); the network layer adds the 4-byte size prefix.
struct Response {
    enum class Kind {
        respond,      // write the parts
        no_response,  // consume the request's slot silently (acks=0 produce)
        close,        // close the connection once every earlier response is written
    };
    using Part = std::variant<std::vector<uint8_t>, FileSlice>;

    Kind kind = Kind::respond;
    std::vector<Part> parts;
    // Why a close was asked for, for the log line (a static string); nullptr: a malformed request.
    const char* close_reason = nullptr;

    static Response bytes(std::vector<uint8_t> payload);
    static Response none();
    static Response close_connection(const char* reason = nullptr);

    // Total bytes the parts put on the wire (without the size prefix).
    uint64_t wire_size() const;
    // Bytes held in memory by the parts (file slices excluded).
    uint64_t buffered_size() const;
};

// One request as read from the socket. `bytes` is everything after the size prefix (request
// header + body); its memory stays accounted against the budgets until the response is written.
struct RequestFrame {
    std::vector<uint8_t> bytes;
    int16_t api_key = 0;  // peeked from bytes[0..8); frames under 8 bytes never get here
    int16_t api_version = 0;
    int32_t correlation_id = 0;
    std::chrono::steady_clock::time_point received_at;  // when its last byte arrived
};

// Per-connection state visible to the dispatcher. Lives as long as the connection; touched only
// on that connection's network thread, so the dispatcher may read and write it without locks.
struct ConnectionContext {
    uint64_t id = 0;  // unique per Server
    std::string listener_name;
    SecurityProtocol protocol = SecurityProtocol::plaintext;
    boost::asio::ip::tcp::endpoint peer;
    // False until a SASL exchange succeeds on a SASL listener; true from the start otherwise.
    // While false the frame cap is ServerLimits::preauth_max_bytes.
    bool authenticated = true;
    std::any auth_state;  // the security module's SASL state machine and principal
};

// The broker's request handling, as seen from the network layer. Implementations must be safe to
// call from every network thread at once (each call is for one connection, on its thread).
class RequestDispatcher {
public:
    virtual ~RequestDispatcher() = default;

    // Handles one request; runs as a coroutine on the connection's thread. Must not throw for bad
    // input (answer with an error or Response::close_connection()); an exception closes the
    // connection. `conn` outlives the call.
    virtual boost::asio::awaitable<Response> dispatch(ConnectionContext& conn,
                                                      RequestFrame frame) = 0;

    // Whether a request of this api may run concurrently with its neighbours on the same
    // connection. A request for which this is false starts after every earlier one has finished
    // and before any later one is read (SaslHandshake, SaslAuthenticate, ApiVersions before
    // authentication). Responses are written in request order either way.
    virtual bool may_pipeline(int16_t api_key) const = 0;
};

// Counters of the network layer, read with Server::stats(). A snapshot of atomics: consistent per
// field, not across fields.
struct ServerStats {
    int64_t open_connections = 0;
    uint64_t accepted_total = 0;
    uint64_t rejected_max_connections = 0;   // closed at accept: max.connections reached
    uint64_t closed_idle = 0;                // closed after connections.max.idle.ms
    uint64_t frames_rejected_too_small = 0;  // size prefix < 8
    uint64_t frames_rejected_too_large = 0;  // size prefix > socket.request.max.bytes
    uint64_t frames_rejected_preauth = 0;    // size prefix > preauth cap before authentication
    uint64_t requests_total = 0;             // frames read completely
    uint64_t responses_total = 0;            // slots retired: written, no_response or close
    uint64_t dispatch_errors = 0;            // dispatcher threw
    uint64_t connection_errors = 0;          // unexpected exceptions at a connection's boundary
    int64_t inflight_requests = 0;           // read, response not yet written
    int64_t request_bytes_reserved = 0;      // declared sizes admitted against the broker budget
    int64_t request_bytes_held = 0;       // request bytes that actually arrived and are still held
    int64_t request_bytes_allocated = 0;  // buffer bytes allocated for them
    uint64_t memory_waits = 0;            // times a reader waited for the broker-wide budget
    uint64_t file_bytes_sendfile = 0;     // FileSlice bytes sent zero-copy
    uint64_t file_bytes_copied = 0;       // FileSlice bytes sent through user space
};

// The network server: owns num.network.threads io_contexts (one thread each), one acceptor per
// listener and every connection. Accepted sockets are handed round-robin to the threads and stay
// on theirs for life. Public methods may be called from any thread (stop() not from a network
// thread); start() and stop() are serialised internally. Only PLAINTEXT and SASL_PLAINTEXT
// transports exist yet; SSL listeners fail start().
class Server {
public:
    Server(std::vector<ListenerSpec> listeners,
           ServerLimits limits,
           int num_threads,
           RequestDispatcher& dispatcher);
    ~Server();  // stop()s
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Checks the limits, binds every listener, then starts the threads. Errors are values, e.g.
    // "listener PLAINTEXT: *:9092: bind failed: Address already in use". Once only.
    result<std::vector<BoundListener>, std::string> start();

    // The listeners as bound (real ports after port 0); empty before start().
    std::vector<BoundListener> bound() const;

    // Graceful: stops accepting, stops reading, lets in-flight requests finish and their
    // responses go out for up to shutdown_grace_ms, then closes everything and joins the threads.
    // Idempotent; safe from a signal-handling thread, never from a network thread.
    void stop();

    ServerStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gregor::net

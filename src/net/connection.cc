#include "gregor/net/connection.h"

#include "gregor/common/assert.h"
#include "gregor/net/frame.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <sys/sendfile.h>
#include <sys/types.h>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <vector>

namespace gregor::net::detail {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// A sendfile loop lets the other connections of its thread run after this many bytes.
constexpr uint64_t kSendfileYieldBytes = 4 * 1024 * 1024;
// Chunk of the user-space copy of a file slice (TLS, or sendfile disabled).
constexpr size_t kFileCopyChunkBytes = 64 * 1024;

// Wakes the coroutines of one connection that wait for its state to change (a response ready, a
// slot retired, a budget release, drain, close). A timer that never expires: notify() cancels the
// pending waits; every waiter re-checks its condition in a loop. Same thread as its connection.
class StateSignal {
public:
    explicit StateSignal(const asio::any_io_executor& executor)
        : timer_(executor, Clock::time_point::max()) {}

    awaitable<void> wait() { co_await timer_.async_wait(kUseTuple); }
    void notify() { timer_.cancel(); }

private:
    asio::steady_timer timer_;
};

// One request between being read and its response being written, in request order.
struct Slot {
    uint64_t seq = 0;
    std::optional<Response> response;  // set when the dispatcher is done
    MemoryLease lease;
};

struct PendingFrame {
    std::vector<uint8_t> bytes;
    MemoryLease lease;
};

// One client connection: reads size-prefixed frames, dispatches them (concurrently when the
// dispatcher allows), writes the responses in request order, closes when idle.
// Owns the stream, the request slots and their memory leases, one idle timer and one state signal.
// Thread: everything runs on the stream's executor (one io_context, one thread), so no locks.
// Lifetime: shared_ptr held by each of its coroutines (reader, writer, idle watchdog, dispatches);
// destroyed when the last one ends. Stream is tcp::socket now; an asio::ssl::stream can replace it
// (the TLS handshake goes at the top of run(); FileSlices then take the copy path).
// Invariants: slots_ is ordered by seq with no gaps; slots_.size() <= max_inflight except that one
// frame being read is not yet a slot; closed_ never goes back to false.
template <typename Stream>
class Connection final : public ConnectionBase {
public:
    Connection(Stream stream,
               const ListenerInfo& listener,
               ConnectionRegistry& registry,
               ServerShared& shared);
    ~Connection() override;

    void start();
    void begin_drain() override;
    void close_now() override;

private:
    std::shared_ptr<Connection> self() {
        return std::static_pointer_cast<Connection>(shared_from_this());
    }
    void spawn(awaitable<void> task, const char* what);
    void on_coroutine_exception(const std::exception_ptr& error, const char* what);
    void touch() { last_activity_ = Clock::now(); }
    bool reads_stopped() const { return closed_ || draining_; }

    awaitable<void> run();
    awaitable<void> read_loop();
    awaitable<bool> wait_for_read_capacity();
    awaitable<std::optional<PendingFrame>> read_frame();
    awaitable<std::optional<int32_t>> read_size_prefix();
    bool accept_frame_size(int32_t size);
    awaitable<std::optional<MemoryLease>> admit(int32_t size);
    MemoryBudget::Waker make_waker();
    awaitable<std::optional<PendingFrame>> read_body(MemoryLease lease, size_t size);
    void on_read_error(const error_code& ec);
    awaitable<void> handle_frame(PendingFrame frame);
    awaitable<void> run_dispatch(uint64_t seq, RequestFrame frame);
    Response on_dispatch_exception(const RequestHeaderPeek& header, const char* what);
    void complete(uint64_t seq, Response response);

    awaitable<void> write_loop();
    bool front_ready() const { return !slots_.empty() && slots_.front().response.has_value(); }
    awaitable<bool> deliver(Response response);
    void retire_front();
    awaitable<bool> write_response(Response response);
    awaitable<bool> write_buffers(std::vector<asio::const_buffer> buffers);
    awaitable<bool> send_file_slice(FileSlice slice);
    awaitable<bool> sendfile_slice(FileSlice slice);
    awaitable<bool> copy_file_slice(FileSlice slice);

    awaitable<void> idle_loop();

    Stream stream_;
    ConnectionContext ctx_;
    ConnectionRegistry& registry_;
    ServerShared& shared_;
    const ServerLimits& limits_;
    asio::steady_timer idle_timer_;
    StateSignal changed_;
    asio::cancellation_signal read_cancel_;
    std::array<uint8_t, kSizePrefixBytes> size_prefix_{};
    std::vector<Slot> slots_;
    uint64_t next_seq_ = 0;
    int32_t running_dispatches_ = 0;
    int64_t held_bytes_ = 0;  // request + buffered response bytes, charged by the slots' leases
    Clock::time_point last_activity_;
    bool draining_ = false;
    bool closed_ = false;
};

template <typename Stream>
Connection<Stream>::Connection(Stream stream,
                               const ListenerInfo& listener,
                               ConnectionRegistry& registry,
                               ServerShared& shared)
    : stream_(std::move(stream)),
      registry_(registry),
      shared_(shared),
      limits_(shared.limits),
      idle_timer_(stream_.get_executor()),
      changed_(stream_.get_executor()),
      last_activity_(Clock::now()) {
    ctx_.id = shared_.next_connection_id.fetch_add(1);
    ctx_.listener_name = listener.name;
    ctx_.protocol = listener.protocol;
    ctx_.authenticated = !is_sasl(listener.protocol);
    error_code ec;
    ctx_.peer = stream_.lowest_layer().remote_endpoint(ec);
}

template <typename Stream>
Connection<Stream>::~Connection() {
    shared_.stats.inflight_requests.fetch_sub(static_cast<int64_t>(slots_.size()));
    slots_.clear();  // give the memory back before counting the connection as gone
    shared_.budget.unregister(ctx_.id);
    registry_.erase(ctx_.id);
    shared_.connection_closed();
}

template <typename Stream>
void Connection<Stream>::start() {
    spawn(run(), "reader");
}

template <typename Stream>
void Connection<Stream>::spawn(awaitable<void> task, const char* what) {
    asio::co_spawn(stream_.get_executor(), std::move(task),
                   [self = self(), what](const std::exception_ptr& error) {
                       if (error) {
                           self->on_coroutine_exception(error, what);
                       }
                   });
}

template <typename Stream>
void Connection<Stream>::on_coroutine_exception(const std::exception_ptr& error, const char* what) {
    std::string message = "unknown exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        message = e.what();
    } catch (...) {
    }
    shared_.stats.connection_errors.fetch_add(1);
    logger()->error("connection {} from {}: {} failed: {}; closing", ctx_.id, Peer{ctx_.peer}, what,
                    message);
    close_now();
}

template <typename Stream>
void Connection<Stream>::begin_drain() {
    if (closed_ || draining_) {
        return;
    }
    draining_ = true;
    read_cancel_.emit(asio::cancellation_type::terminal);
    changed_.notify();
}

template <typename Stream>
void Connection<Stream>::close_now() {
    if (closed_) {
        return;
    }
    closed_ = true;
    error_code ec;
    stream_.lowest_layer().close(ec);
    idle_timer_.cancel();
    changed_.notify();
    shared_.budget.unregister(ctx_.id);
}

template <typename Stream>
awaitable<void> Connection<Stream>::run() {
    registry_.insert_or_assign(ctx_.id, weak_from_this());
    if (shared_.stopping.load()) {
        close_now();  // accepted while the server was stopping
        co_return;
    }
    logger()->debug("connection {} from {} on listener {}", ctx_.id, Peer{ctx_.peer},
                    ctx_.listener_name);
    spawn(write_loop(), "writer");
    if (limits_.connections_max_idle_ms > 0) {
        spawn(idle_loop(), "idle watchdog");
    }
    co_await read_loop();
}

// ---- reading ----------------------------------------------------------------------------------

template <typename Stream>
awaitable<void> Connection<Stream>::read_loop() {
    while (co_await wait_for_read_capacity()) {
        std::optional<PendingFrame> frame = co_await read_frame();
        if (!frame) {
            break;
        }
        co_await handle_frame(std::move(*frame));
    }
    // When draining, the writer closes the connection once the last response is out.
    changed_.notify();
}

// Back-pressure: no byte is read while the connection is at its in-flight or memory bound.
template <typename Stream>
awaitable<bool> Connection<Stream>::wait_for_read_capacity() {
    const auto max_inflight = static_cast<size_t>(limits_.max_inflight_per_connection);
    while (
        !reads_stopped()
        && (slots_.size() >= max_inflight || held_bytes_ >= limits_.connection_memory_max_bytes)) {
        co_await changed_.wait();
    }
    co_return !reads_stopped();
}

template <typename Stream>
awaitable<std::optional<PendingFrame>> Connection<Stream>::read_frame() {
    const std::optional<int32_t> size = co_await read_size_prefix();
    if (!size) {
        co_return std::nullopt;
    }
    if (!accept_frame_size(*size)) {
        close_now();
        co_return std::nullopt;
    }
    std::optional<MemoryLease> lease = co_await admit(*size);
    if (!lease) {
        co_return std::nullopt;
    }
    co_return co_await read_body(std::move(*lease), static_cast<size_t>(*size));
}

template <typename Stream>
awaitable<std::optional<int32_t>> Connection<Stream>::read_size_prefix() {
    auto [ec, n] =
        co_await asio::async_read(stream_, asio::buffer(size_prefix_),
                                  asio::bind_cancellation_slot(read_cancel_.slot(), kUseTuple));
    if (ec) {
        on_read_error(ec);
        co_return std::nullopt;
    }
    touch();
    co_return read_be32(size_prefix_.data());
}

template <typename Stream>
bool Connection<Stream>::accept_frame_size(int32_t size) {
    const bool sasl = is_sasl(ctx_.protocol);
    const int32_t cap = frame_cap_bytes(limits_.socket_request_max_bytes, limits_.preauth_max_bytes,
                                        sasl, ctx_.authenticated);
    const FrameCheck check = check_frame_size(size, cap);
    if (check == FrameCheck::ok) {
        return true;
    }
    const bool preauth = sasl && !ctx_.authenticated && check == FrameCheck::too_large;
    if (check == FrameCheck::too_small) {
        shared_.stats.frames_rejected_too_small.fetch_add(1);
    } else if (preauth) {
        shared_.stats.frames_rejected_preauth.fetch_add(1);
    } else {
        shared_.stats.frames_rejected_too_large.fetch_add(1);
    }
    logger()->warn(
        "closing connection {} from {} on listener {}: invalid request size {} ({}{}, "
        "limit {}){}",
        ctx_.id, Peer{ctx_.peer}, ctx_.listener_name, size, describe(check),
        preauth ? " before authentication" : "", cap, foreign_protocol_hint(size));
    return false;
}

// Waits for the broker-wide budget; nullopt when the connection stops reading meanwhile.
template <typename Stream>
awaitable<std::optional<MemoryLease>> Connection<Stream>::admit(int32_t size) {
    while (!reads_stopped()) {
        if (shared_.budget.reserve_or_register(size, ctx_.id, make_waker())) {
            co_return MemoryLease(&shared_.budget, &held_bytes_, size);
        }
        co_await changed_.wait();
    }
    co_return std::nullopt;
}

// Called on a releasing thread: only posts a notify to this connection's own thread.
template <typename Stream>
MemoryBudget::Waker Connection<Stream>::make_waker() {
    return [weak = std::weak_ptr<Connection>(self()), executor = stream_.get_executor()] {
        asio::post(executor, [weak] {
            if (auto connection = weak.lock()) {
                connection->changed_.notify();
            }
        });
    };
}

// Grows the buffer as bytes arrive (never to the declared size up front: CVE-2022-34917).
template <typename Stream>
awaitable<std::optional<PendingFrame>> Connection<Stream>::read_body(MemoryLease lease,
                                                                     size_t size) {
    PendingFrame frame{.bytes = {}, .lease = std::move(lease)};
    size_t filled = 0;
    while (filled < size) {
        if (filled == frame.bytes.size()) {
            const size_t grown = next_frame_buffer_size(filled, size);
            frame.bytes.reserve(grown);
            frame.bytes.resize(grown);
            frame.lease.add_allocated(static_cast<int64_t>(grown - filled));
        }
        auto [ec, n] = co_await stream_.async_read_some(
            asio::buffer(frame.bytes.data() + filled, frame.bytes.size() - filled),
            asio::bind_cancellation_slot(read_cancel_.slot(), kUseTuple));
        if (ec) {
            on_read_error(ec);
            co_return std::nullopt;
        }
        filled += n;
        frame.lease.add_received(static_cast<int64_t>(n));
        touch();
    }
    co_return frame;
}

template <typename Stream>
void Connection<Stream>::on_read_error(const error_code& ec) {
    if (draining_ && ec == asio::error::operation_aborted) {
        return;  // stop(): the writer closes once the responses are out
    }
    if (!closed_) {
        logger()->debug("connection {} from {}: read ended: {}", ctx_.id, Peer{ctx_.peer},
                        ec.message());
    }
    close_now();  // like Kafka, EOF from the peer closes without writing pending responses
}

template <typename Stream>
awaitable<void> Connection<Stream>::handle_frame(PendingFrame frame) {
    const RequestHeaderPeek header = peek_request_header(frame.bytes);
    const uint64_t seq = next_seq_++;
    slots_.push_back(Slot{.seq = seq, .response = std::nullopt, .lease = std::move(frame.lease)});
    shared_.stats.requests_total.fetch_add(1);
    shared_.stats.inflight_requests.fetch_add(1);
    RequestFrame request{
        .bytes = std::move(frame.bytes),
        .api_key = header.api_key,
        .api_version = header.api_version,
        .correlation_id = header.correlation_id,
        .received_at = Clock::now(),
    };
    if (shared_.dispatcher.may_pipeline(header.api_key)) {
        ++running_dispatches_;
        spawn(run_dispatch(seq, std::move(request)), "dispatch");
        co_return;
    }
    // Runs alone: after every earlier request, and nothing is read until it is done.
    while (!closed_ && running_dispatches_ > 0) {
        co_await changed_.wait();
    }
    if (closed_) {
        co_return;
    }
    ++running_dispatches_;
    co_await run_dispatch(seq, std::move(request));
}

template <typename Stream>
awaitable<void> Connection<Stream>::run_dispatch(uint64_t seq, RequestFrame frame) {
    const RequestHeaderPeek header{frame.api_key, frame.api_version, frame.correlation_id};
    Response response;
    try {
        response = co_await shared_.dispatcher.dispatch(ctx_, std::move(frame));
    } catch (const std::exception& e) {
        response = on_dispatch_exception(header, e.what());
    } catch (...) {
        response = on_dispatch_exception(header, "unknown exception");
    }
    complete(seq, std::move(response));
}

template <typename Stream>
Response Connection<Stream>::on_dispatch_exception(const RequestHeaderPeek& header,
                                                   const char* what) {
    shared_.stats.dispatch_errors.fetch_add(1);
    logger()->error(
        "connection {} from {}: handler for api {} v{} (correlation id {}) threw: {}; "
        "closing",
        ctx_.id, Peer{ctx_.peer}, header.api_key, header.api_version, header.correlation_id, what);
    return Response::close_connection();
}

template <typename Stream>
void Connection<Stream>::complete(uint64_t seq, Response response) {
    GREGOR_ASSERT(running_dispatches_ > 0, "dispatch completed that was not running");
    --running_dispatches_;
    touch();
    GREGOR_ASSERT(!slots_.empty() && seq >= slots_.front().seq, "completed slot already retired");
    const uint64_t index = seq - slots_.front().seq;
    GREGOR_ASSERT(index < slots_.size(), "completed slot beyond the queue");
    Slot& slot = slots_[index];
    GREGOR_ASSERT(slot.seq == seq, "slot queue out of order");
    GREGOR_ASSERT(!slot.response.has_value(), "slot completed twice");
    slot.lease.add_response(static_cast<int64_t>(response.buffered_size()));
    slot.response = std::move(response);
    changed_.notify();
}

// ---- writing ----------------------------------------------------------------------------------

template <typename Stream>
awaitable<void> Connection<Stream>::write_loop() {
    for (;;) {
        while (!closed_ && !front_ready() && !(draining_ && slots_.empty())) {
            co_await changed_.wait();
        }
        if (closed_) {
            co_return;
        }
        if (slots_.empty()) {  // drained: every response read before stop() is out
            close_now();
            co_return;
        }
        Response response = std::move(*slots_.front().response);
        const bool keep_open = co_await deliver(std::move(response));
        if (closed_) {
            co_return;
        }
        retire_front();
        if (!keep_open) {
            close_now();
            co_return;
        }
    }
}

template <typename Stream>
awaitable<bool> Connection<Stream>::deliver(Response response) {
    switch (response.kind) {
        case Response::Kind::respond:
            co_return co_await write_response(std::move(response));
        case Response::Kind::no_response:
            co_return true;
        case Response::Kind::close:
            logger()->debug("connection {} from {}: closed by its handler", ctx_.id,
                            Peer{ctx_.peer});
            co_return false;
    }
    co_return false;
}

template <typename Stream>
void Connection<Stream>::retire_front() {
    slots_.erase(slots_.begin());  // releases the request's memory lease
    shared_.stats.responses_total.fetch_add(1);
    shared_.stats.inflight_requests.fetch_sub(1);
    touch();
    changed_.notify();  // the reader may be waiting for capacity
}

// One gathered write of the size prefix and the buffered parts; file slices between them go out
// once the bytes before them are written.
template <typename Stream>
awaitable<bool> Connection<Stream>::write_response(Response response) {
    const uint64_t size = response.wire_size();
    if (size > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        logger()->error("connection {}: response of {} bytes does not fit a frame; closing",
                        ctx_.id, size);
        co_return false;
    }
    std::array<uint8_t, kSizePrefixBytes> prefix{};
    write_be32(prefix.data(), static_cast<int32_t>(size));
    std::vector<asio::const_buffer> pending;
    pending.reserve(response.parts.size() + 1);
    pending.push_back(asio::buffer(prefix));
    for (const Response::Part& part : response.parts) {
        if (const auto* bytes = std::get_if<std::vector<uint8_t>>(&part)) {
            pending.push_back(asio::buffer(*bytes));
            continue;
        }
        if (!co_await write_buffers(std::exchange(pending, {}))) {
            co_return false;
        }
        if (!co_await send_file_slice(std::get<FileSlice>(part))) {
            co_return false;
        }
    }
    co_return co_await write_buffers(std::move(pending));
}

template <typename Stream>
awaitable<bool> Connection<Stream>::write_buffers(std::vector<asio::const_buffer> buffers) {
    if (buffers.empty() || closed_) {
        co_return !closed_;
    }
    auto [ec, n] = co_await asio::async_write(stream_, buffers, kUseTuple);
    if (ec) {
        if (!closed_) {
            logger()->debug("connection {} from {}: write failed: {}", ctx_.id, Peer{ctx_.peer},
                            ec.message());
        }
        co_return false;
    }
    touch();
    co_return true;
}

template <typename Stream>
awaitable<bool> Connection<Stream>::send_file_slice(FileSlice slice) {
    if (slice.length == 0) {
        co_return true;
    }
    if (!slice.file
        || slice.offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max()) - slice.length) {
        logger()->error("connection {}: invalid file slice in a response; closing", ctx_.id);
        co_return false;
    }
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
        if (limits_.use_sendfile) {
            co_return co_await sendfile_slice(std::move(slice));
        }
    }
    co_return co_await copy_file_slice(std::move(slice));
}

// Zero-copy: the socket has no buffered bytes pending (the previous write completed), so the
// kernel may append the file's pages directly. EAGAIN waits for writability.
template <typename Stream>
awaitable<bool> Connection<Stream>::sendfile_slice(FileSlice slice) {
    auto& socket = stream_.lowest_layer();
    error_code ec;
    socket.native_non_blocking(true, ec);
    if (ec) {
        co_return false;
    }
    auto offset = static_cast<off_t>(slice.offset);
    size_t remaining = slice.length;
    uint64_t since_yield = 0;
    while (remaining > 0) {
        const ssize_t n = ::sendfile(socket.native_handle(), slice.file->fd(), &offset, remaining);
        if (n > 0) {
            remaining -= static_cast<size_t>(n);
            since_yield += static_cast<uint64_t>(n);
            shared_.stats.file_bytes_sendfile.fetch_add(static_cast<uint64_t>(n),
                                                        std::memory_order_relaxed);
            touch();
            if (since_yield >= kSendfileYieldBytes && remaining > 0) {
                since_yield = 0;
                co_await asio::post(stream_.get_executor(), asio::use_awaitable);
                if (closed_) {
                    co_return false;
                }
            }
            continue;
        }
        if (n == 0) {
            logger()->error("connection {}: file ended {} bytes before its slice; closing", ctx_.id,
                            remaining);
            co_return false;
        }
        const int error = errno;
        if (error == EINTR) {
            continue;
        }
        if (error != EAGAIN && error != EWOULDBLOCK) {
            logger()->debug("connection {}: sendfile failed: {}", ctx_.id, std::strerror(error));
            co_return false;
        }
        auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_write, kUseTuple);
        if (wait_ec || closed_) {
            co_return false;
        }
    }
    co_return true;
}

// The buffered path: pread into a bounded chunk and write it through the stream.
template <typename Stream>
awaitable<bool> Connection<Stream>::copy_file_slice(FileSlice slice) {
    std::vector<uint8_t> chunk(std::min<size_t>(kFileCopyChunkBytes, slice.length));
    auto offset = static_cast<off_t>(slice.offset);
    size_t remaining = slice.length;
    while (remaining > 0) {
        const size_t want = std::min(remaining, chunk.size());
        const ssize_t n = ::pread(slice.file->fd(), chunk.data(), want, offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            logger()->error("connection {}: reading a file slice failed ({}); closing", ctx_.id,
                            n == 0 ? "end of file" : std::strerror(errno));
            co_return false;
        }
        auto [ec, written] = co_await asio::async_write(
            stream_, asio::buffer(chunk.data(), static_cast<size_t>(n)), kUseTuple);
        if (ec || closed_) {
            co_return false;
        }
        offset += n;
        remaining -= static_cast<size_t>(n);
        shared_.stats.file_bytes_copied.fetch_add(static_cast<uint64_t>(n),
                                                  std::memory_order_relaxed);
        touch();
    }
    co_return true;
}

// ---- idle -------------------------------------------------------------------------------------

// One timer per connection, re-armed from last_activity_ rather than reset on every event. A
// connection whose requests are still being handled (a long-poll fetch) is not idle; one that only
// waits on the network (a peer that neither sends nor reads) is.
template <typename Stream>
awaitable<void> Connection<Stream>::idle_loop() {
    const auto idle = std::chrono::milliseconds(limits_.connections_max_idle_ms);
    while (!closed_) {
        idle_timer_.expires_at(last_activity_ + idle);
        co_await idle_timer_.async_wait(kUseTuple);
        if (closed_) {
            co_return;
        }
        if (Clock::now() < last_activity_ + idle) {
            continue;
        }
        if (running_dispatches_ > 0) {
            touch();
            continue;
        }
        shared_.stats.closed_idle.fetch_add(1);
        logger()->debug("closing connection {} from {}: idle for {} ms", ctx_.id, Peer{ctx_.peer},
                        limits_.connections_max_idle_ms);
        close_now();
    }
}

}  // namespace

// The connection is created on its own thread, so that every strong reference to it (and hence
// its destructor, which touches the thread's registry) stays on that thread.
void start_plain_connection(tcp::socket socket,
                            const ListenerInfo& listener,
                            ConnectionRegistry& registry,
                            ServerShared& shared) {
    const asio::any_io_executor executor = socket.get_executor();
    asio::post(executor, [socket = std::move(socket), listener, registry = &registry,
                          shared = &shared]() mutable {
        auto connection = std::make_shared<Connection<tcp::socket>>(std::move(socket), listener,
                                                                    *registry, *shared);
        connection->start();
    });
}

}  // namespace gregor::net::detail

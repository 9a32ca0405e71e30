// Goal: the network server frames, pipelines, orders, bounds and closes connections as specified,
// against real loopback sockets. Method: a Server on 127.0.0.1 port 0 with a fake dispatcher
// whose requests carry an action and a delay, driven by small blocking POSIX clients. Conditions
// are polled with deadlines instead of sleeping.

#include "gregor/net/server.h"

#include "gregor/net/frame.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace gregor::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- the fake dispatcher ----------------------------------------------------------------------

// Request body after the 8-byte header: u8 action, u32 delay_ms, then the action's payload.
enum class Action : uint8_t {
    echo = 0,  // respond: correlation id + payload
    no_response = 1,
    close = 2,
    throw_error = 3,
    file_slice = 4,    // payload: u64 offset, u32 length; respond: correlation id + slice + "END"
    authenticate = 5,  // mark the connection authenticated, then echo
};

constexpr int16_t kPipelinedApi = 0;
constexpr int16_t kSerialApi = 17;  // SaslHandshake's key: never pipelined

struct Event {
    bool start;
    int32_t correlation_id;
};

uint32_t read_u32(const uint8_t* p) {
    return static_cast<uint32_t>(read_be32(p));
}

std::vector<uint8_t> be32_bytes(int32_t value) {
    std::vector<uint8_t> bytes(4);
    write_be32(bytes.data(), value);
    return bytes;
}

// Records concurrency and the start/end order of every request. Thread-safe (requests of
// different connections run on different threads).
class FakeDispatcher final : public RequestDispatcher {
public:
    boost::asio::awaitable<Response> dispatch(ConnectionContext& conn,
                                              RequestFrame frame) override {
        const int32_t correlation_id = frame.correlation_id;
        ActiveGuard guard(*this, correlation_id, frame.api_key == kSerialApi);
        if (frame.bytes.size() < 13) {
            co_return Response::close_connection();
        }
        const auto action = static_cast<Action>(frame.bytes[8]);
        const uint32_t delay_ms = read_u32(frame.bytes.data() + 9);
        if (delay_ms > 0) {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                            std::chrono::milliseconds(delay_ms));
            co_await timer.async_wait(boost::asio::use_awaitable);
        }
        std::vector<uint8_t> payload(frame.bytes.begin() + 13, frame.bytes.end());
        co_return respond(conn, action, correlation_id, std::move(payload));
    }

    bool may_pipeline(int16_t api_key) const override { return api_key != kSerialApi; }

    std::shared_ptr<const FileHandle> file;
    std::atomic<int> calls{0};
    std::atomic<int> active{0};
    std::atomic<int> max_active{0};
    std::atomic<bool> serial_overlap{false};

    std::vector<Event> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }

private:
    // Counts the request as running for its whole coroutine, including when the coroutine is
    // destroyed suspended at stop().
    class ActiveGuard {
    public:
        ActiveGuard(FakeDispatcher& owner, int32_t correlation_id, bool serial)
            : owner_(owner), correlation_id_(correlation_id), serial_(serial) {
            owner_.calls.fetch_add(1);
            const int now = owner_.active.fetch_add(1) + 1;
            int seen = owner_.max_active.load();
            while (now > seen && !owner_.max_active.compare_exchange_weak(seen, now)) {
            }
            if (serial_ && now != 1) {
                owner_.serial_overlap.store(true);
            }
            owner_.record(Event{true, correlation_id_});
        }
        ~ActiveGuard() {
            if (serial_ && owner_.active.load() != 1) {
                owner_.serial_overlap.store(true);
            }
            owner_.record(Event{false, correlation_id_});
            owner_.active.fetch_sub(1);
        }
        ActiveGuard(const ActiveGuard&) = delete;
        ActiveGuard& operator=(const ActiveGuard&) = delete;

    private:
        FakeDispatcher& owner_;
        int32_t correlation_id_;
        bool serial_;
    };

    Response respond(ConnectionContext& conn,
                     Action action,
                     int32_t correlation_id,
                     std::vector<uint8_t> payload) {
        switch (action) {
            case Action::no_response:
                return Response::none();
            case Action::close:
                return Response::close_connection();
            case Action::throw_error:
                throw std::runtime_error("handler failure injected by the test");
            case Action::file_slice:
                return file_response(correlation_id, payload);
            case Action::authenticate:
                conn.authenticated = true;
                break;
            case Action::echo:
                break;
        }
        std::vector<uint8_t> body = be32_bytes(correlation_id);
        body.insert(body.end(), payload.begin(), payload.end());
        return Response::bytes(std::move(body));
    }

    Response file_response(int32_t correlation_id, const std::vector<uint8_t>& payload) {
        uint64_t offset = 0;
        for (int i = 0; i < 8; ++i) {
            offset = (offset << 8) | payload.at(static_cast<size_t>(i));
        }
        const uint32_t length = read_u32(payload.data() + 8);
        Response response;
        response.parts.emplace_back(be32_bytes(correlation_id));
        response.parts.emplace_back(FileSlice{file, offset, length});
        response.parts.emplace_back(std::vector<uint8_t>{'E', 'N', 'D'});
        return response;
    }

    void record(Event event) {
        std::lock_guard lock(mutex_);
        events_.push_back(event);
    }

    mutable std::mutex mutex_;
    std::vector<Event> events_;
};

// ---- the test client --------------------------------------------------------------------------

std::vector<uint8_t> encode_request(int16_t api_key,
                                    int32_t correlation_id,
                                    Action action,
                                    uint32_t delay_ms,
                                    const std::vector<uint8_t>& payload = {}) {
    const auto size = static_cast<int32_t>(13 + payload.size());
    std::vector<uint8_t> out(4 + 13);
    write_be32(out.data(), size);
    out[4] = static_cast<uint8_t>(api_key >> 8);
    out[5] = static_cast<uint8_t>(api_key);
    out[6] = 0;
    out[7] = 1;  // api_version 1
    write_be32(out.data() + 8, correlation_id);
    out[12] = static_cast<uint8_t>(action);
    write_be32(out.data() + 13, static_cast<int32_t>(delay_ms));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::vector<uint8_t> echo(int32_t correlation_id, uint32_t delay_ms = 0, size_t payload = 0) {
    std::vector<uint8_t> bytes(payload);
    for (size_t i = 0; i < payload; ++i) {
        bytes[i] = static_cast<uint8_t>(i * 7 + 3);
    }
    return encode_request(kPipelinedApi, correlation_id, Action::echo, delay_ms, bytes);
}

// A blocking loopback client; every wait has a deadline so a failing test cannot hang.
class Client {
public:
    explicit Client(uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) {
            throw std::runtime_error("socket failed");
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
            throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
        }
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    ~Client() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // False if the peer already closed.
    bool send(const std::vector<uint8_t>& bytes) {
        size_t sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            sent += static_cast<size_t>(n);
        }
        return true;
    }

    // One response frame (without its size prefix), or nullopt on close, error or timeout.
    std::optional<std::vector<uint8_t>> read_frame(std::chrono::milliseconds timeout = 3000ms) {
        const auto deadline = Clock::now() + timeout;
        std::vector<uint8_t> prefix(4);
        if (!read_exact(prefix.data(), prefix.size(), deadline)) {
            return std::nullopt;
        }
        const int32_t size = read_be32(prefix.data());
        if (size < 0) {
            return std::nullopt;
        }
        std::vector<uint8_t> body(static_cast<size_t>(size));
        if (!read_exact(body.data(), body.size(), deadline)) {
            return std::nullopt;
        }
        return body;
    }

    // Waits for a few bytes of whatever comes next.
    bool read_some() {
        uint8_t scratch[16];
        return read_exact(scratch, sizeof(scratch), Clock::now() + 3000ms);
    }

    // Closes with a reset (SO_LINGER 0) instead of a FIN.
    void reset() {
        const linger hard{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
        ::close(fd_);
        fd_ = -1;
    }

    std::optional<int32_t> read_correlation_id() {
        auto frame = read_frame();
        if (!frame || frame->size() < 4) {
            return std::nullopt;
        }
        return read_be32(frame->data());
    }

    // True once the server has closed the connection (EOF or reset) within the timeout. Any
    // response bytes still in flight are skipped.
    bool wait_closed(std::chrono::milliseconds timeout = 1500ms) {
        const auto deadline = Clock::now() + timeout;
        uint8_t scratch[4096];
        for (;;) {
            if (!wait_readable(deadline)) {
                return false;
            }
            const ssize_t n = ::recv(fd_, scratch, sizeof(scratch), 0);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) {
                return true;
            }
            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                return true;
            }
        }
    }

private:
    bool wait_readable(Clock::time_point deadline) {
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                return false;
            }
            pollfd pfd{fd_, POLLIN, 0};
            const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
            if (ready > 0) {
                return true;
            }
            if (ready < 0 && errno != EINTR) {
                return false;
            }
        }
    }

    bool read_exact(uint8_t* out, size_t size, Clock::time_point deadline) {
        size_t got = 0;
        while (got < size) {
            if (!wait_readable(deadline)) {
                return false;
            }
            const ssize_t n = ::recv(fd_, out + got, size - got, 0);
            if (n <= 0) {
                return false;
            }
            got += static_cast<size_t>(n);
        }
        return true;
    }

    int fd_ = -1;
};

bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = 2000ms) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(1ms);
    }
    return condition();
}

std::vector<uint8_t> concat(const std::vector<std::vector<uint8_t>>& pieces) {
    std::vector<uint8_t> out;
    for (const auto& piece : pieces) {
        out.insert(out.end(), piece.begin(), piece.end());
    }
    return out;
}

// ---- fixture ----------------------------------------------------------------------------------

class ServerTest : public ::testing::Test {
protected:
    static ServerLimits test_limits() {
        ServerLimits limits;
        limits.shutdown_grace_ms = 1000;
        return limits;
    }

    void start(ServerLimits limits = test_limits(),
               SecurityProtocol protocol = SecurityProtocol::plaintext,
               int threads = 2) {
        server_ =
            std::make_unique<Server>(std::vector<ListenerSpec>{{"TEST", "127.0.0.1", 0, protocol}},
                                     limits, threads, dispatcher_);
        auto started = server_->start();
        ASSERT_TRUE(started.has_value()) << started.error();
        ASSERT_EQ(started->size(), 1u);
        port_ = (*started)[0].port;
        ASSERT_NE(port_, 0);
    }

    void TearDown() override {
        if (server_) {
            server_->stop();
        }
    }

    ServerStats stats() const { return server_->stats(); }

    FakeDispatcher dispatcher_;
    std::unique_ptr<Server> server_;
    uint16_t port_ = 0;
};

// ---- tests ------------------------------------------------------------------------------------

// Pipelined requests finishing in reverse order still get their responses in request order.
TEST_F(ServerTest, PipelinedResponsesComeBackInRequestOrder) {
    start();
    Client client(port_);
    std::vector<std::vector<uint8_t>> requests;
    for (int i = 0; i < 10; ++i) {
        requests.push_back(echo(i, static_cast<uint32_t>(5 * (10 - i)), static_cast<size_t>(i)));
    }
    ASSERT_TRUE(client.send(concat(requests)));
    for (int i = 0; i < 10; ++i) {
        auto frame = client.read_frame();
        ASSERT_TRUE(frame.has_value()) << "response " << i;
        ASSERT_EQ(frame->size(), 4u + static_cast<size_t>(i));
        EXPECT_EQ(read_be32(frame->data()), i);
    }
    EXPECT_GT(dispatcher_.max_active.load(), 1);  // they really overlapped
}

// A request that may not pipeline starts after all earlier ones end, and later ones start after
// it ends; responses stay in order.
TEST_F(ServerTest, NonPipelinableRequestsRunAlone) {
    start();
    Client client(port_);
    const std::vector<std::pair<int16_t, uint32_t>> plan = {
        {kPipelinedApi, 30}, {kPipelinedApi, 20}, {kSerialApi, 10},  {kPipelinedApi, 5},
        {kSerialApi, 15},    {kPipelinedApi, 10}, {kPipelinedApi, 1}};
    std::vector<std::vector<uint8_t>> requests;
    for (size_t i = 0; i < plan.size(); ++i) {
        requests.push_back(
            encode_request(plan[i].first, static_cast<int32_t>(i), Action::echo, plan[i].second));
    }
    ASSERT_TRUE(client.send(concat(requests)));
    for (size_t i = 0; i < plan.size(); ++i) {
        EXPECT_EQ(client.read_correlation_id(), static_cast<int32_t>(i));
    }
    EXPECT_FALSE(dispatcher_.serial_overlap.load());
    const std::vector<Event> events = dispatcher_.events();
    auto position = [&events](bool start, int32_t id) {
        return std::find_if(
                   events.begin(), events.end(),
                   [&](const Event& e) { return e.start == start && e.correlation_id == id; })
               - events.begin();
    };
    for (int32_t serial : {2, 4}) {
        for (int32_t other = 0; other < static_cast<int32_t>(plan.size()); ++other) {
            if (other < serial) {
                EXPECT_LT(position(false, other), position(true, serial));
            } else if (other > serial) {
                EXPECT_GT(position(true, other), position(false, serial));
            }
        }
    }
}

// A frame over socket.request.max.bytes closes its connection; another client is unaffected.
TEST_F(ServerTest, OversizedFrameClosesOnlyThatConnection) {
    ServerLimits limits = test_limits();
    limits.socket_request_max_bytes = 1 << 20;
    start(limits);
    Client good(port_);
    Client bad(port_);
    std::vector<uint8_t> prefix(4);
    write_be32(prefix.data(), (1 << 20) + 1);
    ASSERT_TRUE(bad.send(prefix));
    EXPECT_TRUE(bad.wait_closed());
    ASSERT_TRUE(good.send(echo(7)));
    EXPECT_EQ(good.read_correlation_id(), 7);
    EXPECT_EQ(stats().frames_rejected_too_large, 1u);
    EXPECT_TRUE(wait_until([this] { return stats().request_bytes_allocated == 0; }));
}

// 2 GiB and negative size prefixes are refused from the 4 bytes alone: nothing is allocated.
TEST_F(ServerTest, HugeAndNegativeLengthPrefixesClose) {
    start();
    Client good(port_);
    for (int32_t size : {std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(),
                         -1, 0x16030100 /* a TLS ClientHello */}) {
        Client bad(port_);
        std::vector<uint8_t> prefix(4);
        write_be32(prefix.data(), size);
        ASSERT_TRUE(bad.send(prefix));
        EXPECT_TRUE(bad.wait_closed()) << size;
        ASSERT_TRUE(good.send(echo(size)));
        EXPECT_EQ(good.read_correlation_id(), size);
    }
    EXPECT_EQ(stats().frames_rejected_too_large, 2u);
    EXPECT_EQ(stats().frames_rejected_too_small, 2u);
    // The last echo's slot is retired just after its response is written.
    EXPECT_TRUE(wait_until([this] { return stats().request_bytes_allocated == 0; }));
}

// Frames shorter than the 8-byte header prefix close the connection before dispatch.
TEST_F(ServerTest, FramesShorterThanEightBytesClose) {
    start();
    for (int32_t size : {0, 7}) {
        Client client(port_);
        std::vector<uint8_t> frame(4 + static_cast<size_t>(size), 0);
        write_be32(frame.data(), size);
        ASSERT_TRUE(client.send(frame));
        EXPECT_TRUE(client.wait_closed()) << size;
    }
    EXPECT_EQ(stats().frames_rejected_too_small, 2u);
    EXPECT_EQ(dispatcher_.calls.load(), 0);
}

// A 50 MiB frame that stops after 1000 bytes costs about 1000 bytes, not 50 MiB; the accounting
// says exactly what arrived and returns to zero when the peer goes away.
TEST_F(ServerTest, IncompleteHugeFrameAccountsOnlyWhatArrived) {
    start();
    constexpr int32_t kDeclared = 50 << 20;
    {
        Client client(port_);
        std::vector<uint8_t> partial(4 + 1000, 0x5a);
        write_be32(partial.data(), kDeclared);
        ASSERT_TRUE(client.send(partial));
        ASSERT_TRUE(wait_until([this] { return stats().request_bytes_held == 1000; }))
            << stats().request_bytes_held;
        const ServerStats s = stats();
        EXPECT_EQ(s.request_bytes_reserved, kDeclared);
        EXPECT_GT(s.request_bytes_allocated, 0);
        EXPECT_LE(s.request_bytes_allocated, static_cast<int64_t>(kInitialFrameBufferBytes));
        EXPECT_EQ(dispatcher_.calls.load(), 0);
    }
    EXPECT_TRUE(wait_until([this] {
        const ServerStats s = stats();
        return s.request_bytes_held == 0 && s.request_bytes_reserved == 0
               && s.request_bytes_allocated == 0 && s.open_connections == 0;
    }));
}

// A frame trickled in one byte at a time, and one much larger than the initial buffer, both
// arrive intact.
TEST_F(ServerTest, FramesAssembleAcrossReadsAndBufferGrowth) {
    start();
    Client client(port_);
    const std::vector<uint8_t> small = echo(1, 0, 100);
    for (uint8_t byte : small) {
        ASSERT_TRUE(client.send({byte}));
    }
    auto first = client.read_frame();
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(std::equal(first->begin() + 4, first->end(), small.begin() + 17));
    const size_t big_payload = 5 * kInitialFrameBufferBytes + 123;
    const std::vector<uint8_t> big = echo(2, 0, big_payload);
    ASSERT_TRUE(client.send(big));
    auto second = client.read_frame();
    ASSERT_TRUE(second.has_value());
    ASSERT_EQ(second->size(), 4 + big_payload);
    EXPECT_TRUE(std::equal(second->begin() + 4, second->end(), big.begin() + 17));
}

// connections.max.idle.ms closes a quiet connection, but not one whose request is still being
// handled.
TEST_F(ServerTest, IdleConnectionsAreClosed) {
    ServerLimits limits = test_limits();
    limits.connections_max_idle_ms = 100;
    start(limits);
    Client quiet(port_);
    Client busy(port_);
    ASSERT_TRUE(busy.send(echo(1, 400)));
    EXPECT_TRUE(quiet.wait_closed(1500ms));
    EXPECT_EQ(busy.read_correlation_id(), 1);
    EXPECT_TRUE(busy.wait_closed(1500ms));  // idle again after its response
    EXPECT_EQ(stats().closed_idle, 2u);
}

// Back-pressure: with max_inflight_per_connection = 4, a client writing 40 requests at once never
// has more than 4 handled at a time, and every response comes back in order.
TEST_F(ServerTest, InflightRequestsStayUnderTheCap) {
    ServerLimits limits = test_limits();
    limits.max_inflight_per_connection = 4;
    start(limits);
    Client client(port_);
    std::vector<std::vector<uint8_t>> requests;
    for (int i = 0; i < 40; ++i) {
        requests.push_back(echo(i, 5));
    }
    ASSERT_TRUE(client.send(concat(requests)));
    for (int i = 0; i < 40; ++i) {
        ASSERT_EQ(client.read_correlation_id(), i);
    }
    EXPECT_LE(dispatcher_.max_active.load(), 4);
    EXPECT_GE(dispatcher_.max_active.load(), 2);
    EXPECT_TRUE(wait_until([this] { return stats().inflight_requests == 0; }));
}

// The per-connection memory bound stops reading before the in-flight cap does.
TEST_F(ServerTest, ConnectionMemoryBoundStopsReading) {
    ServerLimits limits = test_limits();
    limits.connection_memory_max_bytes = 3 * 10000;
    start(limits);
    Client client(port_);
    std::vector<std::vector<uint8_t>> requests;
    for (int i = 0; i < 12; ++i) {
        requests.push_back(echo(i, 10, 10000));
    }
    ASSERT_TRUE(client.send(concat(requests)));
    for (int i = 0; i < 12; ++i) {
        ASSERT_EQ(client.read_correlation_id(), i);
    }
    EXPECT_LE(dispatcher_.max_active.load(), 3);
}

// The broker-wide budget makes readers wait (not fail): two clients share a 16 KB budget with
// 10 KB requests, so at most two are admitted at once and all are answered.
TEST_F(ServerTest, BrokerWideBudgetMakesReadersWait) {
    ServerLimits limits = test_limits();
    limits.total_memory_max_bytes = 16000;
    start(limits);
    Client first(port_);
    Client second(port_);
    std::vector<std::vector<uint8_t>> requests;
    for (int i = 0; i < 6; ++i) {
        requests.push_back(echo(i, 10, 10000));
    }
    ASSERT_TRUE(first.send(concat(requests)));
    ASSERT_TRUE(second.send(concat(requests)));
    for (int i = 0; i < 6; ++i) {
        ASSERT_EQ(first.read_correlation_id(), i);
        ASSERT_EQ(second.read_correlation_id(), i);
    }
    EXPECT_LE(dispatcher_.max_active.load(), 2);
    EXPECT_GT(stats().memory_waits, 0u);
    EXPECT_TRUE(wait_until([this] { return stats().request_bytes_reserved == 0; }));
}

// Kind::no_response consumes its slot silently (acks=0): the next response is the next request's.
TEST_F(ServerTest, NoResponseConsumesTheSlot) {
    start();
    Client client(port_);
    ASSERT_TRUE(client.send(
        concat({encode_request(kPipelinedApi, 1, Action::no_response, 20), echo(2),
                encode_request(kPipelinedApi, 3, Action::no_response, 0), echo(4, 5)})));
    EXPECT_EQ(client.read_correlation_id(), 2);
    EXPECT_EQ(client.read_correlation_id(), 4);
    EXPECT_TRUE(wait_until([this] { return stats().responses_total == 4; }));
}

// Kind::close closes the connection after every earlier response is written.
TEST_F(ServerTest, CloseKindClosesAfterEarlierResponses) {
    start();
    Client client(port_);
    ASSERT_TRUE(client.send(
        concat({echo(1, 30), encode_request(kPipelinedApi, 2, Action::close, 0), echo(3)})));
    EXPECT_EQ(client.read_correlation_id(), 1);
    EXPECT_TRUE(client.wait_closed());
}

// A dispatcher exception closes that connection only; the server keeps serving.
TEST_F(ServerTest, DispatcherExceptionClosesOnlyThatConnection) {
    start(test_limits(), SecurityProtocol::plaintext, /*threads=*/1);
    Client bad(port_);
    Client good(port_);
    ASSERT_TRUE(
        bad.send(concat({echo(1), encode_request(kPipelinedApi, 2, Action::throw_error, 0)})));
    EXPECT_EQ(bad.read_correlation_id(), 1);
    EXPECT_TRUE(bad.wait_closed());
    ASSERT_TRUE(good.send(echo(3)));
    EXPECT_EQ(good.read_correlation_id(), 3);
    EXPECT_EQ(stats().dispatch_errors, 1u);
}

class TempFile {
public:
    explicit TempFile(size_t size) {
        char path[] = "/tmp/gregor-net-test-XXXXXX";
        fd_ = ::mkstemp(path);
        if (fd_ < 0) {
            throw std::runtime_error("mkstemp failed");
        }
        ::unlink(path);
        contents_.resize(size);
        uint32_t x = 12345;
        for (auto& byte : contents_) {
            x = x * 1103515245 + 12345;
            byte = static_cast<uint8_t>(x >> 16);
        }
        if (::write(fd_, contents_.data(), size) != static_cast<ssize_t>(size)) {
            throw std::runtime_error("write failed");
        }
    }
    std::shared_ptr<const FileHandle> handle() const {
        return std::make_shared<FileHandle>(::dup(fd_));
    }
    const std::vector<uint8_t>& contents() const { return contents_; }
    ~TempFile() { ::close(fd_); }

private:
    int fd_ = -1;
    std::vector<uint8_t> contents_;
};

void check_file_slice_response(uint16_t port,
                               const TempFile& file,
                               uint64_t offset,
                               uint32_t length) {
    Client client(port);
    std::vector<uint8_t> payload(12);
    for (int i = 0; i < 8; ++i) {
        payload[static_cast<size_t>(i)] = static_cast<uint8_t>(offset >> (56 - 8 * i));
    }
    write_be32(payload.data() + 8, static_cast<int32_t>(length));
    ASSERT_TRUE(client.send(encode_request(kPipelinedApi, 9, Action::file_slice, 0, payload)));
    ASSERT_TRUE(client.send(echo(10)));
    auto frame = client.read_frame();
    ASSERT_TRUE(frame.has_value());
    ASSERT_EQ(frame->size(), 4 + length + 3);
    EXPECT_EQ(read_be32(frame->data()), 9);
    EXPECT_TRUE(std::equal(frame->begin() + 4, frame->begin() + 4 + length,
                           file.contents().begin() + static_cast<ptrdiff_t>(offset)));
    EXPECT_EQ(std::string(frame->end() - 3, frame->end()), "END");
    EXPECT_EQ(client.read_correlation_id(), 10);
}

// FileSlice parts go out with sendfile(2) between the buffered parts, byte-exact.
TEST_F(ServerTest, FileSliceIsSentWithSendfile) {
    TempFile file(3 << 20);
    dispatcher_.file = file.handle();
    start();
    check_file_slice_response(port_, file, 12345, (5 << 19) + 7);
    EXPECT_EQ(stats().file_bytes_sendfile, (5u << 19) + 7);
    EXPECT_EQ(stats().file_bytes_copied, 0u);
}

// The user-space copy path (what TLS will use) sends the same bytes.
TEST_F(ServerTest, FileSliceIsSentByCopyWhenSendfileIsOff) {
    TempFile file(1 << 20);
    dispatcher_.file = file.handle();
    ServerLimits limits = test_limits();
    limits.use_sendfile = false;
    start(limits);
    check_file_slice_response(port_, file, 777, 300001);
    EXPECT_EQ(stats().file_bytes_copied, 300001u);
    EXPECT_EQ(stats().file_bytes_sendfile, 0u);
}

// A client that resets its connection while a file slice is being sent (EPIPE, which raises
// SIGPIPE for sendfile) costs only that connection.
TEST_F(ServerTest, PeerResetDuringSendfileOnlyClosesThatConnection) {
    TempFile file(4 << 20);
    dispatcher_.file = file.handle();
    start();
    for (int round = 0; round < 5; ++round) {
        Client client(port_);
        std::vector<uint8_t> payload(12, 0);
        write_be32(payload.data() + 8, 4 << 20);
        ASSERT_TRUE(client.send(encode_request(kPipelinedApi, 1, Action::file_slice, 0, payload)));
        ASSERT_TRUE(client.read_some());  // the server is now inside the slice, socket buffers full
        client.reset();
    }
    ASSERT_TRUE(wait_until([this] { return stats().open_connections == 0; }));
    Client good(port_);
    ASSERT_TRUE(good.send(echo(2)));
    EXPECT_EQ(good.read_correlation_id(), 2);
    EXPECT_EQ(stats().connection_errors, 0u);
}

// Five hundred idle connections cost little and do not starve an active client.
TEST_F(ServerTest, ManyIdleConnectionsDoNotStarveAnActiveOne) {
    start();
    std::vector<std::unique_ptr<Client>> idle;
    for (int i = 0; i < 500; ++i) {
        idle.push_back(std::make_unique<Client>(port_));
    }
    ASSERT_TRUE(wait_until([this] { return stats().open_connections == 500; }))
        << stats().open_connections;
    Client active(port_);
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(active.send(echo(i)));
        ASSERT_EQ(active.read_correlation_id(), i);
    }
    EXPECT_TRUE(wait_until([this] { return stats().request_bytes_allocated == 0; }));
}

// max.connections: a connection beyond the limit is closed at accept; the others keep working.
TEST_F(ServerTest, ConnectionsBeyondMaxAreClosedAtAccept) {
    ServerLimits limits = test_limits();
    limits.max_connections = 2;
    start(limits);
    Client first(port_);
    Client second(port_);
    ASSERT_TRUE(wait_until([this] { return stats().open_connections == 2; }));
    Client third(port_);
    EXPECT_TRUE(third.wait_closed());
    EXPECT_EQ(stats().rejected_max_connections, 1u);
    ASSERT_TRUE(first.send(echo(1)));
    EXPECT_EQ(first.read_correlation_id(), 1);
}

// On a SASL listener the pre-authentication cap applies until the dispatcher marks the connection
// authenticated; then socket.request.max.bytes does.
TEST_F(ServerTest, PreauthCapAppliesUntilAuthenticated) {
    ServerLimits limits = test_limits();
    limits.preauth_max_bytes = 1024;
    start(limits, SecurityProtocol::sasl_plaintext);
    Client stranger(port_);
    ASSERT_TRUE(stranger.send(echo(1, 0, 2000)));
    EXPECT_TRUE(stranger.wait_closed());
    EXPECT_EQ(stats().frames_rejected_preauth, 1u);

    Client member(port_);
    ASSERT_TRUE(member.send(encode_request(kSerialApi, 2, Action::authenticate, 0)));
    EXPECT_EQ(member.read_correlation_id(), 2);
    ASSERT_TRUE(member.send(echo(3, 0, 2000)));
    EXPECT_EQ(member.read_correlation_id(), 3);
}

// Binding a port in use is an error value naming the listener, not an exception.
TEST_F(ServerTest, PortInUseIsReportedAsAnError) {
    start();
    FakeDispatcher other_dispatcher;
    Server other({{"CLASH", "127.0.0.1", port_, SecurityProtocol::plaintext}}, test_limits(), 1,
                 other_dispatcher);
    auto started = other.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_NE(started.error().find("CLASH"), std::string::npos) << started.error();
    EXPECT_NE(started.error().find("bind"), std::string::npos) << started.error();
}

TEST_F(ServerTest, UnsupportedConfigurationIsAnError) {
    FakeDispatcher other_dispatcher;
    Server tls({{"SSL", "127.0.0.1", 0, SecurityProtocol::ssl}}, test_limits(), 1,
               other_dispatcher);
    EXPECT_FALSE(tls.start().has_value());
    ServerLimits bad = test_limits();
    bad.max_inflight_per_connection = 0;
    Server zero({{"PLAINTEXT", "127.0.0.1", 0, SecurityProtocol::plaintext}}, bad, 1,
                other_dispatcher);
    EXPECT_FALSE(zero.start().has_value());
}

// stop() with idle connections and a request that will not finish in time returns promptly (the
// grace bound), and the unfinished handler is torn down without harm.
TEST_F(ServerTest, StopReturnsPromptlyWithConnectionsOpen) {
    ServerLimits limits = test_limits();
    limits.shutdown_grace_ms = 200;
    start(limits);
    std::vector<std::unique_ptr<Client>> idle;
    for (int i = 0; i < 20; ++i) {
        idle.push_back(std::make_unique<Client>(port_));
    }
    Client stuck(port_);
    ASSERT_TRUE(stuck.send(echo(1, 10000)));
    ASSERT_TRUE(wait_until([this] { return dispatcher_.active.load() == 1; }));
    ASSERT_TRUE(wait_until([this] { return stats().open_connections == 21; }));
    const auto begin = Clock::now();
    server_->stop();
    EXPECT_LT(Clock::now() - begin, 1000ms);
    EXPECT_EQ(dispatcher_.active.load(), 0);
    EXPECT_TRUE(stuck.wait_closed(500ms));
    EXPECT_TRUE(idle[0]->wait_closed(500ms));
}

// stop() is graceful: a request already being handled finishes and its response is written
// before the connection closes.
TEST_F(ServerTest, StopLetsInflightRequestsFinish) {
    start();
    Client client(port_);
    ASSERT_TRUE(client.send(echo(5, 100)));
    ASSERT_TRUE(wait_until([this] { return dispatcher_.active.load() == 1; }));
    server_->stop();
    EXPECT_EQ(client.read_correlation_id(), 5);
    EXPECT_TRUE(client.wait_closed(500ms));
}

}  // namespace
}  // namespace gregor::net

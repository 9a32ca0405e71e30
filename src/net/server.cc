#include "gregor/net/server.h"

#include "gregor/common/assert.h"
#include "gregor/common/logging.h"
#include "gregor/net/connection.h"
#include "gregor/net/frame.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <set>
#include <signal.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace gregor::net {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

// ---- small public helpers ---------------------------------------------------------------------

std::string_view to_string(SecurityProtocol protocol) {
    switch (protocol) {
        case SecurityProtocol::plaintext:
            return "PLAINTEXT";
        case SecurityProtocol::ssl:
            return "SSL";
        case SecurityProtocol::sasl_plaintext:
            return "SASL_PLAINTEXT";
        case SecurityProtocol::sasl_ssl:
            return "SASL_SSL";
    }
    return "UNKNOWN";
}

bool is_sasl(SecurityProtocol protocol) {
    return protocol == SecurityProtocol::sasl_plaintext || protocol == SecurityProtocol::sasl_ssl;
}

Response Response::bytes(std::vector<uint8_t> payload) {
    Response response;
    response.parts.emplace_back(std::move(payload));
    return response;
}

Response Response::none() {
    Response response;
    response.kind = Kind::no_response;
    return response;
}

Response Response::close_connection(const char* reason) {
    Response response;
    response.kind = Kind::close;
    response.close_reason = reason;
    return response;
}

uint64_t Response::wire_size() const {
    uint64_t total = 0;
    for (const Part& part : parts) {
        if (const auto* bytes = std::get_if<std::vector<uint8_t>>(&part)) {
            total += bytes->size();
        } else {
            total += std::get<FileSlice>(part).length;
        }
    }
    return total;
}

uint64_t Response::buffered_size() const {
    uint64_t total = 0;
    for (const Part& part : parts) {
        if (const auto* bytes = std::get_if<std::vector<uint8_t>>(&part)) {
            total += bytes->size();
        }
    }
    return total;
}

namespace detail {

const std::shared_ptr<spdlog::logger>& logger() {
    return gregor::log::get("net");
}

}  // namespace detail

namespace {

using detail::logger;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// After a failed accept (EMFILE, ENFILE, ENOBUFS) wait before retrying, so the loop does not spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// Durations beyond this would overflow steady_clock arithmetic (deadline = now + duration).
constexpr int64_t kMaxDurationMs = int64_t{10} * 365 * 24 * 3600 * 1000;

std::optional<std::string> check_config(const std::vector<ListenerSpec>& listeners,
                                        const ServerLimits& limits,
                                        int num_threads) {
    if (num_threads < 1) {
        return "num.network.threads must be at least 1";
    }
    if (limits.socket_request_max_bytes < kMinRequestFrameBytes) {
        return "socket.request.max.bytes must be at least 8";
    }
    if (limits.preauth_max_bytes < kMinRequestFrameBytes) {
        return "sasl.server.max.receive.size must be at least 8";
    }
    if (limits.max_inflight_per_connection < 1) {
        return "max in-flight requests per connection must be at least 1";
    }
    if (limits.connection_memory_max_bytes < 1) {
        return "per-connection memory bound must be positive";
    }
    if (limits.max_connections < 0) {
        return "max.connections must not be negative";
    }
    if (limits.shutdown_grace_ms < 0 || limits.shutdown_grace_ms > kMaxDurationMs) {
        return "shutdown grace must be between 0 and 10 years";
    }
    if (limits.connections_max_idle_ms > kMaxDurationMs) {
        return "connections.max.idle.ms must be at most 10 years";
    }
    std::set<std::string> names;
    for (const ListenerSpec& spec : listeners) {
        if (!names.insert(spec.name).second) {
            return "listener " + spec.name + " is defined twice";
        }
        if (spec.protocol == SecurityProtocol::ssl || spec.protocol == SecurityProtocol::sasl_ssl) {
            return "listener " + spec.name + ": " + std::string(to_string(spec.protocol))
                   + " is not supported yet";
        }
    }
    return std::nullopt;
}

}  // namespace

// ---- Server::Impl -----------------------------------------------------------------------------

// Owns the network threads, their io_contexts and connection registries, and the acceptors.
// Lifecycle: created -> running (start) -> stopped (stop); start and stop hold lifecycle_mutex.
// The accept loops run on the thread of the worker that hosts their acceptor.
// Member order matters: shared outlives workers (connections report to it when destroyed), and
// workers outlive listeners (acceptors belong to a worker's io_context).
struct Server::Impl {
    // One network thread. registry is declared before ioc so that connections destroyed with the
    // io_context can still unregister themselves.
    struct Worker {
        explicit Worker(int index_in) : index(index_in) {}
        const int index;
        detail::ConnectionRegistry registry;
        asio::io_context ioc{1};
        std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
        std::thread thread;
    };

    // One listener: its spec, its acceptor, and the worker whose thread runs its accept loop.
    struct Listener {
        ListenerSpec spec;
        detail::ListenerInfo info;
        Worker* home = nullptr;
        std::optional<tcp::acceptor> acceptor;
        uint16_t port = 0;
    };

    enum class State { created, running, stopped };

    Impl(std::vector<ListenerSpec> specs_in,
         ServerLimits limits,
         int num_threads_in,
         RequestDispatcher& dispatcher)
        : specs(std::move(specs_in)), num_threads(num_threads_in), shared(limits, dispatcher) {}

    result<std::vector<BoundListener>, std::string> start();
    void stop();

    void create_workers();
    std::optional<std::string> open_listener(Listener& listener);
    void start_threads();
    static void run_worker(Worker* worker);
    Worker& next_worker();
    awaitable<void> accept_loop(Listener* listener);
    void hand_off(tcp::socket socket, const Listener& listener, Worker& target);
    bool on_network_thread() const;
    void close_acceptors();
    void for_each_connection(void (detail::ConnectionBase::*action)());
    void wait_for_connections(std::chrono::milliseconds grace);
    void join_threads();

    const std::vector<ListenerSpec> specs;
    const int num_threads;
    detail::ServerShared shared;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::unique_ptr<Listener>> listeners;
    std::atomic<uint64_t> round_robin{0};
    std::mutex lifecycle_mutex;
    State state = State::created;  // guarded by lifecycle_mutex
    mutable std::mutex bound_mutex;
    std::vector<BoundListener> bound;  // guarded by bound_mutex
};

result<std::vector<BoundListener>, std::string> Server::Impl::start() {
    std::lock_guard lifecycle(lifecycle_mutex);
    if (state != State::created) {
        return unexpected<std::string>("the server was already started");
    }
    if (auto problem = check_config(specs, shared.limits, num_threads)) {
        return unexpected<std::string>(*problem);
    }
    create_workers();
    for (size_t i = 0; i < specs.size(); ++i) {
        auto listener = std::make_unique<Listener>();
        listener->spec = specs[i];
        listener->info = detail::ListenerInfo{specs[i].name, specs[i].protocol};
        listener->home = workers[i % workers.size()].get();
        listeners.push_back(std::move(listener));
        if (auto problem = open_listener(*listeners.back())) {
            listeners.clear();  // acceptors before the io_contexts they belong to
            workers.clear();
            return unexpected<std::string>(*problem);
        }
    }
    std::vector<BoundListener> bound_now;
    for (const auto& listener : listeners) {
        bound_now.push_back(BoundListener{listener->spec.name, listener->spec.host, listener->port,
                                          listener->spec.protocol});
        logger()->debug("listening on {} ({}:{}, {})", listener->spec.name,
                        listener->spec.host.empty() ? "*" : listener->spec.host, listener->port,
                        to_string(listener->spec.protocol));
    }
    {
        std::lock_guard lock(bound_mutex);
        bound = bound_now;
    }
    start_threads();
    state = State::running;
    return bound_now;
}

void Server::Impl::create_workers() {
    for (int i = 0; i < num_threads; ++i) {
        auto worker = std::make_unique<Worker>(i);
        worker->guard.emplace(worker->ioc.get_executor());
        workers.push_back(std::move(worker));
    }
}

// Binds one listener; an error message naming the listener and address on failure.
std::optional<std::string> Server::Impl::open_listener(Listener& listener) {
    const ListenerSpec& spec = listener.spec;
    const std::string where = "listener " + spec.name + ": " + (spec.host.empty() ? "*" : spec.host)
                              + ":" + std::to_string(spec.port);
    error_code ec;
    tcp::endpoint endpoint;
    if (spec.host.empty()) {
        endpoint = tcp::endpoint(asio::ip::address_v6::any(), spec.port);
    } else {
        const auto address = asio::ip::make_address(spec.host, ec);
        if (!ec) {
            endpoint = tcp::endpoint(address, spec.port);
        } else {
            tcp::resolver resolver(listener.home->ioc);
            const auto results = resolver.resolve(spec.host, std::to_string(spec.port), ec);
            if (ec || results.empty()) {
                return where + ": cannot resolve host: " + ec.message();
            }
            endpoint = results.begin()->endpoint();
        }
    }
    tcp::acceptor& acceptor = listener.acceptor.emplace(listener.home->ioc);
    acceptor.open(endpoint.protocol(), ec);
    if (ec && spec.host.empty()) {  // no IPv6 on this host: all IPv4 interfaces instead
        endpoint = tcp::endpoint(asio::ip::address_v4::any(), spec.port);
        ec.clear();
        acceptor.open(endpoint.protocol(), ec);
    }
    if (ec) {
        return where + ": cannot open socket: " + ec.message();
    }
    if (spec.host.empty() && endpoint.protocol() == tcp::v6()) {
        acceptor.set_option(asio::ip::v6_only(false), ec);
    }
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    acceptor.bind(endpoint, ec);
    if (ec) {
        return where + ": bind failed: " + ec.message();
    }
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return where + ": listen failed: " + ec.message();
    }
    listener.port = acceptor.local_endpoint(ec).port();
    return std::nullopt;
}

void Server::Impl::start_threads() {
    for (auto& listener : listeners) {
        asio::co_spawn(listener->home->ioc, accept_loop(listener.get()),
                       [name = listener->spec.name](const std::exception_ptr& error) {
                           if (!error) {
                               return;
                           }
                           try {
                               std::rethrow_exception(error);
                           } catch (const std::exception& e) {
                               logger()->critical("listener {}: accept loop died: {}", name,
                                                  e.what());
                           } catch (...) {
                               logger()->critical("listener {}: accept loop died", name);
                           }
                       });
    }
    for (auto& worker : workers) {
        worker->thread = std::thread(&Impl::run_worker, worker.get());
    }
}

// A handler that throws must not take the thread down: log and keep running.
void Server::Impl::run_worker(Worker* worker) {
    const std::string name = "gregor-net-" + std::to_string(worker->index);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    // sendfile(2) to a reset peer raises SIGPIPE (Asio's own sends use MSG_NOSIGNAL). Blocked on
    // this thread, the write fails with EPIPE instead of killing the process.
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    for (;;) {
        try {
            worker->ioc.run();
            return;
        } catch (const std::exception& e) {
            logger()->error("network thread {}: unhandled exception: {}", worker->index, e.what());
        } catch (...) {
            logger()->error("network thread {}: unhandled exception", worker->index);
        }
    }
}

Server::Impl::Worker& Server::Impl::next_worker() {
    return *workers[round_robin.fetch_add(1) % workers.size()];
}

awaitable<void> Server::Impl::accept_loop(Listener* listener) {
    for (;;) {
        Worker& target = next_worker();
        tcp::socket socket(target.ioc);
        auto [ec] = co_await listener->acceptor->async_accept(socket, kUseTuple);
        if (shared.stopping.load() || !listener->acceptor->is_open()
            || ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            logger()->warn("listener {}: accept failed: {}", listener->spec.name, ec.message());
            asio::steady_timer delay(listener->home->ioc, kAcceptRetryDelay);
            co_await delay.async_wait(kUseTuple);
            continue;
        }
        try {
            hand_off(std::move(socket), *listener, target);
        } catch (const std::exception& e) {
            logger()->error("listener {}: could not start a connection: {}", listener->spec.name,
                            e.what());
        }
    }
}

void Server::Impl::hand_off(tcp::socket socket, const Listener& listener, Worker& target) {
    detail::StatsCounters& stats = shared.stats;
    const int64_t open_before = stats.open_connections.fetch_add(1);
    if (open_before >= shared.limits.max_connections) {
        stats.open_connections.fetch_sub(1);
        stats.rejected_max_connections.fetch_add(1);
        error_code ec;
        const tcp::endpoint peer = socket.remote_endpoint(ec);
        logger()->debug("listener {}: rejecting connection from {}: max.connections ({}) reached",
                        listener.spec.name, detail::Peer{peer}, shared.limits.max_connections);
        socket.close(ec);
        return;
    }
    stats.accepted_total.fetch_add(1);
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    detail::start_plain_connection(std::move(socket), listener.info, target.registry, shared);
}

bool Server::Impl::on_network_thread() const {
    const auto me = std::this_thread::get_id();
    return std::any_of(workers.begin(), workers.end(),
                       [me](const auto& worker) { return worker->thread.get_id() == me; });
}

void Server::Impl::stop() {
    std::lock_guard lifecycle(lifecycle_mutex);
    if (state != State::running) {
        state = State::stopped;
        return;
    }
    GREGOR_ASSERT(!on_network_thread(), "Server::stop() called from a network thread");
    shared.stopping.store(true);
    close_acceptors();
    for_each_connection(&detail::ConnectionBase::begin_drain);
    wait_for_connections(std::chrono::milliseconds(shared.limits.shutdown_grace_ms));
    const int64_t left = shared.stats.open_connections.load();
    if (left > 0) {
        logger()->warn("stopping: closing {} connections still busy after {} ms", left,
                       shared.limits.shutdown_grace_ms);
    }
    join_threads();
    // Destroying the io_contexts destroys the coroutines still suspended, closing their sockets.
    listeners.clear();
    workers.clear();
    state = State::stopped;
    logger()->info("network server stopped");
}

void Server::Impl::close_acceptors() {
    for (auto& listener : listeners) {
        asio::post(listener->home->ioc, [acceptor = &*listener->acceptor] {
            error_code ec;
            acceptor->close(ec);
        });
    }
}

// Runs `action` on every connection, each on its own thread. Collects strong references first: a
// connection destroyed while the registry is iterated would erase itself from it.
void Server::Impl::for_each_connection(void (detail::ConnectionBase::*action)()) {
    for (auto& worker : workers) {
        asio::post(worker->ioc, [registry = &worker->registry, action] {
            std::vector<std::shared_ptr<detail::ConnectionBase>> connections;
            connections.reserve(registry->size());
            for (auto& [id, weak] : *registry) {
                if (auto connection = weak.lock()) {
                    connections.push_back(std::move(connection));
                }
            }
            for (auto& connection : connections) {
                ((*connection).*action)();
            }
        });
    }
}

void Server::Impl::wait_for_connections(std::chrono::milliseconds grace) {
    std::unique_lock lock(shared.closed_mutex);
    shared.closed_cv.wait_for(lock, grace,
                              [this] { return shared.stats.open_connections.load() == 0; });
}

void Server::Impl::join_threads() {
    for (auto& worker : workers) {
        worker->guard.reset();
        worker->ioc.stop();
    }
    for (auto& worker : workers) {
        if (worker->thread.joinable()) {
            worker->thread.join();
        }
    }
}

// ---- Server -----------------------------------------------------------------------------------

Server::Server(std::vector<ListenerSpec> listeners,
               ServerLimits limits,
               int num_threads,
               RequestDispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(listeners), limits, num_threads, dispatcher)) {}

Server::~Server() {
    stop();
}

result<std::vector<BoundListener>, std::string> Server::start() {
    return impl_->start();
}

std::vector<BoundListener> Server::bound() const {
    std::lock_guard lock(impl_->bound_mutex);
    return impl_->bound;
}

void Server::stop() {
    impl_->stop();
}

ServerStats Server::stats() const {
    const detail::StatsCounters& c = impl_->shared.stats;
    const MemoryBudget& budget = impl_->shared.budget;
    ServerStats s;
    s.open_connections = c.open_connections.load();
    s.accepted_total = c.accepted_total.load();
    s.rejected_max_connections = c.rejected_max_connections.load();
    s.closed_idle = c.closed_idle.load();
    s.frames_rejected_too_small = c.frames_rejected_too_small.load();
    s.frames_rejected_too_large = c.frames_rejected_too_large.load();
    s.frames_rejected_preauth = c.frames_rejected_preauth.load();
    s.requests_total = c.requests_total.load();
    s.responses_total = c.responses_total.load();
    s.dispatch_errors = c.dispatch_errors.load();
    s.connection_errors = c.connection_errors.load();
    s.inflight_requests = c.inflight_requests.load();
    s.request_bytes_reserved = budget.reserved_bytes();
    s.request_bytes_held = budget.held_bytes();
    s.request_bytes_allocated = budget.allocated_bytes();
    s.memory_waits = budget.waits();
    s.file_bytes_sendfile = c.file_bytes_sendfile.load();
    s.file_bytes_copied = c.file_bytes_copied.load();
    return s;
}

}  // namespace gregor::net

#pragma once

// Waiting for the controller from a handler coroutine without blocking the network thread: the
// controller completes on its own thread and posts the result back to the connection's executor,
// which wakes the waiting coroutine; `timeout_ms` bounds the wait (nullopt then).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

namespace gregor::broker {

template <typename R>
struct ControllerWaiter {
    explicit ControllerWaiter(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    std::optional<R> result;
};

// Runs `start(done)` and waits until `done(R)` is called or `timeout_ms` passes.
template <typename R, typename Start>
boost::asio::awaitable<std::optional<R>> await_controller_result(int32_t timeout_ms, Start start) {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    auto waiter = std::make_shared<ControllerWaiter<R>>(ex);
    waiter->timer.expires_after(std::chrono::milliseconds(std::max<int32_t>(timeout_ms, 0)));
    start([waiter](R r) {
        asio::post(waiter->timer.get_executor(), [waiter, r = std::move(r)]() mutable {
            waiter->result = std::move(r);
            waiter->timer.cancel();
        });
    });
    if (!waiter->result) {
        boost::system::error_code ec;
        co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(waiter->result);
}

}  // namespace gregor::broker

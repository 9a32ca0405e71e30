// The topic family: CreateTopics and DeleteTopics. Both are forwarded to the controller (in
// process while this node is the only one) and wait for its answer without blocking the network
// thread: the controller completes on its own thread and posts the result back to the
// connection's executor, which wakes the waiting coroutine; the request's timeout_ms bounds the
// wait (REQUEST_TIMED_OUT for every topic then, as Kafka).

#include "gregor/broker/await_controller.h"
#include "gregor/broker/handlers.h"
#include "gregor/controller/quorum_controller.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/topic_admin.h"

namespace gregor::broker {

namespace errc = protocol::error;
namespace asio = boost::asio;

namespace {

constexpr int16_t kNotController = controller::errc::not_controller;

}  // namespace

asio::awaitable<net::Response> handle_create_topics(RequestContext& ctx) {
    protocol::CreateTopicsRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    const int32_t timeout_ms = req.timeout_ms;
    auto* controller = ctx.broker.controller.load(std::memory_order_acquire);
    protocol::CreateTopicsResponse timed_out;
    for (const auto& t : req.topics) {
        auto& r = timed_out.topics.emplace_back();
        r.name = t.name;
        // NOT_CONTROLLER (retriable) while the controller is still starting.
        r.error_code = controller == nullptr ? kNotController : errc::request_timed_out;
        r.error_message = controller == nullptr
                              ? "The controller is not available yet"
                              : "The controller did not answer within the request's timeout";
    }
    if (controller == nullptr) {
        co_return respond(ctx, timed_out);
    }
    const int16_t version = ctx.version;
    auto result = co_await await_controller_result<protocol::CreateTopicsResponse>(
        timeout_ms, [&](auto done) { controller->create_topics(std::move(req), version, done); });
    co_return respond(ctx, result ? *result : timed_out);
}

asio::awaitable<net::Response> handle_delete_topics(RequestContext& ctx) {
    protocol::DeleteTopicsRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    const int32_t timeout_ms = req.timeout_ms;
    auto* controller = ctx.broker.controller.load(std::memory_order_acquire);
    protocol::DeleteTopicsResponse timed_out;
    const int16_t code = controller == nullptr ? kNotController : errc::request_timed_out;
    for (const auto& n : req.topic_names) {
        auto& r = timed_out.responses.emplace_back();
        r.name = n;
        r.error_code = code;
    }
    for (const auto& t : req.topics) {
        auto& r = timed_out.responses.emplace_back();
        r.name = t.name;
        r.topic_id = t.topic_id;
        r.error_code = code;
    }
    if (controller == nullptr) {
        co_return respond(ctx, timed_out);
    }
    const int16_t version = ctx.version;
    auto result = co_await await_controller_result<protocol::DeleteTopicsResponse>(
        timeout_ms, [&](auto done) { controller->delete_topics(std::move(req), version, done); });
    co_return respond(ctx, result ? *result : timed_out);
}

}  // namespace gregor::broker

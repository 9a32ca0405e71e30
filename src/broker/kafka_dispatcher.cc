#include "gregor/broker/kafka_dispatcher.h"

#include "gregor/broker/handlers.h"
#include "gregor/common/logging.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace gregor::broker {

namespace {

constexpr int16_t kApiVersionsKey = 18;
constexpr int16_t kSaslHandshakeKey = 17;
constexpr int16_t kSaslAuthenticateKey = 36;

net::Response refuse(const net::ConnectionContext& conn,
                     const net::RequestFrame& frame,
                     const char* why) {
    log::get("broker")->warn(
        "closing connection {} from {}:{}: {} (api key {}, version {}, correlation id {})", conn.id,
        conn.peer.address().to_string(), conn.peer.port(), why, frame.api_key, frame.api_version,
        frame.correlation_id);
    return net::Response::close_connection();
}

}  // namespace

bool KafkaDispatcher::may_pipeline(int16_t api_key) const {
    // The SASL exchange changes the connection's state; later requests must see its outcome.
    return api_key != kSaslHandshakeKey && api_key != kSaslAuthenticateKey;
}

boost::asio::awaitable<net::Response> KafkaDispatcher::dispatch(net::ConnectionContext& conn,
                                                                net::RequestFrame frame) {
    if (!state_.ready.load(std::memory_order_acquire)) {
        // Requests that arrive while the node is still starting wait for it (bounded by the
        // startup itself: a failed start stops the server).
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
        while (!state_.ready.load(std::memory_order_acquire)) {
            timer.expires_after(std::chrono::milliseconds(5));
            boost::system::error_code ec;
            co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            if (ec) {
                co_return net::Response::close_connection();
            }
        }
    }
    const HandlerEntry* handler = find_handler(frame.api_key);
    if (handler == nullptr || handler->handle_async == nullptr) {
        co_return handle(conn, frame);
    }
    protocol::RequestHeader header;
    size_t body_at = 0;
    if (auto refused = check(conn, frame, header, body_at)) {
        co_return std::move(*refused);
    }
    // The frame and header live in this coroutine's frame until the handler is done.
    RequestContext ctx{*protocol::find_api(frame.api_key),
                       frame.api_version,
                       header,
                       std::span<const uint8_t>(frame.bytes).subspan(body_at),
                       conn,
                       state_,
                       std::span<uint8_t>(frame.bytes).subspan(body_at)};
    net::Response resp = co_await handler->handle_async(ctx);
    if (resp.kind == net::Response::Kind::close) {
        co_return refuse(conn, frame,
                         resp.close_reason != nullptr ? resp.close_reason : "malformed request");
    }
    co_return resp;
}

std::optional<net::Response> KafkaDispatcher::check(net::ConnectionContext& conn,
                                                    const net::RequestFrame& frame,
                                                    protocol::RequestHeader& header,
                                                    size_t& body_at) const {
    const protocol::ApiInfo* api = protocol::find_api(frame.api_key);
    const HandlerEntry* handler = find_handler(frame.api_key);
    if (api == nullptr || handler == nullptr) {
        return refuse(conn, frame, "unknown or unsupported api key");
    }
    // A client newer than us sends its newest ApiVersions first; it gets a v0 answer listing our
    // ranges so it can retry with one we know (KIP-511).
    if (frame.api_key == kApiVersionsKey && frame.api_version > handler->max_version) {
        return api_versions_unsupported(frame.correlation_id);
    }
    if (frame.api_version < handler->min_version || frame.api_version > handler->max_version) {
        return refuse(conn, frame, "unsupported version");
    }
    protocol::Reader reader(frame.bytes);
    header.read(reader, protocol::request_header_version(*api, frame.api_version));
    if (!reader.ok()) {
        return refuse(conn, frame, "malformed request header");
    }
    body_at = reader.position();
    return std::nullopt;
}

net::Response KafkaDispatcher::handle(net::ConnectionContext& conn,
                                      const net::RequestFrame& frame) const {
    protocol::RequestHeader header;
    size_t body_at = 0;
    if (auto refused = check(conn, frame, header, body_at)) {
        return std::move(*refused);
    }
    const HandlerEntry* handler = find_handler(frame.api_key);
    if (handler->handle == nullptr) {
        // An asynchronous handler runs only through dispatch().
        return refuse(conn, frame, "asynchronous api called synchronously");
    }
    RequestContext ctx{*protocol::find_api(frame.api_key),
                       frame.api_version,
                       header,
                       std::span<const uint8_t>(frame.bytes).subspan(body_at),
                       conn,
                       state_};
    net::Response resp = handler->handle(ctx);
    if (resp.kind == net::Response::Kind::close) {
        return refuse(conn, frame,
                      resp.close_reason != nullptr ? resp.close_reason : "malformed request");
    }
    return resp;
}

}  // namespace gregor::broker

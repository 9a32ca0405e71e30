// The config family: DescribeConfigs (answered here from the static config and the metadata
// image), AlterConfigs and IncrementalAlterConfigs (broker resources checked here as Kafka's
// ConfigAdminManager does, then every change goes to the controller as ConfigRecords), and
// CreatePartitions (the controller). Alters wait for the controller without blocking the network
// thread, bounded by controller.socket.timeout.ms (they carry no timeout of their own).

#include "gregor/broker/await_controller.h"
#include "gregor/broker/config.h"
#include "gregor/broker/config_describe.h"
#include "gregor/broker/handlers.h"
#include "gregor/controller/quorum_controller.h"
#include "gregor/protocol/error_codes.h"
#include "gregor/protocol/messages/config_admin.h"
#include "gregor/protocol/messages/topic_admin.h"

#include <fmt/format.h>

#include <charconv>
#include <set>

namespace gregor::broker {

namespace asio = boost::asio;
namespace errc = controller::errc;
using controller::ApiResult;
using controller::ConfigResourceAlteration;

namespace {

constexpr int8_t kTopic = metadata::kConfigResourceTopic;
constexpr int8_t kBroker = metadata::kConfigResourceBroker;
constexpr int8_t kOpSet = 0;
constexpr int8_t kOpDelete = 1;

std::optional<int32_t> parse_node_id(const std::string& name) {
    int32_t id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc{} || end != name.data() + name.size() || name.empty()) {
        return std::nullopt;
    }
    return id;
}

// Scala's Set(a, b) rendering, as Kafka's messages print it.
std::string scala_set(const std::vector<std::string>& names) {
    return fmt::format("Set({})", fmt::join(names, ", "));
}

// ConfigAdminManager.validateResourceNameIsCurrentNodeId.
std::optional<ApiResult> check_node_id(const std::string& name, int32_t node_id) {
    auto id = parse_node_id(name);
    if (!id) {
        return ApiResult{errc::invalid_request,
                         fmt::format("Node id must be an integer, but it is: {}", name)};
    }
    if (*id != node_id) {
        return ApiResult{
            errc::invalid_request,
            fmt::format("Unexpected broker id, expected {}, but received {}", node_id, *id)};
    }
    return std::nullopt;
}

// A broker resource's change as the broker checks it before forwarding (DynamicBrokerConfig
// validation): its name, configs that cannot change at all or not cluster-wide, and values.
std::optional<ApiResult> check_broker_change(const ConfigResourceAlteration& r, int32_t node_id) {
    const bool per_broker = !r.resource_name.empty();
    if (per_broker) {
        if (auto bad = check_node_id(r.resource_name, node_id)) {
            return bad;
        }
    }
    std::vector<std::string> read_only;
    std::vector<std::string> broker_only;
    for (const auto& a : r.alterations) {
        const ConfigDef* def = find_config_definition(a.name);
        if (def == nullptr || a.op == kOpDelete) {
            continue;  // Kafka keeps configs it does not know; deleting is always allowed
        }
        if (def->update_mode == UpdateMode::ReadOnly) {
            read_only.push_back(a.name);
        } else if (!per_broker && def->update_mode == UpdateMode::PerBroker) {
            broker_only.push_back(a.name);
        }
    }
    if (!read_only.empty()) {
        return ApiResult{errc::invalid_request,
                         "Cannot update these configs dynamically: " + scala_set(read_only)};
    }
    if (!broker_only.empty()) {
        return ApiResult{errc::invalid_request,
                         "Cannot update these configs at default cluster level, broker id must "
                         "be specified: "
                             + scala_set(broker_only)};
    }
    for (const auto& a : r.alterations) {
        const ConfigDef* def = find_config_definition(a.name);
        if (def == nullptr || a.op == kOpDelete || !a.value) {
            continue;
        }
        if (auto bad = check_config_value(a.name, def->type, &def->validator, *a.value)) {
            return ApiResult{errc::invalid_request, *bad};
        }
    }
    return std::nullopt;
}

std::optional<ApiResult> check_resource(const ConfigResourceAlteration& r, int32_t node_id) {
    if (r.resource_type == kBroker) {
        return check_broker_change(r, node_id);
    }
    if (r.resource_type != kTopic) {
        return ApiResult{errc::invalid_request,
                         fmt::format("Unsupported resource type {}", r.resource_type)};
    }
    return std::nullopt;
}

// Checks what the broker checks, forwards the rest to the controller and answers one result per
// resource in request order.
asio::awaitable<std::vector<ApiResult>> alter(RequestContext& ctx,
                                              std::vector<ConfigResourceAlteration> resources,
                                              bool validate_only) {
    std::vector<std::optional<ApiResult>> results(resources.size());
    std::vector<ConfigResourceAlteration> forward;
    std::vector<size_t> forwarded_index;
    std::set<std::pair<int8_t, std::string>> seen;
    std::set<std::pair<int8_t, std::string>> duplicates;
    for (const auto& r : resources) {
        if (!seen.emplace(r.resource_type, r.resource_name).second) {
            duplicates.emplace(r.resource_type, r.resource_name);
        }
    }
    for (size_t i = 0; i < resources.size(); ++i) {
        auto& r = resources[i];
        if (duplicates.count({r.resource_type, r.resource_name}) != 0) {
            results[i] = ApiResult{errc::invalid_request, "Duplicate resource."};
        } else if (auto bad = check_resource(r, ctx.broker.node_id)) {
            results[i] = std::move(bad);
        } else {
            forward.push_back(std::move(r));
            forwarded_index.push_back(i);
        }
    }
    if (!forward.empty()) {
        auto* controller = ctx.broker.controller.load(std::memory_order_acquire);
        std::vector<ApiResult> answered;
        if (controller == nullptr) {
            answered.assign(forward.size(),
                            ApiResult{errc::not_controller, "The controller is not available yet"});
        } else {
            const int32_t timeout = ctx.broker.config->get_int("controller.socket.timeout.ms");
            const size_t n = forward.size();
            auto got =
                co_await await_controller_result<std::vector<ApiResult>>(timeout, [&](auto done) {
                    controller->alter_configs(std::move(forward), validate_only, done);
                });
            answered =
                got ? std::move(*got)
                    : std::vector<ApiResult>(n, ApiResult{errc::request_timed_out,
                                                          "The controller did not answer in time"});
        }
        for (size_t k = 0; k < forwarded_index.size(); ++k) {
            results[forwarded_index[k]] = std::move(answered[k]);
        }
    }
    std::vector<ApiResult> out;
    for (auto& r : results) {
        out.push_back(std::move(*r));
    }
    co_return out;
}

protocol::DescribeConfigsResponse::DescribeConfigsResult describe_one(
    const RequestContext& ctx,
    const metadata::MetadataImage& image,
    const protocol::DescribeConfigsRequest::DescribeConfigsResource& resource,
    const DescribeOptions& options) {
    protocol::DescribeConfigsResponse::DescribeConfigsResult out;
    out.resource_type = resource.resource_type;
    out.resource_name = resource.resource_name;
    auto fail = [&](int16_t code, std::string message) {
        out.error_code = code;
        out.error_message = std::move(message);
        return out;
    };
    const Config& config = *ctx.broker.config;
    const auto dynamic = DynamicBrokerConfigs::from(image, ctx.broker.node_id);
    if (resource.resource_type == kTopic) {
        if (auto bad = controller::validate_topic_name(resource.resource_name)) {
            return fail(protocol::error::invalid_topic_exception, *bad);
        }
        if (image.topic(resource.resource_name) == nullptr) {
            return fail(errc::unknown_topic_or_partition,
                        fmt::format("The topic '{}' does not exist.", resource.resource_name));
        }
        out.configs = describe_topic_configs(config, dynamic,
                                             image.topic_configs(resource.resource_name), options);
        return out;
    }
    if (resource.resource_type == kBroker) {
        if (resource.resource_name.empty()) {
            out.configs = describe_broker_configs(config, dynamic, false, options);
            return out;
        }
        auto id = parse_node_id(resource.resource_name);
        if (!id) {
            return fail(errc::invalid_request, fmt::format("Broker id must be an integer, but it "
                                                           "is: {}",
                                                           resource.resource_name));
        }
        if (*id != ctx.broker.node_id) {
            return fail(errc::invalid_request,
                        fmt::format("Unexpected broker id, expected {} or empty string, but "
                                    "received {}",
                                    ctx.broker.node_id, resource.resource_name));
        }
        out.configs = describe_broker_configs(config, dynamic, true, options);
        return out;
    }
    return fail(errc::invalid_request,
                fmt::format("Unsupported resource type: {}", resource.resource_type));
}

}  // namespace

net::Response handle_describe_configs(RequestContext& ctx) {
    protocol::DescribeConfigsRequest req;
    if (!ctx.decode(req)) {
        return net::Response::close_connection();
    }
    const auto image = ctx.broker.image.current();
    protocol::DescribeConfigsResponse resp;
    for (const auto& r : req.resources) {
        DescribeOptions options;
        options.include_synonyms = req.include_synonyms;
        options.include_documentation = req.include_documentation;
        options.keys = r.configuration_keys;
        resp.results.push_back(describe_one(ctx, *image, r, options));
    }
    return respond(ctx, resp);
}

namespace {

// One response entry per requested resource, in request order (both alter APIs).
template <typename Resp, typename Req, typename Results>
void fill_alter_responses(Resp& resp, const Req& req, const Results& results) {
    for (size_t i = 0; i < req.resources.size(); ++i) {
        auto& out = resp.responses.emplace_back();
        out.resource_type = req.resources[i].resource_type;
        out.resource_name = req.resources[i].resource_name;
        out.error_code = results[i].error_code;
        out.error_message = results[i].error_message;
    }
}

}  // namespace

asio::awaitable<net::Response> handle_alter_configs(RequestContext& ctx) {
    protocol::AlterConfigsRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    std::vector<ConfigResourceAlteration> resources;
    for (const auto& r : req.resources) {
        auto& out = resources.emplace_back();
        out.resource_type = r.resource_type;
        out.resource_name = r.resource_name;
        out.replace = true;
        for (const auto& c : r.configs) {
            out.alterations.push_back({c.name, kOpSet, c.value});
        }
    }
    auto results = co_await alter(ctx, std::move(resources), req.validate_only);
    protocol::AlterConfigsResponse resp;
    fill_alter_responses(resp, req, results);
    co_return respond(ctx, resp);
}

asio::awaitable<net::Response> handle_incremental_alter_configs(RequestContext& ctx) {
    protocol::IncrementalAlterConfigsRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    std::vector<ConfigResourceAlteration> resources;
    for (const auto& r : req.resources) {
        auto& out = resources.emplace_back();
        out.resource_type = r.resource_type;
        out.resource_name = r.resource_name;
        for (const auto& c : r.configs) {
            out.alterations.push_back({c.name, c.config_operation, c.value});
        }
    }
    auto results = co_await alter(ctx, std::move(resources), req.validate_only);
    protocol::IncrementalAlterConfigsResponse resp;
    fill_alter_responses(resp, req, results);
    co_return respond(ctx, resp);
}

asio::awaitable<net::Response> handle_create_partitions(RequestContext& ctx) {
    protocol::CreatePartitionsRequest req;
    if (!ctx.decode(req)) {
        co_return net::Response::close_connection();
    }
    auto* controller = ctx.broker.controller.load(std::memory_order_acquire);
    protocol::CreatePartitionsResponse timed_out;
    for (const auto& t : req.topics) {
        auto& r = timed_out.results.emplace_back();
        r.name = t.name;
        r.error_code = controller == nullptr ? errc::not_controller : errc::request_timed_out;
        r.error_message = controller == nullptr
                              ? "The controller is not available yet"
                              : "The controller did not answer within the request's timeout";
    }
    if (controller == nullptr) {
        co_return respond(ctx, timed_out);
    }
    const int32_t timeout_ms = req.timeout_ms;
    auto result = co_await await_controller_result<protocol::CreatePartitionsResponse>(
        timeout_ms, [&](auto done) { controller->create_partitions(std::move(req), done); });
    co_return respond(ctx, result ? *result : timed_out);
}

}  // namespace gregor::broker

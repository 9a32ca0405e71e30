// The controller's config changes (Kafka's ConfigurationControlManager) and partition additions
// (ReplicationControlManager.createPartitions). Both run on the controller thread.

#include "gregor/common/logging.h"
#include "gregor/controller/quorum_controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <map>
#include <set>

namespace gregor::controller {

namespace p = protocol;
using metadata::ApiMessageAndVersion;
using metadata::make_record;

namespace {

constexpr int8_t kOpSet = 0;
constexpr int8_t kOpDelete = 1;
constexpr int8_t kOpAppend = 2;
constexpr int8_t kOpSubtract = 3;
constexpr int16_t kPartitionRecordVersion = 1;  // as CreateTopics writes them
// Kafka's QuorumController.MAX_RECORDS_PER_USER_OP: one request appends at most this many records.
constexpr size_t kMaxRecordsPerUserOp = 10000;

const char* op_name(int8_t op) {
    return op == kOpAppend ? "APPEND" : "SUBTRACT";
}

// Kafka's getParts: comma-separated, empty items dropped.
std::vector<std::string> list_parts(const std::optional<std::string>& value) {
    std::vector<std::string> out;
    if (!value) {
        return out;
    }
    size_t start = 0;
    for (;;) {
        size_t comma = value->find(',', start);
        std::string item = value->substr(start, comma - start);
        if (!item.empty()) {
            out.push_back(std::move(item));
        }
        if (comma == std::string::npos) {
            return out;
        }
        start = comma + 1;
    }
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : ",") + i;
    }
    return out;
}

}  // namespace

void QuorumController::alter_configs(std::vector<ConfigResourceAlteration> resources,
                                     bool validate_only,
                                     AlterConfigsDone done) {
    auto req = std::make_shared<std::vector<ConfigResourceAlteration>>(std::move(resources));
    auto cb = std::make_shared<AlterConfigsDone>(std::move(done));
    bool queued =
        enqueue([this, req, cb, validate_only] { (*cb)(do_alter_configs(*req, validate_only)); });
    if (!queued) {
        (*cb)(std::vector<ApiResult>(
            req->size(), ApiResult{errc::request_timed_out, "The controller is busy or stopping"}));
    }
}

void QuorumController::create_partitions(p::CreatePartitionsRequest request,
                                         CreatePartitionsDone done) {
    auto req = std::make_shared<p::CreatePartitionsRequest>(std::move(request));
    auto cb = std::make_shared<CreatePartitionsDone>(std::move(done));
    bool queued = enqueue([this, req, cb] { (*cb)(do_create_partitions(*req)); });
    if (!queued) {
        p::CreatePartitionsResponse resp;
        for (const auto& t : req->topics) {
            auto& r = resp.results.emplace_back();
            r.name = t.name;
            r.error_code = errc::request_timed_out;
            r.error_message = "The controller is busy or stopping";
        }
        (*cb)(std::move(resp));
    }
}

std::vector<ApiResult> QuorumController::alter_configs_sync(
    std::vector<ConfigResourceAlteration> resources, bool validate_only) {
    std::promise<std::vector<ApiResult>> promise;
    auto future = promise.get_future();
    alter_configs(std::move(resources), validate_only,
                  [&promise](std::vector<ApiResult> r) { promise.set_value(std::move(r)); });
    return future.get();
}

p::CreatePartitionsResponse QuorumController::create_partitions_sync(
    p::CreatePartitionsRequest request) {
    std::promise<p::CreatePartitionsResponse> promise;
    auto future = promise.get_future();
    create_partitions(std::move(request), [&promise](p::CreatePartitionsResponse r) {
        promise.set_value(std::move(r));
    });
    return future.get();
}

ApiResult QuorumController::alter_config_resource(
    const ConfigResourceAlteration& resource, std::vector<ApiMessageAndVersion>& records) const {
    const metadata::MetadataImage& img = *image_;
    const int8_t type = resource.resource_type;
    if (type == metadata::kConfigResourceTopic && img.topic(resource.resource_name) == nullptr) {
        return {errc::unknown_topic_or_partition,
                fmt::format("The topic '{}' does not exist.", resource.resource_name)};
    }
    metadata::ConfigMap current;
    if (auto t = img.configs().find(type); t != img.configs().end()) {
        if (auto r = t->second.find(resource.resource_name); r != t->second.end()) {
            current = r->second;
        }
    }
    const auto& schema = config_.config_schema;
    metadata::ConfigMap next = resource.replace ? metadata::ConfigMap{} : current;
    std::vector<std::string> nulls;
    for (const auto& a : resource.alterations) {
        switch (a.op) {
            case kOpSet:
                if (a.value) {
                    next[a.name] = *a.value;
                } else {
                    nulls.push_back(a.name);
                    next.erase(a.name);
                }
                break;
            case kOpDelete:
                next.erase(a.name);
                break;
            case kOpAppend:
            case kOpSubtract: {
                if (!schema.is_list || !schema.is_list(type, a.name)) {
                    return {errc::invalid_config,
                            fmt::format("Can't {} to key {} because its type is not LIST.",
                                        op_name(a.op), a.name)};
                }
                auto it = next.find(a.name);
                auto parts = list_parts(it != next.end()       ? std::optional(it->second)
                                        : schema.default_value ? schema.default_value(type, a.name)
                                                               : std::nullopt);
                for (const auto& v : list_parts(a.value)) {
                    auto found = std::find(parts.begin(), parts.end(), v);
                    if (a.op == kOpAppend && found == parts.end()) {
                        parts.push_back(v);
                    } else if (a.op == kOpSubtract && found != parts.end()) {
                        parts.erase(found);
                    }
                }
                next[a.name] = join(parts);
                break;
            }
            default:
                return {errc::invalid_request, fmt::format("Unknown operation type {}", a.op)};
        }
    }
    if (type == metadata::kConfigResourceTopic && resource.replace && !nulls.empty()) {
        return {errc::invalid_config, fmt::format("Null value not supported for topic configs: {}",
                                                  fmt::join(nulls, ","))};
    }
    metadata::ConfigMap changed;
    std::vector<std::string> deleted;
    for (const auto& [name, value] : next) {
        auto it = current.find(name);
        if (it == current.end() || it->second != value) {
            changed[name] = value;
        }
    }
    for (const auto& [name, value] : current) {
        if (next.count(name) == 0) {
            deleted.push_back(name);
        }
    }
    if (schema.validate) {
        if (auto bad = schema.validate(type, resource.resource_name, changed, deleted)) {
            return *bad;
        }
    }
    auto record = [&](const std::string& name, std::optional<std::string> value) {
        p::ConfigRecord c;
        c.resource_type = type;
        c.resource_name = resource.resource_name;
        c.name = name;
        c.value = std::move(value);
        records.push_back(make_record(std::move(c)));
    };
    for (const auto& [name, value] : changed) {
        record(name, value);
    }
    for (const auto& name : deleted) {
        record(name, std::nullopt);
    }
    return {};
}

std::vector<ApiResult> QuorumController::do_alter_configs(
    const std::vector<ConfigResourceAlteration>& resources, bool validate_only) {
    const auto& log = log::get("controller");
    std::vector<ApiResult> results;
    std::vector<ApiMessageAndVersion> records;
    for (const auto& r : resources) {
        results.push_back(alter_config_resource(r, records));
    }
    if (validate_only || records.empty()) {
        return results;
    }
    auto committed = commit(records);
    if (!committed) {
        log->error("config changes could not be committed: {}", committed.error());
        for (auto& r : results) {
            if (r.error_code == errc::none) {
                r = {errc::unknown_server_error,
                     "The metadata log did not accept the change: " + committed.error()};
            }
        }
        return results;
    }
    for (size_t i = 0; i < resources.size(); ++i) {
        if (results[i].error_code == errc::none) {
            const auto& r = resources[i];
            log->info("altered the configs of {} '{}'",
                      r.resource_type == metadata::kConfigResourceTopic ? "topic" : "broker",
                      r.resource_name);
        }
    }
    return results;
}

p::CreatePartitionsResponse QuorumController::do_create_partitions(
    const p::CreatePartitionsRequest& request) {
    const auto& log = log::get("controller");
    const metadata::MetadataImage& img = *image_;
    std::vector<int32_t> live;
    for (const auto& [id, b] : img.brokers()) {
        if (!b.fenced) {
            live.push_back(id);
        }
    }
    std::map<std::string, int> counts;
    for (const auto& t : request.topics) {
        ++counts[t.name];
    }
    p::CreatePartitionsResponse resp;
    std::vector<ApiMessageAndVersion> records;
    for (const auto& t : request.topics) {
        auto& r = resp.results.emplace_back();
        r.name = t.name;
        auto fail = [&r](int16_t code, std::optional<std::string> message) {
            r.error_code = code;
            r.error_message = std::move(message);
        };
        const metadata::TopicImage* topic = img.topic(t.name);
        if (counts[t.name] > 1) {
            fail(errc::invalid_request, "Duplicate topic name.");
            continue;
        }
        if (topic == nullptr) {
            fail(errc::unknown_topic_or_partition, std::nullopt);
            continue;
        }
        const auto current = static_cast<int32_t>(topic->partitions.size());
        if (t.count == current) {
            fail(errc::invalid_partitions,
                 fmt::format("Topic already has {} partition(s).", current));
            continue;
        }
        if (t.count < current) {
            fail(errc::invalid_partitions,
                 fmt::format("The topic {} currently has {} partition(s); {} would not be an "
                             "increase.",
                             t.name, current, t.count));
            continue;
        }
        const int32_t additional = t.count - current;
        if (records.size() + static_cast<size_t>(additional) > kMaxRecordsPerUserOp) {
            fail(errc::invalid_partitions,
                 fmt::format("Unable to add {} partition(s) to {}: a request may create at most {} "
                             "partitions.",
                             additional, t.name, kMaxRecordsPerUserOp));
            continue;
        }
        const size_t rf =
            topic->partitions.empty() ? 1 : topic->partitions.begin()->second.replicas.size();
        std::vector<metadata::PartitionImage> parts;
        std::optional<std::string> bad;
        if (t.assignments) {
            if (static_cast<int32_t>(t.assignments->size()) != additional) {
                bad = fmt::format(
                    "Attempted to add {} additional partition(s), but only {} "
                    "assignment(s) were specified.",
                    additional, t.assignments->size());
            }
            for (size_t i = 0; !bad && i < t.assignments->size(); ++i) {
                const auto& ids = (*t.assignments)[i].broker_ids;
                const int32_t index = current + static_cast<int32_t>(i);
                if (ids.empty()) {
                    bad = "The manual partition assignment includes an empty replica list.";
                    break;
                }
                if (std::set<int32_t>(ids.begin(), ids.end()).size() != ids.size()) {
                    bad = fmt::format(
                        "The manual partition assignment includes the broker {} "
                        "more than once.",
                        ids.front());
                    break;
                }
                for (int32_t b : ids) {
                    if (img.broker(b) == nullptr) {
                        bad = fmt::format(
                            "The manual partition assignment includes broker {}, "
                            "but no such broker is registered.",
                            b);
                        break;
                    }
                }
                if (bad) {
                    break;
                }
                if (ids.size() != rf) {
                    bad = fmt::format(
                        "The manual partition assignment includes a partition with "
                        "{} replica(s), but this is not consistent with previous "
                        "partitions, which have {} replica(s).",
                        ids.size(), rf);
                    break;
                }
                metadata::PartitionImage part;
                part.replicas = ids;
                for (int32_t b : ids) {
                    if (!img.broker(b)->fenced) {
                        part.isr.push_back(b);
                    }
                }
                if (part.isr.empty()) {
                    bad = fmt::format(
                        "All brokers specified in the manual partition assignment "
                        "for partition {} are fenced or in controlled shutdown.",
                        index);
                    break;
                }
                part.leader = part.isr.front();
                parts.push_back(std::move(part));
            }
            if (bad) {
                fail(errc::invalid_replica_assignment, bad);
                continue;
            }
        } else {
            if (rf > live.size()) {
                fail(errc::invalid_replication_factor,
                     fmt::format("Unable to replicate the partition {} time(s): The target "
                                 "replication factor of {} cannot be reached because only {} "
                                 "broker(s) are registered.",
                                 rf, rf, live.size()));
                continue;
            }
            for (int32_t i = 0; i < additional; ++i) {
                metadata::PartitionImage part;
                for (size_t k = 0; k < rf; ++k) {
                    part.replicas.push_back(
                        live[(static_cast<size_t>(current + i) + k) % live.size()]);
                }
                part.isr = part.replicas;
                part.leader = part.isr.front();
                parts.push_back(std::move(part));
            }
        }
        r.error_code = errc::none;
        for (size_t i = 0; i < parts.size(); ++i) {
            p::PartitionRecord pr;
            pr.partition_id = current + static_cast<int32_t>(i);
            pr.topic_id = topic->id;
            pr.replicas = parts[i].replicas;
            pr.isr = parts[i].isr;
            pr.leader = parts[i].leader;
            pr.directories.assign(parts[i].replicas.size(), p::Uuid{});
            records.push_back(make_record(std::move(pr), kPartitionRecordVersion));
        }
    }
    if (request.validate_only || records.empty()) {
        return resp;
    }
    auto committed = commit(records);
    if (!committed) {
        log->error("CreatePartitions could not be committed: {}", committed.error());
        for (auto& r : resp.results) {
            if (r.error_code == errc::none) {
                r.error_code = errc::unknown_server_error;
                r.error_message =
                    "The metadata log did not accept the change: " + committed.error();
            }
        }
        return resp;
    }
    for (const auto& r : resp.results) {
        const auto* topic = image_->topic(r.name);
        if (r.error_code == errc::none && topic != nullptr) {
            log->info("CreatePartitions: {} has {} partitions", r.name, topic->partitions.size());
        }
    }
    return resp;
}

}  // namespace gregor::controller

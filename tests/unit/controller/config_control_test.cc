// The controller's config changes (ConfigRecords) and partition additions (PartitionRecords).

#include "gregor/controller/quorum_controller.h"

#include <gtest/gtest.h>

namespace gregor::controller {
namespace {

namespace p = protocol;
constexpr int8_t kTopic = metadata::kConfigResourceTopic;
constexpr int8_t kBroker = metadata::kConfigResourceBroker;
constexpr int8_t kSet = 0;
constexpr int8_t kDelete = 1;
constexpr int8_t kAppend = 2;
constexpr int8_t kSubtract = 3;

ControllerConfig test_config() {
    ControllerConfig c;
    c.node_id = 1;
    c.endpoints.push_back({"PLAINTEXT", "localhost", 9092, 0});
    c.config_schema.is_list = [](int8_t, std::string_view n) { return n == "cleanup.policy"; };
    c.config_schema.default_value = [](int8_t, std::string_view n) -> std::optional<std::string> {
        if (n == "cleanup.policy") {
            return "delete";
        }
        return std::nullopt;
    };
    c.config_schema.validate = [](int8_t type, const std::string&,
                                  const metadata::ConfigMap& changed,
                                  const std::vector<std::string>&) -> std::optional<ApiResult> {
        if (type == kTopic && changed.count("bad") != 0) {
            return ApiResult{errc::invalid_config, "Unknown topic config name: bad"};
        }
        return std::nullopt;
    };
    return c;
}

ConfigResourceAlteration change(int8_t type,
                                std::string name,
                                std::vector<ConfigAlteration> ops,
                                bool replace = false) {
    return {type, std::move(name), std::move(ops), replace};
}

class ConfigControlTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto log = std::make_unique<MemoryMetadataLog>();
        log_ = log.get();
        controller_ = std::make_unique<QuorumController>(test_config(), std::move(log), nullptr);
        ASSERT_TRUE(controller_->start());
        p::CreateTopicsRequest req;
        auto& t = req.topics.emplace_back();
        t.name = "t";
        t.num_partitions = 2;
        t.replication_factor = 1;
        ASSERT_EQ(controller_->create_topics_sync(req, 7).topics.at(0).error_code, errc::none);
    }

    ApiResult alter_one(ConfigResourceAlteration r, bool validate_only = false) {
        auto results = controller_->alter_configs_sync({std::move(r)}, validate_only);
        EXPECT_EQ(results.size(), 1U);
        return results.at(0);
    }

    metadata::ConfigMap topic_configs() const { return controller_->image()->topic_configs("t"); }

    p::CreatePartitionsResponse::CreatePartitionsTopicResult add_partitions(
        const std::string& topic,
        int32_t count,
        std::optional<std::vector<std::vector<int32_t>>> assignments = std::nullopt,
        bool validate_only = false) {
        p::CreatePartitionsRequest req;
        auto& t = req.topics.emplace_back();
        t.name = topic;
        t.count = count;
        if (assignments) {
            t.assignments.emplace();
            for (auto& ids : *assignments) {
                t.assignments->emplace_back().broker_ids = ids;
            }
        } else {
            t.assignments.reset();
        }
        req.validate_only = validate_only;
        auto resp = controller_->create_partitions_sync(std::move(req));
        EXPECT_EQ(resp.results.size(), 1U);
        return resp.results.at(0);
    }

    MemoryMetadataLog* log_ = nullptr;
    std::unique_ptr<QuorumController> controller_;
};

TEST_F(ConfigControlTest, SetAndDeleteAreConfigRecords) {
    const int64_t before = log_->end_offset();
    auto r = alter_one(change(kTopic, "t", {{"retention.ms", kSet, "1000"}}));
    EXPECT_EQ(r.error_code, errc::none);
    EXPECT_EQ(topic_configs(), (metadata::ConfigMap{{"retention.ms", "1000"}}));
    EXPECT_EQ(log_->end_offset(), before + 1);
    // Setting the same value again writes nothing.
    EXPECT_EQ(alter_one(change(kTopic, "t", {{"retention.ms", kSet, "1000"}})).error_code,
              errc::none);
    EXPECT_EQ(log_->end_offset(), before + 1);
    EXPECT_EQ(alter_one(change(kTopic, "t", {{"retention.ms", kDelete, std::nullopt}})).error_code,
              errc::none);
    EXPECT_TRUE(topic_configs().empty());
    EXPECT_EQ(log_->end_offset(), before + 2);  // a ConfigRecord with a null value
}

TEST_F(ConfigControlTest, AppendAndSubtractStartFromTheDefault) {
    EXPECT_EQ(alter_one(change(kTopic, "t", {{"cleanup.policy", kAppend, "compact"}})).error_code,
              errc::none);
    EXPECT_EQ(topic_configs().at("cleanup.policy"), "delete,compact");
    EXPECT_EQ(alter_one(change(kTopic, "t", {{"cleanup.policy", kAppend, "compact"}})).error_code,
              errc::none);
    EXPECT_EQ(topic_configs().at("cleanup.policy"), "delete,compact");  // no duplicates
    EXPECT_EQ(alter_one(change(kTopic, "t", {{"cleanup.policy", kSubtract, "delete"}})).error_code,
              errc::none);
    EXPECT_EQ(topic_configs().at("cleanup.policy"), "compact");
    auto bad = alter_one(change(kTopic, "t", {{"retention.ms", kAppend, "5"}}));
    EXPECT_EQ(bad.error_code, errc::invalid_config);
    EXPECT_EQ(bad.error_message, "Can't APPEND to key retention.ms because its type is not LIST.");
}

TEST_F(ConfigControlTest, ErrorsAndValidateOnlyChangeNothing) {
    const int64_t before = log_->end_offset();
    auto missing = alter_one(change(kTopic, "nope", {{"retention.ms", kSet, "1"}}));
    EXPECT_EQ(missing.error_code, errc::unknown_topic_or_partition);
    EXPECT_EQ(missing.error_message, "The topic 'nope' does not exist.");
    auto bad = alter_one(change(kTopic, "t", {{"retention.ms", kSet, "1"}, {"bad", kSet, "1"}}));
    EXPECT_EQ(bad.error_code, errc::invalid_config);
    EXPECT_EQ(bad.error_message, "Unknown topic config name: bad");
    EXPECT_EQ(alter_one(change(kTopic, "t", {{"retention.ms", kSet, "1"}}), true).error_code,
              errc::none);
    EXPECT_EQ(log_->end_offset(), before);
    EXPECT_TRUE(topic_configs().empty());
    EXPECT_EQ(alter_one(change(kTopic, "t", {{"x", 9, "1"}})).error_code, errc::invalid_request);
}

TEST_F(ConfigControlTest, OneBadResourceDoesNotStopTheOthers) {
    auto results =
        controller_->alter_configs_sync({change(kTopic, "nope", {{"retention.ms", kSet, "1"}}),
                                         change(kTopic, "t", {{"retention.ms", kSet, "2"}}),
                                         change(kBroker, "", {{"log.retention.ms", kSet, "3"}})},
                                        false);
    ASSERT_EQ(results.size(), 3U);
    EXPECT_EQ(results[0].error_code, errc::unknown_topic_or_partition);
    EXPECT_EQ(results[1].error_code, errc::none);
    EXPECT_EQ(results[2].error_code, errc::none);
    auto img = controller_->image();
    EXPECT_EQ(img->topic_configs("t").at("retention.ms"), "2");
    EXPECT_EQ(img->configs().at(kBroker).at("").at("log.retention.ms"), "3");
}

TEST_F(ConfigControlTest, ReplaceDeletesWhatIsNotNamed) {
    ASSERT_EQ(alter_one(change(kTopic, "t",
                               {{"retention.ms", kSet, "1"}, {"cleanup.policy", kSet, "compact"}}))
                  .error_code,
              errc::none);
    ASSERT_EQ(alter_one(change(kTopic, "t", {{"segment.ms", kSet, "5"}}, true)).error_code,
              errc::none);
    EXPECT_EQ(topic_configs(), (metadata::ConfigMap{{"segment.ms", "5"}}));
    auto nulls = alter_one(change(kTopic, "t", {{"segment.ms", kSet, std::nullopt}}, true));
    EXPECT_EQ(nulls.error_code, errc::invalid_config);
    EXPECT_EQ(nulls.error_message, "Null value not supported for topic configs: segment.ms");
}

TEST_F(ConfigControlTest, DeletingATopicDropsItsConfigs) {
    ASSERT_EQ(alter_one(change(kTopic, "t", {{"retention.ms", kSet, "1"}})).error_code, errc::none);
    p::DeleteTopicsRequest del;
    del.topic_names = {"t"};
    ASSERT_EQ(controller_->delete_topics_sync(del, 5).responses.at(0).error_code, errc::none);
    EXPECT_TRUE(topic_configs().empty());
}

TEST_F(ConfigControlTest, CreatePartitionsAddsPartitionRecords) {
    const int64_t before = log_->end_offset();
    auto r = add_partitions("t", 5);
    EXPECT_EQ(r.error_code, errc::none);
    EXPECT_EQ(log_->end_offset(), before + 3);
    const auto* t = controller_->image()->topic("t");
    ASSERT_EQ(t->partitions.size(), 5U);
    for (const auto& [index, part] : t->partitions) {
        EXPECT_EQ(part.replicas, std::vector<int32_t>{1}) << index;
        EXPECT_EQ(part.leader, 1);
    }
    EXPECT_EQ(add_partitions("t", 6, std::vector<std::vector<int32_t>>{{1}}).error_code,
              errc::none);
    EXPECT_EQ(controller_->image()->topic("t")->partitions.size(), 6U);
}

TEST_F(ConfigControlTest, CreatePartitionsErrors) {
    auto same = add_partitions("t", 2);
    EXPECT_EQ(same.error_code, errc::invalid_partitions);
    EXPECT_EQ(same.error_message, "Topic already has 2 partition(s).");
    auto fewer = add_partitions("t", 1);
    EXPECT_EQ(fewer.error_code, errc::invalid_partitions);
    EXPECT_EQ(fewer.error_message,
              "The topic t currently has 2 partition(s); 1 would not be an increase.");
    EXPECT_EQ(add_partitions("nope", 3).error_code, errc::unknown_topic_or_partition);
    auto count = add_partitions("t", 4, std::vector<std::vector<int32_t>>{{1}});
    EXPECT_EQ(count.error_code, errc::invalid_replica_assignment);
    EXPECT_EQ(count.error_message,
              "Attempted to add 2 additional partition(s), but only 1 assignment(s) were "
              "specified.");
    auto unknown = add_partitions("t", 3, std::vector<std::vector<int32_t>>{{7}});
    EXPECT_EQ(unknown.error_code, errc::invalid_replica_assignment);
    EXPECT_EQ(unknown.error_message,
              "The manual partition assignment includes broker 7, but no such broker is "
              "registered.");
    EXPECT_EQ(add_partitions("t", 2000000000).error_code, errc::invalid_partitions);
    auto rf = add_partitions("t", 3, std::vector<std::vector<int32_t>>{{}});
    EXPECT_EQ(rf.error_code, errc::invalid_replica_assignment);
    const int64_t before = log_->end_offset();
    EXPECT_EQ(add_partitions("t", 9, std::nullopt, true).error_code, errc::none);
    EXPECT_EQ(log_->end_offset(), before);
    EXPECT_EQ(controller_->image()->topic("t")->partitions.size(), 2U);
}

TEST_F(ConfigControlTest, DuplicateTopicsInCreatePartitions) {
    p::CreatePartitionsRequest req;
    req.topics.resize(2);
    for (auto& t : req.topics) {
        t.name = "t";
        t.count = 4;
        t.assignments.reset();
    }
    auto resp = controller_->create_partitions_sync(std::move(req));
    ASSERT_EQ(resp.results.size(), 2U);
    for (const auto& r : resp.results) {
        EXPECT_EQ(r.error_code, errc::invalid_request);
        EXPECT_EQ(r.error_message, "Duplicate topic name.");
    }
}

}  // namespace
}  // namespace gregor::controller

#include "gregor/controller/quorum_controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <random>

namespace gregor::controller {
namespace {

namespace p = protocol;
namespace fs = std::filesystem;

using Topic = p::CreateTopicsRequest::CreatableTopic;

Topic topic(const std::string& name, int32_t partitions = 1, int16_t rf = 1) {
    Topic t;
    t.name = name;
    t.num_partitions = partitions;
    t.replication_factor = rf;
    return t;
}

p::CreateTopicsRequest create_request(std::vector<Topic> topics, bool validate_only = false) {
    p::CreateTopicsRequest req;
    req.topics = std::move(topics);
    req.validate_only = validate_only;
    return req;
}

ControllerConfig test_config() {
    ControllerConfig c;
    c.node_id = 1;
    c.default_num_partitions = 3;
    c.default_replication_factor = 1;
    c.endpoints.push_back({"PLAINTEXT", "localhost", 9092, 0});
    c.is_topic_config = [](std::string_view n) {
        return n == "retention.ms" || n == "cleanup.policy";
    };
    c.check_topic_config_value = [](std::string_view n,
                                    const std::string& v) -> std::optional<std::string> {
        if (n == "retention.ms" && v.find_first_not_of("-0123456789") != std::string::npos) {
            return "Invalid value " + v
                   + " for configuration retention.ms: Not a number of type LONG";
        }
        return std::nullopt;
    };
    return c;
}

class ControllerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto log = std::make_unique<MemoryMetadataLog>();
        log_ = log.get();
        controller_ = std::make_unique<QuorumController>(
            test_config(), std::move(log),
            [this](std::shared_ptr<const metadata::MetadataImage> img) {
                published_ = img;
                ++publishes_;
            });
        auto started = controller_->start();
        ASSERT_TRUE(started) << started.error();
    }

    p::CreateTopicsResponse::CreatableTopicResult create_one(Topic t) {
        auto resp = controller_->create_topics_sync(create_request({std::move(t)}), 7);
        EXPECT_EQ(resp.topics.size(), 1U);
        return resp.topics.at(0);
    }

    MemoryMetadataLog* log_ = nullptr;
    std::unique_ptr<QuorumController> controller_;
    std::shared_ptr<const metadata::MetadataImage> published_;
    std::atomic<int> publishes_{0};
};

TEST_F(ControllerTest, BootstrapsAndRegistersThisNode) {
    auto img = controller_->image();
    EXPECT_EQ(img->metadata_version(), 27);
    ASSERT_NE(img->broker(1), nullptr);
    EXPECT_FALSE(img->broker(1)->fenced);
    EXPECT_EQ(img->broker(1)->endpoints.front().host, "localhost");
    EXPECT_EQ(published_, img);
    EXPECT_EQ(log_->end_offset(), 3);  // FeatureLevel, RegisterBroker, UnfenceBroker
}

TEST_F(ControllerTest, CreatesTopicAndPublishes) {
    auto r = create_one(topic("orders", 4, 1));
    EXPECT_EQ(r.error_code, errc::none);
    EXPECT_FALSE(r.topic_id.is_zero());
    EXPECT_EQ(r.num_partitions, 4);
    EXPECT_EQ(r.replication_factor, 1);
    auto img = controller_->image();
    const auto* t = img->topic("orders");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->id, r.topic_id);
    ASSERT_EQ(t->partitions.size(), 4U);
    for (const auto& [i, part] : t->partitions) {
        EXPECT_EQ(part.leader, 1);
        EXPECT_EQ(part.replicas, std::vector<int32_t>{1});
        EXPECT_EQ(part.isr, std::vector<int32_t>{1});
        EXPECT_EQ(part.leader_epoch, 0);
    }
    EXPECT_EQ(published_, img);
}

TEST_F(ControllerTest, MinusOneTakesBrokerDefaults) {
    auto r = create_one(topic("d", -1, -1));
    EXPECT_EQ(r.error_code, errc::none);
    EXPECT_EQ(r.num_partitions, 3);
    EXPECT_EQ(r.replication_factor, 1);
}

TEST_F(ControllerTest, RejectsInvalidNames) {
    for (const std::string& name :
         {std::string(""), std::string("."), std::string(".."), std::string(250, 'a'),
          std::string("a/b"), std::string("a b"), std::string("ü")}) {
        auto r = create_one(topic(name));
        EXPECT_EQ(r.error_code, errc::invalid_topic_exception) << name;
        EXPECT_TRUE(r.error_message.has_value());
    }
    EXPECT_EQ(create_one(topic("a*b")).error_message,
              "Topic name is invalid: 'a*b' contains one or more characters other than ASCII "
              "alphanumerics, '.', '_' and '-'");
    EXPECT_EQ(create_one(topic("..")).error_message, "Topic name is invalid: '..' is not allowed");
    // Java counts UTF-16 units: 200 two-byte characters are not "too long", just illegal.
    std::string umlauts;
    for (int i = 0; i < 200; ++i) {
        umlauts += "\xc3\xbc";
    }
    EXPECT_NE(create_one(topic(umlauts)).error_message->find("contains one or more"),
              std::string::npos);
    EXPECT_EQ(create_one(topic(std::string(249, 'a'))).error_code, errc::none);
    EXPECT_EQ(validate_topic_name("a.b_c-D9"), std::nullopt);
}

TEST_F(ControllerTest, RejectsCollisionsAndExistingTopics) {
    ASSERT_EQ(create_one(topic("a_b")).error_code, errc::none);
    auto collide = create_one(topic("a.b"));
    EXPECT_EQ(collide.error_code, errc::invalid_topic_exception);
    EXPECT_EQ(collide.error_message, "Topic 'a.b' collides with existing topic: a_b");
    auto exists = create_one(topic("a_b"));
    EXPECT_EQ(exists.error_code, errc::topic_already_exists);
    EXPECT_EQ(exists.error_message, "Topic 'a_b' already exists.");
}

TEST_F(ControllerTest, RejectsBadCountsAndFactors) {
    auto parts = create_one(topic("p", 0, 1));
    EXPECT_EQ(parts.error_code, errc::invalid_partitions);
    EXPECT_EQ(parts.error_message,
              "Number of partitions was set to an invalid non-positive value.");
    EXPECT_EQ(create_one(topic("p", -5, 1)).error_code, errc::invalid_partitions);
    EXPECT_EQ(create_one(topic("r", 1, 0)).error_code, errc::invalid_replication_factor);
    auto rf = create_one(topic("r", 1, 3));
    EXPECT_EQ(rf.error_code, errc::invalid_replication_factor);
    EXPECT_EQ(rf.error_message,
              "Unable to replicate the partition 3 time(s): The target replication factor of 3 "
              "cannot be reached because only 1 broker(s) are registered.");
    EXPECT_EQ(controller_->image()->topics_by_name().size(), 0U);
}

TEST_F(ControllerTest, ValidatesConfigs) {
    Topic t = topic("c");
    t.configs.push_back({"retention.ms", "1000", {}});
    t.configs.push_back({"bogus.config", "1", {}});
    auto bad = create_one(t);
    EXPECT_EQ(bad.error_code, errc::invalid_config);
    EXPECT_EQ(bad.error_message, "Unknown topic config name: bogus.config");
    Topic n = topic("c");
    n.configs.push_back({"retention.ms", std::nullopt, {}});
    EXPECT_EQ(create_one(n).error_code, errc::invalid_config);
    Topic v = topic("c");
    v.configs.push_back({"retention.ms", "abc", {}});
    auto bad_value = create_one(v);
    EXPECT_EQ(bad_value.error_code, errc::invalid_config);
    EXPECT_EQ(bad_value.error_message,
              "Invalid value abc for configuration retention.ms: Not a number of type LONG");
    t.configs.pop_back();
    EXPECT_EQ(create_one(t).error_code, errc::none);
    EXPECT_EQ(controller_->image()->topic_configs("c").at("retention.ms"), "1000");
}

TEST_F(ControllerTest, DuplicateNamesInOneRequest) {
    auto resp =
        controller_->create_topics_sync(create_request({topic("x"), topic("x"), topic("y")}), 7);
    ASSERT_EQ(resp.topics.size(), 3U);
    EXPECT_EQ(resp.topics[0].error_code, errc::invalid_request);
    EXPECT_EQ(resp.topics[1].error_code, errc::invalid_request);
    EXPECT_EQ(resp.topics[2].error_code, errc::none);
    EXPECT_EQ(controller_->image()->topic("x"), nullptr);
}

TEST_F(ControllerTest, ValidateOnlyChangesNothing) {
    const int64_t end = log_->end_offset();
    auto resp = controller_->create_topics_sync(create_request({topic("v", 2, 1)}, true), 7);
    EXPECT_EQ(resp.topics.at(0).error_code, errc::none);
    EXPECT_EQ(resp.topics.at(0).num_partitions, 2);
    EXPECT_EQ(controller_->image()->topic("v"), nullptr);
    EXPECT_EQ(log_->end_offset(), end);
}

TEST_F(ControllerTest, ManualAssignments) {
    Topic t = topic("m", -1, -1);
    t.assignments.push_back({0, {1}, {}});
    t.assignments.push_back({1, {1}, {}});
    auto ok = create_one(t);
    EXPECT_EQ(ok.error_code, errc::none);
    EXPECT_EQ(ok.num_partitions, 2);
    Topic gap = topic("g", -1, -1);
    gap.assignments.push_back({0, {1}, {}});
    gap.assignments.push_back({2, {1}, {}});
    EXPECT_EQ(create_one(gap).error_code, errc::invalid_replica_assignment);
    Topic unknown = topic("u", -1, -1);
    unknown.assignments.push_back({0, {7}, {}});
    EXPECT_EQ(create_one(unknown).error_code, errc::invalid_replica_assignment);
    Topic with_count = topic("w", 1, -1);
    with_count.assignments.push_back({0, {1}, {}});
    EXPECT_EQ(create_one(with_count).error_code, errc::invalid_request);
}

TEST_F(ControllerTest, DeletesByNameAndById) {
    auto a = create_one(topic("a"));
    auto b = create_one(topic("b"));
    p::DeleteTopicsRequest by_name;
    by_name.topic_names = {"a", "nope"};
    auto r1 = controller_->delete_topics_sync(by_name, 5);
    ASSERT_EQ(r1.responses.size(), 2U);
    EXPECT_EQ(r1.responses[0].error_code, errc::none);
    EXPECT_EQ(r1.responses[0].topic_id, a.topic_id);
    EXPECT_EQ(r1.responses[1].error_code, errc::unknown_topic_or_partition);
    EXPECT_EQ(controller_->image()->topic("a"), nullptr);

    p::DeleteTopicsRequest by_id;
    by_id.topics.push_back({std::nullopt, b.topic_id, {}});
    by_id.topics.push_back({std::nullopt, a.topic_id, {}});
    auto r2 = controller_->delete_topics_sync(by_id, 6);
    ASSERT_EQ(r2.responses.size(), 2U);
    EXPECT_EQ(r2.responses[0].error_code, errc::none);
    EXPECT_EQ(r2.responses[0].name, "b");
    EXPECT_EQ(r2.responses[1].error_code, errc::unknown_topic_id);
    EXPECT_TRUE(controller_->image()->topics_by_name().empty());
    // Recreating gives a new id.
    auto again = create_one(topic("a"));
    EXPECT_EQ(again.error_code, errc::none);
    EXPECT_NE(again.topic_id, a.topic_id);
}

TEST_F(ControllerTest, FailedAppendLeavesImage) {
    log_->fail_appends(true);
    auto r = create_one(topic("f"));
    EXPECT_EQ(r.error_code, errc::unknown_server_error);
    EXPECT_EQ(controller_->image()->topic("f"), nullptr);
}

TEST_F(ControllerTest, StoppedControllerAnswersTimedOut) {
    controller_->stop();
    auto r = create_one(topic("s"));
    EXPECT_EQ(r.error_code, errc::request_timed_out);
}

TEST(LocalMetadataLog, TopicsSurviveRestart) {
    fs::path dir = fs::temp_directory_path()
                   / ("gregor-controller-test-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    p::Uuid id;
    int64_t first_epoch = -1;
    {
        auto log = LocalMetadataLog::open(dir, 1 << 20, 604800000);
        ASSERT_TRUE(log) << log.error();
        QuorumController c(test_config(), std::move(*log), nullptr);
        ASSERT_TRUE(c.start());
        first_epoch = c.image()->broker(1)->epoch;
        Topic t = topic("kept", 2, 1);
        t.configs.push_back({"cleanup.policy", "compact", {}});
        auto resp = c.create_topics_sync(create_request({t, topic("gone")}), 7);
        ASSERT_EQ(resp.topics.at(0).error_code, errc::none);
        id = resp.topics.at(0).topic_id;
        p::DeleteTopicsRequest del;
        del.topic_names = {"gone"};
        ASSERT_EQ(c.delete_topics_sync(del, 5).responses.at(0).error_code, errc::none);
        c.stop();
    }
    EXPECT_TRUE(fs::exists(dir / "__cluster_metadata-0" / "00000000000000000000.log"));
    {
        auto log = LocalMetadataLog::open(dir, 1 << 20, 604800000);
        ASSERT_TRUE(log) << log.error();
        QuorumController c(test_config(), std::move(*log), nullptr);
        auto started = c.start();
        ASSERT_TRUE(started) << started.error();
        auto img = c.image();
        ASSERT_NE(img->topic("kept"), nullptr);
        EXPECT_EQ(img->topic("kept")->id, id);
        EXPECT_EQ(img->topic("kept")->partitions.size(), 2U);
        EXPECT_EQ(img->topic_configs("kept").at("cleanup.policy"), "compact");
        EXPECT_EQ(img->topic("gone"), nullptr);
        EXPECT_EQ(img->metadata_version(), 27);
        EXPECT_GT(img->broker(1)->epoch, first_epoch);
        EXPECT_FALSE(img->broker(1)->fenced);
        c.stop();
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace gregor::controller

namespace gregor::controller {
namespace {

p::AllocateProducerIdsResponse allocate(QuorumController& c, int32_t broker, int64_t epoch) {
    std::promise<p::AllocateProducerIdsResponse> promise;
    auto future = promise.get_future();
    c.allocate_producer_ids(broker, epoch, [&promise](p::AllocateProducerIdsResponse r) {
        promise.set_value(std::move(r));
    });
    return future.get();
}

TEST_F(ControllerTest, AllocatesConsecutiveProducerIdBlocks) {
    const int64_t epoch = controller_->image()->broker(1)->epoch;
    auto first = allocate(*controller_, 1, epoch);
    ASSERT_EQ(first.error_code, errc::none);
    EXPECT_EQ(first.producer_id_start, 0);
    EXPECT_EQ(first.producer_id_len, 1000);
    auto second = allocate(*controller_, 1, epoch);
    ASSERT_EQ(second.error_code, errc::none);
    EXPECT_EQ(second.producer_id_start, 1000);
    EXPECT_EQ(controller_->image()->next_producer_id(), 2000);
    EXPECT_EQ(allocate(*controller_, 1, epoch + 1).error_code, errc::stale_broker_epoch);
    EXPECT_EQ(allocate(*controller_, 7, epoch).error_code, errc::broker_id_not_registered);
    EXPECT_EQ(controller_->image()->next_producer_id(), 2000);
}

TEST(LocalMetadataLog, ProducerIdBlocksSurviveRestart) {
    fs::path dir = fs::temp_directory_path()
                   / ("gregor-controller-pid-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    for (int64_t expected : {0, 1000}) {
        auto log = LocalMetadataLog::open(dir, 1 << 20, 604800000);
        ASSERT_TRUE(log) << log.error();
        QuorumController c(test_config(), std::move(*log), nullptr);
        ASSERT_TRUE(c.start());
        auto r = allocate(c, 1, c.image()->broker(1)->epoch);
        EXPECT_EQ(r.error_code, errc::none);
        EXPECT_EQ(r.producer_id_start, expected);  // never a block handed out before
        c.stop();
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace gregor::controller

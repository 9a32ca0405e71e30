#include "gregor/metadata/image.h"

#include "gregor/metadata/record_serde.h"

#include "metadata_test_records.h"
#include <gtest/gtest.h>

namespace gregor::metadata {
namespace {

namespace p = protocol;

using testing::partition_record;
using testing::topic_record;
using testing::uuid;

std::shared_ptr<const MetadataImage> replay_all(std::shared_ptr<const MetadataImage> base,
                                                const std::vector<ApiMessageAndVersion>& records,
                                                int64_t first_offset = 0) {
    MetadataDelta delta(std::move(base));
    int64_t offset = first_offset;
    for (const auto& r : records) {
        std::string error;
        EXPECT_TRUE(delta.replay(offset++, r, &error)) << error;
    }
    return delta.apply();
}

TEST(RecordSerde, FramesAsKafkaMetadataRecordSerde) {
    // TopicRecord v0 "a" with a zero id: frame 1, api key 2, version 0, then the flexible body.
    p::TopicRecord t;
    t.name = "a";
    auto bytes = serialize(make_record(t));
    ASSERT_GE(bytes.size(), 3U);
    EXPECT_EQ(bytes[0], 1);  // frame version
    EXPECT_EQ(bytes[1], 2);  // api key
    EXPECT_EQ(bytes[2], 0);  // version
    EXPECT_EQ(bytes[3], 2);  // compact string length + 1
    EXPECT_EQ(bytes[4], 'a');
    EXPECT_EQ(bytes.size(), 3U + 2U + 16U + 1U);  // name, uuid, no tagged fields
}

TEST(RecordSerde, RoundTripsEveryModelledType) {
    std::vector<ApiMessageAndVersion> records;
    records.push_back(topic_record("orders", 7));
    records.push_back(partition_record(7, 0, {1, 2}));
    p::ConfigRecord c;
    c.resource_type = kConfigResourceTopic;
    c.resource_name = "orders";
    c.name = "cleanup.policy";
    c.value = "compact";
    records.push_back(make_record(c));
    p::FeatureLevelRecord f;
    f.name = "metadata.version";
    f.feature_level = 27;
    records.push_back(make_record(f));
    p::RegisterBrokerRecord b;
    b.broker_id = 1;
    b.broker_epoch = 5;
    b.end_points.push_back({"PLAINTEXT", "localhost", 9092, 0, {}});
    records.push_back(make_record(b, 3));
    records.push_back(make_record(p::NoOpRecord{}));
    UnknownRecord u;
    u.api_key = 18;
    u.data = {1, 2, 3};
    records.push_back({u, 0});
    for (const auto& r : records) {
        auto bytes = serialize(r);
        auto back = deserialize(bytes);
        ASSERT_TRUE(back.ok) << back.error;
        EXPECT_EQ(back.record, r);
    }
}

TEST(RecordSerde, RejectsBadFrames) {
    auto bytes = serialize(topic_record("x", 1));
    auto bad_frame = bytes;
    bad_frame[0] = 2;
    EXPECT_FALSE(deserialize(bad_frame).ok);
    auto bad_version = bytes;
    bad_version[2] = 5;
    EXPECT_FALSE(deserialize(bad_version).ok);
    auto trailing = bytes;
    trailing.push_back(0);
    EXPECT_FALSE(deserialize(trailing).ok);
    bytes.resize(bytes.size() - 3);
    EXPECT_FALSE(deserialize(bytes).ok);
    EXPECT_FALSE(deserialize({}).ok);
}

TEST(MetadataDelta, ReplaysTopicsPartitionsAndConfigs) {
    p::ConfigRecord c;
    c.resource_type = kConfigResourceTopic;
    c.resource_name = "orders";
    c.name = "retention.ms";
    c.value = "1000";
    auto img = replay_all(MetadataImage::empty(),
                          {make_record(c), topic_record("orders", 1), partition_record(1, 0, {1}),
                           partition_record(1, 1, {1})});
    EXPECT_EQ(img->offset(), 3);
    const TopicImage* t = img->topic("orders");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t, img->topic(uuid(1)));
    EXPECT_EQ(t->partitions.size(), 2U);
    EXPECT_EQ(t->partitions.at(1).leader, 1);
    EXPECT_EQ(img->topic_configs("orders").at("retention.ms"), "1000");
    EXPECT_TRUE(MetadataImage::empty()->topics_by_name().empty());
}

TEST(MetadataDelta, PartitionChangeMergesAsKafka) {
    auto img = replay_all(MetadataImage::empty(),
                          {topic_record("t", 1), partition_record(1, 0, {1, 2, 3})});
    p::PartitionChangeRecord ch;
    ch.topic_id = uuid(1);
    ch.partition_id = 0;
    ch.isr = std::vector<int32_t>{1, 2};
    // leader stays (-2): the leader epoch stays, the partition epoch moves.
    auto next = replay_all(img, {make_record(ch)}, 2);
    const auto& part = next->topic("t")->partitions.at(0);
    EXPECT_EQ(part.isr, (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(part.leader, 1);
    EXPECT_EQ(part.leader_epoch, 0);
    EXPECT_EQ(part.partition_epoch, 1);
    EXPECT_EQ(part.replicas, (std::vector<int32_t>{1, 2, 3}));
    ch.isr.reset();
    ch.leader = 2;
    auto third = replay_all(next, {make_record(ch)}, 3);
    EXPECT_EQ(third->topic("t")->partitions.at(0).leader, 2);
    EXPECT_EQ(third->topic("t")->partitions.at(0).leader_epoch, 1);
    EXPECT_EQ(third->topic("t")->partitions.at(0).partition_epoch, 2);
    // The older images are unchanged.
    EXPECT_EQ(next->topic("t")->partitions.at(0).leader, 1);
    EXPECT_EQ(img->topic("t")->partitions.at(0).isr, (std::vector<int32_t>{1, 2, 3}));
}

TEST(MetadataDelta, UnchangedTopicsAreShared) {
    auto img =
        replay_all(MetadataImage::empty(), {topic_record("a", 1), partition_record(1, 0, {1}),
                                            topic_record("b", 2), partition_record(2, 0, {1})});
    auto next = replay_all(img, {partition_record(2, 1, {1})}, 4);
    EXPECT_EQ(img->topic("a"), next->topic("a"));
    EXPECT_NE(img->topic("b"), next->topic("b"));
    EXPECT_EQ(img->topic("b")->partitions.size(), 1U);
    EXPECT_EQ(next->topic("b")->partitions.size(), 2U);
}

TEST(MetadataDelta, RemoveTopicDropsItAndItsConfigs) {
    p::ConfigRecord c;
    c.resource_type = kConfigResourceTopic;
    c.resource_name = "t";
    c.name = "retention.ms";
    c.value = "1";
    auto img = replay_all(MetadataImage::empty(),
                          {topic_record("t", 1), partition_record(1, 0, {1}), make_record(c)});
    p::RemoveTopicRecord rm;
    rm.topic_id = uuid(1);
    MetadataDelta delta(img);
    ASSERT_TRUE(delta.replay(3, make_record(rm)));
    ASSERT_EQ(delta.removed_topics().size(), 1U);
    EXPECT_EQ(delta.removed_topics()[0].first, "t");
    auto next = delta.apply();
    EXPECT_EQ(next->topic("t"), nullptr);
    EXPECT_EQ(next->topic(uuid(1)), nullptr);
    EXPECT_TRUE(next->topic_configs("t").empty());
    EXPECT_NE(img->topic("t"), nullptr);
}

TEST(MetadataDelta, ConfigDeleteWithNullValue) {
    p::ConfigRecord c;
    c.resource_type = kConfigResourceBroker;
    c.resource_name = "";
    c.name = "log.retention.ms";
    c.value = "5";
    auto img = replay_all(MetadataImage::empty(), {make_record(c)});
    EXPECT_EQ(img->configs().at(kConfigResourceBroker).at("").at("log.retention.ms"), "5");
    c.value.reset();
    auto next = replay_all(img, {make_record(c)}, 1);
    EXPECT_EQ(next->configs().at(kConfigResourceBroker).count(""), 0U);
}

TEST(MetadataDelta, BrokersFeaturesAndProducerIds) {
    p::FeatureLevelRecord f;
    f.name = "metadata.version";
    f.feature_level = 27;
    p::RegisterBrokerRecord b;
    b.broker_id = 1;
    b.broker_epoch = 1;
    b.fenced = true;
    b.end_points.push_back({"PLAINTEXT", "h", 9092, 0, {}});
    p::UnfenceBrokerRecord u;
    u.id = 1;
    u.epoch = 1;
    p::ProducerIdsRecord pid;
    pid.broker_id = 1;
    pid.next_producer_id = 1000;
    auto img = replay_all(MetadataImage::empty(),
                          {make_record(f), make_record(b, 3), make_record(p::NoOpRecord{})});
    EXPECT_EQ(img->metadata_version(), 27);
    EXPECT_TRUE(img->broker(1)->fenced);
    EXPECT_EQ(img->live_broker_count(), 0);
    auto next = replay_all(img, {make_record(u), make_record(pid)}, 3);
    EXPECT_FALSE(next->broker(1)->fenced);
    EXPECT_EQ(next->live_broker_count(), 1);
    EXPECT_EQ(next->next_producer_id(), 1000);
    EXPECT_EQ(next->broker(1)->endpoints.front().port, 9092);
    p::FenceBrokerRecord fence;
    fence.id = 1;
    fence.epoch = 1;
    EXPECT_TRUE(replay_all(next, {make_record(fence)}, 5)->broker(1)->fenced);
}

TEST(MetadataDelta, InconsistentRecordsAreErrors) {
    MetadataDelta delta(MetadataImage::empty());
    std::string error;
    EXPECT_FALSE(delta.replay(0, partition_record(9, 0, {1}), &error));
    EXPECT_NE(error.find("unknown topic"), std::string::npos);
    p::RemoveTopicRecord rm;
    rm.topic_id = uuid(9);
    EXPECT_FALSE(delta.replay(0, make_record(rm), &error));
    p::UnfenceBrokerRecord u;
    u.id = 3;
    EXPECT_FALSE(delta.replay(0, make_record(u), &error));
    // Types without state are skipped, not errors.
    UnknownRecord acl;
    acl.api_key = 18;
    EXPECT_TRUE(delta.replay(0, {acl, 0}, &error));
}

TEST(ImageHolder, PublishesSnapshots) {
    ImageHolder holder;
    EXPECT_EQ(holder.current(), MetadataImage::empty());
    auto img = replay_all(MetadataImage::empty(), {topic_record("t", 1)});
    holder.publish(img);
    EXPECT_EQ(holder.current()->topic("t")->name, "t");
}

}  // namespace
}  // namespace gregor::metadata

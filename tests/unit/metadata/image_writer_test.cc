#include "gregor/metadata/image_writer.h"

#include "metadata_test_records.h"
#include <gtest/gtest.h>

namespace gregor::metadata {
namespace {

namespace p = protocol;

using testing::uuid;

ApiMessageAndVersion topic(const std::string& name, uint8_t id) {
    return testing::topic_record(name, id);
}

ApiMessageAndVersion partition(uint8_t topic_id, int32_t index, std::vector<int32_t> replicas) {
    return testing::partition_record(topic_id, index, std::move(replicas), uuid(200));
}

ApiMessageAndVersion config(int8_t type,
                            const std::string& resource,
                            const std::string& name,
                            std::optional<std::string> value) {
    p::ConfigRecord c;
    c.resource_type = type;
    c.resource_name = resource;
    c.name = name;
    c.value = std::move(value);
    return make_record(std::move(c));
}

ApiMessageAndVersion feature(const std::string& name, int16_t level) {
    p::FeatureLevelRecord f;
    f.name = name;
    f.feature_level = level;
    return make_record(std::move(f));
}

ApiMessageAndVersion broker(int32_t id, int64_t epoch, std::optional<std::string> rack = {}) {
    p::RegisterBrokerRecord b;
    b.broker_id = id;
    b.broker_epoch = epoch;
    b.incarnation_id = uuid(static_cast<uint8_t>(100 + id));
    b.end_points.push_back(
        {"PLAINTEXT", "host" + std::to_string(id), static_cast<uint16_t>(9090 + id), 0, {}});
    b.end_points.push_back(
        {"SSL", "host" + std::to_string(id), static_cast<uint16_t>(9190 + id), 1, {}});
    b.rack = std::move(rack);
    b.fenced = true;
    b.log_dirs = {uuid(50), uuid(51)};
    b.features.push_back({"metadata.version", 7, 27, {}});
    b.features.push_back({"kraft.version", 0, 1, {}});
    return make_record(std::move(b), 3);
}

std::shared_ptr<const MetadataImage> replay_all(const std::vector<ApiMessageAndVersion>& records) {
    MetadataDelta delta(MetadataImage::empty());
    int64_t offset = 0;
    for (const auto& r : records) {
        std::string error;
        EXPECT_TRUE(delta.replay(offset++, r, &error)) << error;
    }
    return delta.apply();
}

// write_image, through the wire encoding (as a snapshot stores it), replayed into an empty delta.
std::shared_ptr<const MetadataImage> rebuild(const MetadataImage& image) {
    std::vector<ApiMessageAndVersion> decoded;
    for (const auto& r : write_image(image)) {
        auto d = deserialize(serialize(r));
        EXPECT_TRUE(d.ok) << d.error;
        decoded.push_back(std::move(d.record));
    }
    return replay_all(decoded);
}

void expect_rebuilds(const std::vector<ApiMessageAndVersion>& records) {
    auto image = replay_all(records);
    auto again = rebuild(*image);
    auto diff = image_difference(*image, *again);
    EXPECT_FALSE(diff.has_value()) << *diff;
    EXPECT_FALSE(image_difference(*again, *image).has_value());
}

TEST(ImageWriter, EmptyImageWritesNothing) {
    EXPECT_TRUE(write_image(*MetadataImage::empty()).empty());
}

TEST(ImageWriter, MetadataVersionComesFirst) {
    auto image = replay_all({feature("a.feature", 2), broker(1, 0), feature("metadata.version", 27),
                             feature("z.feature", 1)});
    auto records = write_image(*image);
    ASSERT_EQ(records.size(), 4U);
    const auto* mv = std::get_if<p::FeatureLevelRecord>(&records[0].message);
    ASSERT_NE(mv, nullptr);
    EXPECT_EQ(mv->name, "metadata.version");
    EXPECT_EQ(mv->feature_level, 27);
    EXPECT_TRUE(std::holds_alternative<p::RegisterBrokerRecord>(records[3].message));
}

TEST(ImageWriter, TopicsPartitionsAndConfigsRebuild) {
    expect_rebuilds({feature("metadata.version", 27), broker(1, 0), topic("orders", 1),
                     partition(1, 0, {1}), partition(1, 1, {1}), partition(1, 2, {1}),
                     topic("a.b_c", 2), partition(2, 0, {1}),
                     config(kConfigResourceTopic, "orders", "cleanup.policy", "compact"),
                     config(kConfigResourceTopic, "orders", "retention.ms", "1000"),
                     config(kConfigResourceBroker, "", "log.retention.ms", "5"),
                     config(kConfigResourceBroker, "1", "log.cleaner.threads", "2")});
}

TEST(ImageWriter, ChangedPartitionsKeepEpochsAndElr) {
    p::PartitionChangeRecord ch;
    ch.topic_id = uuid(1);
    ch.partition_id = 0;
    ch.isr = std::vector<int32_t>{1, 2};
    ch.leader = 2;
    p::PartitionChangeRecord elr;
    elr.topic_id = uuid(1);
    elr.partition_id = 1;
    elr.eligible_leader_replicas = std::vector<int32_t>{3};
    elr.last_known_elr = std::vector<int32_t>{2};
    elr.leader_recovery_state = 1;
    elr.removing_replicas = std::vector<int32_t>{3};
    elr.adding_replicas = std::vector<int32_t>{4};
    auto image =
        replay_all({feature("metadata.version", 27), broker(1, 0), broker(2, 1), broker(3, 2),
                    topic("t", 1), partition(1, 0, {1, 2, 3}), partition(1, 1, {2, 3, 1}),
                    make_record(ch), make_record(ch), make_record(elr, 2)});
    const auto& p0 = image->topic("t")->partitions.at(0);
    EXPECT_EQ(p0.leader_epoch, 2);
    EXPECT_EQ(p0.partition_epoch, 2);
    auto again = rebuild(*image);
    auto diff = image_difference(*image, *again);
    EXPECT_FALSE(diff.has_value()) << *diff;
    EXPECT_EQ(again->topic("t")->partitions.at(1).elr, (std::vector<int32_t>{3}));
    EXPECT_EQ(again->topic("t")->partitions.at(1).leader_recovery_state, 1);
}

TEST(ImageWriter, RemovedTopicsAndDeletedConfigsStayGone) {
    p::RemoveTopicRecord rm;
    rm.topic_id = uuid(1);
    auto image =
        replay_all({feature("metadata.version", 27), topic("gone", 1), partition(1, 0, {1}),
                    config(kConfigResourceTopic, "gone", "retention.ms", "1"), make_record(rm),
                    topic("kept", 2), partition(2, 0, {1}),
                    config(kConfigResourceTopic, "kept", "retention.ms", "2"),
                    config(kConfigResourceTopic, "kept", "retention.ms", std::nullopt),
                    config(kConfigResourceTopic, "kept", "segment.ms", "3")});
    auto again = rebuild(*image);
    auto diff = image_difference(*image, *again);
    EXPECT_FALSE(diff.has_value()) << *diff;
    EXPECT_EQ(again->topic("gone"), nullptr);
    EXPECT_EQ(again->topic_configs("kept").size(), 1U);
}

TEST(ImageWriter, BrokerFencingAndRegistrationChangesRebuild) {
    p::UnfenceBrokerRecord unfence;
    unfence.id = 1;
    unfence.epoch = 10;
    p::FenceBrokerRecord fence;
    fence.id = 2;
    fence.epoch = 20;
    p::UnfenceBrokerRecord unfence2;
    unfence2.id = 2;
    unfence2.epoch = 20;
    p::BrokerRegistrationChangeRecord change;
    change.broker_id = 3;
    change.broker_epoch = 30;
    change.fenced = -1;  // unfence
    change.in_controlled_shutdown = 1;
    change.log_dirs = {uuid(77)};
    p::UnregisterBrokerRecord unreg;
    unreg.broker_id = 4;
    unreg.broker_epoch = 40;
    auto image =
        replay_all({feature("metadata.version", 27), broker(1, 10, "rack-a"), broker(2, 20),
                    broker(3, 30), broker(4, 40), make_record(unfence), make_record(unfence2),
                    make_record(fence), make_record(change), make_record(unreg)});
    ASSERT_EQ(image->brokers().size(), 3U);
    EXPECT_FALSE(image->broker(1)->fenced);
    EXPECT_TRUE(image->broker(2)->fenced);
    EXPECT_TRUE(image->broker(3)->in_controlled_shutdown);
    auto again = rebuild(*image);
    auto diff = image_difference(*image, *again);
    EXPECT_FALSE(diff.has_value()) << *diff;
    EXPECT_FALSE(again->broker(1)->fenced);
    EXPECT_EQ(again->broker(1)->rack, "rack-a");
    EXPECT_TRUE(again->broker(2)->fenced);
    EXPECT_FALSE(again->broker(3)->fenced);
    EXPECT_EQ(again->broker(3)->log_dirs, (std::vector<p::Uuid>{uuid(77)}));
    EXPECT_EQ(again->broker(1)->supported_features.at("metadata.version").max_version, 27);
}

TEST(ImageWriter, ProducerIdsOnlyWhenAllocated) {
    auto none = replay_all({feature("metadata.version", 27)});
    EXPECT_EQ(write_image(*none).size(), 1U);
    p::ProducerIdsRecord pid;
    pid.broker_id = 1;
    pid.broker_epoch = 5;
    pid.next_producer_id = 3000;
    auto image = replay_all({feature("metadata.version", 27), make_record(pid)});
    auto again = rebuild(*image);
    EXPECT_EQ(again->next_producer_id(), 3000);
    EXPECT_FALSE(image_difference(*image, *again).has_value());
}

TEST(ImageWriter, DifferenceFindsAChange) {
    auto a = replay_all({feature("metadata.version", 27), topic("t", 1), partition(1, 0, {1})});
    auto b = replay_all({feature("metadata.version", 27), topic("t", 1), partition(1, 0, {2})});
    auto c = replay_all({feature("metadata.version", 26), topic("t", 1), partition(1, 0, {1})});
    auto d = replay_all({feature("metadata.version", 27), topic("u", 1), partition(1, 0, {1})});
    EXPECT_TRUE(image_difference(*a, *b).has_value());
    EXPECT_TRUE(image_difference(*a, *c).has_value());
    EXPECT_TRUE(image_difference(*a, *d).has_value());
    EXPECT_FALSE(image_difference(*a, *a).has_value());
}

}  // namespace
}  // namespace gregor::metadata

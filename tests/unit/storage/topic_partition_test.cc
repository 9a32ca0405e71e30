#include "gregor/storage/topic_partition.h"

#include <gtest/gtest.h>

namespace gregor::storage {
namespace {

TEST(TopicPartitionTest, DirNameRoundTrips) {
    TopicPartition tp;
    tp.topic = "orders-eu.v2";
    tp.partition = 17;
    EXPECT_EQ(tp.dir_name(), "orders-eu.v2-17");
    auto parsed = TopicPartition::parse_dir_name(tp.dir_name());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, tp);
}

TEST(TopicPartitionTest, RejectsSpecialAndMalformedNames) {
    EXPECT_FALSE(
        TopicPartition::parse_dir_name("orders-0.4d3b1f0f2a0d4e1c9f3b8d8e8e8e8e8e-delete"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("orders-0.abc-future"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("orders-0.abc-stray"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("orders"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("orders-"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("-3"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("orders-x"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("orders-99999999999"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("bad topic-1"));
    EXPECT_FALSE(TopicPartition::parse_dir_name("meta.properties"));
}

TEST(TopicPartitionTest, InternalTopics) {
    auto parsed = TopicPartition::parse_dir_name("__consumer_offsets-49");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->topic, "__consumer_offsets");
    EXPECT_EQ(parsed->partition, 49);
}

}  // namespace
}  // namespace gregor::storage

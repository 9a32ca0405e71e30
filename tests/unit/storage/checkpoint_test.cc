#include "gregor/storage/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace gregor::storage {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::random_device rd;
        dir_ = fs::temp_directory_path() / ("gregor-ckpt-" + std::to_string(rd()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::string read_file(const fs::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    static void write_file(const fs::path& p, const std::string& text) {
        std::ofstream out(p, std::ios::trunc);
        out << text;
    }

    fs::path dir_;
};

TEST_F(CheckpointTest, OffsetCheckpointRoundTrip) {
    const fs::path file = dir_ / kRecoveryPointCheckpointFile;
    OffsetMap offsets = {{{"orders", 0}, 100},
                         {{"orders", 11}, 0},
                         {{"my-topic-with-dashes", 3}, 9007199254740993},
                         {{"__consumer_offsets", 49}, 42}};
    ASSERT_TRUE(write_offset_checkpoint(file, offsets));
    auto back = read_offset_checkpoint(file);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, offsets);
    EXPECT_FALSE(fs::exists(dir_ / "recovery-point-offset-checkpoint.tmp"));
}

TEST_F(CheckpointTest, OffsetCheckpointIsKafkasTextFormat) {
    const fs::path file = dir_ / kLogStartOffsetCheckpointFile;
    ASSERT_TRUE(write_offset_checkpoint(file, {{{"a", 1}, 5}, {{"b", 0}, 7}}));
    EXPECT_EQ(read_file(file), "0\n2\na 1 5\nb 0 7\n");
}

TEST_F(CheckpointTest, EmptyMapWritesVersionAndZeroCount) {
    const fs::path file = dir_ / kReplicationOffsetCheckpointFile;
    ASSERT_TRUE(write_offset_checkpoint(file, {}));
    EXPECT_EQ(read_file(file), "0\n0\n");
    auto back = read_offset_checkpoint(file);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->empty());
}

TEST_F(CheckpointTest, MissingFileReadsAsEmpty) {
    auto back = read_offset_checkpoint(dir_ / kCleanerOffsetCheckpointFile);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->empty());
}

TEST_F(CheckpointTest, ReadsFileWrittenByKafka) {
    // As Kafka's OffsetCheckpointFile writes it (BufferedWriter.newLine is "\n" on Linux).
    const fs::path file = dir_ / kRecoveryPointCheckpointFile;
    write_file(file, "0\n3\n__consumer_offsets 22 0\ntest 0 1500\ntest 1 1498\n");
    auto back = read_offset_checkpoint(file);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->size(), 3u);
    EXPECT_EQ(back->at(TopicPartition{"test", 0}), 1500);
    EXPECT_EQ(back->at(TopicPartition{"__consumer_offsets", 22}), 0);
}

TEST_F(CheckpointTest, LeftoverTmpFileIsIgnoredAndOverwritten) {
    const fs::path file = dir_ / kRecoveryPointCheckpointFile;
    const fs::path tmp = dir_ / "recovery-point-offset-checkpoint.tmp";
    ASSERT_TRUE(write_offset_checkpoint(file, {{{"t", 0}, 10}}));
    write_file(tmp, "0\n5\nt 0 9");  // a crash mid-write of the next checkpoint
    auto back = read_offset_checkpoint(file);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, (OffsetMap{{{"t", 0}, 10}}));
    ASSERT_TRUE(write_offset_checkpoint(file, {{{"t", 0}, 20}}));
    EXPECT_FALSE(fs::exists(tmp));
    EXPECT_EQ(read_offset_checkpoint(file)->at(TopicPartition{"t", 0}), 20);
}

TEST_F(CheckpointTest, FailedWriteLeavesOldFile) {
    const fs::path file = dir_ / kRecoveryPointCheckpointFile;
    ASSERT_TRUE(write_offset_checkpoint(file, {{{"t", 0}, 10}}));
    fs::create_directories(dir_ / "recovery-point-offset-checkpoint.tmp");
    auto written = write_offset_checkpoint(file, {{{"t", 0}, 20}});
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, Errc::io_error);
    EXPECT_EQ(read_offset_checkpoint(file)->at(TopicPartition{"t", 0}), 10);
}

TEST_F(CheckpointTest, MalformedOffsetCheckpointsAreCorruption) {
    const fs::path file = dir_ / kRecoveryPointCheckpointFile;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"1\n0\n", "Unrecognised version"},
        {"zero\n0\n", "zero"},
        {"0\nx\n", "x"},
        {"0\n2\nt 0 1\n", "Expected [2]"},
        {"0\n1\nt 0 1\nt 1 1\n", "Expected [1]"},
        {"0\n-1\n", "Expected [-1]"},
        {"0\n1\nt 0\n", "t 0"},
        {"0\n1\nt 0 1 2\n", "t 0 1 2"},
        {"0\n1\nt p 1\n", "t p 1"},
        {"0\n1\nt 0 1.5\n", "t 0 1.5"},
        {"0\n1\nt 99999999999 1\n", "t 99999999999 1"},  // partition overflows int32
    };
    for (const auto& [text, needle] : cases) {
        write_file(file, text);
        auto back = read_offset_checkpoint(file);
        ASSERT_FALSE(back) << text;
        EXPECT_EQ(back.error().code, Errc::corruption) << text;
        EXPECT_NE(back.error().message.find(needle), std::string::npos) << back.error().message;
        EXPECT_NE(back.error().message.find(file.string()), std::string::npos)
            << back.error().message;
    }
}

TEST_F(CheckpointTest, EmptyAndVersionOnlyFilesHaveNoEntries) {
    const fs::path file = dir_ / kRecoveryPointCheckpointFile;
    for (const std::string text : {"", "0\n", "0"}) {
        write_file(file, text);
        auto back = read_offset_checkpoint(file);
        ASSERT_TRUE(back) << text;
        EXPECT_TRUE(back->empty());
    }
}

TEST_F(CheckpointTest, MissingFinalNewlineIsAccepted) {
    const fs::path file = dir_ / kRecoveryPointCheckpointFile;
    write_file(file, "0\n1\nt 0 5");
    auto back = read_offset_checkpoint(file);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->at(TopicPartition{"t", 0}), 5);
}

TEST_F(CheckpointTest, PartitionMetadataRoundTrip) {
    protocol::Uuid id = protocol::Uuid::random();
    ASSERT_TRUE(write_partition_metadata(dir_, id));
    EXPECT_EQ(read_file(dir_ / kPartitionMetadataFile), "version: 0\ntopic_id: " + id.to_string());
    auto back = read_partition_metadata(dir_);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_TRUE(back->has_value());
    EXPECT_EQ(**back, id);
}

TEST_F(CheckpointTest, PartitionMetadataMissingIsNullopt) {
    auto back = read_partition_metadata(dir_);
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->has_value());
}

TEST_F(CheckpointTest, PartitionMetadataWrittenByKafka) {
    write_file(dir_ / kPartitionMetadataFile, "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n");
    auto back = read_partition_metadata(dir_);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_TRUE(back->has_value());
    EXPECT_EQ((*back)->to_string(), "AAAAAAAAAAAAAAAAAAAAAQ");
}

TEST_F(CheckpointTest, MalformedPartitionMetadataIsCorruption) {
    const std::vector<std::string> cases = {
        "",
        "version: 0\n",
        "version 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
        "version: x\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
        "version: -1\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ",
        "version: 0\ntopicid: AAAAAAAAAAAAAAAAAAAAAQ",
        "version: 0\ntopic_id: not-a-uuid",
        "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA",  // the zero UUID
    };
    for (const std::string& text : cases) {
        write_file(dir_ / kPartitionMetadataFile, text);
        auto back = read_partition_metadata(dir_);
        ASSERT_FALSE(back) << text;
        EXPECT_EQ(back.error().code, Errc::corruption) << text;
    }
}

TEST_F(CheckpointTest, CleanShutdownMarker) {
    EXPECT_FALSE(clean_shutdown_marker_exists(dir_));
    EXPECT_EQ(read_clean_shutdown_broker_epoch(dir_), std::nullopt);
    ASSERT_TRUE(write_clean_shutdown_marker(dir_, 42));
    EXPECT_TRUE(clean_shutdown_marker_exists(dir_));
    EXPECT_EQ(read_file(dir_ / kCleanShutdownFile), "{\"version\":0,\"brokerEpoch\":42}");
    EXPECT_EQ(read_clean_shutdown_broker_epoch(dir_), 42);
    ASSERT_TRUE(remove_clean_shutdown_marker(dir_));
    EXPECT_FALSE(clean_shutdown_marker_exists(dir_));
    EXPECT_TRUE(remove_clean_shutdown_marker(dir_)) << "removing an absent marker is fine";
}

TEST_F(CheckpointTest, EmptyCleanShutdownMarkerFromOldKafka) {
    write_file(dir_ / kCleanShutdownFile, "");
    EXPECT_TRUE(clean_shutdown_marker_exists(dir_));
    EXPECT_EQ(read_clean_shutdown_broker_epoch(dir_), std::nullopt);
}

TEST_F(CheckpointTest, DeleteDirName) {
    std::string name = delete_dir_name(TopicPartition{"orders", 7});
    ASSERT_EQ(name.size(), std::string("orders-7.").size() + 32 + std::string("-delete").size());
    EXPECT_EQ(name.substr(0, 9), "orders-7.");
    EXPECT_EQ(name.substr(name.size() - 7), "-delete");
    for (char c : name.substr(9, 32)) {
        EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << name;
    }
    EXPECT_FALSE(TopicPartition::parse_dir_name(name).has_value());
    EXPECT_NE(delete_dir_name(TopicPartition{"orders", 7}), name) << "a fresh uuid each time";

    std::string long_name = delete_dir_name(TopicPartition{std::string(249, 'x'), 123});
    EXPECT_EQ(long_name.size(), 255u);
    EXPECT_EQ(long_name.substr(long_name.size() - 7), "-delete");
}

TEST_F(CheckpointTest, SplitWhitespace) {
    EXPECT_EQ(split_whitespace("  a \t b  c "), (std::vector<std::string_view>{"a", "b", "c"}));
    EXPECT_TRUE(split_whitespace("").empty());
}

}  // namespace
}  // namespace gregor::storage

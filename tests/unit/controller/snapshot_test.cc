#include "gregor/controller/snapshot.h"

#include "gregor/controller/quorum_controller.h"
#include "gregor/metadata/image_writer.h"
#include "gregor/protocol/record_batch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace gregor::controller {
namespace {

namespace p = protocol;
namespace fs = std::filesystem;
using metadata::ApiMessageAndVersion;
using metadata::make_record;

std::vector<ApiMessageAndVersion> some_records(int topics) {
    std::vector<ApiMessageAndVersion> out;
    p::FeatureLevelRecord mv;
    mv.name = "metadata.version";
    mv.feature_level = 27;
    out.push_back(make_record(mv));
    for (int i = 0; i < topics; ++i) {
        p::TopicRecord t;
        t.name = "t" + std::to_string(i);
        t.topic_id = p::Uuid::random();
        out.push_back(make_record(t));
        p::PartitionRecord part;
        part.topic_id = t.topic_id;
        part.partition_id = 0;
        part.replicas = {1};
        part.isr = {1};
        part.leader = 1;
        part.directories = {p::Uuid{}};
        out.push_back(make_record(part, 1));
    }
    return out;
}

TEST(SnapshotFormat, FileNamesAsKafka) {
    EXPECT_EQ(snapshot_file_name({1234, 1}), "00000000000000001234-0000000001.checkpoint");
    auto id = parse_snapshot_file_name("00000000000000001234-0000000001.checkpoint");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->end_offset, 1234);
    EXPECT_EQ(id->epoch, 1);
    EXPECT_FALSE(parse_snapshot_file_name("00000000000000001234-0000000001.checkpoint.part"));
    EXPECT_FALSE(parse_snapshot_file_name("00000000000000001234-0000000001-ab.checkpoint.part"));
    EXPECT_FALSE(parse_snapshot_file_name("00000000000000000000.log"));
    EXPECT_FALSE(parse_snapshot_file_name("0000000000000000123x-0000000001.checkpoint"));
}

TEST(SnapshotFormat, HeaderDataFooterBatches) {
    const auto records = some_records(50);
    // Small batches: several data batches between the header and the footer.
    auto bytes = encode_snapshot({500, 3}, 777, 1000, records, 512);
    ASSERT_FALSE(bytes.empty());
    p::BatchSplitter splitter(bytes);
    std::vector<p::RecordBatchView> batches;
    while (auto b = splitter.next()) {
        batches.push_back(*b);
    }
    ASSERT_EQ(splitter.error(), p::BatchError::kOk);
    ASSERT_GE(batches.size(), 4U);
    int64_t next = 0;
    for (const auto& b : batches) {
        EXPECT_EQ(b.base_offset(), next);
        EXPECT_EQ(b.partition_leader_epoch(), 3);
        EXPECT_EQ(b.magic(), 2);
        next = b.next_offset();
    }
    EXPECT_EQ(next, static_cast<int64_t>(records.size()) + 2);
    std::vector<uint8_t> scratch;
    auto control_type = [&](const p::RecordBatchView& b) {
        EXPECT_TRUE(b.is_control());
        auto it = b.records(scratch, 1 << 20);
        EXPECT_TRUE(it.has_value());
        auto rec = it->next();
        EXPECT_TRUE(rec.has_value());
        return p::parse_control_record_key(*rec->key)->type_id;
    };
    EXPECT_EQ(control_type(batches.front()), 3);  // SNAPSHOT_HEADER
    EXPECT_EQ(control_type(batches.back()), 4);   // SNAPSHOT_FOOTER
    for (size_t i = 1; i + 1 < batches.size(); ++i) {
        EXPECT_FALSE(batches[i].is_control());
    }
    auto decoded = decode_snapshot(bytes);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->last_contained_log_timestamp, 777);
    EXPECT_EQ(decoded->records, records);
}

TEST(SnapshotFormat, EmptySnapshotHasHeaderAndFooter) {
    auto bytes = encode_snapshot({0, 1}, 0, 0, {});
    auto decoded = decode_snapshot(bytes);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_TRUE(decoded->records.empty());
}

TEST(SnapshotFormat, RejectsCorruptTruncatedAndHeaderless) {
    const auto records = some_records(5);
    const auto bytes = encode_snapshot({20, 1}, 0, 0, records);
    auto flipped = bytes;
    flipped[flipped.size() / 2] ^= 0x40;
    EXPECT_FALSE(decode_snapshot(flipped));
    // Cut inside the footer batch, or right before it.
    EXPECT_FALSE(decode_snapshot(std::span(bytes).first(bytes.size() - 5)));
    const auto footerless = encode_snapshot({20, 1}, 0, 0, {});
    p::BatchSplitter splitter(footerless);
    auto header = splitter.next();
    ASSERT_TRUE(header);
    EXPECT_FALSE(decode_snapshot(header->bytes()));
    // Data batches alone: no header.
    p::BatchSplitter all(bytes);
    std::vector<uint8_t> data_only;
    while (auto b = all.next()) {
        if (!b->is_control()) {
            data_only.insert(data_only.end(), b->bytes().begin(), b->bytes().end());
        }
    }
    auto err = decode_snapshot(data_only);
    ASSERT_FALSE(err);
    EXPECT_FALSE(decode_snapshot({}));
}

// ---- The controller ----

ControllerConfig config(int64_t max_bytes = 1 << 30, int64_t interval_ms = 0) {
    ControllerConfig c;
    c.node_id = 1;
    c.default_num_partitions = 2;
    c.endpoints.push_back({"PLAINTEXT", "localhost", 9092, 0});
    c.snapshots.max_bytes_between = max_bytes;
    c.snapshots.max_interval_ms = interval_ms;
    return c;
}

// Forwards to a LocalMetadataLog and remembers where replay started.
class RecordingLog final : public MetadataLog {
public:
    RecordingLog(std::unique_ptr<MetadataLog> inner, int64_t* replay_from_out)
        : inner_(std::move(inner)), from_(replay_from_out) {}
    result<int64_t, std::string> append(std::span<const ApiMessageAndVersion> r) override {
        return inner_->append(r);
    }
    result<int64_t, std::string> replay_from(int64_t from,
                                             const RecordVisitor& visit) const override {
        *from_ = from;
        return inner_->replay_from(from, visit);
    }
    int64_t end_offset() const override { return inner_->end_offset(); }
    result<SnapshotId, std::string> write_snapshot(int64_t end,
                                                   int64_t ts,
                                                   std::span<const ApiMessageAndVersion> records,
                                                   const SnapshotPolicy& policy) override {
        ++snapshot_attempts;
        if (fail_snapshots) {
            return unexpected<std::string>("No space left on device");
        }
        return inner_->write_snapshot(end, ts, records, policy);
    }
    std::vector<SnapshotId> snapshots() const override { return inner_->snapshots(); }
    result<DecodedSnapshot, std::string> read_snapshot(SnapshotId id) const override {
        return inner_->read_snapshot(id);
    }
    void close() override { inner_->close(); }

    int snapshot_attempts = 0;
    bool fail_snapshots = false;

private:
    std::unique_ptr<MetadataLog> inner_;
    int64_t* from_;
};

class SnapshotControllerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path()
               / ("gregor-snapshot-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path log_dir() const { return dir_ / "__cluster_metadata-0"; }

    std::unique_ptr<QuorumController> open(ControllerConfig c = config(),
                                           int32_t segment_bytes = 1 << 20) {
        auto log = LocalMetadataLog::open(dir_, segment_bytes, 604800000);
        EXPECT_TRUE(log) << log.error();
        if (!log) {
            return nullptr;
        }
        auto controller = std::make_unique<QuorumController>(
            std::move(c), std::make_unique<RecordingLog>(std::move(*log), &replayed_from_),
            nullptr);
        auto started = controller->start();
        start_error_ = started ? "" : started.error();
        return controller;
    }

    static void create(QuorumController& c, const std::string& name, int32_t partitions = 2) {
        p::CreateTopicsRequest req;
        auto& t = req.topics.emplace_back();
        t.name = name;
        t.num_partitions = partitions;
        t.replication_factor = 1;
        auto resp = c.create_topics_sync(req, 7);
        ASSERT_EQ(resp.topics.at(0).error_code, errc::none) << name;
    }

    static void remove(QuorumController& c, const std::string& name) {
        p::DeleteTopicsRequest del;
        del.topic_names = {name};
        ASSERT_EQ(c.delete_topics_sync(del, 5).responses.at(0).error_code, errc::none);
    }

    // Topics (ids, partitions) and configs equal: what survives a restart unchanged (a restart
    // registers a new broker incarnation).
    static void expect_same_topics(const metadata::MetadataImage& a,
                                   const metadata::MetadataImage& b) {
        ASSERT_EQ(a.topics_by_id().size(), b.topics_by_id().size());
        for (const auto& [id, t] : a.topics_by_id()) {
            const auto* other = b.topic(id);
            ASSERT_NE(other, nullptr) << t->name;
            EXPECT_EQ(other->name, t->name);
            EXPECT_EQ(other->partitions, t->partitions);
        }
        EXPECT_EQ(a.configs(), b.configs());
        EXPECT_EQ(a.features(), b.features());
    }

    void corrupt(SnapshotId id) {
        const fs::path path = log_dir() / snapshot_file_name(id);
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        ASSERT_TRUE(f.good());
        f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2));
        f.put('\x7f');
    }

    std::vector<fs::path> segment_files() const {
        std::vector<fs::path> out;
        for (const auto& e : fs::directory_iterator(log_dir())) {
            if (e.path().extension() == ".log") {
                out.push_back(e.path());
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    fs::path dir_;
    int64_t replayed_from_ = -1;
    std::string start_error_;
};

TEST_F(SnapshotControllerTest, SnapshotAfterThresholdBytesRebuildsTheImage) {
    auto c = open(config(2000));
    EXPECT_TRUE(list_snapshots(log_dir()).empty());
    int n = 0;
    while (list_snapshots(log_dir()).empty() && n < 100) {
        create(*c, "topic-" + std::to_string(n++));
    }
    auto ids = list_snapshots(log_dir());
    ASSERT_EQ(ids.size(), 1U);
    auto image = c->image();
    EXPECT_EQ(ids[0].end_offset, image->offset() + 1);
    EXPECT_EQ(ids[0].epoch, LocalMetadataLog::kEpoch);
    auto decoded = read_snapshot_file(log_dir(), ids[0]);
    ASSERT_TRUE(decoded) << decoded.error();
    metadata::MetadataDelta delta(metadata::MetadataImage::empty());
    for (const auto& r : decoded->records) {
        std::string error;
        ASSERT_TRUE(delta.replay(ids[0].end_offset - 1, r, &error)) << error;
    }
    auto rebuilt = delta.apply();
    auto diff = metadata::image_difference(*image, *rebuilt);
    EXPECT_FALSE(diff) << *diff;
    // The counter restarted: the next commit alone does not snapshot again.
    create(*c, "one-more");
    EXPECT_EQ(list_snapshots(log_dir()).size(), 1U);
    c->stop();
}

TEST_F(SnapshotControllerTest, RestartLoadsTheSnapshotAndReplaysTheTail) {
    std::shared_ptr<const metadata::MetadataImage> before;
    SnapshotId id;
    {
        auto c = open();
        for (int i = 0; i < 10; ++i) {
            create(*c, "early-" + std::to_string(i));
        }
        auto taken = c->take_snapshot();
        ASSERT_TRUE(taken) << taken.error();
        id = *taken;
        // The tail: more topics, and a deletion of a topic the snapshot holds.
        create(*c, "late-0");
        create(*c, "late-1", 5);
        remove(*c, "early-3");
        before = c->image();
        c->stop();
    }
    auto c = open();
    EXPECT_EQ(replayed_from_, id.end_offset);
    auto after = c->image();
    expect_same_topics(*before, *after);
    EXPECT_EQ(after->topic("early-3"), nullptr);
    EXPECT_EQ(after->topic("late-1")->partitions.size(), 5U);
    EXPECT_FALSE(after->broker(1)->fenced);
    EXPECT_GT(after->broker(1)->epoch, before->broker(1)->epoch);
    c->stop();
}

TEST_F(SnapshotControllerTest, CorruptNewestFallsBackToOlderThenToTheWholeLog) {
    std::shared_ptr<const metadata::MetadataImage> before;
    SnapshotId first;
    SnapshotId second;
    {
        auto c = open();
        create(*c, "a");
        first = *c->take_snapshot();
        create(*c, "b");
        second = *c->take_snapshot();
        create(*c, "c");
        before = c->image();
        c->stop();
    }
    ASSERT_LT(first, second);
    corrupt(second);
    {
        auto c = open();
        EXPECT_EQ(replayed_from_, first.end_offset);
        expect_same_topics(*before, *c->image());
        c->stop();
    }
    corrupt(first);
    auto c = open();
    EXPECT_EQ(replayed_from_, 0);
    expect_same_topics(*before, *c->image());
    c->stop();
}

TEST_F(SnapshotControllerTest, TruncatedSnapshotWithoutFooterIsSkipped) {
    SnapshotId id;
    {
        auto c = open();
        create(*c, "a");
        id = *c->take_snapshot();
        c->stop();
    }
    const fs::path path = log_dir() / snapshot_file_name(id);
    fs::resize_file(path, fs::file_size(path) - 10);
    auto c = open();
    EXPECT_EQ(replayed_from_, 0);
    EXPECT_NE(c->image()->topic("a"), nullptr);
    c->stop();
}

TEST_F(SnapshotControllerTest, PartLeftoverIsIgnoredAndDeleted) {
    SnapshotId id;
    {
        auto c = open();
        create(*c, "a");
        id = *c->take_snapshot();
        create(*c, "b");
        c->stop();
    }
    // A write that crashed before its rename, at a later offset than the complete snapshot.
    const fs::path part = log_dir() / "00000000000000009999-0000000001-12345.checkpoint.part";
    std::ofstream(part) << "half a snapshot";
    const fs::path deleted = log_dir() / "00000000000000000001-0000000001.checkpoint.deleted";
    std::ofstream(deleted) << "x";
    auto c = open();
    EXPECT_FALSE(fs::exists(part));
    EXPECT_FALSE(fs::exists(deleted));
    EXPECT_EQ(replayed_from_, id.end_offset);
    EXPECT_NE(c->image()->topic("b"), nullptr);
    c->stop();
}

TEST_F(SnapshotControllerTest, KeepsTheNewestTwo) {
    auto c = open();
    std::vector<SnapshotId> taken;
    for (int i = 0; i < 4; ++i) {
        create(*c, "t" + std::to_string(i));
        auto id = c->take_snapshot();
        ASSERT_TRUE(id) << id.error();
        taken.push_back(*id);
    }
    // Nothing new: the same snapshot, not another file.
    EXPECT_EQ(*c->take_snapshot(), taken.back());
    auto ids = list_snapshots(log_dir());
    ASSERT_EQ(ids.size(), 2U);
    EXPECT_EQ(ids[0], taken[2]);
    EXPECT_EQ(ids[1], taken[3]);
    c->stop();
}

TEST_F(SnapshotControllerTest, IntervalTriggersASnapshotAtTheNextCommit) {
    // The byte threshold is never reached: only the interval can trigger a snapshot.
    auto c = open(config(1 << 30, 20));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    create(*c, "a");
    auto ids = list_snapshots(log_dir());
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids.back().end_offset, c->image()->offset() + 1);
    c->stop();
}

TEST_F(SnapshotControllerTest, RetentionDeletesSegmentsBelowTheOldestSnapshot) {
    // Small segments and a zero retention: every snapshot lets the segments below the oldest
    // kept snapshot go.
    ControllerConfig c = config();
    c.snapshots.retention_bytes = 0;
    std::shared_ptr<const metadata::MetadataImage> before;
    SnapshotId older;
    SnapshotId newer;
    {
        auto ctl = open(c, 2048);
        ASSERT_TRUE(ctl);
        for (int i = 0; i < 30; ++i) {
            create(*ctl, "t" + std::to_string(i));
        }
        older = *ctl->take_snapshot();
        EXPECT_NE(segment_files().front().filename().string(), "00000000000000000000.log");
        for (int i = 30; i < 60; ++i) {
            create(*ctl, "t" + std::to_string(i));
        }
        newer = *ctl->take_snapshot();
        create(*ctl, "tail");
        before = ctl->image();
        ctl->stop();
    }
    // The log now starts in the segment holding the oldest kept snapshot's end offset.
    const auto first = segment_files().front().filename().string();
    EXPECT_NE(first, "00000000000000000000.log");
    EXPECT_LE(std::stoll(first), older.end_offset);
    EXPECT_EQ(list_snapshots(log_dir()).size(), 2U);
    {
        auto ctl = open(c, 2048);
        ASSERT_TRUE(start_error_.empty()) << start_error_;
        EXPECT_EQ(replayed_from_, newer.end_offset);
        expect_same_topics(*before, *ctl->image());
        ctl->stop();
    }
    // The newest snapshot corrupt: the older one and the log after it still rebuild everything.
    corrupt(newer);
    {
        auto ctl = open(c, 2048);
        ASSERT_TRUE(start_error_.empty()) << start_error_;
        EXPECT_EQ(replayed_from_, older.end_offset);
        expect_same_topics(*before, *ctl->image());
        ctl->stop();
    }
    // Both corrupt: the records below the log start are gone, so the start fails loudly.
    corrupt(older);
    auto ctl = open(c, 2048);
    EXPECT_NE(start_error_.find("are gone"), std::string::npos) << start_error_;
}

TEST(SnapshotFailures, AFailedWriteIsNotRetriedAtEveryCommit) {
    int64_t from = -1;
    auto recording = std::make_unique<RecordingLog>(std::make_unique<MemoryMetadataLog>(), &from);
    auto* log = recording.get();
    log->fail_snapshots = true;
    QuorumController c(config(1), std::move(recording), nullptr);
    ASSERT_TRUE(c.start());  // the start's commits cross the one-byte threshold
    EXPECT_EQ(log->snapshot_attempts, 1);
    for (int i = 0; i < 3; ++i) {
        p::CreateTopicsRequest req;
        req.topics.emplace_back().name = "t" + std::to_string(i);
        req.topics.back().num_partitions = 1;
        req.topics.back().replication_factor = 1;
        ASSERT_EQ(c.create_topics_sync(req, 7).topics.at(0).error_code, errc::none);
    }
    EXPECT_EQ(log->snapshot_attempts, 1);
    EXPECT_TRUE(log->snapshots().empty());
    // An explicit request still tries (and reports the error).
    auto taken = c.take_snapshot();
    ASSERT_FALSE(taken);
    EXPECT_NE(taken.error().find("No space"), std::string::npos);
    c.stop();
}

TEST(MemoryMetadataLogSnapshots, ControllerSnapshotsIntoMemory) {
    auto log = std::make_unique<MemoryMetadataLog>();
    auto* raw = log.get();
    QuorumController c(config(1), std::move(log), nullptr);
    ASSERT_TRUE(c.start());
    // Every commit crosses a one-byte threshold; two are kept.
    EXPECT_FALSE(raw->snapshots().empty());
    EXPECT_LE(raw->snapshots().size(), 2U);
    auto newest = raw->read_snapshot(raw->snapshots().back());
    ASSERT_TRUE(newest) << newest.error();
    EXPECT_FALSE(newest->records.empty());
    c.stop();
}

}  // namespace
}  // namespace gregor::controller

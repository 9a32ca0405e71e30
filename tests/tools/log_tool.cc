// gregor-log-tool: drives one partition Log (src/storage) from the command line, for the interop
// test (Apache Kafka's kafka-dump-log reads what `write` produced), the crash test (`writer` is
// SIGKILLed at random points, `verify` checks what recovery kept) and manual poking.
//
//   gregor-log-tool write  DIR [--topic T] [--partition P] [--batches N] [--records-per-batch R]
//                          [--codec none|gzip|snappy|lz4|zstd|mixed] [--key-every K] [--headers]
//                          [--value-bytes V] [--segment-bytes B] [--index-interval-bytes I]
//                          [--segment-index-bytes X] [--seed S] [--leader-epoch E] [--no-records]
//   gregor-log-tool writer DIR --seed S [--max-batches N] [--flush-every-max K] [--leader-epoch E]
//                          [--segment-bytes B] [--index-interval-bytes I] [--segment-index-bytes X]
//                          [--flusher | --manager [--checkpoint-ms M]] [workload flags]
//   gregor-log-tool verify DIR --seed S [--min-end-offset N] [--acked-offset O --acked-crc C]
//                          [--manager] [workload flags]
//   gregor-log-tool producers DIR [--producers N] [--batches B] [--topic T] [--partition P]
//
// `producers` appends B idempotent batches (2 records each) for each of N producers (ids 1000+i,
// epoch i, sequences from 0, a duplicate retry of each producer's first batch and a roll half-way),
// closes the log (which writes the producer snapshot at its end) and prints one JSON object: the
// log end offset and, per producer, what the snapshot must hold.
//
// DIR is a log directory (log.dirs); the partition lives in DIR/<topic>-<partition>.
//
// The workload is deterministic (tests/tools/log_workload.h): batch i of a seed is always the same
// bytes, so `verify` can check, byte for byte, that the recovered log is exactly a prefix of the
// sequence. `writer` and `verify` default to a mixed workload drawn from the seed (codec and record
// count per batch, keys, tombstones, headers); `write` defaults to a fixed one from its flags.
//
// writer output, one line per event, flushed at once (the parent may SIGKILL us at any moment):
//   start <log end offset> <payload crc up to it>        after the log opened (recovery ran)
//   acked <last flushed offset> <payload crc up to it>   after each Log::flush returned (with
//                                                         --flusher: after the group-commit Flusher
//                                                         called back; the appends do not wait)
//   done <log end offset>                                 --max-batches reached, log closed
// "payload crc" is CRC-32C chained over every record's key and value bytes in offset order.
//
// verify prints one JSON object and exits 0 when the log is a valid prefix (and, with
// --min-end-offset / --acked-*, holds everything acknowledged), 1 when it is not, 2 on usage or
// open errors.

#include "gregor/protocol/record_batch.h"
#include "gregor/storage/flusher.h"
#include "gregor/storage/leader_epoch_cache.h"
#include "gregor/storage/log.h"
#include "gregor/storage/log_manager.h"

#include "log_workload.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
namespace proto = gregor::protocol;
namespace storage = gregor::storage;

namespace gregor::tools {
namespace {

// ------------------------------------------------------------------------------- arguments

struct Args {
    std::string command;
    std::string dir;
    std::map<std::string, std::string> values;
    std::vector<std::string> flags;

    bool has(const std::string& name) const {
        return values.count(name) != 0
               || std::find(flags.begin(), flags.end(), name) != flags.end();
    }
    std::string get(const std::string& name, const std::string& fallback) const {
        auto it = values.find(name);
        return it == values.end() ? fallback : it->second;
    }
    int64_t get_int(const std::string& name, int64_t fallback) const {
        auto it = values.find(name);
        if (it == values.end()) {
            return fallback;
        }
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(it->second.c_str(), &end, 0);
        if (errno != 0 || end == it->second.c_str() || *end != '\0') {
            std::fprintf(stderr, "bad number for --%s: %s\n", name.c_str(), it->second.c_str());
            std::exit(2);
        }
        return v;
    }
    uint64_t get_u64(const std::string& name, uint64_t fallback) const {
        auto it = values.find(name);
        if (it == values.end()) {
            return fallback;
        }
        char* end = nullptr;
        unsigned long long v = std::strtoull(it->second.c_str(), &end, 0);
        if (end == it->second.c_str() || *end != '\0') {
            std::fprintf(stderr, "bad number for --%s: %s\n", name.c_str(), it->second.c_str());
            std::exit(2);
        }
        return v;
    }
};

// Flags that take no value.
bool is_boolean_flag(const std::string& name) {
    return name == "headers" || name == "no-headers" || name == "no-records"
           || name == "fixed-records" || name == "fixed" || name == "flusher" || name == "manager";
}

int usage() {
    std::fprintf(stderr,
                 "usage: gregor-log-tool write|writer|verify DIR [--flag value ...]\n"
                 "  (see the comment at the top of tests/tools/log_tool.cc)\n");
    return 2;
}

std::optional<Args> parse_args(int argc, char** argv) {
    if (argc < 3) {
        return std::nullopt;
    }
    Args args;
    args.command = argv[1];
    args.dir = argv[2];
    for (int i = 3; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0) {
            std::fprintf(stderr, "unexpected argument: %s\n", a.c_str());
            return std::nullopt;
        }
        std::string name = a.substr(2);
        if (auto eq = name.find('='); eq != std::string::npos) {
            args.values[name.substr(0, eq)] = name.substr(eq + 1);
        } else if (is_boolean_flag(name)) {
            args.flags.push_back(name);
        } else if (i + 1 < argc) {
            args.values[name] = argv[++i];
        } else {
            std::fprintf(stderr, "--%s needs a value\n", name.c_str());
            return std::nullopt;
        }
    }
    return args;
}

// ------------------------------------------------------------------------------- output

// Writes straight to fd 1: nothing sits in a stdio buffer when the parent SIGKILLs us.
void emit(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void emit(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n <= 0) {
        return;
    }
    size_t len = std::min(static_cast<size_t>(n), sizeof(buf) - 1);
    size_t done = 0;
    while (done < len) {
        ssize_t w = ::write(1, buf + done, len - done);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        done += static_cast<size_t>(w);
    }
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                if (c < 0x20) {
                    char esc[8];
                    std::snprintf(esc, sizeof(esc), "\\u%04x", c);
                    out += esc;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += "\"";
    return out;
}

std::string json_opt(const std::optional<std::string>& s) {
    return s ? json_string(*s) : "null";
}

std::string error_text(const storage::Error& e) {
    return std::string(storage::to_string(e.code)) + ": " + e.message;
}

// ------------------------------------------------------------------------------- common setup

struct Setup {
    storage::TopicPartition tp;
    fs::path partition_dir;
    storage::LogConfig config;
    WorkloadSpec spec;
    int32_t leader_epoch = 0;
};

// Workload flags shared by the three commands. `fixed` selects write's defaults (one codec, R
// records in every batch, no headers) over the mixed workload of writer/verify.
WorkloadSpec parse_workload(const Args& args, bool fixed) {
    WorkloadSpec spec;
    spec.seed = args.get_u64("seed", 1);
    spec.records_per_batch =
        static_cast<int32_t>(args.get_int("records-per-batch", fixed ? 10 : 20));
    spec.vary_records = !fixed && !args.has("fixed-records");
    std::string codec = args.get("codec", fixed ? "none" : "mixed");
    if (codec == "mixed") {
        spec.codec.reset();
    } else if (auto c = parse_codec(codec)) {
        spec.codec = *c;
    } else {
        std::fprintf(stderr, "unknown codec %s\n", codec.c_str());
        std::exit(2);
    }
    spec.key_every = static_cast<int32_t>(args.get_int("key-every", 3));
    spec.headers = fixed ? args.has("headers") : !args.has("no-headers");
    spec.max_value_bytes = static_cast<int32_t>(args.get_int("value-bytes", 200));
    return spec;
}

Setup parse_setup(const Args& args, bool fixed) {
    Setup s;
    s.tp.topic = args.get("topic", "gregor-log-tool");
    s.tp.partition = static_cast<int32_t>(args.get_int("partition", 0));
    s.partition_dir = fs::path(args.dir) / s.tp.dir_name();
    s.config.segment_bytes =
        static_cast<int32_t>(args.get_int("segment-bytes", s.config.segment_bytes));
    s.config.index_interval_bytes =
        static_cast<int32_t>(args.get_int("index-interval-bytes", s.config.index_interval_bytes));
    s.config.segment_index_bytes =
        static_cast<int32_t>(args.get_int("segment-index-bytes", s.config.segment_index_bytes));
    s.config.retention_ms = -1;  // the workload's timestamps are in the past: never delete
    s.config.retention_bytes = -1;
    s.spec = parse_workload(args, fixed);
    s.leader_epoch = static_cast<int32_t>(args.get_int("leader-epoch", 0));
    return s;
}

storage::Result<std::unique_ptr<storage::Log>> open_log(const Setup& s,
                                                        storage::RecoveryReport* report) {
    std::error_code ec;
    fs::create_directories(s.partition_dir, ec);
    storage::LogOpenOptions options;
    options.config = s.config;
    options.recovery_point = 0;  // no checkpoint: revalidate everything, as after a crash
    options.log_start_offset = 0;
    options.had_clean_shutdown = false;
    return storage::Log::open(s.partition_dir, s.tp, options, report);
}

// --manager: the partition is opened by a LogManager over DIR, as the broker does: its startup
// reads recovery-point-offset-checkpoint and .kafka_cleanshutdown (recovery only above the
// checkpointed point, none after a clean shutdown), its background thread writes the checkpoints
// every `checkpoint_ms`, and its group-commit Flusher acknowledges the writer's flushes.
std::unique_ptr<storage::LogManager> make_manager(const Args& args,
                                                  const Setup& s,
                                                  int64_t checkpoint_ms) {
    storage::LogManagerConfig mc;
    mc.log_dirs = {fs::path(args.dir)};
    mc.default_config = s.config;
    mc.initial_task_delay_ms = 0;
    mc.flush_offset_checkpoint_interval_ms = checkpoint_ms;
    mc.flush_start_offset_checkpoint_interval_ms = checkpoint_ms;
    mc.scheduler_poll_ms = 5;
    mc.skip_topics.clear();
    return std::make_unique<storage::LogManager>(std::move(mc));
}

// Where the sequence stands at `log_end`: the next batch index and the payload CRC so far.
struct Position {
    uint64_t next_index = 0;
    int64_t next_offset = 0;
    uint32_t crc = 0;
};

// Walks the sequence up to `log_end`; nullopt if `log_end` falls inside a batch.
std::optional<Position> position_at(const WorkloadSpec& spec, int64_t log_end) {
    Position p;
    while (p.next_offset < log_end) {
        GenBatch b = generate_batch(spec, p.next_index);
        p.crc = payload_crc(p.crc, b);
        p.next_offset += static_cast<int64_t>(b.records.size());
        ++p.next_index;
    }
    if (p.next_offset != log_end) {
        return std::nullopt;
    }
    return p;
}

bool read_slice(const FileSlice& slice, std::vector<uint8_t>& out) {
    size_t start = out.size();
    out.resize(start + slice.length);
    size_t done = 0;
    while (done < slice.length) {
        ssize_t n = ::pread(slice.file->fd(), out.data() + start + done, slice.length - done,
                            static_cast<off_t>(slice.offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            out.resize(start + done);
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

struct SegmentFile {
    int64_t base_offset = 0;
    std::string name;
    uintmax_t size = 0;
};

std::vector<SegmentFile> list_segments(const fs::path& dir) {
    std::vector<SegmentFile> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.size() != 24 || name.substr(20) != ".log") {
            continue;
        }
        SegmentFile f;
        f.base_offset = std::strtoll(name.substr(0, 20).c_str(), nullptr, 10);
        f.name = name;
        f.size = entry.file_size(ec);
        out.push_back(f);
    }
    std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) {
        return a.base_offset < b.base_offset;
    });
    return out;
}

// ------------------------------------------------------------------------------- write

int cmd_write(const Args& args) {
    Setup s = parse_setup(args, /*fixed=*/true);
    int64_t batches = args.get_int("batches", 100);
    bool print_records = !args.has("no-records");
    std::error_code ec;
    if (fs::exists(s.partition_dir, ec) && !fs::is_empty(s.partition_dir, ec)) {
        std::fprintf(stderr, "%s is not empty\n", s.partition_dir.c_str());
        return 2;
    }
    auto opened = open_log(s, nullptr);
    if (!opened) {
        std::fprintf(stderr, "open %s: %s\n", s.partition_dir.c_str(),
                     error_text(opened.error()).c_str());
        return 2;
    }
    std::unique_ptr<storage::Log> log = std::move(opened.value());

    struct Written {
        GenBatch batch;
        int64_t base_offset;
        size_t size;
    };
    std::vector<Written> written;
    for (int64_t i = 0; i < batches; ++i) {
        GenBatch b = generate_batch(s.spec, static_cast<uint64_t>(i));
        std::vector<uint8_t> bytes = encode_batch(b);
        auto info = log->append_as_leader(bytes, s.leader_epoch);
        if (!info) {
            std::fprintf(stderr, "append batch %" PRId64 ": %s\n", i,
                         error_text(info.error()).c_str());
            return 1;
        }
        int64_t expected_last = info->first_offset + static_cast<int64_t>(b.records.size()) - 1;
        if (info->last_offset != expected_last) {
            std::fprintf(stderr,
                         "append batch %" PRId64 ": offsets %" PRId64 "..%" PRId64
                         ", expected ..%" PRId64 "\n",
                         i, info->first_offset, info->last_offset, expected_last);
            return 1;
        }
        written.push_back(Written{std::move(b), info->first_offset, bytes.size()});
    }
    int64_t log_end = log->log_end_offset();
    auto flushed = log->flush(log_end);
    if (!flushed) {
        std::fprintf(stderr, "flush: %s\n", error_text(flushed.error()).c_str());
        return 1;
    }
    log->close();
    log.reset();

    std::vector<SegmentFile> segments = list_segments(s.partition_dir);
    // Per segment: offset range and payload CRC of the batches it holds.
    std::vector<uint32_t> seg_crc(segments.size(), 0);
    std::vector<int64_t> seg_records(segments.size(), 0);
    std::vector<int64_t> seg_batches(segments.size(), 0);
    for (const Written& w : written) {
        size_t k = 0;
        while (k + 1 < segments.size() && segments[k + 1].base_offset <= w.base_offset) {
            ++k;
        }
        if (segments.empty()) {
            break;
        }
        seg_crc[k] = payload_crc(seg_crc[k], w.batch);
        seg_records[k] += static_cast<int64_t>(w.batch.records.size());
        seg_batches[k] += 1;
    }

    std::string out = "{";
    out += "\"partition_dir\":" + json_string(s.partition_dir.string());
    out += ",\"topic\":" + json_string(s.tp.topic);
    out += ",\"partition\":" + std::to_string(s.tp.partition);
    out += ",\"seed\":" + std::to_string(s.spec.seed);
    out += ",\"leader_epoch\":" + std::to_string(s.leader_epoch);
    out += ",\"log_end_offset\":" + std::to_string(log_end);
    out += ",\"segments\":[";
    for (size_t k = 0; k < segments.size(); ++k) {
        int64_t next = k + 1 < segments.size() ? segments[k + 1].base_offset : log_end;
        char crc[16];
        std::snprintf(crc, sizeof(crc), "%08x", seg_crc[k]);
        out += (k ? "," : "");
        out += "{\"file\":" + json_string(segments[k].name)
               + ",\"base_offset\":" + std::to_string(segments[k].base_offset) + ",\"next_offset\":"
               + std::to_string(next) + ",\"size\":" + std::to_string(segments[k].size)
               + ",\"batches\":" + std::to_string(seg_batches[k]) + ",\"records\":"
               + std::to_string(seg_records[k]) + ",\"payload_crc32c\":\"" + crc + "\"}";
    }
    out += "],\"batches\":[";
    uint32_t total_crc = 0;
    for (size_t i = 0; i < written.size(); ++i) {
        const Written& w = written[i];
        total_crc = payload_crc(total_crc, w.batch);
        int64_t count = static_cast<int64_t>(w.batch.records.size());
        out += (i ? "," : "");
        out += "{\"base_offset\":" + std::to_string(w.base_offset)
               + ",\"last_offset\":" + std::to_string(w.base_offset + count - 1)
               + ",\"records\":" + std::to_string(count) + ",\"codec\":\""
               + codec_name(w.batch.codec) + "\",\"size\":" + std::to_string(w.size)
               + ",\"max_timestamp\":" + std::to_string(w.batch.records.back().timestamp) + "}";
    }
    char crc[16];
    std::snprintf(crc, sizeof(crc), "%08x", total_crc);
    out += "],\"payload_crc32c\":\"" + std::string(crc) + "\"";
    if (print_records) {
        out += ",\"records\":[";
        bool first = true;
        for (const Written& w : written) {
            int64_t offset = w.base_offset;
            for (const GenRecord& r : w.batch.records) {
                out += first ? "" : ",";
                first = false;
                out += "{\"offset\":" + std::to_string(offset++) + ",\"timestamp\":"
                       + std::to_string(r.timestamp) + ",\"key\":" + json_opt(r.key)
                       + ",\"value\":" + json_opt(r.value) + ",\"headers\":[";
                for (size_t h = 0; h < r.headers.size(); ++h) {
                    out += (h ? "," : "");
                    out += "[" + json_string(r.headers[h].key) + "," + json_opt(r.headers[h].value)
                           + "]";
                }
                out += "]}";
            }
        }
        out += "]";
    }
    out += "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return 0;
}

// ------------------------------------------------------------------------------- writer

int cmd_writer(const Args& args) {
    Setup s = parse_setup(args, /*fixed=*/false);
    int64_t max_batches = args.get_int("max-batches", -1);
    uint64_t flush_every_max = std::max<uint64_t>(1, args.get_u64("flush-every-max", 4));

    std::unique_ptr<storage::LogManager> manager;
    std::shared_ptr<storage::Log> log;
    if (args.has("manager")) {
        manager = make_manager(args, s, args.get_int("checkpoint-ms", 50));
        auto started = manager->startup();
        if (!started) {
            std::fprintf(stderr, "startup: %s\n", error_text(started.error()).c_str());
            return 2;
        }
        auto got = manager->get_or_create(s.tp, s.config);
        if (!got) {
            std::fprintf(stderr, "get_or_create: %s\n", error_text(got.error()).c_str());
            return 2;
        }
        log = std::move(got.value());
    } else {
        auto opened = open_log(s, nullptr);
        if (!opened) {
            std::fprintf(stderr, "open %s: %s\n", s.partition_dir.c_str(),
                         error_text(opened.error()).c_str());
            return 2;
        }
        log = std::move(opened.value());
    }
    int64_t log_end = log->log_end_offset();
    std::optional<Position> pos = position_at(s.spec, log_end);
    if (!pos) {
        std::fprintf(stderr,
                     "log end %" PRId64 " is inside a batch of the sequence (seed %" PRIu64 ")\n",
                     log_end, s.spec.seed);
        return 1;
    }
    emit("start %" PRId64 " %08x\n", log_end, pos->crc);

    // How the appends are grouped varies from run to run (not part of the sequence).
    Rng rng(s.spec.seed ^ static_cast<uint64_t>(log_end) * 0x2545f4914f6cdd1dULL
            ^ static_cast<uint64_t>(::getpid()));
    int64_t appended = 0;
    std::vector<uint8_t> pending;

    // --flusher (and --manager): acknowledgements come from the group-commit thread, appends keep
    // going meanwhile.
    std::unique_ptr<storage::Flusher> own_flusher;
    storage::Flusher* flusher = nullptr;
    std::mutex crc_mutex;
    std::map<int64_t, uint32_t> crc_at_end;  // log end after a round -> payload crc there
    if (manager) {
        flusher = &manager->flusher();
    } else if (args.has("flusher")) {
        own_flusher = std::make_unique<storage::Flusher>();
        own_flusher->start();
        flusher = own_flusher.get();
    }
    while (max_batches < 0 || appended < max_batches) {
        uint64_t round = 1 + rng.below(flush_every_max);
        for (uint64_t r = 0; r < round && (max_batches < 0 || appended < max_batches); ++r) {
            GenBatch b = generate_batch(s.spec, pos->next_index);
            std::vector<uint8_t> bytes = encode_batch(b);
            pending.insert(pending.end(), bytes.begin(), bytes.end());
            pos->crc = payload_crc(pos->crc, b);
            pos->next_offset += static_cast<int64_t>(b.records.size());
            ++pos->next_index;
            ++appended;
            // Sometimes several batches in one append (one Produce request), sometimes one.
            if (rng.below(2) == 0 || r + 1 == round) {
                auto info = log->append_as_leader(pending, s.leader_epoch);
                if (!info) {
                    std::fprintf(stderr, "append: %s\n", error_text(info.error()).c_str());
                    return 1;
                }
                if (info->last_offset != pos->next_offset - 1) {
                    std::fprintf(stderr, "append assigned ..%" PRId64 ", expected ..%" PRId64 "\n",
                                 info->last_offset, pos->next_offset - 1);
                    return 1;
                }
                pending.clear();
            }
        }
        int64_t end = log->log_end_offset();
        if (flusher) {
            {
                std::lock_guard<std::mutex> lock(crc_mutex);
                crc_at_end[end] = pos->crc;
            }
            flusher->request_flush(
                log, end, [&crc_mutex, &crc_at_end, end](storage::Result<int64_t> r) {
                    if (!r) {
                        std::fprintf(stderr, "flusher: %s\n", error_text(r.error()).c_str());
                        std::_Exit(1);
                    }
                    if (*r < end) {
                        std::fprintf(stderr,
                                     "flusher completed %" PRId64 " with recovery point %" PRId64
                                     "\n",
                                     end, *r);
                        std::_Exit(1);
                    }
                    std::lock_guard<std::mutex> lock(crc_mutex);
                    auto it = crc_at_end.find(end);
                    if (it != crc_at_end.end()) {
                        emit("acked %" PRId64 " %08x\n", end - 1, it->second);
                        crc_at_end.erase(crc_at_end.begin(), std::next(it));
                    }
                });
            continue;
        }
        auto flushed = log->flush(end);
        if (!flushed) {
            std::fprintf(stderr, "flush: %s\n", error_text(flushed.error()).c_str());
            return 1;
        }
        if (log->recovery_point() < end) {
            std::fprintf(stderr, "flush(%" PRId64 ") left the recovery point at %" PRId64 "\n", end,
                         log->recovery_point());
            return 1;
        }
        emit("acked %" PRId64 " %08x\n", end - 1, pos->crc);
    }
    if (flusher) {
        // Waiters complete in request order: once this one is called, every earlier one was.
        std::promise<void> drained;
        flusher->request_flush(log, log->log_end_offset(),
                               [&drained](storage::Result<int64_t>) { drained.set_value(); });
        drained.get_future().wait();
    }
    if (manager) {
        manager->shutdown();  // flushes, checkpoints, closes, writes .kafka_cleanshutdown
        emit("done %" PRId64 "\n", pos->next_offset);
        return 0;
    }
    if (own_flusher) {
        own_flusher->stop();
    }
    log->close();
    emit("done %" PRId64 "\n", pos->next_offset);
    return 0;
}

// ------------------------------------------------------------------------------- verify

struct TimestampOffsetCheck {
    int64_t timestamp;
    int64_t offset;
};

struct Verifier {
    const Setup& setup;
    storage::Log& log;
    std::string error;
    int64_t batches = 0;
    int64_t records = 0;
    uint32_t crc = 0;
    std::optional<uint32_t> crc_at_acked;
    int64_t acked_offset = -1;
    int32_t last_epoch = -1;
    std::vector<int64_t> batch_bases;   // base offset of every batch, for the spot checks
    std::vector<int32_t> batch_counts;  // record count of every batch
    std::vector<storage::EpochEntry> epochs_seen;  // (epoch, first offset) as the batches say
    std::vector<uint8_t> scratch;

    bool fail(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (error.empty()) {
            error = buf;
        }
        return false;
    }

    // One batch read back at `offset`, which must be batch `index` of the sequence.
    bool check_batch(const proto::RecordBatchView& view, uint64_t index, int64_t offset) {
        GenBatch expected = generate_batch(setup.spec, index);
        std::vector<uint8_t> bytes = encode_batch(expected);
        if (view.base_offset() != offset) {
            return fail("batch %" PRIu64 ": base offset %" PRId64 ", expected %" PRId64, index,
                        view.base_offset(), offset);
        }
        if (view.size_bytes() != bytes.size()) {
            return fail("batch %" PRIu64 " at %" PRId64 ": %zu bytes, expected %zu", index, offset,
                        view.size_bytes(), bytes.size());
        }
        // Everything but BaseOffset and PartitionLeaderEpoch is stored verbatim.
        const uint8_t* got = view.bytes().data();
        if (std::memcmp(got + proto::batch_layout::kLength,
                        bytes.data() + proto::batch_layout::kLength, 4)
                != 0
            || std::memcmp(got + proto::batch_layout::kMagic,
                           bytes.data() + proto::batch_layout::kMagic,
                           bytes.size() - proto::batch_layout::kMagic)
                   != 0) {
            return fail("batch %" PRIu64 " at %" PRId64 ": bytes differ from the sequence", index,
                        offset);
        }
        int32_t epoch = view.partition_leader_epoch();
        if (epoch < 0 || epoch < last_epoch) {
            return fail("batch at %" PRId64 ": leader epoch %d after %d", offset, epoch,
                        last_epoch);
        }
        if (epoch != last_epoch) {
            epochs_seen.push_back(storage::EpochEntry{epoch, offset});
        }
        last_epoch = epoch;
        // Deep check: every record decodes.
        proto::BatchError deep = view.validate_records(scratch, 64u << 20);
        if (deep != proto::BatchError::kOk) {
            return fail("batch at %" PRId64 ": records invalid: %s", offset,
                        std::string(proto::to_string(deep)).c_str());
        }
        crc = payload_crc(crc, expected);
        records += static_cast<int64_t>(expected.records.size());
        ++batches;
        batch_bases.push_back(offset);
        batch_counts.push_back(static_cast<int32_t>(expected.records.size()));
        if (acked_offset >= 0
            && offset + static_cast<int64_t>(expected.records.size()) - 1 == acked_offset) {
            crc_at_acked = crc;
        }
        return true;
    }

    bool run(int64_t log_end) {
        if (log.log_start_offset() != 0) {
            return fail("log start offset %" PRId64 ", expected 0", log.log_start_offset());
        }
        int64_t offset = 0;
        uint64_t index = 0;
        std::vector<uint8_t> buf;
        while (offset < log_end) {
            auto rr = log.read(offset, 1 << 20, log_end, true);
            if (!rr) {
                return fail("read(%" PRId64 "): %s", offset, error_text(rr.error()).c_str());
            }
            if (rr->bytes == 0 || rr->slices.empty()) {
                return fail("read(%" PRId64 ") returned nothing below the log end %" PRId64, offset,
                            log_end);
            }
            if (rr->first_batch_offset != offset) {
                return fail("read(%" PRId64 ") starts at batch %" PRId64, offset,
                            rr->first_batch_offset);
            }
            buf.clear();
            for (const FileSlice& slice : rr->slices) {
                if (!read_slice(slice, buf)) {
                    return fail("read(%" PRId64 "): short pread of a slice", offset);
                }
            }
            if (static_cast<int64_t>(buf.size()) != rr->bytes) {
                return fail("read(%" PRId64 "): slices hold %zu bytes, result says %" PRId64,
                            offset, buf.size(), rr->bytes);
            }
            proto::BatchSplitter splitter(buf, proto::BatchSplitter::Check::kFull);
            while (auto view = splitter.next()) {
                if (offset >= log_end) {
                    return fail("read returned a batch at %" PRId64 ", past the log end %" PRId64,
                                offset, log_end);
                }
                if (!check_batch(*view, index, offset)) {
                    return false;
                }
                offset = view->next_offset();
                ++index;
            }
            if (splitter.error() != proto::BatchError::kOk || splitter.consumed() != buf.size()) {
                return fail("read at %" PRId64 " returned an invalid batch: %s", offset,
                            std::string(proto::to_string(splitter.error())).c_str());
            }
        }
        if (offset != log_end) {
            return fail("batches end at %" PRId64 ", log end is %" PRId64, offset, log_end);
        }
        // At the log end: empty; past it: out of range.
        auto at_end = log.read(log_end, 1 << 20, log_end + 1, true);
        if (!at_end || at_end->bytes != 0) {
            return fail("read at the log end %" PRId64 " is not empty", log_end);
        }
        auto past = log.read(log_end + 1, 1 << 20, log_end + 2, true);
        if (past || past.error().code != storage::Errc::offset_out_of_range) {
            return fail("read past the log end did not fail with offset_out_of_range");
        }
        return spot_checks(log_end) && timestamp_checks(log_end) && epoch_checks();
    }

    // ListOffsets by time (Kafka's findOffsetByTimestamp: the first record whose timestamp is >=
    // the target) and by max timestamp, against the workload's timestamps: record j of batch i has
    // kBaseTimestampMs + i * 1000 + j. Recovery rebuilds the time index, so this checks it too.
    bool timestamp_checks(int64_t log_end) {
        if (batch_bases.empty()) {
            return true;
        }
        auto n = static_cast<int64_t>(batch_bases.size());
        auto ts_of = [](int64_t batch, int64_t j) { return kBaseTimestampMs + batch * 1000 + j; };
        int64_t last_count = batch_counts.back();
        TimestampOffsetCheck max_expected{ts_of(n - 1, last_count - 1), log_end - 1};
        storage::TimestampOffset max = log.max_timestamp();
        if (max.timestamp != max_expected.timestamp || max.offset != max_expected.offset) {
            return fail("max_timestamp() is (%" PRId64 ", %" PRId64 "), expected (%" PRId64
                        ", %" PRId64 ")",
                        max.timestamp, max.offset, max_expected.timestamp, max_expected.offset);
        }
        Rng rng(setup.spec.seed + 99);
        for (int k = 0; k < 24; ++k) {
            int64_t target =
                kBaseTimestampMs - 5
                + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n * 1000 + 10)));
            // Expected: the first batch whose max timestamp reaches the target, then its first
            // record that does.
            std::optional<TimestampOffsetCheck> expected;
            int64_t batch = std::max<int64_t>(0, (target - kBaseTimestampMs) / 1000);
            for (; batch < n; ++batch) {
                int64_t count = batch_counts[static_cast<size_t>(batch)];
                if (ts_of(batch, count - 1) >= target) {
                    int64_t j = std::max<int64_t>(0, target - ts_of(batch, 0));
                    expected = TimestampOffsetCheck{ts_of(batch, j),
                                                    batch_bases[static_cast<size_t>(batch)] + j};
                    break;
                }
            }
            auto got = log.offset_for_timestamp(target);
            if (!got) {
                return fail("offset_for_timestamp(%" PRId64 "): %s", target,
                            error_text(got.error()).c_str());
            }
            if (expected.has_value() != got->has_value()) {
                return fail("offset_for_timestamp(%" PRId64 "): %s, expected %s", target,
                            got->has_value() ? "an offset" : "none",
                            expected ? "an offset" : "none");
            }
            if (expected
                && ((*got)->offset != expected->offset
                    || (*got)->timestamp != expected->timestamp)) {
                return fail("offset_for_timestamp(%" PRId64 ") is (%" PRId64 ", %" PRId64
                            "), expected (%" PRId64 ", %" PRId64 ")",
                            target, (*got)->timestamp, (*got)->offset, expected->timestamp,
                            expected->offset);
            }
        }
        return true;
    }

    // The leader-epoch cache agrees with the (possibly truncated) log: one entry per epoch found in
    // the batches, starting at the first batch of that epoch, and nothing past the log end.
    bool epoch_checks() {
        std::vector<storage::EpochEntry> cached = log.leader_epochs().entries();
        if (cached == epochs_seen) {
            return true;
        }
        std::string got;
        for (const auto& e : cached) {
            got += " (" + std::to_string(e.epoch) + "," + std::to_string(e.start_offset) + ")";
        }
        std::string want;
        for (const auto& e : epochs_seen) {
            want += " (" + std::to_string(e.epoch) + "," + std::to_string(e.start_offset) + ")";
        }
        return fail("leader-epoch cache [%s ] disagrees with the batches [%s ]", got.c_str(),
                    want.c_str());
    }

    // A read that starts inside a batch returns that whole batch.
    bool spot_checks(int64_t log_end) {
        if (batch_bases.empty()) {
            return true;
        }
        Rng rng(setup.spec.seed + 77);
        std::vector<uint8_t> buf;
        for (int k = 0; k < 32; ++k) {
            int64_t target = static_cast<int64_t>(rng.below(static_cast<uint64_t>(log_end)));
            auto it = std::upper_bound(batch_bases.begin(), batch_bases.end(), target);
            int64_t base = *(it - 1);
            auto rr = log.read(target, 1, log_end, true);
            if (!rr) {
                return fail("read(%" PRId64 "): %s", target, error_text(rr.error()).c_str());
            }
            if (rr->first_batch_offset != base) {
                return fail("read(%" PRId64 ") starts at %" PRId64
                            ", expected the batch at %" PRId64,
                            target, rr->first_batch_offset, base);
            }
            buf.clear();
            for (const FileSlice& slice : rr->slices) {
                if (!read_slice(slice, buf)) {
                    return fail("read(%" PRId64 "): short pread", target);
                }
            }
            proto::BatchSplitter splitter(buf, proto::BatchSplitter::Check::kFull);
            auto first = splitter.next();
            if (!first || first->base_offset() != base) {
                return fail("read(%" PRId64 ") did not return the whole batch at %" PRId64, target,
                            base);
            }
        }
        return true;
    }
};

int cmd_verify(const Args& args) {
    Setup s = parse_setup(args, /*fixed=*/args.has("fixed"));
    int64_t min_end = args.get_int("min-end-offset", 0);
    int64_t acked_offset = args.get_int("acked-offset", -1);
    std::optional<uint32_t> acked_crc;
    if (args.has("acked-crc")) {
        acked_crc =
            static_cast<uint32_t>(std::strtoul(args.get("acked-crc", "0").c_str(), nullptr, 16));
    }

    storage::RecoveryReport report;
    std::unique_ptr<storage::LogManager> manager;
    std::shared_ptr<storage::Log> log;
    bool had_clean_shutdown = false;
    if (args.has("manager")) {
        // Recovery as the broker runs it: from the checkpointed recovery point, or none after a
        // clean shutdown. A long checkpoint interval: verify writes checkpoints only at shutdown.
        manager = make_manager(args, s, 3600000);
        auto started = manager->startup();
        if (!started) {
            emit("{\"ok\":false,\"error\":%s}\n",
                 json_string("startup: " + error_text(started.error())).c_str());
            return 2;
        }
        for (const storage::LogDirStartup& d : started->dirs) {
            if (d.offline) {
                emit("{\"ok\":false,\"error\":%s}\n",
                     json_string("log dir offline: " + d.error).c_str());
                return 1;
            }
            report.bytes_truncated += d.bytes_truncated;
            report.bytes_validated += d.bytes_validated;
            had_clean_shutdown = d.had_clean_shutdown;
        }
        auto got = manager->get_or_create(s.tp, s.config);
        if (!got) {
            emit("{\"ok\":false,\"error\":%s}\n",
                 json_string("get_or_create: " + error_text(got.error())).c_str());
            return 2;
        }
        log = std::move(got.value());
    } else {
        auto opened = open_log(s, &report);
        if (!opened) {
            emit("{\"ok\":false,\"error\":%s}\n",
                 json_string("open: " + error_text(opened.error())).c_str());
            return 2;
        }
        log = std::move(opened.value());
    }
    int64_t log_end = log->log_end_offset();

    Verifier v{s, *log, {}, 0, 0, 0, std::nullopt, acked_offset, -1, {}, {}, {}, {}};
    bool ok = v.run(log_end);
    if (ok && log_end < min_end) {
        ok = v.fail("log end %" PRId64 " is below %" PRId64 ", acknowledged as flushed", log_end,
                    min_end);
    }
    if (ok && acked_offset >= 0 && acked_crc) {
        if (!v.crc_at_acked) {
            ok = v.fail("no batch of the log ends at the acknowledged offset %" PRId64,
                        acked_offset);
        } else if (*v.crc_at_acked != *acked_crc) {
            ok = v.fail("payload crc at %" PRId64 " is %08x, the writer acknowledged %08x",
                        acked_offset, *v.crc_at_acked, *acked_crc);
        }
    }
    int32_t segments = log->segment_count();
    int64_t size = log->size_bytes();
    if (manager) {
        log.reset();
        manager->shutdown();
    } else {
        log->close();
    }

    std::string out = "{\"ok\":";
    out += ok ? "true" : "false";
    out += ",\"log_end_offset\":" + std::to_string(log_end);
    out += ",\"batches\":" + std::to_string(v.batches);
    out += ",\"records\":" + std::to_string(v.records);
    char crc[16];
    std::snprintf(crc, sizeof(crc), "%08x", v.crc);
    out += ",\"payload_crc32c\":\"" + std::string(crc) + "\"";
    out += ",\"segments\":" + std::to_string(segments);
    out += ",\"size_bytes\":" + std::to_string(size);
    out += ",\"recovery\":{\"bytes_truncated\":" + std::to_string(report.bytes_truncated)
           + ",\"segments_deleted\":" + std::to_string(report.segments_deleted)
           + ",\"indexes_rebuilt\":" + std::to_string(report.indexes_rebuilt)
           + ",\"batches_validated\":" + std::to_string(report.batches_validated)
           + ",\"bytes_validated\":" + std::to_string(report.bytes_validated)
           + ",\"first_error\":" + json_string(report.first_error)
           + ",\"had_clean_shutdown\":" + (had_clean_shutdown ? "true" : "false") + "}";
    if (!ok) {
        out += ",\"error\":" + json_string(v.error);
    }
    out += "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return ok ? 0 : 1;
}

// Idempotent producers for the kafka-dump-log snapshot interop (see the top of the file).
int cmd_producers(const Args& args) {
    storage::TopicPartition tp;
    tp.topic = args.get("topic", "idem");
    tp.partition = static_cast<int32_t>(args.get_int("partition", 0));
    const fs::path dir = fs::path(args.dir) / tp.dir_name();
    const int producers = static_cast<int>(args.get_int("producers", 3));
    const int batches = static_cast<int>(args.get_int("batches", 4));
    storage::LogOpenOptions options;
    options.config.retention_ms = -1;
    options.had_clean_shutdown = true;
    auto log = storage::Log::open(dir, tp, options);
    if (!log) {
        std::fprintf(stderr, "open: %s\n", log.error().message.c_str());
        return 2;
    }
    struct Last {
        int32_t last_seq = -1;
        int64_t last_offset = -1;
        int64_t timestamp = -1;
    };
    std::vector<Last> last(static_cast<size_t>(producers));
    const std::string value = "idempotent";
    for (int b = 0; b < batches; ++b) {
        if (b == batches / 2) {
            auto rolled = (*log)->maybe_roll(true);  // a snapshot at the roll offset too
            if (!rolled) {
                std::fprintf(stderr, "roll: %s\n", rolled.error().message.c_str());
                return 1;
            }
        }
        for (int p = 0; p < producers; ++p) {
            proto::BatchOptions bo;
            bo.producer_id = 1000 + p;
            bo.producer_epoch = static_cast<int16_t>(p);
            bo.base_sequence = 2 * b;
            proto::RecordBatchBuilder builder(bo);
            const int64_t ts = 1700000000000 + b * 10 + p;
            for (int r = 0; r < 2; ++r) {
                proto::RecordInput in;
                in.timestamp = ts;
                in.value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()),
                                                    value.size());
                builder.append(in);
            }
            std::vector<uint8_t> bytes;
            if (builder.build(bytes) != proto::BuildError::kOk) {
                return 1;
            }
            for (int attempt = 0; attempt < (b == 0 ? 2 : 1); ++attempt) {  // b 0: one retry
                auto info = (*log)->append_as_leader(bytes, 0);
                if (!info || info->duplicate != (attempt == 1)) {
                    std::fprintf(stderr, "append: %s\n",
                                 info ? "unexpected duplicate flag" : info.error().message.c_str());
                    return 1;
                }
                if (attempt == 0) {
                    last[static_cast<size_t>(p)] = {2 * b + 1, info->last_offset, ts};
                }
            }
        }
    }
    const int64_t end = (*log)->log_end_offset();
    (*log)->close();
    std::string out = "{\"log_end_offset\": " + std::to_string(end) + ", \"producers\": [";
    for (int p = 0; p < producers; ++p) {
        const Last& l = last[static_cast<size_t>(p)];
        out += (p > 0 ? ", " : "") + std::string("{\"producer_id\": ") + std::to_string(1000 + p)
               + ", \"epoch\": " + std::to_string(p) + ", \"last_sequence\": "
               + std::to_string(l.last_seq) + ", \"last_offset\": " + std::to_string(l.last_offset)
               + ", \"timestamp\": " + std::to_string(l.timestamp) + "}";
    }
    out += "]}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

}  // namespace
}  // namespace gregor::tools

int main(int argc, char** argv) {
    auto args = gregor::tools::parse_args(argc, argv);
    if (!args) {
        return gregor::tools::usage();
    }
    if (args->command == "write") {
        return gregor::tools::cmd_write(*args);
    }
    if (args->command == "writer") {
        return gregor::tools::cmd_writer(*args);
    }
    if (args->command == "verify") {
        return gregor::tools::cmd_verify(*args);
    }
    if (args->command == "producers") {
        return gregor::tools::cmd_producers(*args);
    }
    return gregor::tools::usage();
}

// storage_bench: what the partition Log costs next to the disk's own limit (bench/README.md).
//
//   append    Log::append_as_leader of 1 KiB and 256 KiB batches, one batch per call, beside a
//             plain write() loop of the same bytes to a file in the same directory: MB/s,
//             CPU-seconds per GB (getrusage) and the ratio log/raw (target >= 80%).
//   read      the 256 KiB log read back in order through Log::read: the slices sent with
//             sendfile to a 127.0.0.1 TCP socket (drained by a thread), or pread into a buffer and
//             sent with send(), or only pread; from the page cache and, unless --warm-only, cold
//             (the files' pages dropped with posix_fadvise first).
//   recovery  a child process appends --recovery-bytes of 16 KiB batches and is SIGKILLed; the
//             log is then opened with had_clean_shutdown=false and recovery point 0, so every
//             byte is revalidated: GB/s of log scanned (target >= 1 GB/s), warm and cold.
//
// MB = 10^6 bytes, GB = 10^9 bytes. CPU time is the whole process's (user + system), including
// the drain thread in the read rows.

#include "gregor/protocol/record_batch.h"
#include "gregor/storage/log.h"

#include "log_workload.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <signal.h>
#include <string>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
namespace proto = gregor::protocol;
namespace storage = gregor::storage;

namespace {

// ------------------------------------------------------------------------------- options

struct Options {
    fs::path dir;  // a fresh directory is made inside it
    bool keep = false;
    bool smoke = false;
    bool sync = false;  // fdatasync at the end of each append run (both sides)
    bool warm_only = false;
    int repeat = 3;  // best of N for the append rows
    int64_t append_bytes = 256LL << 20;
    int64_t recovery_bytes = 1LL << 30;
    int32_t recovery_batch_bytes = 16 << 10;
    int32_t segment_bytes = 1 << 30;
    std::vector<int32_t> batch_sizes = {1 << 10, 256 << 10};
};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "storage_bench: %s\n", msg.c_str());
    std::exit(1);
}

int64_t parse_size(const std::string& s) {
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    std::string unit = end ? end : "";
    int64_t mult = 1;
    if (unit == "k" || unit == "K" || unit == "KiB") {
        mult = 1LL << 10;
    } else if (unit == "m" || unit == "M" || unit == "MiB") {
        mult = 1LL << 20;
    } else if (unit == "g" || unit == "G" || unit == "GiB") {
        mult = 1LL << 30;
    } else if (!unit.empty()) {
        die("bad size " + s);
    }
    return static_cast<int64_t>(v * static_cast<double>(mult));
}

void usage() {
    std::printf(
        "usage: storage_bench [--dir DIR] [--smoke] [--append-bytes SIZE] [--batch-sizes 1K,256K]\n"
        "                     [--recovery-bytes SIZE] [--recovery-batch-bytes SIZE] "
        "[--segment-bytes SIZE]\n"
        "                     [--repeat N] [--sync] [--warm-only] [--keep]\n"
        "SIZE takes K, M, G suffixes (binary). Defaults: --append-bytes 256M --recovery-bytes 1G;\n"
        "--smoke: 32M and 128M. DIR defaults to $TMPDIR or /var/tmp (must be a real disk, not "
        "tmpfs).\n");
}

Options parse_options(int argc, char** argv) {
    Options o;
    const char* tmp = std::getenv("TMPDIR");
    o.dir = tmp && *tmp ? tmp : "/var/tmp";
    bool append_set = false;
    bool recovery_set = false;
    bool repeat_set = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                die(a + " needs a value");
            }
            return argv[++i];
        };
        if (a == "--dir") {
            o.dir = value();
        } else if (a == "--keep") {
            o.keep = true;
        } else if (a == "--smoke") {
            o.smoke = true;
        } else if (a == "--sync") {
            o.sync = true;
        } else if (a == "--repeat") {
            o.repeat = std::max(1, std::atoi(value().c_str()));
            repeat_set = true;
        } else if (a == "--warm-only") {
            o.warm_only = true;
        } else if (a == "--append-bytes") {
            o.append_bytes = parse_size(value());
            append_set = true;
        } else if (a == "--recovery-bytes") {
            o.recovery_bytes = parse_size(value());
            recovery_set = true;
        } else if (a == "--recovery-batch-bytes") {
            o.recovery_batch_bytes = static_cast<int32_t>(parse_size(value()));
        } else if (a == "--segment-bytes") {
            o.segment_bytes =
                static_cast<int32_t>(std::min<int64_t>(parse_size(value()), INT32_MAX));
        } else if (a == "--batch-sizes") {
            o.batch_sizes.clear();
            std::string list = value();
            size_t start = 0;
            while (start <= list.size()) {
                size_t comma = list.find(',', start);
                std::string item = list.substr(
                    start, comma == std::string::npos ? std::string::npos : comma - start);
                if (!item.empty()) {
                    o.batch_sizes.push_back(static_cast<int32_t>(parse_size(item)));
                }
                if (comma == std::string::npos) {
                    break;
                }
                start = comma + 1;
            }
        } else if (a == "-h" || a == "--help") {
            usage();
            std::exit(0);
        } else {
            usage();
            die("unknown argument " + a);
        }
    }
    if (o.smoke) {
        if (!append_set) {
            o.append_bytes = 32LL << 20;
        }
        if (!recovery_set) {
            o.recovery_bytes = 128LL << 20;
        }
        if (!repeat_set) {
            o.repeat = 1;
        }
    }
    return o;
}

// ------------------------------------------------------------------------------- measuring

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Sample {
    double wall = 0;
    double cpu = 0;
    int64_t bytes = 0;

    double mb_per_s() const { return wall > 0 ? static_cast<double>(bytes) / 1e6 / wall : 0; }
    double cpu_per_gb() const { return bytes > 0 ? cpu / (static_cast<double>(bytes) / 1e9) : 0; }
};

class Stopwatch {
public:
    Stopwatch() : start_(std::chrono::steady_clock::now()), cpu_start_(cpu_seconds()) {}
    Sample stop(int64_t bytes) const {
        Sample s;
        s.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        s.cpu = cpu_seconds() - cpu_start_;
        s.bytes = bytes;
        return s;
    }

private:
    std::chrono::steady_clock::time_point start_;
    double cpu_start_;
};

std::string human_size(int64_t bytes) {
    char buf[32];
    if (bytes >= (1LL << 30) && bytes % (1LL << 30) == 0) {
        std::snprintf(buf, sizeof(buf), "%" PRId64 " GiB", bytes >> 30);
    } else if (bytes >= (1LL << 20)) {
        std::snprintf(buf, sizeof(buf), "%.0f MiB", static_cast<double>(bytes) / (1 << 20));
    } else if (bytes >= (1LL << 10)) {
        std::snprintf(buf, sizeof(buf), "%.0f KiB", static_cast<double>(bytes) / (1 << 10));
    } else {
        std::snprintf(buf, sizeof(buf), "%" PRId64 " B", bytes);
    }
    return buf;
}

void print_header() {
    std::printf("%-34s %9s %9s %8s %9s %9s  %s\n", "test", "batch", "bytes", "secs", "MB/s",
                "CPU-s/GB", "note");
    std::printf("%s\n", std::string(110, '-').c_str());
}

void print_row(const std::string& name,
               const std::string& batch,
               const Sample& s,
               const std::string& note) {
    std::printf("%-34s %9s %9s %8.3f %9.1f %9.3f  %s\n", name.c_str(), batch.c_str(),
                human_size(s.bytes).c_str(), s.wall, s.mb_per_s(), s.cpu_per_gb(), note.c_str());
    std::fflush(stdout);
}

std::string fs_type_name(const fs::path& dir) {
    struct statfs st {};
    if (statfs(dir.c_str(), &st) != 0) {
        return "?";
    }
    switch (static_cast<unsigned long>(st.f_type)) {
        case 0xEF53:
            return "ext4";
        case 0x58465342:
            return "xfs";
        case 0x9123683E:
            return "btrfs";
        case 0x01021994:
            return "tmpfs";
        case 0x794c7630:
            return "overlayfs";
        default: {
            char buf[32];
            std::snprintf(buf, sizeof(buf), "fs 0x%lx", static_cast<unsigned long>(st.f_type));
            return buf;
        }
    }
}

// ------------------------------------------------------------------------------- workload

// A pool of distinct, uncompressed batches of about `target` bytes each (the append bench sends
// them round-robin; the raw write() loop writes the same bytes).
struct Pool {
    std::vector<std::vector<uint8_t>> batches;
    std::vector<int32_t> records;
    int64_t average_size() const {
        int64_t total = 0;
        for (const auto& b : batches) {
            total += static_cast<int64_t>(b.size());
        }
        return batches.empty() ? 0 : total / static_cast<int64_t>(batches.size());
    }
};

Pool make_pool(int32_t target, int count) {
    Pool pool;
    gregor::tools::Rng rng(static_cast<uint64_t>(target) * 31 + 7);
    size_t value_size = target <= 4096 ? 100 : 1000;
    // Record framing (length, attributes, timestamp and offset deltas, key and value lengths,
    // header count) adds about 9 bytes; aim for batches of `target` bytes in total.
    size_t per_record = value_size + 9;
    size_t body = static_cast<size_t>(std::max(target, 62)) - 61;
    int32_t n = static_cast<int32_t>(std::max<size_t>(1, (body + per_record / 2) / per_record));
    std::string value(value_size, 'x');
    for (int b = 0; b < count; ++b) {
        proto::RecordBatchBuilder builder(proto::BatchOptions{});
        for (int32_t r = 0; r < n; ++r) {
            for (char& c : value) {
                c = static_cast<char>('a' + rng.below(26));
            }
            proto::RecordInput in;
            in.timestamp = gregor::tools::kBaseTimestampMs + b * 1000 + r;
            in.value = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()),
                                                value.size());
            builder.append(in);
        }
        std::vector<uint8_t> out;
        if (builder.build(out) != proto::BuildError::kOk) {
            die("batch build failed");
        }
        pool.batches.push_back(std::move(out));
        pool.records.push_back(n);
    }
    return pool;
}

storage::LogOpenOptions open_options(const Options& o) {
    storage::LogOpenOptions opts;
    opts.config.segment_bytes = o.segment_bytes;
    opts.config.retention_ms = -1;
    opts.config.retention_bytes = -1;
    opts.recovery_point = 0;
    opts.had_clean_shutdown = false;
    return opts;
}

std::unique_ptr<storage::Log> open_log(const fs::path& dir,
                                       const Options& o,
                                       storage::RecoveryReport* report,
                                       storage::LogOpenOptions opts) {
    (void)o;
    std::error_code ec;
    fs::create_directories(dir, ec);
    storage::TopicPartition tp{"bench", 0};
    auto log = storage::Log::open(dir, tp, std::move(opts), report);
    if (!log) {
        die("open " + dir.string() + ": " + storage::to_string(log.error().code) + " "
            + log.error().message);
    }
    return std::move(log.value());
}

void write_all(int fd, const uint8_t* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die(std::string("write: ") + std::strerror(errno));
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

// Writes back everything dirty on the file system first, so a measurement does not pay for the
// previous one's writeback.
void settle(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::syncfs(fd);
        ::close(fd);
    }
}

// Drops the page cache of every file under `dir` (after writing it back), for cold reads.
void drop_cache(const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
        if (!e.is_regular_file()) {
            continue;
        }
        int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

// ------------------------------------------------------------------------------- append

struct WrittenLog {
    fs::path dir;
    std::vector<int64_t> batch_end_offsets;  // next offset after each batch
    std::vector<int64_t> batch_end_bytes;    // cumulative size after each batch
};

Sample bench_raw_write(const fs::path& file, const Pool& pool, int64_t total, bool sync) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        die("open " + file.string() + ": " + std::strerror(errno));
    }
    int64_t written = 0;
    size_t i = 0;
    Stopwatch sw;
    while (written < total) {
        const auto& b = pool.batches[i++ % pool.batches.size()];
        write_all(fd, b.data(), b.size());
        written += static_cast<int64_t>(b.size());
    }
    if (sync) {
        ::fdatasync(fd);
    }
    Sample s = sw.stop(written);
    ::close(fd);
    return s;
}

Sample bench_log_append(
    const fs::path& dir, const Pool& pool, int64_t total, const Options& o, WrittenLog* out) {
    auto log = open_log(dir, o, nullptr, open_options(o));
    int64_t written = 0;
    size_t i = 0;
    if (out) {
        out->dir = dir;
    }
    // The produce path patches the request's own buffer (append_as_leader_in_place), so the
    // timed loop appends from buffers it may modify, copied before the clock starts.
    auto batches = pool.batches;
    Stopwatch sw;
    while (written < total) {
        auto& b = batches[i % batches.size()];
        // A producer's batch starts at base offset 0; the previous round patched it (the CRC does
        // not cover the base offset, so this is all a fresh request would differ in).
        std::memset(b.data(), 0, 8);
        auto info = log->append_as_leader_in_place(b, 0);
        if (!info) {
            die("append: " + std::string(storage::to_string(info.error().code)) + " "
                + info.error().message);
        }
        written += static_cast<int64_t>(b.size());
        if (out) {
            out->batch_end_offsets.push_back(info->last_offset + 1);
            out->batch_end_bytes.push_back(written);
        }
        ++i;
    }
    if (o.sync) {
        auto f = log->flush(log->log_end_offset());
        if (!f) {
            die("flush failed");
        }
    }
    Sample s = sw.stop(written);
    log->close();
    return s;
}

// ------------------------------------------------------------------------------- read

enum class ReadMode { sendfile_tcp, pread_send_tcp, pread_only };

// A connected 127.0.0.1 TCP pair: `send_fd` for us, the other end drained by a thread.
struct TcpSink {
    int send_fd = -1;
    int recv_fd = -1;
    std::thread drain;
    std::atomic<int64_t> received{0};

    TcpSink() {
        int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
            || ::listen(lfd, 1) != 0) {
            die(std::string("listen: ") + std::strerror(errno));
        }
        socklen_t len = sizeof(addr);
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
        send_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::connect(send_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            die(std::string("connect: ") + std::strerror(errno));
        }
        recv_fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        ::close(lfd);
        if (recv_fd < 0) {
            die(std::string("accept: ") + std::strerror(errno));
        }
        drain = std::thread([this] {
            std::vector<uint8_t> buf(1 << 20);
            for (;;) {
                ssize_t n = ::recv(recv_fd, buf.data(), buf.size(), 0);
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n <= 0) {
                    break;
                }
                received.fetch_add(n, std::memory_order_relaxed);
            }
        });
    }
    // Closes our end and waits until the drain thread has read everything.
    void finish() {
        if (send_fd >= 0) {
            ::shutdown(send_fd, SHUT_WR);
            drain.join();
            ::close(send_fd);
            ::close(recv_fd);
            send_fd = recv_fd = -1;
        }
    }
    ~TcpSink() { finish(); }
};

void send_all(int fd, const uint8_t* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die(std::string("send: ") + std::strerror(errno));
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

void sendfile_all(int out_fd, const gregor::FileSlice& slice) {
    off_t off = static_cast<off_t>(slice.offset);
    size_t left = slice.length;
    while (left > 0) {
        ssize_t n = ::sendfile(out_fd, slice.file->fd(), &off, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die(std::string("sendfile: ") + std::strerror(errno));
        }
        left -= static_cast<size_t>(n);
    }
}

void pread_all(const gregor::FileSlice& slice, uint8_t* out) {
    size_t done = 0;
    while (done < slice.length) {
        ssize_t n = ::pread(slice.file->fd(), out + done, slice.length - done,
                            static_cast<off_t>(slice.offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die(std::string("pread: ") + std::strerror(errno));
        }
        done += static_cast<size_t>(n);
    }
}

Sample bench_read(const WrittenLog& w, const Options& o, ReadMode mode) {
    auto log = open_log(w.dir, o, nullptr, [&] {
        auto opts = open_options(o);
        opts.had_clean_shutdown = true;  // just closed cleanly: no rescan
        opts.recovery_point = w.batch_end_offsets.empty() ? 0 : w.batch_end_offsets.back();
        return opts;
    }());
    int64_t end = log->log_end_offset();
    std::unique_ptr<TcpSink> sink;
    if (mode != ReadMode::pread_only) {
        sink = std::make_unique<TcpSink>();
    }
    constexpr int32_t kMaxBytes = 1 << 20;  // a Fetch's default max.partition.fetch.bytes
    std::vector<uint8_t> buf(static_cast<size_t>(kMaxBytes) + (1 << 20));
    int64_t offset = 0;
    int64_t bytes = 0;
    Stopwatch sw;
    while (offset < end) {
        auto rr = log->read(offset, kMaxBytes, end, true);
        if (!rr) {
            die("read: " + std::string(storage::to_string(rr.error().code)) + " "
                + rr.error().message);
        }
        if (rr->bytes == 0) {
            die("read returned nothing below the log end");
        }
        size_t pos = 0;
        for (const auto& slice : rr->slices) {
            switch (mode) {
                case ReadMode::sendfile_tcp:
                    sendfile_all(sink->send_fd, slice);
                    break;
                case ReadMode::pread_send_tcp:
                case ReadMode::pread_only:
                    if (buf.size() < pos + slice.length) {
                        buf.resize(pos + slice.length);
                    }
                    pread_all(slice, buf.data() + pos);
                    pos += slice.length;
                    break;
            }
        }
        if (mode == ReadMode::pread_send_tcp) {
            send_all(sink->send_fd, buf.data(), pos);
        }
        bytes += rr->bytes;
        // The next offset: the batches written end at known byte counts.
        auto it = std::lower_bound(w.batch_end_bytes.begin(), w.batch_end_bytes.end(), bytes);
        if (it == w.batch_end_bytes.end() || *it != bytes) {
            die("read did not end on a batch boundary");
        }
        offset = w.batch_end_offsets[static_cast<size_t>(it - w.batch_end_bytes.begin())];
    }
    if (sink) {
        sink->finish();
        if (sink->received.load() != bytes) {
            die("the drain thread received fewer bytes than were sent");
        }
    }
    Sample s = sw.stop(bytes);
    log->close();
    return s;
}

// ------------------------------------------------------------------------------- recovery

// Forks a writer that appends `total` bytes of `pool` batches, then SIGKILLs it once it says it is
// done: the log is left exactly as a crash would leave it (no clean close, indexes untrimmed).
void write_and_kill(const fs::path& dir, const Pool& pool, int64_t total, const Options& o) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) {
        die("pipe failed");
    }
    std::fflush(stdout);
    pid_t pid = ::fork();
    if (pid < 0) {
        die("fork failed");
    }
    if (pid == 0) {
        ::close(pipefd[0]);
        auto log = open_log(dir, o, nullptr, open_options(o));
        int64_t written = 0;
        size_t i = 0;
        while (written < total) {
            const auto& b = pool.batches[i++ % pool.batches.size()];
            auto info = log->append_as_leader(b, 0);
            if (!info) {
                std::_Exit(3);
            }
            written += static_cast<int64_t>(b.size());
        }
        char done = 'd';
        (void)!::write(pipefd[1], &done, 1);
        for (;;) {
            ::pause();
        }
    }
    ::close(pipefd[1]);
    char c = 0;
    ssize_t n = ::read(pipefd[0], &c, 1);
    ::close(pipefd[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (n != 1) {
        die("the recovery writer failed (status " + std::to_string(status) + ")");
    }
}

struct RecoverySample {
    Sample sample;
    storage::RecoveryReport report;
};

RecoverySample bench_recovery(const fs::path& dir, const Options& o) {
    RecoverySample r;
    Stopwatch sw;
    auto log = open_log(dir, o, &r.report, open_options(o));
    r.sample = sw.stop(r.report.bytes_validated);
    log->close();
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_options(argc, argv);
    std::string templ = (o.dir / "storage_bench.XXXXXX").string();
    std::vector<char> tmpl(templ.begin(), templ.end());
    tmpl.push_back('\0');
    if (::mkdtemp(tmpl.data()) == nullptr) {
        die("mkdtemp in " + o.dir.string() + ": " + std::strerror(errno));
    }
    fs::path root = tmpl.data();
    std::string fstype = fs_type_name(root);

    std::printf(
        "storage_bench: dir %s (%s), %u CPUs, append %s per batch size (best of %d), recovery %s, "
        "sync at end: %s\n",
        root.c_str(), fstype.c_str(), std::thread::hardware_concurrency(),
        human_size(o.append_bytes).c_str(), o.repeat, human_size(o.recovery_bytes).c_str(),
        o.sync ? "yes" : "no (page cache, Kafka's default)");
    double load[1] = {0};
    if (::getloadavg(load, 1) == 1) {
        std::printf(
            "load average %.2f at start (the machine is shared: wall-clock rows vary with it)\n",
            load[0]);
    }
    if (fstype == "tmpfs") {
        std::printf("WARNING: %s is tmpfs: the raw write() limit is memory, not a disk\n",
                    root.c_str());
    }
    print_header();

    std::optional<WrittenLog> read_log;
    int64_t read_batch = 0;
    for (int32_t size : o.batch_sizes) {
        Pool pool = make_pool(size, 16);
        std::string label = human_size(size);  // the batches are within 2% of it
        Sample best_raw;
        Sample best_log;
        WrittenLog w;
        fs::path dir = root / ("append-" + std::to_string(size)) / "bench-0";
        // Best of --repeat runs, raw and Log alternating, each after the file system settled.
        for (int r = 0; r < o.repeat; ++r) {
            fs::path raw = root / "raw.dat";
            settle(root);
            Sample rs = bench_raw_write(raw, pool, o.append_bytes, o.sync);
            fs::remove(raw);
            if (rs.mb_per_s() > best_raw.mb_per_s()) {
                best_raw = rs;
            }
            fs::remove_all(dir.parent_path());
            w = WrittenLog{};
            settle(root);
            Sample ls = bench_log_append(dir, pool, o.append_bytes, o, &w);
            if (ls.mb_per_s() > best_log.mb_per_s()) {
                best_log = ls;
            }
        }
        print_row("append: raw write() loop", label, best_raw, "the physical limit");
        char note[128];
        double ratio = best_raw.mb_per_s() > 0 ? best_log.mb_per_s() / best_raw.mb_per_s() : 0;
        // The CPU ratio (raw CPU per GB / Log CPU per GB) does not depend on what else runs on the
        // machine; the wall-clock ratio is the target's.
        double cpu_ratio =
            best_log.cpu_per_gb() > 0 ? best_raw.cpu_per_gb() / best_log.cpu_per_gb() : 0;
        std::snprintf(note, sizeof(note),
                      "%.1f%% of raw (target >= 80%%) %s; CPU efficiency %.0f%% of raw",
                      ratio * 100, ratio >= 0.8 ? "OK" : "BELOW", cpu_ratio * 100);
        print_row("append: Log::append_as_leader", label, best_log, note);
        if (size >= read_batch) {
            if (read_log) {
                fs::remove_all(read_log->dir.parent_path());
            }
            read_log = std::move(w);
            read_batch = size;
        } else {
            fs::remove_all(dir.parent_path());
        }
    }

    if (read_log) {
        std::string label = human_size(read_batch);
        struct Mode {
            ReadMode mode;
            const char* name;
        };
        const Mode modes[] = {{ReadMode::sendfile_tcp, "read: sendfile -> tcp"},
                              {ReadMode::pread_send_tcp, "read: pread + send -> tcp"},
                              {ReadMode::pread_only, "read: pread into a buffer"}};
        for (const Mode& m : modes) {
            print_row(m.name, label, bench_read(*read_log, o, m.mode), "page cache");
        }
        if (!o.warm_only) {
            for (const Mode& m : modes) {
                drop_cache(read_log->dir);
                print_row(m.name, label, bench_read(*read_log, o, m.mode),
                          "cold (fadvise DONTNEED)");
            }
        }
        fs::remove_all(read_log->dir.parent_path());
    }

    if (o.recovery_bytes > 0) {
        Pool pool = make_pool(o.recovery_batch_bytes, 16);
        std::string label = human_size(pool.average_size());
        fs::path dir = root / "recovery" / "bench-0";
        write_and_kill(dir, pool, o.recovery_bytes, o);
        settle(root);
        RecoverySample warm = bench_recovery(dir, o);
        char note[160];
        double gbs = warm.sample.mb_per_s() / 1000;
        std::snprintf(note, sizeof(note),
                      "%.2f GB/s (target >= 1) %s; %" PRId64 " batches, %d indexes rebuilt", gbs,
                      gbs >= 1 ? "OK" : "BELOW", warm.report.batches_validated,
                      warm.report.indexes_rebuilt);
        print_row("recovery after SIGKILL (warm)", label, warm.sample, note);
        if (warm.report.bytes_validated < o.recovery_bytes) {
            std::printf("WARNING: recovery validated %" PRId64 " bytes of %" PRId64 " written\n",
                        warm.report.bytes_validated, o.recovery_bytes);
        }
        if (!o.warm_only) {
            drop_cache(dir);
            RecoverySample cold = bench_recovery(dir, o);
            gbs = cold.sample.mb_per_s() / 1000;
            std::snprintf(note, sizeof(note), "%.2f GB/s, cold: the disk's read speed bounds it",
                          gbs);
            print_row("recovery, unclean open (cold)", label, cold.sample, note);
        }
    }

    if (o.keep) {
        std::printf("kept %s\n", root.c_str());
    } else {
        fs::remove_all(root);
    }
    return 0;
}

#pragma once

// Every partition log of a broker, over the directories of log.dirs (Apache Kafka's LogManager).
//
// Lifecycle: construct, startup() once, serve, shutdown() once (the destructor shuts down if
// needed). startup() takes each dir in turn: creates it if missing, reads its
// recovery-point-offset-checkpoint and log-start-offset-checkpoint, notes and deletes its
// .kafka_cleanshutdown marker (so a crash before the next clean stop is detected), finishes the
// deletion of `-delete` partition dirs, skips `-future`/`-stray` ones, and loads every partition
// dir with Log::open on `num.recovery.threads.per.data.dir` threads per dir (all dirs at once),
// logging one line per dir (time, logs, bytes) and one per log that recovery cut. Then it starts
// the group-commit Flusher and one background thread, which runs (on the injected clock):
//   * retention every log.retention.check.interval.ms (Log::delete_retained_segments for logs
//     whose cleanup.policy has delete, then Log::purge_deleted_files),
//   * time-based flushes every log.flush.scheduler.interval.ms (logs idle longer than flush.ms),
//   * recovery-point and log-start-offset checkpoints every
//     log.flush.offset.checkpoint.interval.ms / log.flush.start.offset.checkpoint.interval.ms,
//   * removal of deleted partition dirs file.delete.delay.ms after remove().
// The first three start after log.initial.task.delay.ms. shutdown() stops both threads, flushes
// every log, writes the checkpoints, closes the logs and writes .kafka_cleanshutdown in every
// healthy dir.
//
// Log dir failure: an I/O error in a dir (at load, in a background task, a flush, a checkpoint
// write, or reported by the broker through report_io_error) takes that dir OFFLINE: its logs are
// closed and forgotten, get() answers Errc::log_dir_offline for them, nothing is written there
// again until restart, and `on_dir_offline` is told. The other dirs keep serving.
//
// Threads: every public method may be called from any thread (never blocks on disk I/O under the
// map lock except in get_or_create/remove, which serialise among themselves). The background
// thread and the flusher thread are the manager's own; no network thread does disk work here.

#include "gregor/protocol/wire.h"
#include "gregor/storage/errors.h"
#include "gregor/storage/flusher.h"
#include "gregor/storage/log.h"
#include "gregor/storage/log_config.h"
#include "gregor/storage/topic_partition.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace gregor::storage {

class FileCache;

struct LogManagerConfig {
    std::vector<std::filesystem::path> log_dirs;   // log.dirs
    LogConfig default_config;                      // broker-level topic defaults
    int32_t recovery_threads_per_dir = 2;          // num.recovery.threads.per.data.dir
    int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms
    int64_t flush_scheduler_interval_ms =
        std::numeric_limits<int64_t>::max();              // log.flush.scheduler.interval.ms
    int64_t flush_offset_checkpoint_interval_ms = 60000;  // log.flush.offset.checkpoint.interval.ms
    int64_t flush_start_offset_checkpoint_interval_ms =
        60000;                              // log.flush.start.offset.checkpoint.interval.ms
    int64_t file_delete_delay_ms = 60000;   // file.delete.delay.ms (deleted partitions)
    int64_t initial_task_delay_ms = 30000;  // log.initial.task.delay.ms
    int64_t producer_id_expiration_ms =
        kDefaultProducerIdExpirationMs;  // producer.id.expiration.ms
    int64_t producer_id_expiration_check_interval_ms =
        600000;  // producer.id.expiration.check.interval.ms
    // Descriptors held open across every log (FileCache); 0 = unbounded (no cache).
    size_t max_open_files = 0;
    // How often (real time) the background thread looks at the clock for due tasks.
    int64_t scheduler_poll_ms = 200;
    // Topics whose partition dirs are not ours to load (the KRaft metadata log).
    std::vector<std::string> skip_topics = {"__cluster_metadata"};
    Clock clock = system_clock_ms;
    FlusherConfig flusher;
    // Told (on whichever thread found the error) when a dir goes offline.
    std::function<void(const std::filesystem::path& dir, const std::string& reason)> on_dir_offline;
    // Told before a log is closed by remove() (e.g. so the cleaner stops cleaning it).
    std::function<void(const TopicPartition& tp)> on_remove;
};

// What startup found in one log dir.
struct LogDirStartup {
    std::filesystem::path path;
    bool offline = false;
    std::string error;                // why it went offline
    bool had_clean_shutdown = false;  // .kafka_cleanshutdown was present
    int32_t logs_loaded = 0;
    int64_t bytes = 0;                 // size of the logs loaded
    int64_t bytes_truncated = 0;       // cut by recovery, summed over the logs
    int32_t logs_truncated = 0;        // logs whose recovery cut something
    int64_t bytes_validated = 0;       // revalidated by recovery (0 after a clean shutdown)
    int32_t deleted_dirs_removed = 0;  // leftover `-delete` dirs finished
    int64_t millis = 0;
};

struct StartupSummary {
    std::vector<LogDirStartup> dirs;
    int32_t logs_loaded = 0;
    int64_t bytes = 0;
    int64_t millis = 0;
};

// One dir as DescribeLogDirs reports it.
struct LogDirInfo {
    std::filesystem::path path;
    bool offline = false;
    std::string error;
    std::vector<std::pair<TopicPartition, int64_t>> partitions;  // size in bytes (online dirs)
    int64_t total_bytes = -1;                                    // filesystem capacity; -1 unknown
    int64_t usable_bytes = -1;  // free for unprivileged users; -1 unknown
};

class LogManager {
public:
    explicit LogManager(LogManagerConfig config);
    ~LogManager();
    LogManager(const LogManager&) = delete;
    LogManager& operator=(const LogManager&) = delete;

    // Loads every dir (see above) and starts the background threads. Fails (log_dir_offline) only
    // when no dir is usable; otherwise the summary says which dirs went offline and why.
    Result<StartupSummary> startup();

    // Stops the threads, flushes, checkpoints and closes every log, and marks each healthy dir
    // cleanly shut down (`broker_epoch` goes into .kafka_cleanshutdown, KIP-966). Idempotent.
    void shutdown(int64_t broker_epoch = -1);

    // not_found when there is no such log; log_dir_offline when its dir went offline.
    Result<std::shared_ptr<Log>> get(const TopicPartition& tp) const;

    // The existing log, or a new empty one in the online dir holding the fewest partitions (ties:
    // the first in log.dirs), with partition.metadata written when `topic_id` is given. An
    // existing log without a topic id gets `topic_id`; one with another id is refused
    // (Errc::corruption: Kafka's INCONSISTENT_TOPIC_ID, an old dir of a recreated topic).
    Result<std::shared_ptr<Log>> get_or_create(
        const TopicPartition& tp,
        const LogConfig& config,
        std::optional<protocol::Uuid> topic_id = std::nullopt);

    // Closes the log, renames its dir to `<topic>-<partition>.<uuid>-delete` (crash-safe: a
    // restart finishes the deletion) and deletes it file.delete.delay.ms later in the background.
    Result<bool> remove(const TopicPartition& tp);

    std::vector<std::shared_ptr<Log>> all_logs() const;
    // The topic id read from / written to partition.metadata, if any.
    std::optional<protocol::Uuid> topic_id(const TopicPartition& tp) const;

    std::vector<LogDirInfo> log_dirs() const;
    std::vector<std::filesystem::path> offline_dirs() const;

    // The broker saw an I/O error on `tp`'s log (io_error from an append or read): its dir goes
    // offline. No-op for an unknown partition.
    void report_io_error(const TopicPartition& tp, const std::string& message);

    // The group-commit flusher (started by startup(), stopped by shutdown()).
    Flusher& flusher() { return flusher_; }
    // The descriptor cache every log shares; nullptr when max_open_files is 0.
    FileCache* file_cache() const { return file_cache_.get(); }

    // Runs the background tasks that are due on the clock now (the background thread calls this
    // every scheduler_poll_ms; tests may call it directly).
    void run_due_tasks();

    // Writes the recovery-point / log-start-offset checkpoint of every online dir now.
    void checkpoint_recovery_points();
    void checkpoint_log_start_offsets();

private:
    struct Dir;
    struct Entry {
        std::shared_ptr<Log> log;
        size_t dir = 0;
        std::optional<protocol::Uuid> topic_id;
        int64_t last_flush_ms = 0;
    };
    struct PendingDelete {
        std::filesystem::path path;
        size_t dir = 0;
        int64_t due_ms = 0;
    };
    struct LoadJob;

    void load_dir(size_t dir, LogDirStartup& out);
    // Records `topic_id` for an existing log without one (writes partition.metadata).
    Result<std::shared_ptr<Log>> assign_topic_id(const TopicPartition& tp,
                                                 const Entry& entry,
                                                 const std::optional<protocol::Uuid>& topic_id);
    void run_background();
    void mark_dir_offline(size_t dir, const std::string& reason);
    // Takes the dir offline when `error` says the disk failed; true when it did.
    bool handle_error(size_t dir, const Error& error, const std::string& what);
    std::optional<size_t> dir_of(const std::filesystem::path& log_dir) const;
    bool dir_online(size_t dir) const;
    std::vector<std::pair<TopicPartition, Entry>> snapshot() const;
    void write_checkpoint(size_t dir, bool recovery_points);
    void retention_task();
    void flush_task(int64_t now);
    void delete_task(int64_t now);
    void expire_producers_task();

    const LogManagerConfig config_;
    std::unique_ptr<FileCache> file_cache_;
    std::vector<std::unique_ptr<Dir>> dirs_;

    mutable std::mutex mutex_;
    std::map<TopicPartition, Entry> logs_;  // guarded by mutex_
    std::map<TopicPartition, size_t>
        offline_logs_;  // partitions lost with their dir; guarded by mutex_
    std::deque<PendingDelete> pending_deletes_;  // guarded by mutex_
    std::mutex create_mutex_;                    // serialises get_or_create and remove

    Flusher flusher_;
    std::thread background_;
    std::mutex background_mutex_;
    std::condition_variable background_cv_;
    bool stopping_ = false;  // guarded by background_mutex_
    enum class State { created, running, shut_down };
    std::atomic<State> state_{State::created};
    // Next due times on the injected clock; touched only by run_due_tasks (serialised by
    // tasks_mutex_).
    std::mutex tasks_mutex_;
    int64_t next_retention_ms_ = 0;
    int64_t next_flush_ms_ = 0;
    int64_t next_recovery_checkpoint_ms_ = 0;
    int64_t next_start_checkpoint_ms_ = 0;
    int64_t next_producer_expiration_ms_ = 0;
};

}  // namespace gregor::storage

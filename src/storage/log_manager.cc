#include "gregor/storage/log_manager.h"

#include "gregor/common/logging.h"
#include "gregor/storage/checkpoint.h"
#include "gregor/storage/file_cache.h"

#include <algorithm>
#include <chrono>
#include <system_error>
#include <utility>

namespace gregor::storage {
namespace fs = std::filesystem;

namespace {

const log::Logger& logger() {
    return log::get("storage");
}

int64_t saturating_add(int64_t a, int64_t b) {
    if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
        return std::numeric_limits<int64_t>::max();
    }
    return a + b;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                 - since)
        .count();
}

// Errors that mean the disk under a dir failed (Kafka's KafkaStorageException).
bool is_disk_error(const Error& e) {
    return e.code == Errc::io_error || e.code == Errc::log_dir_offline;
}

}  // namespace

struct LogManager::Dir {
    fs::path path;
    std::atomic<bool> offline{false};
    std::string error;            // guarded by LogManager::mutex_
    std::mutex checkpoint_mutex;  // one checkpoint writer at a time per dir
};

struct LogManager::LoadJob {
    fs::path path;
    std::optional<TopicPartition> tp;  // nullopt: a `-delete` dir to remove
};

LogManager::LogManager(LogManagerConfig config)
    : config_(std::move(config)), flusher_([this] {
          FlusherConfig fc = config_.flusher;
          auto user = fc.on_error;
          fc.on_error = [this, user](Log& log, const Error& e) {
              if (auto d = dir_of(log.dir())) {
                  handle_error(*d, e, "flush of " + log.topic_partition().dir_name());
              }
              if (user) {
                  user(log, e);
              }
          };
          return fc;
      }()) {
    GREGOR_ASSERT(!config_.log_dirs.empty(), "log.dirs must name at least one directory");
    GREGOR_ASSERT(config_.recovery_threads_per_dir > 0,
                  "num.recovery.threads.per.data.dir must be positive");
    GREGOR_ASSERT(config_.scheduler_poll_ms > 0, "scheduler poll interval must be positive");
    if (config_.max_open_files > 0) {
        file_cache_ = std::make_unique<FileCache>(config_.max_open_files);
    }
    for (const fs::path& p : config_.log_dirs) {
        auto d = std::make_unique<Dir>();
        d->path = p;
        dirs_.push_back(std::move(d));
    }
}

LogManager::~LogManager() {
    shutdown();
}

// ---- Startup ------------------------------------------------------------------------------------

Result<StartupSummary> LogManager::startup() {
    State expected = State::created;
    GREGOR_ASSERT(state_.compare_exchange_strong(expected, State::running), "startup() runs once");
    const auto t0 = std::chrono::steady_clock::now();
    StartupSummary summary;
    summary.dirs.resize(dirs_.size());
    // Each dir on its own thread, each of which runs its recovery pool: all dirs load at once.
    std::vector<std::thread> dir_threads;
    for (size_t i = 0; i < dirs_.size(); ++i) {
        summary.dirs[i].path = dirs_[i]->path;
        dir_threads.emplace_back([this, i, &summary] { load_dir(i, summary.dirs[i]); });
    }
    for (std::thread& t : dir_threads) {
        t.join();
    }
    size_t online = 0;
    {
        std::lock_guard lock(mutex_);
        for (size_t i = 0; i < dirs_.size(); ++i) {
            LogDirStartup& d = summary.dirs[i];
            d.offline = dirs_[i]->offline.load();
            if (d.offline) {
                d.error = dirs_[i]->error;
            } else {
                ++online;
            }
            summary.logs_loaded += d.logs_loaded;
            summary.bytes += d.bytes;
        }
    }
    summary.millis = elapsed_ms(t0);
    logger()->info("Loaded {} logs ({} bytes) from {} log dirs ({} offline) in {} ms",
                   summary.logs_loaded, summary.bytes, dirs_.size(), dirs_.size() - online,
                   summary.millis);

    const int64_t now = config_.clock();
    next_retention_ms_ = saturating_add(now, config_.initial_task_delay_ms);
    next_flush_ms_ = saturating_add(now, config_.initial_task_delay_ms);
    next_recovery_checkpoint_ms_ = saturating_add(now, config_.initial_task_delay_ms);
    next_start_checkpoint_ms_ = saturating_add(now, config_.initial_task_delay_ms);
    next_producer_expiration_ms_ = saturating_add(now, config_.initial_task_delay_ms);
    {
        std::lock_guard lock(mutex_);
        for (auto& [tp, entry] : logs_) {
            entry.last_flush_ms = now;
        }
    }
    flusher_.start();
    background_ = std::thread([this] { run_background(); });
    if (online == 0) {
        return fail(Errc::log_dir_offline, "none of the log dirs is usable");
    }
    return summary;
}

void LogManager::load_dir(size_t index, LogDirStartup& out) {
    Dir& dir = *dirs_[index];
    const auto t0 = std::chrono::steady_clock::now();
    auto finish = [&] { out.millis = elapsed_ms(t0); };

    std::error_code ec;
    fs::create_directories(dir.path, ec);
    if (ec || !fs::is_directory(dir.path, ec)) {
        mark_dir_offline(
            index, "cannot create or open log dir: " + (ec ? ec.message() : "not a directory"));
        return finish();
    }

    // Kafka resets to "recover everything" when a checkpoint cannot be read.
    auto read_offsets = [&](std::string_view name) -> std::optional<OffsetMap> {
        auto offsets = read_offset_checkpoint(dir.path / name);
        if (offsets) {
            return std::move(offsets).value();
        }
        if (offsets.error().code == Errc::io_error) {
            mark_dir_offline(index, offsets.error().message);
            return std::nullopt;
        }
        logger()->warn("{}; ignoring it: {} logs of {} are recovered from their first segment",
                       offsets.error().message, name, dir.path.string());
        return OffsetMap{};
    };
    auto recovery_points = read_offsets(kRecoveryPointCheckpointFile);
    auto log_start_offsets = read_offsets(kLogStartOffsetCheckpointFile);
    if (!recovery_points || !log_start_offsets) {
        return finish();
    }

    out.had_clean_shutdown = clean_shutdown_marker_exists(dir.path);
    if (out.had_clean_shutdown) {
        // Gone until the next clean shutdown writes it again: a crash in between is detected.
        auto removed = remove_clean_shutdown_marker(dir.path);
        if (!removed) {
            mark_dir_offline(index, removed.error().message);
            return finish();
        }
    }

    std::vector<LoadJob> jobs;
    for (fs::directory_iterator it(dir.path, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (!it->is_directory(type_ec)) {
            continue;
        }
        const std::string name = it->path().filename().string();
        if (ends_with(name, kDeleteDirSuffix)) {
            jobs.push_back(LoadJob{it->path(), std::nullopt});
            continue;
        }
        if (ends_with(name, kFutureDirSuffix) || ends_with(name, kStrayDirSuffix)) {
            logger()->info("Skipping {} (being moved or stray)", it->path().string());
            continue;
        }
        auto tp = TopicPartition::parse_dir_name(name);
        if (!tp) {
            logger()->warn("Skipping {}: not a partition directory", it->path().string());
            continue;
        }
        if (std::find(config_.skip_topics.begin(), config_.skip_topics.end(), tp->topic)
            != config_.skip_topics.end()) {
            continue;
        }
        jobs.push_back(LoadJob{it->path(), std::move(tp)});
    }
    if (ec) {
        mark_dir_offline(index, "cannot list " + dir.path.string() + ": " + ec.message());
        return finish();
    }

    std::atomic<size_t> next{0};
    std::mutex out_mutex;
    auto worker = [&] {
        for (;;) {
            size_t j = next.fetch_add(1);
            if (j >= jobs.size() || dir.offline.load()) {
                return;
            }
            const LoadJob& job = jobs[j];
            if (!job.tp) {
                std::error_code rm_ec;
                fs::remove_all(job.path, rm_ec);
                if (rm_ec) {
                    mark_dir_offline(index,
                                     "cannot delete " + job.path.string() + ": " + rm_ec.message());
                    return;
                }
                std::lock_guard lock(out_mutex);
                ++out.deleted_dirs_removed;
                continue;
            }
            const TopicPartition& tp = *job.tp;
            LogOpenOptions options;
            options.config = config_.default_config;
            auto rp = recovery_points->find(tp);
            options.recovery_point = rp == recovery_points->end() ? 0 : rp->second;
            auto ls = log_start_offsets->find(tp);
            options.log_start_offset = ls == log_start_offsets->end() ? 0 : ls->second;
            options.had_clean_shutdown = out.had_clean_shutdown;
            options.clock = config_.clock;
            options.files = file_cache_.get();
            options.producer_id_expiration_ms = config_.producer_id_expiration_ms;
            RecoveryReport report;
            auto opened = Log::open(job.path, tp, options, &report);
            if (!opened) {
                // Kafka takes the dir offline on any failure to load one of its logs.
                mark_dir_offline(index, "cannot load " + job.path.string() + ": "
                                            + to_string(opened.error().code) + ": "
                                            + opened.error().message);
                return;
            }
            std::shared_ptr<Log> log(std::move(opened).value());
            if (report.bytes_truncated > 0 || report.segments_deleted > 0) {
                logger()->warn(
                    "Recovery of {} cut {} bytes and dropped {} segments (first error: {}); "
                    "rebuilt {} indexes",
                    job.path.string(), report.bytes_truncated, report.segments_deleted,
                    report.first_error.empty() ? "none" : report.first_error,
                    report.indexes_rebuilt);
            }
            std::optional<protocol::Uuid> topic_id;
            auto meta = read_partition_metadata(job.path);
            if (meta) {
                topic_id = *meta;
            } else {
                logger()->warn("{}", meta.error().message);
            }
            const int64_t size = log->size_bytes();
            bool duplicate = false;
            bool lost = false;
            {
                std::lock_guard lock(mutex_);
                if (dir.offline.load()) {
                    // The dir failed while this log loaded: it belongs with the dir's lost logs.
                    offline_logs_.emplace(tp, index);
                    lost = true;
                } else {
                    auto [it, inserted] = logs_.try_emplace(tp, Entry{log, index, topic_id, 0});
                    duplicate = !inserted;
                }
            }
            if (lost) {
                log->close();
                return;
            }
            if (duplicate) {
                logger()->error(
                    "Duplicate log directories for {}: keeping the one loaded first, ignoring {}",
                    tp.dir_name(), job.path.string());
                log->close();
                continue;
            }
            std::lock_guard lock(out_mutex);
            ++out.logs_loaded;
            out.bytes += size;
            out.bytes_validated += report.bytes_validated;
            if (report.bytes_truncated > 0) {
                out.bytes_truncated += report.bytes_truncated;
                ++out.logs_truncated;
            }
        }
    };
    const size_t threads = std::min<size_t>(static_cast<size_t>(config_.recovery_threads_per_dir),
                                            std::max<size_t>(jobs.size(), 1));
    std::vector<std::thread> pool;
    for (size_t i = 1; i < threads; ++i) {
        pool.emplace_back(worker);
    }
    worker();
    for (std::thread& t : pool) {
        t.join();
    }
    finish();
    if (dir.offline.load()) {
        return;
    }
    logger()->info(
        "Loaded {} logs ({} bytes) in {} in {} ms ({} shutdown{}{})", out.logs_loaded, out.bytes,
        dir.path.string(), out.millis, out.had_clean_shutdown ? "clean" : "unclean",
        out.logs_truncated > 0 ? "; logs cut by recovery: " + std::to_string(out.logs_truncated)
                               : std::string(),
        out.deleted_dirs_removed > 0
            ? "; deleted dirs removed: " + std::to_string(out.deleted_dirs_removed)
            : std::string());
}

// ---- Shutdown -----------------------------------------------------------------------------------

void LogManager::shutdown(int64_t broker_epoch) {
    State expected = State::running;
    if (!state_.compare_exchange_strong(expected, State::shut_down)) {
        state_ = State::shut_down;  // never started: nothing to flush
        return;
    }
    {
        std::lock_guard lock(background_mutex_);
        stopping_ = true;
    }
    background_cv_.notify_all();
    if (background_.joinable()) {
        background_.join();
    }
    flusher_.stop();

    const auto t0 = std::chrono::steady_clock::now();
    auto logs = snapshot();
    for (auto& [tp, entry] : logs) {
        if (!dir_online(entry.dir)) {
            continue;
        }
        auto flushed = entry.log->flush(entry.log->log_end_offset());
        if (!flushed) {
            handle_error(entry.dir, flushed.error(), "flush of " + tp.dir_name() + " at shutdown");
        }
    }
    checkpoint_recovery_points();
    checkpoint_log_start_offsets();
    for (auto& [tp, entry] : logs) {
        entry.log->close();
    }
    for (size_t i = 0; i < dirs_.size(); ++i) {
        if (!dir_online(i)) {
            continue;
        }
        auto marked = write_clean_shutdown_marker(dirs_[i]->path, broker_epoch);
        if (!marked) {
            handle_error(i, marked.error(), "clean shutdown marker");
        }
    }
    {
        std::lock_guard lock(mutex_);
        logs_.clear();
    }
    logger()->info("Log manager shut down: {} logs flushed and closed in {} ms", logs.size(),
                   elapsed_ms(t0));
}

// ---- Lookup, creation, removal ------------------------------------------------------------------

Result<std::shared_ptr<Log>> LogManager::get(const TopicPartition& tp) const {
    std::lock_guard lock(mutex_);
    auto it = logs_.find(tp);
    if (it != logs_.end()) {
        return it->second.log;
    }
    auto off = offline_logs_.find(tp);
    if (off != offline_logs_.end()) {
        return fail(Errc::log_dir_offline,
                    tp.dir_name() + " is in offline log dir " + dirs_[off->second]->path.string());
    }
    return fail(Errc::not_found, "no log for " + tp.dir_name());
}

Result<std::shared_ptr<Log>> LogManager::get_or_create(const TopicPartition& tp,
                                                       const LogConfig& config,
                                                       std::optional<protocol::Uuid> topic_id) {
    std::lock_guard create_lock(create_mutex_);
    if (state_.load() == State::shut_down) {
        return fail(Errc::closed, "log manager is shut down");
    }
    size_t chosen = 0;
    std::optional<Entry> existing;
    {
        std::lock_guard lock(mutex_);
        auto it = logs_.find(tp);
        if (it != logs_.end()) {
            existing = it->second;
        } else if (offline_logs_.count(tp) != 0) {
            return fail(Errc::log_dir_offline, tp.dir_name() + " is in an offline log dir");
        }
    }
    if (existing) {
        return assign_topic_id(tp, *existing, topic_id);
    }
    {
        std::lock_guard lock(mutex_);
        std::vector<size_t> counts(dirs_.size(), 0);
        for (const auto& [_, entry] : logs_) {
            ++counts[entry.dir];
        }
        std::optional<size_t> best;
        for (size_t i = 0; i < dirs_.size(); ++i) {
            if (!dirs_[i]->offline.load() && (!best || counts[i] < counts[*best])) {
                best = i;
            }
        }
        if (!best) {
            return fail(Errc::log_dir_offline, "every log dir is offline");
        }
        chosen = *best;
    }
    const fs::path path = dirs_[chosen]->path / tp.dir_name();
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) {
        Error e{Errc::io_error, "cannot create " + path.string() + ": " + ec.message()};
        handle_error(chosen, e, "creating " + tp.dir_name());
        return unexpected<Error>(e);
    }
    if (auto synced = fsync_dir(dirs_[chosen]->path); !synced) {
        handle_error(chosen, synced.error(), "creating " + tp.dir_name());
        return unexpected<Error>(synced.error());
    }
    LogOpenOptions options;
    options.config = config;
    options.had_clean_shutdown = true;  // new: nothing to recover
    options.clock = config_.clock;
    options.files = file_cache_.get();
    options.producer_id_expiration_ms = config_.producer_id_expiration_ms;
    auto opened = Log::open(path, tp, options);
    if (!opened) {
        handle_error(chosen, opened.error(), "creating " + tp.dir_name());
        return unexpected<Error>(opened.error());
    }
    std::shared_ptr<Log> log(std::move(opened).value());
    if (topic_id) {
        auto written = write_partition_metadata(path, *topic_id);
        if (!written) {
            log->close();
            handle_error(chosen, written.error(), "partition.metadata of " + tp.dir_name());
            return unexpected<Error>(written.error());
        }
    }
    {
        std::lock_guard lock(mutex_);
        logs_.emplace(tp, Entry{log, chosen, topic_id, config_.clock()});
    }
    logger()->info("Created log for {} in {}", tp.dir_name(), dirs_[chosen]->path.string());
    return log;
}

Result<std::shared_ptr<Log>> LogManager::assign_topic_id(
    const TopicPartition& tp, const Entry& entry, const std::optional<protocol::Uuid>& topic_id) {
    if (!topic_id || entry.topic_id == topic_id) {
        return entry.log;
    }
    if (entry.topic_id) {
        // Kafka's InconsistentTopicIdException: the dir belongs to an older topic of that name.
        return fail(Errc::corruption, tp.dir_name() + " has topic id " + entry.topic_id->to_string()
                                          + " in partition.metadata, not " + topic_id->to_string());
    }
    auto written = write_partition_metadata(entry.log->dir(), *topic_id);
    if (!written) {
        handle_error(entry.dir, written.error(), "partition.metadata of " + tp.dir_name());
        return unexpected<Error>(written.error());
    }
    std::lock_guard lock(mutex_);
    auto it = logs_.find(tp);
    if (it != logs_.end()) {
        it->second.topic_id = topic_id;
    }
    return entry.log;
}

Result<bool> LogManager::remove(const TopicPartition& tp) {
    std::lock_guard create_lock(create_mutex_);
    Entry entry;
    {
        std::lock_guard lock(mutex_);
        auto it = logs_.find(tp);
        if (it == logs_.end()) {
            if (offline_logs_.count(tp) != 0) {
                return fail(Errc::log_dir_offline, tp.dir_name() + " is in an offline log dir");
            }
            return fail(Errc::not_found, "no log for " + tp.dir_name());
        }
        entry = it->second;
        logs_.erase(it);
    }
    if (config_.on_remove) {
        config_.on_remove(tp);
    }
    entry.log->close();
    const fs::path from = entry.log->dir();
    const fs::path to = from.parent_path() / delete_dir_name(tp);
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
        Error e{Errc::io_error,
                "cannot rename " + from.string() + " to " + to.string() + ": " + ec.message()};
        handle_error(entry.dir, e, "deleting " + tp.dir_name());
        return unexpected<Error>(e);
    }
    if (auto synced = fsync_dir(from.parent_path()); !synced) {
        handle_error(entry.dir, synced.error(), "deleting " + tp.dir_name());
        return unexpected<Error>(synced.error());
    }
    {
        std::lock_guard lock(mutex_);
        pending_deletes_.push_back(PendingDelete{
            to, entry.dir, saturating_add(config_.clock(), config_.file_delete_delay_ms)});
    }
    // Drop it from the checkpoints now, as Kafka does, so a restart does not look for it.
    write_checkpoint(entry.dir, true);
    write_checkpoint(entry.dir, false);
    logger()->info("Log for {} renamed to {}; deleting it in {} ms", tp.dir_name(), to.string(),
                   config_.file_delete_delay_ms);
    return true;
}

std::vector<std::shared_ptr<Log>> LogManager::all_logs() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Log>> out;
    out.reserve(logs_.size());
    for (const auto& [_, entry] : logs_) {
        out.push_back(entry.log);
    }
    return out;
}

std::optional<protocol::Uuid> LogManager::topic_id(const TopicPartition& tp) const {
    std::lock_guard lock(mutex_);
    auto it = logs_.find(tp);
    return it == logs_.end() ? std::nullopt : it->second.topic_id;
}

std::vector<LogDirInfo> LogManager::log_dirs() const {
    std::vector<LogDirInfo> out(dirs_.size());
    auto logs = snapshot();
    {
        std::lock_guard lock(mutex_);
        for (size_t i = 0; i < dirs_.size(); ++i) {
            out[i].path = dirs_[i]->path;
            out[i].offline = dirs_[i]->offline.load();
            out[i].error = dirs_[i]->error;
        }
    }
    for (const auto& [tp, entry] : logs) {
        if (!out[entry.dir].offline) {
            out[entry.dir].partitions.emplace_back(tp, entry.log->size_bytes());
        }
    }
    for (LogDirInfo& info : out) {
        if (info.offline) {
            continue;
        }
        std::error_code ec;
        fs::space_info space = fs::space(info.path, ec);
        if (!ec) {
            info.total_bytes = static_cast<int64_t>(space.capacity);
            info.usable_bytes = static_cast<int64_t>(space.available);
        }
    }
    return out;
}

std::vector<fs::path> LogManager::offline_dirs() const {
    std::vector<fs::path> out;
    for (const auto& d : dirs_) {
        if (d->offline.load()) {
            out.push_back(d->path);
        }
    }
    return out;
}

void LogManager::report_io_error(const TopicPartition& tp, const std::string& message) {
    std::optional<size_t> dir;
    {
        std::lock_guard lock(mutex_);
        auto it = logs_.find(tp);
        if (it != logs_.end()) {
            dir = it->second.dir;
        }
    }
    if (dir) {
        mark_dir_offline(*dir, "I/O error on " + tp.dir_name() + ": " + message);
    }
}

// ---- Log dir failure ----------------------------------------------------------------------------

void LogManager::mark_dir_offline(size_t index, const std::string& reason) {
    Dir& dir = *dirs_[index];
    std::vector<std::shared_ptr<Log>> lost;
    {
        std::lock_guard lock(mutex_);
        if (dir.offline.exchange(true)) {
            return;
        }
        dir.error = reason;
        for (auto it = logs_.begin(); it != logs_.end();) {
            if (it->second.dir == index) {
                lost.push_back(it->second.log);
                offline_logs_.emplace(it->first, index);
                it = logs_.erase(it);
            } else {
                ++it;
            }
        }
    }
    logger()->error("Log dir {} is offline ({} logs lost until restart): {}", dir.path.string(),
                    lost.size(), reason);
    for (const auto& log : lost) {
        log->close();
    }
    if (config_.on_dir_offline) {
        config_.on_dir_offline(dir.path, reason);
    }
}

bool LogManager::handle_error(size_t dir, const Error& error, const std::string& what) {
    if (is_disk_error(error)) {
        mark_dir_offline(dir, what + ": " + error.message);
        return true;
    }
    if (error.code != Errc::closed) {
        logger()->warn("{} failed: {}: {}", what, to_string(error.code), error.message);
    }
    return false;
}

std::optional<size_t> LogManager::dir_of(const fs::path& log_dir) const {
    const fs::path parent = log_dir.parent_path();
    for (size_t i = 0; i < dirs_.size(); ++i) {
        if (dirs_[i]->path == parent) {
            return i;
        }
    }
    std::error_code ec;
    for (size_t i = 0; i < dirs_.size(); ++i) {
        if (fs::equivalent(dirs_[i]->path, parent, ec)) {
            return i;
        }
    }
    return std::nullopt;
}

bool LogManager::dir_online(size_t dir) const {
    return !dirs_[dir]->offline.load();
}

std::vector<std::pair<TopicPartition, LogManager::Entry>> LogManager::snapshot() const {
    std::lock_guard lock(mutex_);
    return {logs_.begin(), logs_.end()};
}

// ---- Background tasks ---------------------------------------------------------------------------

void LogManager::run_background() {
    std::unique_lock lock(background_mutex_);
    while (!stopping_) {
        background_cv_.wait_for(lock, std::chrono::milliseconds(config_.scheduler_poll_ms),
                                [&] { return stopping_; });
        if (stopping_) {
            return;
        }
        lock.unlock();
        run_due_tasks();
        lock.lock();
    }
}

void LogManager::run_due_tasks() {
    std::lock_guard tasks_lock(tasks_mutex_);
    const int64_t now = config_.clock();
    if (now >= next_retention_ms_) {
        next_retention_ms_ = saturating_add(now, config_.retention_check_interval_ms);
        retention_task();
    }
    if (now >= next_flush_ms_) {
        next_flush_ms_ = saturating_add(now, config_.flush_scheduler_interval_ms);
        flush_task(now);
    }
    if (now >= next_recovery_checkpoint_ms_) {
        next_recovery_checkpoint_ms_ =
            saturating_add(now, config_.flush_offset_checkpoint_interval_ms);
        checkpoint_recovery_points();
    }
    if (now >= next_start_checkpoint_ms_) {
        next_start_checkpoint_ms_ =
            saturating_add(now, config_.flush_start_offset_checkpoint_interval_ms);
        checkpoint_log_start_offsets();
    }
    if (now >= next_producer_expiration_ms_) {
        next_producer_expiration_ms_ =
            saturating_add(now, config_.producer_id_expiration_check_interval_ms);
        expire_producers_task();
    }
    delete_task(now);
}

void LogManager::expire_producers_task() {
    size_t expired = 0;
    for (auto& [tp, entry] : snapshot()) {
        if (dir_online(entry.dir)) {
            expired += entry.log->remove_expired_producers();
        }
    }
    if (expired > 0) {
        logger()->info("Expired {} idle producer ids (producer.id.expiration.ms)", expired);
    }
}

void LogManager::retention_task() {
    int32_t deleted = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& [tp, entry] : snapshot()) {
        if (!dir_online(entry.dir)) {
            continue;
        }
        // compact,delete logs too: the cleaner compacts, retention still removes old segments.
        if (entry.log->config().cleanup_delete) {
            auto result = entry.log->delete_retained_segments();
            if (!result) {
                handle_error(entry.dir, result.error(), "retention of " + tp.dir_name());
                continue;
            }
            deleted += *result;
        }
        entry.log->purge_deleted_files();
    }
    if (deleted > 0) {
        logger()->info("Log cleanup completed: {} segments deleted by retention in {} ms", deleted,
                       elapsed_ms(t0));
    }
}

void LogManager::flush_task(int64_t now) {
    for (auto& [tp, entry] : snapshot()) {
        if (!dir_online(entry.dir)) {
            continue;
        }
        const int64_t flush_ms = entry.log->config().flush_ms;
        if (now - entry.last_flush_ms < flush_ms) {
            continue;
        }
        auto flushed = entry.log->flush(entry.log->log_end_offset());
        if (!flushed) {
            handle_error(entry.dir, flushed.error(), "scheduled flush of " + tp.dir_name());
            continue;
        }
        std::lock_guard lock(mutex_);
        auto it = logs_.find(tp);
        if (it != logs_.end()) {
            it->second.last_flush_ms = now;
        }
    }
}

void LogManager::delete_task(int64_t now) {
    std::vector<PendingDelete> due;
    {
        std::lock_guard lock(mutex_);
        for (auto it = pending_deletes_.begin(); it != pending_deletes_.end();) {
            if (it->due_ms <= now) {
                due.push_back(*it);
                it = pending_deletes_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const PendingDelete& d : due) {
        if (!dir_online(d.dir)) {
            continue;  // finished by the next start
        }
        std::error_code ec;
        fs::remove_all(d.path, ec);
        if (ec) {
            handle_error(
                d.dir,
                Error{Errc::io_error, "cannot delete " + d.path.string() + ": " + ec.message()},
                "deleting a removed log");
        } else {
            logger()->info("Deleted log dir {}", d.path.string());
        }
    }
}

void LogManager::checkpoint_recovery_points() {
    for (size_t i = 0; i < dirs_.size(); ++i) {
        write_checkpoint(i, true);
    }
}

void LogManager::checkpoint_log_start_offsets() {
    for (size_t i = 0; i < dirs_.size(); ++i) {
        write_checkpoint(i, false);
    }
}

void LogManager::write_checkpoint(size_t index, bool recovery_points) {
    Dir& dir = *dirs_[index];
    if (!dir_online(index)) {
        return;
    }
    std::lock_guard checkpoint_lock(dir.checkpoint_mutex);
    OffsetMap offsets;
    for (const auto& [tp, entry] : snapshot()) {
        if (entry.dir == index) {
            offsets[tp] =
                recovery_points ? entry.log->recovery_point() : entry.log->log_start_offset();
        }
    }
    const std::string_view name =
        recovery_points ? kRecoveryPointCheckpointFile : kLogStartOffsetCheckpointFile;
    auto written = write_offset_checkpoint(dir.path / name, offsets);
    if (!written) {
        handle_error(index, written.error(), "writing " + std::string(name));
    }
}

}  // namespace gregor::storage

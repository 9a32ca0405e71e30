#include "gregor/storage/flusher.h"

#include "gregor/common/logging.h"
#include "gregor/storage/log.h"

#include <chrono>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gregor::storage {

Flusher::Flusher(FlusherConfig config) : config_(std::move(config)) {
    GREGOR_ASSERT(config_.max_pending > 0, "flusher queue bound must be positive");
}

Flusher::~Flusher() {
    stop();
}

void Flusher::start() {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) {
        return;
    }
    started_ = true;
    thread_ = std::thread([this] { run(); });
    thread_id_ = thread_.get_id();
}

void Flusher::request_flush(std::shared_ptr<Log> log, int64_t offset, Callback done) {
    enqueue(log, offset, done, true);
}

bool Flusher::try_request_flush(std::shared_ptr<Log> log, int64_t offset, Callback done) {
    return enqueue(log, offset, done, false);
}

bool Flusher::enqueue(std::shared_ptr<Log>& log, int64_t offset, Callback& done, bool block) {
    GREGOR_ASSERT(log != nullptr, "request_flush needs a log");
    std::unique_lock lock(mutex_);
    // The flusher's own callbacks may queue more work; blocking them would deadlock.
    const bool on_flusher_thread = started_ && std::this_thread::get_id() == thread_id_;
    if (!on_flusher_thread && !stopping_ && queue_.size() >= config_.max_pending) {
        if (!block) {
            return false;
        }
        space_.wait(lock, [&] { return stopping_ || queue_.size() < config_.max_pending; });
    }
    if (stopping_) {
        ++stats_.requests;
        lock.unlock();
        done(fail(Errc::closed, "flusher stopped"));
        return true;
    }
    queue_.push_back(Request{std::move(log), offset, std::move(done)});
    lock.unlock();
    wake_.notify_one();
    return true;
}

void Flusher::stop() {
    std::deque<Request> left;
    {
        std::unique_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    space_.notify_all();
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) {
        thread_.join();
    }
    {
        std::lock_guard lock(mutex_);
        left.swap(queue_);
        stats_.requests += left.size();
    }
    for (Request& r : left) {
        r.done(fail(Errc::closed, "flusher stopped"));
    }
}

FlusherStats Flusher::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

size_t Flusher::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void Flusher::run() {
    using Steady = std::chrono::steady_clock;
    const auto tick = std::chrono::milliseconds(config_.tick_ms);
    std::optional<Steady::time_point> last_round;
    std::deque<Request> batch;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
            return;
        }
        // Busy recently: let requests gather until a tick after the previous round began. Idle
        // long enough: go at once.
        if (last_round && Steady::now() < *last_round + tick) {
            wake_.wait_until(lock, *last_round + tick, [&] { return stopping_; });
            if (stopping_) {
                return;
            }
        }
        last_round = Steady::now();
        batch.swap(queue_);
        lock.unlock();
        space_.notify_all();
        flush_round(batch);
        batch.clear();
        lock.lock();
    }
}

void Flusher::flush_round(std::deque<Request>& batch) {
    // One flush per log, to the highest offset asked of it, in order of first request.
    struct Target {
        Log* log;
        int64_t offset;
        std::optional<Result<int64_t>> result;
    };
    std::vector<Target> targets;
    std::unordered_map<Log*, size_t> index;
    std::vector<size_t> target_of(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
        Log* log = batch[i].log.get();
        auto [it, inserted] = index.try_emplace(log, targets.size());
        if (inserted) {
            targets.push_back(Target{log, batch[i].offset, std::nullopt});
        } else if (batch[i].offset > targets[it->second].offset) {
            targets[it->second].offset = batch[i].offset;
        }
        target_of[i] = it->second;
    }
    uint64_t calls = 0;
    uint64_t skipped = 0;
    for (Target& t : targets) {
        int64_t recovered = t.log->recovery_point();
        if (recovered >= t.offset) {
            t.result.emplace(recovered);
            ++skipped;
            continue;
        }
        ++calls;
        t.result.emplace(t.log->flush(t.offset));
        if (!t.result->has_value()) {
            const Error& e = t.result->error();
            log::get("storage")->error("group flush of {} to offset {} failed: {}: {}",
                                       t.log->topic_partition().dir_name(), t.offset,
                                       to_string(e.code), e.message);
            if (config_.on_error) {
                config_.on_error(*t.log, e);
            }
        }
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.rounds;
        stats_.flush_calls += calls;
        stats_.flushes_skipped += skipped;
        stats_.requests += batch.size();
    }
    for (size_t i = 0; i < batch.size(); ++i) {
        batch[i].done(*targets[target_of[i]].result);
    }
}

}  // namespace gregor::storage

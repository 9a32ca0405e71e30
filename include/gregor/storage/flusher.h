#pragma once

// Group commit: many producers wait for their appends to reach the disk, and one fdatasync per
// dirty segment per tick serves them all.
//
// request_flush() queues (log, offset, callback). A dedicated thread takes everything queued, calls
// Log::flush once per log with the highest offset asked of it (skipping logs whose recovery point
// already covers it), then completes every waiter in the order they were queued: with the log's
// new recovery point, or with the flush's error. When the thread is idle a request is served at
// once; while it is busy, requests gather and the next round starts at least `tick_ms` after the
// previous one began, so under load the rounds are evenly spaced and each fsync is shared widely.
//
// Callbacks run on the flusher thread: they must be short and must not block on the flusher (they
// may call request_flush). The queue holds at most `max_pending` requests; request_flush blocks
// its caller while it is full (back-pressure on producers), except from a callback on the flusher
// thread itself; try_request_flush refuses instead. stop() completes everything still queued with
// Errc::closed; requests after stop() complete at once with Errc::closed.
//
// Threads: every method may be called from any thread.

#include "gregor/storage/errors.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace gregor::storage {

class Log;

struct FlusherConfig {
    // Minimum spacing between the starts of two flush rounds while requests keep arriving.
    int64_t tick_ms = 2;
    // Bound on queued requests; request_flush blocks while it is reached.
    size_t max_pending = 65536;
    // Called (on the flusher thread) when a log's flush fails, e.g. so the LogManager takes the
    // log's directory offline on an io_error. May be empty.
    std::function<void(Log&, const Error&)> on_error;
};

// Counters for tests and metrics.
struct FlusherStats {
    uint64_t rounds = 0;           // rounds that had at least one request
    uint64_t flush_calls = 0;      // Log::flush calls made
    uint64_t flushes_skipped = 0;  // logs whose recovery point already covered every request
    uint64_t requests = 0;         // requests completed (any outcome)
};

class Flusher {
public:
    using Callback = std::function<void(Result<int64_t>)>;

    explicit Flusher(FlusherConfig config = {});
    ~Flusher();  // stop()
    Flusher(const Flusher&) = delete;
    Flusher& operator=(const Flusher&) = delete;

    // Starts the flusher thread. Requests made before start() wait for it.
    void start();

    // Calls `done` once everything below `offset` in `log` is on disk (Log::flush(offset) or a
    // later flush covered it), with the log's recovery point; or with the flush's error.
    // Blocks while the queue is full: never call it on a network thread (use try_request_flush).
    void request_flush(std::shared_ptr<Log> log, int64_t offset, Callback done);
    // As request_flush, but never blocks: false (and `done` is not called) when the queue is
    // full. For network threads, which must answer the producer (e.g. REQUEST_TIMED_OUT) instead.
    bool try_request_flush(std::shared_ptr<Log> log, int64_t offset, Callback done);

    // Stops the thread after the round in progress; completes every queued request with
    // Errc::closed. Idempotent.
    void stop();

    FlusherStats stats() const;
    size_t pending() const;

private:
    struct Request {
        std::shared_ptr<Log> log;
        int64_t offset;
        Callback done;
    };

    bool enqueue(std::shared_ptr<Log>& log, int64_t offset, Callback& done, bool block);
    void run();
    void flush_round(std::deque<Request>& batch);

    const FlusherConfig config_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;   // the flusher: requests arrived or stopping
    std::condition_variable space_;  // producers: the queue has room again
    std::deque<Request> queue_;      // guarded by mutex_
    bool started_ = false;           // guarded by mutex_
    bool stopping_ = false;          // guarded by mutex_
    FlusherStats stats_;             // guarded by mutex_
    std::thread thread_;
    std::thread::id thread_id_;  // set before the thread runs; read-only afterwards
};

}  // namespace gregor::storage

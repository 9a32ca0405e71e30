#pragma once

// The purgatory for operations that wait on partitions (Kafka's DelayedOperationPurgatory, for
// Asio coroutines): a long-poll Fetch waiting for bytes, an acks=all Produce waiting for the high
// watermark. Instead of a timing wheel and a reaper thread, a parked coroutine sleeps on its own
// steady_timer (its deadline) and a WatchList keyed by partition wakes it early.
//
// The producer of changes (the append path, the high-watermark update) calls
// notify(tp, changes); every watch on that partition interested in those changes has its callback
// posted to the watch's own executor (the connection's network thread). Wake-ups coalesce: while
// one is posted and not yet run, further notifications of that watch post nothing, so the posted
// work is bounded by the number of watches. The number of watches is bounded by `max_watches`
// (gregor.delayed.operations.max): past it watch()/park() refuse and the caller answers at once.
//
// A coroutine's loop (registering before checking, as Kafka's tryCompleteElseWatch, so that a
// change between the check and the wait is not lost):
//   auto parked = ParkedOperation::park(list, partitions, kHighWatermarkChanged, executor);
//   for (;;) {
//       if (condition met) break;            // e.g. enough bytes, or the HW reached the offset
//       if (!parked || !co_await parked->wait_until(deadline)) break;   // full, or timed out
//   }
//   // parked goes out of scope: its watch is removed
//
// Threads: notify() and notify_all() may be called from any thread. A Watch or a ParkedOperation
// belongs to its executor, which must run its handlers one at a time (an io_context run by one
// thread, or a strand); destroy it there, and its callback never runs afterwards.

#include "gregor/storage/topic_partition.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace gregor::replication {

// What changed on a partition (a bit set).
inline constexpr uint32_t kHighWatermarkChanged = 1u << 0;
inline constexpr uint32_t kLogEndChanged = 1u << 1;
inline constexpr uint32_t kAnyPartitionChange = kHighWatermarkChanged | kLogEndChanged;

class WatchList {
    struct Entry;

public:
    explicit WatchList(size_t max_watches);
    ~WatchList();
    WatchList(const WatchList&) = delete;
    WatchList& operator=(const WatchList&) = delete;

    // A registered interest; removing it (destruction or reset()) unregisters it.
    class Watch {
    public:
        Watch() = default;
        Watch(Watch&& o) noexcept;
        Watch& operator=(Watch&& o) noexcept;
        ~Watch() { reset(); }
        void reset();
        explicit operator bool() const { return entry_ != nullptr; }

    private:
        friend class WatchList;
        Watch(WatchList* list, std::shared_ptr<Entry> entry)
            : list_(list), entry_(std::move(entry)) {}
        WatchList* list_ = nullptr;
        std::shared_ptr<Entry> entry_;
    };

    // Posts `on_change` to `executor` whenever one of `changes` happens on one of `partitions`
    // (coalesced: at most one posted at a time). nullopt when max_watches watches exist.
    std::optional<Watch> watch(std::vector<storage::TopicPartition> partitions,
                               uint32_t changes,
                               boost::asio::any_io_executor executor,
                               std::function<void()> on_change);

    void notify(const storage::TopicPartition& tp, uint32_t changes);
    // Wakes every watch (shutdown, leadership or metadata changes).
    void notify_all();

    size_t size() const;
    size_t max_watches() const { return max_watches_; }
    uint64_t rejected() const;  // watch() calls refused for the bound
    uint64_t wakeups() const;   // callbacks posted

private:
    struct TpHash {
        size_t operator()(const storage::TopicPartition& tp) const;
    };
    void unregister(const std::shared_ptr<Entry>& entry);
    static void post_wakeups(std::vector<std::shared_ptr<Entry>>& due);
    void collect_locked(const std::vector<std::shared_ptr<Entry>>& entries,
                        uint32_t changes,
                        std::vector<std::shared_ptr<Entry>>& due);

    const size_t max_watches_;
    mutable std::mutex mutex_;
    std::unordered_map<storage::TopicPartition, std::vector<std::shared_ptr<Entry>>, TpHash>
        by_partition_;
    size_t count_ = 0;
    uint64_t rejected_ = 0;
    uint64_t wakeups_ = 0;
};

// A coroutine parked on a WatchList until a change or its deadline.
class ParkedOperation {
public:
    // nullopt when the WatchList is full.
    static std::optional<ParkedOperation> park(WatchList& list,
                                               std::vector<storage::TopicPartition> partitions,
                                               uint32_t changes,
                                               const boost::asio::any_io_executor& executor);

    ParkedOperation(ParkedOperation&&) noexcept = default;
    ParkedOperation& operator=(ParkedOperation&&) noexcept = default;

    // true: a watched change happened since park() or since the last wait that returned true;
    // false: `deadline` passed first. Call from the executor given to park().
    boost::asio::awaitable<bool> wait_until(std::chrono::steady_clock::time_point deadline);

    // A change is pending (the next wait_until returns true at once).
    bool changed() const { return state_->changed; }

private:
    struct State {
        explicit State(const boost::asio::any_io_executor& ex) : timer(ex) {}
        boost::asio::steady_timer timer;
        bool changed = false;
    };
    explicit ParkedOperation(std::shared_ptr<State> state) : state_(std::move(state)) {}

    std::shared_ptr<State> state_;
    WatchList::Watch watch_;  // declared last: unregistered first
};

}  // namespace gregor::replication

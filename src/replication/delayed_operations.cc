#include "gregor/replication/delayed_operations.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <utility>

namespace gregor::replication {

namespace asio = boost::asio;

struct WatchList::Entry {
    std::vector<storage::TopicPartition> partitions;
    uint32_t changes = 0;
    asio::any_io_executor executor;
    std::function<void()> on_change;
    std::atomic<bool> posted{false};  // a wake-up is queued and has not run yet
    std::atomic<bool> closed{false};  // unregistered: queued wake-ups are dropped
};

size_t WatchList::TpHash::operator()(const storage::TopicPartition& tp) const {
    return std::hash<std::string>{}(tp.topic) * 31
           + static_cast<size_t>(static_cast<uint32_t>(tp.partition));
}

WatchList::WatchList(size_t max_watches) : max_watches_(max_watches) {}
WatchList::~WatchList() = default;

std::optional<WatchList::Watch> WatchList::watch(std::vector<storage::TopicPartition> partitions,
                                                 uint32_t changes,
                                                 asio::any_io_executor executor,
                                                 std::function<void()> on_change) {
    auto entry = std::make_shared<Entry>();
    std::sort(partitions.begin(), partitions.end());
    partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
    entry->partitions = std::move(partitions);
    entry->changes = changes;
    entry->executor = std::move(executor);
    entry->on_change = std::move(on_change);

    std::lock_guard lock(mutex_);
    if (count_ >= max_watches_) {
        ++rejected_;
        return std::nullopt;
    }
    for (const auto& tp : entry->partitions) {
        by_partition_[tp].push_back(entry);
    }
    ++count_;
    return Watch(this, std::move(entry));
}

void WatchList::unregister(const std::shared_ptr<Entry>& entry) {
    entry->closed = true;
    std::lock_guard lock(mutex_);
    for (const auto& tp : entry->partitions) {
        auto it = by_partition_.find(tp);
        if (it == by_partition_.end()) {
            continue;
        }
        std::erase(it->second, entry);
        if (it->second.empty()) {
            by_partition_.erase(it);
        }
    }
    --count_;
}

void WatchList::collect_locked(const std::vector<std::shared_ptr<Entry>>& entries,
                               uint32_t changes,
                               std::vector<std::shared_ptr<Entry>>& due) {
    for (const auto& e : entries) {
        if ((e->changes & changes) != 0 && !e->posted.exchange(true)) {
            due.push_back(e);
            ++wakeups_;
        }
    }
}

void WatchList::post_wakeups(std::vector<std::shared_ptr<Entry>>& due) {
    for (auto& e : due) {
        asio::any_io_executor ex = e->executor;
        asio::post(ex, [e = std::move(e)] {
            // Cleared before the callback so that a change it misses posts again.
            e->posted = false;
            if (!e->closed) {
                e->on_change();
            }
        });
    }
}

void WatchList::notify(const storage::TopicPartition& tp, uint32_t changes) {
    std::vector<std::shared_ptr<Entry>> due;
    {
        std::lock_guard lock(mutex_);
        auto it = by_partition_.find(tp);
        if (it == by_partition_.end()) {
            return;
        }
        collect_locked(it->second, changes, due);
    }
    // Posted outside the lock: posting allocates, and notifiers are on the append path.
    post_wakeups(due);
}

void WatchList::notify_all() {
    std::vector<std::shared_ptr<Entry>> due;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [tp, entries] : by_partition_) {
            collect_locked(entries, kAnyPartitionChange, due);
        }
    }
    post_wakeups(due);
}

size_t WatchList::size() const {
    std::lock_guard lock(mutex_);
    return count_;
}

uint64_t WatchList::rejected() const {
    std::lock_guard lock(mutex_);
    return rejected_;
}

uint64_t WatchList::wakeups() const {
    std::lock_guard lock(mutex_);
    return wakeups_;
}

// --- Watch ---

WatchList::Watch::Watch(Watch&& o) noexcept
    : list_(std::exchange(o.list_, nullptr)), entry_(std::move(o.entry_)) {}

WatchList::Watch& WatchList::Watch::operator=(Watch&& o) noexcept {
    if (this != &o) {
        reset();
        list_ = std::exchange(o.list_, nullptr);
        entry_ = std::move(o.entry_);
    }
    return *this;
}

void WatchList::Watch::reset() {
    if (entry_ != nullptr) {
        list_->unregister(entry_);
        entry_.reset();
        list_ = nullptr;
    }
}

// --- ParkedOperation ---

std::optional<ParkedOperation> ParkedOperation::park(
    WatchList& list,
    std::vector<storage::TopicPartition> partitions,
    uint32_t changes,
    const asio::any_io_executor& executor) {
    auto state = std::make_shared<State>(executor);
    std::weak_ptr<State> weak = state;
    auto watch = list.watch(std::move(partitions), changes, executor, [weak] {
        if (auto s = weak.lock()) {
            s->changed = true;
            s->timer.cancel();
        }
    });
    if (!watch) {
        return std::nullopt;
    }
    ParkedOperation op(std::move(state));
    op.watch_ = std::move(*watch);
    return op;
}

asio::awaitable<bool> ParkedOperation::wait_until(std::chrono::steady_clock::time_point deadline) {
    if (!state_->changed) {
        state_->timer.expires_at(deadline);
        boost::system::error_code ec;
        co_await state_->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    bool changed = std::exchange(state_->changed, false);
    co_return changed;
}

}  // namespace gregor::replication

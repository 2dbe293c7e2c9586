#pragma once
// CommitSignal: how the log tells readers that head moved, and which positions the fsync in progress is making
// durable. Subscriptions and wait_for() sleep on it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/event_log.hpp"

namespace codd::engine::detail {

class CommitSignal {
public:
    // Advances head (never backwards) and wakes every waiter.
    void publish(std::uint64_t head);
    // Advances syncing(): the syncer is about to make every position up to `last` durable (written, readable).
    void publish_syncing(std::uint64_t last);
    // Wakes every waiter without moving anything (stopping subscriptions).
    void poke();
    // The log stopped accepting appends after a failed write or fsync: what was written past head() may never become
    // durable. Wakes every waiter.
    void fail();
    [[nodiscard]] bool failed() const { return failed_.load(); }
    void shut();
    [[nodiscard]] bool is_shut() const { return shut_.load(); }

    [[nodiscard]] std::uint64_t head() const { return head_.load(std::memory_order_acquire); }
    // The last position of the fsync in progress, or head() when none runs: never behind head().
    [[nodiscard]] std::uint64_t syncing() const;
    // Blocks until head > seen, the signal is shut or poked, `*cancel` is set (checked under the signal's lock, so
    // a canceller that sets it and then pokes is never missed), or the timeout passes; returns head.
    std::uint64_t wait_beyond(std::uint64_t seen, std::chrono::milliseconds timeout,
                              const std::atomic<bool>* cancel = nullptr) const;
    // Blocks until head >= last, or it may never be (failed(), shut), or `*cancel` is set; returns head >= last.
    bool wait_durable(std::uint64_t last, const std::atomic<bool>* cancel) const;
    // The same as wait_beyond for syncing(); returns syncing().
    std::uint64_t wait_syncing_beyond(std::uint64_t seen, std::chrono::milliseconds timeout,
                                      const std::atomic<bool>* cancel = nullptr) const;

private:
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;          // head
    mutable std::condition_variable syncing_cv_;  // syncing
    std::atomic<std::uint64_t> head_{0};
    std::atomic<std::uint64_t> syncing_{0};
    std::atomic<bool> shut_{false};
    std::atomic<bool> failed_{false};
    std::uint64_t pokes_ = 0;
};

// Reads the events from `from` to `upto` (inclusive), at most `max`, into `out` (replaced).
using RangeReader =
    std::function<void(std::uint64_t from, std::uint64_t upto, std::size_t max, std::vector<RecordedEvent>& out)>;

std::unique_ptr<Subscription> start_subscription(RangeReader read, CommitSignal& signal, GlobalPosition from,
                                                 std::function<void(std::span<const RecordedEvent>)> handler,
                                                 std::size_t max_batch);

// EventLog::subscribe_staged: batches end at syncing(), so a batch is what the fsync in progress makes durable
// (and what was durable before it). Once the signal failed(), the subscription reads up to head() only.
std::unique_ptr<Subscription> start_staged_subscription(RangeReader read, CommitSignal& signal, GlobalPosition from,
                                                        StagedHandler handler, std::size_t max_batch);

}  // namespace codd::engine::detail

#pragma once
// CommitSignal: how the writer tells readers that head moved (and what it has written). Subscriptions and
// wait_for() sleep on it.

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
    // Advances what the writer has written (not yet durable) and wakes the waiters for it.
    void publish_written(std::uint64_t written);
    [[nodiscard]] std::uint64_t head() const { return head_.load(std::memory_order_acquire); }
    // The last position written, durable or not: never behind head().
    [[nodiscard]] std::uint64_t written() const;
    // Blocks until head > seen, the signal is shut or poked, or the timeout passes; returns head.
    std::uint64_t wait_beyond(std::uint64_t seen, std::chrono::milliseconds timeout) const;
    // The same for written(); returns written().
    std::uint64_t wait_written_beyond(std::uint64_t seen, std::chrono::milliseconds timeout) const;
    // Wakes every waiter without moving head (used to stop subscriptions).
    void poke();
    void shut();
    [[nodiscard]] bool is_shut() const { return shut_.load(); }

private:
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;          // head
    mutable std::condition_variable written_cv_;  // written
    std::atomic<std::uint64_t> head_{0};
    std::atomic<std::uint64_t> written_{0};
    std::atomic<bool> shut_{false};
    std::uint64_t pokes_ = 0;
};

// Reads the events from `from` to `upto` (inclusive), at most `max`, into `out` (replaced).
using RangeReader =
    std::function<void(std::uint64_t from, std::uint64_t upto, std::size_t max, std::vector<RecordedEvent>& out)>;

std::unique_ptr<Subscription> start_subscription(RangeReader read, CommitSignal& signal, GlobalPosition from,
                                                 std::function<void(std::span<const RecordedEvent>)> handler,
                                                 std::size_t max_batch);

// EventLog::subscribe_staged. `failed` tells that the log stopped accepting appends: what it wrote may then never
// become durable, and the subscription reads up to head() only from then on.
std::unique_ptr<Subscription> start_staged_subscription(RangeReader read, CommitSignal& signal,
                                                        std::function<bool()> failed, GlobalPosition from,
                                                        StagedHandler handler, std::size_t max_batch);

}  // namespace codd::engine::detail

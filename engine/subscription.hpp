#pragma once
// CommitSignal: how the writer tells readers that head moved. Subscriptions and wait_for() sleep on it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "engine/event_log.hpp"

namespace codd::engine::detail {

class CommitSignal {
public:
    // Advances head (never backwards) and wakes every waiter.
    void publish(std::uint64_t head);
    [[nodiscard]] std::uint64_t head() const { return head_.load(std::memory_order_acquire); }
    // Blocks until head > seen, the signal is shut or poked, or the timeout passes; returns head.
    std::uint64_t wait_beyond(std::uint64_t seen, std::chrono::milliseconds timeout) const;
    // Wakes every waiter without moving head (used to stop subscriptions).
    void poke();
    void shut();
    [[nodiscard]] bool is_shut() const { return shut_.load(); }

private:
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::atomic<std::uint64_t> head_{0};
    std::atomic<bool> shut_{false};
    std::uint64_t pokes_ = 0;
};

std::unique_ptr<Subscription> start_subscription(const EventLog& log, CommitSignal& signal, GlobalPosition from,
                                                 std::function<void(std::span<const RecordedEvent>)> handler,
                                                 std::size_t max_batch);

}  // namespace codd::engine::detail

#include "engine/subscription.hpp"

#include <thread>

#include "engine/thread_name.hpp"

namespace codd::engine::detail {

void CommitSignal::publish(std::uint64_t head) {
    {
        std::lock_guard lock(mu_);
        if (head <= head_.load()) return;
        head_.store(head, std::memory_order_release);
    }
    cv_.notify_all();
}

std::uint64_t CommitSignal::wait_beyond(std::uint64_t seen, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    const std::uint64_t pokes = pokes_;
    cv_.wait_for(lock, timeout, [&] { return head_.load() > seen || shut_.load() || pokes_ != pokes; });
    return head_.load();
}

void CommitSignal::poke() {
    {
        std::lock_guard lock(mu_);
        ++pokes_;
    }
    cv_.notify_all();
}

void CommitSignal::shut() {
    shut_.store(true);
    poke();
}

namespace {

class ThreadSubscription final : public Subscription {
public:
    ThreadSubscription(const EventLog& log, CommitSignal& signal, GlobalPosition from,
                       std::function<void(std::span<const RecordedEvent>)> handler, std::size_t max_batch)
        : log_(log),
          signal_(signal),
          handler_(std::move(handler)),
          max_batch_(max_batch == 0 ? 1 : max_batch),
          position_(from.value() > 0 ? from.value() - 1 : 0) {
        thread_ = std::thread([this] { run(); });
        name_thread(thread_, "codd-subscriber");
    }

    ~ThreadSubscription() override { stop(); }

    [[nodiscard]] GlobalPosition position() const override { return GlobalPosition{position_.load()}; }

    [[nodiscard]] std::string error() const override {
        std::lock_guard lock(mu_);
        return error_;
    }

    void stop() override {
        stopping_.store(true);
        signal_.poke();
        if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    }

private:
    void run() {
        while (!stopping_.load()) {
            const std::uint64_t seen = position_.load();
            if (signal_.head() <= seen) {
                if (signal_.is_shut()) return;
                signal_.wait_beyond(seen, std::chrono::milliseconds(500));
                continue;
            }
            try {
                auto batch = log_.read_all(GlobalPosition{seen + 1}, max_batch_);
                if (batch.empty()) continue;
                handler_(std::span<const RecordedEvent>(batch));
                position_.store(batch.back().position.value());
            } catch (const std::exception& e) {
                std::lock_guard lock(mu_);
                error_ = e.what();
                return;
            }
        }
    }

    const EventLog& log_;
    CommitSignal& signal_;
    std::function<void(std::span<const RecordedEvent>)> handler_;
    std::size_t max_batch_;
    std::atomic<std::uint64_t> position_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mu_;
    std::string error_;
    std::thread thread_;
};

}  // namespace

std::unique_ptr<Subscription> start_subscription(const EventLog& log, CommitSignal& signal, GlobalPosition from,
                                                 std::function<void(std::span<const RecordedEvent>)> handler,
                                                 std::size_t max_batch) {
    return std::make_unique<ThreadSubscription>(log, signal, from, std::move(handler), max_batch);
}

}  // namespace codd::engine::detail

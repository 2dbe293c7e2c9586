#include "engine/subscription.hpp"

#include <algorithm>
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
    syncing_cv_.notify_all();  // syncing() is never behind head()
}

void CommitSignal::publish_syncing(std::uint64_t last) {
    {
        std::lock_guard lock(mu_);
        if (last <= syncing_.load()) return;
        syncing_.store(last, std::memory_order_release);
    }
    syncing_cv_.notify_all();
}

std::uint64_t CommitSignal::syncing() const {
    return std::max(syncing_.load(std::memory_order_acquire), head_.load(std::memory_order_acquire));
}

std::uint64_t CommitSignal::wait_beyond(std::uint64_t seen, std::chrono::milliseconds timeout,
                                        const std::atomic<bool>* cancel) const {
    std::unique_lock lock(mu_);
    const std::uint64_t pokes = pokes_;
    cv_.wait_for(lock, timeout, [&] {
        return head_.load() > seen || shut_.load() || pokes_ != pokes || (cancel != nullptr && cancel->load());
    });
    return head_.load();
}

std::uint64_t CommitSignal::wait_syncing_beyond(std::uint64_t seen, std::chrono::milliseconds timeout,
                                                const std::atomic<bool>* cancel) const {
    std::unique_lock lock(mu_);
    const std::uint64_t pokes = pokes_;
    syncing_cv_.wait_for(lock, timeout, [&] {
        return syncing() > seen || shut_.load() || pokes_ != pokes || (cancel != nullptr && cancel->load());
    });
    return syncing();
}

void CommitSignal::poke() {
    {
        std::lock_guard lock(mu_);
        ++pokes_;
    }
    cv_.notify_all();
    syncing_cv_.notify_all();
}

bool CommitSignal::wait_durable(std::uint64_t last, const std::atomic<bool>* cancel) const {
    std::unique_lock lock(mu_);
    // The timeout is a backstop only: whatever ends the wait notifies.
    cv_.wait_for(lock, std::chrono::seconds(1), [&] {
        return head_.load() >= last || shut_.load() || failed_.load() || (cancel != nullptr && cancel->load());
    });
    return head_.load() >= last;
}

void CommitSignal::fail() {
    {
        std::lock_guard lock(mu_);
        failed_.store(true);
        ++pokes_;  // also ends wait_beyond's waits (command_result's): nothing more will become durable
    }
    cv_.notify_all();
    syncing_cv_.notify_all();
}

void CommitSignal::shut() {
    shut_.store(true);
    poke();
}

namespace {

using Handler = std::function<void(std::span<const RecordedEvent>)>;

// One thread that reads batches and hands them over: durable events to a Handler, or (staged) those of the fsync
// in progress too to a StagedHandler, which learns from `durable` when it may make them visible.
class ThreadSubscription final : public Subscription {
public:
    ThreadSubscription(RangeReader read, CommitSignal& signal, GlobalPosition from, Handler handler,
                       StagedHandler staged, std::size_t max_batch)
        : read_(std::move(read)),
          signal_(signal),
          handler_(std::move(handler)),
          staged_(std::move(staged)),
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
    // Staged while the log is healthy and open; once it failed, what it wrote past head() may never be durable
    // (once it closed, head() is all it will ever make durable).
    [[nodiscard]] bool early() const { return staged_ && !signal_.failed() && !signal_.is_shut(); }

    void run() {
        std::vector<RecordedEvent> batch;
        while (!stopping_.load()) {
            const std::uint64_t seen = position_.load();
            const bool early_read = early();
            const std::uint64_t upto = early_read ? signal_.syncing() : signal_.head();
            if (upto <= seen) {
                if (signal_.is_shut()) return;
                if (early_read) {
                    signal_.wait_syncing_beyond(seen, std::chrono::milliseconds(500), &stopping_);
                } else {
                    signal_.wait_beyond(seen, std::chrono::milliseconds(500), &stopping_);
                }
                continue;
            }
            try {
                read_(seen + 1, upto, max_batch_, batch);
                if (batch.empty()) continue;
                const std::uint64_t last = batch.back().position.value();
                if (staged_) {
                    bool asked = false, durable = false;
                    const std::function<bool()> await = [&] {
                        if (!asked) durable = await_durable(last);
                        asked = true;
                        return durable;
                    };
                    staged_(std::span<const RecordedEvent>(batch), await);
                    // A handler that did not ask made nothing visible early; it is done once the batch is durable.
                    if (!await()) continue;  // discarded by the handler: handed again (or the thread stops)
                } else {
                    handler_(std::span<const RecordedEvent>(batch));
                }
                position_.store(last);
            } catch (const std::exception& e) {
                std::lock_guard lock(mu_);
                error_ = e.what();
                return;
            }
        }
    }

    // Blocks until head() >= last; false when it will not get there (the log failed or closed) or the
    // subscription is stopping.
    bool await_durable(std::uint64_t last) const {
        while (signal_.head() < last) {
            if (stopping_.load() || signal_.failed() || signal_.is_shut()) return signal_.head() >= last;
            signal_.wait_durable(last, &stopping_);
        }
        return true;
    }

    RangeReader read_;
    CommitSignal& signal_;
    Handler handler_;
    StagedHandler staged_;  // set: a staged subscription (handler_ unused)
    std::size_t max_batch_;
    std::atomic<std::uint64_t> position_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mu_;
    std::string error_;
    std::thread thread_;
};

}  // namespace

std::unique_ptr<Subscription> start_subscription(RangeReader read, CommitSignal& signal, GlobalPosition from,
                                                 Handler handler, std::size_t max_batch) {
    return std::make_unique<ThreadSubscription>(std::move(read), signal, from, std::move(handler), StagedHandler{},
                                                max_batch);
}

std::unique_ptr<Subscription> start_staged_subscription(RangeReader read, CommitSignal& signal, GlobalPosition from,
                                                        StagedHandler handler, std::size_t max_batch) {
    return std::make_unique<ThreadSubscription>(std::move(read), signal, from, Handler{}, std::move(handler),
                                                max_batch);
}

}  // namespace codd::engine::detail

#include "projections/runner.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string>

#include "engine/thread_name.hpp"

namespace codd::projections {

namespace {

// when_applied's callbacks must not throw; one that does loses only its own call, never the runner's thread.
void call(const std::function<void(bool)>& fn, bool applied) noexcept {
    try {
        fn(applied);
    } catch (...) {
    }
}

void call_all(const std::vector<std::function<void(bool)>>& calls, bool applied) noexcept {
    for (const auto& fn : calls) call(fn, applied);
}

// Removes the rebuild file when a rebuild ends, whether it succeeded or threw.
class RemoveOnExit {
  public:
    explicit RemoveOnExit(std::filesystem::path file) : file_(std::move(file)) {}
    ~RemoveOnExit() {
        try {
            remove_view_file(file_);
        } catch (const std::exception&) {
            // A leftover <file>.rebuild is harmless: the next rebuild removes it first.
        }
    }
    RemoveOnExit(const RemoveOnExit&) = delete;
    RemoveOnExit& operator=(const RemoveOnExit&) = delete;

  private:
    std::filesystem::path file_;
};

}  // namespace

ProjectionRunner::ProjectionRunner(engine::EventLog& log, std::filesystem::path db_file, Projection& projection,
                                   RunnerOptions options)
    : log_(log),
      file_(std::move(db_file)),
      projection_(projection),
      options_(std::move(options)),
      writer_(file_, projection_, options_.clock, options_.database),
      checkpointer_(writer_.db()),
      position_(writer_.checkpoint()) {
    // A view ahead of its log means the log lost events it had (a damaged or replaced log) or the view belongs
    // to another log: serving it would show what the log no longer holds, and new events at those positions
    // would be skipped as already applied.
    if (const auto head = log_.head(); position_ > head) {
        throw std::runtime_error("the view " + file_.string() + " has applied the event log up to position " +
                                 std::to_string(position_.value()) + ", but the log ends at " +
                                 std::to_string(head.value()) +
                                 ": the log lost events. Restore the log from a backup (`codd restore`); keep "
                                 "this view until then, it is the record of how far the log went");
    }
    start();
    timer_ = std::thread([this] { run_timer(); });
    engine::name_thread(timer_, "codd-view-timer");
}

ProjectionRunner::~ProjectionRunner() {
    {
        std::lock_guard lock(mu_);
        timer_stop_ = true;
    }
    timer_cv_.notify_one();
    if (timer_.joinable()) timer_.join();
    stop();
}

GlobalPosition ProjectionRunner::position() const {
    std::lock_guard lock(mu_);
    return position_;
}

bool ProjectionRunner::wait_for(GlobalPosition p, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    auto done = [&] { return position_ >= p || !error_.empty() || halted_; };
    if (done()) return position_ >= p;
    Waiter self;
    const auto filed = waiters_.emplace(p.value(), &self);
    self.cv.wait_for(lock, timeout, done);
    waiters_.erase(filed);
    return position_ >= p;
}

Lag ProjectionRunner::lag() const {
    const auto at = position();
    const auto head = log_.head();
    if (head <= at) return {};
    Lag lag;
    lag.events = head.value() - at.value();
    const auto next = log_.read_all(GlobalPosition{at.value() + 1}, 1);
    if (!next.empty()) {
        const auto now_us = engine::to_us(options_.clock->now());
        lag.seconds = std::max(0.0, static_cast<double>(now_us - next.front().time_us) / 1e6);
    }
    return lag;
}

std::string ProjectionRunner::error() const {
    std::lock_guard lock(mu_);
    return error_;
}

bool ProjectionRunner::running() const {
    std::lock_guard lock(mu_);
    return error_.empty() && !halted_;
}

void ProjectionRunner::stop() {
    std::lock_guard control(control_mu_);
    Calls stopped;
    {
        std::lock_guard lock(mu_);
        halted_ = true;
        wake_locked(true, stopped);
    }
    call_all(stopped, false);
    unsubscribe_locked();
    // Calls of batches applied before the stop run before stop() returns, whichever thread runs them: the caller may
    // tear down what they answer into (the HTTP server) next.
    Calls applied;
    {
        std::unique_lock lock(mu_);
        applied.swap(ready_);
        // From one of those calls (which the header forbids) the wait would be for itself.
        if (std::this_thread::get_id() != timer_.get_id()) {
            timer_idle_.wait(lock, [this] { return !timer_calling_; });
        }
    }
    call_all(applied, true);
}

void ProjectionRunner::start() {
    std::lock_guard control(control_mu_);
    {
        std::lock_guard lock(mu_);
        if (subscription_ && error_.empty() && !halted_) return;
        error_.clear();
        halted_ = false;
    }
    subscribe_locked();
}

void ProjectionRunner::subscribe_locked() {
    unsubscribe_locked();  // a subscription that stopped on an error still has a thread to join
    // Staged: a batch is applied while the log's fsync of it runs and committed once it is durable, so a command's
    // round trip has the view's apply and the fsync side by side rather than one after the other.
    subscription_ = log_.subscribe_staged(
        GlobalPosition{writer_.checkpoint().value() + 1},
        [this](std::span<const RecordedEvent> events, const std::function<bool()>& durable) {
            on_batch(events, durable);
        },
        options_.batch_size);
}

void ProjectionRunner::unsubscribe_locked() {
    if (!subscription_) return;
    subscription_->stop();
    subscription_.reset();
}

namespace {
// Thrown before the commit of a staged batch that will not become durable: the batch is rolled back, and the
// subscription hands it again (or stops). Not a failure of the view.
struct NotDurable {};
}  // namespace

void ProjectionRunner::on_batch(std::span<const RecordedEvent> events, const std::function<bool()>& durable) {
    try {
        writer_.apply(events, [&durable] {
            if (!durable()) throw NotDurable{};
        });
    } catch (const NotDurable&) {
        return;
    } catch (const std::exception& e) {
        // The batch was rolled back. Events the log will lose (its fsync failed) are not the view's failure: the
        // batch is handed again with what is durable.
        if (!durable()) return;
        fail(e.what());
        throw;  // stops the subscription at the last good position
    } catch (...) {
        if (!durable()) return;
        fail("unknown exception");
        throw ProjectionError("unknown exception");
    }
    publish(writer_.checkpoint());
}

void ProjectionRunner::publish(GlobalPosition p) {
    Calls applied;
    bool wake = false;
    {
        std::lock_guard lock(mu_);
        position_ = p;
        wake_locked(false, applied);
        // when_applied's calls go to the timer's thread, so the next batch does not wait for them; here only once
        // that thread is gone.
        if (!timer_stop_ && !applied.empty()) {
            wake = ready_.empty();
            std::move(applied.begin(), applied.end(), std::back_inserter(ready_));
            applied.clear();
        }
    }
    if (wake) timer_cv_.notify_one();
    call_all(applied, true);
}

void ProjectionRunner::when_applied(GlobalPosition p, std::chrono::milliseconds timeout,
                                    std::function<void(bool)> fn) const {
    bool applied = false;
    {
        std::lock_guard lock(mu_);
        if (position_ < p && error_.empty() && !halted_) {
            pending_.emplace(p.value(), Pending{std::chrono::steady_clock::now() + timeout, std::move(fn)});
            return;
        }
        applied = position_ >= p;
    }
    call(fn, applied);
}

void ProjectionRunner::take_pending_locked(bool all, Calls& out) const {
    const auto end = all ? pending_.end() : pending_.upper_bound(position_.value());
    for (auto it = pending_.begin(); it != end; ++it) out.push_back(std::move(it->second.fn));
    pending_.erase(pending_.begin(), end);
}

void ProjectionRunner::run_timer() {
    std::unique_lock lock(mu_);
    auto next_scan = std::chrono::steady_clock::now() + kTimerTick;
    for (;;) {
        timer_cv_.wait_until(lock, next_scan, [this] { return timer_stop_ || !ready_.empty(); });
        Calls applied, expired;
        applied.swap(ready_);
        const auto now = std::chrono::steady_clock::now();
        if (now >= next_scan) {
            for (auto it = pending_.begin(); it != pending_.end();) {
                if (it->second.deadline <= now) {
                    expired.push_back(std::move(it->second.fn));
                    it = pending_.erase(it);
                } else {
                    ++it;
                }
            }
            next_scan = now + kTimerTick;
        }
        const bool stopping = timer_stop_;
        if (stopping) take_pending_locked(true, expired);  // the runner is going: nothing will apply them
        if (!applied.empty() || !expired.empty()) {
            timer_calling_ = true;
            lock.unlock();
            call_all(applied, true);
            call_all(expired, false);
            lock.lock();
            timer_calling_ = false;
            timer_idle_.notify_all();
        }
        if (stopping) return;
    }
}

void ProjectionRunner::wake_locked(bool all, Calls& due) {
    // Under mu_: a waiter leaves (and destroys its condition variable) only with mu_ held.
    const auto end = all ? waiters_.end() : waiters_.upper_bound(position_.value());
    for (auto it = waiters_.begin(); it != end; ++it) it->second->cv.notify_one();
    take_pending_locked(all, due);
}

void ProjectionRunner::fail(const std::string& what) {
    Calls failed;
    {
        std::lock_guard lock(mu_);
        error_ = "view " + projection_.name() + " stopped after position " +
                 std::to_string(writer_.checkpoint().value()) + ": " + what;
        wake_locked(true, failed);
    }
    call_all(failed, false);
}

ReplayStats ProjectionRunner::rebuild() {
    std::lock_guard control(control_mu_);
    const auto start = std::chrono::steady_clock::now();
    const std::filesystem::path scratch = file_.string() + ".rebuild";
    remove_view_file(scratch);
    RemoveOnExit cleanup(scratch);
    ReplayStats stats;
    {
        auto scratch_options = options_.database;
        scratch_options.durable = false;  // copied into the live file, which is durable; never read after a crash
        ViewWriter fresh(scratch, projection_, options_.clock, scratch_options);
        auto indexes = DeferredIndexes::drop(fresh.db(), projection_.query_indexes());
        fresh.db().set_loading(true);
        // Catch up while the live view keeps applying; repeat until the tail is short, so the pause below
        // covers at most about one batch of new events. The load is finished (derived rows, query indexes)
        // before that pause.
        const auto batch = options_.rebuild_batch_size;
        bool loaded = false;
        for (auto step = catch_up(log_, fresh, batch);; step = catch_up(log_, fresh, batch)) {
            stats.events += step.events;
            if (step.events > options_.batch_size) continue;
            if (loaded) break;
            finish_load(fresh, indexes);
            loaded = true;
        }
        unsubscribe_locked();
        try {
            stats.events += catch_up(log_, fresh, batch).events;
            copy_database(fresh.db(), writer_.db());
            writer_.reload();
        } catch (...) {
            bool resume = false;
            {
                std::lock_guard lock(mu_);
                resume = error_.empty() && !halted_;
            }
            if (resume) subscribe_locked();
            throw;
        }
    }
    stats.position = writer_.checkpoint();
    bool resume = false;
    Calls applied;
    {
        std::lock_guard lock(mu_);
        position_ = stats.position;
        error_.clear();  // the rebuilt view applied everything up to its checkpoint
        resume = !halted_;
        wake_locked(false, applied);
    }
    call_all(applied, true);
    if (resume) subscribe_locked();
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

}  // namespace codd::projections

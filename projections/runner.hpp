#pragma once
// ProjectionRunner: keeps one view file up to date with the log (DESIGN §5).
//
// It opens the file, migrates it, reads its checkpoint and subscribes to the log from checkpoint + 1. Each
// delivered batch is applied in one SQLite transaction together with the new checkpoint (ViewWriter), so
// after a crash at any moment the file holds exactly the events up to its checkpoint, and the restarted
// runner continues from there.
//
// The subscription is staged (EventLog::subscribe_staged): a batch is applied while the log's fsync of it runs, and
// its transaction commits only once the batch is durable. A batch that will not be (the fsync failed; the runner is
// stopping) is rolled back, and the runner goes on from its checkpoint with what is durable.
//
// An exception from the projection (or SQLite) on a durable batch rolls the batch back and stops the runner with
// error() set: the view stays at the last good checkpoint and no event is skipped. start() retries from there.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/clock.hpp"
#include "engine/event_log.hpp"
#include "projections/projection.hpp"
#include "projections/rebuild.hpp"
#include "projections/view_writer.hpp"

namespace codd::projections {

struct RunnerOptions {
    std::size_t batch_size = kDefaultBatchSize;          // events per live transaction at most
    std::size_t rebuild_batch_size = kRebuildBatchSize;  // events per transaction of rebuild()
    // For updated_us and lag seconds; the same clock as the log's in tests.
    std::shared_ptr<engine::Clock> clock = engine::system_clock();
    DatabaseOptions database;
};

struct Lag {
    std::uint64_t events = 0;  // log head - position
    // now - time of the oldest event the view has not applied; 0 when caught up. The oldest unapplied
    // event, not the last applied one: after a quiet hour a new event is seconds behind, not an hour.
    double seconds = 0;
};

class ProjectionRunner {
  public:
    // Opens `db_file` (creating it), migrates, and starts applying from the checkpoint on. Throws SqliteError
    // or ProjectionError if the file cannot be opened or migrated.
    ProjectionRunner(engine::EventLog& log, std::filesystem::path db_file, Projection& projection,
                     RunnerOptions options = {});
    ~ProjectionRunner();
    ProjectionRunner(const ProjectionRunner&) = delete;
    ProjectionRunner& operator=(const ProjectionRunner&) = delete;

    // The last applied position (the checkpoint).
    [[nodiscard]] GlobalPosition position() const;
    // Read-your-writes: blocks until position() >= p or the timeout passes, and returns whether it was
    // reached. Returns false at once when the runner stopped (an error, or stop()); a rebuild's pause is
    // not a stop: waiters wait through it.
    [[nodiscard]] bool wait_for(GlobalPosition p, std::chrono::milliseconds timeout) const;
    // The same without blocking: `fn(applied)` runs once with what wait_for would return, on the runner's timer
    // thread (applied: handed over by the batch that applied it, so the next batch does not wait for the calls; or
    // the timeout passed, checked every kTimerTick), on the thread that stops it (an error, stop()), or on the
    // caller's before when_applied returns (already decided). `fn` must be short and must not throw. Calls still
    // pending when the runner is destroyed get false.
    void when_applied(GlobalPosition p, std::chrono::milliseconds timeout, std::function<void(bool)> fn) const;
    static constexpr std::chrono::milliseconds kTimerTick{50};
    [[nodiscard]] Lag lag() const;

    // Empty while healthy; otherwise what stopped the runner.
    [[nodiscard]] std::string error() const;
    [[nodiscard]] bool running() const;

    // Stops applying (joins the subscription thread); when_applied's calls of what was applied have run when it
    // returns, and the pending ones got false. Idempotent; the destructor calls it. A when_applied call must not
    // call stop(), start() or rebuild(), nor wait for a thread that does.
    void stop();
    // (Re)subscribes from the checkpoint, clearing a previous error. No-op while running.
    void start();

    // Rebuilds the view from position 1 into a new file next to it (<file>.rebuild) while the live view
    // keeps serving and applying; then pauses the live runner, brings the new file to the log's head, and
    // replaces the live file's content with it in one SQLite write transaction (the online backup API), so
    // readers see the old view or the new one, never a mix. The files are not renamed: connections of a
    // reader pool stay valid. Resumes applying afterwards. Throws if the rebuild fails; the live view is then
    // untouched and resumes as before.
    ReplayStats rebuild();

    [[nodiscard]] const std::filesystem::path& file() const { return file_; }

  private:
    void on_batch(std::span<const RecordedEvent> events, const std::function<bool()>& durable);
    void publish(GlobalPosition p);
    void fail(const std::string& what);
    // With mu_ held: wakes the waiters whose position is applied, or all of them (error, stop), and moves
    // when_applied's calls that are due into `due`, to be run once mu_ is released.
    void wake_locked(bool all, std::vector<std::function<void(bool)>>& due);
    // With control_mu_ held.
    void subscribe_locked();
    void unsubscribe_locked();

    engine::EventLog& log_;
    std::filesystem::path file_;
    Projection& projection_;
    RunnerOptions options_;
    ViewWriter writer_;  // used by the subscription thread, or by rebuild() while it is stopped
    // The live file's WAL checkpoints, on their own thread: a command waits for the runner's commits.
    WalCheckpointer checkpointer_;

    std::mutex control_mu_;  // serializes start / stop / rebuild
    std::unique_ptr<engine::Subscription> subscription_;

    // Each waiter waits on its own condition variable, filed by the position it waits for, so a batch wakes
    // only the requests it satisfied: with 64 command threads waiting, a notify_all per batch woke all 64.
    struct Waiter {
        std::condition_variable cv;
    };
    mutable std::mutex mu_;
    mutable std::multimap<std::uint64_t, Waiter*> waiters_;
    // when_applied's calls, filed by position like the waiters.
    struct Pending {
        std::chrono::steady_clock::time_point deadline;
        std::function<void(bool)> fn;
    };
    using Calls = std::vector<std::function<void(bool)>>;
    mutable std::multimap<std::uint64_t, Pending> pending_;
    Calls ready_;  // applied, for the timer's thread to call (under mu_)
    // With mu_ held: moves the calls due into `out` (applied ones, or all).
    void take_pending_locked(bool all, Calls& out) const;
    void run_timer();
    std::condition_variable timer_cv_;
    bool timer_stop_ = false;     // under mu_
    bool timer_calling_ = false;  // under mu_: the timer's thread is running calls it took
    std::condition_variable timer_idle_;
    std::thread timer_;  // started last, joined first
    GlobalPosition position_;
    std::string error_;
    bool halted_ = false;  // stop() was called and start() not since
};

}  // namespace codd::projections

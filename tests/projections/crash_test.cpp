// Crash test: a child appends to the log while a runner applies it to the view; it is SIGKILLed at a
// random moment. After each kill a restarted runner brings the view to the log's head, and the view then
// equals a fresh rebuild (digest) and holds exactly the events up to its checkpoint.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "projections/digest.hpp"
#include "projections/rebuild.hpp"
#include "projections/runner.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace codd::projections;
using namespace codd::test;

namespace {

// Runs the child and SIGKILLs it `run_for` after its first committed append (it says so on its stdout), so
// the kill lands while it appends however long it takes to start; a child that says nothing is killed after
// 30 s.
void run_and_kill(const std::filesystem::path& log_dir, const std::filesystem::path& view, int batch,
                  std::chrono::milliseconds run_for) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        const std::string l = log_dir.string(), v = view.string(), b = std::to_string(batch);
        ::execl(CODD_CRASH_PROJECTOR, CODD_CRASH_PROJECTOR, l.c_str(), v.c_str(), b.c_str(),
                static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    ::close(fds[1]);
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 30'000) == 1 && (p.revents & POLLIN) != 0) std::this_thread::sleep_for(run_for);
    ::kill(pid, SIGKILL);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE_MESSAGE(WIFSIGNALED(status), "the child exited on its own with status " << WEXITSTATUS(status));
}

}  // namespace

TEST_CASE("after SIGKILL the restarted view equals a fresh rebuild") {
    TempDir dir;
    const auto log_dir = dir / "log";
    const auto view = dir / "view.db";
    std::mt19937 rng(std::random_device{}());
    StreamStats p;
    std::uint64_t last_head = 0;
    int behind_at_kill = 0;  // cycles where the kill left events to catch up (informational: timing decides)
    for (int cycle = 0; cycle < 10; ++cycle) {
        CAPTURE(cycle);
        const int batch = 1 + static_cast<int>(rng() % 64);
        run_and_kill(log_dir, view, batch, std::chrono::milliseconds(200 + rng() % 500));

        auto log = open_log(log_dir);
        const auto head = log->head();
        {
            // What the kill left: a consistent prefix of the log, whatever the moment.
            // A child killed before its first migration committed (a slow start, e.g. under ASan) left a
            // view with no tables at all: position 0, and nothing else to check.
            auto db = Database::open(view);
            const auto at = db.table_exists("codd_checkpoint") ? checkpoint_of(db) : 0;
            CHECK(at <= static_cast<std::int64_t>(head.value()));
            if (at > 0) {
                CHECK(stream_events(db) == at);
                CHECK(scalar(db, "SELECT coalesce(sum(n), 0) FROM type_counts") == at);
            }
            if (at < static_cast<std::int64_t>(head.value())) ++behind_at_kill;
        }
        {
            ProjectionRunner runner(*log, view, p);
            REQUIRE(runner.wait_for(head, std::chrono::seconds(30)));
        }
        auto live = Database::open(view);
        rebuild_view(*log, p, dir / "fresh.db");
        auto fresh = Database::open(dir / "fresh.db");
        CHECK(view_digest(live, p) == view_digest(fresh, p));
        CHECK(checkpoint_of(live) == static_cast<std::int64_t>(head.value()));
        CHECK(head.value() >= last_head);
        last_head = head.value();
    }
    CHECK(last_head > 100);
    MESSAGE("events in the log: " << last_head << "; cycles that restarted behind the head: " << behind_at_kill);
}

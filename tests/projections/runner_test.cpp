// ProjectionRunner: live application in batches, failure and restart, read-your-writes, lag, rebuild, and
// readers during writes.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "projections/digest.hpp"
#include "projections/rebuild.hpp"
#include "projections/runner.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace codd::projections;
using namespace codd::test;
using namespace std::chrono_literals;

namespace {

std::string rebuilt_digest(const codd::engine::EventLog& log, Projection& p, const std::filesystem::path& file) {
    rebuild_view(log, p, file);
    auto db = Database::open(file);
    return view_digest(db, p);
}

std::string live_digest(const std::filesystem::path& file, Projection& p) {
    auto db = Database::open(file, {OpenMode::read_only});
    return view_digest(db, p);
}

RunnerOptions batches_of(std::size_t n) {
    RunnerOptions o;
    o.batch_size = n;
    return o;
}

}  // namespace

TEST_CASE("the runner applies the log in batches and checkpoints each") {
    TempDir dir;
    auto log = open_log(dir / "log");
    append_events(*log, 250);
    StreamStats p;
    ProjectionRunner runner(*log, dir / "v.db", p, batches_of(64));
    REQUIRE(runner.wait_for(GlobalPosition{250}, 5s));
    CHECK(runner.position() == GlobalPosition{250});
    CHECK(p.batches.load() == 4);  // 64 + 64 + 64 + 58, one transaction each
    CHECK(runner.error().empty());
    CHECK(runner.running());
    runner.stop();
    auto db = Database::open(dir / "v.db", {OpenMode::read_only});
    CHECK(checkpoint_of(db) == 250);
    CHECK(stream_events(db) == 250);
    CHECK(scalar(db, "SELECT sum(n) FROM type_counts") == 250);
    CHECK(scalar(db, "SELECT events FROM stream_stats WHERE stream = 's-0'") == 36);  // 0, 7, ..., 245
    CHECK(scalar(db, "SELECT last_position FROM stream_stats WHERE stream = 's-0'") == 246);
}

TEST_CASE("a view ahead of its log is refused: the log lost events, or the view is another log's") {
    TempDir dir;
    StreamStats p;
    {
        auto log = open_log(dir / "log");
        append_events(*log, 20);
        ProjectionRunner runner(*log, dir / "v.db", p, batches_of(64));
        REQUIRE(runner.wait_for(GlobalPosition{20}, 5s));
    }
    auto shorter = open_log(dir / "other-log");
    append_events(*shorter, 5);
    CHECK_THROWS_WITH_AS(ProjectionRunner(*shorter, dir / "v.db", p, batches_of(64)),
                         doctest::Contains("up to position 20, but the log ends at 5"), std::runtime_error);
    append_events(*shorter, 15);  // as long as the view's: opens (a log with other events is verify's to find)
    ProjectionRunner same_length(*shorter, dir / "v.db", p, batches_of(64));
    CHECK(same_length.position() == GlobalPosition{20});
}

TEST_CASE("an exception from apply rolls the batch back and stops the runner, and a restart continues exactly") {
    TempDir dir;
    auto log = open_log(dir / "log");
    append_events(*log, 100);
    StreamStats p;
    p.fail_at = 57;  // in the batch 51..60
    {
        ProjectionRunner runner(*log, dir / "v.db", p, batches_of(10));
        const auto t0 = std::chrono::steady_clock::now();
        CHECK_FALSE(runner.wait_for(GlobalPosition{100}, 5s));
        CHECK(std::chrono::steady_clock::now() - t0 < 4s);  // the error ends the wait, not the timeout
        CHECK(runner.position() == GlobalPosition{50});
        CHECK(runner.error().find("injected failure at 57") != std::string::npos);
        CHECK(runner.error().find("after position 50") != std::string::npos);
        CHECK_FALSE(runner.running());
        CHECK(runner.lag().events == 50);
        // Nothing of the failed batch is visible, and nothing after it was applied (no skipping).
        auto db = Database::open(dir / "v.db", {OpenMode::read_only});
        CHECK(checkpoint_of(db) == 50);
        CHECK(stream_events(db) == 50);
        CHECK(scalar(db, "SELECT max(last_position) FROM stream_stats") == 50);
    }
    // The process "restarts" with the fault fixed: it continues from 51 and ends equal to a rebuild.
    p.fail_at = 0;
    p.batches = 0;
    {
        ProjectionRunner runner(*log, dir / "v.db", p, batches_of(10));
        REQUIRE(runner.wait_for(GlobalPosition{100}, 5s));
        CHECK(p.batches.load() == 5);
    }
    CHECK(live_digest(dir / "v.db", p) == rebuilt_digest(*log, p, dir / "fresh.db"));
}

TEST_CASE("start() after a failure retries from the checkpoint") {
    TempDir dir;
    auto log = open_log(dir / "log");
    append_events(*log, 40);
    StreamStats p;
    p.fail_at = 25;
    ProjectionRunner runner(*log, dir / "v.db", p, batches_of(8));
    CHECK_FALSE(runner.wait_for(GlobalPosition{40}, 5s));
    CHECK(runner.position() == GlobalPosition{24});
    runner.start();  // still failing: same place, same error
    CHECK_FALSE(runner.wait_for(GlobalPosition{40}, 5s));
    CHECK(runner.position() == GlobalPosition{24});
    p.fail_at = 0;
    runner.start();
    CHECK(runner.wait_for(GlobalPosition{40}, 5s));
    CHECK(runner.error().empty());
}

TEST_CASE("wait_for sees events appended later and times out beyond the head") {
    TempDir dir;
    auto log = open_log(dir / "log");
    StreamStats p;
    ProjectionRunner runner(*log, dir / "v.db", p);
    CHECK(runner.position() == GlobalPosition{0});
    std::thread writer([&] {
        std::this_thread::sleep_for(50ms);
        append_events(*log, 5);
    });
    CHECK(runner.wait_for(GlobalPosition{5}, 5s));
    writer.join();
    // Read-your-writes: once wait_for returns, a reader sees the write.
    const auto last = append_events(*log, 1, 7, 5);
    REQUIRE(runner.wait_for(last, 5s));
    {
        ReaderPool pool(dir / "v.db", 1);
        auto r = pool.acquire();
        CHECK(stream_events(*r) == 6);
    }
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(runner.wait_for(GlobalPosition{7}, 100ms));
    const auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(waited >= 100ms);
    CHECK(waited < 3s);
    runner.stop();
    CHECK_FALSE(runner.running());
    CHECK_FALSE(runner.wait_for(GlobalPosition{7}, 5s));  // stopped: returns at once
}

TEST_CASE("lag counts events behind the head and the age of the oldest unapplied event") {
    TempDir dir;
    auto options = options_for(dir / "log");
    auto clock = std::static_pointer_cast<codd::engine::ManualClock>(options.clock);
    auto log = codd::engine::EventLog::open(options);
    append_events(*log, 3);
    StreamStats p;
    RunnerOptions ro;
    ro.clock = clock;
    ProjectionRunner runner(*log, dir / "v.db", p, ro);
    REQUIRE(runner.wait_for(GlobalPosition{3}, 5s));
    clock->advance(60s);  // quiet for a minute: caught up means no lag, however old the last event
    CHECK(runner.lag().events == 0);
    CHECK(runner.lag().seconds == 0);

    runner.stop();
    append_events(*log, 10);  // written "now"
    clock->advance(2500ms);
    auto lag = runner.lag();
    CHECK(lag.events == 10);
    CHECK(lag.seconds == doctest::Approx(2.5));

    runner.start();
    REQUIRE(runner.wait_for(GlobalPosition{13}, 5s));
    lag = runner.lag();
    CHECK(lag.events == 0);
    CHECK(lag.seconds == 0);
}

TEST_CASE("rebuild while live: the swapped-in view equals a fresh rebuild, readers never see a mix") {
    TempDir dir;
    auto log = open_log(dir / "log");
    append_events(*log, 3000, 50);
    StreamStats p;
    ProjectionRunner runner(*log, dir / "v.db", p, batches_of(100));
    REQUIRE(runner.wait_for(GlobalPosition{3000}, 10s));
    const auto live_before = live_digest(dir / "v.db", p);
    CHECK(live_before == rebuilt_digest(*log, p, dir / "fresh.db"));

    // Readers check the view's invariant in one read transaction each, during writes and the swap.
    ReaderPool pool(dir / "v.db", 2);
    std::atomic<bool> done{false};
    std::atomic<int> reads{0}, broken{0};
    std::vector<std::thread> readers;
    for (int i = 0; i < 2; ++i) {
        readers.emplace_back([&] {
            while (!done.load()) {
                auto r = pool.acquire();
                r->exec("BEGIN");
                const auto events = stream_events(*r);
                const auto typed = scalar(*r, "SELECT coalesce(sum(n), 0) FROM type_counts");
                const auto at = checkpoint_of(*r);
                r->exec("COMMIT");
                if (events != at || typed != at) broken.fetch_add(1);
                reads.fetch_add(1);
            }
        });
    }
    std::thread writer([&] { append_events(*log, 500, 50, 3000); });
    // A read-your-writes wait spans the rebuild's pause: the pause is not a stop.
    std::atomic<bool> waited_through{false};
    std::thread waiter([&] { waited_through = runner.wait_for(GlobalPosition{3500}, 20s); });
    const auto stats = runner.rebuild();
    writer.join();
    waiter.join();
    CHECK(waited_through.load());
    REQUIRE(runner.wait_for(GlobalPosition{3500}, 10s));
    done = true;
    for (auto& t : readers) t.join();
    CHECK(broken.load() == 0);
    CHECK(reads.load() > 0);
    CHECK(stats.events >= 3000);
    CHECK(stats.position >= GlobalPosition{3000});
    CHECK(runner.running());
    CHECK_FALSE(std::filesystem::exists(dir.path() / "v.db.rebuild"));
    CHECK(live_digest(dir / "v.db", p) == rebuilt_digest(*log, p, dir / "fresh.db"));
}

TEST_CASE("rebuild recovers a view whose rows were damaged") {
    TempDir dir;
    auto log = open_log(dir / "log");
    append_events(*log, 200);
    StreamStats p;
    ProjectionRunner runner(*log, dir / "v.db", p);
    REQUIRE(runner.wait_for(GlobalPosition{200}, 5s));
    const auto good = live_digest(dir / "v.db", p);
    {
        auto db = Database::open(dir / "v.db");
        db.exec("UPDATE stream_stats SET events = events + 1 WHERE stream = 's-3'; DELETE FROM type_counts");
    }
    CHECK(live_digest(dir / "v.db", p) != good);
    runner.rebuild();
    CHECK(live_digest(dir / "v.db", p) == good);
    CHECK(runner.position() == GlobalPosition{200});
}

TEST_CASE("waiters at many positions each return once their own position is applied, stop wakes the rest") {
    TempDir dir;
    auto log = open_log(dir / "log");
    StreamStats p;
    ProjectionRunner runner(*log, dir / "v.db", p, batches_of(7));
    constexpr int kWaiters = 32;
    std::atomic<int> satisfied{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kWaiters; ++i) {
        // Positions 10, 20, … 320; the log gets 200 events, so waiters up to 200 are satisfied.
        threads.emplace_back([&, i] {
            const GlobalPosition want{static_cast<std::uint64_t>(10 * (i + 1))};
            if (runner.wait_for(want, 30s)) {
                CHECK(runner.position() >= want);
                ++satisfied;
            } else {
                ++refused;
            }
        });
    }
    append_events(*log, 200);
    REQUIRE(runner.wait_for(GlobalPosition{200}, 5s));
    for (int spins = 0; satisfied.load() < 20 && spins < 500; ++spins) std::this_thread::sleep_for(10ms);
    CHECK(satisfied.load() == 20);
    CHECK(refused.load() == 0);  // the others still wait: their positions are not in the log
    const auto before_stop = std::chrono::steady_clock::now();
    runner.stop();
    for (auto& t : threads) t.join();
    CHECK(std::chrono::steady_clock::now() - before_stop < 10s);  // woken by stop, not by their 30 s timeout
    CHECK(satisfied.load() == 20);
    CHECK(refused.load() == kWaiters - 20);
}

TEST_CASE("when_applied calls back once per position: applied, timed out, or stopped, as wait_for would return") {
    TempDir dir;
    auto log = open_log(dir / "log");
    StreamStats p;
    ProjectionRunner runner(*log, dir / "v.db", p, batches_of(7));
    std::mutex mu;
    std::map<std::uint64_t, std::vector<bool>> calls;  // position -> what each call got
    std::map<std::uint64_t, GlobalPosition> seen_at;   // position -> the runner's position when applied
    const auto record = [&](std::uint64_t at) {
        return [&, at](bool applied) {
            std::lock_guard lock(mu);
            calls[at].push_back(applied);
            if (applied) seen_at[at] = runner.position();
        };
    };
    const auto count = [&] {
        std::lock_guard lock(mu);
        std::size_t n = 0;
        for (const auto& [at, got] : calls) n += got.size();
        return n;
    };
    // Already applied (position 0): called before when_applied returns.
    runner.when_applied(GlobalPosition{0}, 5s, record(0));
    CHECK(count() == 1);
    // Positions the log will reach, and two it will not: one with a short timeout, one waiting for stop().
    for (std::uint64_t at : {10u, 20u, 70u}) runner.when_applied(GlobalPosition{at}, 30s, record(at));
    const auto t0 = std::chrono::steady_clock::now();
    runner.when_applied(GlobalPosition{500}, 150ms, record(500));
    runner.when_applied(GlobalPosition{600}, 30s, record(600));
    append_events(*log, 100);
    REQUIRE(runner.wait_for(GlobalPosition{100}, 5s));
    for (int spins = 0; count() < 5 && spins < 500; ++spins) std::this_thread::sleep_for(10ms);
    {
        std::lock_guard lock(mu);
        CHECK(calls[0] == std::vector<bool>{true});
        for (std::uint64_t at : {10u, 20u, 70u}) {
            CAPTURE(at);
            CHECK(calls[at] == std::vector<bool>{true});
            CHECK(seen_at[at] >= GlobalPosition{at});  // the view had applied it when called
        }
        CHECK(calls[500] == std::vector<bool>{false});  // the timeout passed
        CHECK(calls[600].empty());
    }
    CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);
    runner.stop();
    {
        std::lock_guard lock(mu);
        CHECK(calls[600] == std::vector<bool>{false});  // stopped: refused at once
    }
    // Stopped: decided at once.
    runner.when_applied(GlobalPosition{700}, 30s, record(700));
    runner.when_applied(GlobalPosition{50}, 30s, record(50));
    std::lock_guard lock(mu);
    CHECK(calls[700] == std::vector<bool>{false});
    CHECK(calls[50] == std::vector<bool>{true});
}

namespace {

// Ten events applied; then an eleventh whose fsync is held back at `gate`, and that the runner has in hand (applied
// in its open transaction). Returns the append's answer.
std::future<codd::engine::AppendResult> staged_eleventh(codd::engine::EventLog& log, SyncGate& gate,
                                                        ProjectionRunner& runner, StreamStats& p) {
    append_events(log, 10);
    REQUIRE(runner.wait_for(GlobalPosition{10}, 5s));
    const int before = p.batches.load();
    gate.shut();
    auto promise = std::make_shared<std::promise<codd::engine::AppendResult>>();
    auto answered = promise->get_future();
    log.append_async(request({to_stream("s-0", codd::engine::ExpectedVersion::any(), {event("Noted", R"({"i":10})")})}),
                     [promise](codd::engine::AppendResult r) { promise->set_value(std::move(r)); });
    REQUIRE(gate.wait_held());
    for (int spins = 0; p.batches.load() == before && spins < 500; ++spins) std::this_thread::sleep_for(10ms);
    REQUIRE(p.batches.load() == before + 1);
    return answered;
}

// A runner on a gated log, holding the eleventh event in its transaction while the fsync waits at the gate.
struct StagedEleventh {
    TempDir dir;
    SyncGate gate;
    std::unique_ptr<codd::engine::EventLog> log = open_gated_log(dir / "log", gate);
    SyncGate::Release release{gate};  // destroyed before the log: its close waits for the fsync
    StreamStats p;
    ProjectionRunner runner{*log, dir / "v.db", p, batches_of(64)};
    std::future<codd::engine::AppendResult> answered = staged_eleventh(*log, gate, runner, p);
};

// The eleventh event applied once it is durable: the view holds it once, and equals a fresh rebuild of the log.
void check_eleventh_applied(StagedEleventh& f) {
    REQUIRE(f.runner.wait_for(GlobalPosition{11}, 5s));
    CHECK(f.runner.error().empty());
    auto db = Database::open(f.dir / "v.db", {OpenMode::read_only});
    CHECK(checkpoint_of(db) == 11);
    CHECK(stream_events(db) == 11);
    CHECK(live_digest(f.dir / "v.db", f.p) == rebuilt_digest(*f.log, f.p, f.dir / "fresh.db"));
}

codd::engine::AppendStatus status_of(std::future<codd::engine::AppendResult>& answered) {
    REQUIRE(answered.wait_for(5s) == std::future_status::ready);
    return answered.get().status;
}

}  // namespace

TEST_CASE("the runner applies a batch while the log's fsync of it runs, and shows it only once it is durable") {
    StagedEleventh f;
    CHECK(f.log->head() == GlobalPosition{10});
    CHECK_FALSE(f.runner.wait_for(GlobalPosition{11}, 50ms));
    {
        auto db = Database::open(f.dir / "v.db", {OpenMode::read_only});
        CHECK(checkpoint_of(db) == 10);
        CHECK(stream_events(db) == 10);
    }
    f.gate.open();
    CHECK(status_of(f.answered) == codd::engine::AppendStatus::ok);
    check_eleventh_applied(f);
}

TEST_CASE("stop and rebuild while a batch waits for its fsync roll it back, and it is applied once durable") {
    StagedEleventh f;
    SUBCASE("stop") {
        f.runner.stop();
        CHECK(f.runner.position() == GlobalPosition{10});
        f.gate.open();
        CHECK(status_of(f.answered) == codd::engine::AppendStatus::ok);
        CHECK_FALSE(f.runner.wait_for(GlobalPosition{11}, 50ms));
        f.runner.start();
    }
    SUBCASE("rebuild") {
        const auto stats = f.runner.rebuild();  // the live view's batch is rolled back; the rebuild reads up to head
        CHECK(stats.position == GlobalPosition{10});
        CHECK(f.runner.running());
        f.gate.open();
        CHECK(status_of(f.answered) == codd::engine::AppendStatus::ok);
    }
    check_eleventh_applied(f);
}

TEST_CASE("a batch whose fsync fails is rolled back: the view stays at what is durable, and keeps running") {
    StagedEleventh f;
    const int batches = f.p.batches.load();
    f.gate.fail();
    CHECK(status_of(f.answered) == codd::engine::AppendStatus::closed);
    // The runner's transaction held the file's write lock; a writer of our own gets it once that was rolled back.
    auto writer = Database::open(f.dir / "v.db");
    { Transaction tx(writer); }
    CHECK(f.runner.running());
    CHECK(f.runner.error().empty());
    CHECK(f.runner.position() == GlobalPosition{10});
    CHECK(checkpoint_of(writer) == 10);
    CHECK(stream_events(writer) == 10);
    CHECK_FALSE(f.runner.wait_for(GlobalPosition{11}, 100ms));
    CHECK(f.p.batches.load() == batches);  // not handed again: nothing after position 10 is durable
    CHECK(f.runner.running());
}

TEST_CASE("when_applied's calls run off the runner's thread: a slow one holds up no batch, but stop() waits for it") {
    TempDir dir;
    auto log = open_log(dir / "log");
    StreamStats p;
    ProjectionRunner runner(*log, dir / "v.db", p, batches_of(64));
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<bool> called{false};
    runner.when_applied(GlobalPosition{1}, 30s, [&called, released](bool) {
        called.store(true);
        released.wait();
    });
    append_events(*log, 1);
    for (int spins = 0; !called.load() && spins < 500; ++spins) std::this_thread::sleep_for(10ms);
    REQUIRE(called.load());
    // A second call, due once position 21 is applied: queued behind the first on the timer's thread.
    std::mutex mu;
    std::vector<bool> second;
    runner.when_applied(GlobalPosition{21}, 30s, [&](bool applied) {
        std::lock_guard lock(mu);
        second.push_back(applied);
    });
    append_events(*log, 20, 7, 1);  // applied while the call above still runs
    CHECK(runner.wait_for(GlobalPosition{21}, 5s));
    {
        std::lock_guard lock(mu);
        CHECK(second.empty());
    }
    // What the calls answer into may be torn down once stop() returns (the HTTP server): it waits for the one in
    // progress and runs the one queued.
    auto stopped = std::async(std::launch::async, [&runner] { runner.stop(); });
    CHECK(stopped.wait_for(50ms) == std::future_status::timeout);
    release.set_value();
    REQUIRE(stopped.wait_for(5s) == std::future_status::ready);
    std::lock_guard lock(mu);
    CHECK(second == std::vector<bool>{true});
}

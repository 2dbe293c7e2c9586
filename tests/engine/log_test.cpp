// Event log behaviour on real RocksDB in temporary directories.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "engine/allocator.hpp"
#include "tests/engine/log_fixture.hpp"
#include "tests/support/thread_names.hpp"

using namespace codd::engine;
using namespace codd::test;
using namespace std::chrono_literals;

TEST_CASE("appends assign gapless positions and contiguous stream versions") {
    TempDir dir;
    auto log = open_log(dir.path());
    CHECK(log->head().value() == 0);
    auto r1 = log->append(request({to_stream("order-1001", ExpectedVersion::no_stream(), {event("OrderCreated")})}));
    REQUIRE(r1.status == AppendStatus::ok);
    CHECK(r1.first_position.value() == 1);
    CHECK(r1.last_position.value() == 1);
    auto r2 = log->append(request({to_stream("order-1001", ExpectedVersion::exact(StreamVersion{0}),
                                             {event("OrderConfirmed"), event("OrderPrepared")})}));
    REQUIRE(r2.status == AppendStatus::ok);
    CHECK(r2.first_position.value() == 2);
    CHECK(r2.last_position.value() == 3);
    REQUIRE(r2.streams.size() == 1);
    CHECK(r2.streams[0].last_version.value() == 2);
    CHECK(log->head().value() == 3);
    CHECK(log->stream_version("order-1001")->value() == 2);
    CHECK_FALSE(log->stream_version("order-1002").has_value());
}

TEST_CASE("the envelope carries every field, with time and ids from the injected clock and generator") {
    TempDir dir;
    auto opts = options_for(dir.path());
    auto clock = std::make_shared<ManualClock>(TimePoint{std::chrono::seconds{1'800'000'000}});
    opts.clock = clock;
    auto log = EventLog::open(opts);
    auto req = request({to_stream("customer-17", ExpectedVersion::any(),
                                  {event("CustomerCreated", R"({"phone":"+233201234567","spent":12550})")})});
    req.metadata = {{"3", "sales_rep"}, "req-abc", "cmd-xyz"};
    req.streams[0].events[0].schema_version = 2;
    REQUIRE(log->append(req).status == AppendStatus::ok);
    auto events = log->read_all(GlobalPosition{1}, 10);
    REQUIRE(events.size() == 1);
    const auto& e = events[0];
    CHECK(e.position.value() == 1);
    CHECK(e.stream == "customer-17");
    CHECK(e.version.value() == 0);
    CHECK(e.type == "CustomerCreated");
    CHECK(e.schema_version == 2);
    CHECK(e.event_id == "00000000-0000-4000-8000-000000000001");
    CHECK(e.time_us == 1'800'000'000LL * 1'000'000);
    CHECK(e.metadata.actor == Actor{"3", "sales_rep"});
    CHECK(e.metadata.request_id == "req-abc");
    CHECK(e.metadata.causation_id == "cmd-xyz");
    CHECK(e.payload == R"({"phone":"+233201234567","spent":12550})");
}

TEST_CASE("a stale expected version is a conflict and writes nothing") {
    TempDir dir;
    auto log = open_log(dir.path());
    REQUIRE(log->append(request({to_stream("s", ExpectedVersion::no_stream(), {event("A")})})).committed());
    auto again = log->append(request({to_stream("s", ExpectedVersion::no_stream(), {event("B")})}));
    CHECK(again.status == AppendStatus::conflict);
    CHECK(again.conflict_stream == "s");
    CHECK(again.expected_version == -1);
    CHECK(again.actual_version == 0);
    auto stale = log->append(request({to_stream("s", ExpectedVersion::exact(StreamVersion{5}), {event("B")})}));
    CHECK(stale.status == AppendStatus::conflict);
    CHECK(log->head().value() == 1);
    CHECK(log->read_stream("s", StreamVersion{0}, 10).size() == 1);
}

TEST_CASE("a multi-stream append with one stale expected version writes nothing at all") {
    TempDir dir;
    auto log = open_log(dir.path());
    REQUIRE(
        log->append(request({to_stream("product-5", ExpectedVersion::any(), {event("ProductCreated")})})).committed());
    auto r = log->append(request({
        to_stream("order-1001", ExpectedVersion::no_stream(), {event("OrderCreated")}),
        to_stream("product-5", ExpectedVersion::exact(StreamVersion{3}), {event("StockReserved")}),
    }));
    CHECK(r.status == AppendStatus::conflict);
    CHECK(r.conflict_stream == "product-5");
    CHECK(log->head().value() == 1);
    CHECK_FALSE(log->stream_version("order-1001").has_value());
    CHECK(log->stream_version("product-5")->value() == 0);

    auto ok = log->append(request({
        to_stream("order-1001", ExpectedVersion::no_stream(), {event("OrderCreated")}),
        to_stream("product-5", ExpectedVersion::exact(StreamVersion{0}), {event("StockReserved")}),
    }));
    REQUIRE(ok.status == AppendStatus::ok);
    CHECK(ok.first_position.value() == 2);
    CHECK(ok.last_position.value() == 3);
    CHECK(log->verify().ok);
}

TEST_CASE("malformed requests are refused as invalid") {
    TempDir dir;
    auto log = open_log(dir.path());
    CHECK(log->append(request({})).status == AppendStatus::invalid);
    CHECK(log->append(request({to_stream("", ExpectedVersion::any(), {event("A")})})).status == AppendStatus::invalid);
    CHECK(log->append(request({to_stream("s", ExpectedVersion::any(), {})})).status == AppendStatus::invalid);
    CHECK(log->append(request({to_stream("s", ExpectedVersion::any(), {event("")})})).status == AppendStatus::invalid);
    CHECK(log->append(request({to_stream(std::string("a\0b", 3), ExpectedVersion::any(), {event("A")})})).status ==
          AppendStatus::invalid);
    CHECK(log->append(request({to_stream("s", ExpectedVersion::any(), {event("A")}),
                               to_stream("s", ExpectedVersion::any(), {event("B")})}))
              .status == AppendStatus::invalid);
    CHECK(log->head().value() == 0);
}

TEST_CASE("a stream without events is a condition: its version is checked, nothing is written to it") {
    TempDir dir;
    auto log = open_log(dir.path());
    REQUIRE(log->append(request({to_stream("order", ExpectedVersion::no_stream(), {event("Created")})})).committed());
    const auto at0 = ExpectedVersion::exact(StreamVersion{0});

    // Met: the other stream is written, the condition's stream keeps its version and events.
    const auto ok = log->append(
        request({to_stream("order", at0, {}), to_stream("customer", ExpectedVersion::any(), {event("Renamed")})}));
    REQUIRE(ok.status == AppendStatus::ok);
    CHECK(ok.first_position.value() == 2);
    CHECK(ok.last_position.value() == 2);
    REQUIRE(ok.streams.size() == 2);
    CHECK(ok.streams[0].stream == "order");
    CHECK(ok.streams[0].last_version.value() == 0);
    CHECK(ok.streams[1].last_version.value() == 0);
    CHECK(log->stream_version("order")->value() == 0);
    CHECK(log->read_stream("order", StreamVersion{0}, 10).size() == 1);

    // Stale: a conflict naming the condition's stream, and nothing of the append is written.
    REQUIRE(log->append(request({to_stream("order", at0, {event("Confirmed")})})).committed());
    const auto stale = log->append(
        request({to_stream("order", at0, {}), to_stream("customer", ExpectedVersion::any(), {event("Renamed")})}));
    CHECK(stale.status == AppendStatus::conflict);
    CHECK(stale.conflict_stream == "order");
    CHECK(log->head().value() == 3);
    CHECK(log->stream_version("customer")->value() == 0);

    // Conditions alone append nothing: refused as invalid.
    CHECK(log->append(request({to_stream("order", ExpectedVersion::exact(StreamVersion{1}), {})})).status ==
          AppendStatus::invalid);
    CHECK(log->verify().ok);
}

TEST_CASE("a repeated command id returns the original result and appends nothing, also after a reopen") {
    TempDir dir;
    AppendResult first;
    {
        auto log = open_log(dir.path());
        REQUIRE(log->append(request({to_stream("x", ExpectedVersion::any(), {event("X")})})).committed());
        first = log->append(
            request({to_stream("order-1001", ExpectedVersion::no_stream(), {event("A"), event("B")})}, "cmd-1"));
        REQUIRE(first.status == AppendStatus::ok);
        auto again = log->append(
            request({to_stream("order-1001", ExpectedVersion::no_stream(), {event("A"), event("B")})}, "cmd-1"));
        CHECK(again.status == AppendStatus::duplicate);
        CHECK(again.first_position == first.first_position);
        CHECK(again.last_position == first.last_position);
        CHECK(log->head().value() == 3);
    }
    auto log = open_log(dir.path());
    auto again = log->append(
        request({to_stream("order-1001", ExpectedVersion::no_stream(), {event("A"), event("B")})}, "cmd-1"));
    CHECK(again.status == AppendStatus::duplicate);
    CHECK(again.first_position.value() == 2);
    CHECK(again.last_position.value() == 3);
    REQUIRE(again.streams.size() == 1);
    CHECK(again.streams[0].stream == "order-1001");
    CHECK(again.streams[0].last_version.value() == 1);
    CHECK(log->head().value() == 3);
}

namespace {

// The results of `requests` queued at once (one group commit, as a rule), then the log closed.
std::vector<AppendResult> appended_together(EventLog& log, std::vector<AppendRequest> requests) {
    std::mutex mu;
    std::vector<AppendResult> results;
    for (auto& req : requests) {
        log.append_async(std::move(req), [&](AppendResult r) {
            std::lock_guard lock(mu);
            results.push_back(std::move(r));
        });
    }
    log.close();
    return results;
}

}  // namespace

TEST_CASE("the same command id twice in one group commit is written once") {
    TempDir dir;
    auto log = open_log(dir.path());
    std::vector<AppendRequest> same;
    for (int i = 0; i < 2; ++i) same.push_back(request({to_stream("s", ExpectedVersion::any(), {event("A")})}, "same"));
    const auto results = appended_together(*log, std::move(same));
    REQUIRE(results.size() == 2);
    CHECK(results[0].status == AppendStatus::ok);
    CHECK(results[1].status == AppendStatus::duplicate);
    CHECK(results[1].first_position == results[0].first_position);
}

TEST_CASE("a command's second name is recorded with its own fingerprint and repeats the command like the first") {
    TempDir dir;
    auto named = [](std::string id, std::string also) {
        auto r = request({to_stream("s", ExpectedVersion::any(), {event("A")})}, std::move(id));
        r.command_fingerprint = "";
        r.also_command_id = std::move(also);
        r.also_command_fingerprint = "fp-also";
        return r;
    };
    AppendResult first;
    {
        auto log = open_log(dir.path());
        first = log->append(named("ext-1", "key-1"));
        REQUIRE(first.status == AppendStatus::ok);
        // Either name repeats it.
        CHECK(log->append(named("ext-1", "")).status == AppendStatus::duplicate);
        const auto by_key = log->append(named("ext-2", "key-1"));
        CHECK(by_key.status == AppendStatus::duplicate);
        CHECK(by_key.first_position == first.first_position);
        // Two names in one group commit: the second request repeats the first through its second name.
        std::vector<AppendRequest> two;
        two.push_back(named("ext-3", "key-3"));
        two.push_back(named("ext-4", "key-3"));
        const auto results = appended_together(*log, std::move(two));
        REQUIRE(results.size() == 2);
        CHECK(results[0].status == AppendStatus::ok);
        CHECK(results[1].status == AppendStatus::duplicate);
    }
    auto log = open_log(dir.path());
    const auto key = log->command_result("key-1", std::chrono::milliseconds(0));
    REQUIRE(key.has_value());
    CHECK(key->first_position == first.first_position);
    CHECK(key->command_fingerprint == "fp-also");
    const auto ext = log->command_result("ext-1", std::chrono::milliseconds(0));
    REQUIRE(ext.has_value());
    CHECK(ext->command_fingerprint.empty());
    CHECK(log->head().value() == 2);  // ext-1 and ext-3
    CHECK(log->verify().ok);
}

TEST_CASE("sequences start at 1001, advance with their events and survive a reopen") {
    TempDir dir;
    auto order_request = [](std::string cmd) {
        auto r = request({}, std::move(cmd));
        r.sequences = {"order"};
        r.build = [](SequenceValues v) {
            return std::vector<StreamAppend>{
                to_stream("order-" + std::to_string(v[0]), ExpectedVersion::no_stream(), {event("OrderCreated")})};
        };
        return r;
    };
    {
        auto log = open_log(dir.path());
        CHECK(log->sequence_next("order") == 1001);
        auto a = log->append(order_request("a"));
        REQUIRE(a.status == AppendStatus::ok);
        CHECK(a.sequence_values == std::vector<std::int64_t>{1001});
        CHECK(a.streams[0].stream == "order-1001");
        auto b = log->append(order_request("b"));
        CHECK(b.sequence_values == std::vector<std::int64_t>{1002});
        // A refused request does not consume a number.
        auto bad = request({to_stream("order-1002", ExpectedVersion::no_stream(), {event("X")})});
        bad.sequences = {"order"};
        CHECK(log->append(bad).status == AppendStatus::conflict);
        CHECK(log->sequence_next("order") == 1003);
        // A replayed command returns its original number.
        CHECK(log->append(order_request("a")).sequence_values == std::vector<std::int64_t>{1001});
    }
    auto log = open_log(dir.path());
    CHECK(log->sequence_next("order") == 1003);
    CHECK(log->append(order_request("c")).sequence_values == std::vector<std::int64_t>{1003});
    CHECK(log->append(order_request("b")).sequence_values == std::vector<std::int64_t>{1002});
}

TEST_CASE("a build function that throws refuses only its own request") {
    TempDir dir;
    auto log = open_log(dir.path());
    auto r = request({});
    r.sequences = {"order"};
    r.build = [](SequenceValues) -> std::vector<StreamAppend> { throw std::runtime_error("no such product"); };
    auto res = log->append(r);
    CHECK(res.status == AppendStatus::invalid);
    CHECK(res.message.find("no such product") != std::string::npos);
    CHECK(log->sequence_next("order") == 1001);
    CHECK(log->append(request({to_stream("s", ExpectedVersion::any(), {event("A")})})).status == AppendStatus::ok);
}

TEST_CASE("streams read forwards and backwards from a version") {
    TempDir dir;
    auto log = open_log(dir.path());
    for (int i = 0; i < 5; ++i) {
        REQUIRE(log->append(request({to_stream("s", ExpectedVersion::any(), {event("E" + std::to_string(i))}),
                                     to_stream("other", ExpectedVersion::any(), {event("O")})}))
                    .committed());
    }
    REQUIRE(log->append(request({to_stream("s2", ExpectedVersion::any(), {event("Z")})})).committed());
    auto fwd = log->read_stream("s", StreamVersion{2}, 10);
    REQUIRE(fwd.size() == 3);
    CHECK(fwd[0].type == "E2");
    CHECK(fwd[2].type == "E4");
    CHECK(fwd[0].version.value() == 2);
    auto limited = log->read_stream("s", StreamVersion{0}, 2);
    REQUIRE(limited.size() == 2);
    CHECK(limited[1].type == "E1");
    auto back = log->read_stream("s", StreamVersion{3}, 10, Direction::backward);
    REQUIRE(back.size() == 4);
    CHECK(back[0].type == "E3");
    CHECK(back[3].type == "E0");
    auto from_end = log->read_stream("s", StreamVersion{INT64_MAX}, 1, Direction::backward);
    REQUIRE(from_end.size() == 1);
    CHECK(from_end[0].type == "E4");
    CHECK(log->read_stream("s", StreamVersion{5}, 10).empty());
    CHECK(log->read_stream("nope", StreamVersion{0}, 10).empty());
    CHECK(log->read_stream("", StreamVersion{0}, 10, Direction::backward).empty());
}

TEST_CASE("the whole log reads from a position, and scan visits in order") {
    TempDir dir;
    auto log = open_log(dir.path());
    for (int i = 0; i < 50; ++i) {
        REQUIRE(log->append(request({to_stream("s" + std::to_string(i % 7), ExpectedVersion::any(), {event("E")})}))
                    .committed());
    }
    auto page = log->read_all(GlobalPosition{10}, 5);
    REQUIRE(page.size() == 5);
    CHECK(page.front().position.value() == 10);
    CHECK(page.back().position.value() == 14);
    CHECK(log->read_all(GlobalPosition{51}, 5).empty());
    std::uint64_t expect = 1;
    auto n = log->scan(GlobalPosition{0}, [&](const RecordedEvent& e) {
        CHECK(e.position.value() == expect++);
        return true;
    });
    CHECK(n == 50);
}

TEST_CASE("read_all_into recycles a batch and returns exactly what read_all returns") {
    TempDir dir;
    auto log = open_log(dir.path());
    // Payloads and types of very different lengths, so a recycled event holds longer and shorter strings
    // than the one decoded into it.
    for (int i = 0; i < 40; ++i) {
        const std::string pad(static_cast<std::size_t>((i * 37) % 500), 'x');
        REQUIRE(log->append(request({to_stream("s" + std::to_string(i % 5), ExpectedVersion::any(),
                                               {event(std::string(1 + i % 30, 'T'), R"({"pad":")" + pad + R"("})")})}))
                    .committed());
    }
    std::vector<RecordedEvent> batch;
    for (const std::uint64_t from : {1, 7, 30, 2, 38, 41, 1}) {
        for (const std::size_t max : {std::size_t{0}, std::size_t{1}, std::size_t{6}, std::size_t{100}}) {
            CAPTURE(from);
            CAPTURE(max);
            log->read_all_into(GlobalPosition{from}, max, batch);
            CHECK(batch == log->read_all(GlobalPosition{from}, max));
        }
    }
    // A batch that held more events than the log has left is cut to what was read.
    log->read_all_into(GlobalPosition{1}, 40, batch);
    REQUIRE(batch.size() == 40);
    log->read_all_into(GlobalPosition{39}, 40, batch);
    REQUIRE(batch.size() == 2);
    CHECK(batch[0].position.value() == 39);
    CHECK(batch[1].position.value() == 40);
}

TEST_CASE("subscriptions deliver every event in order and are woken by commits") {
    TempDir dir;
    auto log = open_log(dir.path());
    REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("A")})})).committed());
    std::mutex mu;
    std::vector<std::uint64_t> seen;
    auto sub = log->subscribe(GlobalPosition{1}, [&](std::span<const RecordedEvent> batch) {
        std::lock_guard lock(mu);
        for (const auto& e : batch) seen.push_back(e.position.value());
    });
    for (int i = 0; i < 20; ++i) {
        REQUIRE(log->append(request({to_stream("b", ExpectedVersion::any(), {event("B")})})).committed());
    }
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (sub->position().value() < 21 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    sub->stop();
    std::lock_guard lock(mu);
    REQUIRE(seen.size() == 21);
    for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i + 1);
    CHECK(sub->error().empty());
}

TEST_CASE("a subscription whose handler throws stops there and reports why") {
    TempDir dir;
    auto log = open_log(dir.path());
    REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("A")})})).committed());
    auto sub = log->subscribe(GlobalPosition{1},
                              [&](std::span<const RecordedEvent>) { throw std::runtime_error("view is full"); });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (sub->error().empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    CHECK(sub->error() == "view is full");
    CHECK(sub->position().value() == 0);
}

namespace {

// What a staged subscription's handler saw: each batch's positions, head() when it got the batch, and what
// durable() answered.
struct StagedCalls {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::vector<std::uint64_t>> batches;
    std::vector<std::uint64_t> heads;
    std::vector<bool> durable;

    StagedHandler handler(const EventLog& log) {
        return [this, &log](std::span<const RecordedEvent> batch, const std::function<bool()>& is_durable) {
            std::vector<std::uint64_t> positions;
            for (const auto& e : batch) positions.push_back(e.position.value());
            {
                std::lock_guard lock(mu);
                batches.push_back(std::move(positions));
                heads.push_back(log.head().value());
            }
            cv.notify_all();
            const bool d = is_durable();
            std::lock_guard lock(mu);
            durable.push_back(d);
            cv.notify_all();
        };
    }
    // Waits until the handler was called `n` times and (when `answered`) durable() answered as often.
    void wait(std::size_t n, bool answered) {
        std::unique_lock lock(mu);
        REQUIRE(cv.wait_for(lock, 5s, [&] { return batches.size() >= n && (!answered || durable.size() >= n); }));
    }
};

std::future<AppendResult> append_later(EventLog& log, AppendRequest r) {
    auto promise = std::make_shared<std::promise<AppendResult>>();
    auto answered = promise->get_future();
    log.append_async(std::move(r), [promise](AppendResult a) { promise->set_value(std::move(a)); });
    return answered;
}

AppendStatus status_of(std::future<AppendResult>& answered) {
    REQUIRE(answered.wait_for(5s) == std::future_status::ready);
    return answered.get().status;
}

// A first append, durable; then the fsync of a second one (positions 2 and 3) held back at the gate.
std::future<AppendResult> written_not_durable(EventLog& log, SyncGate& gate) {
    REQUIRE(log.append(request({to_stream("a", ExpectedVersion::any(), {event("A")})})).committed());
    gate.shut();
    auto answered = append_later(log, request({to_stream("b", ExpectedVersion::any(), {event("B"), event("B")})}));
    REQUIRE(gate.wait_held());
    return answered;
}

// A gated log whose first append (position 1) is durable and whose second (2 and 3) waits at the gate for its fsync.
struct HeldFsync {
    TempDir dir;
    SyncGate gate;
    std::unique_ptr<EventLog> log = open_gated_log(dir.path(), gate);
    SyncGate::Release release{gate};  // destroyed before the log: its close waits for the fsync
    std::future<AppendResult> answered = written_not_durable(*log, gate);
};

void wait_position(const Subscription& sub, std::uint64_t p) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (sub.position().value() < p && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    REQUIRE(sub.position().value() == p);
}

}  // namespace

TEST_CASE("a staged subscription gets the events of an fsync while it runs, and moves on once they are durable") {
    HeldFsync f;
    // Position 4, written while the fsync of 2 and 3 is held: the next fsync's, so not in their batch.
    auto next = append_later(*f.log, request({to_stream("c", ExpectedVersion::any(), {event("C")})}));
    for (int spins = 0; !f.log->stream_version("c") && spins < 5000; ++spins) std::this_thread::sleep_for(1ms);
    REQUIRE(f.log->stream_version("c"));
    StagedCalls calls;
    auto sub = f.log->subscribe_staged(GlobalPosition{1}, calls.handler(*f.log));
    calls.wait(1, false);
    CHECK(f.log->head().value() == 1);
    CHECK(sub->position().value() == 0);  // durable() is waiting for the fsync
    CHECK(f.answered.wait_for(20ms) == std::future_status::timeout);
    f.gate.open();
    CHECK(status_of(f.answered) == AppendStatus::ok);
    CHECK(status_of(next) == AppendStatus::ok);
    calls.wait(2, true);
    wait_position(*sub, 4);
    std::lock_guard lock(calls.mu);
    CHECK(calls.batches == std::vector<std::vector<std::uint64_t>>{{1, 2, 3}, {4}});
    CHECK(calls.heads.front() == 1);  // handed over before the fsync
    CHECK(calls.durable == std::vector<bool>{true, true});
    CHECK(sub->error().empty());
}

TEST_CASE("a staged batch whose fsync fails is discarded, and only what is durable is handed again") {
    HeldFsync f;
    StagedCalls calls;
    auto sub = f.log->subscribe_staged(GlobalPosition{1}, calls.handler(*f.log));
    calls.wait(1, false);
    f.gate.fail();
    CHECK(status_of(f.answered) == AppendStatus::closed);
    calls.wait(2, true);
    wait_position(*sub, 1);
    CHECK_FALSE(f.log->writable());
    CHECK(f.log->head().value() == 1);
    std::lock_guard lock(calls.mu);
    CHECK(calls.batches == std::vector<std::vector<std::uint64_t>>{{1, 2, 3}, {1}});
    CHECK(calls.durable == std::vector<bool>{false, true});
    CHECK(sub->error().empty());
}

TEST_CASE("stopping a staged subscription while its batch waits for the fsync discards the batch") {
    HeldFsync f;
    StagedCalls calls;
    auto sub = f.log->subscribe_staged(GlobalPosition{1}, calls.handler(*f.log));
    calls.wait(1, false);
    sub->stop();  // joins: durable() must have answered
    CHECK(sub->position().value() == 0);
    {
        std::lock_guard lock(calls.mu);
        CHECK(calls.durable == std::vector<bool>{false});
    }
    f.gate.open();
    CHECK(status_of(f.answered) == AppendStatus::ok);
}

TEST_CASE("a staged handler that never calls durable() is moved past its batch once the batch is durable") {
    HeldFsync f;
    std::atomic<int> handed{0};
    auto sub = f.log->subscribe_staged(GlobalPosition{1},
                                       [&](std::span<const RecordedEvent>, const std::function<bool()>&) { ++handed; });
    for (int spins = 0; handed.load() == 0 && spins < 5000; ++spins) std::this_thread::sleep_for(1ms);
    REQUIRE(handed.load() == 1);
    std::this_thread::sleep_for(20ms);
    CHECK(sub->position().value() == 0);
    f.gate.open();
    CHECK(status_of(f.answered) == AppendStatus::ok);
    wait_position(*sub, 3);
    CHECK(handed.load() == 1);
}

TEST_CASE("a staged subscription on a read-only instance gets what it has caught up with, durable") {
    TempDir dir;
    auto log = open_log(dir / "log");
    for (int i = 0; i < 3; ++i) {
        REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("A")})})).committed());
    }
    auto reader = EventLog::open_read_only(dir / "log", dir / "secondary");
    StagedCalls calls;
    auto sub = reader->subscribe_staged(GlobalPosition{1}, calls.handler(*reader));
    calls.wait(1, true);
    wait_position(*sub, 3);
    REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("A")})})).committed());
    REQUIRE(reader->catch_up());
    calls.wait(2, true);
    wait_position(*sub, 4);
    std::lock_guard lock(calls.mu);
    CHECK(calls.batches == std::vector<std::vector<std::uint64_t>>{{1, 2, 3}, {4}});
    CHECK(calls.durable == std::vector<bool>{true, true});
}

TEST_CASE("wait_for returns once the position is durable, or times out") {
    TempDir dir;
    auto log = open_log(dir.path());
    CHECK(log->wait_for(GlobalPosition{0}, 1ms));
    CHECK_FALSE(log->wait_for(GlobalPosition{1}, 20ms));
    std::thread t([&] {
        std::this_thread::sleep_for(20ms);
        (void)log->append(request({to_stream("a", ExpectedVersion::any(), {event("A")})}));
    });
    CHECK(log->wait_for(GlobalPosition{1}, 5s));
    t.join();
}

// Group commit, made deterministic rather than left to timing: the first request's build function runs on the
// writer thread, so holding it there until 32 threads have queued their appends guarantees that all 32 wait
// for the writer at once. They must then be decided together: one WriteBatch and at most one more fsync.
TEST_CASE("appends queued from many threads while the writer is busy share one batch and one fsync") {
    TempDir dir;
    auto opts = options_for(dir.path());
    REQUIRE(opts.sync);
    auto log = EventLog::open(opts);
    constexpr int kThreads = 32;
    std::promise<void> writer_held;
    std::latch queued(kThreads);
    auto gate = request({});
    gate.build = [&](SequenceValues) {
        writer_held.set_value();
        queued.wait();
        return std::vector<StreamAppend>{to_stream("gate", ExpectedVersion::any(), {event("A")})};
    };
    std::promise<AppendResult> gate_result;
    log->append_async(std::move(gate), [&](AppendResult r) { gate_result.set_value(std::move(r)); });
    if (writer_held.get_future().wait_for(30s) != std::future_status::ready) {
        queued.count_down(kThreads);  // lets the gate go whenever it runs, so that closing the log cannot hang
        FAIL("the writer never ran the gate's build function");
    }

    std::vector<std::promise<AppendResult>> results(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            auto& slot = results[static_cast<std::size_t>(i)];
            log->append_async(request({to_stream("s" + std::to_string(i), ExpectedVersion::no_stream(), {event("A")})}),
                              [&slot](AppendResult r) { slot.set_value(std::move(r)); });
            queued.count_down();
        });
    }
    for (auto& t : threads) t.join();
    CHECK(gate_result.get_future().get().first_position.value() == 1);
    std::set<std::uint64_t> positions;
    for (auto& p : results) {
        const AppendResult r = p.get_future().get();
        REQUIRE_MESSAGE(r.status == AppendStatus::ok, r.message);
        positions.insert(r.first_position.value());
    }
    CHECK(positions.size() == kThreads);
    CHECK(*positions.begin() == 2);
    CHECK(*positions.rbegin() == kThreads + 1);

    // batches counts WriteBatches written, syncs the fsyncs that made them durable (each one or more batches).
    const LogStats stats = log->stats();
    CHECK(stats.commands == kThreads + 1);
    CHECK(stats.events == kThreads + 1);
    CHECK(stats.batches == 2);  // the gate's, then all 32 together
    CHECK(stats.syncs >= 1);
    CHECK(stats.syncs <= stats.batches);
    CHECK(log->head().value() == kThreads + 1);
}

TEST_CASE("a read-only instance opens while the writer runs and catches up") {
    TempDir dir;
    auto log = open_log(dir.path() / "log");
    REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("A")})})).committed());
    auto ro = EventLog::open_read_only(dir.path() / "log", dir.path() / "secondary");
    CHECK(ro->head().value() == 1);
    CHECK_FALSE(ro->writable());
    CHECK(ro->append(request({to_stream("a", ExpectedVersion::any(), {event("B")})})).status == AppendStatus::closed);
    REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("B")})})).committed());
    REQUIRE(ro->catch_up());
    CHECK(ro->head().value() == 2);
    CHECK(ro->read_stream("a", StreamVersion{0}, 10).size() == 2);
    CHECK(ro->verify().ok);
    CHECK_THROWS_AS(EventLog::open_read_only(dir.path() / "missing", dir.path() / "s2"), StorageError);
}

TEST_CASE("a closed log refuses appends with a closed status") {
    TempDir dir;
    auto log = open_log(dir.path());
    CHECK(log->writable());
    log->close();
    CHECK_FALSE(log->writable());
    CHECK(log->append(request({to_stream("a", ExpectedVersion::any(), {event("A")})})).status == AppendStatus::closed);
    log->close();
}

TEST_CASE("command_result returns the original result of a committed command id, and nothing otherwise") {
    TempDir dir;
    auto log = open_log(dir.path());
    CHECK_FALSE(log->command_result("never").has_value());
    CHECK_FALSE(log->command_result("").has_value());
    auto r = log->append(request({to_stream("s", ExpectedVersion::any(), {event("A"), event("B")})}, "cmd-9"));
    REQUIRE(r.status == AppendStatus::ok);
    auto found = log->command_result("cmd-9");
    REQUIRE(found.has_value());
    CHECK(found->status == AppendStatus::duplicate);
    CHECK(found->first_position == r.first_position);
    CHECK(found->last_position == r.last_position);
    CHECK(log->head().value() == 2);
}

// The writer decides the next commands while the previous group is still being written: what an unwritten
// group changed (stream versions, command ids) must be seen from its overlay, also when the version cache
// is evicted after every group (capacity 1), and from the store once written.
TEST_CASE("decisions see every earlier command whether or not its group is written yet") {
    TempDir dir;
    auto opts = options_for(dir.path());
    opts.stream_cache_capacity = 1;
    opts.max_batch_commands = 7;  // many small groups, so rounds meet groups in every stage
    auto log = EventLog::open(opts);
    constexpr int kCommands = 3000;
    std::mutex mu;
    std::vector<AppendResult> results(static_cast<std::size_t>(2 * kCommands));
    std::atomic<int> answered{0};
    for (int i = 0; i < kCommands; ++i) {
        // Each stream's versions are predicted exactly, since one producer's requests are decided in order.
        const std::string stream = "s" + std::to_string(i % 3);
        const std::int64_t before = i / 3 - 1;
        for (int copy = 0; copy < 2; ++copy) {
            const auto slot = static_cast<std::size_t>(2 * i + copy);
            log->append_async(request({to_stream(stream, ExpectedVersion::exact(StreamVersion{before}), {event("A")})},
                                      "cmd-" + std::to_string(i)),
                              [&, slot](AppendResult r) {
                                  std::lock_guard lock(mu);
                                  results[slot] = std::move(r);
                                  ++answered;
                              });
        }
    }
    log->close();
    REQUIRE(answered.load() == 2 * kCommands);
    for (int i = 0; i < kCommands; ++i) {
        const auto& first = results[static_cast<std::size_t>(2 * i)];
        const auto& copy = results[static_cast<std::size_t>(2 * i + 1)];
        REQUIRE_MESSAGE(first.status == AppendStatus::ok, i, ": ", first.message);
        CHECK(first.first_position.value() == static_cast<std::uint64_t>(i + 1));
        CHECK(first.streams.at(0).last_version.value() == i / 3);
        REQUIRE(copy.status == AppendStatus::duplicate);
        CHECK(copy.first_position == first.first_position);
    }
    log.reset();
    auto reopened = open_log(dir.path());
    CHECK(reopened->head().value() == static_cast<std::uint64_t>(kCommands));
    CHECK(reopened->verify().ok);
    for (int s = 0; s < 3; ++s) {
        CHECK(reopened->stream_version("s" + std::to_string(s))->value() == kCommands / 3 - 1);
    }
    // Cold after the reopen: command ids and heads come from the store.
    auto dup = reopened->append(request({to_stream("s0", ExpectedVersion::any(), {event("A")})}, "cmd-0"));
    CHECK(dup.status == AppendStatus::duplicate);
    CHECK(dup.first_position.value() == 1);
    auto next = reopened->append(
        request({to_stream("s1", ExpectedVersion::exact(StreamVersion{kCommands / 3 - 1}), {event("A")})}, "new"));
    CHECK(next.status == AppendStatus::ok);
    CHECK(next.first_position.value() == static_cast<std::uint64_t>(kCommands + 1));
}

TEST_CASE("a backup taken while appends go on is a consistent prefix that verifies, reopens and takes appends") {
    TempDir dir;
    auto log = open_log(dir.path() / "log");
    for (int i = 0; i < 200; ++i) {
        REQUIRE(log->append(request({to_stream("order-" + std::to_string(i), ExpectedVersion::no_stream(),
                                               {event("OrderCreated", R"({"n":)" + std::to_string(i) + "}")})},
                                    "cmd-" + std::to_string(i)))
                    .committed());
    }
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 200; !stop.load(); ++i) {
            log->append(request(
                {to_stream("order-" + std::to_string(i), ExpectedVersion::no_stream(), {event("OrderCreated")})}));
        }
    });
    const BackupReport report = log->backup(dir.path() / "backup-1");
    stop.store(true);
    writer.join();
    CHECK(report.last_position >= 200);
    CHECK_THROWS_AS(log->backup(dir.path() / "backup-1"), StorageError);  // never over an existing one
    // The backup owns its files: none is a hard link shared with the live log (one damaged file would be both's).
    for (const auto& f : std::filesystem::directory_iterator(dir.path() / "backup-1")) {
        if (f.is_regular_file()) CHECK(f.hard_link_count() == 1);
    }

    auto copy = open_log(dir.path() / "backup-1");
    CHECK(copy->head().value() == report.last_position);
    const VerifyReport v = copy->verify();
    CHECK(v.ok);
    CHECK(v.head_hash == report.head_hash);
    const auto original = log->read_all(GlobalPosition{1}, report.last_position);
    const auto restored = copy->read_all(GlobalPosition{1}, report.last_position);
    REQUIRE(restored.size() == original.size());
    for (std::size_t i = 0; i < original.size(); ++i) {
        CHECK(restored[i].event_id == original[i].event_id);
        CHECK(restored[i].payload == original[i].payload);
    }
    // Command ids and stream versions came along: a repeated command is a duplicate, the next append follows on.
    const auto again = copy->append(
        request({to_stream("order-7", ExpectedVersion::no_stream(), {event("OrderCreated", R"({"n":7})")})}, "cmd-7"));
    CHECK(again.status == AppendStatus::duplicate);
    const auto next = copy->append(request({to_stream("order-new", ExpectedVersion::no_stream(), {event("X")})}));
    CHECK(next.first_position.value() == report.last_position + 1);
}

TEST_CASE("the log's threads are named for top -H and perf, and leave with it") {
    TempDir dir;
    const auto before = thread_names();
    {
        auto log = open_log(dir.path());
        auto sub = log->subscribe(GlobalPosition{1}, [](std::span<const RecordedEvent>) {});
        const auto names = thread_names();
        for (const std::string name : {"codd-log-write", "codd-log-sync", "codd-log-answer", "codd-subscriber"}) {
            CAPTURE(name);
            CHECK(names.count(name) == before.count(name) + 1);
        }
    }
    CHECK(thread_names().count("codd-log-write") == before.count("codd-log-write"));
}

// engine/allocator.hpp: the release build runs on jemalloc, so plain new and delete (and RocksDB's and
// SQLite's mallocs) go to it; the sanitizer build keeps its own allocator.
TEST_CASE("codd's allocator is jemalloc, except under the sanitizers") {
#if CODD_JEMALLOC
    CHECK(allocator_name().starts_with("jemalloc 5."));
    const auto before = thread_allocated_bytes();
    REQUIRE(before.has_value());
    auto block = std::make_unique<char[]>(1 << 20);
    [[maybe_unused]] static char* volatile escape;  // so the compiler cannot elide the allocation
    escape = block.get();
    const auto after = thread_allocated_bytes();
    REQUIRE(after.has_value());
    CHECK(*after - *before >= std::uint64_t{1} << 20);
#else
    CHECK(allocator_name() == "system malloc");
    CHECK_FALSE(thread_allocated_bytes().has_value());
#endif
}

TEST_CASE("a damaged record before the WAL's tail fails the open instead of silently ending the log there") {
    // Point-in-time recovery would stop at the damage and drop every acknowledged event after it, and the next
    // appends would take their positions (and their orders' ids).
    TempDir dir;
    {
        auto log = open_log(dir.path());
        for (int i = 0; i < 40; ++i) {
            REQUIRE(log->append(request({to_stream("s-" + std::to_string(i % 4), ExpectedVersion::any(),
                                                   {NewEvent{"Noted", 1, R"({"note":"a note of some length"})", ""}})}))
                        .committed());
        }
        log->close();
    }
    std::filesystem::path wal;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
        if (f.path().extension() == ".log" && (wal.empty() || f.file_size() > std::filesystem::file_size(wal))) {
            wal = f.path();
        }
    }
    REQUIRE_FALSE(wal.empty());
    const auto size = std::filesystem::file_size(wal);
    REQUIRE(size > 1000);  // the events are in the WAL, not yet flushed to a table file
    {
        std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(size / 2));
        char c = 0;
        f.read(&c, 1);
        c = static_cast<char>(c ^ 0x01);
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.write(&c, 1);
    }
    CHECK_THROWS_WITH_AS(open_log(dir.path()), doctest::Contains("restore it from a backup"), StorageError);
}

TEST_CASE("durable listeners get every event of their prefix, in order, before the append is answered") {
    TempDir dir;
    auto log = open_log(dir.path());
    struct Seen {
        std::uint64_t position;
        std::string stream;
        std::int64_t version;
        std::string type, payload;
        std::int64_t time_us;
    };
    std::mutex mu;
    std::vector<Seen> seen;
    auto listener = log->listen_durable("order-", [&](const DurableEvent& e) {
        std::lock_guard lock(mu);
        seen.push_back({e.position.value(), std::string(e.stream), e.version.value(), std::string(e.type),
                        std::string(e.payload), e.time_us});
    });
    REQUIRE(listener != nullptr);
    const auto count = [&] {
        std::lock_guard lock(mu);
        return seen.size();
    };

    // Streams of other prefixes and conditions deliver nothing; the prefix's streams deliver each event.
    REQUIRE(
        log->append(request({to_stream("order-1", ExpectedVersion::any(), {event("A", R"({"n":1})")})})).committed());
    REQUIRE(log->append(request({to_stream("product-1", ExpectedVersion::any(), {event("P")})})).committed());
    const auto r =
        log->append(request({to_stream("product-1", ExpectedVersion::exact(StreamVersion{0}), {}),
                             to_stream("other-1", ExpectedVersion::any(), {event("O")}),
                             to_stream("order-1", ExpectedVersion::exact(StreamVersion{0}), {event("B"), event("C")}),
                             to_stream("order-2", ExpectedVersion::no_stream(), {event("D")})}));
    REQUIRE(r.status == AppendStatus::ok);
    REQUIRE(count() == 4);
    const auto stored = log->read_all(GlobalPosition{1}, 100);
    for (const Seen& s : seen) {
        CAPTURE(s.position);
        const RecordedEvent& e = stored.at(s.position - 1);
        CHECK(s.stream == e.stream);
        CHECK(s.version == e.version.value());
        CHECK(s.type == e.type);
        CHECK(s.payload == e.payload);
        CHECK(s.time_us == e.time_us);
    }
    CHECK(seen[0].payload == R"({"n":1})");
    CHECK(seen[1].type == "B");
    CHECK(seen[1].position == r.first_position.value() + 1);
    CHECK(seen[2].version == 2);
    CHECK(seen[3].stream == "order-2");
    CHECK(seen[3].time_us == r.time_us);

    // Streams a build adds are delivered too.
    AppendRequest built = request({});
    built.sequences = {"order"};
    built.build = [](SequenceValues v) {
        return std::vector<StreamAppend>{
            to_stream("order-" + std::to_string(v[0]), ExpectedVersion::no_stream(), {event("Created")})};
    };
    REQUIRE(log->append(std::move(built)).status == AppendStatus::ok);
    REQUIRE(count() == 5);
    CHECK(seen[4].stream == "order-1001");

    // The producer's answer comes after the delivery.
    std::promise<std::size_t> at_answer;
    log->append_async(request({to_stream("order-3", ExpectedVersion::any(), {event("E")})}),
                      [&](AppendResult) { at_answer.set_value(count()); });
    CHECK(at_answer.get_future().get() == 6);

    // Refusals and duplicates wrote nothing: nothing is delivered.
    CHECK(log->append(request({to_stream("order-3", ExpectedVersion::no_stream(), {event("F")})})).status ==
          AppendStatus::conflict);
    REQUIRE(log->append(request({to_stream("order-4", ExpectedVersion::any(), {event("G")})}, "cmd-1")).committed());
    CHECK(log->append(request({to_stream("order-4", ExpectedVersion::any(), {event("G")})}, "cmd-1")).status ==
          AppendStatus::duplicate);
    CHECK(count() == 7);

    // Destroyed, the listener gets nothing more.
    listener.reset();
    REQUIRE(log->append(request({to_stream("order-5", ExpectedVersion::any(), {event("H")})})).committed());
    CHECK(count() == 7);
}

TEST_CASE("a durable listener that throws misses only that event, and its handle may outlive the log") {
    TempDir dir;
    auto log = open_log(dir.path() / "log");
    std::atomic<int> calls{0};
    auto listener = log->listen_durable("", [&](const DurableEvent& e) {
        calls.fetch_add(1);
        if (e.type == "Bad") throw std::runtime_error("listener failed");
    });
    REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("Bad")})})).committed());
    REQUIRE(log->append(request({to_stream("a", ExpectedVersion::any(), {event("Good")})})).committed());
    CHECK(calls.load() == 2);
    log->close();
    log.reset();
    listener.reset();  // after the log is gone

    auto ro_source = open_log(dir.path() / "log");
    ro_source->close();
    ro_source.reset();
    auto ro = EventLog::open_read_only(dir.path() / "log", dir.path() / "secondary");
    CHECK(ro->listen_durable("", [](const DurableEvent&) {}) == nullptr);
}

TEST_CASE("durable listeners get the events of appends that shared a round, in position order") {
    TempDir dir;
    auto log = open_log(dir.path());
    std::mutex mu;
    std::vector<std::uint64_t> positions;
    std::vector<std::string> streams;
    auto listener = log->listen_durable("s-", [&](const DurableEvent& e) {
        std::lock_guard lock(mu);
        positions.push_back(e.position.value());
        streams.emplace_back(e.stream);
    });
    // Queued at once from one thread, so the writer takes many of them into each round.
    constexpr int kAppends = 300;
    std::atomic<int> answered{0}, refused{0};
    std::promise<void> all;
    for (int i = 0; i < kAppends; ++i) {
        log->append_async(request({to_stream("s-" + std::to_string(i % 7), ExpectedVersion::any(), {event("E")}),
                                   to_stream("t-" + std::to_string(i), ExpectedVersion::any(), {event("T")})}),
                          [&](AppendResult r) {
                              if (r.status != AppendStatus::ok) refused.fetch_add(1);
                              if (answered.fetch_add(1) + 1 == kAppends) all.set_value();
                          });
    }
    all.get_future().wait();
    CHECK(refused.load() == 0);
    CHECK(log->stats().batches < kAppends);  // rounds were shared
    std::lock_guard lock(mu);
    REQUIRE(positions.size() == kAppends);
    const auto stored = log->read_all(GlobalPosition{1}, 2 * kAppends);
    for (std::size_t i = 0; i < positions.size(); ++i) {
        CAPTURE(i);
        if (i > 0) CHECK(positions[i] > positions[i - 1]);
        CHECK(stored.at(positions[i] - 1).stream == streams[i]);
    }
}

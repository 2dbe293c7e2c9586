// The decider loop of engine/aggregate.hpp on a toy counter aggregate: folding, deciding with the injected
// clock, atomic extra streams, retry on conflict, giving up, idempotency by command id.
#include <doctest/doctest.h>

#include "engine/aggregate.hpp"
#include "tests/engine/domain_fixture.hpp"

using namespace codd::engine;
using namespace codd::test;

namespace {

struct Counter {
    std::int64_t count = 0;
    std::int64_t last_time_us = 0;
};

void evolve_counter(Counter& c, const RecordedEvent& e) {
    if (e.type == "Incremented") ++c.count;
    c.last_time_us = e.time_us;
}

Loaded<Counter> load_counter(const EventLog& log, const std::string& stream) {
    return load<Counter>(log, stream, evolve_counter);
}

std::int64_t micros(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Increments `stream` unless it reached `limit`; the event records the `now` the decision was made at.
Attempt increment(EventLog& log, const std::string& stream, std::int64_t limit = 1000) {
    return [&log, stream, limit](TimePoint now) -> Result<AppendRequest> {
        auto c = load_counter(log, stream);
        if (c.state.count >= limit) return conflict("limit reached", "count");
        return append_of(
            {{stream, expect(c.version), {event("Incremented", "{\"at\":" + std::to_string(micros(now)) + "}")}}});
    };
}

}  // namespace

TEST_CASE("aggregate: load folds a stream from version 0 and reports its last version") {
    LogFixture f;
    CHECK_FALSE(load_counter(*f.log, "counter-1").exists());
    CHECK(load_counter(*f.log, "counter-1").version == -1);
    for (int i = 0; i < 2500; ++i) accepted(execute(*f.log, *f.clock, ctx(), increment(*f.log, "counter-1", 5000)));
    const auto c = load_counter(*f.log, "counter-1");
    CHECK(c.state.count == 2500);  // more than one page of reads
    CHECK(c.version == 2499);
}

TEST_CASE("aggregate: execute decides with the injected clock's now and appends with the metadata") {
    LogFixture f;
    f.clock->advance(std::chrono::seconds{42});
    const AppendResult r = accepted(execute(*f.log, *f.clock, ctx(), increment(*f.log, "counter-1")));
    CHECK(r.status == AppendStatus::ok);
    const auto events = f.stream("counter-1");
    REQUIRE(events.size() == 1);
    CHECK(events[0].payload == "{\"at\":" + std::to_string(micros(f.clock->now())) + "}");
    CHECK(events[0].metadata == ctx().metadata);
}

TEST_CASE("aggregate: a decision that changes nothing appends nothing") {
    LogFixture f;
    const AppendResult r =
        accepted(execute(*f.log, *f.clock, ctx(), [](TimePoint) -> Result<AppendRequest> { return AppendRequest{}; }));
    CHECK(r.status == AppendStatus::ok);
    CHECK(r.streams.empty());
    CHECK(f.log->head().value() == 0);
}

TEST_CASE("aggregate: a version conflict reloads and decides again") {
    LogFixture f;
    int attempts = 0;
    auto racing = [&](TimePoint now) -> Result<AppendRequest> {
        ++attempts;
        auto c = load_counter(*f.log, "counter-1");
        // The first time, another writer gets in between this load and the append.
        if (attempts == 1) accepted(execute(*f.log, *f.clock, ctx(), increment(*f.log, "counter-1")));
        return append_of({{"counter-1", expect(c.version), {event("Incremented")}}});
    };
    accepted(execute(*f.log, *f.clock, ctx(), racing));
    CHECK(attempts == 2);
    CHECK(load_counter(*f.log, "counter-1").state.count == 2);
}

TEST_CASE("aggregate: concurrent changes that keep winning end in a conflict rejection, nothing appended") {
    LogFixture f;
    int attempts = 0;
    auto always_stale = [&](TimePoint) -> Result<AppendRequest> {
        ++attempts;
        auto c = load_counter(*f.log, "counter-1");
        accepted(execute(*f.log, *f.clock, ctx(), increment(*f.log, "counter-1")));
        return append_of({{"counter-1", expect(c.version), {event("Incremented")}}});
    };
    const Rejection r = refused(execute(*f.log, *f.clock, ctx(), always_stale, 3));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(attempts == 3);
    CHECK(load_counter(*f.log, "counter-1").state.count == 3);  // only the interfering writers' events
}

TEST_CASE("aggregate: extra streams commit atomically, a taken reservation refuses the whole decision") {
    LogFixture f;
    auto claim = [&](const std::string& counter) {
        return [&f, counter](TimePoint) -> Result<AppendRequest> {
            auto c = load_counter(*f.log, counter);
            auto name = load_counter(*f.log, "name-ama");
            if (name.exists()) return conflict("name is taken", "name");
            return append_of({{counter, expect(c.version), {event("Incremented")}},
                              {"name-ama", ExpectedVersion::no_stream(), {event("NameReserved")}}});
        };
    };
    const AppendResult first = accepted(execute(*f.log, *f.clock, ctx(), claim("counter-1")));
    REQUIRE(first.streams.size() == 2);
    CHECK(first.last_position.value() == first.first_position.value() + 1);
    const auto head = f.log->head();
    const Rejection r = refused(execute(*f.log, *f.clock, ctx(), claim("counter-2")));
    CHECK(r.field == "name");
    CHECK(f.log->head() == head);
    CHECK_FALSE(load_counter(*f.log, "counter-2").exists());
}

TEST_CASE(
    "aggregate: a repeated command id returns the original result, also after a restart and when "
    "deciding again would refuse") {
    LogFixture f;
    const AppendResult first = accepted(execute(*f.log, *f.clock, ctx("cmd-1"), increment(*f.log, "counter-1", 1)));
    CHECK(first.status == AppendStatus::ok);
    // Deciding again refuses (the limit is reached by the command's own effect): the original result wins.
    const AppendResult again = accepted(execute(*f.log, *f.clock, ctx("cmd-1"), increment(*f.log, "counter-1", 1)));
    CHECK(again.status == AppendStatus::duplicate);
    CHECK(again.first_position == first.first_position);
    f.reopen();
    const AppendResult after = accepted(execute(*f.log, *f.clock, ctx("cmd-1"), increment(*f.log, "counter-1", 5)));
    CHECK(after.status == AppendStatus::duplicate);
    CHECK(after.last_position == first.last_position);
    CHECK(load_counter(*f.log, "counter-1").state.count == 1);
    // Another command id is decided on its own.
    CHECK(refused(execute(*f.log, *f.clock, ctx("cmd-2"), increment(*f.log, "counter-1", 1))).field == "count");
    CHECK_FALSE(committed_result(*f.log, ctx("cmd-2")).has_value());
}

TEST_CASE("aggregate: a command id used again for a different request is refused, also after a restart") {
    LogFixture f;
    const auto asked = [](std::string fingerprint) {
        auto c = ctx("cmd-1");
        c.fingerprint = std::move(fingerprint);
        return c;
    };
    const AppendResult first = accepted(execute(*f.log, *f.clock, asked("f-1"), increment(*f.log, "counter-1", 5)));
    CHECK(first.command_fingerprint == "f-1");
    // The same request again: the original result, with what it asked.
    const AppendResult again = accepted(execute(*f.log, *f.clock, asked("f-1"), increment(*f.log, "counter-1", 5)));
    CHECK(again.status == AppendStatus::duplicate);
    CHECK(again.command_fingerprint == "f-1");
    // Another request under the id: refused whether deciding again would append (the writer finds the id) or
    // refuse (the committed result is not its answer), and nothing is written.
    const auto head = f.log->head();
    CHECK(refused(execute(*f.log, *f.clock, asked("f-2"), increment(*f.log, "counter-1", 5))).message ==
          reused_command_id().message);
    CHECK(refused(execute(*f.log, *f.clock, asked("f-2"), increment(*f.log, "counter-1", 1))).field == "count");
    CHECK_FALSE(committed_result(*f.log, asked("f-2")).has_value());
    f.reopen();
    CHECK(refused(execute(*f.log, *f.clock, asked("f-2"), increment(*f.log, "counter-1", 5))).message ==
          reused_command_id().message);
    CHECK(f.log->head() == head);
    CHECK(load_counter(*f.log, "counter-1").state.count == 1);
    // A request without a fingerprint (or a record kept before fingerprints were) is not compared.
    CHECK(accepted(execute(*f.log, *f.clock, asked(""), increment(*f.log, "counter-1", 5))).status ==
          AppendStatus::duplicate);
    CHECK(committed_result(*f.log, asked("f-1")).has_value());
}

TEST_CASE("aggregate: execute_on folds one stream and hands the decider its state, version and now") {
    LogFixture f;
    auto decide = [](const Loaded<Counter>& c, TimePoint now) -> Result<AppendRequest> {
        if (c.state.count >= 2) return conflict("limit reached", "count");
        const std::string at = "{\"at\":" + std::to_string(micros(now)) + "}";
        return append_of({{"counter-9", expect(c.version), {event("Incremented", at)}}});
    };
    accepted(execute_on<Counter>(*f.log, *f.clock, ctx(), "counter-9", evolve_counter, decide));
    f.clock->advance(std::chrono::seconds{1});
    const AppendResult second =
        accepted(execute_on<Counter>(*f.log, *f.clock, ctx(), "counter-9", evolve_counter, decide));
    CHECK(second.streams.at(0).last_version.value() == 1);
    CHECK(f.stream("counter-9")[1].payload == "{\"at\":" + std::to_string(micros(f.clock->now())) + "}");
    CHECK(refused(execute_on<Counter>(*f.log, *f.clock, ctx(), "counter-9", evolve_counter, decide)).field == "count");
}

TEST_CASE("a stream cache answers what load answers, and sees every append") {
    LogFixture f;
    StreamCache<Counter> cache(2);
    auto cached = [&](const std::string& s) { return cache.load(*f.log, s, evolve_counter); };
    CHECK(cached("counter-1").version == -1);  // no stream yet
    CHECK_FALSE(cached("counter-1").exists());
    for (int i = 1; i <= 5; ++i) {
        REQUIRE(std::holds_alternative<AppendResult>(execute(*f.log, *f.clock, ctx(), increment(*f.log, "counter-1"))));
        const auto c = cached("counter-1");
        CHECK(c.state.count == i);
        CHECK(c.version == load_counter(*f.log, "counter-1").version);
        CHECK(cached("counter-1").state.count == i);  // a hit: same state
    }
    // More streams than the capacity: entries are dropped, answers stay right.
    for (int s = 2; s <= 4; ++s) {
        const std::string stream = "counter-" + std::to_string(s);
        REQUIRE(std::holds_alternative<AppendResult>(execute(*f.log, *f.clock, ctx(), increment(*f.log, stream))));
        CHECK(cached(stream).state.count == 1);
    }
    CHECK(cached("counter-1").state.count == 5);
}

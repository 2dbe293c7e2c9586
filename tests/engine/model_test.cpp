// Random appends and reopens checked against a simple in-memory model after every reopen
// (in the spirit of RocksDB's db_map_fuzzer).
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "tests/engine/log_fixture.hpp"

using namespace codd::engine;
using namespace codd::test;

namespace {

struct ModelEvent {
    std::string stream;
    std::int64_t version;
    std::string type;
    std::string payload;
};

struct Model {
    std::vector<ModelEvent> log;
    std::map<std::string, std::int64_t> versions;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> commands;
    std::int64_t next_order = kFirstSequenceValue;

    std::int64_t version(const std::string& s) const {
        auto it = versions.find(s);
        return it == versions.end() ? -1 : it->second;
    }
};

void compare(const EventLog& log, const Model& m) {
    REQUIRE(log.head().value() == m.log.size());
    auto all = log.read_all(GlobalPosition{1}, m.log.size() + 1);
    REQUIRE(all.size() == m.log.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        CAPTURE(i);
        CHECK(all[i].position.value() == i + 1);
        CHECK(all[i].stream == m.log[i].stream);
        CHECK(all[i].version.value() == m.log[i].version);
        CHECK(all[i].type == m.log[i].type);
        CHECK(all[i].payload == m.log[i].payload);
    }
    for (const auto& [s, v] : m.versions) {
        auto got = log.stream_version(s);
        REQUIRE(got.has_value());
        CHECK(got->value() == v);
        CHECK(log.read_stream(s, StreamVersion{0}, 1u << 20).size() == static_cast<std::size_t>(v + 1));
    }
    CHECK(log.sequence_next("order") == m.next_order);
    CHECK(log.verify().ok);
}

}  // namespace

TEST_CASE("random appends and reopens match the model") {
    for (std::uint32_t seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
        CAPTURE(seed);
        std::mt19937 rng(seed);
        TempDir dir;
        Model m;
        auto log = open_log(dir.path());
        for (int op = 0; op < 400; ++op) {
            const auto dice = rng() % 100;
            if (dice < 4) {
                log.reset();
                log = open_log(dir.path());
                compare(*log, m);
                continue;
            }
            // Build a request over 1-3 distinct streams with a mix of right, stale, any and no-stream
            // expectations; sometimes reuse an old command id; sometimes take an order number.
            const bool reuse = !m.commands.empty() && dice < 12;
            std::string cmd = "cmd-" + std::to_string(op);
            if (reuse) {
                auto it = m.commands.begin();
                std::advance(it, rng() % m.commands.size());
                cmd = it->first;
            }
            AppendRequest req = request({}, cmd);
            std::map<std::string, ExpectedVersion> expectations;
            const int n = 1 + static_cast<int>(rng() % 3);
            bool should_conflict = false;
            for (int i = 0; i < n; ++i) {
                const std::string s = "s" + std::to_string(rng() % 6);
                if (expectations.count(s)) continue;
                const auto cur = m.version(s);
                ExpectedVersion ev = ExpectedVersion::any();
                switch (rng() % 4) {
                    case 0: ev = ExpectedVersion::any(); break;
                    case 1: ev = cur < 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exact(StreamVersion{cur}); break;
                    case 2: ev = ExpectedVersion::exact(StreamVersion{cur + 1}); break;
                    case 3: ev = ExpectedVersion::no_stream(); break;
                }
                if (!ev.matches(cur)) should_conflict = true;
                expectations.emplace(s, ev);
                std::vector<NewEvent> evs;
                for (int k = 0, c = 1 + static_cast<int>(rng() % 3); k < c; ++k) {
                    evs.push_back(event("T" + std::to_string(k), "{\"op\":" + std::to_string(op) + "}"));
                }
                req.streams.push_back(to_stream(s, ev, std::move(evs)));
            }
            const bool takes_order = rng() % 5 == 0;
            if (takes_order) req.sequences = {"order"};
            auto res = log->append(req);
            if (reuse) {
                REQUIRE(res.status == AppendStatus::duplicate);
                CHECK(res.first_position.value() == m.commands[cmd].first);
                CHECK(res.last_position.value() == m.commands[cmd].second);
                continue;
            }
            if (should_conflict) {
                CHECK(res.status == AppendStatus::conflict);
                continue;
            }
            REQUIRE(res.status == AppendStatus::ok);
            CHECK(res.first_position.value() == m.log.size() + 1);
            for (const auto& s : req.streams) {
                auto& v = m.versions.try_emplace(s.stream, -1).first->second;
                for (const auto& e : s.events) m.log.push_back({s.stream, ++v, e.type, e.payload});
            }
            if (takes_order) {
                REQUIRE(res.sequence_values.size() == 1);
                CHECK(res.sequence_values[0] == m.next_order++);
            }
            m.commands[cmd] = {res.first_position.value(), res.last_position.value()};
            CHECK(res.last_position.value() == m.log.size());
        }
        log.reset();
        log = open_log(dir.path());
        compare(*log, m);
    }
}

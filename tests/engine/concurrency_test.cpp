// 32+ threads appending to overlapping streams: positions gapless and increasing, every stream's
// versions contiguous, every conflict reported and nothing silently merged.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/engine/log_fixture.hpp"

using namespace codd::engine;
using namespace codd::test;

TEST_CASE("concurrent appends to overlapping streams") {
    constexpr int kThreads = 40;
    constexpr int kPerThread = 150;
    constexpr int kStreams = 12;
    TempDir dir;
    auto log = open_log(dir.path());

    struct Outcome {
        AppendResult result;
        std::vector<std::string> streams;
        std::string tag;
    };
    std::mutex mu;
    std::vector<Outcome> outcomes;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(t);
            std::vector<Outcome> mine;
            for (int i = 0; i < kPerThread; ++i) {
                const std::string tag = std::to_string(t) + "/" + std::to_string(i);
                const int n_streams = 1 + static_cast<int>(rng() % 2);
                std::vector<StreamAppend> appends;
                std::set<int> picked;
                while (static_cast<int>(picked.size()) < n_streams) picked.insert(static_cast<int>(rng() % kStreams));
                for (int s : picked) {
                    const std::string id = "stream-" + std::to_string(s);
                    // Half the appends expect the version they just read: racing threads conflict.
                    auto expected = ExpectedVersion::any();
                    if (rng() % 2 == 0) {
                        auto v = log->stream_version(id);
                        expected = v ? ExpectedVersion::exact(*v) : ExpectedVersion::no_stream();
                    }
                    appends.push_back(to_stream(id, expected, {event("E", "{\"tag\":\"" + tag + "\"}")}));
                }
                Outcome o;
                for (auto& a : appends) o.streams.push_back(a.stream);
                o.tag = tag;
                o.result = log->append(request(std::move(appends), "cmd-" + tag));
                mine.push_back(std::move(o));
            }
            std::lock_guard lock(mu);
            for (auto& o : mine) outcomes.push_back(std::move(o));
        });
    }
    for (auto& th : threads) th.join();

    std::set<std::uint64_t> positions;
    std::map<std::string, int> ok_events_per_stream;
    std::set<std::string> committed_tags, conflicted_tags;
    int conflicts = 0;
    for (const auto& o : outcomes) {
        if (o.result.status == AppendStatus::conflict) {
            ++conflicts;
            conflicted_tags.insert(o.tag);
            CHECK(o.result.expected_version != o.result.actual_version);
            continue;
        }
        REQUIRE(o.result.status == AppendStatus::ok);
        committed_tags.insert(o.tag);
        CHECK(o.result.last_position.value() - o.result.first_position.value() + 1 == o.streams.size());
        for (auto p = o.result.first_position.value(); p <= o.result.last_position.value(); ++p) {
            CHECK(positions.insert(p).second);
        }
        for (const auto& s : o.streams) ++ok_events_per_stream[s];
    }
    INFO("conflicts: " << conflicts);
    CHECK(conflicts > 0);  // the test only means something if threads really raced
    REQUIRE(!positions.empty());
    CHECK(*positions.begin() == 1);
    CHECK(*positions.rbegin() == positions.size());
    CHECK(log->head().value() == positions.size());

    // Log order = position order, and each stream's versions are 0..n-1 with exactly the committed events.
    std::map<std::string, std::int64_t> next_version;
    std::set<std::string> tags_in_log;
    std::uint64_t expect = 1;
    log->scan(GlobalPosition{1}, [&](const RecordedEvent& e) {
        CHECK(e.position.value() == expect++);
        CHECK(e.version.value() == next_version[e.stream]++);
        tags_in_log.insert(e.payload.substr(8, e.payload.size() - 10));
        return true;
    });
    for (const auto& [stream, n] : ok_events_per_stream) CHECK(next_version[stream] == n);
    CHECK(tags_in_log == committed_tags);
    for (const auto& t : conflicted_tags) CHECK(tags_in_log.count(t) == 0);
    CHECK(log->verify().ok);
}

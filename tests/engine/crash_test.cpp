// Crash test: a child appends continuously and reports each acknowledged append; it is SIGKILLed at a
// random moment. After reopening, every acknowledged append is present and intact, no part of an
// unacknowledged batch is half-visible, and verify passes. Repeated over many cycles on one log.
// Some appends take a value of the "order" sequence: after each crash the sequence's next value is one past
// the highest value the log holds, every value below it is held by exactly one command, and an acknowledged
// append keeps the value it was answered with.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include "tests/engine/log_fixture.hpp"

using namespace codd::engine;
using namespace codd::test;

namespace {

struct Ack {
    std::uint64_t first = 0, last = 0;
    int events = 0;
    std::int64_t seq = 0;  // the "order" sequence value the append took; 0: none
};

// Runs the child for `run_for`, SIGKILLs it, and returns every append it acknowledged.
std::map<std::string, Ack> run_and_kill(const std::filesystem::path& dir, int cycle,
                                        std::chrono::milliseconds run_for) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        const std::string d = dir.string(), run = std::to_string(cycle);
        ::execl(CODD_CRASH_APPENDER, CODD_CRASH_APPENDER, d.c_str(), run.c_str(), static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    ::close(fds[1]);
    std::string buffer;
    char chunk[65536];
    // `run_for` counts from the child's first acknowledgment, so that the kill lands while it appends however
    // long it takes to start (an ASan build on a loaded machine took over 0.5 s to open the log); a child that
    // acknowledges nothing is killed after 30 s.
    const auto started = std::chrono::steady_clock::now();
    std::optional<std::chrono::steady_clock::time_point> deadline;
    bool killed = false;
    for (;;) {
        const auto now = std::chrono::steady_clock::now();
        if (!killed && ((deadline && now >= *deadline) || now >= started + std::chrono::seconds(30))) {
            ::kill(pid, SIGKILL);
            killed = true;
        }
        pollfd p{fds[0], POLLIN, 0};
        ::poll(&p, 1, killed ? 1000 : 5);
        if (p.revents & (POLLIN | POLLHUP)) {
            const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
            if (n <= 0) break;  // the child is gone and the pipe is drained
            if (!deadline) deadline = std::chrono::steady_clock::now() + run_for;
            buffer.append(chunk, static_cast<std::size_t>(n));
        }
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    std::map<std::string, Ack> acks;
    std::istringstream in(buffer);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string tag, cmd;
        Ack a;
        if (ls >> tag >> cmd >> a.first >> a.last >> a.events >> a.seq && tag == "ACK") acks[cmd] = a;
    }
    return acks;
}

std::string field(const std::string& payload, const std::string& name) {
    const auto key = "\"" + name + "\":";
    auto at = payload.find(key);
    if (at == std::string::npos) return {};
    at += key.size();
    if (payload[at] == '"') return payload.substr(at + 1, payload.find('"', at + 1) - at - 1);
    return payload.substr(at, payload.find_first_of(",}", at) - at);
}

}  // namespace

TEST_CASE("acknowledged appends survive SIGKILL and no batch is half-visible") {
    TempDir dir;
    std::mt19937 rng(std::random_device{}());
    std::map<std::string, Ack> acked;
    for (int cycle = 0; cycle < 24; ++cycle) {
        CAPTURE(cycle);
        const auto run_for = std::chrono::milliseconds(120 + rng() % 400);
        auto acks = run_and_kill(dir.path(), cycle, run_for);
        acked.insert(acks.begin(), acks.end());

        auto log = open_log(dir.path());
        auto report = log->verify();
        REQUIRE_MESSAGE(report.ok, report.problem);

        // Group what the log holds by command: every command present has all its events, contiguous.
        // Counted by hand and checked once: millions of CHECKs would dominate the test's time.
        std::map<std::string, std::vector<std::uint64_t>> by_cmd;
        std::map<std::string, int> expected_count;
        std::map<std::string, std::int64_t> seq_of_cmd;  // the sequence value each command's events carry
        std::vector<std::string> problems;
        log->scan(GlobalPosition{1}, [&](const RecordedEvent& e) {
            const auto cmd = field(e.payload, "cmd");
            auto& positions = by_cmd[cmd];
            positions.push_back(e.position.value());
            expected_count[cmd] = std::stoi(field(e.payload, "n"));
            if (std::stoi(field(e.payload, "k")) != static_cast<int>(positions.size()) - 1) {
                problems.push_back(cmd + ": event out of order at " + std::to_string(e.position.value()));
            }
            const auto seq_text = field(e.payload, "seq");
            const std::int64_t seq = seq_text.empty() ? 0 : std::stoll(seq_text);
            if (auto [it, fresh] = seq_of_cmd.emplace(cmd, seq); !fresh && it->second != seq) {
                problems.push_back(cmd + ": events carry different sequence values");
            }
            return true;
        });
        for (const auto& [cmd, positions] : by_cmd) {
            if (static_cast<int>(positions.size()) != expected_count[cmd]) problems.push_back(cmd + ": half-visible");
            if (positions.back() - positions.front() + 1 != positions.size())
                problems.push_back(cmd + ": not contiguous");
        }
        for (const auto& [cmd, a] : acked) {
            auto it = by_cmd.find(cmd);
            if (it == by_cmd.end()) {
                problems.push_back(cmd + ": acknowledged but lost");
            } else if (it->second.front() != a.first || it->second.back() != a.last ||
                       static_cast<int>(it->second.size()) != a.events) {
                problems.push_back(cmd + ": acknowledged positions differ");
            }
        }
        // The "order" sequence: no value held twice, none skipped, the next one just past the highest held,
        // and every acknowledged append keeps the value it was answered with.
        std::map<std::int64_t, std::string> cmd_of_seq;
        for (const auto& [cmd, seq] : seq_of_cmd) {
            if (seq == 0) continue;
            if (auto [it, fresh] = cmd_of_seq.emplace(seq, cmd); !fresh) {
                problems.push_back("order sequence value " + std::to_string(seq) + " used by " + it->second + " and " +
                                   cmd);
            }
        }
        const std::int64_t next = log->sequence_next("order");
        const std::int64_t highest = cmd_of_seq.empty() ? kFirstSequenceValue - 1 : cmd_of_seq.rbegin()->first;
        if (next != highest + 1) {
            problems.push_back("order sequence next is " + std::to_string(next) + " but the log holds values up to " +
                               std::to_string(highest));
        }
        if (!cmd_of_seq.empty() &&
            (cmd_of_seq.begin()->first != kFirstSequenceValue ||
             static_cast<std::int64_t>(cmd_of_seq.size()) != highest - kFirstSequenceValue + 1)) {
            problems.push_back("order sequence values in the log are not 1001.." + std::to_string(highest) +
                               " without gaps (" + std::to_string(cmd_of_seq.size()) + " values)");
        }
        for (const auto& [cmd, a] : acked) {
            if (auto it = seq_of_cmd.find(cmd); it != seq_of_cmd.end() && it->second != a.seq) {
                problems.push_back(cmd + ": acknowledged with order sequence value " + std::to_string(a.seq) +
                                   ", the log holds " + std::to_string(it->second));
            }
        }
        CHECK_MESSAGE(problems.empty(), (problems.empty() ? std::string() : problems.front()));
        CHECK(by_cmd.size() >= acked.size());
        // The command ids were recorded in the same batches: replaying one appends nothing.
        if (!acks.empty()) {
            const auto& [cmd, a] = *acks.begin();
            AppendRequest again = request({to_stream("stream-0", ExpectedVersion::any(), {event("X")})}, cmd);
            auto r = log->append(again);
            CHECK(r.status == AppendStatus::duplicate);
            CHECK(r.first_position.value() == a.first);
        }
        // Replaying an acknowledged append that took a sequence value returns that value and takes no new one.
        for (const auto& [cmd, a] : acks) {
            if (a.seq == 0) continue;
            AppendRequest again = request({to_stream("stream-0", ExpectedVersion::any(), {event("X")})}, cmd);
            again.sequences = {"order"};
            auto r = log->append(again);
            CHECK(r.status == AppendStatus::duplicate);
            CHECK(r.sequence_values == std::vector<std::int64_t>{a.seq});
            CHECK(log->sequence_next("order") == next);
            break;
        }
        // The reopened log hands out exactly the next value, once. The probe's events have the appender's shape,
        // so the next cycles check them too.
        const std::string probe = "probe-" + std::to_string(cycle);
        AppendRequest fresh = request({}, probe);
        fresh.sequences = {"order"};
        fresh.build = [&probe](SequenceValues values) {
            return std::vector<StreamAppend>{to_stream(
                "stream-probe", ExpectedVersion::any(),
                {event("CrashTest",
                       "{\"cmd\":\"" + probe + "\",\"k\":0,\"n\":1,\"seq\":" + std::to_string(values[0]) + "}")})};
        };
        auto taken = log->append(std::move(fresh));
        REQUIRE(taken.status == AppendStatus::ok);
        CHECK(taken.sequence_values == std::vector<std::int64_t>{next});
        CHECK(log->sequence_next("order") == next + 1);
    }
    // The cycles must have exercised appends at all; how many depends on fsync latency (a slow, shared disk
    // under ASan acknowledged 85 in 24 cycles), so the floor is about one per cycle.
    CHECK(acked.size() > 24);
    CHECK(std::any_of(acked.begin(), acked.end(), [](const auto& a) { return a.second.seq > 0; }));
}

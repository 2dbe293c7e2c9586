// Child process of the crash test: appends continuously from several threads and reports every
// acknowledged append on stdout as "ACK <command id> <first position> <last position> <events>".
// The parent SIGKILLs it at a random moment.
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/event_log.hpp"

using namespace codd::engine;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: crash_appender DIR RUN\n");
        return 2;
    }
    LogOptions options;
    options.dir = argv[1];
    const std::string run = argv[2];
    auto log = EventLog::open(options);
    std::mutex out_mu;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(std::random_device{}());
            for (int i = 0;; ++i) {
                const std::string cmd = "r" + run + "-t" + std::to_string(t) + "-" + std::to_string(i);
                AppendRequest req;
                req.command_id = cmd;
                req.metadata.actor = {"system", "system"};
                const int n_streams = 1 + static_cast<int>(rng() % 2);
                int total = 0;
                std::vector<int> counts;
                for (int s = 0; s < n_streams; ++s) counts.push_back(1 + static_cast<int>(rng() % 3)), total += counts.back();
                int k = 0;
                for (int s = 0; s < n_streams; ++s) {
                    StreamAppend sa;
                    sa.stream = "stream-" + std::to_string((t * 7 + s * 3 + i) % 20) + (s ? "-b" : "");
                    for (int e = 0; e < counts[s]; ++e) {
                        sa.events.push_back({"CrashTest", 1,
                                             "{\"cmd\":\"" + cmd + "\",\"k\":" + std::to_string(k++) +
                                                 ",\"n\":" + std::to_string(total) + ",\"pad\":\"" +
                                                 std::string(200, 'x') + "\"}",
                                             {}});
                    }
                    req.streams.push_back(std::move(sa));
                }
                if (rng() % 4 == 0) req.sequences = {"order"};
                auto r = log->append(std::move(req));
                if (r.status != AppendStatus::ok) {
                    std::fprintf(stderr, "append %s: %s %s\n", cmd.c_str(), to_string(r.status), r.message.c_str());
                    std::_Exit(3);
                }
                const std::string line = "ACK " + cmd + " " + std::to_string(r.first_position.value()) + " " +
                                         std::to_string(r.last_position.value()) + " " + std::to_string(total) + "\n";
                std::lock_guard lock(out_mu);
                if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) std::_Exit(4);
            }
        });
    }
    for (auto& th : threads) th.join();
}

// Child process of the crash test: appends continuously from several threads and reports every
// acknowledged append on stdout as "ACK <command id> <first position> <last position> <events> <order>",
// where <order> is the value of the "order" sequence the append took (0 if it took none). Every event of an
// append that takes one carries the value in its payload ("seq"), so the log shows which values were used.
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
                std::vector<std::string> names;
                for (int s = 0; s < n_streams; ++s) {
                    counts.push_back(1 + static_cast<int>(rng() % 3));
                    total += counts.back();
                    names.push_back("stream-" + std::to_string((t * 7 + s * 3 + i) % 20) + (s ? "-b" : ""));
                }
                // The streams of the append; `seq` > 0: the sequence value it took, recorded in every event.
                auto make = [cmd, counts, names, total](std::int64_t seq) {
                    std::vector<StreamAppend> streams;
                    const std::string seq_field = seq > 0 ? ",\"seq\":" + std::to_string(seq) : std::string();
                    int k = 0;
                    for (std::size_t s = 0; s < names.size(); ++s) {
                        StreamAppend sa;
                        sa.stream = names[s];
                        for (int e = 0; e < counts[s]; ++e) {
                            sa.events.push_back({"CrashTest",
                                                 1,
                                                 "{\"cmd\":\"" + cmd + "\",\"k\":" + std::to_string(k++) +
                                                     ",\"n\":" + std::to_string(total) + seq_field + ",\"pad\":\"" +
                                                     std::string(200, 'x') + "\"}",
                                                 {}});
                        }
                        streams.push_back(std::move(sa));
                    }
                    return streams;
                };
                if (rng() % 4 == 0) {
                    // The value is known only on the writer thread: the events are built there.
                    req.sequences = {"order"};
                    req.build = [make](SequenceValues values) { return make(values[0]); };
                } else {
                    req.streams = make(0);
                }
                auto r = log->append(std::move(req));
                if (r.status != AppendStatus::ok) {
                    std::fprintf(stderr, "append %s: %s %s\n", cmd.c_str(), to_string(r.status), r.message.c_str());
                    std::_Exit(3);
                }
                const std::int64_t seq = r.sequence_values.empty() ? 0 : r.sequence_values.front();
                const std::string line = "ACK " + cmd + " " + std::to_string(r.first_position.value()) + " " +
                                         std::to_string(r.last_position.value()) + " " + std::to_string(total) + " " +
                                         std::to_string(seq) + "\n";
                std::lock_guard lock(out_mu);
                if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
                    std::_Exit(4);
            }
        });
    }
    for (auto& th : threads) th.join();
}

// Child process of the projection crash test: appends events from two threads while a ProjectionRunner
// applies them to the view file in small batches. It writes one line to stdout after its first append is
// committed, so that the parent's kill clock starts when appending has (a slow start, e.g. under ASan, would
// otherwise eat the whole window). The parent SIGKILLs it at a random moment.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "projections/runner.hpp"
#include "tests/projections/stream_stats.hpp"

using namespace codd;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: crash_projector LOG_DIR VIEW_FILE BATCH\n");
        return 2;
    }
    engine::LogOptions options;
    options.dir = argv[1];
    auto log = engine::EventLog::open(options);
    test::StreamStats projection;
    projections::RunnerOptions runner_options;
    runner_options.batch_size = std::stoul(argv[3]);
    projections::ProjectionRunner runner(*log, argv[2], projection, runner_options);
    std::atomic<bool> announced{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(std::random_device{}());
            for (int i = 0;; ++i) {
                engine::AppendRequest req;
                req.metadata.actor = {"system", "system"};
                const int n = 1 + static_cast<int>(rng() % 4);
                engine::StreamAppend sa;
                sa.stream = "s-" + std::to_string(rng() % 40);
                for (int k = 0; k < n; ++k) {
                    sa.events.push_back({"T" + std::to_string(rng() % 5),
                                         1,
                                         "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}",
                                         {}});
                }
                req.streams.push_back(std::move(sa));
                if (!log->append(std::move(req)).committed()) std::_Exit(3);
                if (!announced.exchange(true)) {
                    constexpr char kLine[] = "appending\n";
                    if (::write(STDOUT_FILENO, kLine, sizeof kLine - 1) < 0) std::_Exit(5);
                }
                if (!runner.error().empty()) {
                    std::fprintf(stderr, "%s\n", runner.error().c_str());
                    std::_Exit(4);
                }
            }
        });
    }
    for (auto& th : threads) th.join();
}

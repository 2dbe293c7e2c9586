// Projection benchmark (issue 4: rebuild throughput). Prints one JSON object per line.
//
//   rebuild          (also per CPU second of the rebuilding thread) rebuild_view of the test projection
//   (tests/projections/stream_stats.hpp) from
//                    position 1 into a new SQLite file: log scan + apply + checkpoint, batched transactions
//   live_catch_up    a ProjectionRunner started on an empty view file, until it reaches the head
//                    (the subscription path a server takes after a restart with a stale view)
//   log_read         reading the log in the same batches and applying nothing: the ceiling of a rebuild
//   summary          medians over the runs, and rebuild as a ratio of log_read
//
// The test projection does two upserts per event (per stream, per type); a domain view's cost per event
// will differ, so this measures the runner's overhead and a floor for the orders view.
//
// Usage: projection_bench [--runs N] [--events N] [--streams N] [--batch N] [--dir DIR] [--quick]
#include <time.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "bench/bench_util.hpp"
#include "engine/event_log.hpp"
#include "engine/huge_pages.hpp"
#include "projections/rebuild.hpp"
#include "projections/runner.hpp"
#include "tests/projections/stream_stats.hpp"

using namespace codd::engine;
using namespace codd::projections;
using namespace codd::bench;

namespace {

struct Args {
    int runs = 3;
    std::uint64_t events = 1'000'000;
    std::uint64_t streams = 100'000;
    std::size_t batch = kRebuildBatchSize;
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "codd-projection-bench";
};

std::string payload(std::mt19937_64& rng) {
    // ~300 bytes, shaped like an order event (as in log_bench).
    return R"({"orderId":)" + std::to_string(1001 + rng() % 1000000) + R"(,"customerId":)" +
           std::to_string(rng() % 100000) +
           R"(,"items":[{"productId":12,"quantity":2,"unitPrice":4500},)"
           R"({"productId":31,"quantity":1,"unitPrice":12000}],)"
           R"("subtotal":21000,"shippingCost":1500,"discount":0,"totalAmount":22500,"deliveryArea":"East Legon",)"
           R"("deliveryAddress":"House 14, Lagos Avenue","deliveryState":"Greater Accra","source":"manual"})";
}

const char* event_type(std::uint64_t i) {
    static constexpr const char* kTypes[] = {"OrderCreated", "OrderConfirmed", "OrderStatusChanged", "AgentAssigned",
                                             "PaymentCollected"};
    return kTypes[i % 5];
}

// Fills the log without fsync: filling is not what is measured.
void fill(const std::filesystem::path& dir, const Args& a) {
    std::filesystem::remove_all(dir);
    LogOptions opts;
    opts.dir = dir;
    opts.sync = false;
    auto log = EventLog::open(opts);
    std::mt19937_64 rng(3);
    // One event per stream per request: at least as many streams as events in a request.
    const std::uint64_t per_request = std::min<std::uint64_t>(100, a.streams);
    std::atomic<std::uint64_t> outstanding{0};
    for (std::uint64_t i = 0; i < a.events; i += per_request) {
        AppendRequest r;
        r.metadata.actor = {"1", "admin"};
        for (std::uint64_t k = i; k < i + per_request && k < a.events; ++k) {
            r.streams.push_back({"order-" + std::to_string(k % a.streams),
                                 ExpectedVersion::any(),
                                 {NewEvent{event_type(k), 1, payload(rng), {}}}});
        }
        outstanding.fetch_add(1);
        log->append_async(std::move(r), [&](AppendResult res) {
            if (!res.committed()) std::abort();
            outstanding.fetch_sub(1);
        });
        while (outstanding.load() > 64) std::this_thread::yield();
    }
    log->close();
}

double file_mb(const std::filesystem::path& file) {
    std::uintmax_t bytes = 0;
    for (const char* suffix : {"", "-wal"}) {
        std::error_code ec;
        const auto n = std::filesystem::file_size(file.string() + suffix, ec);
        if (!ec) bytes += n;
    }
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

// The ceiling of any rebuild: reading and decoding the log in the same batches, applying nothing.
double run_read_only(const EventLog& log, std::size_t batch) {
    const auto start = SteadyClock::now();
    std::uint64_t n = 0;
    for (;;) {
        const auto events = log.read_all(GlobalPosition{n + 1}, batch);
        if (events.empty()) break;
        n += events.size();
    }
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    return static_cast<double>(n) / seconds;
}

double run_live(EventLog& log, const std::filesystem::path& file, std::size_t batch) {
    remove_view_file(file);
    codd::test::StreamStats projection;
    RunnerOptions options;
    options.batch_size = batch;
    const auto start = SteadyClock::now();
    ProjectionRunner runner(log, file, projection, options);
    if (!runner.wait_for(log.head(), std::chrono::hours(1))) std::abort();
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    return static_cast<double>(log.head().value()) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
    // As `codd rebuild` runs (tools/main.cpp).
    codd::engine::reexec_with_huge_page_malloc(argv);
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (k == "--runs")
            a.runs = std::stoi(next());
        else if (k == "--events")
            a.events = std::stoull(next());
        else if (k == "--streams")
            a.streams = std::stoull(next());
        else if (k == "--batch")
            a.batch = std::stoul(next());
        else if (k == "--dir")
            a.dir = next();
        else if (k == "--quick")
            a.runs = 1, a.events = 20000, a.streams = 2000;
        else {
            std::fprintf(
                stderr,
                "usage: projection_bench [--runs N] [--events N] [--streams N] [--batch N] [--dir DIR] [--quick]\n");
            return 2;
        }
    }
    std::filesystem::create_directories(a.dir);
    fill(a.dir / "log", a);
    LogOptions opts;
    opts.dir = a.dir / "log";
    auto log = EventLog::open(opts);
    std::vector<double> rebuild, rebuild_cpu, live, read;
    for (int run = 0; run < a.runs; ++run) {
        const double r = run_read_only(*log, a.batch);
        JsonLine("log_read")
            .integer("run", run)
            .integer("events", static_cast<std::int64_t>(a.events))
            .integer("batch", static_cast<std::int64_t>(a.batch))
            .num("ops_per_s", r)
            .print();
        read.push_back(r);

        codd::test::StreamStats projection;
        const auto file = a.dir / "rebuild.db";
        // The calling thread's CPU: with RocksDB compacting the freshly filled log, wall time alone misleads.
        const double cpu0 = thread_cpu_seconds();
        const auto stats = rebuild_view(*log, projection, file, a.batch);
        const double cpu_s = thread_cpu_seconds() - cpu0;
        if (stats.events != a.events) std::abort();
        const double rps = static_cast<double>(stats.events) / stats.seconds;
        JsonLine("rebuild")
            .integer("run", run)
            .integer("events", static_cast<std::int64_t>(stats.events))
            .integer("streams", static_cast<std::int64_t>(a.streams))
            .integer("batch", static_cast<std::int64_t>(a.batch))
            .num("seconds", stats.seconds)
            .num("cpu_seconds", cpu_s)
            .num("ops_per_s", rps)
            .num("ops_per_cpu_s", cpu_s > 0 ? static_cast<double>(stats.events) / cpu_s : 0)
            .num("file_mb", file_mb(file))
            .print();
        rebuild.push_back(rps);
        rebuild_cpu.push_back(cpu_s > 0 ? static_cast<double>(stats.events) / cpu_s : 0);

        const double lps = run_live(*log, a.dir / "live.db", a.batch);
        JsonLine("live_catch_up")
            .integer("run", run)
            .integer("events", static_cast<std::int64_t>(a.events))
            .integer("batch", static_cast<std::int64_t>(a.batch))
            .num("ops_per_s", lps)
            .print();
        live.push_back(lps);
    }
    JsonLine("summary_rebuild")
        .integer("runs", a.runs)
        .integer("events", static_cast<std::int64_t>(a.events))
        .num("ops_per_s", median(rebuild))
        .num("ops_per_cpu_s", median(rebuild_cpu))
        .num("log_read_ops_per_s", median(read))
        .num("ratio_to_log_read", median(read) > 0 ? median(rebuild) / median(read) : 0)
        .print();
    JsonLine("summary_live_catch_up").integer("runs", a.runs).num("ops_per_s", median(live)).print();
    log->close();
    std::filesystem::remove_all(a.dir);
}

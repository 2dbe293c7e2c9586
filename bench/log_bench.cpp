// Event log benchmark (issue: foundation). Prints one JSON object per line.
//
//   append_durable   one ~300-byte event per command, N concurrent producers, sync=true; also the CPU per
//                    command of the log's writer thread (its serial step) and of the whole process
//   ceiling_synced   raw RocksDB WriteBatch, sync=true, at the batch size the engine reached
//   ceiling_unsynced the same without sync
//   ceiling_synced_full raw synced WriteBatches of one event per producer: the most one fsync can carry when
//                    each producer waits for its answer before the next append, so the bound of any group
//                    commit at that many producers on this disk
//   replay           reading (and decoding) the whole log from position 1
//   summary          medians over the runs, and the engine/ceiling ratio
//
// Usage: log_bench [--runs N] [--seconds S] [--producers 1,16,64,256] [--dir DIR] [--replay-events N]
//                  [--no-ceilings] [--no-sync] [--quick]
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "bench/bench_util.hpp"
#include "engine/allocator.hpp"
#include "engine/event_log.hpp"

using namespace codd::engine;
using namespace codd::bench;

namespace {

struct Args {
    int runs = 3;
    double seconds = 2.0;
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "codd-log-bench";
    std::uint64_t replay_events = 1'000'000;
    std::vector<int> producers = {1, 16, 64, 256};
    bool ceilings = true;  // --no-ceilings: the engine alone, e.g. under callgrind
    bool sync = true;      // --no-sync: the engine's CPU bound, without waiting on the disk
};

std::string payload(std::mt19937_64& rng) {
    // ~300 bytes, shaped like an order event.
    std::string p = R"({"orderId":)" + std::to_string(1001 + rng() % 1000000) +
                    R"(,"customerId":)" + std::to_string(rng() % 100000) +
                    R"(,"items":[{"productId":12,"quantity":2,"unitPrice":4500},{"productId":31,"quantity":1,"unitPrice":12000}],)" +
                    R"("subtotal":21000,"shippingCost":1500,"discount":0,"totalAmount":22500,"deliveryArea":"East Legon",)" +
                    R"("deliveryAddress":"House 14, Lagos Avenue","deliveryState":"Greater Accra","source":"manual"})";
    return p;
}

struct AppendRun {
    double ops_per_s = 0, p50_us = 0, p99_us = 0, avg_batch = 0, per_sync = 0;
    double writer_cpu_us = 0, process_cpu_us = 0;  // CPU per command: the log's writer thread, the whole process
};

AppendRequest order_created(int producer, std::uint64_t i, std::mt19937_64& rng) {
    AppendRequest r;
    r.command_id = "p" + std::to_string(producer) + "-" + std::to_string(i);
    r.metadata.actor = {"1", "admin"};
    r.streams.push_back({"order-" + std::to_string(producer) + "-" + std::to_string(i), ExpectedVersion::no_stream(),
                         {NewEvent{"OrderCreated", 1, payload(rng), {}}}});
    return r;
}

// A producer is a closed-loop client with one append in flight, as a connection of `codd serve` is:
// its completion records the latency and sends its next append. Producers share no OS threads of their
// own, so 256 producers measure the log, not the scheduler.
class AsyncProducers {
public:
    AsyncProducers(EventLog& log, int n) : log_(log), state_(static_cast<std::size_t>(n)) {
        for (int p = 0; p < n; ++p) state_[static_cast<std::size_t>(p)].rng.seed(static_cast<std::uint64_t>(p));
    }

    void run(double seconds) {
        for (std::size_t p = 0; p < state_.size(); ++p) send(p);
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        stop_.store(true);
        std::unique_lock lock(mu_);
        done_cv_.wait(lock, [&] { return in_flight_ == 0; });
    }

    std::vector<double> latencies() const {
        std::vector<double> all;
        for (const auto& s : state_) all.insert(all.end(), s.latencies.begin(), s.latencies.end());
        return all;
    }

private:
    struct State {
        std::mt19937_64 rng;
        std::uint64_t next = 0;
        std::vector<double> latencies;
    };

    void send(std::size_t p) {
        {
            std::lock_guard lock(mu_);
            ++in_flight_;
        }
        auto& s = state_[p];
        const auto t0 = SteadyClock::now();
        log_.append_async(order_created(static_cast<int>(p), s.next++, s.rng), [this, p, t0](AppendResult r) {
            if (r.status != AppendStatus::ok) std::abort();
            state_[p].latencies.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
            if (!stop_.load(std::memory_order_relaxed)) send(p);
            std::lock_guard lock(mu_);
            if (--in_flight_ == 0) done_cv_.notify_all();
        });
    }

    EventLog& log_;
    std::vector<State> state_;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable done_cv_;
    int in_flight_ = 0;
};

AppendRun run_appends(const std::filesystem::path& dir, int producers, double seconds, bool sync) {
    std::filesystem::remove_all(dir);
    LogOptions opts;
    opts.dir = dir;
    opts.sync = sync;
    auto log = EventLog::open(opts);
    AsyncProducers load(*log, producers);
    auto cpu = cpu_seconds_by_thread_name();
    const auto start = SteadyClock::now();
    load.run(seconds);
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    for (const auto& [name, s] : cpu_seconds_by_thread_name()) cpu[name] = s - cpu[name];
    auto latencies = load.latencies();
    AppendRun r;
    const double commands = static_cast<double>(std::max<std::size_t>(latencies.size(), 1));
    r.writer_cpu_us = cpu["codd-log-write"] * 1e6 / commands;
    r.process_cpu_us = cpu[""] * 1e6 / commands;
    r.ops_per_s = static_cast<double>(latencies.size()) / elapsed;
    r.p50_us = percentile(latencies, 0.50);
    r.p99_us = percentile(latencies, 0.99);
    const auto st = log->stats();
    r.avg_batch = st.batches ? static_cast<double>(st.commands) / static_cast<double>(st.batches) : 0;
    r.per_sync = st.syncs ? static_cast<double>(st.commands) / static_cast<double>(st.syncs) : 0;
    log->close();
    return r;
}

// Raw RocksDB: one thread writing batches of `batch` ~300-byte values with or without sync.
double run_ceiling(const std::filesystem::path& dir, int batch, bool sync, double seconds) {
    std::filesystem::remove_all(dir);
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, dir.string(), &raw).ok()) std::abort();
    std::unique_ptr<rocksdb::DB> db(raw);
    std::mt19937_64 rng(7);
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    std::uint64_t key = 0, events = 0;
    const auto start = SteadyClock::now();
    const auto end = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
    while (SteadyClock::now() < end) {
        rocksdb::WriteBatch wb;
        for (int i = 0; i < batch; ++i) {
            char k[8];
            const std::uint64_t be = __builtin_bswap64(++key);
            std::memcpy(k, &be, 8);
            wb.Put(rocksdb::Slice(k, 8), payload(rng));
        }
        if (!db->Write(wo, &wb).ok()) std::abort();
        events += static_cast<std::uint64_t>(batch);
    }
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    db->Close();
    return static_cast<double>(events) / elapsed;
}

double run_replay(const std::filesystem::path& dir, std::uint64_t n_events, std::uint64_t* counted) {
    std::filesystem::remove_all(dir);
    {
        LogOptions opts;
        opts.dir = dir;
        opts.sync = false;  // filling is not what is measured
        auto log = EventLog::open(opts);
        std::mt19937_64 rng(3);
        const std::uint64_t per_request = 100;
        std::atomic<std::uint64_t> outstanding{0};
        for (std::uint64_t i = 0; i < n_events; i += per_request) {
            AppendRequest r;
            r.metadata.actor = {"1", "admin"};
            for (std::uint64_t k = 0; k < per_request && i + k < n_events; ++k) {
                r.streams.push_back({"order-" + std::to_string(i + k), ExpectedVersion::any(),
                                     {NewEvent{"OrderCreated", 1, payload(rng), {}}}});
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
    LogOptions opts;
    opts.dir = dir;
    auto log = EventLog::open(opts);
    std::uint64_t n = 0, bytes = 0;
    const auto start = SteadyClock::now();
    log->scan(GlobalPosition{1}, [&](const RecordedEvent& e) {
        ++n;
        bytes += e.payload.size();
        return true;
    });
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    *counted = n;
    return static_cast<double>(n) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (k == "--runs") a.runs = std::stoi(next());
        else if (k == "--seconds") a.seconds = std::stod(next());
        else if (k == "--dir") a.dir = next();
        else if (k == "--replay-events") a.replay_events = std::stoull(next());
        else if (k == "--producers") {
            a.producers.clear();
            std::string list = next();
            for (std::size_t at = 0; at < list.size();) {
                const auto comma = list.find(',', at);
                a.producers.push_back(std::stoi(list.substr(at, comma - at)));
                at = comma == std::string::npos ? list.size() : comma + 1;
            }
        }
        else if (k == "--no-ceilings") a.ceilings = false;
        else if (k == "--no-sync") a.sync = false;
        else if (k == "--quick") a.runs = 1, a.seconds = 0.2, a.replay_events = 20000, a.producers = {1, 16};
        else {
            std::fprintf(stderr, "usage: log_bench [--runs N] [--seconds S] [--producers 1,16,64,256] [--dir DIR] [--replay-events N] [--no-ceilings] [--no-sync] [--quick]\n");
            return 2;
        }
    }
    std::filesystem::create_directories(a.dir);
    std::map<int, std::vector<double>> ops, p50, p99, ceil_sync, ceil_nosync, ceil_full, writer_cpu;
    std::vector<double> replay;
    for (int run = 0; run < a.runs; ++run) {
        for (int producers : a.producers) {
            auto r = run_appends(a.dir / "log", producers, a.seconds, a.sync);
            // The ceiling writes what one engine fsync made durable, as one synced WriteBatch.
            const int batch_n = std::max(1, static_cast<int>(r.per_sync + 0.5));
            const double cs = a.ceilings ? run_ceiling(a.dir / "raw", batch_n, true, a.seconds) : 0;
            const double cn = a.ceilings ? run_ceiling(a.dir / "raw", batch_n, false, a.seconds) : 0;
            const double cf = a.ceilings ? run_ceiling(a.dir / "raw", producers, true, a.seconds) : 0;
            JsonLine(a.sync ? "append_durable" : "append_unsynced").integer("run", run).integer("producers", producers).integer("event_bytes", 300)
                .num("ops_per_s", r.ops_per_s).num("p50_us", r.p50_us).num("p99_us", r.p99_us).num("commands_per_batch", r.avg_batch).num("commands_per_sync", r.per_sync)
                .num("writer_cpu_us_per_command", r.writer_cpu_us).num("process_cpu_us_per_command", r.process_cpu_us).print();
            JsonLine("ceiling_synced").integer("run", run).integer("batch", batch_n).num("ops_per_s", cs).print();
            JsonLine("ceiling_unsynced").integer("run", run).integer("batch", batch_n).num("ops_per_s", cn).print();
            JsonLine("ceiling_synced_full").integer("run", run).integer("batch", producers).num("ops_per_s", cf).print();
            ops[producers].push_back(r.ops_per_s);
            p50[producers].push_back(r.p50_us);
            p99[producers].push_back(r.p99_us);
            writer_cpu[producers].push_back(r.writer_cpu_us);
            ceil_sync[producers].push_back(cs);
            ceil_nosync[producers].push_back(cn);
            ceil_full[producers].push_back(cf);
        }
        std::uint64_t n = 0;
        const double rps = run_replay(a.dir / "replay", a.replay_events, &n);
        JsonLine("replay").integer("run", run).integer("events", static_cast<std::int64_t>(n)).num("ops_per_s", rps).print();
        replay.push_back(rps);
    }
    for (int producers : a.producers) {
        const double m = median(ops[producers]), c = median(ceil_sync[producers]), f = median(ceil_full[producers]);
        JsonLine("summary_append_durable").integer("producers", producers).integer("runs", a.runs)
            .num("ops_per_s", m).num("p50_us", median(p50[producers])).num("p99_us", median(p99[producers]))
            .num("ceiling_synced_ops_per_s", c).num("ceiling_unsynced_ops_per_s", median(ceil_nosync[producers]))
            .num("ratio_to_synced_ceiling", c > 0 ? m / c : 0)
            .num("ceiling_synced_full_ops_per_s", f).num("ratio_to_full_ceiling", f > 0 ? m / f : 0)
            .num("writer_cpu_us_per_command", median(writer_cpu[producers]))
            .str("allocator", codd::engine::allocator_name()).print();
    }
    JsonLine("summary_replay").integer("runs", a.runs).num("ops_per_s", median(replay)).print();
    std::filesystem::remove_all(a.dir);
}

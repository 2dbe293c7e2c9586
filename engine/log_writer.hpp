#pragma once
// LogWriter: the single writer thread and its group commit.
//
// Producers queue requests; the writer takes everything queued (up to a limit), decides each request
// against the state as the batch has left it (expected versions, command ids, sequences), and writes one
// WriteBatch with every accepted event. Positions are therefore gapless and in commit order, and a
// refused request leaves no trace (a WriteBatch is one atomic WAL record).
//
// Durability is a second stage: the syncer thread fsyncs the WAL once for every batch written since its
// last sync, and only then publishes the new head and answers the producers, refusals and duplicates
// included (a duplicate may name a batch that is not yet durable). While the syncer waits on the disk
// the writer already decides and writes the next batch, so CPU work and fsync overlap.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <rocksdb/write_batch.h>

#include "engine/event_log.hpp"
#include "engine/log_store.hpp"

namespace codd::engine::detail {

class LogWriter {
public:
    // `on_commit` runs on the writer thread after each durable batch, with the new head.
    LogWriter(LogStore& store, const LogOptions& options, std::function<void(std::uint64_t)> on_commit);
    ~LogWriter();

    void submit(AppendRequest request, std::function<void(AppendResult)> done);
    // Refuses new requests, answers every queued one, joins the thread. Idempotent.
    void close();
    [[nodiscard]] bool healthy() const { return !failed_.load() && !closing_.load(); }
    [[nodiscard]] LogStats stats() const;

private:
    struct Pending {
        AppendRequest request;
        std::function<void(AppendResult)> done;
    };
    // A written batch waiting for the syncer.
    struct Written {
        std::vector<Pending> pending;
        std::vector<AppendResult> results;
        std::uint64_t last_position = 0;
    };
    class Batch;

    void run();
    void run_syncer(std::uint64_t synced);
    void commit(std::vector<Pending>& pending);
    void fail_all(std::vector<Pending>& pending, const std::string& why);
    static void answer(Pending& p, AppendResult r) noexcept;
    std::int64_t current_version(const std::string& stream);
    std::int64_t current_sequence(const std::string& name);

    LogStore& store_;
    LogOptions options_;
    std::function<void(std::uint64_t)> on_commit_;

    // Writer-thread state: what the log holds after the last durable batch.
    std::uint64_t last_position_ = 0;
    Hash last_hash_{};
    std::unordered_map<std::string, std::int64_t> versions_;  // a bounded cache of stream versions
    std::unordered_map<std::string, std::int64_t> sequences_;
    rocksdb::WriteBatch write_batch_;  // reused: keeps its capacity instead of faulting in new pages

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    std::atomic<bool> closing_{false};
    std::atomic<bool> failed_{false};
    LogStats stats_;
    std::thread thread_;

    std::mutex sync_mu_;
    std::condition_variable sync_cv_;
    std::deque<Written> written_;
    bool writer_done_ = false;
    std::thread syncer_;
};

}  // namespace codd::engine::detail

#pragma once
// LogWriter: the single writer thread and its group commit.
//
// Producers queue requests; the writer takes everything queued (up to a limit), decides each request
// against the state as the batch has left it (expected versions, command ids, sequences), and writes one
// WriteBatch with every accepted event. Positions are therefore gapless and in commit order, and a
// refused request leaves no trace (a WriteBatch is one atomic WAL record).
//
// Three threads make a pipeline, so that the fsync (the long, CPU-free step) is never waiting for CPU work:
// - the writer decides a round (everything queued) and writes it into RocksDB at once (memtable inserts, and
//   the WAL record into RocksDB's buffer: manual_wal_flush); the next round is therefore decided against the
//   store itself;
// - the syncer takes every round written so far, tells how far it is syncing (a staged subscription reads that
//   far), writes the WAL buffer to the file and fsyncs it once (FlushWAL), and publishes the new head;
// - the completer answers the rounds the syncer has made durable (refusals and duplicates too: they may
//   depend on a round not yet durable), so producers' callbacks never delay the next fsync.
// While one fsync runs, the writer writes the next rounds and the completer answers the previous ones; the
// next fsync carries everything written meanwhile. A round is answered ok only after an fsync that began
// after its write returned. Should a write or an fsync fail, that round and every later one fail, and the
// log stops accepting appends (what RocksDB holds stays a prefix of the decisions).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <rocksdb/write_batch.h>

#include "engine/event_log.hpp"
#include "engine/log_store.hpp"

namespace codd::engine::detail {

class LogWriter {
public:
    // What the pipeline tells the log, each on the thread named.
    struct Hooks {
        // The syncer, after each fsync: the new head.
        std::function<void(std::uint64_t)> on_commit;
        // The syncer, before each fsync: the last position it is about to make durable (written, readable).
        std::function<void(std::uint64_t)> on_syncing;
        // The writer or the syncer, once a write or an fsync failed and the log stopped accepting appends.
        std::function<void()> on_failed;
        // The completer, for every accepted append of a durable round (the request as decided, its `ok` result),
        // before the round's producers are answered.
        std::function<void(const AppendRequest&, const AppendResult&)> on_durable;
    };
    LogWriter(LogStore& store, const LogOptions& options, Hooks hooks);
    ~LogWriter();

    void submit(AppendRequest request, std::function<void(AppendResult)> done);
    // Refuses new requests, answers every queued one, joins the thread. Idempotent.
    void close();
    [[nodiscard]] bool healthy() const { return !failed_.load() && !closing_.load(); }
    // A write or an fsync failed: the log refuses appends from then on.
    [[nodiscard]] bool failed() const { return failed_.load(); }
    // What failed (the first write or fsync error), empty while nothing has.
    [[nodiscard]] std::string failure() const;
    [[nodiscard]] LogStats stats() const;

private:
    // Stops accepting appends for good, keeping the first `error` for failure().
    void fail(const std::string& error);

    struct Pending {
        AppendRequest request;
        std::function<void(AppendResult)> done;
    };
    // One round: the requests decided together and written in one WriteBatch, with their answers.
    struct Round {
        std::vector<Pending> pending;
        std::vector<AppendResult> results;
        std::uint64_t last_position = 0;  // the log's last position once this round is written
        bool failed = false;              // not written: every request is answered with `results` (closed)
    };
    class Batch;
    class Scratch;

    void run_writer();
    void run_syncer(std::uint64_t synced);
    void run_completer();
    Round decide_and_write(std::vector<Pending> pending);
    static void fail_round(Round& round, const std::string& why);
    static void answer(Pending& p, AppendResult r) noexcept;
    std::int64_t current_version(const std::string& stream);
    std::int64_t current_sequence(const std::string& name);

    LogStore& store_;
    LogOptions options_;
    Hooks hooks_;

    // Writer-thread state: what the log holds after every round written so far (synced or not).
    std::unique_ptr<Scratch> scratch_;  // the hasher and buffers
    rocksdb::WriteBatch batch_;         // reused: it keeps its capacity from round to round
    std::uint64_t last_position_ = 0;
    Hash last_hash_{};
    std::unordered_map<std::string, std::int64_t> versions_;  // a bounded cache of stream versions
    std::unordered_map<std::string, std::int64_t> sequences_;

    // Producers → writer.
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    std::atomic<bool> closing_{false};
    std::atomic<bool> failed_{false};
    LogStats stats_;       // guarded by mu_
    std::string failure_;  // guarded by mu_: the error that set failed_

    // Writer → syncer: rounds written, not yet synced.
    std::mutex sync_mu_;
    std::condition_variable sync_cv_;
    std::deque<Round> written_;
    bool writer_done_ = false;

    // Syncer → completer: rounds durable (or failed), to answer.
    std::mutex done_mu_;
    std::condition_variable done_cv_;
    std::deque<Round> durable_;
    bool syncer_done_ = false;

    std::thread writer_, syncer_, completer_;
};

}  // namespace codd::engine::detail

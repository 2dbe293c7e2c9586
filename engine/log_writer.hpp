#pragma once
// LogWriter: the single writer thread and its group commit.
//
// Producers queue requests; the writer takes everything queued (up to a limit), decides each request
// against the state as the batch has left it (expected versions, command ids, sequences), and writes one
// WriteBatch with every accepted event. Positions are therefore gapless and in commit order, and a
// refused request leaves no trace (a WriteBatch is one atomic WAL record).
//
// Writing and durability are a second stage. The writer decides rounds of queued requests into an open
// group (one WriteBatch) and hands the group to the syncer thread as soon as that is free; the syncer
// writes it into RocksDB (WAL append and memtable inserts, unsynced), fsyncs the WAL, and only then
// publishes the new head and answers the producers, refusals and duplicates included (a duplicate may
// name a group that is not yet durable). So deciding overlaps both the memtable inserts and the fsync,
// and a group holds everything decided while the syncer was busy. Until a group is written, the writer
// answers "what version / which command id" for it from its overlays, not from the store.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
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
    // A group of decided commands (one or more rounds) in one WriteBatch, for the syncer to write and sync.
    struct Written {
        std::vector<Pending> pending;
        std::vector<AppendResult> results;
        std::unique_ptr<rocksdb::WriteBatch> batch;
        std::uint64_t events = 0;
        std::uint64_t last_position = 0;
        std::uint64_t number = 0;
    };
    // What a decided round changed, for the writer's lookups until the syncer has written its group.
    struct Overlay {
        std::uint64_t number = 0;
        std::unordered_map<std::string, std::int64_t> versions;
        std::unordered_map<std::string, AppendResult> commands;
    };
    class Batch;
    class Scratch;

    void run();
    void run_syncer(std::uint64_t synced);
    void decide(std::vector<Pending>& pending);
    void fail_all(std::vector<Pending>& pending, const std::string& why);
    static void answer(Pending& p, AppendResult r) noexcept;
    std::int64_t current_version(const std::string& stream);
    std::int64_t current_sequence(const std::string& name);
    const AppendResult* in_flight_command(const std::string& command_id) const;
    std::unique_ptr<rocksdb::WriteBatch> take_write_batch();

    LogStore& store_;
    LogOptions options_;
    std::function<void(std::uint64_t)> on_commit_;
    std::unique_ptr<Scratch> scratch_;  // the writer thread's hasher and buffers

    // Writer-thread state: what the log holds after every round decided so far (written or not).
    std::uint64_t last_position_ = 0;
    Hash last_hash_{};
    std::unordered_map<std::string, std::int64_t> versions_;  // a bounded cache of stream versions
    std::unordered_map<std::string, std::int64_t> sequences_;
    // Rounds decided but maybe not yet written, oldest first; dropped once `written_upto_` covers them.
    std::deque<Overlay> overlays_;
    std::optional<Written> open_;  // the group being decided, not yet handed to the syncer
    std::uint64_t batch_number_ = 0;
    std::atomic<std::uint64_t> written_upto_{0};  // the syncer has written every group up to this number

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    bool syncer_idle_ = true;  // the syncer waits for a group (guarded by mu_)
    std::atomic<bool> closing_{false};
    std::atomic<bool> failed_{false};
    LogStats stats_;
    std::thread thread_;

    std::mutex sync_mu_;
    std::condition_variable sync_cv_;
    std::deque<Written> written_;
    // Reused: a batch keeps its capacity instead of faulting in new pages.
    std::vector<std::unique_ptr<rocksdb::WriteBatch>> spare_batches_;
    bool writer_done_ = false;
    std::thread syncer_;
};

}  // namespace codd::engine::detail

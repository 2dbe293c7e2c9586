#pragma once
// LogWriter: the single writer thread and its group commit.
//
// Producers queue requests; the writer takes everything queued (up to a limit), decides each request
// against the state as the batch has left it (expected versions, command ids, sequences), builds one
// WriteBatch with every accepted event, writes it with sync, and only then publishes the new head and
// answers the producers. Positions are therefore gapless and in commit order, and a refused request
// leaves no trace.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "engine/event_log.hpp"
#include "engine/log_store.hpp"

namespace codd::engine::detail {

struct BatchStats {
    std::uint64_t batches = 0;
    std::uint64_t commands = 0;
    std::uint64_t events = 0;
};

class LogWriter {
public:
    // `on_commit` runs on the writer thread after each durable batch, with the new head.
    LogWriter(LogStore& store, const LogOptions& options, std::function<void(std::uint64_t)> on_commit);
    ~LogWriter();

    void submit(AppendRequest request, std::function<void(AppendResult)> done);
    // Refuses new requests, answers every queued one, joins the thread. Idempotent.
    void close();
    [[nodiscard]] bool healthy() const { return !failed_.load() && !closing_.load(); }
    [[nodiscard]] BatchStats stats() const;

private:
    struct Pending {
        AppendRequest request;
        std::function<void(AppendResult)> done;
    };
    class Batch;

    void run();
    void commit(std::vector<Pending>& pending);
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

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    std::atomic<bool> closing_{false};
    std::atomic<bool> failed_{false};
    BatchStats stats_;
    std::thread thread_;
};

}  // namespace codd::engine::detail

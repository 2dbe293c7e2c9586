#pragma once
// The durable, ordered, tamper-evident event log on RocksDB (DESIGN §3).
//
// One writer thread owns every append: it takes all queued commands, checks their expected versions and
// command ids, assigns gapless global positions in commit order, and writes them in one WriteBatch; one
// WAL fsync then makes every batch written meanwhile durable (group commit), and only then are they
// answered. Readers read RocksDB directly and never block the writer; they only see positions up to
// head(), which advances after the fsync (a staged subscription, subscribe_staged, sees the events of an fsync
// while it runs, and makes them visible only once they are durable).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/clock.hpp"
#include "engine/envelope.hpp"
#include "engine/types.hpp"

namespace codd::engine {

// Unexpected storage failures (I/O error, corruption on open). Expected outcomes are AppendResult values.
class StorageError : public std::runtime_error {
  public:
    enum class Kind {
        other,
        corruption,  // RocksDB found the log's files damaged
        in_use,      // another process (a running server) holds the log
    };
    explicit StorageError(const std::string& what, Kind kind = Kind::other) : std::runtime_error(what), kind_(kind) {}
    [[nodiscard]] Kind kind() const { return kind_; }

  private:
    Kind kind_;
};

// Thrown by an AppendRequest's `build` when what the request was decided on changed since (a product edited
// while an order priced and reserved it): the request is refused as a conflict, so the caller decides again.
class StaleDecision : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A stream with no events is a condition only: its expected version is checked like every other stream's and
// nothing is written to it, so a command can depend on a stream it does not change (an order edit that only
// changes the order's customer still fails when the order moved meanwhile). An append needs one event at least.
struct StreamAppend {
    std::string stream;
    ExpectedVersion expected = ExpectedVersion::any();
    std::vector<NewEvent> events;
};

// Values of the sequences a request asked for, in the order it named them.
using SequenceValues = std::span<const std::int64_t>;

struct AppendRequest {
    // Idempotency: a request whose command id was already committed appends nothing and returns the
    // original result, also after a restart. Empty: no idempotency.
    std::string command_id;
    // What the command was asked (e.g. a hash of the HTTP request), kept with its record: a later request with
    // the same command id and another fingerprint is a different request (see engine::same_request).
    std::string command_fingerprint;
    // A second name of the same command, recorded with the append under its own fingerprint (an order from
    // another system, named by its external id, that also came with an Idempotency-Key). Like `command_id`, a
    // request whose also_command_id was already committed appends nothing and returns that original result.
    // Empty: none.
    std::string also_command_id;
    std::string also_command_fingerprint;
    EventMetadata metadata;
    std::vector<StreamAppend> streams;

    // Sequences (e.g. "order") to advance by one each, in the same batch as the events. When `build` is
    // set it is called on the writer thread with the allocated values and its streams are appended to
    // `streams`; keep it cheap and free of I/O. A refused request does not consume sequence values.
    std::vector<std::string> sequences;
    std::function<std::vector<StreamAppend>(SequenceValues)> build;
};

enum class AppendStatus {
    ok,         // written now
    duplicate,  // the command id was already committed: nothing written, the original result returned
    conflict,   // an expected version did not match: nothing written
    invalid,    // malformed request (empty stream id, no events, ...): nothing written
    closed,     // the log is closing or failed: nothing written
};

struct StreamResult {
    std::string stream;
    StreamVersion last_version;  // version of the stream's last event after the append (a condition's: unchanged)
};

struct AppendResult {
    AppendStatus status = AppendStatus::invalid;
    GlobalPosition first_position;  // of the first event written (ok / duplicate)
    GlobalPosition last_position;   // of the last event written (ok / duplicate)
    std::int64_t time_us = 0;       // the time stamped on every event written (ok only; 0 otherwise)
    std::vector<StreamResult> streams;
    std::vector<std::int64_t> sequence_values;
    std::string command_fingerprint;  // the command's, as recorded (empty: none, or recorded before it was kept)

    // For conflicts: the stream and what was expected and found (-1: no stream).
    std::string conflict_stream;
    std::int64_t expected_version = 0;
    std::int64_t actual_version = 0;
    std::string message;

    [[nodiscard]] bool committed() const { return status == AppendStatus::ok || status == AppendStatus::duplicate; }
};

const char* to_string(AppendStatus s);

enum class Direction { forward, backward };

struct VerifyReport {
    bool ok = true;
    std::uint64_t events_checked = 0;
    // The lowest position whose event, chain link or stream index entry is wrong; a problem tied to no event (a
    // stray index entry, a head naming a missing version) is named at the position after the last event.
    std::optional<GlobalPosition> first_bad;
    std::string problem;
    Hash head_hash{};  // hash of the last event checked: auditors keep it to anchor the chain
};

// What a backup holds: a consistent prefix of the log, up to `last_position`.
struct BackupReport {
    std::filesystem::path dir;
    std::uint64_t last_position = 0;
    Hash head_hash{};  // the hash of the event at last_position (zeros for an empty log)
};

// Counters of the write path since open, for metrics and benchmarks.
struct LogStats {
    std::uint64_t batches = 0;   // WriteBatches written (group commits)
    std::uint64_t commands = 0;  // append requests decided
    std::uint64_t events = 0;    // events written
    std::uint64_t syncs = 0;     // WAL fsyncs; each made one or more batches durable
};

struct LogOptions {
    std::filesystem::path dir;
    std::shared_ptr<Clock> clock = system_clock();
    std::shared_ptr<IdGenerator> ids = random_ids();
    bool sync = true;                             // fsync every batch; only benchmarks of the ceiling turn it off
    std::size_t max_batch_commands = 4096;        // commands per group commit at most
    std::size_t stream_cache_capacity = 1 << 16;  // streams whose last version the writer keeps in memory
    // Tests only: runs on the syncing thread before each WAL flush and fsync, so a test can hold the fsync back; an
    // exception out of it counts as a failed fsync (the log stops accepting appends).
    std::function<void()> before_sync;
};

class Subscription;
// EventLog::subscribe_staged's handler.
using StagedHandler = std::function<void(std::span<const RecordedEvent>, const std::function<bool()>& durable)>;

// An event the log has just made durable, as a durable listener sees it (EventLog::listen_durable). The views
// are valid during the call only. It carries what a fold needs; the event id, metadata and hash are not there.
struct DurableEvent {
    GlobalPosition position;
    std::string_view stream;
    StreamVersion version;
    std::string_view type;
    std::uint32_t schema_version = 1;
    std::string_view payload;  // JSON text
    std::int64_t time_us = 0;
};

// Keeps a durable listener registered; destroying it unregisters the listener, waiting for a call in progress.
// It may outlive the log.
class DurableListener {
  public:
    virtual ~DurableListener() = default;
};

class EventLog {
  public:
    // Opens (creating if missing) the log for writing. Throws StorageError.
    static std::unique_ptr<EventLog> open(LogOptions options);
    // Opens a running or stopped log read-only, as a RocksDB secondary instance whose own files live in
    // `secondary_dir` (created if missing). Appends return `closed`. Call catch_up() to see new events.
    static std::unique_ptr<EventLog> open_read_only(const std::filesystem::path& dir,
                                                    const std::filesystem::path& secondary_dir);
    // Whether another process (a running server) has the log at `dir` open for writing. Opens nothing: the answer
    // holds for a log too damaged to open.
    static bool in_use(const std::filesystem::path& dir);
    // Whether `dir` holds another program's RocksDB database (no `events` column family), not a codd log.
    static bool foreign(const std::filesystem::path& dir);

    virtual ~EventLog() = default;
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    // Blocks until the request is durable (or refused).
    virtual AppendResult append(AppendRequest request) = 0;
    // Queues the request; `done` runs on the thread that answers appends (codd-log-answer) once it is durable (or
    // refused), after the durable listeners. Never blocks. `done` delays every later answer: it must not block, and
    // must never wait for anything held across an append (a product's lock in StockBook::in_lock), or the log stops
    // answering.
    virtual void append_async(AppendRequest request, std::function<void(AppendResult)> done) = 0;

    // The last durable position; 0 for an empty log.
    [[nodiscard]] virtual GlobalPosition head() const = 0;
    // Blocks until head() >= p or the timeout passes; returns whether it was reached.
    virtual bool wait_for(GlobalPosition p, std::chrono::milliseconds timeout) const = 0;

    // Version of a stream's last event; nullopt if the stream does not exist. May include an append that is
    // written but not yet durable (in flight); read_stream shows events up to head() only.
    [[nodiscard]] virtual std::optional<StreamVersion> stream_version(const std::string& stream) const = 0;
    // Events of a stream from `from` (inclusive), forwards or backwards, at most `max` of them.
    // Backwards from a version past the end starts at the last event.
    [[nodiscard]] virtual std::vector<RecordedEvent> read_stream(const std::string& stream, StreamVersion from,
                                                                 std::size_t max,
                                                                 Direction dir = Direction::forward) const = 0;
    // Events of the whole log from position `from` (inclusive), at most `max` of them, up to head().
    [[nodiscard]] virtual std::vector<RecordedEvent> read_all(GlobalPosition from, std::size_t max) const = 0;
    // The same into `out` (replaced), reusing the storage of the events it holds: a reader that recycles its
    // batches allocates next to nothing per event (a rebuild's reader thread).
    virtual void read_all_into(GlobalPosition from, std::size_t max, std::vector<RecordedEvent>& out) const = 0;
    // Visits events from `from` up to head() in order until `fn` returns false; returns the number visited.
    virtual std::uint64_t scan(GlobalPosition from, const std::function<bool(const RecordedEvent&)>& fn) const = 0;

    // The original result of a committed command id (status duplicate), once it is durable; nullopt if the
    // id was never committed. A record the writer has written but not yet synced is waited for (bounded by
    // `timeout`, after which nullopt is returned), so a caller never reports a command that could still be lost.
    [[nodiscard]] virtual std::optional<AppendResult> command_result(
        const std::string& command_id, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const = 0;

    // The value the named sequence will hand out next (sequences start at 1001 unless seeded otherwise).
    [[nodiscard]] virtual std::int64_t sequence_next(const std::string& name) const = 0;

    // Walks the whole hash chain and the stream index; names the first bad position.
    [[nodiscard]] virtual VerifyReport verify() const = 0;

    // Writes a consistent copy of the log into `dir` (which must not exist; its parent must) while appends go
    // on: a RocksDB checkpoint (table files hard-linked where the file system allows, else copied). The copy is
    // itself a log directory: `codd verify` and `codd restore` take it. Writers only; throws StorageError.
    virtual BackupReport backup(const std::filesystem::path& dir) const = 0;

    // In-process subscription: `handler` gets batches of events from `from` on, in order, on the
    // subscription's own thread, and is woken when new events commit. Stops when the handle is destroyed.
    virtual std::unique_ptr<Subscription> subscribe(GlobalPosition from,
                                                    std::function<void(std::span<const RecordedEvent>)> handler,
                                                    std::size_t max_batch = 1024) = 0;

    // For a subscriber that stages what it does with a batch and makes it visible in one step (a view's
    // transaction): `handler(batch, durable)` gets the events as soon as the log's fsync of them starts (a batch
    // ends where that fsync ends), so its work overlaps the fsync. Before anything of the batch becomes visible it
    // must call `durable()`, which blocks until the whole batch is durable and returns true, or returns false when
    // it may not be (the log failed, in a write or an fsync; the subscription is stopping): the handler then
    // discards its work and returns, and the batch is handed again (after a failure only what is durable). The
    // subscription moves past a batch once `durable()` returned true, so a handler that never calls it makes
    // nothing visible early; otherwise as subscribe().
    virtual std::unique_ptr<Subscription> subscribe_staged(GlobalPosition from, StagedHandler handler,
                                                           std::size_t max_batch = 1024) = 0;

    // Durable events for an in-memory cache that must not read them back (catalog::StockBook): `fn` gets every
    // event of an append written to a stream whose name starts with `prefix`, in log order, on the thread that
    // answers appends, after head() has passed it and before the append's producer is answered. So a producer
    // that got its answer knows every listener has seen its events. Refused, duplicate and failed appends
    // deliver nothing. `fn` delays every answer: keep it short, never block in it, never append from it, and
    // never destroy a DurableListener from it. An exception out of `fn` loses that event for it (the answers go
    // on). nullptr on a log that does not append (read-only).
    [[nodiscard]] virtual std::unique_ptr<DurableListener> listen_durable(
        std::string prefix, std::function<void(const DurableEvent&)> fn) = 0;

    // Read-only instances: pick up what the primary wrote since. Returns false on failure.
    virtual bool catch_up() = 0;

    // True while the log accepts appends (open for writing, no background error, not closing).
    [[nodiscard]] virtual bool writable() const = 0;
    // Why the log stopped accepting appends after a failed write or fsync; empty while none failed.
    [[nodiscard]] virtual std::string failure() const = 0;
    [[nodiscard]] virtual const std::filesystem::path& dir() const = 0;
    [[nodiscard]] virtual LogStats stats() const = 0;

    // Refuses new appends, finishes the queued ones, flushes and closes. Idempotent; the destructor calls it.
    virtual void close() = 0;

  protected:
    EventLog() = default;
};

class Subscription {
  public:
    virtual ~Subscription() = default;
    // The position of the last event handled: handed to the handler (staged: and durable() returned true).
    [[nodiscard]] virtual GlobalPosition position() const = 0;
    // Non-empty once the handler threw: the subscription stopped there, at position().
    [[nodiscard]] virtual std::string error() const = 0;
    // Stops and joins the subscription's thread; the handler is not called again. Idempotent.
    virtual void stop() = 0;
};

// The first value of every sequence.
inline constexpr std::int64_t kFirstSequenceValue = 1001;

}  // namespace codd::engine

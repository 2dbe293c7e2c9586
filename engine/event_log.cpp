// RocksEventLog: the EventLog of DESIGN §3, composed of a LogStore (layout and reads) and, for a writable
// log, a LogWriter (single writer, group commit).
#include <future>

#include "engine/durable_listeners.hpp"
#include "engine/log_store.hpp"
#include "engine/log_writer.hpp"
#include "engine/subscription.hpp"

namespace codd::engine {
namespace {

class RocksEventLog final : public EventLog {
  public:
    RocksEventLog(std::unique_ptr<detail::LogStore> store, const LogOptions* options) : store_(std::move(store)) {
        signal_.publish(store_->last_position(nullptr));
        if (options != nullptr) {
            detail::LogWriter::Hooks hooks;
            hooks.on_commit = [this](std::uint64_t head) { signal_.publish(head); };
            hooks.on_syncing = [this](std::uint64_t last) { signal_.publish_syncing(last); };
            hooks.on_failed = [this] { signal_.fail(); };  // a staged subscriber waiting for an fsync that failed
            hooks.on_durable = [listeners = listeners_.get()](const AppendRequest& request,
                                                              const AppendResult& result) {
                listeners->notify(request, result);
            };
            writer_ = std::make_unique<detail::LogWriter>(*store_, *options, std::move(hooks));
        }
    }

    ~RocksEventLog() override { close(); }

    AppendResult append(AppendRequest request) override {
        std::promise<AppendResult> promise;
        auto future = promise.get_future();
        append_async(std::move(request), [&promise](AppendResult r) { promise.set_value(std::move(r)); });
        return future.get();
    }

    void append_async(AppendRequest request, std::function<void(AppendResult)> done) override {
        if (!writer_) {
            AppendResult r;
            r.status = AppendStatus::closed;
            r.message = "the event log is open read-only";
            done(std::move(r));
            return;
        }
        writer_->submit(std::move(request), std::move(done));
    }

    [[nodiscard]] GlobalPosition head() const override { return GlobalPosition{signal_.head()}; }

    bool wait_for(GlobalPosition p, std::chrono::milliseconds timeout) const override {
        if (p.value() == 0) return true;
        return signal_.wait_beyond(p.value() - 1, timeout) >= p.value();
    }

    [[nodiscard]] std::optional<StreamVersion> stream_version(const std::string& stream) const override {
        // The store's heads include rounds the writer has written but the syncer not yet synced (at most the
        // rounds of one fsync and the next), so this may be ahead of head() by those: a decision on it risks a
        // conflict, never a lost event. read_stream stays bounded by head().
        auto v = store_->last_version(stream);
        if (!v) return std::nullopt;
        return StreamVersion{*v};
    }

    [[nodiscard]] std::vector<RecordedEvent> read_stream(const std::string& stream, StreamVersion from, std::size_t max,
                                                         Direction dir) const override {
        return store_->read_stream(stream, from.value(), max, dir, signal_.head());
    }

    [[nodiscard]] std::vector<RecordedEvent> read_all(GlobalPosition from, std::size_t max) const override {
        std::vector<RecordedEvent> out;
        read_all_into(from, max, out);
        return out;
    }

    void read_all_into(GlobalPosition from, std::size_t max, std::vector<RecordedEvent>& out) const override {
        store_->read_into(from.value(), signal_.head(), max, out);
    }

    std::uint64_t scan(GlobalPosition from, const std::function<bool(const RecordedEvent&)>& fn) const override {
        return store_->scan(from.value(), signal_.head(), fn);
    }

    [[nodiscard]] std::optional<AppendResult> command_result(const std::string& command_id,
                                                             std::chrono::milliseconds timeout) const override {
        if (command_id.empty()) return std::nullopt;
        auto record = store_->command_record(command_id);
        if (!record || !wait_for(record->last_position, timeout)) return std::nullopt;
        return record;
    }

    [[nodiscard]] std::int64_t sequence_next(const std::string& name) const override {
        return store_->sequence_next(name).value_or(kFirstSequenceValue);
    }

    [[nodiscard]] VerifyReport verify() const override { return store_->verify(); }

    BackupReport backup(const std::filesystem::path& dir) const override {
        if (!writer_) throw StorageError("event log: a read-only instance cannot write a backup");
        std::error_code ec;
        if (std::filesystem::exists(dir, ec))
            throw StorageError("event log: backup target " + dir.string() + " exists");
        store_->checkpoint(dir);
        // What the copy holds (appends went on meanwhile): read from the copy itself.
        const auto copy = detail::LogStore::open_primary(dir);
        BackupReport r;
        r.dir = dir;
        r.last_position = copy->last_position(&r.head_hash);
        return r;
    }

    std::unique_ptr<Subscription> subscribe(GlobalPosition from,
                                            std::function<void(std::span<const RecordedEvent>)> handler,
                                            std::size_t max_batch) override {
        return detail::start_subscription(reader(), signal_, from, std::move(handler), max_batch);
    }

    std::unique_ptr<Subscription> subscribe_staged(GlobalPosition from, StagedHandler handler,
                                                   std::size_t max_batch) override {
        return detail::start_staged_subscription(reader(), signal_, from, std::move(handler), max_batch);
    }

    std::unique_ptr<DurableListener> listen_durable(std::string prefix,
                                                    std::function<void(const DurableEvent&)> fn) override {
        if (!writer_) return nullptr;
        return listeners_->add(std::move(prefix), std::move(fn));
    }

    bool catch_up() override {
        if (!store_->read_only()) return true;
        try {
            store_->catch_up();
            signal_.publish(store_->last_position(nullptr));
            return true;
        } catch (const StorageError&) {
            return false;
        }
    }

    [[nodiscard]] bool writable() const override { return writer_ && writer_->healthy(); }
    [[nodiscard]] std::string failure() const override { return writer_ ? writer_->failure() : std::string(); }
    [[nodiscard]] const std::filesystem::path& dir() const override { return store_->dir(); }
    [[nodiscard]] LogStats stats() const override { return writer_ ? writer_->stats() : LogStats{}; }

    void close() override {
        std::lock_guard lock(close_mu_);
        if (closed_) return;
        closed_ = true;
        if (writer_) writer_->close();
        signal_.shut();
        // After a failed write or fsync RocksDB's WAL writer is in an error state, and flushing it aborts the
        // process. Nothing is lost by skipping it: every answered append was synced before its answer.
        if (writer_ && !writer_->failed()) store_->flush_wal();
    }

  private:
    // Reads any range the caller bounds: subscriptions bound it by head(), staged ones by the fsync in progress.
    [[nodiscard]] detail::RangeReader reader() const {
        return [store = store_.get()](std::uint64_t from, std::uint64_t upto, std::size_t max,
                                      std::vector<RecordedEvent>& out) { store->read_into(from, upto, max, out); };
    }

    std::unique_ptr<detail::LogStore> store_;
    // Before the writer, whose completer calls them; shared with the listeners' handles, which may outlive the log.
    std::shared_ptr<detail::DurableListeners> listeners_ = std::make_shared<detail::DurableListeners>();
    std::unique_ptr<detail::LogWriter> writer_;
    mutable detail::CommitSignal signal_;
    std::mutex close_mu_;
    bool closed_ = false;
};

}  // namespace

const char* to_string(AppendStatus s) {
    switch (s) {
        case AppendStatus::ok:
            return "ok";
        case AppendStatus::duplicate:
            return "duplicate";
        case AppendStatus::conflict:
            return "conflict";
        case AppendStatus::invalid:
            return "invalid";
        case AppendStatus::closed:
            return "closed";
    }
    return "unknown";
}

std::unique_ptr<EventLog> EventLog::open(LogOptions options) {
    if (!options.clock) options.clock = system_clock();
    if (!options.ids) options.ids = random_ids();
    if (options.max_batch_commands == 0) options.max_batch_commands = 1;
    auto store = detail::LogStore::open_primary(options.dir);
    return std::make_unique<RocksEventLog>(std::move(store), &options);
}

bool EventLog::in_use(const std::filesystem::path& dir) {
    return detail::LogStore::in_use(dir);
}

bool EventLog::foreign(const std::filesystem::path& dir) {
    return detail::LogStore::foreign(dir);
}

std::unique_ptr<EventLog> EventLog::open_read_only(const std::filesystem::path& dir,
                                                   const std::filesystem::path& secondary_dir) {
    auto store = detail::LogStore::open_secondary(dir, secondary_dir);
    return std::make_unique<RocksEventLog>(std::move(store), nullptr);
}

}  // namespace codd::engine

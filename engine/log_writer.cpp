#include "engine/log_writer.hpp"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <set>

#include "engine/rocks_status.hpp"
#include "engine/varint.hpp"

namespace codd::engine::detail {
namespace {

constexpr std::size_t kMaxStreamIdBytes = 256;

// Returns an empty string when the request is well-formed, else what is wrong with it.
std::string validate(const AppendRequest& r) {
    if (r.streams.empty()) return "an append needs at least one stream";
    std::set<std::string_view> seen;
    for (const auto& s : r.streams) {
        if (s.stream.empty() || s.stream.size() > kMaxStreamIdBytes) return "stream id must be 1-256 bytes";
        if (s.stream.find('\0') != std::string::npos) return "stream id must not contain NUL";
        if (!seen.insert(s.stream).second) return "stream " + s.stream + " appears twice in one append";
        if (s.events.empty()) return "stream " + s.stream + " has no events";
        for (const auto& e : s.events) {
            if (e.type.empty()) return "event type must not be empty";
        }
    }
    for (const auto& name : r.sequences) {
        if (name.empty()) return "sequence name must not be empty";
    }
    return {};
}

std::int64_t now_us(const Clock& clock) {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch()).count();
}

AppendResult refused(AppendStatus status, std::string message) {
    AppendResult r;
    r.status = status;
    r.message = std::move(message);
    return r;
}

}  // namespace

// The state one group commit builds on top of the writer's durable state.
class LogWriter::Batch {
public:
    explicit Batch(LogWriter& w)
        : w_(w), next_position_(w.last_position_ + 1), hash_(w.last_hash_), wb_(w.write_batch_) {
        wb_.Clear();
    }

    AppendResult decide(AppendRequest& req) {
        if (!req.command_id.empty()) {
            if (auto it = commands_.find(req.command_id); it != commands_.end()) return as_duplicate(it->second);
            if (auto rec = w_.store_.command_record(req.command_id)) return *rec;
        }
        std::vector<std::int64_t> seq_values;
        for (const auto& name : req.sequences) seq_values.push_back(sequence(name));
        if (req.build) {
            try {
                auto more = req.build(SequenceValues(seq_values));
                for (auto& s : more) req.streams.push_back(std::move(s));
            } catch (const std::exception& e) {
                return refused(AppendStatus::invalid, std::string("building the append failed: ") + e.what());
            }
        }
        if (auto problem = validate(req); !problem.empty()) return refused(AppendStatus::invalid, problem);
        for (const auto& s : req.streams) {
            const std::int64_t current = version(s.stream);
            if (!s.expected.matches(current)) {
                AppendResult r = refused(AppendStatus::conflict, "stream " + s.stream + " is at version " +
                                                                     std::to_string(current) + ", expected " +
                                                                     std::to_string(s.expected.raw()));
                r.conflict_stream = s.stream;
                r.expected_version = s.expected.raw();
                r.actual_version = current;
                return r;
            }
        }
        return write(req, std::move(seq_values));
    }

    rocksdb::WriteBatch& batch() { return wb_; }
    [[nodiscard]] std::uint64_t last_position() const { return next_position_ - 1; }
    [[nodiscard]] const Hash& last_hash() const { return hash_; }
    [[nodiscard]] std::uint64_t events() const { return events_; }

    // Folds what this batch wrote into the writer's durable state; only after the write succeeded.
    void publish() {
        if (w_.versions_.size() + versions_.size() > w_.options_.stream_cache_capacity) w_.versions_.clear();
        for (auto& [k, v] : versions_) w_.versions_[k] = v;
        for (auto& [k, v] : sequences_) w_.sequences_[k] = v;
        w_.last_position_ = last_position();
        w_.last_hash_ = hash_;
    }

private:
    static AppendResult as_duplicate(AppendResult r) {
        r.status = AppendStatus::duplicate;
        return r;
    }

    std::int64_t version(const std::string& stream) {
        if (auto it = versions_.find(stream); it != versions_.end()) return it->second;
        return w_.current_version(stream);
    }

    std::int64_t sequence(const std::string& name) {
        if (auto it = sequences_.find(name); it != sequences_.end()) return it->second;
        return w_.current_sequence(name);
    }

    AppendResult write(const AppendRequest& req, std::vector<std::int64_t> seq_values) {
        AppendResult result;
        result.status = AppendStatus::ok;
        result.first_position = GlobalPosition{next_position_};
        const std::int64_t time = now_us(*w_.options_.clock);
        std::string canonical, value, pos_bytes;
        for (const auto& s : req.streams) {
            std::int64_t v = version(s.stream);
            for (const auto& ne : s.events) {
                RecordedEvent e;
                e.position = GlobalPosition{next_position_++};
                e.stream = s.stream;
                e.version = StreamVersion{++v};
                e.type = ne.type;
                e.schema_version = ne.schema_version;
                e.event_id = ne.event_id.empty() ? w_.options_.ids->next() : ne.event_id;
                e.time_us = time;
                e.metadata = req.metadata;
                e.payload = ne.payload;
                canonical.clear();
                codec::encode_canonical(e, canonical);
                hash_ = codec::chain_hash(hash_, canonical);
                value.assign(canonical);
                value.append(reinterpret_cast<const char*>(hash_.data()), hash_.size());
                pos_bytes = event_key(e.position.value());
                wb_.Put(w_.store_.events(), pos_bytes, value);
                wb_.Put(w_.store_.streams(), stream_key(e.stream, v), pos_bytes);
                ++events_;
            }
            versions_[s.stream] = v;
            std::string head;
            varint::put_be64(head, static_cast<std::uint64_t>(v));
            wb_.Put(w_.store_.heads(), s.stream, head);
            result.streams.push_back({s.stream, StreamVersion{v}});
        }
        for (std::size_t i = 0; i < req.sequences.size(); ++i) {
            sequences_[req.sequences[i]] = seq_values[i] + 1;
            std::string next;
            varint::put(next, static_cast<std::uint64_t>(seq_values[i] + 1));
            wb_.Put(w_.store_.meta(), sequence_key(req.sequences[i]), next);
        }
        result.last_position = GlobalPosition{next_position_ - 1};
        result.sequence_values = std::move(seq_values);
        if (!req.command_id.empty()) {
            wb_.Put(w_.store_.commands(), req.command_id, encode_command_record(result));
            commands_.emplace(req.command_id, result);
        }
        return result;
    }

    LogWriter& w_;
    std::uint64_t next_position_;
    Hash hash_;
    std::uint64_t events_ = 0;
    rocksdb::WriteBatch& wb_;
    std::unordered_map<std::string, std::int64_t> versions_;
    std::unordered_map<std::string, std::int64_t> sequences_;
    std::unordered_map<std::string, AppendResult> commands_;
};

LogWriter::LogWriter(LogStore& store, const LogOptions& options, std::function<void(std::uint64_t)> on_commit)
    : store_(store), options_(options), on_commit_(std::move(on_commit)) {
    last_position_ = store_.last_position(&last_hash_);
    // The syncer starts from the durable position read here, never from last_position_, which the writer
    // thread may already have advanced by the time the syncer first runs.
    syncer_ = std::thread([this, durable = last_position_] { run_syncer(durable); });
    thread_ = std::thread([this] { run(); });
}

LogWriter::~LogWriter() { close(); }

void LogWriter::submit(AppendRequest request, std::function<void(AppendResult)> done) {
    {
        std::lock_guard lock(mu_);
        if (!closing_.load() && !failed_.load()) {
            queue_.push_back({std::move(request), std::move(done)});
            cv_.notify_one();
            return;
        }
    }
    done(refused(AppendStatus::closed, "the event log is closed"));
}

void LogWriter::close() {
    {
        std::lock_guard lock(mu_);
        closing_.store(true);
        cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    {
        std::lock_guard lock(sync_mu_);
        writer_done_ = true;
        sync_cv_.notify_one();
    }
    if (syncer_.joinable()) syncer_.join();
}

LogStats LogWriter::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

std::int64_t LogWriter::current_version(const std::string& stream) {
    if (auto it = versions_.find(stream); it != versions_.end()) return it->second;
    const std::int64_t v = store_.last_version(stream).value_or(-1);
    if (versions_.size() >= options_.stream_cache_capacity) versions_.clear();
    versions_.emplace(stream, v);
    return v;
}

std::int64_t LogWriter::current_sequence(const std::string& name) {
    if (auto it = sequences_.find(name); it != sequences_.end()) return it->second;
    const std::int64_t v = store_.sequence_next(name).value_or(kFirstSequenceValue);
    sequences_.emplace(name, v);
    return v;
}

void LogWriter::run() {
    std::vector<Pending> pending;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !queue_.empty() || closing_.load(); });
            if (queue_.empty()) return;  // closing, and everything queued has been answered
            const std::size_t n = std::min(queue_.size(), options_.max_batch_commands);
            pending.clear();
            for (std::size_t i = 0; i < n; ++i) {
                pending.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        commit(pending);
    }
}

void LogWriter::commit(std::vector<Pending>& pending) {
    if (failed_.load()) return fail_all(pending, "the event log failed");
    std::vector<AppendResult> results;
    results.reserve(pending.size());
    Batch batch(*this);
    try {
        for (auto& p : pending) results.push_back(batch.decide(p.request));
        if (batch.events() > 0) {
            // Not synced here: the syncer makes it durable before anyone hears of it.
            check(store_.db().Write(rocksdb::WriteOptions(), &batch.batch()), "write batch");
        }
    } catch (const std::exception& e) {
        // A failed write leaves the log's state unknown to this process: stop accepting appends rather
        // than risk a gap or a broken chain. Restarting reopens from what RocksDB recovered.
        failed_.store(true);
        return fail_all(pending, std::string("the event log failed: ") + e.what());
    }
    batch.publish();
    {
        std::lock_guard lock(mu_);
        ++stats_.batches;
        stats_.commands += pending.size();
        stats_.events += batch.events();
    }
    std::lock_guard lock(sync_mu_);
    written_.push_back({std::move(pending), std::move(results), last_position_});
    pending.clear();
    sync_cv_.notify_one();
}

void LogWriter::run_syncer(std::uint64_t synced) {
    std::deque<Written> ready;
    for (;;) {
        {
            std::unique_lock lock(sync_mu_);
            sync_cv_.wait(lock, [&] { return !written_.empty() || writer_done_; });
            if (written_.empty()) return;
            ready.swap(written_);
        }
        const std::uint64_t last = ready.back().last_position;
        if (last > synced && !failed_.load()) {
            try {
                if (options_.sync) check(store_.db().SyncWAL(), "sync WAL");
                synced = last;
                {
                    std::lock_guard lock(mu_);
                    ++stats_.syncs;
                }
                on_commit_(last);
            } catch (const std::exception& e) {
                failed_.store(true);
                for (auto& w : ready) fail_all(w.pending, std::string("the event log failed: ") + e.what());
                ready.clear();
                continue;
            }
        }
        for (auto& w : ready) {
            if (w.last_position > synced) {
                fail_all(w.pending, "the event log failed");
                continue;
            }
            for (std::size_t i = 0; i < w.pending.size(); ++i) answer(w.pending[i], std::move(w.results[i]));
        }
        ready.clear();
    }
}

void LogWriter::fail_all(std::vector<Pending>& pending, const std::string& why) {
    for (auto& p : pending) answer(p, refused(AppendStatus::closed, why));
}

// A producer's callback must not take the writer down with it.
void LogWriter::answer(Pending& p, AppendResult r) noexcept {
    try {
        p.done(std::move(r));
    } catch (...) {
    }
}

}  // namespace codd::engine::detail

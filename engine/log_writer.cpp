#include "engine/log_writer.hpp"

#include <openssl/evp.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <set>

#include "engine/rocks_status.hpp"
#include "engine/thread_name.hpp"
#include "engine/varint.hpp"

namespace codd::engine::detail {
namespace {

constexpr std::size_t kMaxStreamIdBytes = 256;

// Returns an empty string when the request is well-formed, else what is wrong with it.
std::string validate(const AppendRequest& r) {
    if (r.streams.empty()) return "an append needs at least one stream";
    std::set<std::string_view> seen;
    bool any_events = false;
    const bool few = r.streams.size() <= 8;  // compared pairwise: no set to allocate for the usual append
    for (std::size_t i = 0; i < r.streams.size(); ++i) {
        const auto& s = r.streams[i];
        if (s.stream.empty() || s.stream.size() > kMaxStreamIdBytes) return "stream id must be 1-256 bytes";
        if (s.stream.find('\0') != std::string::npos) return "stream id must not contain NUL";
        bool twice = false;
        if (few) {
            for (std::size_t j = 0; j < i && !twice; ++j) twice = r.streams[j].stream == s.stream;
        } else {
            twice = !seen.insert(s.stream).second;
        }
        if (twice) return "stream " + s.stream + " appears twice in one append";
        any_events = any_events || !s.events.empty();  // none: a condition only (StreamAppend)
        for (const auto& e : s.events) {
            if (e.type.empty()) return "event type must not be empty";
        }
    }
    if (!any_events) return "an append needs at least one event";
    for (const auto& name : r.sequences) {
        if (name.empty()) return "sequence name must not be empty";
    }
    return {};
}

AppendResult refused(AppendStatus status, std::string message) {
    AppendResult r;
    r.status = status;
    r.message = std::move(message);
    return r;
}

}  // namespace

// SHA-256 of the hash chain exactly as codec::chain_hash computes it (verify() recomputes every link
// with that one), but with one context and one fetched digest for the writer's life instead of an
// allocation and an implicit fetch per event.
class LogWriter::Scratch {
public:
    Scratch() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
        if (md_ == nullptr || ctx_ == nullptr) {
            EVP_MD_CTX_free(ctx_);
            EVP_MD_free(md_);
            throw std::bad_alloc();
        }
    }
    ~Scratch() {
        EVP_MD_CTX_free(ctx_);
        EVP_MD_free(md_);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    Hash chain(const Hash& prev, std::string_view canonical) {
        Hash h{};
        const bool ok = EVP_DigestInit_ex(ctx_, md_, nullptr) == 1 &&
                        EVP_DigestUpdate(ctx_, prev.data(), prev.size()) == 1 &&
                        EVP_DigestUpdate(ctx_, canonical.data(), canonical.size()) == 1 &&
                        EVP_DigestFinal_ex(ctx_, h.data(), nullptr) == 1;
        if (!ok) throw std::runtime_error("SHA-256 failed");
        return h;
    }

    // Buffers reused from event to event: they keep their capacity, so the hot path does not allocate.
    RecordedEvent event;
    std::string value, stream_key, record;

private:
    EVP_MD* md_;
    EVP_MD_CTX* ctx_;
};

// The state one round of decisions builds on top of the writer's state (which already includes every
// round written before it).
class LogWriter::Batch {
public:
    // Decided results go to `results`, in request order.
    Batch(LogWriter& w, rocksdb::WriteBatch& wb, std::vector<AppendResult>& results)
        : w_(w), next_position_(w.last_position_ + 1), hash_(w.last_hash_), wb_(wb), results_(results) {}

    void decide(AppendRequest& req) { results_.push_back(decide_one(req)); }

private:
    AppendResult decide_one(AppendRequest& req) {
        for (const std::string* id : {&req.command_id, &req.also_command_id}) {
            if (id->empty()) continue;
            if (auto it = commands_.find(*id); it != commands_.end()) return as_duplicate(results_[it->second]);
            if (auto rec = w_.store_.command_record(*id)) return *rec;
        }
        std::vector<std::int64_t> seq_values;
        for (const auto& name : req.sequences) seq_values.push_back(sequence(name));
        if (req.build) {
            try {
                auto more = req.build(SequenceValues(seq_values));
                for (auto& s : more) req.streams.push_back(std::move(s));
            } catch (const StaleDecision& e) {
                return refused(AppendStatus::conflict, e.what());
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

public:
    [[nodiscard]] std::uint64_t last_position() const { return next_position_ - 1; }
    [[nodiscard]] std::uint64_t events() const { return events_; }

    // Folds what this round decided into the writer's state once it is written: the next round is decided
    // on top of it. (Should the write fail, the log stops accepting appends, so nothing builds on it.)
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

    static rocksdb::Slice be64(char (&buf)[8], std::uint64_t v) {
        for (int i = 7; i >= 0; --i, v >>= 8) buf[i] = static_cast<char>(v & 0xff);
        return {buf, 8};
    }

    AppendResult write(const AppendRequest& req, std::vector<std::int64_t> seq_values) {
        AppendResult result;
        result.status = AppendStatus::ok;
        result.first_position = GlobalPosition{next_position_};
        Scratch& sc = *w_.scratch_;
        RecordedEvent& e = sc.event;
        e.time_us = to_us(w_.options_.clock->now());
        result.time_us = e.time_us;
        e.metadata = req.metadata;
        char pos_buf[8], head_buf[8], version_buf[8];
        for (const auto& s : req.streams) {
            std::int64_t v = version(s.stream);
            if (s.events.empty()) {  // a condition, checked in decide(): nothing to write
                result.streams.push_back({s.stream, StreamVersion{v}});
                continue;
            }
            e.stream = s.stream;
            sc.stream_key.assign(s.stream);
            sc.stream_key.push_back('\0');
            const std::size_t prefix = sc.stream_key.size();
            for (const auto& ne : s.events) {
                e.position = GlobalPosition{next_position_++};
                e.version = StreamVersion{++v};
                e.type = ne.type;
                e.schema_version = ne.schema_version;
                if (ne.event_id.empty()) {
                    e.event_id = w_.options_.ids->next();
                } else {
                    e.event_id = ne.event_id;
                }
                e.payload = ne.payload;
                sc.value.clear();
                codec::encode_canonical(e, sc.value);
                hash_ = sc.chain(hash_, sc.value);
                sc.value.append(reinterpret_cast<const char*>(hash_.data()), hash_.size());
                const rocksdb::Slice pos = be64(pos_buf, e.position.value());
                wb_.Put(w_.store_.events(), pos, sc.value);
                sc.stream_key.resize(prefix);
                sc.stream_key.append(be64(version_buf, static_cast<std::uint64_t>(v)).data(), 8);
                wb_.Put(w_.store_.streams(), sc.stream_key, pos);
                ++events_;
            }
            versions_[s.stream] = v;
            wb_.Put(w_.store_.heads(), s.stream, be64(head_buf, static_cast<std::uint64_t>(v)));
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
        if (!req.also_command_id.empty()) {
            result.command_fingerprint = req.also_command_fingerprint;
            sc.record.clear();
            encode_command_record(result, sc.record);
            wb_.Put(w_.store_.commands(), req.also_command_id, sc.record);
            commands_.emplace(req.also_command_id, results_.size());
        }
        if (!req.command_id.empty()) {
            result.command_fingerprint = req.command_fingerprint;
            sc.record.clear();
            encode_command_record(result, sc.record);
            wb_.Put(w_.store_.commands(), req.command_id, sc.record);
            commands_.emplace(req.command_id, results_.size());  // where decide() is about to put it
        }
        return result;
    }

    LogWriter& w_;
    std::uint64_t next_position_;
    Hash hash_;
    std::uint64_t events_ = 0;
    rocksdb::WriteBatch& wb_;
    // What this round changed, for the later requests of the same round.
    std::unordered_map<std::string, std::int64_t> versions_;
    std::vector<AppendResult>& results_;
    std::unordered_map<std::string, std::size_t> commands_;  // command id → its index in results_
    std::unordered_map<std::string, std::int64_t> sequences_;
};

LogWriter::LogWriter(LogStore& store, const LogOptions& options, Hooks hooks)
    : store_(store),
      options_(options),
      hooks_(std::move(hooks)),
      scratch_(std::make_unique<Scratch>()) {
    last_position_ = store_.last_position(&last_hash_);
    completer_ = std::thread([this] { run_completer(); });
    syncer_ = std::thread([this, durable = last_position_] { run_syncer(durable); });
    writer_ = std::thread([this] { run_writer(); });
    name_thread(completer_, "codd-log-answer");
    name_thread(syncer_, "codd-log-sync");
    name_thread(writer_, "codd-log-write");
}

LogWriter::~LogWriter() { close(); }

void LogWriter::submit(AppendRequest request, std::function<void(AppendResult)> done) {
    {
        std::lock_guard lock(mu_);
        if (!closing_.load() && !failed_.load()) {
            queue_.push_back({std::move(request), std::move(done)});
            if (queue_.size() == 1) cv_.notify_one();  // the writer waits only on an empty queue
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
    // Each stage drains what the one before it handed over, then tells the next one it is done.
    if (writer_.joinable()) writer_.join();
    if (syncer_.joinable()) syncer_.join();
    if (completer_.joinable()) completer_.join();
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

void LogWriter::run_writer() {
    std::vector<Pending> pending;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !queue_.empty() || closing_.load(); });
            if (queue_.empty()) break;  // closing, and everything queued has been decided
            const std::size_t n = std::min(queue_.size(), options_.max_batch_commands);
            pending.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                pending.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        Round round = decide_and_write(std::move(pending));
        pending = {};
        std::lock_guard lock(sync_mu_);
        written_.push_back(std::move(round));
        if (written_.size() == 1) sync_cv_.notify_one();
    }
    std::lock_guard lock(sync_mu_);
    writer_done_ = true;
    sync_cv_.notify_one();
}

void LogWriter::fail(const std::string& error) {
    {
        std::lock_guard lock(mu_);
        if (failure_.empty()) failure_ = error;
    }
    failed_.store(true);
    if (hooks_.on_failed) hooks_.on_failed();
}

std::string LogWriter::failure() const {
    std::lock_guard lock(mu_);
    return failure_;
}

LogWriter::Round LogWriter::decide_and_write(std::vector<Pending> pending) {
    Round round;
    round.pending = std::move(pending);
    if (failed_.load()) {
        fail_round(round, "the event log failed");
        return round;
    }
    batch_.Clear();
    round.results.reserve(round.pending.size());
    Batch batch(*this, batch_, round.results);
    try {
        for (auto& p : round.pending) batch.decide(p.request);
        if (batch.events() > 0) check(store_.db().Write(rocksdb::WriteOptions(), &batch_), "write batch");
    } catch (const std::exception& e) {
        // A failed read or write leaves the log's state unknown to this process: stop accepting appends
        // rather than risk a gap or a broken chain. Restarting reopens from what RocksDB recovered.
        fail(std::string("write: ") + e.what());
        fail_round(round, std::string("the event log failed: ") + e.what());
        return round;
    }
    batch.publish();
    round.last_position = last_position_;
    std::lock_guard lock(mu_);
    if (batch.events() > 0) ++stats_.batches;
    stats_.commands += round.pending.size();
    stats_.events += batch.events();
    return round;
}

void LogWriter::run_syncer(std::uint64_t synced) {
    std::deque<Round> rounds;
    for (;;) {
        {
            std::unique_lock lock(sync_mu_);
            sync_cv_.wait(lock, [&] { return !written_.empty() || writer_done_; });
            if (written_.empty()) break;
            rounds.swap(written_);
        }
        // Every round taken here was written (into RocksDB's WAL buffer: the primary opens with
        // manual_wal_flush) before this flush starts; the rounds before them were flushed by an earlier one. So
        // one FlushWAL, which writes the buffer to the WAL file and fsyncs it, makes all of them durable; without
        // `sync` it still writes them to the file, so a crash of this process alone loses none.
        std::uint64_t last = synced;
        for (const auto& r : rounds) {
            if (!r.failed) last = std::max(last, r.last_position);
        }
        std::string error;
        if (last > synced && !failed_.load()) {
            try {
                if (hooks_.on_syncing) hooks_.on_syncing(last);
                if (options_.before_sync) options_.before_sync();
                check(store_.db().FlushWAL(options_.sync), "flush WAL");
                synced = last;
                {
                    std::lock_guard lock(mu_);
                    ++stats_.syncs;
                }
                if (hooks_.on_commit) hooks_.on_commit(last);
            } catch (const std::exception& e) {
                fail(std::string("WAL write or fsync: ") + e.what());
                error = e.what();
            }
        }
        for (auto& r : rounds) {
            // Not durable: the fsync failed, or an earlier write or fsync did and this round's write may
            // not be in RocksDB's WAL.
            if (!r.failed && r.last_position > synced) {
                fail_round(r, error.empty() ? "the event log failed" : "the event log failed: " + error);
            }
        }
        {
            std::lock_guard lock(done_mu_);
            for (auto& r : rounds) durable_.push_back(std::move(r));
            done_cv_.notify_one();
        }
        rounds.clear();
    }
    std::lock_guard lock(done_mu_);
    syncer_done_ = true;
    done_cv_.notify_one();
}

void LogWriter::run_completer() {
    std::deque<Round> rounds;
    for (;;) {
        {
            std::unique_lock lock(done_mu_);
            done_cv_.wait(lock, [&] { return !durable_.empty() || syncer_done_; });
            if (durable_.empty()) return;
            rounds.swap(durable_);
        }
        for (auto& r : rounds) {
            // The listeners first: a producer answered knows they have its events (EventLog::listen_durable).
            if (hooks_.on_durable && !r.failed) {
                for (std::size_t i = 0; i < r.pending.size(); ++i) {
                    if (r.results[i].status == AppendStatus::ok) hooks_.on_durable(r.pending[i].request, r.results[i]);
                }
            }
            for (std::size_t i = 0; i < r.pending.size(); ++i) answer(r.pending[i], std::move(r.results[i]));
        }
        rounds.clear();
    }
}

void LogWriter::fail_round(Round& round, const std::string& why) {
    round.failed = true;
    round.results.assign(round.pending.size(), refused(AppendStatus::closed, why));
}

// A producer's callback must not take the writer down with it.
void LogWriter::answer(Pending& p, AppendResult r) noexcept {
    try {
        p.done(std::move(r));
    } catch (...) {
    }
}

}  // namespace codd::engine::detail

#include "engine/log_writer.hpp"

#include <openssl/evp.h>
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
// round decided before it, written or not).
class LogWriter::Batch {
public:
    // Appends to `wb`, which may already hold the earlier rounds of the same group.
    Batch(LogWriter& w, rocksdb::WriteBatch& wb)
        : w_(w), next_position_(w.last_position_ + 1), hash_(w.last_hash_), wb_(wb) {}

    AppendResult decide(AppendRequest& req) {
        if (!req.command_id.empty()) {
            if (auto it = overlay_.commands.find(req.command_id); it != overlay_.commands.end()) {
                return as_duplicate(it->second);
            }
            if (const AppendResult* r = w_.in_flight_command(req.command_id)) return as_duplicate(*r);
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

    [[nodiscard]] std::uint64_t last_position() const { return next_position_ - 1; }
    [[nodiscard]] std::uint64_t events() const { return events_; }

    // Folds what this batch decided into the writer's state, before it is written: the next batch is
    // decided on top of it. Should the write fail, the log stops accepting appends (failed_).
    Overlay publish() {
        if (w_.versions_.size() + overlay_.versions.size() > w_.options_.stream_cache_capacity) w_.versions_.clear();
        for (auto& [k, v] : overlay_.versions) w_.versions_[k] = v;
        for (auto& [k, v] : sequences_) w_.sequences_[k] = v;
        w_.last_position_ = last_position();
        w_.last_hash_ = hash_;
        return std::move(overlay_);
    }

private:
    static AppendResult as_duplicate(AppendResult r) {
        r.status = AppendStatus::duplicate;
        return r;
    }

    std::int64_t version(const std::string& stream) {
        if (auto it = overlay_.versions.find(stream); it != overlay_.versions.end()) return it->second;
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
        e.time_us = now_us(*w_.options_.clock);
        e.metadata = req.metadata;
        char pos_buf[8], head_buf[8], version_buf[8];
        for (const auto& s : req.streams) {
            std::int64_t v = version(s.stream);
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
            overlay_.versions[s.stream] = v;
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
        if (!req.command_id.empty()) {
            sc.record.clear();
            encode_command_record(result, sc.record);
            wb_.Put(w_.store_.commands(), req.command_id, sc.record);
            overlay_.commands.emplace(req.command_id, result);
        }
        return result;
    }

    LogWriter& w_;
    std::uint64_t next_position_;
    Hash hash_;
    std::uint64_t events_ = 0;
    rocksdb::WriteBatch& wb_;
    Overlay overlay_;
    std::unordered_map<std::string, std::int64_t> sequences_;
};

LogWriter::LogWriter(LogStore& store, const LogOptions& options, std::function<void(std::uint64_t)> on_commit)
    : store_(store), options_(options), on_commit_(std::move(on_commit)), scratch_(std::make_unique<Scratch>()) {
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
    // The cache holds the newest version of every stream it has, in flight or not; after an eviction
    // the batches not yet written are asked before the store, which does not have them yet.
    if (auto it = versions_.find(stream); it != versions_.end()) return it->second;
    for (auto o = overlays_.rbegin(); o != overlays_.rend(); ++o) {
        if (auto it = o->versions.find(stream); it != o->versions.end()) return it->second;
    }
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

const AppendResult* LogWriter::in_flight_command(const std::string& command_id) const {
    for (auto o = overlays_.rbegin(); o != overlays_.rend(); ++o) {
        if (auto it = o->commands.find(command_id); it != o->commands.end()) return &it->second;
    }
    return nullptr;
}

std::unique_ptr<rocksdb::WriteBatch> LogWriter::take_write_batch() {
    std::lock_guard lock(sync_mu_);
    if (spare_batches_.empty()) return std::make_unique<rocksdb::WriteBatch>();
    auto wb = std::move(spare_batches_.back());
    spare_batches_.pop_back();
    return wb;
}

void LogWriter::run() {
    std::vector<Pending> pending;
    for (;;) {
        bool hand_off = false;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !queue_.empty() || closing_.load() || (open_ && syncer_idle_); });
            // The open group goes to the syncer as soon as it is free; until then it keeps taking rounds,
            // so one WriteBatch and one fsync carry everything decided meanwhile.
            if (open_ && (syncer_idle_ || open_->pending.size() >= options_.max_batch_commands ||
                          (closing_.load() && queue_.empty()))) {
                hand_off = true;
                syncer_idle_ = false;
            } else if (queue_.empty()) {
                return;  // closing, and everything queued has been handed to the syncer
            } else {
                const std::size_t room = options_.max_batch_commands - (open_ ? open_->pending.size() : 0);
                const std::size_t n = std::min(queue_.size(), room);
                pending.clear();
                for (std::size_t i = 0; i < n; ++i) {
                    pending.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
        }
        if (hand_off) {
            std::lock_guard lock(sync_mu_);
            written_.push_back(std::move(*open_));
            open_.reset();
            sync_cv_.notify_one();
        } else {
            decide(pending);
        }
    }
}

void LogWriter::decide(std::vector<Pending>& pending) {
    if (failed_.load()) return fail_all(pending, "the event log failed");
    // Groups the syncer has written are in the store now: their overlays are no longer needed.
    const std::uint64_t written = written_upto_.load(std::memory_order_acquire);
    while (!overlays_.empty() && overlays_.front().number <= written) overlays_.pop_front();
    if (!open_) {
        open_.emplace();
        open_->batch = take_write_batch();
        open_->batch->Clear();
        open_->number = ++batch_number_;
        std::lock_guard lock(mu_);
        ++stats_.batches;
    }
    const std::size_t first = open_->results.size();
    Batch batch(*this, *open_->batch);
    try {
        for (auto& p : pending) open_->results.push_back(batch.decide(p.request));
    } catch (const std::exception& e) {
        // A failed read leaves the log's state unknown to this process: stop accepting appends rather
        // than risk a gap or a broken chain. Restarting reopens from what RocksDB recovered. The open
        // group still goes to the syncer, which fails it.
        failed_.store(true);
        open_->results.resize(first);
        return fail_all(pending, std::string("the event log failed: ") + e.what());
    }
    const std::uint64_t events = batch.events();
    Overlay overlay = batch.publish();
    if (events > 0) {
        overlay.number = open_->number;
        overlays_.push_back(std::move(overlay));
    }
    open_->events += events;
    open_->last_position = last_position_;
    for (auto& p : pending) open_->pending.push_back(std::move(p));
    std::lock_guard lock(mu_);
    stats_.commands += pending.size();
    stats_.events += events;
    pending.clear();
}

void LogWriter::run_syncer(std::uint64_t synced) {
    std::deque<Written> ready;
    std::vector<std::unique_ptr<rocksdb::WriteBatch>> spent;
    std::uint64_t answerable = 0;  // batches up to this number are durable (or wrote nothing) and may be answered
    for (;;) {
        {
            std::unique_lock lock(sync_mu_);
            for (auto& wb : spent) spare_batches_.push_back(std::move(wb));
            spent.clear();
            if (written_.empty()) {
                std::lock_guard idle(mu_);
                syncer_idle_ = true;
                cv_.notify_one();
            }
            sync_cv_.wait(lock, [&] { return !written_.empty() || writer_done_; });
            if (written_.empty()) return;
            ready.swap(written_);
        }
        std::string error;
        // In decision order, unsynced: one fsync below makes all of them durable. A batch is never
        // written after one that failed, so what RocksDB holds stays a prefix of the decisions.
        for (auto& w : ready) {
            if (w.events > 0) {
                if (!failed_.load()) {
                    try {
                        check(store_.db().Write(rocksdb::WriteOptions(), w.batch.get()), "write batch");
                    } catch (const std::exception& e) {
                        failed_.store(true);
                        error = e.what();
                    }
                }
            }
            spent.push_back(std::move(w.batch));
            if (!failed_.load()) written_upto_.store(w.number, std::memory_order_release);
        }
        const std::uint64_t last = ready.back().last_position;
        if (!failed_.load()) {
            try {
                if (last > synced) {
                    if (options_.sync) check(store_.db().SyncWAL(), "sync WAL");
                    synced = last;
                    {
                        std::lock_guard lock(mu_);
                        ++stats_.syncs;
                    }
                    on_commit_(last);
                }
                answerable = ready.back().number;
            } catch (const std::exception& e) {
                failed_.store(true);
                error = e.what();
            }
        }
        const std::string why = error.empty() ? "the event log failed" : "the event log failed: " + error;
        for (auto& w : ready) {
            if (w.number > answerable) {
                fail_all(w.pending, why);
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

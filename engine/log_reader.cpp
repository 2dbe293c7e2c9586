// LogStore: opening the RocksDB layout and everything that reads it.
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "engine/fs_sync.hpp"
#include "engine/log_store.hpp"
#include "engine/rocks_status.hpp"
#include "engine/varint.hpp"

namespace codd::engine::detail {
namespace {

const std::vector<std::string> kColumnFamilies = {"events", "streams", "commands", "meta", "heads"};
constexpr std::string_view kSequencePrefix = "seq/";

rocksdb::CompressionType best_compression() {
    for (auto c : rocksdb::GetSupportedCompressions()) {
        if (c == rocksdb::kLZ4Compression) return c;
    }
    return rocksdb::kNoCompression;
}

std::vector<rocksdb::ColumnFamilyDescriptor> descriptors() {
    auto cache = rocksdb::NewLRUCache(64 << 20);
    std::vector<rocksdb::ColumnFamilyDescriptor> out;
    for (const auto& name : kColumnFamilies) {
        rocksdb::ColumnFamilyOptions cf;
        rocksdb::BlockBasedTableOptions table;
        table.block_cache = cache;
        // Command ids and stream heads are mostly looked up to find that they are new: a bloom filter
        // answers that without a disk read. Streams are sought by prefix, events by dense position.
        if (name == "commands" || name == "heads") {
            table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
            // Only ever read by whole key, and written at random keys: a hash memtable inserts and finds
            // in O(1) where the skiplist took ~18 cache-missing compares per put on the writer thread.
            // Its prefix is the whole key; nothing iterates these families except flushes.
            cf.prefix_extractor.reset(rocksdb::NewNoopTransform());
            cf.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(1 << 18));
        }
        if (name == "events") {
            cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
        }
        cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
        cf.compression = best_compression();
        cf.write_buffer_size = name == "events" ? (32 << 20) : name == "meta" ? (4 << 20) : (16 << 20);
        out.emplace_back(name, cf);
    }
    // RocksDB always has a default column family; codd leaves it empty.
    out.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
    return out;
}

rocksdb::Options db_options() {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    o.max_background_jobs = 2;
    o.bytes_per_sync = 1 << 20;
    // A torn last WAL record (a crash mid-write: never acknowledged, since an append answers after its sync) is
    // dropped; a damaged record before the tail fails the open instead of silently ending the log there (point-in-
    // time recovery would drop every acknowledged event after it, and the next appends would reuse their ids).
    o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
    // The MANIFEST records the synced size of each closed WAL: one deleted or cut short is a failed open, not a
    // shorter log. (The live WAL is not tracked: `codd serve` and `codd verify` check the log's end against the
    // position the orders view applied.)
    o.track_and_verify_wals_in_manifest = true;
    o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    o.keep_log_file_num = 3;
    // Memtables of all column families together stay under this, bounding resident memory.
    o.db_write_buffer_size = 128 << 20;
    // The hash memtables take one writer at a time; the log has a single writer anyway.
    o.allow_concurrent_memtable_write = false;
    return o;
}

// Options of an instance that reads an existing log and creates nothing in it.
rocksdb::Options existing_log_options() {
    auto o = db_options();
    o.create_if_missing = false;
    o.create_missing_column_families = false;
    return o;
}

std::uint64_t decode_be64(const rocksdb::Slice& s) {
    return varint::get_be64(std::string_view(s.data(), 8));
}

// verify() names the lowest bad position: each problem found is offered here, and the lowest one stays
// (on a tie the first, so the chain's own problem wins over the index's).
void note_bad(VerifyReport& report, std::uint64_t position, std::string problem) {
    if (report.first_bad && report.first_bad->value() <= position) return;
    report.ok = false;
    report.first_bad = GlobalPosition{position};
    report.problem = std::move(problem);
}

// The stream index pass of verify(): takes the `streams` entries in key order, one stream after another.
// A problem is blamed on the event it concerns; one that concerns no stored event (a stray entry, a head
// naming a version that has no event) on the position after the chain checked, where the next append
// would build on it.
class IndexVerifier {
  public:
    IndexVerifier(rocksdb::DB& db, const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* events,
                  rocksdb::ColumnFamilyHandle* heads, VerifyReport& report)
        : db_(db), ro_(ro), events_(events), heads_(heads), report_(report), beyond_(report.events_checked + 1) {}

    void entry(const rocksdb::Slice& key, const rocksdb::Slice& value) {
        ++entries_;
        const std::uint64_t pos = value.size() == 8 ? decode_be64(value) : 0;
        if (key.size() < 10 || key[key.size() - 9] != '\0') {
            note_bad(report_, pos != 0 ? pos : beyond_, "stream index: malformed entry");
            return;
        }
        const std::string_view stream(key.data(), key.size() - 9);
        // Unsigned, so that a forged version at the end of the range cannot overflow.
        const std::uint64_t version = varint::get_be64(std::string_view(key.data() + key.size() - 8, 8));
        if (!started_ || stream != stream_) start_stream(stream);
        // Named only in a problem's text: built when one is found, not for every entry of an intact log.
        const auto name = [&] { return stream_ + "@" + std::to_string(version); };
        if (version != next_version_) {
            note_bad(report_, pos != 0 ? pos : beyond_,
                     "stream index: " + stream_ + " skips to version " + std::to_string(version));
        }
        next_version_ = version + 1;
        if (after_head_ == 0 && (!head_ok_ || version > head_)) after_head_ = pos;
        // A value that is no position leaves the event of this version unreachable: find_unindexed_event names it.
        if (pos == 0) {
            note_bad(report_, beyond_, "stream index: malformed entry " + name());
            return;
        }
        std::string v;
        auto s = db_.Get(ro_, events_, event_key(pos), &v);
        if (s.IsNotFound()) {
            note_bad(report_, pos, "stream index: " + name() + " points at missing event " + std::to_string(pos));
            return;
        }
        check(s, "verify index");
        auto e = codec::decode_stored(v);
        if (!e || e->stream != stream_ || static_cast<std::uint64_t>(e->version.value()) != version) {
            note_bad(report_, pos,
                     "stream index: entry " + name() + " does not match its event " + std::to_string(pos));
        }
    }

    // Checks the last stream's head; returns the number of entries seen.
    std::uint64_t finish() {
        if (started_) check_head();
        return entries_;
    }

  private:
    void start_stream(std::string_view stream) {
        if (started_) check_head();
        started_ = true;
        stream_.assign(stream);
        next_version_ = 0;
        after_head_ = 0;
        std::string v;
        auto s = db_.Get(ro_, heads_, stream_, &v);
        if (!s.IsNotFound()) check(s, "verify heads");
        head_ok_ = s.ok() && v.size() == 8;
        head_ = head_ok_ ? varint::get_be64(v) : 0;
    }

    // The head must name the stream's last indexed version; the writer takes the next version from it.
    void check_head() {
        const std::uint64_t last = next_version_ - 1;  // a stream has one entry at least
        if (head_ok_ && head_ == last) return;
        const std::string problem = "stream head of " + stream_ + " does not match its last event (head " +
                                    (head_ok_ ? std::to_string(head_) : std::string("missing or malformed")) +
                                    ", last indexed " + std::to_string(last) + ")";
        // Ahead of the index: events missing from the index are named by find_unindexed_event; without such
        // events, only the next append is affected. Behind it (or none): the first event past the head.
        const bool ahead = head_ok_ && head_ > last;
        note_bad(report_, !ahead && after_head_ != 0 ? after_head_ : beyond_, problem);
    }

    rocksdb::DB& db_;
    const rocksdb::ReadOptions& ro_;
    rocksdb::ColumnFamilyHandle* events_;
    rocksdb::ColumnFamilyHandle* heads_;
    VerifyReport& report_;
    const std::uint64_t beyond_;
    std::uint64_t entries_ = 0;
    bool started_ = false;
    std::string stream_;
    std::uint64_t next_version_ = 0;
    std::uint64_t head_ = 0;  // the version the stream's head names, when head_ok_
    bool head_ok_ = false;
    std::uint64_t after_head_ = 0;  // position of the stream's first entry past its head
};

}  // namespace

std::string event_key(std::uint64_t position) {
    std::string k;
    varint::put_be64(k, position);
    return k;
}

std::string stream_key(std::string_view stream, std::int64_t version) {
    std::string k;
    k.reserve(stream.size() + 9);
    k.append(stream);
    k.push_back('\0');
    varint::put_be64(k, static_cast<std::uint64_t>(version));
    return k;
}

std::string sequence_key(std::string_view name) {
    return std::string(kSequencePrefix) + std::string(name);
}

std::string encode_command_record(const AppendResult& r) {
    std::string out;
    encode_command_record(r, out);
    return out;
}

void encode_command_record(const AppendResult& r, std::string& out) {
    varint::put(out, r.first_position.value());
    varint::put(out, r.last_position.value());
    varint::put(out, r.streams.size());
    for (const auto& s : r.streams) {
        varint::put(out, s.stream.size());
        out.append(s.stream);
        varint::put(out, static_cast<std::uint64_t>(s.last_version.value()));
    }
    varint::put(out, r.sequence_values.size());
    for (auto v : r.sequence_values) varint::put(out, static_cast<std::uint64_t>(v));
    // Last and optional: records written before fingerprints were kept end after the sequence values.
    if (!r.command_fingerprint.empty()) {
        varint::put(out, r.command_fingerprint.size());
        out.append(r.command_fingerprint);
    }
}

std::optional<AppendResult> decode_command_record(std::string_view bytes) {
    varint::Reader rd(bytes);
    AppendResult r;
    r.status = AppendStatus::duplicate;
    std::uint64_t first = 0, last = 0, n = 0;
    if (!rd.u64(first) || !rd.u64(last) || !rd.u64(n) || n > bytes.size()) return std::nullopt;
    r.first_position = GlobalPosition{first};
    r.last_position = GlobalPosition{last};
    for (std::uint64_t i = 0; i < n; ++i) {
        StreamResult s;
        std::uint64_t v = 0;
        if (!rd.str(s.stream) || !rd.u64(v)) return std::nullopt;
        s.last_version = StreamVersion{static_cast<std::int64_t>(v)};
        r.streams.push_back(std::move(s));
    }
    if (!rd.u64(n) || n > bytes.size()) return std::nullopt;
    for (std::uint64_t i = 0; i < n; ++i) {
        std::uint64_t v = 0;
        if (!rd.u64(v)) return std::nullopt;
        r.sequence_values.push_back(static_cast<std::int64_t>(v));
    }
    if (!rd.done() && !rd.str(r.command_fingerprint)) return std::nullopt;
    if (!rd.done()) return std::nullopt;
    return r;
}

bool LogStore::foreign(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir / "CURRENT", ec)) return false;
    std::vector<std::string> families;
    const bool listed = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &families).ok();
    return listed && std::find(families.begin(), families.end(), "events") == families.end();
}

namespace {

// Another program's RocksDB database is not a log to add codd's families to, or to read as one.
void refuse_foreign(const std::filesystem::path& dir) {
    if (LogStore::foreign(dir)) {
        throw StorageError("event log: " + dir.string() +
                           " holds a RocksDB database that is not a codd event log (it has no 'events' column "
                           "family); nothing was changed");
    }
}

}  // namespace

bool LogStore::in_use(const std::filesystem::path& dir) {
    // RocksDB holds a POSIX record lock on LOCK for as long as a primary instance is open: try to take it.
    const int fd = ::open((dir / "LOCK").c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;  // no LOCK file: never opened, so not open now
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    const bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
    ::close(fd);
    return held;
}

std::unique_ptr<LogStore> LogStore::open_primary(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw StorageError("event log: cannot create " + dir.string() + ": " + ec.message());
    refuse_foreign(dir);
    std::unique_ptr<LogStore> s(new LogStore());
    s->dir_ = dir;
    rocksdb::DB* raw = nullptr;
    auto options = db_options();
    // The writer's rounds stay in RocksDB's WAL buffer; the syncer writes and syncs them in one FlushWAL
    // (LogWriter::run_syncer), so the write(2) of each round leaves the writer thread, the log's one serial step.
    options.manual_wal_flush = true;
    const rocksdb::Status opened = rocksdb::DB::Open(options, dir.string(), descriptors(), &s->cf_, &raw);
    if (opened.IsCorruption()) {
        // Damage before the WAL's tail, or a table file: acknowledged events may be behind it, so the log is not
        // opened shorter. Say what to do rather than only RocksDB's words.
        throw StorageError("event log: open " + dir.string() + ": " + opened.ToString() +
                               " (the log is damaged; `codd verify` shows where; restore it from a backup with `codd "
                               "restore`)",
                           StorageError::Kind::corruption);
    }
    check(opened, "open " + dir.string());
    s->db_.reset(raw);
    return s;
}

std::unique_ptr<LogStore> LogStore::open_secondary(const std::filesystem::path& dir,
                                                   const std::filesystem::path& secondary_dir) {
    if (!std::filesystem::exists(dir / "CURRENT")) throw StorageError("event log: no log at " + dir.string());
    std::error_code ec;
    std::filesystem::create_directories(secondary_dir, ec);
    if (ec) throw StorageError("event log: cannot create " + secondary_dir.string() + ": " + ec.message());
    refuse_foreign(dir);
    std::unique_ptr<LogStore> s(new LogStore());
    s->dir_ = dir;
    s->read_only_ = true;
    auto options = existing_log_options();
    options.max_open_files = -1;  // required of secondary instances
    rocksdb::DB* raw = nullptr;
    check(rocksdb::DB::OpenAsSecondary(options, dir.string(), secondary_dir.string(), descriptors(), &s->cf_, &raw),
          "open read-only " + dir.string());
    s->db_.reset(raw);
    return s;
}

LogStore::~LogStore() {
    if (!db_) return;
    for (auto* h : cf_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
}

void LogStore::catch_up() {
    check(db_->TryCatchUpWithPrimary(), "catch up with primary");
}

void LogStore::flush_wal() {
    if (!read_only_) check(db_->FlushWAL(true), "flush WAL");
}

void LogStore::checkpoint(const std::filesystem::path& dir) const {
    if (read_only_) throw StorageError("event log: a read-only instance cannot write a backup");
    rocksdb::Checkpoint* raw = nullptr;
    check(rocksdb::Checkpoint::Create(db_.get(), &raw), "create checkpoint");
    const std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    check(cp->CreateCheckpoint(dir.string()), "checkpoint to " + dir.string());
    // A checkpoint hard-links the table files it shares with the live log: one damaged file would then be damaged
    // in both. A backup owns its copies.
    try {
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (!entry.is_regular_file() || entry.hard_link_count() < 2) continue;
            std::filesystem::path copy = entry.path();
            copy += ".copy";
            std::filesystem::copy_file(entry.path(), copy, std::filesystem::copy_options::overwrite_existing);
            fsync_path(copy);
            std::filesystem::rename(copy, entry.path());
        }
        fsync_path(dir);
    } catch (const std::system_error& e) {
        throw StorageError(std::string("event log: backup to ") + dir.string() + ": " + e.what());
    }
}

std::uint64_t LogStore::last_position(Hash* last_hash) const {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events()));
    it->SeekToLast();
    check(it->status(), "seek last event");
    if (!it->Valid()) {
        if (last_hash) last_hash->fill(0);
        return 0;
    }
    const auto v = it->value();
    if (it->key().size() != 8 || v.size() < Hash{}.size()) throw StorageError("event log: malformed last event");
    if (last_hash) std::memcpy(last_hash->data(), v.data() + v.size() - last_hash->size(), last_hash->size());
    return decode_be64(it->key());
}

std::optional<std::int64_t> LogStore::last_version(std::string_view stream) const {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), heads(), stream, &v);
    if (s.IsNotFound()) return std::nullopt;
    check(s, "read stream head");
    if (v.size() != 8) throw StorageError("event log: malformed head of stream " + std::string(stream));
    return static_cast<std::int64_t>(varint::get_be64(v));
}

std::optional<std::int64_t> LogStore::sequence_next(std::string_view name) const {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), meta(), sequence_key(name), &v);
    if (s.IsNotFound()) return std::nullopt;
    check(s, "read sequence");
    varint::Reader rd(v);
    std::uint64_t n = 0;
    if (!rd.u64(n) || !rd.done()) throw StorageError("event log: malformed sequence " + std::string(name));
    return static_cast<std::int64_t>(n);
}

std::optional<AppendResult> LogStore::command_record(std::string_view command_id) const {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), commands(), command_id, &v);
    if (s.IsNotFound()) return std::nullopt;
    check(s, "read command record");
    auto r = decode_command_record(v);
    if (!r) throw StorageError("event log: malformed command record " + std::string(command_id));
    return r;
}

std::optional<RecordedEvent> LogStore::get_event(std::uint64_t position) const {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), events(), event_key(position), &v);
    if (s.IsNotFound()) return std::nullopt;
    check(s, "read event");
    auto e = codec::decode_stored(v);
    if (!e) throw StorageError("event log: undecodable event at position " + std::to_string(position));
    return e;
}

std::vector<RecordedEvent> LogStore::read_stream(const std::string& stream, std::int64_t from, std::size_t max,
                                                 Direction dir, std::uint64_t upto) const {
    std::vector<RecordedEvent> out;
    if (max == 0 || from < 0) return out;
    std::string prefix = stream;
    prefix.push_back('\0');
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams()));
    const std::string start = stream_key(stream, from);
    if (dir == Direction::forward) {
        it->Seek(start);
    } else {
        it->SeekForPrev(start);
    }
    for (; it->Valid() && out.size() < max; dir == Direction::forward ? it->Next() : it->Prev()) {
        if (!it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) break;
        const std::uint64_t pos = decode_be64(it->value());
        if (pos > upto) {
            if (dir == Direction::forward) break;
            continue;  // committed after this reader's view of head; skip, older ones follow
        }
        auto e = get_event(pos);
        if (!e) throw StorageError("event log: stream index points at missing position " + std::to_string(pos));
        out.push_back(std::move(*e));
    }
    check(it->status(), "read stream");
    return out;
}

// Decodes the events from `from` up to `upto` in order, each into the event `slot(n)` returns (n counting
// from 0), until `visit(event)` returns false; returns how many were decoded.
template <typename Slot, typename Visit>
std::uint64_t LogStore::decode_range(std::uint64_t from, std::uint64_t upto, Slot&& slot, Visit&& visit) const {
    if (from == 0) from = 1;
    if (from > upto) return 0;
    const std::string upper = event_key(upto + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    ro.readahead_size = 2 << 20;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events()));
    std::uint64_t n = 0;
    for (it->Seek(event_key(from)); it->Valid(); it->Next()) {
        RecordedEvent& e = slot(n);
        if (!codec::decode_stored_into(std::string_view(it->value().data(), it->value().size()), e)) {
            throw StorageError("event log: undecodable event at position " + std::to_string(decode_be64(it->key())));
        }
        ++n;
        if (!visit(e)) break;
    }
    check(it->status(), "scan");
    return n;
}

std::uint64_t LogStore::scan(std::uint64_t from, std::uint64_t upto,
                             const std::function<bool(const RecordedEvent&)>& fn) const {
    RecordedEvent e;
    return decode_range(
        from, upto, [&e](std::uint64_t) -> RecordedEvent& { return e; }, fn);
}

void LogStore::read_into(std::uint64_t from, std::uint64_t upto, std::size_t max,
                         std::vector<RecordedEvent>& out) const {
    std::size_t used = 0;
    if (max > 0) {
        used = decode_range(
            from, upto,
            [&out](std::uint64_t n) -> RecordedEvent& {
                if (n == out.size()) out.emplace_back();
                return out[n];
            },
            [max](const RecordedEvent&) mutable { return --max > 0; });
    }
    out.resize(used);
}

VerifyReport LogStore::verify() const {
    VerifyReport report;
    // A secondary instance changes only in catch_up() and cannot take snapshots; a primary keeps
    // appending while verify runs, so every pass reads one snapshot.
    const rocksdb::Snapshot* snap = read_only_ ? nullptr : db_->GetSnapshot();
    try {
        // The index is checked even when the chain broke: it may be broken at a lower position.
        const bool chain_ok = verify_chain(report, snap);
        const std::uint64_t entries = verify_index(report, snap);
        verify_stray_heads(report, snap);
        verify_readable(snap);
        if (auto problem = table_files_problem(); problem && report.ok) {
            report.ok = false;
            report.problem = std::move(*problem);
        }
        if (!report.ok || entries != report.events_checked) find_unindexed_event(report, snap);
        if (chain_ok && report.ok && entries != report.events_checked) {
            // Only stray entries are left to explain it (none should pass the checks above).
            note_bad(report, report.events_checked + 1,
                     "stream index has " + std::to_string(entries) + " entries for " +
                         std::to_string(report.events_checked) + " events");
        }
    } catch (...) {
        if (snap) db_->ReleaseSnapshot(snap);
        throw;
    }
    if (snap) db_->ReleaseSnapshot(snap);
    return report;
}

// The families the chain and index passes do not walk (command records, sequences and metadata) read back
// whole, their blocks' checksums verified: a table file of theirs damaged is an error here (the
// primary would refuse to open), not an intact log.
void LogStore::verify_readable(const rocksdb::Snapshot* snap) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    ro.fill_cache = false;
    ro.verify_checksums = true;
    for (rocksdb::ColumnFamilyHandle* family : {commands(), meta()}) {
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, family));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
        }
        check(it->status(), "verify " + family->GetName());
    }
}

namespace {

// RocksDB's own messages of a read-only instance, dropped: by default it would write (and rotate) the LOG file in
// the log's directory, which a running server owns.
class SilentLogger : public rocksdb::Logger {
  public:
    SilentLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::HEADER_LEVEL) {}
    using rocksdb::Logger::Logv;
    void Logv(const char*, va_list) override {}
};

}  // namespace

// Every table file the MANIFEST names is there, whole, and reads back with its checksums: nullopt, or what is
// wrong. The passes above read through a secondary instance, whose recovery is point-in-time: a table file that
// is missing or cannot be opened is left out of its view of the log (a family looks older or empty) instead of
// failing, so they cannot see it, while the server refuses to open such a log. A read-only instance fails on it.
//
// Next to a running server, the open and the checksum pass (which reopens each file by name) can race a
// compaction deleting files or a new MANIFEST; a file gone that way is not damage. So while a server holds the
// log, a failure counts only once it has repeated over about three seconds; a log no one holds is read once.
std::optional<std::string> LogStore::table_files_problem() const {
    const bool live = !read_only_ || in_use(dir_);  // this instance or another process writes the log
    const int attempts = live ? 7 : 1;
    std::chrono::milliseconds pause{50};
    std::string last;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (attempt > 0) {
            std::this_thread::sleep_for(pause);
            pause *= 2;
        }
        auto options = existing_log_options();
        options.info_log = std::make_shared<SilentLogger>();
        std::vector<rocksdb::ColumnFamilyHandle*> handles;
        rocksdb::DB* raw = nullptr;
        rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir_.string(), descriptors(), &handles, &raw);
        if (s.ok()) {
            const std::unique_ptr<rocksdb::DB> db(raw);
            s = db->VerifyChecksum();
            for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
            db->Close();
        }
        if (s.ok()) return std::nullopt;
        last = s.ToString();
    }
    return "a table file of the log is missing or damaged: " + last;
}

// Every position from 1 on is present once, decodes, names itself, and chains to its predecessor.
bool LogStore::verify_chain(VerifyReport& report, const rocksdb::Snapshot* snap) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events()));
    Hash prev{};
    std::uint64_t expected = 1;
    auto fail = [&](std::uint64_t pos, std::string problem) {
        note_bad(report, pos, std::move(problem));
        return false;
    };
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
        if (it->key().size() != 8) return fail(expected, "malformed event key");
        const std::uint64_t pos = decode_be64(it->key());
        if (pos != expected) return fail(expected, "position " + std::to_string(expected) + " is missing");
        std::size_t canonical_size = 0;
        const std::string_view bytes(it->value().data(), it->value().size());
        auto e = codec::decode_stored(bytes, &canonical_size);
        if (!e) return fail(pos, "event does not decode");
        if (e->position.value() != pos)
            return fail(pos, "event records position " + std::to_string(e->position.value()));
        if (codec::chain_hash(prev, bytes.substr(0, canonical_size)) != e->hash) {
            return fail(pos, "hash mismatch: the event or its predecessor was altered");
        }
        prev = e->hash;
        report.head_hash = prev;
        ++report.events_checked;
    }
    check(it->status(), "verify chain");
    return true;
}

// Every index entry points at the event with that stream and version, versions are contiguous from 0, and
// each stream's head names its last version. Returns the number of entries.
std::uint64_t LogStore::verify_index(VerifyReport& report, const rocksdb::Snapshot* snap) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    ro.fill_cache = false;
    IndexVerifier verifier(*db_, ro, events(), heads(), report);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, streams()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) verifier.entry(it->key(), it->value());
    check(it->status(), "verify index");
    return verifier.finish();
}

// A head for a stream without events (the index pass checks the heads of the streams it meets): the writer
// would take the stream's next version from it, so the next append to that stream would start past 0.
void LogStore::verify_stray_heads(VerifyReport& report, const rocksdb::Snapshot* snap) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    ro.fill_cache = false;
    ro.total_order_seek = true;  // the heads family is hashed by whole key: walk all of it
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, heads()));
    std::string unused;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const std::string_view stream(it->key().data(), it->key().size());
        const auto s = db_->Get(ro, streams(), stream_key(stream, 0), &unused);
        if (s.ok()) continue;
        if (!s.IsNotFound()) check(s, "verify heads");
        note_bad(report, report.events_checked + 1,
                 "stream head of " + std::string(stream) + " names a stream without events");
    }
    check(it->status(), "verify heads");
}

// The other direction, which the entry count only summarises: each event below the lowest bad position
// found so far has an index entry pointing back at it. Run only once something is wrong, to name the
// first event that a reader of its stream can no longer reach.
void LogStore::find_unindexed_event(VerifyReport& report, const rocksdb::Snapshot* snap) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, events()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().size() != 8) break;  // the chain pass reported it
        const std::uint64_t pos = decode_be64(it->key());
        if (report.first_bad && pos >= report.first_bad->value()) break;
        auto e = codec::decode_stored(std::string_view(it->value().data(), it->value().size()));
        if (!e) continue;  // the chain pass reported it
        const std::string name = e->stream + "@" + std::to_string(e->version.value());
        std::string v;
        auto s = db_->Get(ro, streams(), stream_key(e->stream, e->version.value()), &v);
        if (s.IsNotFound()) {
            note_bad(report, pos, "stream index: event " + std::to_string(pos) + " (" + name + ") has no entry");
            return;
        }
        check(s, "verify index");
        if (v.size() != 8 || varint::get_be64(v) != pos) {
            note_bad(report, pos,
                     "stream index: the entry of event " + std::to_string(pos) + " (" + name + ") points elsewhere");
            return;
        }
    }
    check(it->status(), "verify index");
}

}  // namespace codd::engine::detail

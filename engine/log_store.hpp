#pragma once
// LogStore: the RocksDB layout of the log and every read against it. Shared by the writer (which adds
// the write path in log_writer.cpp) and by read-only instances.
//
// Column families (DESIGN §3):
//   events    be64(position)                  -> stored event (envelope.hpp)
//   streams   stream id, 0x00, be64(version)  -> be64(position)
//   commands  command id                      -> encoded result of the original append
//   meta      "seq/<name>"                    -> varint next value of the sequence
//   heads     stream id                       -> be64(version of the stream's last event)
// `heads` duplicates the last entry of each stream in `streams` so that the writer's "what version is
// this stream at" is a bloom-filtered point lookup rather than an iterator seek; verify() checks both agree.

#include <rocksdb/db.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/event_log.hpp"

namespace codd::engine::detail {

std::string event_key(std::uint64_t position);
std::string stream_key(std::string_view stream, std::int64_t version);
std::string sequence_key(std::string_view name);

// The durable form of an append's result, kept under its command id.
std::string encode_command_record(const AppendResult& r);
void encode_command_record(const AppendResult& r, std::string& out);  // appends to out
std::optional<AppendResult> decode_command_record(std::string_view bytes);

class LogStore {
  public:
    static std::unique_ptr<LogStore> open_primary(const std::filesystem::path& dir);
    // Whether another process has the log at `dir` open as its primary (a running server), without opening it.
    static bool in_use(const std::filesystem::path& dir);
    // Whether `dir` holds another program's RocksDB database: one without codd's `events` family. (A MANIFEST
    // that cannot be read says nothing: a damaged log is not foreign.)
    static bool foreign(const std::filesystem::path& dir);
    static std::unique_ptr<LogStore> open_secondary(const std::filesystem::path& dir,
                                                    const std::filesystem::path& secondary_dir);
    ~LogStore();
    LogStore(const LogStore&) = delete;
    LogStore& operator=(const LogStore&) = delete;

    rocksdb::DB& db() { return *db_; }
    rocksdb::ColumnFamilyHandle* events() const { return cf_[0]; }
    rocksdb::ColumnFamilyHandle* streams() const { return cf_[1]; }
    rocksdb::ColumnFamilyHandle* commands() const { return cf_[2]; }
    rocksdb::ColumnFamilyHandle* meta() const { return cf_[3]; }
    rocksdb::ColumnFamilyHandle* heads() const { return cf_[4]; }
    [[nodiscard]] bool read_only() const { return read_only_; }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

    // The last stored position and its hash (0 and zeros for an empty log).
    std::uint64_t last_position(Hash* last_hash) const;
    std::optional<std::int64_t> last_version(std::string_view stream) const;
    std::optional<std::int64_t> sequence_next(std::string_view name) const;
    std::optional<AppendResult> command_record(std::string_view command_id) const;

    std::vector<RecordedEvent> read_stream(const std::string& stream, std::int64_t from, std::size_t max, Direction dir,
                                           std::uint64_t upto) const;
    // `fn` sees one RecordedEvent object, decoded again for each event: copy what it keeps.
    std::uint64_t scan(std::uint64_t from, std::uint64_t upto,
                       const std::function<bool(const RecordedEvent&)>& fn) const;
    // Replaces `out` with the events from `from` up to `upto`, at most `max`, decoding each into an element
    // `out` already has where it can (its strings keep their storage).
    void read_into(std::uint64_t from, std::uint64_t upto, std::size_t max, std::vector<RecordedEvent>& out) const;
    // Checks the hash chain, the stream index both ways and the stream heads, and names the lowest bad
    // position: every position below it is intact. A problem that no stored event can be blamed for (a
    // stray index entry or head) is named at the position after the last event, which it would corrupt.
    VerifyReport verify() const;

    // Reads a secondary instance forward to what the primary has written.
    void catch_up();
    void flush_wal();
    // A RocksDB checkpoint of the whole store in `dir` (which must not exist).
    void checkpoint(const std::filesystem::path& dir) const;

  private:
    template <typename Slot, typename Visit>
    std::uint64_t decode_range(std::uint64_t from, std::uint64_t upto, Slot&& slot, Visit&& visit) const;
    LogStore() = default;
    std::optional<RecordedEvent> get_event(std::uint64_t position) const;
    bool verify_chain(VerifyReport& report, const rocksdb::Snapshot* snap) const;
    std::uint64_t verify_index(VerifyReport& report, const rocksdb::Snapshot* snap) const;
    void find_unindexed_event(VerifyReport& report, const rocksdb::Snapshot* snap) const;
    void verify_readable(const rocksdb::Snapshot* snap) const;
    std::optional<std::string> table_files_problem() const;
    void verify_stray_heads(VerifyReport& report, const rocksdb::Snapshot* snap) const;

    std::filesystem::path dir_;
    bool read_only_ = false;
    std::unique_ptr<rocksdb::DB> db_;
    std::vector<rocksdb::ColumnFamilyHandle*> cf_;
};

}  // namespace codd::engine::detail

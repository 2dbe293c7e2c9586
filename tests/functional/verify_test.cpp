// Black-box tests of `codd verify` on logs written through the engine, intact and tampered with.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <rocksdb/db.h>

#include <csignal>
#include <fstream>
#include <functional>

#include <boost/json/parse.hpp>

#include "engine/event_log.hpp"
#include "projections/sqlite.hpp"
#include "tests/functional/process.hpp"

namespace {

using namespace codd;
using namespace codd::test;

// Writes `n` events through the public engine API into data_dir/log, each with a command record and a sequence
// value (the commands and meta families), on three streams.
void fill(const std::filesystem::path& data_dir, int n) {
    engine::LogOptions options;
    options.dir = data_dir / "log";
    const auto log = engine::EventLog::open(options);
    for (int i = 0; i < n; ++i) {
        engine::AppendRequest request;
        request.command_id = "command-" + std::to_string(i);
        request.sequences = {"order"};
        request.metadata.actor = {"1", "admin"};
        request.streams.push_back({"order-" + std::to_string(1001 + i % 3),
                                   engine::ExpectedVersion::any(),
                                   {engine::NewEvent{"OrderNoted", 1, R"({"note":"hello"})", ""}}});
        REQUIRE(log->append(std::move(request)).committed());
    }
    log->close();
}

std::string be64(std::uint64_t v) {
    std::string key(8, '\0');
    for (int i = 0; i < 8; ++i) key[7 - i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return key;
}

// Runs `edit` on one column family of the log's RocksDB, opened directly as someone with access to the
// files could. Uses the engine's on-disk layout (engine/log_store.hpp).
void edit_raw(const std::filesystem::path& log_dir, const std::string& family,
              const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& edit) {
    std::vector<std::string> names;
    REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), log_dir.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), log_dir.string(), descriptors, &handles, &db).ok());
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == family) cf = handles[i];
    }
    REQUIRE(cf != nullptr);
    edit(*db, cf);
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
}

// data_dir/views/orders.sqlite holding only the orders view's checkpoint, at `checkpoint`.
void view_at(const std::filesystem::path& data_dir, std::uint64_t checkpoint) {
    std::filesystem::create_directories(data_dir / "views");
    auto db = projections::Database::open(data_dir / "views" / "orders.sqlite");
    db.exec(
        "CREATE TABLE IF NOT EXISTS codd_checkpoint (name TEXT PRIMARY KEY, position INTEGER NOT NULL, "
        "updated_us INTEGER NOT NULL)");
    db.exec("INSERT OR REPLACE INTO codd_checkpoint VALUES ('orders', " + std::to_string(checkpoint) + ", 0)");
}

// XORs one byte of `file`, at `offset`, with `mask`: damage as a disk or a hand could do it.
void flip_byte(const std::filesystem::path& file, std::streamoff offset, char mask) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ mask);
    f.seekp(offset);
    f.write(&c, 1);
    REQUIRE(f.good());
}

// The table file holding `family`'s data, as the log's MANIFEST names it (the family flushed to one first).
std::filesystem::path table_file(const std::filesystem::path& log_dir, const std::string& family) {
    std::filesystem::path found;
    edit_raw(log_dir, family, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle*) {
        std::vector<rocksdb::LiveFileMetaData> files;
        db.GetLiveFilesMetaData(&files);
        for (const auto& f : files) {
            if (f.column_family_name == family) found = log_dir / std::filesystem::path(f.name).filename();
        }
    });
    REQUIRE_MESSAGE(!found.empty(), "no table file of " << family);
    return found;
}

// Flips one byte of the stored event at `position` (column family "events", big-endian 8-byte keys).
void tamper(const std::filesystem::path& log_dir, std::uint64_t position) {
    edit_raw(log_dir, "events", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events) {
        std::string value;
        REQUIRE(db.Get(rocksdb::ReadOptions(), events, be64(position), &value).ok());
        value[value.size() / 2] ^= 0x01;
        REQUIRE(db.Put(rocksdb::WriteOptions(), events, be64(position), value).ok());
    });
}

// Deletes the stream index entry of `stream` at `version` (column family "streams", stream, 0, be64(version)).
void unindex(const std::filesystem::path& log_dir, const std::string& stream, std::uint64_t version) {
    edit_raw(log_dir, "streams", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* streams) {
        std::string key = stream + '\0' + be64(version);
        std::string value;
        REQUIRE(db.Get(rocksdb::ReadOptions(), streams, key, &value).ok());
        REQUIRE(db.Delete(rocksdb::WriteOptions(), streams, key).ok());
    });
}

// The hash of the last event, read through the engine.
std::string last_hash_hex(const std::filesystem::path& data_dir) {
    engine::LogOptions options;
    options.dir = data_dir / "log";
    const auto log = engine::EventLog::open(options);
    const auto last = log->read_all(log->head(), 1);
    REQUIRE(last.size() == 1);
    return engine::codec::to_hex(last[0].hash);
}

RunResult verify(const std::filesystem::path& data_dir) {
    return run(ProcessOptions{{CODD_BINARY, "verify", "--data-dir", data_dir.string()}, {}, {}});
}

// verify's answer for a log broken at `position`: exit 1, "ok": false with the position and a problem, and the
// position named on stderr.
void check_broken_at(const RunResult& r, std::uint64_t position) {
    CHECK(r.exit_code == 1);
    const auto summary = boost::json::parse(r.out);
    CHECK(summary.at("ok") == false);
    CHECK(summary.at("first_bad_position") == position);
    CHECK(!summary.at("problem").as_string().empty());
    CHECK(r.err.find("position " + std::to_string(position)) != std::string::npos);
}

}  // namespace

TEST_CASE("an intact log verifies and its events are counted") {
    const TempDir dir;
    fill(dir.path(), 10);
    const RunResult r = verify(dir.path());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    const auto summary = boost::json::parse(r.out).as_object();
    CHECK(summary.at("ok") == true);
    CHECK(summary.at("events") == 10);
}

TEST_CASE("an intact log's summary carries the head hash, in hex, to anchor the chain") {
    const TempDir dir;
    fill(dir.path(), 10);
    const std::string expected = last_hash_hex(dir.path());
    CHECK(expected.size() == 64);
    const RunResult r = verify(dir.path());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(boost::json::parse(r.out) ==
          boost::json::parse(R"({"ok":true,"events":10,"head_hash":")" + expected + R"("})"));
}

TEST_CASE("a deleted stream index entry makes verify exit 1 and name its event's position") {
    // Events 1..10 go to order-1001, order-1002, order-1003 in turn: order-1002@1 is event 5.
    const TempDir dir;
    fill(dir.path(), 10);
    unindex(dir.path() / "log", "order-1002", 1);
    const RunResult r = verify(dir.path());
    check_broken_at(r, 5);
}

TEST_CASE("a tampered event makes verify exit 1 and name the first bad position") {
    const TempDir dir;
    fill(dir.path(), 10);
    tamper(dir.path() / "log", 4);
    const RunResult r = verify(dir.path());
    check_broken_at(r, 4);
}

TEST_CASE("verify's exit code holds when its stderr is closed or full (a cron job's 2>&-)") {
    const TempDir dir;
    fill(dir.path(), 6);
    tamper(dir.path() / "log", 3);
    for (const std::string redirect : {"2>&-", "2>/dev/full"}) {
        CAPTURE(redirect);
        const RunResult r = run(ProcessOptions{
            {"/bin/sh", "-c", "exec \"$0\" verify --data-dir \"$1\" " + redirect, CODD_BINARY, dir.path().string()},
            {},
            {}});
        CHECK(r.exit_code == 1);  // not 134: printing the verdict to a closed stderr must not abort
        CHECK(r.out.find("\"first_bad_position\":3") != std::string::npos);
    }
}

TEST_CASE(
    "a report lost on a full or closed stdout: verify exits 2, backup keeps its 0 (the copy is made), both say so") {
    const TempDir dir;
    fill(dir.path(), 6);
    for (const std::string redirect : {">/dev/full", ">&-"}) {
        CAPTURE(redirect);
        const RunResult r = run(ProcessOptions{
            {"/bin/sh", "-c", "exec \"$0\" verify --data-dir \"$1\" " + redirect, CODD_BINARY, dir.path().string()},
            {},
            {}});
        CHECK(r.exit_code == 2);  // an error: 1 would say the log is broken, and it is intact
        CHECK(r.err.find("the report could not be written to standard output") != std::string::npos);
    }
    // A broken log stays exit 1 whether or not its report could be written.
    tamper(dir.path() / "log", 3);
    const RunResult broken = run(ProcessOptions{
        {"/bin/sh", "-c", "exec \"$0\" verify --data-dir \"$1\" >/dev/full", CODD_BINARY, dir.path().string()},
        {},
        {}});
    CHECK(broken.exit_code == 1);
    // backup makes its copy: its exit code stands (a retry would refuse the existing target), stderr says what was
    // lost.
    const TempDir other;
    fill(other.path(), 3);
    const std::filesystem::path to = other.path() / "copy";
    const RunResult backup =
        run(ProcessOptions{{"/bin/sh", "-c", "exec \"$0\" backup --data-dir \"$1\" --to \"$2\" >/dev/full", CODD_BINARY,
                            other.path().string(), to.string()},
                           {},
                           {}});
    CHECK(backup.exit_code == 0);
    CHECK(backup.err.find("the report could not be written to standard output") != std::string::npos);
    CHECK(std::filesystem::exists(to / "log" / "CURRENT"));
}

TEST_CASE("--help and --version on a full or closed stdout fail and say so, and succeed otherwise") {
    for (const std::string flag : {"--help", "--version", "verify --help"}) {
        CAPTURE(flag);
        const RunResult ok = run(ProcessOptions{{"/bin/sh", "-c", "exec \"$0\" " + flag, CODD_BINARY}, {}, {}});
        CHECK(ok.exit_code == 0);
        CHECK_FALSE(ok.out.empty());
        for (const std::string redirect : {">/dev/full", ">&-"}) {
            CAPTURE(redirect);
            const RunResult r =
                run(ProcessOptions{{"/bin/sh", "-c", "exec \"$0\" " + flag + " " + redirect, CODD_BINARY}, {}, {}});
            CHECK(r.exit_code == 2);  // an error, as verify's are: its 1 means a broken log
            CHECK(r.err.find("the text could not be written to standard output") != std::string::npos);
        }
    }
}

TEST_CASE("a log that ends before the position its orders view applied is broken: events were lost") {
    // A WAL file deleted or cut short leaves an intact but shorter chain; the view's checkpoint remembers more.
    const TempDir dir;
    fill(dir.path(), 6);
    view_at(dir.path(), 6);
    CHECK(verify(dir.path()).exit_code == 0);
    view_at(dir.path(), 9);
    const RunResult r = verify(dir.path());
    check_broken_at(r, 7);
    CHECK(r.err.find("applied it up to 9") != std::string::npos);
    // Nor does an offline rebuild replace that view with one of the shorter log: it is the record of the loss.
    const RunResult rebuilt = run(ProcessOptions{{CODD_BINARY, "rebuild", "--data-dir", dir.path().string()}, {}, {}});
    CHECK(rebuilt.exit_code == 1);
    CHECK(rebuilt.err.find("lost events") != std::string::npos);
    CHECK(verify(dir.path()).exit_code == 1);
}

TEST_CASE("a damaged table file of the command records or sequences fails verify, not only of the events") {
    const TempDir dir;
    fill(dir.path(), 6);
    edit_raw(dir.path() / "log", "commands", [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* commands) {
        REQUIRE(db.Flush(rocksdb::FlushOptions(), commands).ok());  // the command records into a table file
    });
    const std::filesystem::path file = table_file(dir.path() / "log", "commands");
    flip_byte(file, 20, 0x01);
    const RunResult r = verify(dir.path());
    CHECK(r.exit_code != 0);
    CHECK(r.out.find("\"ok\":true") == std::string::npos);
    CHECK(r.err.find("commands") != std::string::npos);
}

TEST_CASE("a table file missing, cut short or damaged anywhere fails verify, whichever family it holds") {
    // The families verify does not walk event by event (the sequences, the stream heads) included: a secondary
    // instance leaves a table file it cannot open out of its view of the log instead of failing, while the server
    // refuses to open such a log (and a restore would have accepted it as a backup).
    for (const std::string family : {"meta", "heads", "events"}) {
        for (const std::string damage : {"removed", "cut short", "a byte flipped"}) {
            CAPTURE(family);
            CAPTURE(damage);
            const TempDir dir;
            fill(dir.path(), 8);
            edit_raw(dir.path() / "log", family, [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
                REQUIRE(db.Flush(rocksdb::FlushOptions(), cf).ok());
            });
            REQUIRE(verify(dir.path()).exit_code == 0);
            const std::filesystem::path file = table_file(dir.path() / "log", family);
            const auto size = std::filesystem::file_size(file);
            if (damage == "removed") {
                std::filesystem::remove(file);
            } else if (damage == "cut short") {
                std::filesystem::resize_file(file, size / 2);
            } else {
                // In the file's last part (its index, properties and footer), past what the families' scans read.
                flip_byte(file, static_cast<std::streamoff>(size - 60), 0x10);
            }
            const RunResult r = verify(dir.path());
            CHECK(r.exit_code != 0);
            CHECK(r.out.find("\"ok\":true") == std::string::npos);
            // Nor is it restored from as a backup: nothing of the target changes.
            const std::filesystem::path target = dir.path() / "target";
            const RunResult restored = run(ProcessOptions{
                {CODD_BINARY, "restore", "--from", dir.path().string(), "--data-dir", target.string()}, {}, {}});
            CHECK(restored.exit_code != 0);
            CHECK_FALSE(std::filesystem::exists(target / "log"));
        }
    }
}

TEST_CASE("a table file RocksDB aborts on is a broken log: verify exits 1 and restore refuses it, neither dies") {
    // Debian's RocksDB keeps its assertions: this byte of the sequences' table file (the high bit of a block's
    // restart count, which says the block has a hash index) makes it abort while opening the file, checksums
    // notwithstanding. verify and restore read the log in a child process and report that as damage.
    const TempDir dir;
    fill(dir.path(), 8);
    edit_raw(dir.path() / "log", "meta", [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
        REQUIRE(db.Flush(rocksdb::FlushOptions(), cf).ok());
    });
    const std::filesystem::path file = table_file(dir.path() / "log", "meta");
    flip_byte(file, static_cast<std::streamoff>(std::filesystem::file_size(file) - 96), static_cast<char>(0x80));
    const RunResult r = verify(dir.path());
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("\"ok\":false") != std::string::npos);
    CHECK(r.err.find("RocksDB stopped on an assertion while reading it") != std::string::npos);
    CHECK(r.err.find("Assertion `") != std::string::npos);
    // Also when started with SIGCHLD ignored (the child would be reaped with no status to read; bash passes the
    // ignored signal on, dash does not).
    const RunResult ignoring = run(ProcessOptions{
        {"/bin/bash", "-c", "trap '' CHLD; exec \"$0\" verify --data-dir \"$1\"", CODD_BINARY, dir.path().string()},
        {},
        {}});
    INFO(ignoring.err);
    CHECK(ignoring.exit_code == 1);
    CHECK(ignoring.err.find("RocksDB stopped on an assertion") != std::string::npos);
    const std::filesystem::path target = dir.path() / "target";
    const RunResult restored = run(
        ProcessOptions{{CODD_BINARY, "restore", "--from", dir.path().string(), "--data-dir", target.string()}, {}, {}});
    INFO(restored.err);
    CHECK(restored.exit_code == 1);
    CHECK(restored.err.find("the backup is broken") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(target / "log"));
    // serve dies of the same assertion (in RocksDB, it cannot be caught), and says what to do about it.
    const RunResult served = run(
        ProcessOptions{
            {CODD_BINARY, "serve"},
            {{"CODD_DATA_DIR", dir.path().string()}, {"CODD_LISTEN", "127.0.0.1:0"}, {"CODD_ENV", "development"}},
            {}},
        std::chrono::seconds(20));
    INFO(served.err);
    CHECK(served.exit_code == 128 + SIGABRT);
    CHECK(served.err.find("Assertion `") != std::string::npos);
    CHECK(served.err.find("codd verify --data-dir") != std::string::npos);
}

TEST_CASE("a WAL damaged before its tail is a broken log (exit 1), not one verify cannot open") {
    const TempDir dir;
    fill(dir.path(), 20);  // closed without a flush: the events are in the WAL alone
    std::filesystem::path wal;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "log")) {
        if (entry.path().extension() == ".log" && std::filesystem::file_size(entry.path()) > 0) wal = entry.path();
    }
    REQUIRE_FALSE(wal.empty());
    flip_byte(wal, static_cast<std::streamoff>(std::filesystem::file_size(wal) / 3), static_cast<char>(0xff));
    const RunResult r = verify(dir.path());
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("\"ok\":false") != std::string::npos);
    CHECK(r.err.find("damaged") != std::string::npos);
}

TEST_CASE("restore replaces a log too damaged to open, and refuses a source whose log lost events") {
    const TempDir backup;
    fill(backup.path(), 5);
    const TempDir data;
    fill(data.path(), 8);
    edit_raw(data.path() / "log", "events", [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events) {
        REQUIRE(db.Flush(rocksdb::FlushOptions(), events).ok());
    });
    std::filesystem::remove(table_file(data.path() / "log", "events"));
    // What `codd serve` says of such a log: damaged, restore it. (Not "in use": the damage is no lock.)
    const RunResult admin = run(ProcessOptions{{CODD_BINARY, "admin", "create", "--data-dir", data.path().string(),
                                                "--email", "root@example.com", "--password", "Str0ng!pass"},
                                               {},
                                               {}});
    CHECK(admin.exit_code != 0);
    CHECK(admin.err.find("damaged") != std::string::npos);
    CHECK(admin.err.find("in use") == std::string::npos);
    const auto restore = [&](const std::filesystem::path& from) {
        return run(ProcessOptions{
            {CODD_BINARY, "restore", "--from", from.string(), "--data-dir", data.path().string()}, {}, {}});
    };
    const RunResult restored = restore(backup.path());
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    const RunResult after = verify(data.path());
    CHECK(after.exit_code == 0);
    CHECK(after.out.find("\"events\":5") != std::string::npos);
    // A data directory as the source, whose orders view applied more than its log holds: refused like verify does.
    const TempDir lost;
    fill(lost.path(), 4);
    view_at(lost.path(), 7);
    const RunResult refused = restore(lost.path());
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("applied it up to 7") != std::string::npos);
    CHECK(verify(data.path()).out.find("\"events\":5") != std::string::npos);
}

TEST_CASE("another program's RocksDB database is no log: rebuild and admin create refuse it and change nothing") {
    const TempDir dir;
    const std::filesystem::path log_dir = dir.path() / "log";
    {
        rocksdb::Options options;
        options.create_if_missing = true;
        rocksdb::DB* db = nullptr;
        REQUIRE(rocksdb::DB::Open(options, log_dir.string(), &db).ok());
        REQUIRE(db->Put(rocksdb::WriteOptions(), "theirs", "value").ok());
        delete db;
    }
    const RunResult rebuilt = run(ProcessOptions{{CODD_BINARY, "rebuild", "--data-dir", dir.path().string()}, {}, {}});
    CHECK(rebuilt.exit_code != 0);
    CHECK(rebuilt.err.find("not a codd event log") != std::string::npos);
    const RunResult admin = run(ProcessOptions{{CODD_BINARY, "admin", "create", "--data-dir", dir.path().string(),
                                                "--email", "root@example.com", "--password", "Str0ng!pass"},
                                               {},
                                               {}});
    CHECK(admin.exit_code != 0);
    CHECK(admin.err.find("not a codd event log") != std::string::npos);
    const RunResult served = run(ProcessOptions{
        {CODD_BINARY, "serve"}, {{"CODD_DATA_DIR", dir.path().string()}, {"CODD_LISTEN", "127.0.0.1:0"}}, {}});
    CHECK(served.exit_code != 0);
    CHECK(served.out.find("not a codd event log") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "secrets.json"));  // nothing written into that directory
    std::vector<std::string> families;
    REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), log_dir.string(), &families).ok());
    CHECK(families == std::vector<std::string>{"default"});
}

TEST_CASE("--data-dir defaults to CODD_DATA_DIR") {
    const TempDir dir;
    fill(dir.path(), 2);
    const RunResult r = run(ProcessOptions{{CODD_BINARY, "verify"}, {{"CODD_DATA_DIR", dir.path().string()}}, {}});
    CHECK(r.exit_code == 0);
    CHECK(boost::json::parse(r.out).at("events") == 2);
}

TEST_CASE("a data directory whose log is not a RocksDB database is an open error (exit 2)") {
    const TempDir dir;
    std::filesystem::create_directories(dir.path() / "log");
    const RunResult r = verify(dir.path());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot open the event log") != std::string::npos);
}

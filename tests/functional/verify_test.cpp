// Black-box tests of `codd verify` on logs written through the engine, intact and tampered with.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <rocksdb/db.h>

#include <boost/json/parse.hpp>

#include "engine/event_log.hpp"
#include "tests/functional/process.hpp"

namespace {

using namespace codd;
using namespace codd::test;

// Writes `n` events through the public engine API into data_dir/log.
void fill(const std::filesystem::path& data_dir, int n) {
    engine::LogOptions options;
    options.dir = data_dir / "log";
    const auto log = engine::EventLog::open(options);
    for (int i = 0; i < n; ++i) {
        engine::AppendRequest request;
        request.metadata.actor = {"1", "admin"};
        request.streams.push_back({"order-" + std::to_string(1001 + i % 3),
                                   engine::ExpectedVersion::any(),
                                   {engine::NewEvent{"OrderNoted", 1, R"({"note":"hello"})", ""}}});
        REQUIRE(log->append(std::move(request)).committed());
    }
    log->close();
}

// Flips one byte of the stored event at `position`, as someone with access to the files could. Uses the
// engine's on-disk layout: column family "events", big-endian 8-byte position keys.
void tamper(const std::filesystem::path& log_dir, std::uint64_t position) {
    std::vector<std::string> names;
    REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), log_dir.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), log_dir.string(), descriptors, &handles, &db).ok());
    rocksdb::ColumnFamilyHandle* events = nullptr;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == "events") events = handles[i];
    }
    REQUIRE(events != nullptr);
    std::string key(8, '\0');
    for (int i = 0; i < 8; ++i) key[7 - i] = static_cast<char>((position >> (8 * i)) & 0xFF);
    std::string value;
    REQUIRE(db->Get(rocksdb::ReadOptions(), events, key, &value).ok());
    value[value.size() / 2] ^= 0x01;
    REQUIRE(db->Put(rocksdb::WriteOptions(), events, key, value).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
}

RunResult verify(const std::filesystem::path& data_dir) {
    return run(ProcessOptions{{CODD_BINARY, "verify", "--data-dir", data_dir.string()}, {}, {}});
}

}  // namespace

TEST_CASE("an intact log verifies and its events are counted") {
    const TempDir dir;
    fill(dir.path(), 10);
    const RunResult r = verify(dir.path());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(boost::json::parse(r.out) == boost::json::parse(R"({"ok":true,"events":10})"));
}

TEST_CASE("a tampered event makes verify exit 1 and name the first bad position") {
    const TempDir dir;
    fill(dir.path(), 10);
    tamper(dir.path() / "log", 4);
    const RunResult r = verify(dir.path());
    CHECK(r.exit_code == 1);
    const auto summary = boost::json::parse(r.out);
    CHECK(summary.at("ok") == false);
    CHECK(summary.at("first_bad_position") == 4);
    CHECK(!summary.at("problem").as_string().empty());
    CHECK(r.err.find("position 4") != std::string::npos);
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

// Tamper evidence: the hash chain and the stream index, checked by verify().
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include "engine/varint.hpp"
#include "tests/engine/log_fixture.hpp"

using namespace codd::engine;
using namespace codd::test;

namespace {

// Opens the log's RocksDB directly, as an attacker with file access would, and edits one stored value.
// `create`: the key need not exist (the edit starts from an empty value).
void edit_raw(const std::filesystem::path& dir, const std::string& cf_name, const std::string& key,
              const std::function<void(std::string&)>& edit, bool erase = false, bool create = false) {
    std::vector<std::string> names;
    REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), dir.string(), descs, &handles, &db).ok());
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == cf_name) cf = handles[i];
    REQUIRE(cf != nullptr);
    if (erase) {
        REQUIRE(db->Delete(rocksdb::WriteOptions(), cf, key).ok());
    } else {
        std::string value;
        const auto found = db->Get(rocksdb::ReadOptions(), cf, key, &value);
        REQUIRE((found.ok() || (create && found.IsNotFound())));
        edit(value);
        REQUIRE(db->Put(rocksdb::WriteOptions(), cf, key, value).ok());
    }
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
}

std::string position_key(std::uint64_t p) {
    std::string k;
    varint::put_be64(k, p);
    return k;
}

std::string index_key(const std::string& stream, std::uint64_t version) {
    std::string k = stream;
    k.push_back('\0');
    varint::put_be64(k, version);
    return k;
}

VerifyReport verify_read_only(const TempDir& dir) {
    return EventLog::open_read_only(dir.path(), dir.path() / "ro")->verify();
}

// Positions: order-1001 at 1, 5, 9, ...; order-1002 at 2, 6, 10, ...; order-1003 at 3, 7, ...; order-1004 at 4, 8, ...
void fill(const std::filesystem::path& dir, int n) {
    auto log = open_log(dir);
    for (int i = 0; i < n; ++i) {
        REQUIRE(log->append(request({to_stream("order-" + std::to_string(1001 + i % 4), ExpectedVersion::any(),
                                               {event("OrderNoted", R"({"note":"hello world"})")})}))
                    .committed());
    }
}

}  // namespace

TEST_CASE("verify passes on an intact log and counts its events") {
    TempDir dir;
    fill(dir.path(), 25);
    auto log = open_log(dir.path());
    auto report = log->verify();
    CHECK(report.ok);
    CHECK(report.events_checked == 25);
    CHECK_FALSE(report.first_bad.has_value());
    CHECK(report.head_hash == log->read_all(GlobalPosition{25}, 1).at(0).hash);
}

TEST_CASE("changing any one byte of a stored event makes verify fail at that position") {
    // Every byte offset of one event, so the payload, the envelope fields and the stored hash all count.
    TempDir base;
    fill(base.path(), 12);
    std::size_t size = 0;
    {
        auto log = open_log(base.path());
        std::string stored;
        auto events = log->read_all(GlobalPosition{7}, 1);
        REQUIRE(events.size() == 1);
        size = codec::encode_stored(events[0]).size();
    }
    for (std::size_t offset = 0; offset < size; offset += 3) {
        CAPTURE(offset);
        TempDir dir;
        std::filesystem::copy(base.path(), dir.path(), std::filesystem::copy_options::recursive);
        edit_raw(dir.path(), "events", position_key(7), [&](std::string& v) { v[offset] ^= 0x01; });
        auto log = open_log(dir.path());
        auto report = log->verify();
        CHECK_FALSE(report.ok);
        REQUIRE(report.first_bad.has_value());
        CHECK(report.first_bad->value() == 7);
    }
}

TEST_CASE("a deleted event is reported as the missing position") {
    TempDir dir;
    fill(dir.path(), 10);
    edit_raw(dir.path(), "events", position_key(4), nullptr, true);
    auto log = EventLog::open_read_only(dir.path(), dir.path() / "ro");
    auto report = log->verify();
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad.has_value());
    CHECK(report.first_bad->value() == 4);
}

TEST_CASE("an event rewritten with a correctly recomputed hash still breaks the chain at the next position") {
    // A forger who rewrites event 5 and chains it to event 4's (public) hash cannot fix event 6's link
    // without rewriting every later event, which changes the head hash auditors keep.
    TempDir dir;
    fill(dir.path(), 8);
    Hash h4{};
    std::string head_before;
    {
        auto log = open_log(dir.path());
        h4 = log->read_all(GlobalPosition{4}, 1).at(0).hash;
        head_before = codec::to_hex(log->verify().head_hash);
    }
    edit_raw(dir.path(), "events", position_key(5), [&](std::string& v) {
        auto e = codec::decode_stored(v);
        REQUIRE(e.has_value());
        e->payload = R"({"note":"forged"})";
        std::string canonical;
        codec::encode_canonical(*e, canonical);
        e->hash = codec::chain_hash(h4, canonical);
        v = codec::encode_stored(*e);
    });
    auto log = open_log(dir.path());
    auto report = log->verify();
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad.has_value());
    CHECK(report.first_bad->value() == 6);
    CHECK(report.events_checked == 5);
    CHECK(head_before.size() == 64);
}

TEST_CASE("a stream index entry pointing at the wrong event fails verify") {
    TempDir dir;
    fill(dir.path(), 8);
    std::string key = "order-1001";
    key.push_back('\0');
    varint::put_be64(key, 1);
    edit_raw(dir.path(), "streams", key, [](std::string& v) { v = position_key(6); });
    auto log = open_log(dir.path());
    auto report = log->verify();
    CHECK_FALSE(report.ok);
    CHECK(report.problem.find("stream index") != std::string::npos);
    // Event 5 (order-1001@1) is the first one a reader of its stream no longer gets; 6 is where it is sent.
    REQUIRE(report.first_bad.has_value());
    CHECK(report.first_bad->value() == 5);
}

TEST_CASE("a deleted stream index entry is reported at the position of the event it indexed") {
    struct Case {
        const char* what;
        std::string stream;
        std::uint64_t version;
        std::uint64_t position;
    };
    // The only entry of a stream (no head is checked for a stream the index no longer has), one in the
    // middle of a stream (its successor then skips a version), and the last one (the head is then ahead).
    for (const Case& c :
         {Case{"only", "customer-1", 0, 11}, Case{"middle", "order-1001", 1, 5}, Case{"last", "order-1001", 2, 9}}) {
        CAPTURE(c.what);
        TempDir dir;
        fill(dir.path(), 10);
        {
            auto log = open_log(dir.path());
            REQUIRE(log->append(request({to_stream("customer-1", ExpectedVersion::no_stream(), {event("Created")})}))
                        .committed());
            REQUIRE(log->append(request({to_stream("order-1002", ExpectedVersion::any(), {event("OrderNoted")})}))
                        .committed());
        }
        edit_raw(dir.path(), "streams", index_key(c.stream, c.version), nullptr, true);
        const auto report = verify_read_only(dir);
        CHECK_FALSE(report.ok);
        CHECK(report.events_checked == 12);
        REQUIRE(report.first_bad.has_value());
        CHECK(report.first_bad->value() == c.position);
        CHECK(report.problem.find("stream index") != std::string::npos);
    }
}

TEST_CASE("a stray stream index entry is reported at the position it points at") {
    TempDir dir;
    fill(dir.path(), 10);
    const auto point_at_7 = [](std::string& v) { v = position_key(7); };  // event 7 is order-1003@1
    edit_raw(dir.path(), "streams", index_key("order-1001", 3), point_at_7, false, true);
    auto report = verify_read_only(dir);
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad.has_value());
    CHECK(report.first_bad->value() == 7);
}

TEST_CASE("a stream head behind its stream is reported at the first event past it") {
    TempDir dir;
    fill(dir.path(), 10);
    edit_raw(dir.path(), "heads", "order-1001", [](std::string& v) { v = position_key(0); });
    auto report = verify_read_only(dir);
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad.has_value());
    CHECK(report.first_bad->value() == 5);  // order-1001@1: the writer would append version 1 again
    CHECK(report.problem.find("stream head of order-1001") != std::string::npos);
}

TEST_CASE("a stream head for a stream without events is reported at the position after the log") {
    TempDir dir;
    fill(dir.path(), 10);
    REQUIRE(verify_read_only(dir).ok);
    edit_raw(dir.path(), "heads", "order-9999", [](std::string& v) { v = position_key(4); }, false, true);
    auto report = verify_read_only(dir);
    CHECK_FALSE(report.ok);
    REQUIRE(report.first_bad.has_value());
    CHECK(report.first_bad->value() == 11);  // the next append: order-9999 would start at version 5
    CHECK(report.problem.find("stream head of order-9999") != std::string::npos);
    CHECK(report.events_checked == 10);
    // Also read by the writer's own instance.
    CHECK_FALSE(open_log(dir.path())->verify().ok);
}

TEST_CASE("with both the chain and the index broken, the lower bad position is named") {
    for (const bool index_lower : {true, false}) {
        CAPTURE(index_lower);
        TempDir dir;
        fill(dir.path(), 10);
        // order-1003@0 is event 3, order-1002@2 is event 10; the chain is broken at 7.
        const std::uint64_t unindexed = index_lower ? 3 : 10;
        edit_raw(dir.path(), "streams", index_lower ? index_key("order-1003", 0) : index_key("order-1002", 2), nullptr,
                 true);
        edit_raw(dir.path(), "events", position_key(7), [](std::string& v) { v[v.size() / 2] ^= 0x01; });
        auto report = verify_read_only(dir);
        CHECK_FALSE(report.ok);
        REQUIRE(report.first_bad.has_value());
        CHECK(report.first_bad->value() == std::min<std::uint64_t>(unindexed, 7));
        CHECK(report.events_checked == 6);
    }
}

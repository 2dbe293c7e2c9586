// The SQLite layer: connection settings, statements, transactions, the error adapter, the reader pool,
// the whole-file copy used by rebuild, and table digests.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "projections/case_fold.hpp"
#include "projections/digest.hpp"
#include "projections/sqlite.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace codd::projections;
using codd::test::scalar;
using codd::test::TempDir;

TEST_CASE("a read-write connection: WAL, synchronous=NORMAL, foreign keys, temp store in memory, busy timeout") {
    TempDir dir;
    auto db = Database::open(dir / "v.db", {OpenMode::read_write, std::chrono::milliseconds(1234)});
    auto mode = db.prepare("PRAGMA journal_mode");
    REQUIRE(mode.step());
    CHECK(mode.column_text(0) == "wal");
    CHECK(scalar(db, "PRAGMA synchronous") == 1);  // NORMAL
    CHECK(scalar(db, "PRAGMA foreign_keys") == 1);
    CHECK(scalar(db, "PRAGMA busy_timeout") == 1234);
    CHECK(scalar(db, "PRAGMA cache_size") == -kWriterCacheKib);
    CHECK(scalar(db, "PRAGMA temp_store") == 2);  // statement journals in memory
    auto reader = Database::open(dir / "v.db", {OpenMode::read_only});
    CHECK(scalar(reader, "PRAGMA cache_size") == -kReaderCacheKib);
    CHECK(scalar(reader, "PRAGMA query_only") == 1);
}

TEST_CASE("statements bind by index and name, step, read columns and are reused after reset") {
    TempDir dir;
    auto db = Database::open(dir / "v.db");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, note TEXT)");
    auto insert = db.prepare("INSERT INTO t (id, name, score, data, note) VALUES (?1, :name, @score, $data, ?5)");
    insert.bind(1, 1)
        .bind(":name", std::string("ama"))
        .bind("@score", 2.5)
        .bind_blob(insert.index_of("$data"), std::string_view("\x01\x00\x02", 3));
    insert.bind(5, std::optional<std::string>{}).run();
    insert.bind(1, std::int64_t{2})
        .bind(":name", "kofi")
        .bind("@score", 0.0)
        .bind_null(4)
        .bind(5, std::optional<std::string>("x"));
    insert.run();
    CHECK(db.changes() == 1);
    CHECK(db.last_insert_rowid() == 2);

    auto& q = db.cached("SELECT id, name, score, data, note FROM t WHERE id >= ?1 ORDER BY id");
    q.bind(1, 1);
    REQUIRE(q.step());
    CHECK(q.column_count() == 5);
    CHECK(q.column_name(1) == "name");
    CHECK(q.column_int(0) == 1);
    CHECK(q.column_text(1) == "ama");
    CHECK(q.column_double(2) == 2.5);
    CHECK(q.column_blob(3) == std::string_view("\x01\x00\x02", 3));
    CHECK(q.is_null(4));
    CHECK(q.column_optional_int(4) == std::nullopt);
    REQUIRE(q.step());
    CHECK(q.column_text(1) == "kofi");
    CHECK(q.column_type(3) == SQLITE_NULL);
    CHECK(q.column_text(4) == "x");
    CHECK_FALSE(q.step());
    // The cache hands back the same prepared statement, reset.
    auto& again = db.cached("SELECT id, name, score, data, note FROM t WHERE id >= ?1 ORDER BY id");
    CHECK(&again == &q);
    again.bind(1, 2);
    REQUIRE(again.step());
    CHECK(again.column_int(0) == 2);
}

TEST_CASE("a transaction commits, or rolls back when it is dropped or rolled back") {
    TempDir dir;
    auto db = Database::open(dir / "v.db");
    db.exec("CREATE TABLE t (x INTEGER)");
    {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (1)");
        tx.commit();
    }
    {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (2)");
    }
    {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (3)");
        tx.rollback();
        CHECK_FALSE(tx.active());
    }
    CHECK_FALSE(db.in_transaction());
    CHECK(scalar(db, "SELECT count(*) FROM t") == 1);
}

TEST_CASE("SQLite errors become SqliteError with code, message and statement") {
    TempDir dir;
    auto db = Database::open(dir / "v.db");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES t (id))");

    try {
        (void)db.prepare("SELECT * FROM missing");
        FAIL("expected SqliteError");
    } catch (const SqliteError& e) {
        CHECK(e.primary_code() == SQLITE_ERROR);
        CHECK(e.message() == "no such table: missing");
        CHECK(e.sql() == "SELECT * FROM missing");
        CHECK(std::string(e.what()).find("no such table: missing") != std::string::npos);
        CHECK(std::string(e.what()).find("SELECT * FROM missing") != std::string::npos);
    }

    db.exec("INSERT INTO t (id) VALUES (1)");
    try {
        db.prepare("INSERT INTO t (id) VALUES (?1)").bind(1, 1).run();
        FAIL("expected SqliteError");
    } catch (const SqliteError& e) {
        CHECK(e.primary_code() == SQLITE_CONSTRAINT);
        CHECK(e.code() == SQLITE_CONSTRAINT_PRIMARYKEY);
        CHECK(e.message().find("UNIQUE constraint failed: t.id") != std::string::npos);
    }
    // Foreign keys are enforced.
    CHECK_THROWS_AS(db.exec("INSERT INTO t (id, parent) VALUES (2, 99)"), SqliteError);
    CHECK_THROWS_WITH_AS(db.exec("SELEC 1"), doctest::Contains("syntax error"), SqliteError);
    auto q = db.prepare("SELECT ?1");
    CHECK_THROWS_WITH_AS(q.bind(":nope", 1), doctest::Contains("no parameter named :nope"), SqliteError);
    CHECK_THROWS_AS(q.bind(1, ~std::uint64_t{0}), SqliteError);
    CHECK_THROWS_AS(Database::open(dir / "missing-dir" / "v.db"), SqliteError);

    auto reader = Database::open(dir / "v.db", {OpenMode::read_only});
    try {
        reader.exec("DELETE FROM t");
        FAIL("expected SqliteError");
    } catch (const SqliteError& e) {
        CHECK(e.message().find("readonly") != std::string::npos);
    }
}

TEST_CASE("the reader pool lends each connection to one user at a time") {
    TempDir dir;
    auto writer = Database::open(dir / "v.db");
    writer.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)");
    ReaderPool pool(dir / "v.db", 2);
    CHECK(pool.size() == 2);
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        CHECK(pool.available() == 0);
        CHECK_FALSE(pool.try_acquire(std::chrono::milliseconds(20)).has_value());
        CHECK(scalar(*a, "SELECT x FROM t") == 7);
        CHECK_THROWS_AS(b->exec("INSERT INTO t VALUES (1)"), SqliteError);  // read-only
        // A lease given back with a transaction open (or a SELECT unfinished) is cleaned up for the next user.
        b->exec("BEGIN");
        (void)scalar(*b, "SELECT x FROM t");
        REQUIRE(b->in_transaction());
        auto& unfinished = a->cached("SELECT x FROM t");
        REQUIRE(unfinished.step());
    }
    CHECK(pool.available() == 2);
    {
        auto x = pool.acquire();
        auto y = pool.acquire();
        CHECK_FALSE(x->in_transaction());
        CHECK_FALSE(y->in_transaction());
    }
    auto c = pool.try_acquire(std::chrono::milliseconds(20));
    REQUIRE(c.has_value());

    // A waiter is woken when a lease comes back.
    auto held = pool.acquire();
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        auto lease = pool.acquire();
        got = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    CHECK_FALSE(got.load());
    c.reset();
    waiter.join();
    CHECK(got.load());
}

TEST_CASE("copy_database replaces a live file's content in one transaction readers see whole") {
    TempDir dir;
    auto live = Database::open(dir / "live.db");
    live.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)");
    ReaderPool pool(dir / "live.db", 1);
    {
        auto r = pool.acquire();
        CHECK(scalar(*r, "SELECT sum(x) FROM t") == 3);
    }
    auto fresh = Database::open(dir / "fresh.db");
    fresh.exec("CREATE TABLE t (x INTEGER); CREATE TABLE u (y TEXT); INSERT INTO t VALUES (10), (20), (30)");
    copy_database(fresh, live);
    CHECK(scalar(live, "SELECT sum(x) FROM t") == 60);
    CHECK(live.table_exists("u"));
    auto r = pool.acquire();
    CHECK(scalar(*r, "SELECT sum(x) FROM t") == 60);
    live.exec("INSERT INTO t VALUES (40)");  // the live connection keeps working in WAL mode
    CHECK(scalar(*r, "SELECT sum(x) FROM t") == 100);
}

TEST_CASE("table_digest depends on the rows and their types, not on insertion order") {
    TempDir dir;
    auto a = Database::open(dir / "a.db");
    auto b = Database::open(dir / "b.db");
    a.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v); INSERT INTO t VALUES ('x', 1), ('y', 'two'), ('z', NULL)");
    b.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v); INSERT INTO t VALUES ('z', NULL), ('x', 1), ('y', 'two')");
    const auto da = table_digest(a, "t", "k");
    CHECK(da.size() == 64);
    CHECK(da == table_digest(b, "t", "k"));
    b.exec("UPDATE t SET v = '1' WHERE k = 'x'");  // same text, another type
    CHECK(da != table_digest(b, "t", "k"));
    b.exec("UPDATE t SET v = 1 WHERE k = 'x'");
    CHECK(da == table_digest(b, "t", "k"));
    b.exec("DELETE FROM t WHERE k = 'z'");
    CHECK(da != table_digest(b, "t", "k"));
}

namespace {

// Commits `n` transactions of about one page each (a 4000-byte row).
void write_pages(Database& db, int n) {
    for (int i = 0; i < n; ++i) db.exec("INSERT INTO t (pad) VALUES (zeroblob(4000))");
}

}  // namespace

// In WAL mode the database file changes only when a checkpoint copies the WAL back into it.
TEST_CASE("WAL checkpoints: on the checkpointer's thread, never in the writer's commits, and SQLite's again after") {
    TempDir dir;
    const auto file = dir / "v.db";
    auto db = Database::open(file);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB)");
    const auto size = [&] { return std::filesystem::file_size(file); };

    // A row per page, and two WAL frames per commit (the row's leaf and the table's root): SQLite's checkpoint at
    // 1,000 frames has copied at least 500 rows into the file once 1,500 rows are committed.
    SUBCASE("without one, the writer's own commits checkpoint (every 1000 frames)") {
        write_pages(db, 1500);
        CHECK(size() > 2'000'000);
    }
    SUBCASE("with one that is never due, nothing is checkpointed: the writer's commits no longer do it") {
        {
            WalCheckpointer never(db, 1'000'000);
            write_pages(db, 1500);
            CHECK(size() < 100'000);
            CHECK(never.checkpoints() == 0);
        }
        // Gone: the writer's autocheckpoint is back, and the WAL already holds more than 1,000 frames.
        write_pages(db, 10);
        CHECK(size() > 6'000'000);
    }
    SUBCASE("its thread checkpoints once the WAL holds `pages` pages, and the rows stay readable") {
        WalCheckpointer every(db, 100);
        write_pages(db, 150);
        for (int i = 0; i < 1000 && every.checkpoints() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        REQUIRE(every.checkpoints() >= 1);
        // At least the commits that made the WAL 100 frames long (about two frames, a leaf and its parent, per row).
        CHECK(size() > 100'000);
        write_pages(db, 10);
        auto reader = Database::open(file, {OpenMode::read_only});
        CHECK(scalar(reader, "SELECT count(*) FROM t") == 160);
    }
}

TEST_CASE("case folding: the letters of Latin, African, Greek and Cyrillic names, and codd_fold on every connection") {
    CHECK(fold_case("ÉMILIE Ørsted ŁUKASZ") == "émilie ørsted łukasz");
    CHECK(fold_case("Ɛkua Ɔdɔ ƊAN ƁELLO ƘANO ŊUMA Ɖeka") == "ɛkua ɔdɔ ɗan ɓello ƙano ŋuma ɖeka");  // Akan, Hausa, Ewe
    CHECK(fold_case("ỌLÁ ẸMỌ NGUYỄN") == "ọlá ẹmọ nguyễn");                                        // Yoruba, Vietnamese
    CHECK(fold_case("ΣΩΚΡΆΤΗΣ ИВАН ЁЖ ҐАНА") == "σωκράτησ иван ёж ґана");
    CHECK(fold_case("Σωκράτης") == fold_case("ΣΩΚΡΆΤΗΣ"));  // the final ς folds to σ, as Σ does
    CHECK(fold_case("İSTANBUL ŸVES ẞ") == "istanbul ÿves ß");
    CHECK(fold_case("× ÷ ß ĸ 42 +233 %_\\") == "× ÷ ß ĸ 42 +233 %_\\");  // no case, unchanged
    CHECK(fold_case("Ａｂｃ") == "ａｂｃ");
    // Bytes that are not UTF-8 (a lone continuation, an overlong form, a cut sequence) pass through as they are.
    const std::string bad = std::string("A\x80") + "\xC0\xAF" + "\xE2\x82";
    CHECK(fold_case(bad) == std::string("a\x80") + "\xC0\xAF" + "\xE2\x82");
    CHECK(lower_code_point(U'Σ') == U'σ');
    CHECK(lower_code_point(U'ǅ') == U'ǆ');
    CHECK(lower_code_point(U'ǆ') == U'ǆ');
    CHECK(is_ascii("Kofi %_"));
    CHECK_FALSE(is_ascii("Émilie"));

    TempDir dir;
    auto db = Database::open(dir / "v.db");
    db.exec("CREATE TABLE t (name TEXT); INSERT INTO t VALUES ('Émilie'), ('Ɔdɔ'), (NULL), ('kofi')");
    CHECK(scalar(db, "SELECT count(*) FROM t WHERE codd_fold(name) LIKE '%émi%'") == 1);
    CHECK(scalar(db, "SELECT count(*) FROM t WHERE codd_fold(name) LIKE 'ɔdɔ'") == 1);
    CHECK(scalar(db, "SELECT count(*) FROM t WHERE codd_fold(name) IS NULL") == 1);
    auto reader = Database::open(dir / "v.db", {OpenMode::read_only});
    CHECK(scalar(reader, "SELECT count(*) FROM t WHERE codd_fold(name) LIKE '%ÉMI%'") == 0);  // the pattern is not
    CHECK(scalar(reader, "SELECT count(*) FROM t WHERE codd_fold(name) = 'émilie'") == 1);
}

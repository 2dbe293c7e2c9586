// ViewWriter: migrations, the checkpoint in the batch's transaction, duplicates skipped, gaps refused.
#include <doctest/doctest.h>

#include "projections/digest.hpp"
#include "projections/rebuild.hpp"
#include "projections/view_writer.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace codd::projections;
using namespace codd::test;

namespace {

// A projection whose migrations can be extended between opens; each step appends to a log table, and the
// steps would fail if run twice (CREATE TABLE without IF NOT EXISTS).
class Evolving : public Projection {
  public:
    explicit Evolving(int steps) : steps_(steps) {}
    [[nodiscard]] std::string name() const override { return "evolving"; }
    [[nodiscard]] std::vector<Migration> migrations() const override {
        std::vector<Migration> m;
        for (int v = 1; v <= steps_; ++v) {
            const auto n = std::to_string(v);
            m.push_back({v, (v == 1 ? "CREATE TABLE steps (v INTEGER);" : "") + std::string("CREATE TABLE t") + n +
                                " (x INTEGER); INSERT INTO steps VALUES (" + n + ")"});
        }
        return m;
    }
    [[nodiscard]] std::vector<ViewTable> tables() const override { return {{"steps", "rowid"}}; }
    void apply(Transaction&, std::span<const RecordedEvent>) override {}

    int steps_;
};

class Misnumbered : public Evolving {
  public:
    Misnumbered() : Evolving(0) {}
    [[nodiscard]] std::vector<Migration> migrations() const override {
        return {{1, "CREATE TABLE a (x)"}, {3, "CREATE TABLE b (x)"}};
    }
};

std::vector<RecordedEvent> events_from(const codd::engine::EventLog& log, std::uint64_t from, std::size_t n) {
    return log.read_all(GlobalPosition{from}, n);
}

}  // namespace

TEST_CASE("migrations run once each, in order, recorded in codd_migrations") {
    TempDir dir;
    const auto file = dir / "v.db";
    {
        Evolving p(3);
        ViewWriter w(file, p);
        CHECK(scalar(w.db(), "SELECT group_concat(v, ',') IS NOT NULL FROM steps") == 1);
        auto q = w.db().prepare("SELECT group_concat(v, ',') FROM (SELECT v FROM steps ORDER BY rowid)");
        REQUIRE(q.step());
        CHECK(q.column_text(0) == "1,2,3");
        CHECK(scalar(w.db(), "SELECT count(*) FROM codd_migrations WHERE name = 'evolving'") == 3);
    }
    {
        Evolving p(3);
        ViewWriter w(file, p);  // reopening runs nothing (a re-run would fail: the tables exist)
        CHECK(migrate(w.db(), p, 0) == 0);
        CHECK(scalar(w.db(), "SELECT count(*) FROM steps") == 3);
    }
    {
        Evolving p(5);
        ViewWriter w(file, p);
        auto q = w.db().prepare("SELECT group_concat(v, ',') FROM (SELECT v FROM steps ORDER BY rowid)");
        REQUIRE(q.step());
        CHECK(q.column_text(0) == "1,2,3,4,5");
        CHECK(scalar(w.db(), "SELECT max(version) FROM codd_migrations") == 5);
    }
    // A file migrated by a newer build is refused, not silently used.
    Evolving older(4);
    CHECK_THROWS_WITH_AS(ViewWriter(file, older), doctest::Contains("schema version 5"), ProjectionError);
    Misnumbered bad;
    CHECK_THROWS_AS(ViewWriter(dir / "bad.db", bad), ProjectionError);
}

TEST_CASE("a failing migration leaves no trace of itself") {
    TempDir dir;
    class Broken : public Evolving {
      public:
        Broken() : Evolving(0) {}
        [[nodiscard]] std::vector<Migration> migrations() const override {
            return {{1, "CREATE TABLE a (x)"}, {2, "CREATE TABLE b (x); INSERT INTO nowhere VALUES (1)"}};
        }
    } broken;
    CHECK_THROWS_AS(ViewWriter(dir / "v.db", broken), SqliteError);
    auto db = Database::open(dir / "v.db");
    CHECK(db.table_exists("a"));
    CHECK_FALSE(db.table_exists("b"));
    CHECK(scalar(db, "SELECT max(version) FROM codd_migrations") == 1);
}

TEST_CASE("a batch and its checkpoint commit together and redelivered positions are skipped") {
    TempDir dir;
    auto log = open_log(dir / "log");
    append_events(*log, 30);
    StreamStats p;
    ViewWriter w(dir / "v.db", p);
    CHECK(w.checkpoint() == GlobalPosition{0});

    CHECK(w.apply(events_from(*log, 1, 10)) == 10);
    CHECK(w.checkpoint() == GlobalPosition{10});
    CHECK(checkpoint_of(w.db()) == 10);
    const auto after_ten = view_digest(w.db(), p);

    CHECK(w.apply(events_from(*log, 1, 10)) == 0);  // delivered again: nothing changes
    CHECK(view_digest(w.db(), p) == after_ten);
    CHECK(w.apply(events_from(*log, 5, 11)) == 5);  // overlapping: only 11..15 are new
    CHECK(w.checkpoint() == GlobalPosition{15});
    CHECK(stream_events(w.db()) == 15);

    // A gap is a lost event: refused, nothing written.
    const auto before = view_digest(w.db(), p);
    CHECK_THROWS_AS(w.apply(events_from(*log, 17, 5)), ProjectionError);
    CHECK(w.checkpoint() == GlobalPosition{15});
    CHECK(view_digest(w.db(), p) == before);

    // An exception in the middle of a batch: none of it is visible, the checkpoint is unchanged.
    p.fail_at = 20;
    CHECK_THROWS_WITH(w.apply(events_from(*log, 16, 10)), doctest::Contains("injected failure at 20"));
    CHECK(w.checkpoint() == GlobalPosition{15});
    CHECK(checkpoint_of(w.db()) == 15);
    CHECK(stream_events(w.db()) == 15);
    CHECK(view_digest(w.db(), p) == before);
    p.fail_at = 0;
    CHECK(w.apply(events_from(*log, 16, 15)) == 15);
    CHECK(stream_events(w.db()) == 30);

    // Reopening reads the checkpoint back; the result equals a rebuild from scratch.
    ViewWriter reopened(dir / "v.db", p);
    CHECK(reopened.checkpoint() == GlobalPosition{30});
    auto stats = rebuild_view(*log, p, dir / "fresh.db", 4);
    CHECK(stats.events == 30);
    CHECK(stats.position == GlobalPosition{30});
    auto fresh = Database::open(dir / "fresh.db");
    CHECK(view_digest(fresh, p) == view_digest(reopened.db(), p));
}

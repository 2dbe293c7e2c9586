#include "projections/view_writer.hpp"

#include <algorithm>
#include <chrono>

namespace codd::projections {

namespace {

constexpr std::string_view kBookkeeping = R"sql(
CREATE TABLE IF NOT EXISTS codd_migrations (
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    applied_us INTEGER NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS codd_checkpoint (
    name       TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
)sql";

void check_numbering(const std::string& view, const std::vector<Migration>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].version != static_cast<int>(i) + 1) {
            throw ProjectionError("view " + view + ": migration " + std::to_string(i) + " has version " +
                                  std::to_string(steps[i].version) + ", expected " + std::to_string(i + 1));
        }
    }
}

int recorded_version(Database& db, const std::string& view) {
    auto& q = db.cached("SELECT coalesce(max(version), 0) FROM codd_migrations WHERE name = ?1");
    q.bind(1, view);
    q.step();
    const auto v = static_cast<int>(q.column_int(0));
    q.reset();
    return v;
}

}  // namespace

int migrate(Database& db, const Projection& projection, std::int64_t now_us) {
    const std::string view = projection.name();
    const auto steps = projection.migrations();
    check_numbering(view, steps);
    {
        Transaction tx(db);
        db.exec(kBookkeeping);
        tx.commit();
    }
    const int done = recorded_version(db, view);
    if (done > static_cast<int>(steps.size())) {
        throw ProjectionError("view " + view + ": the file is at schema version " + std::to_string(done) +
                              ", this build knows " + std::to_string(steps.size()) + " (rebuild the view)");
    }
    int ran = 0;
    for (const auto& step : steps) {
        if (step.version <= done) continue;
        // The step and its record commit together: a crash leaves it either fully applied or not at all.
        Transaction tx(db);
        db.exec(step.sql);
        db.cached("INSERT INTO codd_migrations (name, version, applied_us) VALUES (?1, ?2, ?3)")
            .bind(1, view)
            .bind(2, step.version)
            .bind(3, now_us)
            .run();
        tx.commit();
        ++ran;
    }
    return ran;
}

DeferredIndexes DeferredIndexes::drop(Database& db, const std::vector<std::string>& names) {
    const auto named = [&](const std::string& name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    DeferredIndexes deferred;
    std::vector<std::string> tables_deferring;  // tables with a named index seen so far
    std::size_t found = 0;
    // In sqlite_schema order (its rowid), the order they were created in. A table lists its indexes to the query
    // planner in that order, which breaks ties between equally good plans: an index of the table created after
    // a deferred one (one `apply` needs, kept while loading) is created again after it, so the order holds.
    auto& q = db.cached(
        "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid");
    while (q.step()) {
        const std::string name(q.column_text(0));
        const std::string table(q.column_text(1));
        const bool defer = named(name);
        const bool after_deferred =
            std::find(tables_deferring.begin(), tables_deferring.end(), table) != tables_deferring.end();
        if (!defer && !after_deferred) continue;
        if (defer) {
            ++found;
            deferred.drop_now_.push_back(name);
            if (!after_deferred) tables_deferring.push_back(table);
        } else {
            deferred.drop_later_.push_back(name);
        }
        deferred.create_.emplace_back(q.column_text(2));
    }
    q.reset();
    if (found != names.size()) {
        throw ProjectionError("deferred indexes: " + std::to_string(names.size()) + " named, " + std::to_string(found) +
                              " found among the indexes of " + db.file().string());
    }
    Transaction tx(db);
    for (const auto& name : deferred.drop_now_) db.exec("DROP INDEX \"" + name + "\"");
    tx.commit();
    return deferred;
}

void DeferredIndexes::create(Database& db) {
    Transaction tx(db);
    for (const auto& name : drop_later_) db.exec("DROP INDEX \"" + name + "\"");
    for (const auto& sql : create_) db.exec(sql);
    tx.commit();
    *this = {};
}

GlobalPosition read_checkpoint(Database& db, const std::string& view) {
    auto& q = db.cached("SELECT position FROM codd_checkpoint WHERE name = ?1");
    q.bind(1, view);
    const auto position = q.step() ? static_cast<std::uint64_t>(q.column_int(0)) : 0;
    q.reset();
    return GlobalPosition{position};
}

ViewWriter::ViewWriter(const std::filesystem::path& file, Projection& projection, std::shared_ptr<engine::Clock> clock,
                       DatabaseOptions options)
    : db_(Database::open(file, options)), projection_(projection), clock_(std::move(clock)), name_(projection.name()) {
    migrate(db_, projection_, engine::to_us(clock_->now()));
    reload();
}

void ViewWriter::reload() {
    checkpoint_ = read_checkpoint(db_, name_);
}

std::size_t ViewWriter::apply(std::span<const RecordedEvent> events, const std::function<void()>& before_commit) {
    std::size_t skip = 0;
    while (skip < events.size() && events[skip].position <= checkpoint_) ++skip;
    const auto fresh = events.subspan(skip);
    if (fresh.empty()) return 0;
    for (std::size_t i = 0; i < fresh.size(); ++i) {
        const auto expected = checkpoint_.value() + 1 + i;
        if (fresh[i].position.value() != expected) {
            throw ProjectionError("view " + name_ + ": expected position " + std::to_string(expected) + ", got " +
                                  std::to_string(fresh[i].position.value()));
        }
    }
    Transaction tx(db_);
    projection_.apply(tx, fresh);
    const auto last = fresh.back().position;
    db_.cached(
           "INSERT INTO codd_checkpoint (name, position, updated_us) VALUES (?1, ?2, ?3) "
           "ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_us = excluded.updated_us")
        .bind(1, name_)
        .bind(2, last.value())
        .bind(3, engine::to_us(clock_->now()))
        .run();
    if (before_commit) before_commit();
    tx.commit();
    checkpoint_ = last;
    return fresh.size();
}

}  // namespace codd::projections

#pragma once
// The one subscriber interface of the read side (STYLE practice 5): a view is a name, a versioned SQLite
// schema, and a function that applies a batch of events inside a transaction the runner owns. The runner
// (runner.hpp) stores the checkpoint in that same transaction, so applying is exactly-once in effect.

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/envelope.hpp"
#include "projections/sqlite.hpp"

namespace codd::projections {

using engine::GlobalPosition;
using engine::RecordedEvent;

// A failure of the read side's own rules (an unknown migration, a gap in delivered positions): unexpected,
// never skipped.
class ProjectionError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One schema step. Versions run 1, 2, 3, ... and a released step is never edited: a change is a new step.
struct Migration {
    int version = 0;
    std::string sql;  // one or more statements
};

// A table of the view and the ORDER BY that lists its rows in a stable order (its key), for digests.
struct ViewTable {
    std::string name;
    std::string order_by;
};

class Projection {
  public:
    virtual ~Projection() = default;

    // Names the view in codd_checkpoint and codd_migrations; stable across releases.
    [[nodiscard]] virtual std::string name() const = 0;
    // Every schema step from version 1, in order. Applied once each, recorded in codd_migrations.
    [[nodiscard]] virtual std::vector<Migration> migrations() const = 0;
    // The tables that make up the view, for view_digest (rebuilt == live).
    [[nodiscard]] virtual std::vector<ViewTable> tables() const = 0;
    // Indexes (by name, created by the migrations) that only queries use, never `apply`: a rebuild loads its
    // fresh file without them and creates them at the end, one sort each instead of an update per row per
    // index. An index `apply` searches (a rename that rewrites a customer's orders) must not be listed: the
    // rebuild would scan the table for each such event. A live runner keeps every index all the time.
    [[nodiscard]] virtual std::vector<std::string> query_indexes() const { return {}; }
    // A rebuild applies every event with `db.loading()` set, then calls this once, in one transaction, before
    // it creates the deferred indexes. A view that leaves derived rows (counters, rollups) out while loading
    // computes them here from its other tables, in one pass each instead of a read and an update per event.
    // The rows must be exactly those that applying the same events with loading off leaves (the rebuild
    // digest tests compare them).
    virtual void derive_after_load(Database& /*db*/) {}

    // Applies `events` (non-empty, consecutive positions, all above the checkpoint) through `tx.db()`.
    // Contract:
    // - deterministic: the rows depend on the events only (no clock, no random ids), so a rebuild from the
    //   log gives the same view;
    // - state lives in the database only: the same object may apply to the live file and to a rebuild file
    //   at the same time, from different threads. Use `tx.db().cached(sql)` for prepared statements;
    // - throwing rolls the whole batch back and stops the runner: an event is never skipped silently.
    virtual void apply(Transaction& tx, std::span<const RecordedEvent> events) = 0;
};

}  // namespace codd::projections

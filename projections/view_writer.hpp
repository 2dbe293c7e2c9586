#pragma once
// ViewWriter: the write connection of one view file. It migrates the schema, keeps the checkpoint, and
// applies a batch of events together with the new checkpoint in one SQLite transaction. Positions at or
// below the checkpoint are skipped, so delivering a batch twice (after a crash, a retry, a Kafka
// redelivery) changes nothing: exactly-once in effect.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>

#include "engine/clock.hpp"
#include "projections/projection.hpp"
#include "projections/sqlite.hpp"

namespace codd::projections {

// Creates codd_migrations and applies the steps of `projection` not yet recorded there, in version order,
// each in its own transaction with its record. Returns how many ran. Throws ProjectionError when the steps
// are not numbered 1..n or the file records a step this build does not know (a newer binary's view).
int migrate(Database& db, const Projection& projection, std::int64_t now_us);

// The last applied position recorded for `view` (0 when none).
GlobalPosition read_checkpoint(Database& db, const std::string& view);

// Indexes a fresh file is loaded without (Projection::query_indexes) and that are created once it is loaded.
// The definitions are those the migrations recorded in sqlite_schema, re-run in their original order, so the
// loaded file ends up with the same schema as one migrated and filled with every index in place, down to the
// order in which each table lists its indexes.
class DeferredIndexes {
  public:
    // Drops the named indexes of `db`, in one transaction. Throws ProjectionError when one does not exist.
    static DeferredIndexes drop(Database& db, const std::vector<std::string>& names);
    // Creates the dropped indexes again, in one transaction; afterwards there is nothing left to create.
    void create(Database& db);
    [[nodiscard]] bool empty() const { return create_.empty(); }

  private:
    std::vector<std::string> drop_now_;    // the named indexes
    std::vector<std::string> drop_later_;  // kept while loading, created after a named index of their table
    std::vector<std::string> create_;      // CREATE INDEX statements of both, in sqlite_schema order
};

class ViewWriter {
  public:
    // Opens (creating) `file`, migrates it and reads its checkpoint. The clock stamps updated_us only.
    ViewWriter(const std::filesystem::path& file, Projection& projection,
               std::shared_ptr<engine::Clock> clock = engine::system_clock(), DatabaseOptions options = {});

    // Applies the events above the checkpoint in one transaction that also moves the checkpoint to the last
    // of them. Returns how many were applied. On any exception nothing of the batch is visible and the
    // checkpoint is unchanged. Throws ProjectionError if the events do not continue the checkpoint
    // (a gap would mean a lost event). `before_commit`, when set, runs last inside the transaction, before the
    // commit: an exception out of it rolls the batch back like any other (a staged batch that will not be durable).
    std::size_t apply(std::span<const RecordedEvent> events, const std::function<void()>& before_commit = {});

    [[nodiscard]] GlobalPosition checkpoint() const { return checkpoint_; }
    // Re-reads the checkpoint after the file's content was replaced (rebuild).
    void reload();

    [[nodiscard]] Database& db() { return db_; }
    [[nodiscard]] Projection& projection() { return projection_; }

  private:
    Database db_;
    Projection& projection_;
    std::shared_ptr<engine::Clock> clock_;
    std::string name_;
    GlobalPosition checkpoint_;
};

}  // namespace codd::projections

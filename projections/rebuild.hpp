#pragma once
// Replaying the log into a view file: the catch-up of a runner and the offline rebuild of `codd rebuild`.

#include <cstdint>
#include <filesystem>
#include <memory>

#include "engine/clock.hpp"
#include "engine/event_log.hpp"
#include "projections/projection.hpp"
#include "projections/view_writer.hpp"

namespace codd::projections {

// Events per transaction at most. Live batches are whatever has committed since (often a few); a rebuild
// has the whole log ahead, and larger transactions amortize the commit (which writes the dirty pages and walks
// the whole page cache) and the checkpoint upsert. A rebuild holds two such batches in memory (one applied,
// one read ahead): ~40 MB each for order events.
inline constexpr std::size_t kDefaultBatchSize = 1024;
inline constexpr std::size_t kRebuildBatchSize = 65536;

struct ReplayStats {
    std::uint64_t events = 0;  // events applied
    GlobalPosition position;   // the checkpoint afterwards
    double seconds = 0;
};

// Applies the log from the writer's checkpoint + 1 up to the log's head, `batch_size` events per transaction.
// The next batch is read from the log on a second thread while the current one is applied.
ReplayStats catch_up(const engine::EventLog& log, ViewWriter& writer, std::size_t batch_size = kDefaultBatchSize);

// Ends the load of a fresh file whose events were applied with `db().loading()` set and whose query indexes
// were dropped (`indexes`): turns loading off, derives the rows the view left out (derive_after_load, in one
// transaction), then creates the indexes. Events applied afterwards keep everything up to date as a live view
// does.
void finish_load(ViewWriter& writer, DeferredIndexes& indexes);

// Builds the view from position 1 into `file`, which is removed first (with its -wal and -shm). The file is
// written without fsync (synchronous=OFF) and synced once at the end: a rebuild cut short is started over.
ReplayStats rebuild_view(const engine::EventLog& log, Projection& projection, const std::filesystem::path& file,
                         std::size_t batch_size = kRebuildBatchSize,
                         std::shared_ptr<engine::Clock> clock = engine::system_clock());

// Removes a view file and its WAL companions; missing files are not an error, others throw.
void remove_view_file(const std::filesystem::path& file);

}  // namespace codd::projections

#include "projections/rebuild.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <future>

#include "engine/fs_sync.hpp"

namespace codd::projections {
namespace {

// Page cache of a rebuild's writer: the hot index pages of a large view stay in memory for the whole replay.
constexpr std::int64_t kRebuildCacheKib = 256 * 1024;

}  // namespace

ReplayStats catch_up(const engine::EventLog& log, ViewWriter& writer, std::size_t batch_size) {
    if (batch_size == 0) batch_size = 1;
    const auto start = std::chrono::steady_clock::now();
    // Up to the head as it is now: a busy log must not keep a catch-up running for ever.
    const auto head = log.head();
    // Reading ahead: the next batch is read and decoded from the log on another thread while this one applies
    // the current batch to SQLite. The batches and their order are those of reading one after the other: the
    // next starts right after the current one, which the writer applies whole or throws. The two batches are
    // recycled, so decoding reuses the strings of the events two batches back: fresh allocations for every
    // event cost more page faults than the decoding itself (declared before `ahead`, whose destructor waits
    // for the read in flight).
    std::array<std::vector<RecordedEvent>, 2> batches;
    std::size_t reading = 0;
    std::future<void> ahead;
    const auto read_ahead = [&](std::uint64_t from) {
        ahead = std::async(std::launch::async, [&log, head, batch_size, from, &out = batches[reading]] {
            const auto want = std::min<std::uint64_t>(batch_size, head.value() - from + 1);
            log.read_all_into(GlobalPosition{from}, want, out);
        });
    };
    if (writer.checkpoint() < head) read_ahead(writer.checkpoint().value() + 1);
    ReplayStats stats;
    while (ahead.valid()) {
        ahead.get();
        const auto& batch = batches[reading];
        if (batch.empty()) break;
        const auto next = batch.back().position.value() + 1;
        reading ^= 1;
        if (next <= head.value()) read_ahead(next);
        stats.events += writer.apply(batch);
    }
    stats.position = writer.checkpoint();
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

void finish_load(ViewWriter& writer, DeferredIndexes& indexes) {
    Database& db = writer.db();
    db.set_loading(false);
    Transaction tx(db);
    writer.projection().derive_after_load(db);
    tx.commit();
    indexes.create(db);
}

ReplayStats rebuild_view(const engine::EventLog& log, Projection& projection, const std::filesystem::path& file,
                         std::size_t batch_size, std::shared_ptr<engine::Clock> clock) {
    const auto start = std::chrono::steady_clock::now();
    remove_view_file(file);
    DatabaseOptions scratch;
    scratch.durable = false;
    scratch.cache_kib = kRebuildCacheKib;
    ViewWriter writer(file, projection, std::move(clock), scratch);
    // A scratch file needs no journal: a rebuild cut short is started over from an empty file, so every page
    // is written once (not to the WAL and again at each checkpoint).
    writer.db().exec("PRAGMA journal_mode=OFF");
    auto indexes = DeferredIndexes::drop(writer.db(), projection.query_indexes());
    writer.db().set_loading(true);
    auto stats = catch_up(log, writer, batch_size);
    finish_load(writer, indexes);
    // Durable from here on: back to WAL (as every view file is opened), and the pages written without a
    // journal synced to disk once.
    writer.db().exec("PRAGMA journal_mode=WAL");
    writer.db().exec("PRAGMA synchronous=NORMAL");
    engine::fsync_path(file);
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

void remove_view_file(const std::filesystem::path& file) {
    // The throwing overload: a file that cannot be removed would turn a rebuild into a resume.
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(file.string() + suffix);
}

}  // namespace codd::projections

#include "projections/rebuild.hpp"

#include <algorithm>
#include <chrono>

namespace codd::projections {

ReplayStats catch_up(const engine::EventLog& log, ViewWriter& writer, std::size_t batch_size) {
    if (batch_size == 0) batch_size = 1;
    const auto start = std::chrono::steady_clock::now();
    // Up to the head as it is now: a busy log must not keep a catch-up running for ever.
    const auto head = log.head();
    ReplayStats stats;
    while (writer.checkpoint() < head) {
        const auto from = writer.checkpoint().value() + 1;
        const auto want = std::min<std::uint64_t>(batch_size, head.value() - from + 1);
        const auto batch = log.read_all(GlobalPosition{from}, want);
        if (batch.empty()) break;
        stats.events += writer.apply(batch);
    }
    stats.position = writer.checkpoint();
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

ReplayStats rebuild_view(const engine::EventLog& log, Projection& projection, const std::filesystem::path& file,
                         std::size_t batch_size, std::shared_ptr<engine::Clock> clock) {
    const auto start = std::chrono::steady_clock::now();
    remove_view_file(file);
    DatabaseOptions scratch;
    scratch.durable = false;
    ViewWriter writer(file, projection, std::move(clock), scratch);
    auto stats = catch_up(log, writer, batch_size);
    // Durable from here on: a checkpoint under synchronous=NORMAL syncs the WAL and the database file.
    writer.db().exec("PRAGMA synchronous=NORMAL");
    writer.db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

void remove_view_file(const std::filesystem::path& file) {
    // The throwing overload: a file that cannot be removed would turn a rebuild into a resume.
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(file.string() + suffix);
}

}  // namespace codd::projections

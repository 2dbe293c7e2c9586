#include "projections/rebuild.hpp"

#include <chrono>
#include <vector>

namespace codd::projections {

ReplayStats catch_up(const engine::EventLog& log, ViewWriter& writer, std::size_t batch_size) {
    if (batch_size == 0) batch_size = 1;
    const auto start = std::chrono::steady_clock::now();
    ReplayStats stats;
    std::vector<RecordedEvent> batch;
    batch.reserve(batch_size);
    log.scan(GlobalPosition{writer.checkpoint().value() + 1}, [&](const RecordedEvent& e) {
        batch.push_back(e);
        if (batch.size() == batch_size) {
            stats.events += writer.apply(batch);
            batch.clear();
        }
        return true;
    });
    if (!batch.empty()) stats.events += writer.apply(batch);
    stats.position = writer.checkpoint();
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

ReplayStats rebuild_view(const engine::EventLog& log, Projection& projection, const std::filesystem::path& file,
                         std::size_t batch_size, std::shared_ptr<engine::Clock> clock) {
    const auto start = std::chrono::steady_clock::now();
    remove_view_file(file);
    ViewWriter writer(file, projection, std::move(clock));
    auto stats = catch_up(log, writer, batch_size);
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return stats;
}

void remove_view_file(const std::filesystem::path& file) {
    // The throwing overload: a file that cannot be removed would turn a rebuild into a resume.
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(file.string() + suffix);
}

}  // namespace codd::projections

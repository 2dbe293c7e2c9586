#pragma once
// A small projection for tests and the benchmark: counts events per stream and per type and keeps each
// stream's last event. Invariant after any committed batch: sum(stream_stats.events) = sum(type_counts.n)
// = the checkpoint (positions start at 1 and have no gaps).

#include <atomic>
#include <stdexcept>
#include <string>

#include "projections/projection.hpp"

namespace codd::test {

class StreamStats : public projections::Projection {
  public:
    [[nodiscard]] std::string name() const override { return "stream_stats"; }

    [[nodiscard]] std::vector<projections::Migration> migrations() const override {
        return {
            {1,
             "CREATE TABLE stream_stats (stream TEXT PRIMARY KEY, events INTEGER NOT NULL, "
             "last_type TEXT NOT NULL, last_payload TEXT NOT NULL, last_position INTEGER NOT NULL)"},
            {2, "CREATE TABLE type_counts (type TEXT PRIMARY KEY, n INTEGER NOT NULL)"},
            {3,
             "ALTER TABLE stream_stats ADD COLUMN first_position INTEGER;"
             "CREATE INDEX stream_stats_by_last ON stream_stats (last_position)"},
        };
    }

    [[nodiscard]] std::vector<projections::ViewTable> tables() const override {
        return {{"stream_stats", "stream"}, {"type_counts", "type"}};
    }

    void apply(projections::Transaction& tx, std::span<const projections::RecordedEvent> events) override {
        batches.fetch_add(1);
        auto& db = tx.db();
        for (const auto& e : events) {
            // Fails after the batch's earlier events were written: the rollback must take them back too.
            if (e.position.value() == fail_at.load()) {
                throw std::runtime_error("injected failure at " + std::to_string(e.position.value()));
            }
            db.cached(
                  "INSERT INTO stream_stats (stream, events, last_type, last_payload, last_position, first_position) "
                  "VALUES (:stream, 1, :type, :payload, :position, :position) "
                  "ON CONFLICT (stream) DO UPDATE SET events = events + 1, last_type = excluded.last_type, "
                  "last_payload = excluded.last_payload, last_position = excluded.last_position")
                .bind(":stream", e.stream)
                .bind(":type", e.type)
                .bind(":payload", e.payload)
                .bind(":position", e.position.value())
                .run();
            db.cached("INSERT INTO type_counts (type, n) VALUES (?1, 1) ON CONFLICT (type) DO UPDATE SET n = n + 1")
                .bind(1, e.type)
                .run();
        }
    }

    std::atomic<std::uint64_t> fail_at{0};  // the position whose event throws; 0: none
    std::atomic<int> batches{0};            // apply calls, committed or not
};

}  // namespace codd::test

#pragma once
// Helpers of the projection tests: a log on a temporary directory, appending N events, reading the
// StreamStats view.

#include <cstdint>
#include <string>

#include "projections/sqlite.hpp"
#include "tests/engine/log_fixture.hpp"
#include "tests/projections/stream_stats.hpp"

namespace codd::test {

// Appends events `first` .. `first + n - 1`, event i on stream "s-<i % streams>", `streams` events per command
// at most (one per stream, so one fsync covers many); returns the last position.
inline engine::GlobalPosition append_events(engine::EventLog& log, int n, int streams = 7, int first = 0) {
    engine::GlobalPosition last;
    for (int i = first; i < first + n;) {
        std::vector<engine::StreamAppend> appends;
        for (int k = 0; k < streams && i < first + n; ++k, ++i) {
            const std::string type = i % 3 == 0 ? "Created" : i % 3 == 1 ? "Updated" : "Noted";
            appends.push_back(to_stream("s-" + std::to_string(i % streams), engine::ExpectedVersion::any(),
                                        {event(type, R"({"i":)" + std::to_string(i) + "}")}));
        }
        auto r = log.append(request(std::move(appends)));
        if (!r.committed()) throw std::runtime_error("append failed: " + r.message);
        last = r.last_position;
    }
    return last;
}

inline std::int64_t scalar(projections::Database& db, const std::string& sql) {
    auto q = db.prepare(sql);
    if (!q.step()) throw std::runtime_error("no row: " + sql);
    return q.column_int(0);
}

inline std::int64_t stream_events(projections::Database& db) {
    return scalar(db, "SELECT coalesce(sum(events), 0) FROM stream_stats");
}

inline std::int64_t checkpoint_of(projections::Database& db) {
    return scalar(db, "SELECT coalesce(max(position), 0) FROM codd_checkpoint WHERE name = 'stream_stats'");
}

}  // namespace codd::test

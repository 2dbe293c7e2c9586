// `codd verify`: opens the log as a read-only secondary (so it works next to a running server), walks the
// hash chain and the stream index and reports the first bad position, or the head hash of an intact log.
// One JSON line on stdout for scripts, prose on stderr.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "engine/event_log.hpp"
#include "engine/json_codec.hpp"
#include "projections/sqlite.hpp"
#include "projections/view_writer.hpp"
#include "tools/commands.hpp"

namespace codd::tools {
namespace {

void print_json(const boost::json::object& o) {
    fmt::print("{}\n", engine::json::serialize(o));
}

}  // namespace

std::optional<std::uint64_t> view_checkpoint(const std::filesystem::path& data_dir) {
    const std::filesystem::path file = data_dir / "views" / "orders.sqlite";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
    try {
        projections::DatabaseOptions options;
        options.mode = projections::OpenMode::read_only;
        auto db = projections::Database::open(file, options);
        return projections::read_checkpoint(db, "orders").value();
    } catch (const std::exception&) {
        return std::nullopt;  // not a view this build reads: nothing to compare the log with
    }
}

engine::VerifyReport verify_read_only(const std::filesystem::path& log_dir, const std::string& temp_prefix) {
    const TempDir secondary(temp_prefix);
    try {
        const auto log = engine::EventLog::open_read_only(log_dir, secondary.path());
        engine::VerifyReport report = log->verify();
        log->close();
        return report;
    } catch (const engine::StorageError& e) {
        if (e.kind() != engine::StorageError::Kind::corruption) throw;
        // RocksDB found damage while opening or reading (a WAL record, a table file): broken, not unopenable.
        engine::VerifyReport report;
        report.ok = false;
        report.problem = std::string("the log is damaged: ") + e.what();
        return report;
    }
}

void check_against_view(engine::VerifyReport& report, std::optional<std::uint64_t> applied) {
    if (!report.ok || !applied || *applied <= report.events_checked) return;
    report.ok = false;
    report.first_bad = engine::GlobalPosition{report.events_checked + 1};
    report.problem = fmt::format(
        "the log ends at position {}, but the orders view has applied it up to {}: events the log held are gone "
        "(a WAL file deleted or cut short); restore the log from a backup",
        report.events_checked, *applied);
}

int run_verify(const VerifyOptions& options) {
    const std::filesystem::path log_dir = options.data_dir / "log";
    std::error_code ec;
    if (!std::filesystem::is_directory(log_dir, ec)) {
        fmt::print(stderr, "codd verify: no event log at {}\n", log_dir.string());
        return kExitUsage;
    }
    // The view's checkpoint before the log is read: a running server appends meanwhile, and its view applies
    // only events the log made durable, so the log read afterwards reaches at least this far unless events were
    // lost. (Read after, it would be ahead of the log verify read by whatever the server appended since.)
    const auto seen = view_checkpoint(options.data_dir);
    engine::VerifyReport report;
    try {
        report = verify_read_only(log_dir, "codd-verify");
    } catch (const std::exception& e) {
        fmt::print(stderr, "codd verify: cannot open the event log at {}: {}\n", log_dir.string(), e.what());
        return kExitUsage;
    }
    check_against_view(report, seen);
    if (report.ok) {
        // The head hash anchors the chain: an auditor who kept it can tell a rewritten history from this one.
        print_json(
            {{"ok", true}, {"events", report.events_checked}, {"head_hash", engine::codec::to_hex(report.head_hash)}});
        return kExitOk;
    }
    boost::json::object out{{"ok", false}, {"first_bad_position", nullptr}, {"problem", report.problem}};
    if (report.first_bad) out["first_bad_position"] = report.first_bad->value();
    print_json(out);
    if (report.first_bad) {
        fmt::print(stderr, "codd verify: the event log is broken at position {}: {}\n", report.first_bad->value(),
                   report.problem);
    } else {
        fmt::print(stderr, "codd verify: the event log is broken: {}\n", report.problem);
    }
    return kExitFailure;
}

}  // namespace codd::tools

// `codd rebuild`: recreates a view from the log, offline (DESIGN §5: views are disposable). The new view is
// built next to the live one and replaces it only when complete, so a rebuild cut short leaves the old view
// in place. When a live view exists it is first brought up to the log's head, and both digests are printed:
// a rebuilt view must be identical to the live one, and `identical: false` is worth an issue.
// One JSON line on stdout for scripts, prose on stderr. While a server runs, use its
// POST /api/v1/admin/views/orders/rebuild instead (the server holds the log and the view).

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "engine/allocator.hpp"
#include "engine/event_log.hpp"
#include "engine/huge_pages.hpp"
#include "engine/json_codec.hpp"
#include "projections/digest.hpp"
#include "projections/orders_view.hpp"
#include "projections/rebuild.hpp"
#include "projections/view_writer.hpp"
#include "tools/commands.hpp"

namespace codd::tools {
namespace {

int refuse(int code, const std::string& message) {
    say("codd rebuild: {}\n", message);
    return code;
}

// The live view caught up to the log's head, and its digest; empty when there is no live view.
std::string live_digest(const engine::EventLog& log, projections::Projection& view, const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) return {};
    projections::ViewWriter writer(file, view);
    projections::catch_up(log, writer);
    return projections::view_digest(writer.db(), view);
}

}  // namespace

int run_rebuild(const RebuildOptions& options) {
    if (options.view != "orders")
        return refuse(kExitUsage, fmt::format("unknown view '{}'; views: orders", options.view));
    std::error_code ec;
    if (!std::filesystem::is_directory(options.data_dir / "log", ec)) {
        return refuse(kExitUsage, fmt::format("no event log at {} (is --data-dir the server's data directory?)",
                                              (options.data_dir / "log").string()));
    }
    std::unique_ptr<engine::EventLog> log;
    try {
        engine::LogOptions log_options;
        log_options.dir = options.data_dir / "log";
        log = engine::EventLog::open(std::move(log_options));
    } catch (const engine::StorageError& e) {
        if (is_lock_error(e)) {
            return refuse(kExitFailure,
                          in_use_message(options.data_dir, fmt::format("stop the server, or rebuild online with POST "
                                                                       "/api/v1/admin/views/orders/rebuild ({})",
                                                                       e.what())));
        }
        return refuse(kExitFailure,
                      fmt::format("cannot open the event log in {}: {}", options.data_dir.string(), e.what()));
    }
    projections::OrdersView view;
    const std::filesystem::path live = options.data_dir / "views" / "orders.sqlite";
    const std::filesystem::path fresh = options.data_dir / "views" / "orders.sqlite.rebuild";
    std::filesystem::create_directories(live.parent_path());
    // A live view ahead of the log is the one record that the log lost events: replacing it with a view of the
    // shorter log would erase that record (and the server would then give the lost orders' ids again).
    if (const auto seen = view_checkpoint(options.data_dir); seen && *seen > log->head().value()) {
        log->close();
        return refuse(kExitFailure,
                      fmt::format("the orders view has applied the event log up to position {}, but the log ends at "
                                  "{}: the log lost events; restore it from a backup (`codd restore`). Nothing was "
                                  "changed",
                                  *seen, log->head().value()));
    }
    const std::string before = live_digest(*log, view, live);
    const projections::ReplayStats stats = projections::rebuild_view(*log, view, fresh);
    std::string after;
    {
        auto db = projections::Database::open(fresh);
        after = projections::view_digest(db, view);
    }
    projections::remove_view_file(live);
    std::filesystem::rename(fresh, live);
    log->close();

    const double rate = stats.seconds > 0 ? static_cast<double>(stats.events) / stats.seconds : 0.0;
    boost::json::object out{{"view", options.view},
                            {"events", stats.events},
                            {"position", stats.position.value()},
                            {"seconds", stats.seconds},
                            {"eventsPerSecond", rate},
                            {"digest", after},
                            {"hugePages", engine::huge_page_malloc()},
                            {"allocator", engine::allocator_name()}};
    if (!before.empty()) {
        out["previousDigest"] = before;
        out["identical"] = before == after;
    }
    fmt::print("{}\n", engine::json::serialize(out));
    say("codd rebuild: {} events into {} in {:.2f} s ({:.0f} events/s)\n", stats.events, live.string(), stats.seconds,
        rate);
    return before.empty() || before == after ? kExitOk : kExitFailure;
}

}  // namespace codd::tools

// Operations on a running server (super_admin):
// - POST /admin/views/:name/rebuild: the online rebuild of DESIGN §5 ("views are disposable"). The runner
//   replays the log into a new file while the live view keeps serving, then swaps the content in one SQLite
//   transaction; readers see the old view or the new one, never a mix. `codd rebuild` is the offline form.
// - POST /admin/backups: a consistent copy of the event log (the only state that cannot be rebuilt) in a new
//   directory under CODD_BACKUP_DIR, shaped like a data directory (<name>/log), written while the server
//   keeps taking commands. `codd verify --data-dir <backup>` checks it; `codd restore` puts it back.
#include <ctime>
#include <mutex>

#include <fmt/format.h>

#include <boost/json/value.hpp>

#include "api/commerce_common.hpp"
#include "api/health.hpp"
#include "engine/event_log.hpp"
#include "engine/json_codec.hpp"
#include "projections/runner.hpp"

namespace codd::api {
namespace {

// "codd-20261126T054400Z" for a time in microseconds since the epoch (UTC).
std::string backup_name(std::int64_t now_us) {
    const std::time_t seconds = static_cast<std::time_t>(now_us / 1'000'000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "codd-%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

Response write_backup(const Commerce& c) {
    static std::mutex one_at_a_time;  // two in the same second would race for one name
    const std::lock_guard lock(one_at_a_time);
    std::error_code ec;
    std::filesystem::create_directories(c.backup_dir, ec);
    if (ec) {
        return problem_response(
            {ProblemType::unavailable,
             fmt::format("cannot create the backup directory {}: {}", c.backup_dir.string(), ec.message()),
             "The backup directory cannot be written.",
             {}});
    }
    const std::int64_t now_us = engine::to_us(c.clock.now());
    const std::string base = backup_name(now_us);
    std::string name = base;
    for (int n = 2; !std::filesystem::create_directory(c.backup_dir / name, ec); ++n) {
        if (ec) {
            return problem_response({ProblemType::unavailable,
                                     fmt::format("cannot create {}: {}", (c.backup_dir / name).string(), ec.message()),
                                     "The backup directory cannot be written.",
                                     {}});
        }
        name = base + "-" + std::to_string(n);
    }
    const std::filesystem::path dir = c.backup_dir / name;
    const engine::BackupReport b = c.log.backup(dir / "log");
    return commerce::json_text(
        201, fmt::format(
                 R"({{"message":"Backup written","backup":{{"name":"{}","path":{},"position":{},"headHash":"{}"}}}})",
                 name, engine::json::serialize(boost::json::value(dir.string())), b.last_position,
                 engine::codec::to_hex(b.head_hash)));
}

}  // namespace

void add_view_routes(Router& router, const Commerce& c) {
    commerce::add(router, c, "POST", "/admin/views/:name/rebuild", [&c](const Request& r, const Authenticated&) {
        if (r.param("name").value_or("") != "orders") return commerce::not_found("view");
        const projections::ReplayStats stats = c.view.rebuild();
        const double rate = stats.seconds > 0 ? static_cast<double>(stats.events) / stats.seconds : 0.0;
        return commerce::json_text(
            200,
            fmt::format(
                R"({{"message":"View rebuilt","view":"orders","events":{},"position":{},"seconds":{:.3f},"eventsPerSecond":{:.0f}}})",
                stats.events, stats.position.value(), stats.seconds, rate));
    });
    commerce::add(router, c, "POST", "/admin/backups",
                  [&c](const Request&, const Authenticated&) { return write_backup(c); });
}

}  // namespace codd::api

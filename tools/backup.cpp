// `codd backup` and `codd restore`: the event log is the only state codd cannot rebuild (views are
// rebuilt from it), so a backup is a copy of the log, shaped like a data directory (<backup>/log).
// - backup, offline: a RocksDB checkpoint of a data directory no server holds. While a server runs, use its
//   POST /api/v1/admin/backups, which writes the same thing without stopping it.
// - restore, offline: verifies the backup's hash chain, sets the data directory's current log and views
//   aside (never deleted: <dir>/log.before-restore-<time>, <dir>/views.before-restore-<time>) and copies the
//   backup's log in; the next `codd serve` rebuilds the views from it.
// One JSON line on stdout for scripts, prose on stderr.

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "engine/event_log.hpp"
#include "engine/fs_sync.hpp"
#include "engine/json_codec.hpp"
#include "tools/commands.hpp"

namespace codd::tools {
namespace {

int refuse(std::string_view command, int code, const std::string& message) {
    say("codd {}: {}\n", command, message);
    return code;
}

// Opens the log of `data_dir` for writing, which also proves no server holds it; nullptr (after saying why)
// when it cannot.
std::unique_ptr<engine::EventLog> open_unheld(const std::filesystem::path& data_dir, int& code) {
    try {
        engine::LogOptions options;
        options.dir = data_dir / "log";
        return engine::EventLog::open(std::move(options));
    } catch (const engine::StorageError& e) {
        code =
            refuse("backup", kExitFailure,
                   is_lock_error(e) ? in_use_message(data_dir, fmt::format("stop the server first, or back up online "
                                                                           "with POST /api/v1/admin/backups ({})",
                                                                           e.what()))
                                    : fmt::format("cannot open the event log in {}: {}", data_dir.string(), e.what()));
        return nullptr;
    }
}

std::string utc_stamp() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

// Every file and directory under `dir`, and `dir`: a restore's copy is on disk before it is renamed into place.
void fsync_tree(const std::filesystem::path& dir) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) engine::fsync_path(entry.path());
    engine::fsync_path(dir);
}

// "<path>.before-restore-<stamp>", or the next free name after it (two restores within one second).
std::filesystem::path aside_name(const std::filesystem::path& path, const std::string& stamp) {
    std::filesystem::path aside = path;
    aside += ".before-restore-" + stamp;
    for (int n = 2; std::filesystem::exists(aside); ++n) {
        aside = path;
        aside += ".before-restore-" + stamp + "-" + std::to_string(n);
    }
    return aside;
}

// `path` renamed to its aside_name if it exists; returns the new name ("" if nothing moved).
std::string set_aside(const std::filesystem::path& path, const std::string& stamp) {
    if (!std::filesystem::exists(path)) return {};
    const std::filesystem::path aside = aside_name(path, stamp);
    std::filesystem::rename(path, aside);
    return aside.string();
}

// Puts the verified `copy` in the place of `log`; returns the old log's new name ("" when there was none). With a
// log there, the two are exchanged in one rename (RENAME_EXCHANGE), so that no instant leaves the data directory
// without a log/ (in which `codd serve` would start an empty system): the copy first takes the name the old log
// is set aside under, then the two swap. Interrupted between the steps, the old log is still log/ and the complete
// copy waits under the aside name; nothing is lost, and a next restore starts over.
std::string swap_in(const std::filesystem::path& copy, const std::filesystem::path& log, const std::string& stamp) {
    if (!std::filesystem::exists(log)) {
        std::filesystem::rename(copy, log);
        return {};
    }
    const std::filesystem::path aside = aside_name(log, stamp);
    std::filesystem::rename(copy, aside);
    if (::renameat2(AT_FDCWD, aside.c_str(), AT_FDCWD, log.c_str(), RENAME_EXCHANGE) == 0) return aside.string();
    const int error = errno;
    if (error != EINVAL && error != ENOSYS) {
        std::filesystem::rename(aside, copy);  // the copy under its own name again; log/ was not touched
        throw std::system_error(error, std::generic_category(),
                                "could not exchange the verified copy " + copy.string() + " with " + log.string() +
                                    " (the log was not replaced)");
    }
    // A filesystem without RENAME_EXCHANGE: the old log set aside, then the copy renamed in.
    const std::string old_log = set_aside(log, stamp);
    std::filesystem::rename(aside, log);
    return old_log;
}

}  // namespace

int run_backup(const BackupOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.data_dir / "log", ec)) {
        return refuse("backup", kExitUsage, fmt::format("no event log at {}", (options.data_dir / "log").string()));
    }
    if (std::filesystem::exists(options.to, ec)) {
        return refuse("backup", kExitUsage,
                      fmt::format("{} exists: a backup goes to a new directory", options.to.string()));
    }
    int code = kExitOk;
    const auto log = open_unheld(options.data_dir, code);
    if (!log) return code;
    std::filesystem::create_directories(options.to);
    const engine::BackupReport b = log->backup(options.to / "log");
    log->close();
    fmt::print("{}\n", engine::json::serialize(boost::json::object{{"backup", options.to.string()},
                                                                   {"position", b.last_position},
                                                                   {"head_hash", engine::codec::to_hex(b.head_hash)}}));
    return kExitOk;
}

int run_restore(const RestoreOptions& options) {
    const std::filesystem::path from_log = options.from / "log";
    std::error_code ec;
    if (!std::filesystem::is_directory(from_log, ec)) {
        return refuse("restore", kExitUsage,
                      fmt::format("no backup at {} (a backup is a directory holding log/)", options.from.string()));
    }
    // The backup must be intact before anything of the data directory is touched. Opened read-only (a
    // secondary instance), so the backup stays byte for byte as it was.
    // A data directory given as the backup is also checked against its orders view, as `codd verify` does.
    const auto applied = view_checkpoint(options.from);
    engine::VerifyReport report;
    try {
        report = verify_read_only(from_log, "codd-restore");
    } catch (const std::exception& e) {
        return refuse(
            "restore", kExitFailure,
            fmt::format("cannot open the backup at {}: {}; nothing was changed", from_log.string(), e.what()));
    }
    check_against_view(report, applied);
    if (!report.ok) {
        return refuse("restore", kExitFailure,
                      fmt::format("the backup is broken{}: {}; nothing was changed",
                                  report.first_bad ? " at position " + std::to_string(report.first_bad->value()) : "",
                                  report.problem));
    }
    if (std::filesystem::equivalent(options.from, options.data_dir, ec)) {
        return refuse("restore", kExitUsage,
                      fmt::format("{} is the data directory itself; restore from a backup elsewhere (nothing was "
                                  "changed)",
                                  options.from.string()));
    }
    // No server may hold the data directory while its log is replaced. Asked of the log's lock, not by opening
    // it: a log too damaged to open is what a restore replaces.
    const std::filesystem::path current = options.data_dir / "log";
    if (engine::EventLog::in_use(current)) {
        return refuse("restore", kExitFailure,
                      in_use_message(options.data_dir, "stop the server first; nothing was changed"));
    }
    if (engine::EventLog::foreign(current)) {
        return refuse("restore", kExitUsage,
                      fmt::format("{} holds a RocksDB database that is not a codd event log (is --data-dir the "
                                  "server's data directory?); nothing was changed",
                                  current.string()));
    }
    std::filesystem::create_directories(options.data_dir);
    const std::string stamp = utc_stamp();
    // The backup is copied beside the log and checked there first, then renamed into place: an interrupted
    // restore leaves the old log where it was (and a partial copy, removed by the next restore), never a
    // half-copied log/ that `codd serve` would open, or start afresh in.
    for (const auto& entry : std::filesystem::directory_iterator(options.data_dir)) {
        if (entry.path().filename().string().starts_with("log.restoring-")) std::filesystem::remove_all(entry.path());
    }
    const std::filesystem::path copy = options.data_dir / ("log.restoring-" + stamp);
    std::filesystem::copy(from_log, copy, std::filesystem::copy_options::recursive);
    fsync_tree(copy);
    engine::VerifyReport copied;
    try {
        copied = verify_read_only(copy, "codd-restore");
    } catch (const std::exception& e) {
        std::filesystem::remove_all(copy);
        return refuse("restore", kExitFailure, fmt::format("the copy of the backup does not open: {}", e.what()));
    }
    if (!copied.ok || copied.events_checked != report.events_checked || copied.head_hash != report.head_hash) {
        std::filesystem::remove_all(copy);
        return refuse("restore", kExitFailure,
                      "the backup changed while it was copied (is a server using it? restore from a backup "
                      "taken with `codd backup`); nothing was changed");
    }
    const std::string old_views = set_aside(options.data_dir / "views", stamp);
    const std::string old_log = swap_in(copy, options.data_dir / "log", stamp);
    engine::fsync_path(options.data_dir);
    boost::json::object out{
        {"restored", options.from.string()},
        {"events", report.events_checked},
        {"head_hash", engine::codec::to_hex(report.head_hash)},
        {"previous_log", old_log.empty() ? boost::json::value(nullptr) : boost::json::value(old_log)},
        {"previous_views", old_views.empty() ? boost::json::value(nullptr) : boost::json::value(old_views)}};
    fmt::print("{}\n", engine::json::serialize(out));
    say("codd restore: {} events restored into {}; the next `codd serve` rebuilds the views\n", report.events_checked,
        (options.data_dir / "log").string());
    return kExitOk;
}

}  // namespace codd::tools

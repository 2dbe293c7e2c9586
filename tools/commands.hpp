#pragma once
// Entry points of the `codd` subcommands. Each returns the process exit code:
// 0 success, 1 failure at run time (or, for verify, a broken chain), 2 usage or configuration error.

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "engine/event_log.hpp"

namespace codd::tools {

// Prose on stderr. A closed or full stderr (`codd verify 2>&-` from a cron job) loses the message, never the exit
// code: fmt::print would throw, and the handler printing that would abort the command.
template <typename... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
    const std::string text = fmt::format(format, std::forward<Args>(args)...);
    static_cast<void>(std::fwrite(text.data(), 1, text.size(), stderr));
}

// Why a command that writes to the log refused: a server holds the data directory; `advice` says what to do.
inline std::string in_use_message(const std::filesystem::path& data_dir, std::string_view advice) {
    return fmt::format("the data directory {} is in use (is `codd serve` running on it?): {}", data_dir.string(),
                       advice);
}

// True when opening a log failed because another process (a running `codd serve`) holds its lock.
inline bool is_lock_error(const engine::StorageError& e) {
    return e.kind() == engine::StorageError::Kind::in_use;
}

// A fresh temporary directory (e.g. for a read-only secondary instance's own files), removed afterwards.
class TempDir {
  public:
    explicit TempDir(const std::string& prefix) {
        std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "cannot create a temporary directory");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// `codd serve`: the HTTP API, configured from CODD_* environment variables (and .env in development).
int run_serve();

struct VerifyOptions {
    std::filesystem::path data_dir = "./data";
};

// `codd verify`: recompute the log's hash chain, read-only, also while a server runs.
int run_verify(const VerifyOptions& options);

// Opens the log in `log_dir` as a read-only secondary instance (so the directory stays as it was, and a
// running writer is no obstacle) and verifies it, in a child process (`codd verify-log`). A log too damaged to
// open, or one RocksDB stops on with an assertion, is a broken report; throws what else opening throws (as its
// message), and when the child ends any other way.
engine::VerifyReport verify_read_only(const std::filesystem::path& log_dir, const std::string& temp_prefix);

// The same in this process, the secondary instance's files in `secondary_dir` (an empty directory).
engine::VerifyReport verify_in_process(const std::filesystem::path& log_dir,
                                       const std::filesystem::path& secondary_dir);

struct VerifyLogOptions {
    std::filesystem::path log_dir;
    std::filesystem::path secondary_dir;
};

// `codd verify-log` (hidden): verify_in_process for a parent's verify_read_only; the report as one JSON line
// (exit 0), or what opening threw on stderr (exit 2).
int run_verify_log(const VerifyLogOptions& options);

// The position the orders view of `data_dir` recorded as applied, or nullopt when it has no view this build
// reads. A log that ends before it lost events the view saw.
std::optional<std::uint64_t> view_checkpoint(const std::filesystem::path& data_dir);

// Marks an intact `report` broken when its log ends before `applied` (the orders view's checkpoint, read before
// the log): events the log held are gone.
void check_against_view(engine::VerifyReport& report, std::optional<std::uint64_t> applied);

struct AdminCreateOptions {
    std::filesystem::path data_dir = "./data";
    std::string email;
    std::string password;
    std::string first_name = "Super";
    std::string last_name = "Admin";
};

// `codd admin create`: a super_admin, offline (refused while a server holds the data directory).
// Prints {"id","email","role"}; exit 2 for bad input (password policy, email), 1 if the log is in use.
int run_admin_create(const AdminCreateOptions& options);

struct RebuildOptions {
    std::filesystem::path data_dir = "./data";
    std::string view = "orders";
};

// `codd rebuild`: recreates a view from the log, offline; prints {view, events, position, seconds,
// eventsPerSecond, digest[, previousDigest, identical]}. Exit 1 if the log is in use or the rebuilt view
// differs from the live one (which it then replaces), 2 for an unknown view.
int run_rebuild(const RebuildOptions& options);

struct BackupOptions {
    std::filesystem::path data_dir = "./data";
    std::filesystem::path to;  // a new directory; the backup is <to>/log
};

// `codd backup`: a consistent copy of the event log of a data directory no server holds (a running server
// writes one with POST /api/v1/admin/backups). Prints {backup, position, head_hash}.
int run_backup(const BackupOptions& options);

struct RestoreOptions {
    std::filesystem::path from;  // a backup: a directory holding log/
    std::filesystem::path data_dir = "./data";
};

// `codd restore`: verifies a backup, sets the data directory's log and views aside (renamed, never deleted)
// and copies the backup's log in; the next `codd serve` rebuilds the views. Refused while a server holds the
// data directory (exit 1) or when the backup does not verify (exit 1, nothing changed).
int run_restore(const RestoreOptions& options);

}  // namespace codd::tools

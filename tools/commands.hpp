#pragma once
// Entry points of the `codd` subcommands. Each returns the process exit code:
// 0 success, 1 failure at run time (or, for verify, a broken chain), 2 usage or configuration error.

#include <filesystem>
#include <string>

namespace codd::tools {

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

}  // namespace codd::tools

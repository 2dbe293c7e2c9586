#pragma once
// Entry points of the `codd` subcommands. Each returns the process exit code:
// 0 success, 1 failure at run time (or, for verify, a broken chain), 2 usage or configuration error.

#include <filesystem>

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

}  // namespace codd::tools

// `codd`: one executable, one subcommand per task. Each subcommand lives in its own file; main only parses.

#include <cstdio>
#include <exception>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "api/version.hpp"
#include "tools/commands.hpp"

int main(int argc, char** argv) {
    using namespace codd::tools;
    CLI::App app{"codd: an event-sourced order engine for cash-on-delivery operations", "codd"};
    app.set_version_flag("--version", std::string(codd::api::version()));
    app.require_subcommand(1, 1);

    CLI::App* serve = app.add_subcommand(
        "serve", "Run the HTTP API (configured by CODD_* environment variables; .env in development)");

    VerifyOptions verify_options;
    CLI::App* verify =
        app.add_subcommand("verify", "Recompute the event log's hash chain; exit 1 naming the first bad position");
    verify->add_option("--data-dir", verify_options.data_dir, "Data directory holding log/ (default: ./data)")
        ->envname("CODD_DATA_DIR");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    try {
        if (*serve) return run_serve();
        if (*verify) return run_verify(verify_options);
    } catch (const std::exception& e) {
        fmt::print(stderr, "codd: {}\n", e.what());
        return kExitFailure;
    }
    return kExitUsage;
}

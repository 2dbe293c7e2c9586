// `codd`: one executable, one subcommand per task. Each subcommand lives in its own file; main only parses.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "api/version.hpp"
#include "engine/huge_pages.hpp"
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

    // For verify and restore, which check a log in a child process (commands.hpp, verify_read_only); not listed.
    VerifyLogOptions verify_log_options;
    CLI::App* verify_log = app.add_subcommand("verify-log", "Verify one log directory (for codd's own use)");
    verify_log->group("");
    verify_log->add_option("--log-dir", verify_log_options.log_dir, "The log directory")->required();
    verify_log->add_option("--secondary-dir", verify_log_options.secondary_dir, "An empty directory for the reader")
        ->required();

    AdminCreateOptions admin_options;
    CLI::App* admin = app.add_subcommand("admin", "User administration on a data directory no server holds");
    admin->require_subcommand(1, 1);
    CLI::App* admin_create = admin->add_subcommand("create", "Create a super_admin (prints its id, email and role)");
    admin_create->add_option("--data-dir", admin_options.data_dir, "Data directory holding log/ (default: ./data)")
        ->envname("CODD_DATA_DIR");
    admin_create->add_option("--email", admin_options.email, "Email address of the new super_admin")
        ->envname("CODD_ADMIN_EMAIL")
        ->required();
    admin_create->add_option("--password", admin_options.password, "Password (or CODD_ADMIN_PASSWORD, kept off argv)")
        ->envname("CODD_ADMIN_PASSWORD")
        ->required();
    admin_create->add_option("--first-name", admin_options.first_name, "First name (default: Super)");
    admin_create->add_option("--last-name", admin_options.last_name, "Last name (default: Admin)");

    RebuildOptions rebuild_options;
    CLI::App* rebuild = app.add_subcommand(
        "rebuild", "Recreate a view from the event log, offline; prints its digest and the live view's");
    rebuild->add_option("--data-dir", rebuild_options.data_dir, "Data directory holding log/ (default: ./data)")
        ->envname("CODD_DATA_DIR");
    rebuild->add_option("--view", rebuild_options.view, "The view to rebuild (default: orders)");

    BackupOptions backup_options;
    CLI::App* backup = app.add_subcommand(
        "backup", "Copy the event log of a data directory no server holds (online: POST /api/v1/admin/backups)");
    backup->add_option("--data-dir", backup_options.data_dir, "Data directory holding log/ (default: ./data)")
        ->envname("CODD_DATA_DIR");
    backup->add_option("--to", backup_options.to, "A new directory; the backup is <to>/log")->required();

    RestoreOptions restore_options;
    CLI::App* restore = app.add_subcommand(
        "restore", "Verify a backup and make it the data directory's log (the old one is set aside; views rebuild)");
    restore->add_option("--from", restore_options.from, "The backup: a directory holding log/")->required();
    restore->add_option("--data-dir", restore_options.data_dir, "Data directory to restore into (default: ./data)")
        ->envname("CODD_DATA_DIR");

    // A word where a subcommand goes that names none is a mistyped one, not a missing one (CLI11 says "A
    // subcommand is required"): `codd bogus`, `codd admin bogus`.
    {
        CLI::App* level = &app;
        std::string path = "codd";
        for (int i = 1; i < argc && argv[i][0] != '-' && !level->get_subcommands({}).empty(); ++i) {
            std::string known;
            CLI::App* next = nullptr;
            for (CLI::App* sub : level->get_subcommands({})) {
                if (sub->get_name() == argv[i]) next = sub;
                if (!sub->get_group().empty()) known += (known.empty() ? "" : ", ") + sub->get_name();
            }
            if (next == nullptr) {
                say("{}: unknown command '{}' (commands: {}; see {} --help)\n", path, argv[i], known, path);
                return kExitUsage;
            }
            path += " " + next->get_name();
            level = next;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (app.exit(e) != 0) return kExitUsage;
        // --help and --version: the text is the whole result, so one lost on a full or closed stdout is an error
        // (as coreutils' `--help >/dev/full` is). 2, not 1: for verify, 1 means a broken log only.
        errno = 0;
        if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
            const int err = errno;
            say("codd: the text could not be written to standard output{}{}\n", err != 0 ? ": " : "",
                err != 0 ? std::strerror(err) : "");
            return kExitUsage;
        }
        return kExitOk;
    }
    if (*serve) {
        try {
            return run_serve();
        } catch (const std::exception& e) {
            say("codd: {}\n", e.what());
            return kExitFailure;
        }
    }
    // The other commands print a report on stdout. For verify, 1 means a broken log and nothing else: its
    // errors are 2, as its own are.
    const int error = *verify ? kExitUsage : kExitFailure;
    // verify's report is all it does: lost, it is no success. The others did their work (a user created, a log
    // restored, a view rebuilt, a copy made), and a retry could not do it again: their exit code stands, and
    // stderr says what was lost.
    const bool report_is_the_result = *verify || *verify_log;
    int code = kExitUsage;
    try {
        if (*verify) {
            code = run_verify(verify_options);
        } else if (*verify_log) {
            code = run_verify_log(verify_log_options);
        } else if (*admin_create) {
            code = run_admin_create(admin_options);
        } else if (*rebuild) {
            // A rebuild grows a page cache of hundreds of megabytes: on glibc's malloc huge pages make it ~25%
            // faster (engine/huge_pages.hpp; a no-op on jemalloc, the default). Not for serve: its allocations
            // are steady, and there it cost throughput.
            codd::engine::reexec_with_huge_page_malloc(argv);
            code = run_rebuild(rebuild_options);
        } else if (*backup) {
            code = run_backup(backup_options);
        } else if (*restore) {
            code = run_restore(restore_options);
        }
    } catch (const std::exception& e) {
        say("codd: {}\n", e.what());
        code = error;
    }
    // A report lost on a full or closed stdout (`codd verify > /dev/full`) is said on stderr, and is verify's
    // failure. stdout is buffered, so a short report fails only here, at the flush, not in fmt::print.
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
        const int e = errno;
        say("codd: the report could not be written to standard output{}{}\n", e != 0 ? ": " : "",
            e != 0 ? std::strerror(e) : "");
        if (code == kExitOk && report_is_the_result) code = error;
    }
    return code;
}

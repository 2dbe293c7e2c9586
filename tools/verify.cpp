// `codd verify`: opens the log as a read-only secondary (so it works next to a running server), walks the
// hash chain and the stream index and reports the first bad position, or the head hash of an intact log.
// One JSON line on stdout for scripts, prose on stderr.

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "engine/event_log.hpp"
#include "engine/json_codec.hpp"
#include "engine/text.hpp"
#include "projections/sqlite.hpp"
#include "projections/view_writer.hpp"
#include "tools/commands.hpp"

namespace codd::tools {
namespace {

void print_json(const boost::json::object& o) {
    fmt::print("{}\n", engine::json::serialize(o));
}

// A report as the hidden `codd verify-log` prints it for its parent, and back.
boost::json::object report_json(const engine::VerifyReport& r) {
    return {{"ok", r.ok},
            {"events", r.events_checked},
            {"first_bad", r.first_bad ? boost::json::value(r.first_bad->value()) : boost::json::value(nullptr)},
            {"problem", r.problem},
            {"head_hash", engine::codec::to_hex(r.head_hash)}};
}

engine::VerifyReport report_from_json(std::string_view text) {
    const boost::json::object o = boost::json::parse(text).as_object();
    engine::VerifyReport r;
    r.ok = o.at("ok").as_bool();
    r.events_checked = o.at("events").to_number<std::uint64_t>();
    if (!o.at("first_bad").is_null())
        r.first_bad = engine::GlobalPosition{o.at("first_bad").to_number<std::uint64_t>()};
    r.problem = std::string(o.at("problem").as_string());
    const std::string_view hex = o.at("head_hash").as_string();
    if (hex.size() != 2 * r.head_hash.size()) throw std::runtime_error("verify-log: malformed head hash");
    for (std::size_t i = 0; i < r.head_hash.size(); ++i) {
        r.head_hash[i] = static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(2 * i, 2)), nullptr, 16));
    }
    return r;
}

struct ChildResult {
    int status = 0;  // as waitpid reports it
    std::string out;
    std::string err;
};

// Runs this executable again with `args` (argv[0] included) and collects what it writes to stdout and stderr.
ChildResult run_self(const std::vector<std::string>& args) {
    std::array<int, 2> out_pipe{-1, -1};
    std::array<int, 2> err_pipe{-1, -1};
    const auto close_all = [&] {
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
            if (fd >= 0) ::close(fd);
        }
    };
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        const int e = errno;
        close_all();
        throw std::system_error(e, std::generic_category(), "cannot create a pipe");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // A parent started with SIGCHLD ignored would have the child reaped for it, and no status to read.
    ::signal(SIGCHLD, SIG_DFL);
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    out_pipe[1] = err_pipe[1] = -1;
    if (spawned != 0) {
        close_all();
        throw std::system_error(spawned, std::generic_category(), "cannot start a child process");
    }
    ChildResult result;
    std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
    std::array<std::string*, 2> into{&result.out, &result.err};
    std::array<char, 4096> buffer{};
    int open_fds = 2;
    while (open_fds > 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (n > 0) {
                into[i]->append(buffer.data(), static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;  // poll skips negative descriptors
                --open_fds;
            }
        }
    }
    close_all();
    pid_t waited = 0;
    while ((waited = ::waitpid(pid, &result.status, 0)) < 0 && errno == EINTR) {
    }
    if (waited != pid) throw std::system_error(errno, std::generic_category(), "cannot wait for the log check");
    return result;
}

// The line glibc's assert() printed before it aborted ("codd: file:line: function: Assertion `...' failed."), or
// empty. RocksDB's assertions are the one crash that tells of damage; a sanitizer's report or being killed does not.
std::string assertion_line(const std::string& text) {
    std::size_t end = text.size();
    while (end > 0) {
        const std::size_t begin = text.rfind('\n', end - 1);
        const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
        const std::string line = engine::text::trim(text.substr(from, end - from));
        if (line.find(": Assertion `") != std::string::npos && line.ends_with("' failed.")) return line;
        if (begin == std::string::npos) break;
        end = begin;
    }
    return {};
}

// At most the last `n` bytes of a child's stderr, for a message.
std::string tail(const std::string& text, std::size_t n) {
    const std::string said = engine::text::trim(text);
    return said.size() <= n ? said : "..." + said.substr(said.size() - n);
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

// In a child process: RocksDB is built with its assertions on (Debian's), and some damage to a table file (one
// byte of its index, flipped) makes it abort instead of reporting corruption. A log that takes the reader down
// with it is broken, and `verify` and `restore` must say so rather than die with it. Any other end of the child
// (killed, out of memory, a sanitizer's report) is no verdict on the log: an error, with what the child said.
// The secondary instance's directory is the parent's, so that it is removed however the child ends.
engine::VerifyReport verify_read_only(const std::filesystem::path& log_dir, const std::string& temp_prefix) {
    const TempDir secondary(temp_prefix);
    const ChildResult child =
        run_self({"codd", "verify-log", "--log-dir", log_dir.string(), "--secondary-dir", secondary.path().string()});
    if (WIFEXITED(child.status) && WEXITSTATUS(child.status) == kExitOk) return report_from_json(child.out);
    if (WIFSIGNALED(child.status)) {
        const int signal = WTERMSIG(child.status);
        if (const std::string assertion = assertion_line(child.err); signal == SIGABRT && !assertion.empty()) {
            engine::VerifyReport report;
            report.ok = false;
            report.problem = "the log is damaged: RocksDB stopped on an assertion while reading it: " + assertion;
            return report;
        }
        const std::string said = tail(child.err, 2000);
        throw std::runtime_error(fmt::format("the log check ended on signal {} ({}){}", signal, ::strsignal(signal),
                                             said.empty() ? "" : ": " + said));
    }
    const std::string said = tail(child.err, 2000);
    throw std::runtime_error(said.empty() ? fmt::format("the log check failed (exit {})", WEXITSTATUS(child.status))
                                          : said);
}

int run_verify_log(const VerifyLogOptions& options) {
    // Reading a large log takes minutes: not for a parent that is gone.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    try {
        print_json(report_json(verify_in_process(options.log_dir, options.secondary_dir)));
        return kExitOk;
    } catch (const std::exception& e) {
        say("{}\n", e.what());
        return kExitUsage;
    }
}

engine::VerifyReport verify_in_process(const std::filesystem::path& log_dir,
                                       const std::filesystem::path& secondary_dir) {
    try {
        const auto log = engine::EventLog::open_read_only(log_dir, secondary_dir);
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
        say("codd verify: no event log at {}\n", log_dir.string());
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
        say("codd verify: cannot open the event log at {}: {}\n", log_dir.string(), e.what());
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
        say("codd verify: the event log is broken at position {}: {}\n", report.first_bad->value(), report.problem);
    } else {
        say("codd verify: the event log is broken: {}\n", report.problem);
    }
    return kExitFailure;
}

}  // namespace codd::tools

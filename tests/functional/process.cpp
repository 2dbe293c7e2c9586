#include "tests/functional/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;  // NOLINT: POSIX

namespace codd::test {
namespace {

std::vector<std::string> child_environment(const std::map<std::string, std::optional<std::string>>& overrides) {
    std::vector<std::string> out;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string kv(*e);
        const std::string key = kv.substr(0, kv.find('='));
        if (key.rfind("CODD_", 0) == 0 || overrides.count(key) != 0) continue;
        out.push_back(kv);
    }
    for (const auto& [k, v] : overrides) {
        if (v) out.push_back(k + "=" + *v);
    }
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (std::string& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Process::Process(const ProcessOptions& options, const std::filesystem::path& output_dir) {
    static std::atomic<int> counter{0};
    const int n = counter.fetch_add(1);
    stdout_path_ = output_dir / ("stdout-" + std::to_string(n) + ".log");
    stderr_path_ = output_dir / ("stderr-" + std::to_string(n) + ".log");

    // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
    std::vector<std::string> args = options.args;
    std::vector<std::string> env = child_environment(options.env);
    std::vector<char*> argv = pointers(args);
    std::vector<char*> envp = pointers(env);
    const std::string out_path = stdout_path_.string();
    const std::string err_path = stderr_path_.string();
    const std::string cwd = options.cwd.string();

    pid_ = fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
        const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) _exit(126);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
        // The test runner may block signals in its threads; the server must start with a clean mask.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
}

Process::~Process() {
    if (!exit_code_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
}

void Process::signal(int sig) const {
    if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exit_code_) {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = decode_status(status);
            break;
        }
        if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return exit_code_;
}

std::string Process::stdout_text() const {
    return read_file(stdout_path_);
}
std::string Process::stderr_text() const {
    return read_file(stderr_path_);
}

std::uint16_t Process::wait_for_port(std::chrono::milliseconds timeout) {
    static constexpr std::string_view kKey = "\"listen\":\"";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const std::string out = stdout_text();
        if (const std::size_t at = out.find(kKey); at != std::string::npos) {
            const std::size_t end = out.find('"', at + kKey.size());
            const std::string listen = out.substr(at + kKey.size(), end - at - kKey.size());
            return static_cast<std::uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
        }
        if (const auto code = wait(std::chrono::milliseconds(0))) {
            throw std::runtime_error("codd exited with " + std::to_string(*code) + " before listening\nstdout:\n" +
                                     out + "\nstderr:\n" + stderr_text());
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw std::runtime_error("codd did not report a listen address in time\nstdout:\n" + out + "\nstderr:\n" +
                                     stderr_text());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

RunResult run(const ProcessOptions& options, std::chrono::milliseconds timeout) {
    const TempDir output;
    Process p(options, output.path());
    RunResult r;
    if (const auto code = p.wait(timeout)) r.exit_code = *code;
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    return r;
}

}  // namespace codd::test

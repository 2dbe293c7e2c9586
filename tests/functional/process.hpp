#pragma once
// Test support: run the real `codd` binary as a child process with a controlled environment, its output
// captured to files, and wait for it with timeouts so that a broken server fails a test instead of hanging it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace codd::test {

struct ProcessOptions {
    std::vector<std::string> args;  // args[0] is the program path
    // Variables to set (value) or unset (nullopt). Every other CODD_* variable of the test's own
    // environment is removed so the developer's shell cannot change a test's outcome.
    std::map<std::string, std::optional<std::string>> env;
    std::filesystem::path cwd;  // empty: the test's working directory
};

class Process {
  public:
    // Starts the process with stdout and stderr captured in files under `output_dir`. Throws on failure.
    Process(const ProcessOptions& options, const std::filesystem::path& output_dir);
    ~Process();  // SIGKILLs and reaps a process that is still running
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    void signal(int sig) const;

    // The exit code (128 + signal number if killed by a signal), or nullopt if it is still running after
    // `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);

    [[nodiscard]] std::string stdout_text() const;
    [[nodiscard]] std::string stderr_text() const;

    // Waits for the `"listen":"host:port"` log line and returns the port. Throws if the process exits first
    // or the timeout passes, with its output in the message.
    std::uint16_t wait_for_port(std::chrono::milliseconds timeout);

  private:
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    std::filesystem::path stdout_path_;
    std::filesystem::path stderr_path_;
};

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs a process to completion (SIGKILL after `timeout`, reported as exit code -1).
RunResult run(const ProcessOptions& options, std::chrono::milliseconds timeout = std::chrono::seconds(30));

std::string read_file(const std::filesystem::path& path);

}  // namespace codd::test

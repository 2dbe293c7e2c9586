#pragma once
// SIGINT and SIGTERM are delivered to the main thread only, as a value it waits for: construct this before
// any thread starts (threads inherit the blocked mask), then call wait(). No async-signal-safety puzzles.

#include <string>

namespace codd::tools {

class ShutdownSignals {
  public:
    // Blocks SIGINT and SIGTERM in the calling thread and ignores SIGPIPE (a client that hangs up must not
    // kill the server).
    // The signals stay blocked afterwards: a second SIGTERM during shutdown must not kill the process midway.
    ShutdownSignals();
    ShutdownSignals(const ShutdownSignals&) = delete;
    ShutdownSignals& operator=(const ShutdownSignals&) = delete;

    // Waits for SIGINT or SIGTERM and returns its number.
    int wait();
};

// On SIGABRT, writes `hint` to stderr before the process dies as it would have (exit status 134, a core where
// enabled). An abort is an assertion or a fatal error whose own line says what failed, not what to do: Debian's
// RocksDB keeps its assertions, and some damage to a table file trips one while the log is read. Call once,
// before other threads start; the hint is kept for the life of the process.
void hint_on_abort(std::string hint);

// "SIGTERM", "SIGINT", or the number.
const char* signal_name(int sig);

}  // namespace codd::tools

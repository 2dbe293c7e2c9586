#pragma once
// SIGINT and SIGTERM are delivered to the main thread only, as a value it waits for: construct this before
// any thread starts (threads inherit the blocked mask), then call wait(). No async-signal-safety puzzles.

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

// "SIGTERM", "SIGINT", or the number.
const char* signal_name(int sig);

}  // namespace codd::tools

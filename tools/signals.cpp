#include "tools/signals.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>
#include <system_error>
#include <utility>

namespace codd::tools {
namespace {

sigset_t shutdown_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

const std::string* abort_hint = nullptr;  // set once, never freed: read by the handler at any moment

extern "C" void write_abort_hint(int) {
    // Async-signal-safe: write(2) only. Returning lets abort() go on to kill the process.
    if (abort_hint != nullptr) static_cast<void>(::write(STDERR_FILENO, abort_hint->data(), abort_hint->size()));
}

}  // namespace

void hint_on_abort(std::string hint) {
    abort_hint = new std::string(std::move(hint));  // NOLINT: lives as long as the process
    struct sigaction action {};
    action.sa_handler = write_abort_hint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    if (sigaction(SIGABRT, &action, nullptr) != 0) throw std::system_error(errno, std::generic_category(), "sigaction");
}

ShutdownSignals::ShutdownSignals() {
    std::signal(SIGPIPE, SIG_IGN);
    const sigset_t set = shutdown_set();
    if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
        throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
    }
}

int ShutdownSignals::wait() {
    const sigset_t set = shutdown_set();
    int sig = 0;
    for (;;) {
        const int rc = sigwait(&set, &sig);
        if (rc == 0) return sig;
        if (rc != EINTR) throw std::system_error(rc, std::generic_category(), "sigwait");
    }
}

const char* signal_name(int sig) {
    switch (sig) {
        case SIGINT:
            return "SIGINT";
        case SIGTERM:
            return "SIGTERM";
        default:
            return "signal";
    }
}

}  // namespace codd::tools

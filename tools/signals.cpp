#include "tools/signals.hpp"

#include <pthread.h>

#include <cerrno>
#include <csignal>
#include <system_error>

namespace codd::tools {
namespace {

sigset_t shutdown_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

}  // namespace

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

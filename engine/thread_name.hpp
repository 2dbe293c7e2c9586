#pragma once
// Names the calling thread, so that `top -H`, `perf report --sort comm`, gdb and /proc/PID/task/*/comm tell
// codd's threads apart (the log writer, the syncer, the HTTP io threads, the command workers, ...).

#include <pthread.h>

#include <algorithm>
#include <string_view>
#include <thread>

namespace codd::engine {

// Linux keeps at most 15 bytes of a thread's name; a longer one is cut.
inline void name_thread(pthread_t thread, std::string_view name) {
    char buf[16] = {};
    name.copy(buf, std::min(name.size(), sizeof buf - 1));
    pthread_setname_np(thread, buf);
}

// From the thread that started `t`: the name is there as soon as this returns.
inline void name_thread(std::thread& t, std::string_view name) { name_thread(t.native_handle(), name); }

// For threads a library starts (boost::asio::thread_pool's): from the thread itself.
inline void name_this_thread(std::string_view name) { name_thread(pthread_self(), name); }

}  // namespace codd::engine

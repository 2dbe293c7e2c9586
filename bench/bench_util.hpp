#pragma once
// Shared pieces of codd's benchmarks: latency percentiles, medians and JSON result lines.

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace codd::bench {

using SteadyClock = std::chrono::steady_clock;

inline double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

inline double median(std::vector<double> v) { return percentile(v, 0.5); }

// CPU seconds used so far by the calling thread (CLOCK_THREAD_CPUTIME_ID) or the whole process
// (CLOCK_PROCESS_CPUTIME_ID): on a shared machine, wall time alone misleads.
inline double cpu_seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
inline double thread_cpu_seconds() { return cpu_seconds(CLOCK_THREAD_CPUTIME_ID); }
inline double process_cpu_seconds() { return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID); }

// CPU seconds (user + system) this process's threads have used so far, summed by thread name (codd names its
// threads: engine/thread_name.hpp), and under "" for the whole process. Read from /proc/self/task; the kernel
// counts in clock ticks (10 ms), so take the difference over a run of seconds.
inline std::map<std::string, double> cpu_seconds_by_thread_name() {
    std::map<std::string, double> cpu;
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
        std::ifstream comm(task.path() / "comm"), stat(task.path() / "stat");
        std::string name, line;
        if (!std::getline(comm, name) || !std::getline(stat, line)) continue;  // the thread just ended
        // The fields after "(comm) ": state is the 1st, utime the 12th, stime the 13th.
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        double utime = 0, stime = 0;
        for (int i = 1; i <= 13 && rest >> field; ++i) {
            if (i == 12) utime = std::stod(field);
            if (i == 13) stime = std::stod(field);
        }
        cpu[name] += (utime + stime) / tick;
        cpu[""] += (utime + stime) / tick;
    }
    return cpu;
}

// One JSON object per line: the machine-readable result format of every codd benchmark.
class JsonLine {
public:
    explicit JsonLine(const std::string& name) { s_ = "{\"name\":\"" + name + "\""; }
    JsonLine& num(const std::string& k, double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", v);
        s_ += ",\"" + k + "\":" + buf;
        return *this;
    }
    JsonLine& integer(const std::string& k, std::int64_t v) {
        s_ += ",\"" + k + "\":" + std::to_string(v);
        return *this;
    }
    JsonLine& str(const std::string& k, const std::string& v) {
        s_ += ",\"" + k + "\":\"" + v + "\"";
        return *this;
    }
    void print() const {
        std::printf("%s}\n", s_.c_str());
        std::fflush(stdout);
    }

private:
    std::string s_;
};

}  // namespace codd::bench

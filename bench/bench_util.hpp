#pragma once
// Shared pieces of codd's benchmarks: latency percentiles, medians and JSON result lines.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
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

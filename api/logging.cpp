#include "api/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>

#include <fmt/format.h>

#include "api/json_text.hpp"
#include "engine/clock.hpp"

namespace codd::api::log {
namespace {

// A structured record travels through spdlog as this marker followed by the rendered `"msg":..,fields`
// fragment; any other payload is a plain message from code that logs through spdlog directly.
constexpr char kStructuredMarker = '\x1e';

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::trace:
            return spdlog::level::trace;
        case Level::debug:
            return spdlog::level::debug;
        case Level::info:
            return spdlog::level::info;
        case Level::warn:
            return spdlog::level::warn;
        case Level::error:
            return spdlog::level::err;
        case Level::critical:
            return spdlog::level::critical;
        case Level::off:
            return spdlog::level::off;
    }
    return spdlog::level::info;
}

Level from_spdlog(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return Level::trace;
        case spdlog::level::debug:
            return Level::debug;
        case spdlog::level::info:
            return Level::info;
        case spdlog::level::warn:
            return Level::warn;
        case spdlog::level::err:
            return Level::error;
        case spdlog::level::critical:
            return Level::critical;
        default:
            return Level::off;
    }
}

void append_timestamp(std::string& out, std::int64_t ts_us) {
    const std::int64_t secs = ts_us >= 0 ? ts_us / 1'000'000 : (ts_us - 999'999) / 1'000'000;
    const auto micros = static_cast<int>(ts_us - secs * 1'000'000);
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

void append_value(std::string& out, const Field::Value& value) {
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                append_json_string(out, v);
            } else if constexpr (std::is_same_v<T, bool>) {
                out.append(v ? "true" : "false");
            } else if constexpr (std::is_same_v<T, double>) {
                // JSON has no NaN or infinity.
                if (std::isfinite(v)) {
                    fmt::format_to(std::back_inserter(out), "{}", v);
                } else {
                    out.append("null");
                }
            } else {
                fmt::format_to(std::back_inserter(out), "{}", v);
            }
        },
        value);
}

// `"msg":"...","key":value,...`
void append_body(std::string& out, std::string_view msg, Fields fields) {
    out.append("\"msg\":");
    append_json_string(out, msg);
    for (const Field& f : fields) {
        out.push_back(',');
        append_json_string(out, f.key);
        out.push_back(':');
        append_value(out, f.value);
    }
}

void append_head(std::string& out, std::int64_t ts_us, Level level) {
    out.append("{\"ts\":\"");
    append_timestamp(out, ts_us);
    out.append("\",\"level\":\"");
    out.append(to_string(level));
    out.append("\",");
}

class JsonFormatter final : public spdlog::formatter {
  public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto ts_us = engine::to_us(msg.time);
        const std::string_view payload(msg.payload.data(), msg.payload.size());
        std::string line;
        line.reserve(payload.size() + 64);
        append_head(line, ts_us, from_spdlog(msg.level));
        if (!payload.empty() && payload.front() == kStructuredMarker) {
            line.append(payload.substr(1));
        } else {
            append_body(line, payload, {});
        }
        line.append("}\n");
        dest.append(line.data(), line.data() + line.size());
    }

    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

std::atomic<bool> g_installed{false};
std::once_flag g_default_once;

// Code that logs before init() (a unit test, an early error) still gets JSON lines, at info.
void ensure_installed() {
    if (g_installed.load(std::memory_order_acquire)) return;
    std::call_once(g_default_once, [] {
        if (!g_installed.load()) init(Level::info);
    });
}

}  // namespace

std::optional<Level> parse_level(std::string_view s) {
    static constexpr std::array<std::pair<std::string_view, Level>, 8> kNames{{
        {"trace", Level::trace},
        {"debug", Level::debug},
        {"info", Level::info},
        {"warn", Level::warn},
        {"warning", Level::warn},
        {"error", Level::error},
        {"critical", Level::critical},
        {"off", Level::off},
    }};
    for (const auto& [name, level] : kNames) {
        if (name == s) return level;
    }
    return std::nullopt;
}

std::string_view to_string(Level level) {
    switch (level) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
        case Level::critical:
            return "critical";
        case Level::off:
            return "off";
    }
    return "info";
}

void init(Level level) {
    auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>("codd", std::move(sink));
    logger->set_formatter(std::make_unique<JsonFormatter>());
    logger->set_level(to_spdlog(level));
    // The stdout sink flushes every line, so a supervisor (or a test) sees each record as it happens.
    spdlog::set_default_logger(std::move(logger));
    g_installed.store(true, std::memory_order_release);
}

bool enabled(Level level) {
    ensure_installed();
    return spdlog::default_logger_raw()->should_log(to_spdlog(level));
}

void write(Level level, std::string_view msg, Fields fields) {
    ensure_installed();
    auto* logger = spdlog::default_logger_raw();
    const auto spd_level = to_spdlog(level);
    if (!logger->should_log(spd_level)) return;
    std::string payload;
    payload.reserve(msg.size() + 32 * fields.size() + 16);
    payload.push_back(kStructuredMarker);
    append_body(payload, msg, fields);
    logger->log(spd_level, spdlog::string_view_t(payload.data(), payload.size()));
}

std::string render_line(std::int64_t ts_us, Level level, std::string_view msg, Fields fields) {
    std::string line;
    append_head(line, ts_us, level);
    append_body(line, msg, fields);
    line.push_back('}');
    return line;
}

}  // namespace codd::api::log

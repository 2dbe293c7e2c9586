#pragma once
// Structured logs: one JSON object per line on stdout, {"ts","level","msg", ...fields}.
//
// Fields are typed values rendered here, never interpolated into the message, so a log line is always valid
// JSON whatever a client sent. Callers must not pass request bodies, passwords, tokens or Authorization
// headers as fields (DESIGN §8); the HTTP server logs only method, path (without query), status and timing.
// Anything else that logs through spdlog's default logger (e.g. the engine) gets the same JSON shape.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace codd::api::log {

enum class Level { trace, debug, info, warn, error, critical, off };

// Parses "trace", "debug", "info", "warn"/"warning", "error", "critical", "off".
std::optional<Level> parse_level(std::string_view s);
std::string_view to_string(Level level);

struct Field {
    using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, bool v) : key(k), value(v) {}
    Field(std::string_view k, double v) : key(k), value(v) {}
    template <typename I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) Field(std::string_view k, I v) : key(k) {
        if constexpr (std::is_signed_v<I>) {
            value = static_cast<std::int64_t>(v);
        } else {
            value = static_cast<std::uint64_t>(v);
        }
    }

    std::string_view key;
    Value value;
};

using Fields = std::initializer_list<Field>;

// Installs the JSON stdout logger as spdlog's default logger at `level`. Call once, before threads start.
void init(Level level);

[[nodiscard]] bool enabled(Level level);
void write(Level level, std::string_view msg, Fields fields = {});

inline void debug(std::string_view msg, Fields fields = {}) {
    write(Level::debug, msg, fields);
}
inline void info(std::string_view msg, Fields fields = {}) {
    write(Level::info, msg, fields);
}
inline void warn(std::string_view msg, Fields fields = {}) {
    write(Level::warn, msg, fields);
}
inline void error(std::string_view msg, Fields fields = {}) {
    write(Level::error, msg, fields);
}

// The whole line for a record (without the newline); exposed for tests. `ts_us`: microseconds since epoch.
std::string render_line(std::int64_t ts_us, Level level, std::string_view msg, Fields fields);

}  // namespace codd::api::log

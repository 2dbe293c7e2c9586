#include "api/config.hpp"

#include <charconv>
#include <limits>
#include <set>

#include <fmt/format.h>

extern char** environ;  // NOLINT: POSIX

namespace codd::api {
namespace {

constexpr std::string_view kDataDir = "CODD_DATA_DIR";
constexpr std::string_view kBackupDir = "CODD_BACKUP_DIR";
constexpr std::string_view kListen = "CODD_LISTEN";
constexpr std::string_view kEnv = "CODD_ENV";
constexpr std::string_view kLogLevel = "CODD_LOG_LEVEL";
constexpr std::string_view kHttpThreads = "CODD_HTTP_THREADS";
constexpr std::string_view kWorkerThreads = "CODD_WORKER_THREADS";
constexpr std::string_view kCommandThreads = "CODD_COMMAND_THREADS";
constexpr std::string_view kViewWaitMs = "CODD_VIEW_WAIT_MS";
constexpr std::string_view kJwtSecret = "CODD_JWT_SECRET";
constexpr std::string_view kJwtRefreshSecret = "CODD_JWT_REFRESH_SECRET";
constexpr std::string_view kAccessTtl = "CODD_ACCESS_TOKEN_TTL";
constexpr std::string_view kRefreshTtl = "CODD_REFRESH_TOKEN_TTL";
constexpr std::string_view kAllowRegistration = "CODD_ALLOW_REGISTRATION";
constexpr std::string_view kAdminEmail = "CODD_ADMIN_EMAIL";
constexpr std::string_view kAdminPassword = "CODD_ADMIN_PASSWORD";
constexpr std::int64_t kMaxTtlSeconds = 365LL * 24 * 3600;
constexpr std::string_view kMaxBodyBytes = "CODD_MAX_BODY_BYTES";
constexpr std::string_view kShutdownGraceMs = "CODD_SHUTDOWN_GRACE_MS";
constexpr std::string_view kReadTimeoutMs = "CODD_HTTP_READ_TIMEOUT_MS";
constexpr std::string_view kRequestTimeoutMs = "CODD_REQUEST_TIMEOUT_MS";

std::optional<std::string_view> lookup(const EnvMap& env, std::string_view key) {
    const auto it = env.find(key);
    if (it == env.end()) return std::nullopt;
    return std::string_view(it->second);
}

// A decimal integer in [min, max], the whole string, no sign or blanks.
std::int64_t parse_integer(std::string_view key, std::string_view value, std::int64_t min, std::int64_t max) {
    std::int64_t out = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, out);
    if (value.empty() || value.front() == '-' || ec != std::errc{} || ptr != end || out < min || out > max) {
        throw ConfigError(fmt::format("{} must be an integer from {} to {}, got '{}'", key, min, max, value));
    }
    return out;
}

std::uint16_t parse_port(std::string_view full, std::string_view port) {
    if (port.empty()) throw ConfigError(fmt::format("{} '{}' has no port (expected host:port)", kListen, full));
    std::uint32_t out = 0;
    const char* end = port.data() + port.size();
    const auto [ptr, ec] = std::from_chars(port.data(), end, out);
    if (ec != std::errc{} || ptr != end || out > 65535) {
        throw ConfigError(fmt::format("{} '{}': port must be 0-65535 (0: any free port)", kListen, full));
    }
    return static_cast<std::uint16_t>(out);
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == ':' || c == '%' || c == '_';
}

Environment parse_environment(std::string_view v) {
    if (v == "development") return Environment::development;
    if (v == "production") return Environment::production;
    throw ConfigError(fmt::format("{} must be 'development' or 'production', got '{}'", kEnv, v));
}

// The real environment with the .env values filled in where the environment has no value.
EnvMap merged(const EnvMap& env, const std::optional<std::string>& dotenv_text) {
    if (!dotenv_text || !wants_dotenv(env)) return env;
    EnvMap dotenv;
    try {
        dotenv = parse_dotenv(*dotenv_text);
    } catch (const DotenvError& e) {
        throw ConfigError(e.what());
    }
    // The environment was already chosen (development) by the time .env is read; it cannot change it.
    if (const auto e = lookup(dotenv, kEnv); e && *e != "development") {
        throw ConfigError(fmt::format(".env may not set {}={}; set it in the real environment", kEnv, *e));
    }
    EnvMap out = env;
    for (auto& [k, v] : dotenv) out.try_emplace(k, std::move(v));
    return out;
}

bool parse_bool(std::string_view key, std::string_view v) {
    if (v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    throw ConfigError(fmt::format("{} must be true or false, got '{}'", key, v));
}

// Never echoes the value: it is a secret.
std::string read_secret(const EnvMap& env, std::string_view key, Environment environment) {
    const auto v = lookup(env, key);
    if (!v || v->empty()) {
        if (environment == Environment::production) {
            throw ConfigError(
                fmt::format("{} is required in production (at least {} bytes; generate one with "
                            "`openssl rand -base64 48`)",
                            key, kMinSecretBytes));
        }
        return {};
    }
    if (v->size() < kMinSecretBytes) {
        throw ConfigError(
            fmt::format("{} is too short: {} bytes, at least {} are required (generate one with "
                        "`openssl rand -base64 48`)",
                        key, v->size(), kMinSecretBytes));
    }
    // Long but not random: a template's placeholder copied as it is ("<output of: openssl rand -hex 32>"),
    // or a repeated pattern. Random output has no spaces or angle brackets, and many distinct characters.
    if (v->find_first_of(" \t<>") != std::string_view::npos) {
        throw ConfigError(
            fmt::format("{} looks like a placeholder (it has spaces or angle brackets): generate one "
                        "with `openssl rand -base64 48`",
                        key));
    }
    const std::set<char> distinct(v->begin(), v->end());
    if (distinct.size() < kMinSecretDistinctChars) {
        throw ConfigError(
            fmt::format("{} is not random: {} distinct characters, at least {} are required (generate "
                        "one with `openssl rand -base64 48`)",
                        key, distinct.size(), kMinSecretDistinctChars));
    }
    return std::string(*v);
}

void load_auth(const EnvMap& env, Config& c) {
    c.jwt_secret = read_secret(env, kJwtSecret, c.environment);
    c.jwt_refresh_secret = read_secret(env, kJwtRefreshSecret, c.environment);
    if (!c.jwt_secret.empty() && c.jwt_secret == c.jwt_refresh_secret) {
        throw ConfigError(fmt::format("{} and {} must be different secrets", kJwtSecret, kJwtRefreshSecret));
    }
    if (const auto v = lookup(env, kAccessTtl)) c.access_token_ttl = parse_duration(kAccessTtl, *v);
    if (const auto v = lookup(env, kRefreshTtl)) c.refresh_token_ttl = parse_duration(kRefreshTtl, *v);
    if (const auto v = lookup(env, kAllowRegistration)) c.allow_registration = parse_bool(kAllowRegistration, *v);
    if (const auto v = lookup(env, kAdminEmail)) c.admin_email = std::string(*v);
    if (const auto v = lookup(env, kAdminPassword)) c.admin_password = std::string(*v);
    if (c.admin_email.empty() != c.admin_password.empty()) {
        throw ConfigError(fmt::format("{} and {} must be set together", kAdminEmail, kAdminPassword));
    }
}

}  // namespace

std::chrono::seconds parse_duration(std::string_view key, std::string_view value) {
    std::int64_t unit = 1;
    std::string_view digits = value;
    if (!value.empty()) {
        switch (value.back()) {
            case 's':
                unit = 1;
                break;
            case 'm':
                unit = 60;
                break;
            case 'h':
                unit = 3600;
                break;
            case 'd':
                unit = 86400;
                break;
            default:
                unit = 0;
                break;
        }
        if (unit != 0) digits.remove_suffix(1);
        if (unit == 0) unit = 1;
    }
    std::int64_t n = 0;
    const char* end = digits.data() + digits.size();
    const auto [ptr, ec] = std::from_chars(digits.data(), end, n);
    if (digits.empty() || digits.front() == '-' || ec != std::errc{} || ptr != end || n < 1 ||
        n > kMaxTtlSeconds / unit) {
        throw ConfigError(
            fmt::format("{} must be a positive number of seconds, or a number with s, m, h or d "
                        "(e.g. 900, 15m, 7d; at most 365d), got '{}'",
                        key, value));
    }
    return std::chrono::seconds(n * unit);
}

std::string_view to_string(Environment e) {
    return e == Environment::production ? "production" : "development";
}

std::string ListenAddress::to_string() const {
    if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

ListenAddress parse_listen(std::string_view s) {
    ListenAddress out;
    std::string_view port;
    if (s.starts_with('[')) {
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
            throw ConfigError(fmt::format("{} '{}' must look like [v6-address]:port", kListen, s));
        }
        out.host = std::string(s.substr(1, close - 1));
        port = s.substr(close + 2);
    } else {
        const std::size_t colon = s.rfind(':');
        if (colon == std::string_view::npos) {
            throw ConfigError(fmt::format("{} '{}' must look like host:port", kListen, s));
        }
        out.host = std::string(s.substr(0, colon));
        if (out.host.find(':') != std::string::npos) {
            throw ConfigError(fmt::format("{} '{}': put IPv6 addresses in brackets, e.g. [::1]:3000", kListen, s));
        }
        port = s.substr(colon + 1);
    }
    if (out.host.empty()) throw ConfigError(fmt::format("{} '{}' has no host", kListen, s));
    for (const char c : out.host) {
        if (!is_host_char(c)) throw ConfigError(fmt::format("{} '{}' has an invalid host", kListen, s));
    }
    out.port = parse_port(s, port);
    return out;
}

bool wants_dotenv(const EnvMap& env) {
    const auto e = lookup(env, kEnv);
    return !e || *e == "development";
}

Config load_config(const EnvMap& raw_env, const std::optional<std::string>& dotenv_text) {
    const EnvMap env = merged(raw_env, dotenv_text);
    Config c;
    if (const auto v = lookup(env, kEnv)) c.environment = parse_environment(*v);
    if (const auto v = lookup(env, kDataDir)) {
        if (v->empty()) throw ConfigError(fmt::format("{} must not be empty", kDataDir));
        c.data_dir = std::filesystem::path(std::string(*v));
    }
    c.backup_dir = c.data_dir / "backups";
    if (const auto v = lookup(env, kBackupDir)) {
        if (v->empty()) throw ConfigError(fmt::format("{} must not be empty", kBackupDir));
        c.backup_dir = std::filesystem::path(std::string(*v));
    }
    if (const auto v = lookup(env, kListen)) c.listen = parse_listen(*v);
    if (const auto v = lookup(env, kLogLevel)) {
        const auto level = log::parse_level(*v);
        if (!level) {
            throw ConfigError(fmt::format("{} must be one of trace, debug, info, warn, error, critical, off; got '{}'",
                                          kLogLevel, *v));
        }
        c.log_level = *level;
    }
    if (const auto v = lookup(env, kHttpThreads)) {
        c.http_threads = static_cast<int>(parse_integer(kHttpThreads, *v, 1, 256));
    }
    if (const auto v = lookup(env, kWorkerThreads)) {
        c.worker_threads = static_cast<int>(parse_integer(kWorkerThreads, *v, 1, 256));
    }
    if (const auto v = lookup(env, kCommandThreads)) {
        c.command_threads = static_cast<int>(parse_integer(kCommandThreads, *v, 1, 1024));
    }
    if (const auto v = lookup(env, kViewWaitMs)) {
        c.view_wait = std::chrono::milliseconds(parse_integer(kViewWaitMs, *v, 1, 600'000));
    }
    if (const auto v = lookup(env, kMaxBodyBytes)) {
        c.max_body_bytes = static_cast<std::size_t>(parse_integer(kMaxBodyBytes, *v, 1, std::int64_t{1} << 30));
    }
    if (const auto v = lookup(env, kShutdownGraceMs)) {
        c.shutdown_grace = std::chrono::milliseconds(parse_integer(kShutdownGraceMs, *v, 0, 3'600'000));
    }
    if (const auto v = lookup(env, kReadTimeoutMs)) {
        c.read_timeout = std::chrono::milliseconds(parse_integer(kReadTimeoutMs, *v, 1, 3'600'000));
    }
    if (const auto v = lookup(env, kRequestTimeoutMs)) {
        c.request_timeout = std::chrono::milliseconds(parse_integer(kRequestTimeoutMs, *v, 1, 3'600'000));
    }
    load_auth(env, c);
    try {
        c.edge = load_edge_config(env, c.environment == Environment::production);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(e.what());
    }
    return c;
}

EnvMap process_environment() {
    EnvMap out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view kv(*e);
        const std::size_t eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    return out;
}

}  // namespace codd::api

#pragma once
// Server configuration from the environment (12-factor), as a pure function of the variables and the text
// of the development `.env` file, so every rule here is unit-tested without touching the process.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "api/dotenv.hpp"
#include "api/edge_config.hpp"
#include "api/logging.hpp"

namespace codd::api {

enum class Environment { development, production };

std::string_view to_string(Environment e);

struct ListenAddress {
    std::string host;  // without brackets, e.g. "127.0.0.1" or "::1"
    std::uint16_t port = 0;

    // "host:port", with brackets around IPv6 hosts.
    [[nodiscard]] std::string to_string() const;
};

struct Config {
    std::filesystem::path data_dir = "./data";
    // Where POST /admin/backups writes (each backup a subdirectory); empty: <data_dir>/backups.
    std::filesystem::path backup_dir;
    ListenAddress listen{"127.0.0.1", 3000};
    Environment environment = Environment::development;
    log::Level log_level = log::Level::info;
    int http_threads = 2;
    // Threads for CPU-heavy or blocking work off the io threads (password hashing, waiting for fsync).
    int worker_threads = 2;
    // Threads that run commerce commands and queries: mostly waiting (for the log's fsync, for the orders
    // view), so many; one per concurrent client request keeps the group commit fed.
    int command_threads = 64;
    // How long a command waits for the orders view to apply it, and a query for its min_position.
    std::chrono::milliseconds view_wait{5'000};
    std::size_t max_body_bytes = std::size_t{1} << 20;
    std::chrono::milliseconds shutdown_grace{10'000};
    // How long a connection may take to send one request, and how long an idle keep-alive connection stays.
    std::chrono::milliseconds read_timeout{30'000};
    // How long a handler may take to answer; then the client gets a 503 and the late answer is dropped.
    std::chrono::milliseconds request_timeout{30'000};

    // Auth (DESIGN §7). Secrets are at least 32 bytes; in production both are required. In development an
    // unset secret stays empty here and `codd serve` generates it once into <data dir>/secrets.json.
    std::string jwt_secret;
    std::string jwt_refresh_secret;
    std::chrono::seconds access_token_ttl{15 * 60};
    std::chrono::seconds refresh_token_ttl{7 * 24 * 3600};
    bool allow_registration = false;
    // First start with no users: create this super_admin (both set, or neither).
    std::string admin_email;
    std::string admin_password;

    // Rate limits, trusted proxies, CORS origins, native TLS (edge_config.hpp).
    EdgeConfig edge;
};

inline constexpr std::size_t kMinSecretBytes = 32;
// A secret must also look random: this many distinct characters at least (hex output has 16).
inline constexpr std::size_t kMinSecretDistinctChars = 10;

// A setting is missing its required shape; the message names the variable and the accepted values.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Whether the `.env` file is consulted: only in development, decided by the real environment alone so a
// stray .env on a production host cannot switch the environment back to development.
[[nodiscard]] bool wants_dotenv(const EnvMap& env);

// Builds the configuration. `dotenv_text` is the content of `.env` when it exists (ignored unless
// wants_dotenv(env)); its values never override `env`. Throws ConfigError (also for a malformed .env).
Config load_config(const EnvMap& env, const std::optional<std::string>& dotenv_text);

// A lifetime: whole seconds ("900") or a number with a unit s, m, h or d ("15m", "7d"). Throws ConfigError.
std::chrono::seconds parse_duration(std::string_view key, std::string_view value);

// "host:port" or "[v6]:port"; port 0 asks for an ephemeral port. Throws ConfigError.
ListenAddress parse_listen(std::string_view s);

// The process environment as a map.
EnvMap process_environment();

}  // namespace codd::api

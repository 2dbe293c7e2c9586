// The composition root of `codd serve`: configuration, logging, the event log, the HTTP server. Everything
// is built here and handed down through constructors, and stopped in the reverse order.

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "api/config.hpp"
#include "api/dev_secrets.hpp"
#include "api/dispatcher.hpp"
#include "api/health.hpp"
#include "api/http_server.hpp"
#include "api/logging.hpp"
#include "api/router.hpp"
#include "api/version.hpp"
#include "api/worker_pool.hpp"
#include "engine/event_log.hpp"
#include "tools/commands.hpp"
#include "tools/signals.hpp"

namespace codd::tools {
namespace {

namespace log = api::log;

// The text of ./.env, or nullopt when there is none.
std::optional<std::string> read_dotenv() {
    const std::filesystem::path path = ".env";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) throw api::ConfigError("cannot read .env in the working directory");
    return text.str();
}

std::optional<api::Config> configure() {
    try {
        const api::EnvMap env = api::process_environment();
        return api::load_config(env, api::wants_dotenv(env) ? read_dotenv() : std::nullopt);
    } catch (const api::ConfigError& e) {
        fmt::print(stderr, "codd serve: configuration error: {}\n", e.what());
        return std::nullopt;
    }
}

// Development without CODD_JWT_*: secrets generated once into the data directory (production never gets
// here: configuration refuses to load without them). Never logs the values.
bool fill_dev_secrets(api::Config& config) {
    if (!config.jwt_secret.empty() && !config.jwt_refresh_secret.empty()) return true;
    try {
        const api::StoredSecrets stored = api::load_or_create_dev_secrets(config.data_dir);
        if (config.jwt_secret.empty()) config.jwt_secret = stored.secrets.access;
        if (config.jwt_refresh_secret.empty()) config.jwt_refresh_secret = stored.secrets.refresh;
        log::info(stored.created ? "generated development JWT secrets" : "using development JWT secrets",
                  {{"file", (config.data_dir / "secrets.json").string()}});
        if (config.jwt_secret == config.jwt_refresh_secret) {
            throw api::ConfigError("CODD_JWT_SECRET and CODD_JWT_REFRESH_SECRET must be different secrets");
        }
        return true;
    } catch (const std::exception& e) {
        log::error("cannot set up development JWT secrets", {{"error", e.what()}});
        return false;
    }
}

std::unique_ptr<engine::EventLog> open_log(const api::Config& config, std::shared_ptr<engine::Clock> clock,
                                           std::shared_ptr<engine::IdGenerator> ids) {
    std::filesystem::create_directories(config.data_dir);
    engine::LogOptions options;
    options.dir = config.data_dir / "log";
    options.clock = std::move(clock);
    options.ids = std::move(ids);
    return engine::EventLog::open(std::move(options));
}

api::Router make_router(const engine::EventLog& log, const api::Config& config, std::shared_ptr<engine::Clock> clock) {
    api::Router router;
    api::add_health_routes(router, {&log, std::move(clock), config.environment, std::chrono::steady_clock::now()});
    api::add_index_route(router);
    return router;
}

}  // namespace

int run_serve() {
    ShutdownSignals signals;  // first: every thread started below inherits the blocked mask
    std::optional<api::Config> config = configure();
    if (!config) return kExitUsage;
    log::init(config->log_level);
    log::info("starting", {{"version", api::version()},
                           {"environment", api::to_string(config->environment)},
                           {"data_dir", config->data_dir.string()},
                           {"http_threads", config->http_threads},
                           {"worker_threads", config->worker_threads}});

    if (!fill_dev_secrets(*config)) return kExitUsage;

    const auto clock = engine::system_clock();
    const auto ids = engine::random_ids();
    std::unique_ptr<engine::EventLog> event_log;
    try {
        event_log = open_log(*config, clock, ids);
    } catch (const std::exception& e) {
        log::error("cannot open the event log", {{"data_dir", config->data_dir.string()}, {"error", e.what()}});
        return kExitFailure;
    }

    // Queued jobs hold responders into the server's connections: the pool is drained after the server stops
    // taking requests and before the server is destroyed.
    api::WorkerPool workers(config->worker_threads);
    api::HttpServer server({config->listen, config->http_threads, config->max_body_bytes, config->read_timeout},
                           api::Dispatcher(make_router(*event_log, *config, clock), ids));
    try {
        server.start();
    } catch (const std::exception& e) {
        log::error("cannot start the HTTP server", {{"error", e.what()}});
        workers.stop();
        event_log->close();
        return kExitFailure;
    }
    const std::string listen = server.local_address().to_string();
    log::info(fmt::format("listening on {}", listen), {{"listen", listen}});

    const int sig = signals.wait();
    log::info("shutting down", {{"signal", signal_name(sig)}, {"grace_ms", config->shutdown_grace.count()}});
    if (const std::size_t cut = server.stop(config->shutdown_grace); cut > 0) {
        log::warn("connections cut after the shutdown grace period", {{"connections", cut}});
    }
    workers.stop();  // queued jobs finish (they may still append) before the log closes
    event_log->close();
    log::info("stopped", {{"head", event_log->head().value()}});
    return kExitOk;
}

}  // namespace codd::tools

// The composition root of `codd serve`: configuration, logging, the event log, the HTTP server. Everything
// is built here and handed down through constructors, and stopped in the reverse order.

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "api/commerce.hpp"
#include "api/config.hpp"
#include "api/dev_secrets.hpp"
#include "api/dispatcher.hpp"
#include "api/edge.hpp"
#include "api/edge_mask.hpp"
#include "api/health.hpp"
#include "api/http_server.hpp"
#include "api/identity.hpp"
#include "api/logging.hpp"
#include "api/openapi.hpp"
#include "api/router.hpp"
#include "api/version.hpp"
#include "api/worker_pool.hpp"
#include "engine/allocator.hpp"
#include "engine/catalog/catalog_service.hpp"
#include "engine/catalog/stock_book.hpp"
#include "engine/customers/customer_service.hpp"
#include "engine/event_log.hpp"
#include "engine/orders/order_service.hpp"
#include "engine/users/bootstrap.hpp"
#include "engine/users/password.hpp"
#include "projections/orders_view.hpp"
#include "projections/runner.hpp"
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
        say("codd serve: configuration error: {}\n", e.what());
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

// First start with no users and CODD_ADMIN_EMAIL/CODD_ADMIN_PASSWORD: create the super_admin.
bool bootstrap_admin(engine::users::UserService& users, const api::Config& config) {
    if (config.admin_email.empty() || users.user_count() > 0) return true;
    engine::EventMetadata meta;
    meta.actor = {"system", "bootstrap"};
    const auto created = engine::users::ensure_first_admin(users, config.admin_email, config.admin_password, meta);
    if (const auto* r = std::get_if<engine::users::Rejection>(&created)) {
        if (r->kind == engine::users::Rejection::Kind::conflict && users.user_count() > 0) return true;
        log::error("cannot create the first admin from CODD_ADMIN_EMAIL/CODD_ADMIN_PASSWORD",
                   {{"field", r->field}, {"error", r->message}});
        return false;
    }
    const auto& admin = std::get<engine::users::User>(created);
    log::info("created the first admin", {{"email", api::mask_email(admin.email)}, {"user_id", admin.id}});
    return true;
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

// The edge's shared state: the login handler takes the limiter for its per-email limit.
struct EdgeParts {
    std::shared_ptr<api::RateLimiter> limiter;
    std::shared_ptr<api::HttpMetrics> metrics;
};

EdgeParts make_edge_parts(const api::Config& config) {
    return {std::make_shared<api::RateLimiter>(config.edge.rate_limits), std::make_shared<api::HttpMetrics>()};
}

std::shared_ptr<const api::Edge> make_edge(const api::Config& config, const EdgeParts& parts) {
    const api::EdgeConfig& e = config.edge;
    log::info("edge", {{"rate_limit_auth", api::to_string(e.rate_limits[0])},
                       {"rate_limit_writes", api::to_string(e.rate_limits[1])},
                       {"rate_limit_public", api::to_string(e.rate_limits[2])},
                       {"rate_limit_webhooks", api::to_string(e.rate_limits[3])},
                       {"trusted_proxies", !e.trusted_proxies.empty()},
                       {"admin_origin", e.cors.admin_origin.value_or("")},
                       {"public_origins", e.cors.public_origins.size()}});
    return std::make_shared<const api::Edge>(api::EdgeOptions{config.environment == api::Environment::production,
                                                              e.trusted_proxies, api::CorsPolicy(e.cors), parts.limiter,
                                                              parts.metrics});
}

// The write side of the commerce domain and the orders view that serves its reads, built and stopped
// together: the runner subscribes to the log, the services append to it.
struct Commerce {
    std::shared_ptr<engine::catalog::StockBook> stock;
    std::unique_ptr<engine::catalog::CatalogService> catalog;
    std::unique_ptr<engine::customers::CustomerService> customers;
    std::unique_ptr<engine::orders::OrderService> orders;
    projections::OrdersView view;
    std::unique_ptr<projections::ProjectionRunner> runner;
    std::unique_ptr<projections::ReaderPool> readers;
    std::unique_ptr<projections::OrdersQueries> queries;
};

// Opens the orders view (data/views/orders.sqlite; created and brought up to date from the log) and the
// services. Throws when the view cannot be opened or migrated.
std::unique_ptr<Commerce> open_commerce(engine::EventLog& log, const api::Config& config,
                                        std::shared_ptr<engine::Clock> clock, const engine::users::UserService& users) {
    auto c = std::make_unique<Commerce>();
    c->stock = std::make_shared<engine::catalog::StockBook>(log, clock);
    c->catalog = std::make_unique<engine::catalog::CatalogService>(log, clock, c->stock);
    c->customers = std::make_unique<engine::customers::CustomerService>(log, clock);
    c->orders = std::make_unique<engine::orders::OrderService>(log, clock, *c->stock, *c->customers, users);
    const std::filesystem::path views = config.data_dir / "views";
    std::filesystem::create_directories(views);
    projections::RunnerOptions options;
    options.clock = clock;
    c->runner = std::make_unique<projections::ProjectionRunner>(log, views / "orders.sqlite", c->view, options);
    // Every query holds a connection only while it runs; more than a few per core only queue in SQLite.
    c->readers = std::make_unique<projections::ReaderPool>(
        c->runner->file(), static_cast<std::size_t>(std::clamp(config.command_threads, 2, 16)));
    c->queries = std::make_unique<projections::OrdersQueries>(*c->readers);
    return c;
}

api::Router make_router(const engine::EventLog& log, const api::Config& config, std::shared_ptr<engine::Clock> clock,
                        const EdgeParts& edge, const api::Identity& identity, const api::Commerce& commerce) {
    api::Router router;
    api::add_health_routes(
        router,
        {&log, std::move(clock), config.environment, std::chrono::steady_clock::now(), {{"orders", &commerce.view}}});
    api::add_metrics_route(router, edge.metrics, &log, edge.limiter, {{"orders", &commerce.view}});
    api::add_auth_routes(router, identity);
    api::add_user_routes(router, identity);
    api::add_order_routes(router, commerce);
    api::add_delivery_routes(router, commerce);
    api::add_customer_routes(router, commerce);
    api::add_product_routes(router, commerce);
    api::add_financial_routes(router, commerce);
    api::add_performance_routes(router, commerce);
    api::add_view_routes(router, commerce);
    api::add_openapi_route(router, identity);
    api::add_index_route(router);
    return router;
}

}  // namespace

int run_serve() {
    ShutdownSignals signals;  // first: every thread started below inherits the blocked mask
    std::optional<api::Config> config = configure();
    if (!config) return kExitUsage;
    hint_on_abort(fmt::format(
        "codd serve: aborted. If the line above is an assertion in RocksDB's code, a file of the event log is "
        "damaged: stop here, run `codd verify --data-dir {}`, and restore the log from a backup (ops/RUNBOOK.md).\n",
        config->data_dir.string()));
    log::init(config->log_level);
    log::info("starting", {{"version", api::version()},
                           {"environment", api::to_string(config->environment)},
                           {"data_dir", config->data_dir.string()},
                           {"http_threads", config->http_threads},
                           {"worker_threads", config->worker_threads},
                           {"allocator", engine::allocator_name()}});

    // The log first: a directory whose log cannot be opened (damaged, another program's) gets nothing written.
    const auto clock = engine::system_clock();
    const auto ids = engine::random_ids();
    std::unique_ptr<engine::EventLog> event_log;
    try {
        event_log = open_log(*config, clock, ids);
    } catch (const std::exception& e) {
        log::error("cannot open the event log", {{"data_dir", config->data_dir.string()}, {"error", e.what()}});
        return kExitFailure;
    }
    if (!fill_dev_secrets(*config)) {
        event_log->close();
        return kExitUsage;
    }

    // The identity directory is rebuilt from the log before the first request.
    std::unique_ptr<engine::users::UserService> users;
    try {
        users = std::make_unique<engine::users::UserService>(*event_log, clock, ids);
    } catch (const std::exception& e) {
        log::error("cannot load users from the event log", {{"error", e.what()}});
        event_log->close();
        return kExitFailure;
    }
    // The view first: one ahead of the log (a log that lost events) stops the server before anything is appended.
    std::unique_ptr<Commerce> commerce;
    try {
        commerce = open_commerce(*event_log, *config, clock, *users);
    } catch (const std::exception& e) {
        log::error("cannot open the orders view", {{"error", e.what()}});
        event_log->close();
        return kExitFailure;
    }
    if (!bootstrap_admin(*users, *config)) {
        commerce->runner->stop();
        event_log->close();
        return kExitUsage;
    }
    const api::TokenService tokens(
        {config->jwt_secret, config->jwt_refresh_secret, config->access_token_ttl, config->refresh_token_ttl}, clock,
        ids);

    // Queued jobs hold responders into the server's connections: the pool is drained after the server stops
    // taking requests and before the server is destroyed.
    api::WorkerPool workers(config->worker_threads);
    api::WorkerPool command_workers(config->command_threads, "codd-command");
    const EdgeParts edge = make_edge_parts(*config);
    // A user's open orders, counted once the orders view has applied every append before the call.
    auto open_orders = [&queries = *commerce->queries, &runner = *commerce->runner, &log = *event_log,
                        wait = config->view_wait](engine::users::UserId user) -> std::optional<std::int64_t> {
        if (!runner.wait_for(log.head(), wait)) return std::nullopt;
        return queries.open_orders_of(user);
    };
    const api::Identity identity{
        *users,
        tokens,
        workers,
        config->allow_registration,
        engine::users::hash_password(api::random_secret(24)),
        edge.limiter,
        std::make_shared<api::PermissionsJsonCache>(),
        open_orders,
        [&orders = *commerce->orders](engine::users::UserId user) {
            return orders.agent_cash(user).cash_in_hand().minor;
        },
        [&log = *event_log] { return log.head().value(); },
    };
    api::KeysInFlight keys_in_flight;
    const api::Commerce commerce_api{identity,
                                     command_workers,
                                     *commerce->catalog,
                                     *commerce->customers,
                                     *commerce->orders,
                                     *event_log,
                                     *commerce->queries,
                                     *commerce->runner,
                                     *clock,
                                     config->view_wait,
                                     config->backup_dir,
                                     keys_in_flight};
    api::HttpServer server({config->listen, config->http_threads, config->max_body_bytes, config->read_timeout,
                            config->request_timeout, config->edge.tls},
                           api::Dispatcher(make_router(*event_log, *config, clock, edge, identity, commerce_api), ids,
                                           make_edge(*config, edge)));
    const auto stop_all = [&] {
        // Queued jobs finish (they may still append) before the view stops and the log closes.
        command_workers.stop();
        workers.stop();
        commerce->runner->stop();
        event_log->close();
    };
    try {
        server.start();
    } catch (const std::exception& e) {
        log::error("cannot start the HTTP server", {{"error", e.what()}});
        stop_all();
        return kExitFailure;
    }
    const std::string listen = server.local_address().to_string();
    log::info(fmt::format("listening on {}", listen), {{"listen", listen}, {"tls", config->edge.tls.has_value()}});

    const int sig = signals.wait();
    log::info("shutting down", {{"signal", signal_name(sig)}, {"grace_ms", config->shutdown_grace.count()}});
    if (const std::size_t cut = server.stop(config->shutdown_grace); cut > 0) {
        log::warn("connections cut after the shutdown grace period", {{"connections", cut}});
    }
    stop_all();
    log::info("stopped", {{"head", event_log->head().value()}});
    return kExitOk;
}

}  // namespace codd::tools

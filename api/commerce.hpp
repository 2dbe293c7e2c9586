#pragma once
// The commerce API: orders, deliveries, customers, products and financial (reference §2, §14 rows 7-22 and
// 47-49; DESIGN §5 and §7). Commands go to the engine's services; reads come from the orders view.
//
// Read-your-writes: a command answers only after the orders view has applied its events, with the
// position of its last event in X-Codd-Position, and reads its answer (the full order, customer, product)
// from the view. A query with `min_position` (query parameter) or `X-Codd-Min-Position` (header) waits,
// bounded, until the view has reached that position, and answers 503 if it does not in time.
//
// Threads: every handler runs on the worker pool (commands wait for the log's fsync and the view; queries
// hold a SQLite reader), never on an io thread, but one: the common POST /orders is decided on the io thread and
// answered by the log's and the view's threads without waiting (order_routes.cpp, create_without_waiting).

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "api/identity.hpp"
#include "api/router.hpp"

namespace codd::engine {
class Clock;
class EventLog;
}  // namespace codd::engine
namespace codd::engine::catalog {
class CatalogService;
}
namespace codd::engine::customers {
class CustomerService;
}
namespace codd::engine::orders {
class OrderService;
}
namespace codd::projections {
class OrdersQueries;
class ProjectionRunner;
}  // namespace codd::projections

namespace codd::api {

// Shared by every commerce handler; outlives the server's requests.
// The Idempotency-Keys (command ids) of the commands running now. A request whose key is in flight is answered
// 409 at once (IETF httpapi Idempotency-Key): two requests under one key never run together, so the second one
// finds the first's command record, and a key reused for another request is refused before it changes anything.
class KeysInFlight {
  public:
    // The claim on `command_id`, held until the returned pointer's last copy goes; nullptr when it is held.
    [[nodiscard]] std::shared_ptr<const void> claim(const std::string& command_id);

  private:
    std::mutex mu_;
    std::unordered_set<std::string> held_;
};

struct Commerce {
    const Identity& identity;
    // Runs the commerce handlers (sized by CODD_COMMAND_THREADS; all but the common POST /orders): separate from
    // the identity pool, whose few threads hash passwords.
    WorkerPool& workers;
    engine::catalog::CatalogService& catalog;
    engine::customers::CustomerService& customers;
    engine::orders::OrderService& orders;
    // For head(): the position to wait for after a catalog or customer command, whose services return the
    // entity without its position (the head is at or after the command's last event).
    const engine::EventLog& log;
    const projections::OrdersQueries& queries;
    projections::ProjectionRunner& view;  // waits (read-your-writes) and the online rebuild
    const engine::Clock& clock;           // "this month" of the rollups' monthly earnings
    // How long a command waits for the view to apply it (then 202), and a query for its min_position (then 503).
    std::chrono::milliseconds view_wait{std::chrono::seconds(5)};
    std::filesystem::path backup_dir{};  // where POST /admin/backups writes
    KeysInFlight& keys_in_flight;
};

void add_order_routes(Router& router, const Commerce& commerce);
void add_delivery_routes(Router& router, const Commerce& commerce);
void add_customer_routes(Router& router, const Commerce& commerce);
void add_product_routes(Router& router, const Commerce& commerce);
void add_financial_routes(Router& router, const Commerce& commerce);
// /users/reps/workload, /users/reps/performance, /users/agents/performance: read from the orders view.
void add_performance_routes(Router& router, const Commerce& commerce);
// POST /admin/views/orders/rebuild (super_admin): rebuilds the orders view from the log while it serves.
void add_view_routes(Router& router, const Commerce& commerce);

}  // namespace codd::api

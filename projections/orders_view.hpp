#pragma once
// The orders view (DESIGN §5): orders with their items and the customer, rep and agent names denormalized;
// products; customers with lifetime orders and spend; delivery; COD transactions and collections; deposits
// and expenses; and each order's history for auditors. Fed by the user, catalog, customer and order events
// (engine/orders/order_events.hpp is the contract); read by OrdersQueries.
//
// Queries answer with JSON text in the shapes the admin UI reads (reference §14, the raw order shape):
// money as decimal numbers (minor units / 100), times as ISO-8601 UTC strings ("2026-11-25T10:00:00.000Z"),
// ids as numbers. Building the JSON inside SQLite (json_object / json_group_array) keeps a page of 50 orders
// one query per table.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "projections/projection.hpp"

namespace codd::projections {

// "YYYY-MM", the calendar month (UTC) of a time in microseconds since the Unix epoch.
std::string utc_month(std::int64_t time_us);

class OrdersView final : public Projection {
  public:
    [[nodiscard]] std::string name() const override { return "orders"; }
    [[nodiscard]] std::vector<Migration> migrations() const override;
    [[nodiscard]] std::vector<ViewTable> tables() const override;
    [[nodiscard]] std::vector<std::string> query_indexes() const override;
    void apply(Transaction& tx, std::span<const RecordedEvent> events) override;
    void derive_after_load(Database& db) override;
};

struct Page {
    std::int64_t page = 1;    // 1-based
    std::int64_t limit = 50;  // 1..100
};

struct Pagination {
    std::int64_t page = 1, limit = 50, total = 0, pages = 0;  // pages = ceil(total / limit)
};

// A JSON array text and its pagination.
struct PageResult {
    std::string items_json;  // "[...]"
    Pagination pagination;
};

// scheduled_asc: by the delivery's scheduled time, earliest first, unscheduled last (the deliveries list).
enum class OrderSort { created_desc, created_asc, total_desc, total_asc, priority_desc, updated_desc, scheduled_asc };

struct OrderFilter {
    std::vector<std::string> statuses;  // any of (empty: all); values already validated
    std::optional<std::int64_t> customer_id, customer_rep_id, delivery_agent_id;
    std::optional<std::string> area;              // delivery area, exact (case-insensitive)
    std::optional<std::int64_t> created_from_us;  // inclusive
    std::optional<std::int64_t> created_to_us;    // inclusive
    std::optional<std::string> payment_status;
    // Orders whose delivery is scheduled in [scheduled_from_us, scheduled_to_us) (a route's day).
    std::optional<std::int64_t> scheduled_from_us, scheduled_to_us;
    // Order id when all digits, otherwise a (normalized) phone prefix or a case-insensitive substring of the
    // customer's first or last name. Any text is safe here (bound parameters, LIKE metacharacters escaped).
    std::optional<std::string> search;
    OrderSort sort = OrderSort::created_desc;
};

struct CustomerFilter {
    std::optional<std::string> search;  // first/last name, phone, email
    std::optional<std::string> area;
    bool include_inactive = false;
};

struct ProductFilter {
    std::optional<std::string> search;  // name or sku
    std::optional<std::string> category;
    std::optional<bool> is_active;
};

struct TransactionFilter {
    std::optional<std::string> type;    // cod_collection
    std::optional<std::string> status;  // payment status
    std::optional<std::int64_t> agent_id;
    std::optional<std::int64_t> from_us, to_us;
};

// Read-only queries over a view file. Thread-safe: each call leases a connection from the pool.
class OrdersQueries {
  public:
    explicit OrdersQueries(ReaderPool& pool);

    // {orders} items: the raw order shape with customer{id,firstName,lastName,email,phoneNumber,
    // alternatePhone}, customerRep{id,firstName,lastName}|null, deliveryAgent{...}|null,
    // orderItems[{id,orderId,productId,quantity,unitPrice,totalPrice,itemType,metadata,product{id,name,sku}}].
    [[nodiscard]] PageResult list_orders(const OrderFilter& f, const Page& p) const;
    // The list shape plus history[] (newest first: {id,status,notes,changedBy,metadata,createdAt}),
    // delivery{...}|null, transaction{...}|null, and `version` (the order stream's version, for If-Match).
    [[nodiscard]] std::optional<std::string> order_json(std::int64_t order_id) const;
    // order_json with the version apart (the detail's ETag), read in the same statement.
    struct OrderDetail {
        std::int64_t version = 0;
        std::string json;
    };
    [[nodiscard]] std::optional<OrderDetail> order_detail(std::int64_t order_id) const;
    // The list shape plus `version`: what a command answers with (the admin UI replaces its list row with it),
    // without the history, delivery and transaction the detail adds.
    [[nodiscard]] std::optional<std::string> order_summary_json(std::int64_t order_id) const;
    // Its version and assignment, for scoping and If-Match checks without building the JSON.
    struct OrderRef {
        std::int64_t version = -1;
        std::optional<std::int64_t> customer_rep_id, delivery_agent_id;
    };
    [[nodiscard]] std::optional<OrderRef> order_ref(std::int64_t order_id) const;
    // How many orders have `user_id` as their rep or agent and are still open: not delivered, cancelled or
    // returned (reference §2: such a user cannot be deactivated). An order with the user as both counts twice.
    [[nodiscard]] std::int64_t open_orders_of(std::int64_t user_id) const;
    // {<status>: [orders...]} for all 9 statuses, each ordered by `sort` (by default priority desc, created
    // desc); at most `per_status` orders per status. With `f.statuses`, the other columns are empty.
    [[nodiscard]] std::string kanban_json(const OrderFilter& f, std::int64_t per_status,
                                          OrderSort sort = OrderSort::priority_desc) const;
    // {totalOrders, ordersByStatus{<status>: n}, totalRevenue (delivered totals), avgOrderValue}
    [[nodiscard]] std::string stats_json(const OrderFilter& f) const;
    // Every event of the order, oldest first: {position, type, time, actor{id,name,role}, requestId,
    // changes{...}} where changes is what the event changed (its payload without orderId).
    [[nodiscard]] std::optional<std::string> history_json(std::int64_t order_id) const;
    // The query plans (EXPLAIN QUERY PLAN, one step a line) of list_orders' count and page for `f`: for tests
    // and diagnostics that the hot lists use an index.
    [[nodiscard]] std::string explain_list_orders(const OrderFilter& f) const;
    // The plan of one kanban column (delivered) for `f`.
    [[nodiscard]] std::string explain_kanban(const OrderFilter& f, OrderSort sort = OrderSort::priority_desc) const;

    [[nodiscard]] PageResult list_customers(const CustomerFilter& f, const Page& p) const;
    // The customer shape {id,firstName,lastName,email,phoneNumber,alternatePhone,address,state,area,landmark,
    // tags,notes,totalOrders,totalSpent,isActive,createdAt,updatedAt}.
    [[nodiscard]] std::optional<std::string> customer_json(std::int64_t customer_id) const;
    // {totalOrders, totalSpent, averageOrderValue, ordersByStatus, firstOrderDate, lastOrderDate}. The totals are
    // the customer's lifetime counters (as on the customer); ordersByStatus and the dates count only the orders
    // of `rep_id` and of `agent_id` when given (a sales rep or delivery agent sees only their own orders).
    [[nodiscard]] std::optional<std::string> customer_analytics_json(std::int64_t customer_id,
                                                                     std::optional<std::int64_t> rep_id = {},
                                                                     std::optional<std::int64_t> agent_id = {}) const;

    // The product shape {id,sku,name,description,category,price,costPrice,stockQuantity,stock,reserved,
    // available,lowStockThreshold,imageUrl,weight,dimensions,isActive,createdAt,updatedAt}.
    [[nodiscard]] PageResult list_products(const ProductFilter& f, const Page& p) const;
    [[nodiscard]] std::optional<std::string> product_json(std::int64_t product_id) const;
    // Active products whose units left to sell (on hand less reserved: `available`) are at or below their
    // threshold, fewest first. The replaced system took stock off at order creation, so its stockQuantity was
    // what codd calls available.
    [[nodiscard]] std::string low_stock_json() const;

    // Transactions (one cod_collection per delivered order): {id,orderId,type,amount,paymentMethod,status,
    // reference,agentId,depositId,createdAt,updatedAt,order{id,orderNumber,status,paymentStatus,totalAmount,
    // codAmount,deliveryAddress,deliveryArea,customerId,deliveryAgentId,customer{id,firstName,lastName,
    // phoneNumber},deliveryAgent{id,firstName,lastName}}}.
    [[nodiscard]] PageResult list_transactions(const TransactionFilter& f, const Page& p) const;
    // {totalRevenue, totalExpenses, profit, codCollected, codPending, profitMargin}: revenue = collected COD
    // (any payment status past pending), codCollected = collected + deposited + reconciled, codPending =
    // totals of orders out for delivery not yet collected; profitMargin in percent, 0 when no revenue.
    [[nodiscard]] std::string financial_summary_json(std::optional<std::int64_t> from_us,
                                                     std::optional<std::int64_t> to_us) const;
    // [{date, revenue, expenses, profit, orders}] per day ("YYYY-MM-DD") or month ("YYYY-MM").
    [[nodiscard]] std::string financial_report_json(bool monthly, std::optional<std::int64_t> from_us,
                                                    std::optional<std::int64_t> to_us) const;
    // Per agent: {agentId, agentName, collected, deposited, cashInHand, openCollections, oldestOpenAt}.
    [[nodiscard]] std::string agent_balances_json() const;

    // /users/reps/workload and performance, /users/agents/performance (reference §2 users). monthlyEarnings
    // counts the orders delivered in `month` ("YYYY-MM", UTC: utc_month of the caller's clock).
    [[nodiscard]] std::string rep_performance_json(std::string_view month) const;
    [[nodiscard]] std::string agent_performance_json(std::string_view month) const;

  private:
    ReaderPool& pool_;
};

}  // namespace codd::projections

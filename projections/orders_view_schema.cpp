// The orders view's schema. Money in integer minor units, times in microseconds since the epoch (from event
// times, never the clock), JSON columns (tags, metadata, dimensions) as JSON text.
#include "projections/orders_view.hpp"

namespace codd::projections {

namespace {

// Version 1. Every list filter and sort of OrdersQueries has an index whose trailing created_us (and the
// implicit rowid = order id) gives the default order "created desc, id desc" without a sort.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    role TEXT NOT NULL,
    is_active INTEGER NOT NULL,
    is_available INTEGER NOT NULL,
    commission_minor INTEGER,
    delivery_rate_minor INTEGER,
    country TEXT NOT NULL,
    vehicle_type TEXT NOT NULL,
    vehicle_id TEXT NOT NULL,
    location TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX users_role ON users (role, is_active);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    alternate_phone TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    area TEXT NOT NULL,
    landmark TEXT NOT NULL,
    tags TEXT NOT NULL,
    notes TEXT NOT NULL,
    is_active INTEGER NOT NULL,
    total_orders INTEGER NOT NULL DEFAULT 0,
    total_spent INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX customers_phone ON customers (phone_number);
CREATE INDEX customers_created ON customers (created_us);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    price INTEGER NOT NULL,
    cost_price INTEGER NOT NULL,
    stock INTEGER NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0,
    low_stock_threshold INTEGER NOT NULL,
    image_url TEXT NOT NULL,
    weight REAL,
    dimensions TEXT,
    is_active INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX products_created ON products (created_us);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    customer_first_name TEXT NOT NULL,
    customer_last_name TEXT NOT NULL,
    customer_phone TEXT NOT NULL,
    customer_rep_id INTEGER,
    rep_first_name TEXT,
    rep_last_name TEXT,
    delivery_agent_id INTEGER,
    agent_first_name TEXT,
    agent_last_name TEXT,
    created_by INTEGER,
    status TEXT NOT NULL,
    payment_status TEXT NOT NULL,
    subtotal INTEGER NOT NULL,
    shipping_cost INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    total_amount INTEGER NOT NULL,
    cod_amount INTEGER NOT NULL,
    notes TEXT,
    internal_notes TEXT,
    delivery_address TEXT NOT NULL,
    delivery_state TEXT NOT NULL,
    delivery_area TEXT NOT NULL,
    estimated_delivery_us INTEGER,
    priority INTEGER NOT NULL,
    tags TEXT NOT NULL,
    source TEXT NOT NULL,
    external_order_id TEXT,
    deposit_id INTEGER,
    delivered_us INTEGER,
    version INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX orders_created ON orders (created_us);
CREATE INDEX orders_status_created ON orders (status, created_us);
CREATE INDEX orders_rep_created ON orders (customer_rep_id, created_us);
CREATE INDEX orders_agent_created ON orders (delivery_agent_id, created_us);
CREATE INDEX orders_customer_created ON orders (customer_id, created_us);
CREATE INDEX orders_area_created ON orders (delivery_area COLLATE NOCASE, created_us);
CREATE INDEX orders_payment_created ON orders (payment_status, created_us);

-- Rollups per sales rep (role 'rep') and delivery agent (role 'agent') of the orders assigned to them now:
-- by current status, and delivered ones by the month of their delivery (orders.delivered_us), so workload
-- and performance never scan the orders.
CREATE TABLE user_status_counts (
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    orders INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (user_id, role, status)
) WITHOUT ROWID;

CREATE TABLE user_delivered_months (
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    month TEXT NOT NULL,
    orders INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (user_id, role, month)
) WITHOUT ROWID;

CREATE TABLE order_items (
    order_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    total_price INTEGER NOT NULL,
    item_type TEXT NOT NULL,
    metadata TEXT,
    PRIMARY KEY (order_id, item_id)
) WITHOUT ROWID;

-- One row per event of an order's stream, for auditors: who (the event's metadata; the name is the user's
-- current one, joined when read), when, what (the payload as recorded).
CREATE TABLE order_history (
    order_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL,
    type TEXT NOT NULL,
    time_us INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    request_id TEXT NOT NULL,
    status TEXT NOT NULL,
    notes TEXT,
    payload TEXT NOT NULL,
    PRIMARY KEY (order_id, version)
) WITHOUT ROWID;

CREATE TABLE deliveries (
    order_id INTEGER PRIMARY KEY,
    agent_id INTEGER,
    scheduled_us INTEGER,
    delivered_us INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    proof_type TEXT,
    proof_data TEXT,
    proof_image_url TEXT,
    recipient_name TEXT,
    recipient_phone TEXT,
    notes TEXT,
    failure_reason TEXT,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX deliveries_agent ON deliveries (agent_id, scheduled_us);

-- One cod_collection per delivered order. open_amount: what the agent still holds of it (deposits are
-- allocated to the oldest open collections first and may cover one partly).
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL UNIQUE,
    type TEXT NOT NULL,
    amount INTEGER NOT NULL,
    payment_method TEXT NOT NULL,
    status TEXT NOT NULL,
    reference TEXT,
    agent_id INTEGER NOT NULL,
    deposit_id INTEGER,
    open_amount INTEGER NOT NULL,
    collected_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX transactions_created ON transactions (created_us);
CREATE INDEX transactions_status_created ON transactions (status, created_us);
CREATE INDEX transactions_agent_created ON transactions (agent_id, created_us);

CREATE TABLE agent_cash (
    agent_id INTEGER PRIMARY KEY,
    collected INTEGER NOT NULL,
    deposited INTEGER NOT NULL,
    updated_us INTEGER NOT NULL
);

CREATE TABLE deposits (
    id INTEGER PRIMARY KEY,
    agent_id INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    reference TEXT NOT NULL,
    notes TEXT NOT NULL,
    recorded_by INTEGER,
    allocations TEXT NOT NULL,
    status TEXT NOT NULL,
    reconciled_by INTEGER,
    reconcile_notes TEXT,
    created_us INTEGER NOT NULL,
    reconciled_us INTEGER
);

CREATE TABLE expenses (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    amount INTEGER NOT NULL,
    description TEXT NOT NULL,
    receipt_url TEXT,
    expense_date_us INTEGER NOT NULL,
    recorded_by INTEGER,
    created_us INTEGER NOT NULL
);
CREATE INDEX expenses_date ON expenses (expense_date_us);
)sql";

// Version 2. Orders per status and UTC day of creation (created_us / 86,400,000,000): the total of a list by
// statuses and a creation range counts the range's whole days here and only its first and last day in the
// orders (a 30-day list of delivered orders counted ~45,000 entries of orders_status_created at 1M orders).
// A count that reaches 0 is deleted, so the rows are those a GROUP BY over orders gives, whether the file was
// built by events from the start or migrated here from version 1.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE order_day_counts (
    status TEXT NOT NULL,
    day INTEGER NOT NULL,
    orders INTEGER NOT NULL,
    PRIMARY KEY (status, day)
) WITHOUT ROWID;
INSERT INTO order_day_counts (status, day, orders)
    SELECT status, created_us / 86400000000, count(*) FROM orders GROUP BY 1, 2;
)sql";

// Applying a deposit stamps its reference on the collections it covers (`WHERE deposit_id = ?`): without an
// index each deposit event scanned the whole transactions table, live and in every rebuild. Partial: only
// deposited collections have one.
// A kanban column is one status ordered by priority, then newest: with (status, created_us) alone SQLite
// sorted every order of the status (~600,000 delivered ones at 1M orders) to return a few.
constexpr const char* kSchemaV3 = R"sql(
CREATE INDEX transactions_deposit ON transactions (deposit_id) WHERE deposit_id IS NOT NULL;
CREATE INDEX orders_status_priority ON orders (status, priority, created_us);
)sql";

// Version 4. A rep's or agent's rollup row that reaches 0 orders is deleted (as order_day_counts' rows are), so
// the rollups hold exactly the rows a GROUP BY over the orders gives, which is how a rebuild computes them.
// Readers coalesce a missing row to 0, as they did a row at 0.
constexpr const char* kSchemaV4 = R"sql(
DELETE FROM user_status_counts WHERE orders = 0;
DELETE FROM user_delivered_months WHERE orders = 0;
)sql";

// Version 5. Searching the digits a phone ends with ("4567" finds +233 24 123 4567, as the replaced system's
// "contains" did): each customer keeps their phone reversed, indexed, so an ending is a prefix range there as
// a beginning is on phone_number. Filled for the customers already here by reversing each phone.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE customers ADD COLUMN phone_reversed TEXT NOT NULL DEFAULT '';
WITH RECURSIVE rev(id, rest, acc) AS (
    SELECT id, phone_number, '' FROM customers
    UNION ALL
    SELECT id, substr(rest, 2), substr(rest, 1, 1) || acc FROM rev WHERE rest <> ''
)
UPDATE customers SET phone_reversed = rev.acc FROM rev WHERE rev.id = customers.id AND rev.rest = '';
CREATE INDEX customers_phone_reversed ON customers (phone_reversed);
)sql";

}  // namespace

std::vector<Migration> OrdersView::migrations() const {
    return {{1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}, {4, kSchemaV4}, {5, kSchemaV5}};
}

std::vector<ViewTable> OrdersView::tables() const {
    return {
        {"users", "id"},
        {"customers", "id"},
        {"products", "id"},
        {"orders", "id"},
        {"user_status_counts", "user_id, role, status"},
        {"user_delivered_months", "user_id, role, month"},
        {"order_items", "order_id, item_id"},
        {"order_history", "order_id, version"},
        {"order_day_counts", "status, day"},
        {"deliveries", "order_id"},
        {"transactions", "id"},
        {"agent_cash", "agent_id"},
        {"deposits", "id"},
        {"expenses", "id"},
    };
}

// Every index but transactions_deposit (a deposit's reconciliation finds its transactions by it): `apply` finds
// the other rows by their keys. A rename, which finds a customer's or a user's orders by orders_customer_created /
// orders_rep_created / orders_agent_created, is only noted while a rebuild loads and applied after it
// (rename_after_load).
std::vector<std::string> OrdersView::query_indexes() const {
    return {
        "users_role",
        "customers_phone",
        "customers_phone_reversed",
        "customers_created",
        "products_created",
        "orders_created",
        "orders_status_created",
        "orders_area_created",
        "orders_payment_created",
        "deliveries_agent",
        "transactions_created",
        "transactions_status_created",
        "transactions_agent_created",
        "expenses_date",
        "orders_status_priority",
        "orders_rep_created",
        "orders_agent_created",
        "orders_customer_created",
    };
}

}  // namespace codd::projections

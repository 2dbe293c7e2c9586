// The orders view's handlers of order, delivery and cash events (the payloads of
// engine/orders/order_events.hpp). Every event of an order's stream also moves the order's version and
// updated time and adds a row to its history.
//
// Counters: a customer's total_orders and total_spent count every order of theirs that is not cancelled
// (reference §1: creating counts it, a cancel uncounts it; a return does not); the rep and agent rollups count
// the orders assigned to them by status; order_day_counts the orders per status and day of creation. Any
// event that can change an order's customer, total, status, rep or agent moves the order from the counters
// of its row before to those of its row after (recounted). A rollup or day count that reaches 0 is deleted,
// so each counter table holds exactly the rows a GROUP BY over the orders gives: a rebuild loads the orders
// without moving counters (Database::loading) and derives them all at the end (derive_counters).
#include <map>
#include <tuple>

#include "engine/orders/order_events.hpp"
#include "projections/orders_view.hpp"
#include "projections/orders_view_apply.hpp"

namespace codd::projections::orders_view {
namespace {

namespace events = engine::orders::events;

// --- shared ---

// What an order contributes to the counters derived from it: its customer's lifetime orders and spend (unless
// cancelled), and its rep's and agent's rollups by status and by month of delivery.
struct Counted {
    std::int64_t customer = 0;
    std::optional<std::int64_t> rep, agent;
    std::string status;
    std::int64_t total = 0;
    std::optional<std::int64_t> delivered_us;  // when last delivered
    std::int64_t created_us = 0;
    bool operator==(const Counted&) const = default;
};

// The columns a Counted is read from, in its order.
constexpr std::string_view kCountedColumns =
    "customer_id, customer_rep_id, delivery_agent_id, status, total_amount, delivered_us, created_us";

// The row `s` (which selects kCountedColumns) is on.
Counted counted_row(const Statement& s) {
    return Counted{s.column_int(0), s.column_optional_int(1), s.column_optional_int(2), std::string(s.column_text(3)),
                   s.column_int(4), s.column_optional_int(5), s.column_int(6)};
}

// Steps `s` (which selects kCountedColumns) once and resets it.
std::optional<Counted> read_counted(Statement& s) {
    std::optional<Counted> c;
    if (s.step()) c = counted_row(s);
    s.reset();
    return c;
}

std::optional<Counted> counted(Database& db, std::int64_t order_id) {
    static const std::string sql = "SELECT " + std::string(kCountedColumns) + " FROM orders WHERE id = ?1";
    return read_counted(db.cached(sql).bind(1, order_id));
}

// Runs `update` (an UPDATE of one order that also sets its version and updated time); throws when no row
// matched. The row after it is then read with `counted`, not UPDATE ... RETURNING: SQLite collects returned
// rows in an ephemeral table, a B-tree and a pager opened and closed on every run, which cost more than the
// update.
void update_one(Database& db, Statement& update, std::int64_t order_id, std::string_view expectation) {
    update.run();
    if (db.changes() != 1) throw PayloadError("no orders row " + std::to_string(order_id) + std::string(expectation));
}

// Whether an order counts in its customer's lifetime orders and spend: every order that is not cancelled.
bool counts_for_customer(const Counted& c) {
    return c.status != "cancelled";
}

void add_to_customer(Database& db, const Counted& c, int sign) {
    if (!counts_for_customer(c)) return;
    db.cached("UPDATE customers SET total_orders = total_orders + ?2, total_spent = total_spent + ?3 WHERE id = ?1")
        .bind(1, c.customer)
        .bind(2, sign)
        .bind(3, sign * c.total)
        .run();
}

// Binds the rep, agent, key (status or month) and total of one side of a move: parameters first..first+3.
void bind_side(Statement& s, int first, const Counted& c, std::optional<std::string_view> key) {
    s.bind(first, c.rep).bind(first + 1, c.agent).bind(first + 2, key).bind(first + 3, c.total);
}

// A rollup table keyed by (user, role, key): the upsert that moves an order's counts (parameters 1-4 the side
// before, 5-8 the side after; a side left unbound, NULL, adds nothing), and the delete of the rows of the side
// before that it left at 0 orders.
struct Rollup {
    std::string_view move;
    std::string_view drop_empty;
};

void move_rollup(Database& db, const Rollup& rollup, const std::optional<Counted>& before,
                 std::optional<std::string_view> before_key, const std::optional<Counted>& after,
                 std::optional<std::string_view> after_key) {
    auto& s = db.cached(rollup.move);
    if (before && before_key) bind_side(s, 1, *before, before_key);
    if (after && after_key) bind_side(s, 5, *after, after_key);
    s.run();
    if (before && before_key) {
        db.cached(rollup.drop_empty).bind(1, before->rep).bind(2, before->agent).bind(3, before_key).run();
    }
}

constexpr Rollup kStatusCounts{R"sql(
    INSERT INTO user_status_counts (user_id, role, status, orders, amount)
    SELECT column1, column2, column3, column4, column5 FROM (VALUES
        (?1, 'rep', ?3, -1, -?4), (?2, 'agent', ?3, -1, -?4), (?5, 'rep', ?7, 1, ?8), (?6, 'agent', ?7, 1, ?8))
    WHERE column1 IS NOT NULL AND column3 IS NOT NULL
    ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, amount = amount + excluded.amount)sql",
                               R"sql(
    DELETE FROM user_status_counts WHERE user_id IN (?1, ?2) AND status = ?3 AND orders = 0)sql"};

constexpr Rollup kDeliveredMonths{R"sql(
    INSERT INTO user_delivered_months (user_id, role, month, orders, amount)
    SELECT column1, column2, column3, column4, column5 FROM (VALUES
        (?1, 'rep', ?3, -1, -?4), (?2, 'agent', ?3, -1, -?4), (?5, 'rep', ?7, 1, ?8), (?6, 'agent', ?7, 1, ?8))
    WHERE column1 IS NOT NULL AND column3 IS NOT NULL
    ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, amount = amount + excluded.amount)sql",
                                  R"sql(
    DELETE FROM user_delivered_months WHERE user_id IN (?1, ?2) AND month = ?3 AND orders = 0)sql"};

// "YYYY-MM" (UTC) of a delivered order's delivery.
std::optional<std::string> delivered_month(const std::optional<Counted>& c) {
    if (!c || c->status != "delivered" || !c->delivered_us) return std::nullopt;
    return utc_month(*c->delivered_us);
}

// The UTC day of creation an order is counted in by order_day_counts (as the schema's migration computes it).
std::int64_t created_day(const Counted& c) {
    return c.created_us / 86'400'000'000;
}

// Moves an order from its status and day in order_day_counts to those `after` (either side may be none).
void move_day_count(Database& db, const std::optional<Counted>& before, const std::optional<Counted>& after) {
    if (after) {
        db.cached(R"sql(
            INSERT INTO order_day_counts (status, day, orders) VALUES (?1, ?2, 1)
            ON CONFLICT DO UPDATE SET orders = orders + 1)sql")
            .bind(1, after->status)
            .bind(2, created_day(*after))
            .run();
    }
    if (before) {
        db.cached("UPDATE order_day_counts SET orders = orders - 1 WHERE status = ?1 AND day = ?2")
            .bind(1, before->status)
            .bind(2, created_day(*before))
            .run();
        db.cached("DELETE FROM order_day_counts WHERE status = ?1 AND day = ?2 AND orders = 0")
            .bind(1, before->status)
            .bind(2, created_day(*before))
            .run();
    }
}

// Moves an order from the counters of its row `before` an event to those of its row `after` it. Nothing while
// a rebuild loads the file: derive_counters computes them at the end.
void recount(Database& db, const std::optional<Counted>& before, const std::optional<Counted>& after) {
    if (db.loading() || before == after) return;
    const auto day_share = [](const std::optional<Counted>& c) {
        return c ? std::optional(std::pair(c->status, created_day(*c))) : std::nullopt;
    };
    if (day_share(before) != day_share(after)) move_day_count(db, before, after);
    const auto customer_share = [](const std::optional<Counted>& c) {
        return c && counts_for_customer(*c) ? std::optional(std::pair(c->customer, c->total)) : std::nullopt;
    };
    if (customer_share(before) != customer_share(after)) {
        if (before) add_to_customer(db, *before, -1);
        if (after) add_to_customer(db, *after, +1);
    }
    // The rollups see an order only through its rep, agent, status and total.
    const auto rollup_share = [](const std::optional<Counted>& c) {
        return c && (c->rep || c->agent) ? std::optional(std::tuple(c->rep, c->agent, c->status, c->total))
                                         : std::nullopt;
    };
    if (rollup_share(before) == rollup_share(after)) return;
    const auto status = [](const std::optional<Counted>& c) {
        return c ? std::optional<std::string_view>(c->status) : std::nullopt;
    };
    move_rollup(db, kStatusCounts, before, status(before), after, status(after));
    const auto month_before = delivered_month(before);
    const auto month_after = delivered_month(after);
    if (month_before || month_after) move_rollup(db, kDeliveredMonths, before, month_before, after, month_after);
}

// Runs `change` on the order and moves its counters along.
template <typename Change>
void recounted(Database& db, std::int64_t order_id, Change&& change) {
    if (db.loading()) {
        change();
        return;
    }
    const auto before = counted(db, order_id);
    change();
    recount(db, before, counted(db, order_id));
}

// The history row of an order event: the order's status after it, who (the event's metadata) and what (the
// payload; queries show it without the orderId).
void insert_history(Database& db, const RecordedEvent& e, const Fields& f, std::int64_t order_id,
                    std::string_view status) {
    auto notes = f.optional_text("notes");
    if (!notes || notes->empty()) notes = f.optional_text("reason");
    db.cached(R"sql(
        INSERT INTO order_history (order_id, version, position, type, time_us, actor_id, actor_role, request_id,
                                   status, notes, payload)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11))sql")
        .bind(1, order_id)
        .bind(2, e.version.value())
        .bind(3, e.position.value())
        .bind(4, e.type)
        .bind(5, e.time_us)
        .bind(6, e.metadata.actor.id)
        .bind(7, e.metadata.actor.role)
        .bind(8, e.metadata.request_id)
        .bind(9, status)
        .bind(10, notes && !notes->empty() ? notes : std::nullopt)
        .bind(11, e.payload)
        .run();
}

// Runs `update` (an UPDATE of one order) and adds the event's history row with the order's status after it.
void history_after(Database& db, const RecordedEvent& e, const Fields& f, std::int64_t order_id, Statement& update) {
    update.run();
    expect_one_row(db, "orders", order_id);
    auto& q = db.cached("SELECT status FROM orders WHERE id = ?1").bind(1, order_id);
    q.step();
    const std::string status(q.column_text(0));
    q.reset();
    insert_history(db, e, f, order_id, status);
}

// Moves the order's version and updated time to the event's, and adds its history row.
void record_history(Database& db, const RecordedEvent& e, const Fields& f, std::int64_t order_id) {
    auto& touch = db.cached("UPDATE orders SET version = ?2, updated_us = ?3 WHERE id = ?1");
    history_after(db, e, f, order_id, touch.bind(1, order_id).bind(2, e.version.value()).bind(3, e.time_us));
}

void insert_items(Database& db, std::int64_t order_id, const Fields& f) {
    for (const auto& v : f.array("items")) {
        const auto item = element(v, "items");
        db.cached(R"sql(
            INSERT INTO order_items (order_id, item_id, product_id, quantity, unit_price, total_price, item_type,
                                     metadata)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql")
            .bind(1, order_id)
            .bind(2, item.integer("id"))
            .bind(3, item.integer("productId"))
            .bind(4, item.integer("quantity"))
            .bind(5, item.integer("unitPrice"))
            .bind(6, item.integer("totalPrice"))
            .bind(7, item.text("itemType"))
            .bind(8, item.optional_json("metadata"))
            .run();
    }
}

// The upsert of an order's delivery row, which exists from its first delivery-related event on, setting
// `columns` from ?3, ?4, ... (?1 the order, ?2 the time). The agent is the order's when the row is created.
std::string delivery_upsert(std::initializer_list<std::string_view> columns) {
    std::string names, values, updates;
    int i = 3;
    for (const auto c : columns) {
        names.append(", ").append(c);
        values.append(", ?").append(std::to_string(i++));
        updates.append(", ").append(c).append(" = excluded.").append(c);
    }
    return "INSERT INTO deliveries (order_id, agent_id, created_us, updated_us" + names +
           ") SELECT id, delivery_agent_id, ?2, ?2" + values +
           " FROM orders WHERE id = ?1 ON CONFLICT (order_id) DO UPDATE SET updated_us = excluded.updated_us" + updates;
}

// The upsert `sql` (delivery_upsert) with the order and the time bound; an order the view does not have is
// refused by the history row every delivery event adds after it.
Statement& upsert_delivery(Database& db, const RecordedEvent& e, std::int64_t order_id, const std::string& sql) {
    return db.cached(sql).bind(1, order_id).bind(2, e.time_us);
}

// --- order-<id> ---

void order_created(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto customer = f.integer("customerId");
    const auto rep = f.optional_integer("customerRepId");
    const auto agent = f.optional_integer("deliveryAgentId");
    db.cached(R"sql(
        INSERT INTO orders (id, customer_id, customer_first_name, customer_last_name, customer_phone,
                            customer_rep_id, rep_first_name, rep_last_name,
                            delivery_agent_id, agent_first_name, agent_last_name, created_by,
                            status, payment_status, subtotal, shipping_cost, discount, total_amount, cod_amount,
                            notes, internal_notes, delivery_address, delivery_state, delivery_area,
                            estimated_delivery_us, priority, tags, source, external_order_id,
                            version, created_us, updated_us)
        SELECT ?1, ?2, coalesce(c.first_name, ''), coalesce(c.last_name, ''), coalesce(c.phone_number, ''),
               ?3, r.first_name, r.last_name, ?4, a.first_name, a.last_name, ?5,
               ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?24
        FROM (SELECT 1)
        LEFT JOIN customers c ON c.id = ?2
        LEFT JOIN users r ON r.id = ?3
        LEFT JOIN users a ON a.id = ?4)sql")
        .bind(1, id)
        .bind(2, customer)
        .bind(3, rep)
        .bind(4, agent)
        .bind(5, f.optional_integer("createdBy"))
        .bind(6, f.text("status"))
        .bind(7, f.text("paymentStatus"))
        .bind(8, f.integer("subtotal"))
        .bind(9, f.integer("shippingCost"))
        .bind(10, f.integer("discount"))
        .bind(11, f.integer("totalAmount"))
        .bind(12, f.integer("codAmount"))
        .bind(13, f.optional_text("notes"))
        .bind(14, f.optional_text("internalNotes"))
        .bind(15, f.text("deliveryAddress"))
        .bind(16, f.text("deliveryState"))
        .bind(17, f.text("deliveryArea"))
        .bind(18, f.optional_integer("estimatedDeliveryUs"))
        .bind(19, f.integer("priority"))
        .bind(20, f.array_json("tags"))
        .bind(21, f.text("source"))
        .bind(22, f.optional_text("externalOrderId"))
        .bind(23, e.version.value())
        .bind(24, e.time_us)
        .run();
    insert_items(db, id, f);
    const Counted after{customer,     rep,      agent, std::string(f.text("status")), f.integer("totalAmount"),
                        std::nullopt, e.time_us};
    recount(db, std::nullopt, after);
    if (agent) {
        static const auto sql = delivery_upsert({});
        upsert_delivery(db, e, id, sql).run();
    }
    insert_history(db, e, f, id, after.status);
}

constexpr Column kOrderColumns[] = {
    {"customerId", "customer_id", Kind::integer},
    {"notes", "notes", Kind::optional_text},
    {"internalNotes", "internal_notes", Kind::optional_text},
    {"deliveryAddress", "delivery_address", Kind::text},
    {"deliveryState", "delivery_state", Kind::text},
    {"deliveryArea", "delivery_area", Kind::text},
    {"estimatedDeliveryUs", "estimated_delivery_us", Kind::optional_integer},
    {"priority", "priority", Kind::integer},
    {"tags", "tags", Kind::array},
    {"shippingCost", "shipping_cost", Kind::integer},
    {"discount", "discount", Kind::integer},
    {"subtotal", "subtotal", Kind::integer},
    {"totalAmount", "total_amount", Kind::integer},
    {"codAmount", "cod_amount", Kind::integer},
};

void order_updated(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto changes = f.object("changes");
    recounted(db, id, [&] {
        update_columns(db, "orders", id, changes, kOrderColumns, e.time_us);
        if (!changes.has("customerId")) return;
        db.cached(R"sql(
            UPDATE orders SET (customer_first_name, customer_last_name, customer_phone) =
                (SELECT coalesce(first_name, ''), coalesce(last_name, ''), coalesce(phone_number, '')
                 FROM (SELECT 1) LEFT JOIN customers ON customers.id = orders.customer_id)
            WHERE id = ?1)sql")
            .bind(1, id)
            .run();
    });
}

void order_items_replaced(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    recounted(db, id, [&] {
        db.cached(R"sql(
            UPDATE orders SET subtotal = ?2, shipping_cost = ?3, discount = ?4, total_amount = ?5, cod_amount = ?6
            WHERE id = ?1)sql")
            .bind(1, id)
            .bind(2, f.integer("subtotal"))
            .bind(3, f.integer("shippingCost"))
            .bind(4, f.integer("discount"))
            .bind(5, f.integer("totalAmount"))
            .bind(6, f.integer("codAmount"))
            .run();
        expect_one_row(db, "orders", id);
    });
    db.cached("DELETE FROM order_items WHERE order_id = ?1").bind(1, id).run();
    insert_items(db, id, f);
}

// The hottest event: one UPDATE moves the status, version and times; the row before is the row after with the
// payload's `from`, which the UPDATE checks against the order.
void order_status_changed(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto from = f.text("from");
    const auto to = f.text("to");
    // delivered_us: when it was last delivered, the month its rep's and agent's rollups count it in.
    auto& update = db.cached(R"sql(
        UPDATE orders SET status = ?3, delivered_us = iif(?3 = 'delivered', ?5, delivered_us), version = ?4,
                          updated_us = ?5
        WHERE id = ?1 AND status = ?2)sql");
    update.bind(1, id).bind(2, from).bind(3, to).bind(4, e.version.value()).bind(5, e.time_us);
    update_one(db, update, id, " in status " + std::string(from));
    if (!db.loading()) {
        const auto after = *counted(db, id);
        auto before = after;
        before.status = from;
        recount(db, before, after);
    }
    insert_history(db, e, f, id, to);
}

void order_rep_assigned(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    recounted(db, id, [&] {
        db.cached(R"sql(
            UPDATE orders SET customer_rep_id = ?2, (rep_first_name, rep_last_name) =
                (SELECT first_name, last_name FROM (SELECT 1) LEFT JOIN users ON users.id = ?2)
            WHERE id = ?1)sql")
            .bind(1, id)
            .bind(2, f.optional_integer("customerRepId"))
            .run();
        expect_one_row(db, "orders", id);
    });
}

// The row before is the row after with the payload's previous agent, which the UPDATE checks.
void order_agent_assigned(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto agent = f.optional_integer("deliveryAgentId");
    const auto previous = f.optional_integer("previousAgentId");
    auto& update = db.cached(R"sql(
        UPDATE orders SET delivery_agent_id = ?2, (agent_first_name, agent_last_name) =
            (SELECT first_name, last_name FROM (SELECT 1) LEFT JOIN users ON users.id = ?2),
            version = ?4, updated_us = ?5
        WHERE id = ?1 AND delivery_agent_id IS ?3)sql");
    update.bind(1, id).bind(2, agent).bind(3, previous).bind(4, e.version.value()).bind(5, e.time_us);
    update_one(db, update, id, " with the previous agent");
    const auto after = *counted(db, id);
    auto before = after;
    before.agent = previous;
    recount(db, before, after);
    static const auto upsert = delivery_upsert({"agent_id"});
    upsert_delivery(db, e, id, upsert).bind(3, agent).run();
    insert_history(db, e, f, id, after.status);
}

void delivery_scheduled(Database& db, const RecordedEvent& e, const Fields& f) {
    static const auto sql = delivery_upsert({"scheduled_us", "notes"});
    upsert_delivery(db, e, f.integer("orderId"), sql)
        .bind(3, f.integer("scheduledUs"))
        .bind(4, f.optional_text("notes"))
        .run();
}

void delivery_attempted(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    static const auto sql = delivery_upsert({"attempts"});
    upsert_delivery(db, e, id, sql).bind(3, f.integer("attempt")).run();
    if (const auto notes = f.optional_text("notes"); notes && !notes->empty()) {
        db.cached("UPDATE deliveries SET notes = ?2 WHERE order_id = ?1").bind(1, id).bind(2, *notes).run();
    }
}

void delivery_proof_recorded(Database& db, const RecordedEvent& e, const Fields& f) {
    static const auto sql =
        delivery_upsert({"proof_type", "proof_data", "proof_image_url", "recipient_name", "recipient_phone"});
    upsert_delivery(db, e, f.integer("orderId"), sql)
        .bind(3, f.text("proofType"))
        .bind(4, f.optional_text("proofData"))
        .bind(5, f.optional_text("proofImageUrl"))
        .bind(6, f.optional_text("recipientName"))
        .bind(7, f.optional_text("recipientPhone"))
        .run();
}

void delivery_failed(Database& db, const RecordedEvent& e, const Fields& f) {
    static const auto sql = delivery_upsert({"failure_reason", "attempts"});
    upsert_delivery(db, e, f.integer("orderId"), sql).bind(3, f.text("reason")).bind(4, f.integer("attempt")).run();
}

// The COD transaction of the order, created on its collection (once per order: collecting needs the payment
// pending).
void payment_collected(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto amount = f.integer("amount");
    const auto collected_us = f.integer("collectedUs");
    static const auto sql = delivery_upsert({"delivered_us"});
    upsert_delivery(db, e, id, sql).bind(3, collected_us).run();
    db.cached(R"sql(
        INSERT INTO transactions (order_id, type, amount, payment_method, status, agent_id, open_amount,
                                  collected_us, created_us, updated_us)
        VALUES (?1, 'cod_collection', ?2, 'cash', 'collected', ?3, ?2, ?4, ?5, ?5)
        ON CONFLICT (order_id) DO UPDATE SET amount = excluded.amount, status = 'collected',
            agent_id = excluded.agent_id, deposit_id = NULL, reference = NULL, open_amount = excluded.amount,
            collected_us = excluded.collected_us, updated_us = excluded.updated_us)sql")
        .bind(1, id)
        .bind(2, amount)
        .bind(3, f.integer("agentId"))
        .bind(4, collected_us)
        .bind(5, e.time_us)
        .run();
    auto& update = db.cached(R"sql(
        UPDATE orders SET payment_status = 'collected', cod_amount = ?2, deposit_id = NULL, version = ?3,
                          updated_us = ?4
        WHERE id = ?1)sql");
    history_after(db, e, f, id, update.bind(1, id).bind(2, amount).bind(3, e.version.value()).bind(4, e.time_us));
}

void payment_deposited(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto deposit = f.integer("depositId");
    db.cached("UPDATE orders SET payment_status = 'deposited', deposit_id = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, deposit)
        .run();
    expect_one_row(db, "orders", id);
    // The deposit's reference, when its DepositRecorded came first (otherwise that event sets it).
    db.cached(R"sql(
        UPDATE transactions SET status = 'deposited', deposit_id = ?2, updated_us = ?3,
            reference = (SELECT reference FROM deposits WHERE id = ?2)
        WHERE order_id = ?1)sql")
        .bind(1, id)
        .bind(2, deposit)
        .bind(3, e.time_us)
        .run();
    expect_one_row(db, "transactions", id);
}

void payment_reconciled(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    db.cached("UPDATE orders SET payment_status = 'reconciled' WHERE id = ?1").bind(1, id).run();
    expect_one_row(db, "orders", id);
    db.cached("UPDATE transactions SET status = 'reconciled', updated_us = ?2 WHERE order_id = ?1 AND deposit_id = ?3")
        .bind(1, id)
        .bind(2, e.time_us)
        .bind(3, f.integer("depositId"))
        .run();
    expect_one_row(db, "transactions", id);
}

// Wraps the handler of an order-<id> event with the version, updated time and history row every one adds (the
// hottest handlers add them in their own statements).
template <Handler handler>
void order_event(Database& db, const RecordedEvent& e, const Fields& f) {
    handler(db, e, f);
    record_history(db, e, f, f.integer("orderId"));
}

// --- agent-cash-<agentId> ---

void add_agent_cash(Database& db, const RecordedEvent& e, std::int64_t agent, std::int64_t collected,
                    std::int64_t deposited) {
    db.cached(R"sql(
        INSERT INTO agent_cash (agent_id, collected, deposited, updated_us) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (agent_id) DO UPDATE SET collected = collected + excluded.collected,
            deposited = deposited + excluded.deposited, updated_us = excluded.updated_us)sql")
        .bind(1, agent)
        .bind(2, collected)
        .bind(3, deposited)
        .bind(4, e.time_us)
        .run();
}

void cash_collected(Database& db, const RecordedEvent& e, const Fields& f) {
    add_agent_cash(db, e, f.integer("agentId"), f.integer("amount"), 0);
}

void cash_deposited(Database& db, const RecordedEvent& e, const Fields& f) {
    add_agent_cash(db, e, f.integer("agentId"), 0, f.integer("amount"));
    for (const auto& v : f.array("allocations")) {
        const auto allocation = element(v, "allocations");
        const auto order = allocation.integer("orderId");
        db.cached("UPDATE transactions SET open_amount = open_amount - ?2, updated_us = ?3 WHERE order_id = ?1")
            .bind(1, order)
            .bind(2, allocation.integer("amount"))
            .bind(3, e.time_us)
            .run();
        expect_one_row(db, "transactions", order);
    }
}

// --- deposit-<id>, expense-<id> ---

void deposit_recorded(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("depositId");
    db.cached(R"sql(
        INSERT INTO deposits (id, agent_id, amount, reference, notes, recorded_by, allocations, status, created_us)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'recorded', ?8))sql")
        .bind(1, id)
        .bind(2, f.integer("agentId"))
        .bind(3, f.integer("amount"))
        .bind(4, f.text("reference"))
        .bind(5, f.optional_text("notes").value_or(""))
        .bind(6, f.optional_integer("recordedBy"))
        .bind(7, f.array_json("allocations"))
        .bind(8, e.time_us)
        .run();
    db.cached("UPDATE transactions SET reference = ?2 WHERE deposit_id = ?1")
        .bind(1, id)
        .bind(2, f.text("reference"))
        .run();
}

void deposit_reconciled(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("depositId");
    db.cached(R"sql(
        UPDATE deposits SET status = 'reconciled', reconcile_notes = ?2, reconciled_by = ?3, reconciled_us = ?4
        WHERE id = ?1)sql")
        .bind(1, id)
        .bind(2, f.optional_text("notes"))
        .bind(3, f.optional_integer("reconciledBy"))
        .bind(4, e.time_us)
        .run();
    expect_one_row(db, "deposits", id);
}

void expense_recorded(Database& db, const RecordedEvent& e, const Fields& f) {
    db.cached(R"sql(
        INSERT INTO expenses (id, category, amount, description, receipt_url, expense_date_us, recorded_by,
                              created_us)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql")
        .bind(1, f.integer("expenseId"))
        .bind(2, f.text("category"))
        .bind(3, f.integer("amount"))
        .bind(4, f.text("description"))
        .bind(5, f.optional_text("receiptUrl"))
        .bind(6, f.integer("expenseDateUs"))
        .bind(7, f.optional_integer("recordedBy"))
        .bind(8, e.time_us)
        .run();
}

}  // namespace

// The counters recount moves event by event, computed from the orders in one scan: every counter table emptied
// and filled again with the rows a GROUP BY over the orders would give (none at 0), and every customer's lifetime
// counters set from their orders that are not cancelled. An order's share of each is what recount moves for it
// (created_day, delivered_month, counts_for_customer), so a rebuilt view counts exactly as a live one. The scan is
// folded in memory: a GROUP BY per table sorted every order once per table (9.3 s at 1,000,000 orders; 3.0 s
// now).
void derive_counters(Database& db) {
    struct Tally {
        std::int64_t orders = 0;
        std::int64_t amount = 0;
        void add(std::int64_t total) {
            ++orders;
            amount += total;
        }
    };
    using UserKey = std::tuple<std::int64_t, std::string_view, std::string>;  // user, role, status or month
    std::map<std::int64_t, Tally> customers;
    std::map<std::pair<std::string, std::int64_t>, std::int64_t> days;
    std::map<UserKey, Tally> statuses;
    std::map<UserKey, Tally> months;
    {
        auto scan = db.prepare("SELECT " + std::string(kCountedColumns) + " FROM orders");
        while (scan.step()) {
            const Counted c = counted_row(scan);
            ++days[{c.status, created_day(c)}];
            if (counts_for_customer(c)) customers[c.customer].add(c.total);
            const auto month = delivered_month(c);
            for (const auto& [user, role] :
                 {std::pair(c.rep, std::string_view("rep")), std::pair(c.agent, std::string_view("agent"))}) {
                if (!user) continue;
                statuses[{*user, role, c.status}].add(c.total);
                if (month) months[{*user, role, *month}].add(c.total);
            }
        }
    }
    db.exec("UPDATE customers SET total_orders = 0, total_spent = 0 WHERE total_orders != 0 OR total_spent != 0");
    // One-shot statements: prepared here, not kept in the connection's statement cache.
    auto customer = db.prepare("UPDATE customers SET total_orders = ?2, total_spent = ?3 WHERE id = ?1");
    for (const auto& [id, t] : customers) customer.bind(1, id).bind(2, t.orders).bind(3, t.amount).run();

    db.exec("DELETE FROM order_day_counts");
    auto day = db.prepare("INSERT INTO order_day_counts (status, day, orders) VALUES (?1, ?2, ?3)");
    for (const auto& [key, orders] : days) day.bind(1, key.first).bind(2, key.second).bind(3, orders).run();

    const auto fill = [&db](std::string_view table, std::string_view key_column, const std::map<UserKey, Tally>& rows) {
        db.exec("DELETE FROM " + std::string(table));
        auto insert = db.prepare("INSERT INTO " + std::string(table) + " (user_id, role, " + std::string(key_column) +
                                 ", orders, amount) VALUES (?1, ?2, ?3, ?4, ?5)");
        for (const auto& [key, t] : rows) {
            const auto& [user, role, value] = key;
            insert.bind(1, user).bind(2, role).bind(3, value).bind(4, t.orders).bind(5, t.amount).run();
        }
    };
    fill("user_status_counts", "status", statuses);
    fill("user_delivered_months", "month", months);
}

std::vector<HandlerEntry> order_handlers() {
    return {
        {events::kOrderCreated, order_created},
        {events::kOrderUpdated, order_event<order_updated>},
        {events::kOrderItemsReplaced, order_event<order_items_replaced>},
        {events::kOrderStatusChanged, order_status_changed},
        {events::kOrderRepAssigned, order_event<order_rep_assigned>},
        {events::kOrderAgentAssigned, order_agent_assigned},
        {events::kDeliveryScheduled, order_event<delivery_scheduled>},
        {events::kDeliveryAttempted, order_event<delivery_attempted>},
        {events::kDeliveryProofRecorded, order_event<delivery_proof_recorded>},
        {events::kDeliveryFailed, order_event<delivery_failed>},
        {events::kPaymentCollected, payment_collected},
        {events::kPaymentDeposited, order_event<payment_deposited>},
        {events::kPaymentReconciled, order_event<payment_reconciled>},
        {events::kCashCollected, cash_collected},
        {events::kCashDeposited, cash_deposited},
        {events::kDepositRecorded, deposit_recorded},
        {events::kDepositReconciled, deposit_reconciled},
        {events::kExpenseRecorded, expense_recorded},
    };
}

}  // namespace codd::projections::orders_view

// The orders view's handlers of order, delivery and cash events (the payloads of
// engine/orders/order_events.hpp). Every event of an order's stream also moves the order's version and
// updated time and adds a row to its history.
//
// Counters: a customer's total_orders and total_spent count every order of theirs that is not cancelled
// (reference §1: creating counts it, a cancel uncounts it; a return does not); the rep and agent rollups count
// the orders assigned to them by status. Any event that can change an order's customer, total, status, rep
// or agent uncounts the order before and counts it after (count_order).
#include <charconv>

#include "engine/orders/order_events.hpp"
#include "projections/orders_view_apply.hpp"

namespace codd::projections::orders_view {
namespace {

namespace events = engine::orders::events;

// --- shared ---

// Adds (sign +1) or removes (-1) the order, as its row is now, to the counters derived from it: its
// customer's lifetime orders and spend, and its rep's and agent's rollups.
void count_order(Database& db, std::int64_t order_id, int sign) {
    db.cached(R"sql(
        UPDATE customers SET total_orders = total_orders + ?2, total_spent = total_spent + ?2 * o.total_amount
        FROM orders o WHERE o.id = ?1 AND customers.id = o.customer_id AND o.status <> 'cancelled')sql")
        .bind(1, order_id)
        .bind(2, sign)
        .run();
    db.cached(R"sql(
        INSERT INTO user_status_counts (user_id, role, status, orders, amount)
        SELECT customer_rep_id, 'rep', status, ?2, ?2 * total_amount FROM orders
        WHERE id = ?1 AND customer_rep_id IS NOT NULL
        UNION ALL
        SELECT delivery_agent_id, 'agent', status, ?2, ?2 * total_amount FROM orders
        WHERE id = ?1 AND delivery_agent_id IS NOT NULL
        ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, amount = amount + excluded.amount)sql")
        .bind(1, order_id)
        .bind(2, sign)
        .run();
    db.cached(R"sql(
        INSERT INTO user_delivered_months (user_id, role, month, orders, amount)
        SELECT customer_rep_id, 'rep', strftime('%Y-%m', delivered_us / 1000000, 'unixepoch'), ?2, ?2 * total_amount
        FROM orders WHERE id = ?1 AND status = 'delivered' AND delivered_us IS NOT NULL AND customer_rep_id IS NOT NULL
        UNION ALL
        SELECT delivery_agent_id, 'agent', strftime('%Y-%m', delivered_us / 1000000, 'unixepoch'), ?2,
               ?2 * total_amount
        FROM orders
        WHERE id = ?1 AND status = 'delivered' AND delivered_us IS NOT NULL AND delivery_agent_id IS NOT NULL
        ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, amount = amount + excluded.amount)sql")
        .bind(1, order_id)
        .bind(2, sign)
        .run();
}

std::optional<std::int64_t> numeric_id(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// The history row of an order event: the order's status after it, who (the event's metadata; the name as
// the view knew the user then), and what changed (the payload without the orderId).
void record_history(Database& db, const RecordedEvent& e, const Fields& f, std::int64_t order_id) {
    db.cached("UPDATE orders SET version = ?2, updated_us = ?3 WHERE id = ?1")
        .bind(1, order_id)
        .bind(2, e.version.value())
        .bind(3, e.time_us)
        .run();
    expect_one_row(db, "orders", order_id);
    auto notes = f.optional_text("notes");
    if (!notes || notes->empty()) notes = f.optional_text("reason");
    db.cached(R"sql(
        INSERT INTO order_history (order_id, version, position, type, time_us, actor_id, actor_name, actor_role,
                                   request_id, status, notes, changes)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, (SELECT first_name || ' ' || last_name FROM users WHERE id = ?7), ?8, ?9,
               o.status, ?10, json_remove(?11, '$.orderId')
        FROM orders o WHERE o.id = ?1)sql")
        .bind(1, order_id)
        .bind(2, e.version.value())
        .bind(3, e.position.value())
        .bind(4, e.type)
        .bind(5, e.time_us)
        .bind(6, e.metadata.actor.id)
        .bind(7, numeric_id(e.metadata.actor.id))
        .bind(8, e.metadata.actor.role)
        .bind(9, e.metadata.request_id)
        .bind(10, notes && !notes->empty() ? notes : std::nullopt)
        .bind(11, e.payload)
        .run();
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

// The delivery row of an order exists from its first delivery-related event on.
void ensure_delivery(Database& db, const RecordedEvent& e, std::int64_t order_id) {
    db.cached(R"sql(
        INSERT INTO deliveries (order_id, agent_id, created_us, updated_us)
        SELECT id, delivery_agent_id, ?2, ?2 FROM orders WHERE id = ?1
        ON CONFLICT (order_id) DO UPDATE SET updated_us = excluded.updated_us)sql")
        .bind(1, order_id)
        .bind(2, e.time_us)
        .run();
    expect_one_row(db, "orders", order_id);
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
    count_order(db, id, +1);
    if (agent) ensure_delivery(db, e, id);
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
    const bool recount = changes.has("customerId") || changes.has("totalAmount");
    if (recount) count_order(db, id, -1);
    update_columns(db, "orders", id, changes, kOrderColumns, e.time_us);
    if (changes.has("customerId")) {
        db.cached(R"sql(
            UPDATE orders SET (customer_first_name, customer_last_name, customer_phone) =
                (SELECT coalesce(first_name, ''), coalesce(last_name, ''), coalesce(phone_number, '')
                 FROM (SELECT 1) LEFT JOIN customers ON id = orders.customer_id)
            WHERE id = ?1)sql")
            .bind(1, id)
            .run();
    }
    if (recount) count_order(db, id, +1);
}

void order_items_replaced(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    count_order(db, id, -1);
    db.cached("DELETE FROM order_items WHERE order_id = ?1").bind(1, id).run();
    insert_items(db, id, f);
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
    count_order(db, id, +1);
}

void order_status_changed(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    count_order(db, id, -1);
    // delivered_us: when it was last delivered, the month its rep's and agent's rollups count it in.
    db.cached(R"sql(
        UPDATE orders SET status = ?2, delivered_us = iif(?2 = 'delivered', ?3, delivered_us) WHERE id = ?1)sql")
        .bind(1, id)
        .bind(2, f.text("to"))
        .bind(3, e.time_us)
        .run();
    expect_one_row(db, "orders", id);
    count_order(db, id, +1);
}

void order_rep_assigned(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    count_order(db, id, -1);
    db.cached(R"sql(
        UPDATE orders SET customer_rep_id = ?2, (rep_first_name, rep_last_name) =
            (SELECT first_name, last_name FROM (SELECT 1) LEFT JOIN users ON users.id = ?2)
        WHERE id = ?1)sql")
        .bind(1, id)
        .bind(2, f.optional_integer("customerRepId"))
        .run();
    expect_one_row(db, "orders", id);
    count_order(db, id, +1);
}

void order_agent_assigned(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto agent = f.optional_integer("deliveryAgentId");
    count_order(db, id, -1);
    db.cached(R"sql(
        UPDATE orders SET delivery_agent_id = ?2, (agent_first_name, agent_last_name) =
            (SELECT first_name, last_name FROM (SELECT 1) LEFT JOIN users ON users.id = ?2)
        WHERE id = ?1)sql")
        .bind(1, id)
        .bind(2, agent)
        .run();
    expect_one_row(db, "orders", id);
    count_order(db, id, +1);
    ensure_delivery(db, e, id);
    db.cached("UPDATE deliveries SET agent_id = ?2 WHERE order_id = ?1").bind(1, id).bind(2, agent).run();
}

void delivery_scheduled(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    ensure_delivery(db, e, id);
    db.cached("UPDATE deliveries SET scheduled_us = ?2, notes = ?3 WHERE order_id = ?1")
        .bind(1, id)
        .bind(2, f.integer("scheduledUs"))
        .bind(3, f.optional_text("notes"))
        .run();
}

void delivery_attempted(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    ensure_delivery(db, e, id);
    db.cached("UPDATE deliveries SET attempts = ?2, notes = coalesce(?3, notes) WHERE order_id = ?1")
        .bind(1, id)
        .bind(2, f.integer("attempt"))
        .bind(3, f.optional_text("notes"))
        .run();
}

void delivery_proof_recorded(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    ensure_delivery(db, e, id);
    db.cached(R"sql(
        UPDATE deliveries SET proof_type = ?2, proof_data = ?3, proof_image_url = ?4, recipient_name = ?5,
                              recipient_phone = ?6
        WHERE order_id = ?1)sql")
        .bind(1, id)
        .bind(2, f.text("proofType"))
        .bind(3, f.optional_text("proofData"))
        .bind(4, f.optional_text("proofImageUrl"))
        .bind(5, f.optional_text("recipientName"))
        .bind(6, f.optional_text("recipientPhone"))
        .run();
}

void delivery_failed(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    ensure_delivery(db, e, id);
    db.cached("UPDATE deliveries SET failure_reason = ?2, attempts = ?3 WHERE order_id = ?1")
        .bind(1, id)
        .bind(2, f.text("reason"))
        .bind(3, f.integer("attempt"))
        .run();
}

// The COD transaction of the order: created on collection, collected again after a return and re-delivery.
void payment_collected(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("orderId");
    const auto amount = f.integer("amount");
    const auto collected_us = f.integer("collectedUs");
    db.cached("UPDATE orders SET payment_status = 'collected', cod_amount = ?2, deposit_id = NULL WHERE id = ?1")
        .bind(1, id)
        .bind(2, amount)
        .run();
    expect_one_row(db, "orders", id);
    ensure_delivery(db, e, id);
    db.cached("UPDATE deliveries SET delivered_us = ?2 WHERE order_id = ?1").bind(1, id).bind(2, collected_us).run();
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

// Wraps the handler of an order-<id> event with the version, updated time and history row every one adds.
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

std::vector<HandlerEntry> order_handlers() {
    return {
        {events::kOrderCreated, order_event<order_created>},
        {events::kOrderUpdated, order_event<order_updated>},
        {events::kOrderItemsReplaced, order_event<order_items_replaced>},
        {events::kOrderStatusChanged, order_event<order_status_changed>},
        {events::kOrderRepAssigned, order_event<order_rep_assigned>},
        {events::kOrderAgentAssigned, order_event<order_agent_assigned>},
        {events::kDeliveryScheduled, order_event<delivery_scheduled>},
        {events::kDeliveryAttempted, order_event<delivery_attempted>},
        {events::kDeliveryProofRecorded, order_event<delivery_proof_recorded>},
        {events::kDeliveryFailed, order_event<delivery_failed>},
        {events::kPaymentCollected, order_event<payment_collected>},
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

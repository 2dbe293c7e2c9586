#pragma once
// OrderService: the order, delivery and cash commands (DESIGN §4), each decided against the order's stream
// (and the products, the customer, the agent's cash ledger it touches) and appended atomically with the
// expected versions it was decided on. Stock goes through the StockBook, so many concurrent orders for the
// same products neither oversell nor fail with spurious conflicts.
//
// Every command returns the order (or deposit, expense) as the append left it together with the log
// position of its last event: the API waits for the orders view to reach that position before answering
// (read-your-writes) and sends it as X-Codd-Position. A command that changes nothing returns the current
// state and the position of the order's last event.
//
// Refusals (engine/result.hpp): invalid with the REST field name (items[0].quantity, totalAmount, status,
// ...), not_found, conflict (stale expected version: 409; insufficient stock: 409 with productId, available
// and requested in details), refused (a domain rule: illegal transition, cancel after delivery, agent not
// available, deposit above cash in hand: 422).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/aggregate.hpp"
#include "engine/catalog/product.hpp"
#include "engine/customers/customer_service.hpp"
#include "engine/orders/order.hpp"
#include "engine/users/user.hpp"

namespace codd::engine::users {
class UserService;
}
namespace codd::engine::catalog {
class StockBook;
class StockHolds;
}  // namespace codd::engine::catalog

namespace codd::engine::orders {

template <typename T>
struct Committed {
    T value;
    GlobalPosition position;  // of the last event of the append (or the state's last event if none)
};

struct NewOrderItem {
    ProductId product_id = 0;
    std::int64_t quantity = 0;
    // What the client believes the unit price is; when set and different from the catalog price: invalid
    // (field items[i].unitPrice). codd always prices from the catalog.
    std::optional<Money> unit_price;
    std::string item_type = "package";
    std::string metadata_json;  // a JSON object, or empty
};

struct NewOrder {
    // The customer: by id, or found or created by customer.phone_number (CustomerService::find_or_create).
    std::optional<CustomerId> customer_id;
    customers::NewCustomer customer;
    std::vector<NewOrderItem> items;  // at least one
    Money shipping_cost, discount;
    // The client's totals, checked against codd's own: subtotal = sum of items, totalAmount = subtotal +
    // shipping - discount. A disagreement is invalid (field subtotal / totalAmount).
    std::optional<Money> subtotal, total_amount;
    std::string notes, internal_notes;
    // Default to the customer's address, state and area when empty.
    std::string delivery_address, delivery_state, delivery_area;
    std::optional<std::int64_t> estimated_delivery_us;
    std::int64_t priority = 0;
    std::vector<std::string> tags;
    std::string source = "manual";
    // The order's id in the system it came from. Given, it makes the create idempotent: a second create with the
    // same source and externalOrderId answers with the first order as it is now (CreatedOrder::repeated).
    std::string external_order_id;
    std::optional<UserId> customer_rep_id;  // must be an active sales_rep
    std::optional<UserId> created_by;
};

// A created order, and the names its answer shows: the customer it names, the catalog products of its items
// (each once, in the items' order) and its sales rep. The answer of a create shows them without reading the
// order back.
//
// `repeated`: the answer is an earlier create's. A retry under the same Idempotency-Key (command id) answers as
// the first request was answered: the order as that create appended it (version 0, whatever happened to it
// since), with `decided` holding the names as they are now. A create that repeats another only by its source
// and externalOrderId (a re-imported row, a redelivered webhook) answers with the order as it is now, and
// `decided` is empty. `retried` tells the two apart: set for the retry under the request's own key.
struct CreatedOrder {
    Committed<Order> order;
    struct Decided {
        customers::Customer customer;
        std::vector<catalog::Product> products;
        std::optional<users::User> rep;
    };
    std::optional<Decided> decided;
    bool repeated = false;
    bool retried = false;
};

// A partial update: only the fields that are set change. Items, when set, replace the order's items (stock
// re-reserved in the same append); only before dispatch.
struct OrderPatch {
    std::optional<std::string> notes, internal_notes, delivery_address, delivery_state, delivery_area;
    std::optional<std::optional<std::int64_t>> estimated_delivery_us;
    std::optional<std::int64_t> priority;
    std::optional<std::vector<std::string>> tags;
    std::optional<Money> shipping_cost, discount;
    std::optional<std::vector<NewOrderItem>> items;
    std::optional<Money> subtotal, total_amount;  // client claims, checked as in NewOrder
};

struct StatusChange {
    OrderStatus to = OrderStatus::confirmed;
    std::string notes;
    std::string reason;      // required for a forced transition
    bool may_force = false;  // the caller's role may force transitions outside the map (admin roles)
};

// PUT /orders/:id (the admin UI's order form): the details, a status change along the map (to delivered with
// the payment pending it is the delivery, as in change_status) and edits of the order's customer, decided
// together and appended at once: all of it or nothing.
struct OrderEdit {
    OrderPatch patch;
    std::optional<StatusChange> status;  // never forced: the form follows the map
    std::optional<customers::CustomerPatch> customer;
    // False when the caller may not edit customers (customers:update): a customer edit that changes the
    // customer is then forbidden; one that changes nothing (the order form sends the fields back) passes.
    bool may_edit_customer = true;
    // False for the delivery agent carrying the order: an edit that changes its items or amounts (what the
    // agent will owe) is then forbidden.
    bool may_change_amounts = true;
};

struct DeliveryCompletion {
    std::optional<Money> cod_amount;  // defaults to the order's codAmount
    // False for a delivery agent: a cod_amount other than the order's is then forbidden (staff change the
    // order first).
    bool may_change_amount = true;
    std::optional<DeliveryProof> proof;
};

struct Deposit {
    std::int64_t id = 0;
    UserId agent_id = 0;
    Money amount;
    std::string reference, notes;
    std::vector<OpenCollection> allocations;  // order and amount of each allocation
    bool reconciled = false;
    // Once reconciled: by whom, when, with what notes (the auditor's trail).
    std::optional<UserId> reconciled_by;
    std::int64_t reconciled_us = 0;
    std::string reconcile_notes;
    std::int64_t version = -1;
    std::int64_t created_us = 0;
};

struct NewExpense {
    std::string category, description, receipt_url;
    Money amount;
    std::int64_t expense_date_us = 0;
};

struct Expense {
    std::int64_t id = 0;
    NewExpense expense;
    std::optional<UserId> recorded_by;
    std::int64_t created_us = 0;
};

// Expected order version for If-Match; nullopt: whatever the current version is. Every command on one order
// takes one: a stale version is a conflict and appends nothing.
using IfMatch = std::optional<std::int64_t>;

class OrderService {
  public:
    OrderService(EventLog& log, std::shared_ptr<Clock> clock, catalog::StockBook& stock,
                 customers::CustomerService& customers, const users::UserService& users);

    // The order as folding its stream gives it, without reading it back (its one event is the decided order).
    Result<CreatedOrder> create(const NewOrder& o, const CommandContext& ctx);
    // The common create without waiting: an order for a customer known by phone, with no sales rep, no
    // Idempotency-Key and no externalOrderId (the admin UI's and a shop's order), decided on the calling thread
    // and appended; `done` runs on the log's answering thread once the append is durable, with the created order,
    // or nullopt when create() must decide it again (a conflict) or report the log's refusal. A refusal of the
    // decision (unknown product, no stock, ...) calls `done` before returning. Returns false, calling nothing,
    // for any other create: call create().
    bool create_async(const NewOrder& o, const CommandContext& ctx,
                      std::function<void(std::optional<Result<CreatedOrder>>)> done);
    Result<Committed<Order>> update(OrderId id, const OrderPatch& p, IfMatch if_match, const CommandContext& ctx);
    Result<Committed<Order>> change_status(OrderId id, const StatusChange& c, IfMatch if_match,
                                           const CommandContext& ctx);
    // Refusals of the customer part name the customer's fields (firstName, email, phoneNumber, ...).
    Result<Committed<Order>> edit(OrderId id, const OrderEdit& e, IfMatch if_match, const CommandContext& ctx);
    // DELETE /orders/:id: to cancelled along the map (refused once delivered or already cancelled).
    Result<Committed<Order>> cancel(OrderId id, const std::string& reason, const CommandContext& ctx,
                                    IfMatch if_match = std::nullopt);
    // The user must be an active sales_rep / an active and available delivery_agent.
    Result<Committed<Order>> assign_rep(OrderId id, UserId rep, const CommandContext& ctx,
                                        IfMatch if_match = std::nullopt);
    Result<Committed<Order>> assign_agent(OrderId id, UserId agent, const CommandContext& ctx,
                                          IfMatch if_match = std::nullopt);

    Result<Committed<Order>> schedule_delivery(OrderId id, std::int64_t at_us, const std::string& notes,
                                               const CommandContext& ctx, IfMatch if_match = std::nullopt);
    Result<Committed<Order>> record_attempt(OrderId id, const std::string& notes, const CommandContext& ctx,
                                            IfMatch if_match = std::nullopt);
    Result<Committed<Order>> record_proof(OrderId id, const DeliveryProof& proof, const CommandContext& ctx,
                                          IfMatch if_match = std::nullopt);
    // out_for_delivery -> delivered, payment collected, the agent's cash in hand grows by the COD amount.
    Result<Committed<Order>> complete_delivery(OrderId id, const DeliveryCompletion& d, const CommandContext& ctx,
                                               IfMatch if_match = std::nullopt);
    // out_for_delivery -> failed_delivery with a reason; with reschedule_us also a new DeliveryScheduled.
    Result<Committed<Order>> fail_delivery(OrderId id, const std::string& reason,
                                           std::optional<std::int64_t> reschedule_us, const CommandContext& ctx,
                                           IfMatch if_match = std::nullopt);
    // delivered / failed_delivery / out_for_delivery -> returned (restocks).
    Result<Committed<Order>> return_order(OrderId id, const std::string& reason, const CommandContext& ctx,
                                          IfMatch if_match = std::nullopt);

    // Allocated to the agent's oldest open collections; refused above the agent's cash in hand.
    // The reference (required, one line) and notes are trimmed.
    Result<Committed<Deposit>> record_deposit(UserId agent, Money amount, std::string reference, std::string notes,
                                              const CommandContext& ctx);
    // Each order the deposit paid (wholly or in part) becomes reconciled once every deposit that took part of
    // it is. The notes are trimmed.
    Result<Committed<Deposit>> reconcile_deposit(std::int64_t deposit_id, std::string notes, const CommandContext& ctx);
    Result<Committed<Expense>> record_expense(const NewExpense& e, const CommandContext& ctx);

    [[nodiscard]] std::optional<Order> find(OrderId id) const;
    [[nodiscard]] AgentCash agent_cash(UserId agent) const;
    [[nodiscard]] std::optional<Deposit> find_deposit(std::int64_t id) const;

  private:
    // One create; a conflict on customerPhone when the customer found by the phone changed it before the append.
    Result<CreatedOrder> create_once(const NewOrder& o, const CommandContext& ctx);
    // A create's decision on `customer` and the order's products as they are now: its append (the order's id comes
    // from the sequence on the writer thread), the order and what its answer shows. `holds` keep the reservation
    // counted until the append has answered.
    struct NewOrderDecision {
        customers::Customer customer;
        std::shared_ptr<catalog::StockHolds> holds;
        std::optional<Order> order;  // set once decided (the append's order)
        std::vector<catalog::Product> products;
    };
    Result<AppendRequest> decide_new(const NewOrder& n, TimePoint now, NewOrderDecision& d);
    static CreatedOrder created(NewOrderDecision d, const AppendResult& appended, std::optional<users::User> rep);
    // The names an order's answer shows, as they are now (those not found left out: the answer then comes from
    // the orders view). Locks the order's products one at a time.
    CreatedOrder::Decided names_of(const Order& o);
    EventLog& log_;
    std::shared_ptr<Clock> clock_;
    catalog::StockBook& stock_;
    customers::CustomerService& customers_;
    const users::UserService& users_;
};

}  // namespace codd::engine::orders

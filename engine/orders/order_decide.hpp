#pragma once
// The order deciders: pure functions from an order's state, a command, the products it touches and `now`
// to the events that record the decision, or a Rejection with the REST field name. They read neither the
// log nor the clock; OrderService loads what they need (the products from the StockBook, under its locks).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/catalog/product.hpp"
#include "engine/catalog/stock.hpp"
#include "engine/customers/customer.hpp"
#include "engine/orders/order.hpp"
#include "engine/orders/order_service.hpp"
#include "engine/users/user.hpp"

namespace codd::engine::orders {

// A product as a decision sees it: the cached state (valid while the StockBook holds the product locked;
// not copied, a product's state grows with its orders) and what a new reservation may still take from it
// (on hand - reserved - units held by in-flight reservations).
struct ProductView {
    const Loaded<catalog::Product>* product = nullptr;
    std::int64_t available = 0;
};
using ProductViews = std::map<ProductId, ProductView>;

// Where an order's units go: from one stage and set of lines to another (items replaced: reserved ->
// reserved with other lines).
struct StockMove {
    StockStage from = StockStage::none, to = StockStage::none;
    std::vector<catalog::StockLine> from_lines, to_lines;
};

// The order's items as stock lines, merged by product, in product order.
std::vector<catalog::StockLine> lines_of(const std::vector<OrderItem>& items);
// Units the move takes from availability, per product (only products with a positive need).
std::vector<catalog::StockLine> units_taken(const StockMove& m);
// The product events of the move, each product stream appended with `any` (stock_book.hpp says why).
std::vector<StreamAppend> stock_streams(OrderId order, const StockMove& m);
// conflict "insufficient stock" (details productId, available, requested) when a product lacks the units.
std::optional<Rejection> check_available(const std::vector<catalog::StockLine>& taken, const ProductViews& products);

// What a command on an existing order appends: events on the order's stream, a stock move, events on
// other streams (an agent's cash).
struct Decision {
    std::vector<NewEvent> events;
    std::optional<StockMove> stock;
    std::vector<StreamAppend> others;
    [[nodiscard]] bool empty() const { return events.empty() && others.empty(); }
};

// The new order, priced from `products` (id 0: the log allocates it), pending_confirmation with its units
// reserved. `customer` supplies the delivery address, state and area the order leaves empty.
Result<Order> decide_create(const NewOrder& n, const customers::Customer& customer, const ProductViews& products,
                            std::int64_t now_us);

// The StockMove of a new order.
StockMove reservation_of(const Order& o);

Result<Decision> decide_update(const Order& o, const OrderPatch& p, const ProductViews& products);
// A change along the status map (any other only when `c.may_force`, with a reason). Into delivered with the
// payment pending it also collects the COD amount into the agent's cash (refused without an agent).
Result<Decision> decide_status(const Order& o, const StatusChange& c, std::int64_t now_us);
Result<Decision> decide_cancel(const Order& o, const std::string& reason);
Result<Decision> decide_assign_rep(const Order& o, UserId rep_id, const std::optional<users::User>& rep);
Result<Decision> decide_assign_agent(const Order& o, UserId agent_id, const std::optional<users::User>& agent);
Result<Decision> decide_schedule(const Order& o, std::int64_t at_us, const std::string& notes);
Result<Decision> decide_attempt(const Order& o, const std::string& notes);
Result<Decision> decide_proof(const Order& o, const DeliveryProof& proof);
Result<Decision> decide_complete(const Order& o, const DeliveryCompletion& d, std::int64_t now_us);
Result<Decision> decide_fail(const Order& o, const std::string& reason, std::optional<std::int64_t> reschedule_us);
Result<Decision> decide_return(const Order& o, const std::string& reason);

// The open collections of agent `agent_id` (the user `agent`, if any) a deposit of `amount` covers, oldest
// first, the last one possibly partial. Invalid (field agentId) when the user is not a delivery agent and
// never collected cash (a former agent still deposits what they hold); refused when amount <= 0 or above
// the cash in hand (field amount).
Result<std::vector<OpenCollection>> allocate_deposit(const AgentCash& cash, UserId agent_id,
                                                     const std::optional<users::User>& agent, Money amount);

// An expense as recorded: trimmed, with a category, a positive amount and a description.
// Trims free text (notes, a reason); invalid (under `field`) above 4 KiB, as an order's notes.
std::optional<Rejection> check_note_text(std::string& text, const char* field);
// Trims a deposit's reference and notes; invalid when the reference is blank or either is too long.
std::optional<Rejection> check_deposit_text(std::string& reference, std::string& notes);

Result<NewExpense> decide_expense(const NewExpense& e, std::int64_t now_us);

}  // namespace codd::engine::orders

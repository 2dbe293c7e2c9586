#pragma once
// An order as its events leave it (reference §1 Order, OrderItem, Delivery, Transaction; DESIGN §4), the
// status map, and the agent cash ledger. Both are folded from their streams by `evolve`; nothing here reads
// the log or the clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/envelope.hpp"
#include "engine/types.hpp"

namespace codd::engine::orders {

using OrderId = std::int64_t;
using ProductId = std::int64_t;
using CustomerId = std::int64_t;
using UserId = std::int64_t;

// The 9 statuses of the replaced system, in its order.
enum class OrderStatus {
    pending_confirmation,
    confirmed,
    preparing,
    ready_for_pickup,
    out_for_delivery,
    delivered,
    cancelled,
    returned,
    failed_delivery,
};
inline constexpr OrderStatus kAllStatuses[] = {
    OrderStatus::pending_confirmation, OrderStatus::confirmed, OrderStatus::preparing, OrderStatus::ready_for_pickup,
    OrderStatus::out_for_delivery,     OrderStatus::delivered, OrderStatus::cancelled, OrderStatus::returned,
    OrderStatus::failed_delivery,
};

enum class PaymentStatus { pending, collected, deposited, reconciled };

std::string_view to_string(OrderStatus s);
std::string_view to_string(PaymentStatus s);
std::optional<OrderStatus> parse_order_status(std::string_view s);
std::optional<PaymentStatus> parse_payment_status(std::string_view s);

// The allowed map of reference §1 ("Order status transitions"), plus failed_delivery -> returned (DESIGN §4: a
// parcel that failed delivery comes back). Any other change (from != to) is a forced transition: admin roles
// only, with a reason the event keeps. Cancelling an order whose payment was collected is refused either way.
bool transition_allowed(OrderStatus from, OrderStatus to);

// Where the order's units are: held for it (reserved), gone to the customer (dispatched: consumed on the
// way out_for_delivery), or back / never taken (none: released on cancel, restocked on return).
enum class StockStage { none, reserved, dispatched };
StockStage stock_stage(OrderStatus s);

struct OrderItem {
    std::int64_t id = 0;  // 1, 2, ... within the order, in the order given; new ids on an items update
    ProductId product_id = 0;
    std::int64_t quantity = 0;
    Money unit_price;                   // the catalog price when the item was decided
    Money total_price;                  // unit_price * quantity
    std::string item_type = "package";  // package | upsell
    std::string metadata_json;          // a JSON object, or empty
    bool operator==(const OrderItem&) const = default;
};

enum class ProofType { signature, photo, otp };
std::string_view to_string(ProofType p);
std::optional<ProofType> parse_proof_type(std::string_view s);

struct DeliveryProof {
    ProofType type = ProofType::signature;
    std::string data, image_url, recipient_name, recipient_phone;
    bool operator==(const DeliveryProof&) const = default;
};

struct Order {
    OrderId id = 0;
    CustomerId customer_id = 0;
    std::optional<UserId> customer_rep_id, delivery_agent_id, created_by;
    OrderStatus status = OrderStatus::pending_confirmation;
    PaymentStatus payment_status = PaymentStatus::pending;
    std::vector<OrderItem> items;
    Money subtotal, shipping_cost, discount, total_amount;
    Money cod_amount;  // = total_amount until delivery; what the agent collected after it
    std::string notes, internal_notes;
    std::string delivery_address, delivery_state, delivery_area;
    std::optional<std::int64_t> estimated_delivery_us;
    std::int64_t priority = 0;
    std::vector<std::string> tags;
    std::string source = "manual";  // manual | bulk_import | webhook | checkout_form
    std::string external_order_id;
    StockStage stock = StockStage::none;
    // Delivery (reference §1 Delivery, one per order).
    std::int64_t delivery_attempts = 0;
    std::optional<std::int64_t> scheduled_us, delivered_us;
    std::optional<DeliveryProof> proof;
    std::string failure_reason;
    // Cash: set when delivered (collected), deposited by an agent's deposit, reconciled by an accountant.
    std::optional<std::int64_t> deposit_id;
    std::int64_t version = -1;
    std::int64_t created_us = 0, updated_us = 0;
    bool operator==(const Order&) const = default;
};

// Applies one event of an order-<id> stream. Throws std::invalid_argument on a malformed payload.
void evolve(Order& o, const RecordedEvent& e);

// The agent-cash-<agentId> stream: what an agent collected and has not deposited, oldest first
// (DESIGN §4 "Delivery and cash"). cash_in_hand == sum of open amounts == collected - deposited.
struct OpenCollection {
    OrderId order_id = 0;
    Money amount;  // still to deposit (a partial deposit leaves the rest open)
    std::int64_t collected_us = 0;
    bool operator==(const OpenCollection&) const = default;
};

struct AgentCash {
    UserId agent_id = 0;
    Money collected, deposited;
    std::vector<OpenCollection> open;  // oldest first
    std::int64_t version = -1;
    [[nodiscard]] Money cash_in_hand() const { return Money{collected.minor - deposited.minor}; }
    bool operator==(const AgentCash&) const = default;
};

void evolve(AgentCash& a, const RecordedEvent& e);

}  // namespace codd::engine::orders

#pragma once
// The order, delivery and cash events: stream names, type names, and the payload of each (the contract the
// orders view and every later reader rely on). Payloads are JSON objects with the REST API's camelCase keys,
// schema version 1; money in integer minor units under its plain name ("totalAmount": 12500 is 125.00);
// times in microseconds since the epoch (UTC) under a name ending in "Us"; absent optional ids are null.
//
// Streams
//   order-<id>              one order (ids from the log sequence "order", 1001...)
//   agent-cash-<agentId>    an agent's collections and deposits (cash in hand = collected - deposited)
//   deposit-<id>            one deposit (ids from the sequence "deposit")
//   expense-<id>            one expense (ids from the sequence "expense")
// Stock moves of an order are catalog events (StockReserved, StockReleased, StockConsumed, StockRestocked on
// product-<id>, catalog_events.hpp) in the same atomic append as the order event that causes them.
//
// Item object (in OrderCreated and OrderItemsReplaced):
//   {id, productId, quantity, unitPrice, totalPrice, itemType: "package"|"upsell", metadata: object|null}
//
// order-<id>
//   OrderCreated          {orderId, customerId, customerRepId, deliveryAgentId, createdBy, status, paymentStatus,
//                          items: [item], subtotal, shippingCost, discount, totalAmount, codAmount, notes,
//                          internalNotes, deliveryAddress, deliveryState, deliveryArea, estimatedDeliveryUs,
//                          priority, tags: [string], source, externalOrderId}
//   OrderUpdated          {orderId, changes: {<only the fields that changed, of: customerId, notes, internalNotes,
//                          deliveryAddress, deliveryState, deliveryArea, estimatedDeliveryUs, priority, tags,
//                          shippingCost, discount, subtotal, totalAmount, codAmount>}}
//   OrderItemsReplaced    {orderId, items: [item], subtotal, shippingCost, discount, totalAmount, codAmount}
//   OrderStatusChanged    {orderId, from, to, forced: bool, reason, notes}
//                          Every status change, whatever command caused it (cancel, dispatch, delivery,
//                          failure, return). `reason` is required (non-empty) when forced.
//   OrderRepAssigned      {orderId, customerRepId, previousRepId}
//   OrderAgentAssigned    {orderId, deliveryAgentId, previousAgentId}
//   DeliveryScheduled     {orderId, scheduledUs, notes}
//   DeliveryAttempted     {orderId, attempt, notes}             attempt = 1, 2, ...
//   DeliveryProofRecorded {orderId, proofType: "signature"|"photo"|"otp", proofData, proofImageUrl,
//                          recipientName, recipientPhone}
//   DeliveryFailed        {orderId, reason, attempt}            followed by OrderStatusChanged to failed_delivery
//   PaymentCollected      {orderId, agentId, amount, collectedUs}   with the status change to delivered
//   PaymentDeposited      {orderId, depositId, amount}          the order's whole collection is now deposited
//                          (amount: the whole collected amount; depositId: the deposit that completed it)
//   PaymentReconciled     {orderId, depositId}
//
// agent-cash-<agentId>
//   CashCollected         {agentId, orderId, amount, collectedUs}
//   CashDeposited         {agentId, depositId, amount, reference, allocations: [{orderId, amount}]}
//                          allocations cover the oldest open collections first; the last one may be partial
//
// deposit-<id>
//   DepositRecorded       {depositId, agentId, amount, reference, notes, recordedBy,
//                          allocations: [{orderId, amount}]}
//   DepositReconciled     {depositId, notes, reconciledBy}
//
// expense-<id>
//   ExpenseRecorded       {expenseId, category, amount, description, receiptUrl, expenseDateUs, recordedBy}
//
// The status decides where an order's units are (StockStage): pending_confirmation .. ready_for_pickup hold
// them reserved; out_for_delivery, delivered and failed_delivery have them dispatched (consumed); cancelled
// and returned have none (released if they were reserved, restocked if they were dispatched). A status
// change moves the stock between stages in the same append (none -> reserved is refused when the stock is
// not available).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/envelope.hpp"
#include "engine/orders/order.hpp"

namespace codd::engine::orders::events {

inline constexpr std::string_view kOrderCreated = "OrderCreated";
inline constexpr std::string_view kOrderUpdated = "OrderUpdated";
inline constexpr std::string_view kOrderItemsReplaced = "OrderItemsReplaced";
inline constexpr std::string_view kOrderStatusChanged = "OrderStatusChanged";
inline constexpr std::string_view kOrderRepAssigned = "OrderRepAssigned";
inline constexpr std::string_view kOrderAgentAssigned = "OrderAgentAssigned";
inline constexpr std::string_view kDeliveryScheduled = "DeliveryScheduled";
inline constexpr std::string_view kDeliveryAttempted = "DeliveryAttempted";
inline constexpr std::string_view kDeliveryProofRecorded = "DeliveryProofRecorded";
inline constexpr std::string_view kDeliveryFailed = "DeliveryFailed";
inline constexpr std::string_view kPaymentCollected = "PaymentCollected";
inline constexpr std::string_view kPaymentDeposited = "PaymentDeposited";
inline constexpr std::string_view kPaymentReconciled = "PaymentReconciled";
inline constexpr std::string_view kCashCollected = "CashCollected";
inline constexpr std::string_view kCashDeposited = "CashDeposited";
inline constexpr std::string_view kDepositRecorded = "DepositRecorded";
inline constexpr std::string_view kDepositReconciled = "DepositReconciled";
inline constexpr std::string_view kExpenseRecorded = "ExpenseRecorded";

inline constexpr std::string_view kOrderSequence = "order";
inline constexpr std::string_view kDepositSequence = "deposit";
inline constexpr std::string_view kExpenseSequence = "expense";

std::string order_stream(OrderId id);
std::string agent_cash_stream(UserId agent);
std::string deposit_stream(std::int64_t deposit_id);
std::string expense_stream(std::int64_t expense_id);

// The fields an OrderUpdated changes: only those set appear in its `changes`.
struct OrderChanges {
    std::optional<CustomerId> customer_id;
    std::optional<std::string> notes, internal_notes, delivery_address, delivery_state, delivery_area;
    std::optional<std::optional<std::int64_t>> estimated_delivery_us;
    std::optional<std::int64_t> priority;
    std::optional<std::vector<std::string>> tags;
    std::optional<Money> shipping_cost, discount, subtotal, total_amount, cod_amount;
};

NewEvent order_created(const Order& o);
// order_created's payload rendered before the order has its id (on the thread that decides the order), so that the
// log's writer, which takes the id from the order sequence, only puts the id in front: with_id(id) is exactly
// order_created(o) with o.id = id.
class PendingOrderCreated {
  public:
    explicit PendingOrderCreated(const Order& o);
    [[nodiscard]] NewEvent with_id(OrderId id) const;

  private:
    std::string rest_;  // the payload after `{"orderId":<id>,`
};
NewEvent order_updated(OrderId id, const OrderChanges& c);
// The items and totals of `o` after the replacement.
NewEvent order_items_replaced(const Order& o);
NewEvent order_status_changed(OrderId id, OrderStatus from, OrderStatus to, bool forced, std::string_view reason,
                              std::string_view notes);
NewEvent order_rep_assigned(OrderId id, UserId rep, std::optional<UserId> previous);
NewEvent order_agent_assigned(OrderId id, UserId agent, std::optional<UserId> previous);
NewEvent delivery_scheduled(OrderId id, std::int64_t scheduled_us, std::string_view notes);
NewEvent delivery_attempted(OrderId id, std::int64_t attempt, std::string_view notes);
NewEvent delivery_proof_recorded(OrderId id, const DeliveryProof& p);
NewEvent delivery_failed(OrderId id, std::string_view reason, std::int64_t attempt);
NewEvent payment_collected(OrderId id, UserId agent, Money amount, std::int64_t collected_us);
NewEvent payment_deposited(OrderId id, std::int64_t deposit_id, Money amount);
NewEvent payment_reconciled(OrderId id, std::int64_t deposit_id);
NewEvent cash_collected(UserId agent, OrderId order, Money amount, std::int64_t collected_us);
NewEvent cash_deposited(UserId agent, std::int64_t deposit_id, Money amount, std::string_view reference,
                        const std::vector<OpenCollection>& allocations);
NewEvent deposit_recorded(std::int64_t deposit_id, UserId agent, Money amount, std::string_view reference,
                          std::string_view notes, std::optional<UserId> recorded_by,
                          const std::vector<OpenCollection>& allocations);
NewEvent deposit_reconciled(std::int64_t deposit_id, std::string_view notes, std::optional<UserId> reconciled_by);
NewEvent expense_recorded(std::int64_t expense_id, std::string_view category, Money amount,
                          std::string_view description, std::string_view receipt_url, std::int64_t expense_date_us,
                          std::optional<UserId> recorded_by);

}  // namespace codd::engine::orders::events

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

#include <string>
#include <string_view>

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

}  // namespace codd::engine::orders::events

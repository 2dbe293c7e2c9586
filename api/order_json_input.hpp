#pragma once
// Reading order commands from request bodies (reference §2 orders: POST and PUT /orders, §14 row 9), with
// field errors named as the client sent them (orderItems[0].quantity), and the mapping of the engine's
// refusals back to those names.

#include <string>
#include <utility>
#include <variant>

#include <boost/json/object.hpp>

#include "api/http_types.hpp"
#include "engine/orders/order_service.hpp"
#include "engine/result.hpp"

namespace codd::api {

// {customerId | customerPhone (+ customerName or customerFirstName/customerLastName, customerEmail,
// alternatePhone), orderItems[{productId, quantity, unitPrice?, itemType?, metadata?}], subtotal?,
// shippingCost?, discount?, totalAmount?, deliveryAddress, deliveryState, deliveryArea, notes?,
// internalNotes?, estimatedDelivery?, priority?, tags?, customerRepId?, externalOrderId?}
[[nodiscard]] std::variant<engine::orders::NewOrder, Response> read_new_order(const boost::json::object& body);
// The same fields, each optional (orderItems replaces the items).
[[nodiscard]] std::variant<engine::orders::OrderPatch, Response> read_order_patch(const boost::json::object& body);

// "Ama Serwaa Mensah" -> {"Ama", "Serwaa Mensah"}; one word -> {word, ""}.
[[nodiscard]] std::pair<std::string, std::string> split_name(const std::string& full);

// rejection() with the engine's field names renamed to the ones the order and delivery forms send: items[0].quantity
// is orderItems[0].quantity, a new customer's firstName is customerName, address deliveryAddress, a delivery's
// scheduledTime scheduledAt (in the message too when it starts with the name).
[[nodiscard]] Response order_rejection(const engine::Rejection& r);
// The `message` of a problem response (for per-item results of bulk commands).
[[nodiscard]] std::string problem_message(const Response& problem);
// {status, message, errors?} of a problem response: its HTTP status, message and field errors.
[[nodiscard]] boost::json::object problem_summary(const Response& problem);

}  // namespace codd::api

#pragma once
// An order's JSON in the shape OrdersQueries::order_summary_json reads from the orders view (the list shape
// with the version), rendered from the order as a create decided it and the names that create read: byte for
// byte what the view answers once it has applied the create (tests/projections/orders_view_test.cpp compares
// the two on orders with every kind of field, text and amount). A create's answer uses it: the command waits
// for the view to apply the order either way, and reading it back out of SQLite cost more CPU than deciding it.
//
// The renderer follows the SQL of orders_view_sql.cpp: SQLite's json_object escaping of text, its "%!.15g"
// of minor units / 100.0 (3000 -> 30.0), its strftime times with milliseconds. A change to the order's JSON
// there must be made here too; the comparison test fails until it is.

#include <optional>
#include <string>

#include "engine/orders/order_service.hpp"

namespace codd::projections {

// nullopt when `names` lacks one the order needs (a rep or product the decision did not read, an agent):
// the caller reads the order from the view instead.
std::optional<std::string> order_summary_json(const engine::orders::Order& o,
                                              const engine::orders::CreatedOrder::Decided& names);

}  // namespace codd::projections

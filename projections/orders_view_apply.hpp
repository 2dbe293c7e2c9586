#pragma once
// Private to the orders view: the event handlers, by event type, and what they share.

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "projections/orders_view_payload.hpp"
#include "projections/projection.hpp"

namespace codd::projections::orders_view {

using Handler = void (*)(Database& db, const RecordedEvent& e, const Fields& f);

struct HandlerEntry {
    std::string_view type;
    Handler handler;
};

// Users, customers and the catalog.
std::vector<HandlerEntry> people_handlers();
// Orders, deliveries, cash, deposits and expenses.
std::vector<HandlerEntry> order_handlers();

// Computes every counter the order handlers move (customers' lifetime orders and spend, order_day_counts,
// user_status_counts, user_delivered_months) from the orders: what a rebuild that loaded without them
// (Database::loading) runs at the end.
void derive_counters(Database& db);
// Rewrites the names (and a customer's phone) denormalized on the orders of every customer and user renamed
// while a rebuild loaded the file: renames are only noted then (the indexes that find a person's orders are
// created after the load), and an order always ends with its people's latest names, so one pass at the end is
// the same as one per rename.
void rename_after_load(Database& db);

// How a payload field is stored in a column.
enum class Kind { text, optional_text, integer, optional_integer, boolean, number, json, array };

// A field an update event may carry in its "changes" and the column it sets.
struct Column {
    std::string_view key;
    std::string_view column;
    Kind kind;
};

// Sets the column of each field of `changes` on row `id` of `table`, and updated_us to the event's time.
// A field not in `columns` is a malformed event (a writer newer than this view): it throws.
void update_columns(Database& db, std::string_view table, std::int64_t id, const Fields& changes,
                    std::span<const Column> columns, std::int64_t time_us);

// Throws unless the last statement changed exactly one row: an event about a row the view does not have
// means an event was lost or misrouted, never something to skip.
void expect_one_row(Database& db, std::string_view table, std::int64_t id);

}  // namespace codd::projections::orders_view

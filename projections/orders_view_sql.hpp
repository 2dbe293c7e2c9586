#pragma once
// Private to the orders view: the SQL the queries share. JSON is built by SQLite (json_object,
// json_group_array); these fragments keep one spelling of each response shape.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "projections/orders_view.hpp"

namespace codd::projections::orders_view {

// The 9 statuses in the replaced system's order (engine/orders/order.hpp), the keys of the kanban and of
// the ordersByStatus counts.
inline constexpr std::string_view kOrderStatuses[] = {
    "pending_confirmation", "confirmed", "preparing", "ready_for_pickup",
    "out_for_delivery",     "delivered", "cancelled", "returned",
    "failed_delivery",
};

// The statuses that end an order's work, as an SQL list: a rep's or agent's open (active) orders are the others.
inline constexpr std::string_view kClosedStatusesSql = "('delivered', 'cancelled', 'returned')";

// ISO-8601 UTC with milliseconds ("2026-11-25T10:00:00.123Z") of a microseconds expression, in integer
// arithmetic (a float of microseconds would round some milliseconds wrongly); NULL stays NULL.
std::string iso(std::string_view us);
// Minor units as a JSON number: 12500 -> 125.0.
std::string money(std::string_view minor);

// The response shapes, over the aliases named in each comment.
// The order list shape; `o` orders, `c` customers (LEFT JOIN on o.customer_id).
const std::string& order_object_fields();
// The order detail: the list shape plus history, delivery, transaction and version; same aliases.
const std::string& order_detail_fields();
// The customer shape; `c` customers.
const std::string& customer_object();
// The product shape; `p` products.
const std::string& product_object();

// A WHERE clause under construction with its parameters, numbered in order of appearance.
class Where {
  public:
    using Value = std::variant<std::int64_t, std::string>;

    // Adds "AND <condition>", where each '?' of `condition` takes the next of `values` (integers or text). The
    // values are placed one by one: a vector of variants made from an initializer list made g++ 12 warn, wrongly,
    // that a string in it may be used uninitialized.
    template <typename... V>
    Where& add(std::string_view condition, V&&... values) {
        add_all(condition, {});
        (values_.emplace_back(std::forward<V>(values)), ...);
        return *this;
    }
    // The same with values built at run time (an IN list).
    Where& add_all(std::string_view condition, std::vector<Value> values);
    // Appends the parameters of `other` (not its conditions): for a statement made of several WHERE clauses.
    Where& append(const Where& other);
    [[nodiscard]] std::string sql() const { return clauses_.empty() ? std::string() : " WHERE " + clauses_; }
    // Binds the parameters from `first` on (anonymous '?' parameters number in order of appearance across
    // the whole statement); returns the next free index.
    int bind(Statement& s, int first = 1) const;

  private:
    std::string clauses_;
    std::vector<Value> values_;
};

// How a search string is matched (OrderFilter::search, CustomerFilter::search).
struct Search {
    std::optional<std::int64_t> id;      // all digits: also an order id
    std::optional<std::string> phone;    // the digits a phone begins or ends with (separators removed)
    std::optional<std::string> pattern;  // a LIKE pattern for "contains", metacharacters escaped with '\'
    [[nodiscard]] bool empty() const { return !phone && !pattern; }
};
Search classify_search(std::string_view text);

// "%<text>%" with LIKE's metacharacters (% _ \) escaped by '\', for "LIKE ? ESCAPE '\'".
std::string contains_pattern(std::string_view text);
// "<column> LIKE ? ESCAPE '\' OR ..." for each column, all against the same pattern; a pattern too long for
// SQLite's LIKE (which no stored name, e-mail or SKU is) becomes a condition that matches nothing.
void add_contains(Where& w, std::initializer_list<std::string_view> columns, const std::string& pattern,
                  std::string_view prefix = {}, std::string_view suffix = {});

// Adds the condition of a search `s` (not empty): a phone prefix or a "contains" on the customer's first or
// last name (and e-mail when `with_email`) selects by `customer_id_column`; an all-digit search also matches
// `order_id_column` when given.
void add_customer_search(Where& w, const Search& s, std::string_view order_id_column,
                         std::string_view customer_id_column, bool with_email);

// [phone_lo, phone_hi): every normalized phone starting with `prefix` (normalized phones are '+' and digits).
std::string phone_upper_bound(std::string_view prefix);

// Clamped page and limit (limit 1..100, page >= 1), the OFFSET, and pages once the total is known.
struct PageWindow {
    std::int64_t page = 1, limit = 50, offset = 0;
    bool beyond = false;  // an offset past any possible row (a page number so large the offset overflows)
};
PageWindow window(const Page& p);
Pagination pagination(const PageWindow& w, std::int64_t total);

// Runs `sql` (one column of JSON text per row) and joins the rows into a JSON array "[a,b,...]".
std::string json_array(Statement& s);
// The single text value of `s`'s first row; nullopt when no row or NULL.
std::optional<std::string> json_value(Statement& s);

}  // namespace codd::projections::orders_view

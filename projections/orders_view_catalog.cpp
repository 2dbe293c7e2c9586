// OrdersQueries: customers and products.
#include <string>

#include "projections/orders_view_sql.hpp"

namespace codd::projections {

using namespace orders_view;

namespace {

// Runs the count and the page of a list: `from` names the table and its alias, `object` the JSON of a row.
PageResult list_page(Database& db, const std::string& from, const std::string& object, const Where& w,
                     std::string_view order_by, const Page& p) {
    Transaction snapshot(db, Transaction::Kind::deferred);
    const auto win = window(p);
    auto& count = db.cached("SELECT count(*) FROM " + from + w.sql());
    w.bind(count);
    count.step();
    PageResult r;
    r.pagination = pagination(win, count.column_int(0));
    count.reset();
    if (win.beyond) {
        r.items_json = "[]";
        return r;
    }
    auto& rows =
        db.cached("SELECT " + object + " FROM " + from + w.sql() + std::string(order_by) + " LIMIT ? OFFSET ?");
    const int next = w.bind(rows);
    rows.bind(next, win.limit).bind(next + 1, win.offset);
    r.items_json = json_array(rows);
    return r;
}

}  // namespace

PageResult OrdersQueries::list_customers(const CustomerFilter& f, const Page& p) const {
    Where w;
    if (!f.include_inactive) w.add("c.is_active = 1");
    if (f.area) w.add("c.area = ? COLLATE NOCASE", *f.area);
    if (f.search) {
        const auto s = classify_search(*f.search);
        if (!s.empty()) add_customer_search(w, s, {}, "c.id", true);
    }
    auto lease = pool_.acquire();
    return list_page(*lease, "customers c", customer_object(), w, " ORDER BY c.created_us DESC, c.id DESC", p);
}

std::optional<std::string> OrdersQueries::customer_json(std::int64_t customer_id) const {
    auto lease = pool_.acquire();
    auto& s = lease->cached("SELECT " + customer_object() + " FROM customers c WHERE c.id = ?1");
    s.bind(1, customer_id);
    return json_value(s);
}

std::optional<std::string> OrdersQueries::customer_analytics_json(std::int64_t customer_id,
                                                                  std::optional<std::int64_t> rep_id,
                                                                  std::optional<std::int64_t> agent_id) const {
    std::string by_status;
    for (const auto status : kOrderStatuses) {
        const std::string name(status);
        if (!by_status.empty()) by_status += ", ";
        by_status += "'" + name + "', count(o.id) FILTER (WHERE o.status = '" + name + "')";
    }
    auto lease = pool_.acquire();
    // The counters are the customer's (orders not cancelled, DESIGN: customers view); the status counts and dates
    // cover all its orders, or only those of the rep or agent given.
    auto& s = lease->cached("SELECT json_object('totalOrders', c.total_orders, 'totalSpent', " +
                            money("c.total_spent") + ", 'averageOrderValue', " +
                            money("iif(c.total_orders > 0, round(c.total_spent * 1.0 / c.total_orders), 0)") +
                            ", 'ordersByStatus', json_object(" + by_status + "), 'firstOrderDate', " +
                            iso("min(o.created_us)") + ", 'lastOrderDate', " + iso("max(o.created_us)") +
                            ") FROM customers c LEFT JOIN orders o ON o.customer_id = c.id"
                            " AND (?2 IS NULL OR o.customer_rep_id = ?2) AND (?3 IS NULL OR o.delivery_agent_id = ?3)"
                            " WHERE c.id = ?1 GROUP BY c.id");
    s.bind(1, customer_id);
    s.bind(2, rep_id);
    s.bind(3, agent_id);
    return json_value(s);
}

PageResult OrdersQueries::list_products(const ProductFilter& f, const Page& p) const {
    Where w;
    if (f.is_active) w.add("p.is_active = ?", std::int64_t{*f.is_active ? 1 : 0});
    if (f.category) w.add("p.category = ? COLLATE NOCASE", *f.category);
    if (f.search) {
        // A "contains" on name or SKU, digits included.
        if (!classify_search(*f.search).empty()) add_contains(w, {"p.name", "p.sku"}, contains_pattern(*f.search));
    }
    auto lease = pool_.acquire();
    return list_page(*lease, "products p", product_object(), w, " ORDER BY p.created_us DESC, p.id DESC", p);
}

std::optional<std::string> OrdersQueries::product_json(std::int64_t product_id) const {
    auto lease = pool_.acquire();
    auto& s = lease->cached("SELECT " + product_object() + " FROM products p WHERE p.id = ?1");
    s.bind(1, product_id);
    return json_value(s);
}

std::string OrdersQueries::low_stock_json() const {
    auto lease = pool_.acquire();
    auto& s = lease->cached("SELECT " + product_object() +
                            " FROM products p WHERE p.is_active = 1 AND p.stock - p.reserved <= p.low_stock_threshold"
                            " ORDER BY p.stock - p.reserved, p.id");
    return json_array(s);
}

}  // namespace codd::projections

// OrdersQueries: the order list, detail, reference, kanban, stats and history.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "projections/orders_view_sql.hpp"

namespace codd::projections {

using namespace orders_view;

namespace {

// Every filter but the statuses (the kanban asks per status).
Where order_where(const OrderFilter& f) {
    Where w;
    if (f.customer_id) w.add("o.customer_id = ?", *f.customer_id);
    if (f.customer_rep_id) w.add("o.customer_rep_id = ?", *f.customer_rep_id);
    if (f.delivery_agent_id) w.add("o.delivery_agent_id = ?", *f.delivery_agent_id);
    if (f.area) w.add("o.delivery_area = ? COLLATE NOCASE", *f.area);
    if (f.created_from_us) w.add("o.created_us >= ?", *f.created_from_us);
    if (f.created_to_us) w.add("o.created_us <= ?", *f.created_to_us);
    if (f.payment_status) w.add("o.payment_status = ?", *f.payment_status);
    if (f.scheduled_from_us || f.scheduled_to_us) {
        w.add("o.id IN (SELECT order_id FROM deliveries WHERE scheduled_us >= ? AND scheduled_us < ?)",
              f.scheduled_from_us.value_or(INT64_MIN), f.scheduled_to_us.value_or(INT64_MAX));
    }
    if (f.search) {
        const auto s = classify_search(*f.search);
        if (s.phone || s.pattern) add_customer_search(w, s, "o.id", "o.customer_id", false);
    }
    return w;
}

void add_statuses(Where& w, const std::vector<std::string>& statuses) {
    if (statuses.empty()) return;
    std::string in = "o.status IN (";
    std::vector<Where::Value> values;
    for (const auto& s : statuses) {
        in += values.empty() ? "?" : ", ?";
        values.emplace_back(s);
    }
    w.add_all(in + ")", std::move(values));
}

std::string_view order_by(OrderSort sort) {
    switch (sort) {
        case OrderSort::created_desc:
            return " ORDER BY o.created_us DESC, o.id DESC";
        case OrderSort::created_asc:
            return " ORDER BY o.created_us, o.id";
        case OrderSort::total_desc:
            return " ORDER BY o.total_amount DESC, o.id DESC";
        case OrderSort::total_asc:
            return " ORDER BY o.total_amount, o.id";
        case OrderSort::priority_desc:
            return " ORDER BY o.priority DESC, o.created_us DESC, o.id DESC";
        case OrderSort::updated_desc:
            return " ORDER BY o.updated_us DESC, o.id DESC";
        case OrderSort::scheduled_asc:
            return " ORDER BY (SELECT d.scheduled_us FROM deliveries d WHERE d.order_id = o.id) IS NULL, "
                   "(SELECT d.scheduled_us FROM deliveries d WHERE d.order_id = o.id), o.priority DESC, o.id";
    }
    return {};
}

std::string count_sql(const Where& w) {
    return "SELECT count(*) FROM orders o" + w.sql();
}

std::string page_sql(const Where& w, OrderSort sort) {
    return "SELECT o.id FROM orders o" + w.sql() + std::string(order_by(sort)) + " LIMIT ? OFFSET ?";
}

std::int64_t count(Database& db, const std::string& sql, const Where& w) {
    auto& s = db.cached(sql);
    w.bind(s);
    s.step();
    const auto n = s.column_int(0);
    s.reset();
    return n;
}

constexpr std::int64_t kDayUs = 86'400'000'000;  // order_day_counts' days

// The SQL and parameters of the total of a list filtered by statuses and a creation range only, when the range
// holds a whole day: its whole days summed from order_day_counts, its partial first and last days counted in the
// orders. nullopt for any other filter (and short ranges, which the orders' indexes count cheaply anyway).
std::optional<std::pair<std::string, Where>> day_counted_total(const OrderFilter& f) {
    if (f.customer_id || f.customer_rep_id || f.delivery_agent_id || f.area || f.payment_status || f.search ||
        f.scheduled_from_us || f.scheduled_to_us) {
        return std::nullopt;
    }
    if (!f.created_from_us || !f.created_to_us || *f.created_from_us <= 0) return std::nullopt;
    const auto from = *f.created_from_us, to = *f.created_to_us;
    if (to >= INT64_MAX - kDayUs) return std::nullopt;
    const auto first_day = (from + kDayUs - 1) / kDayUs;  // the first day starting at or after `from`
    const auto end_day = (to + 1) / kDayUs;               // the first day ending after `to`
    if (first_day >= end_day) return std::nullopt;
    Where days, head, tail;
    for (auto* w : {&days, &head, &tail}) add_statuses(*w, f.statuses);
    days.add("o.day >= ? AND o.day < ?", first_day, end_day);
    head.add("o.created_us >= ? AND o.created_us < ?", from, first_day * kDayUs);
    tail.add("o.created_us >= ? AND o.created_us <= ?", end_day * kDayUs, to);
    std::string sql = "SELECT (SELECT coalesce(sum(o.orders), 0) FROM order_day_counts o" + days.sql() +
                      ") + (SELECT count(*) FROM orders o" + head.sql() + ") + (SELECT count(*) FROM orders o" +
                      tail.sql() + ")";
    Where all;  // the three parameter lists, in order
    all.append(days).append(head).append(tail);
    return std::pair(std::move(sql), std::move(all));
}

// The statement that counts the orders a list selects (its pagination's total), with its parameters.
std::pair<std::string, Where> total_statement(const OrderFilter& f, const Where& w) {
    if (auto by_days = day_counted_total(f)) return std::move(*by_days);
    return {count_sql(w), w};
}

// The list shapes of the orders `ids` selects (one column of ids), as a JSON array in its order. One point
// lookup per order: a page's JSON is built for its 50 rows only, never for the rows a sort passes over.
std::string orders_of(Database& db, Statement& ids) {
    static const std::string sql = "SELECT json_object(" + order_object_fields() +
                                   ") FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.id = ?1";
    auto& one = db.cached(sql);
    std::string out = "[";
    while (ids.step()) {
        one.bind(1, ids.column_int(0));
        if (one.step()) {
            if (out.size() > 1) out += ',';
            out += one.column_text(0);
        }
        one.reset();
    }
    ids.reset();
    out += ']';
    return out;
}

}  // namespace

OrdersQueries::OrdersQueries(ReaderPool& pool) : pool_(pool) {}

PageResult OrdersQueries::list_orders(const OrderFilter& f, const Page& p) const {
    auto lease = pool_.acquire();
    Transaction snapshot(*lease, Transaction::Kind::deferred);  // the count and the page see one snapshot
    auto w = order_where(f);
    add_statuses(w, f.statuses);
    const auto win = window(p);
    PageResult r;
    const auto [total_sql, total_where] = total_statement(f, w);
    r.pagination = pagination(win, count(*lease, total_sql, total_where));
    if (win.beyond) {
        r.items_json = "[]";
        return r;
    }
    auto& ids = lease->cached(page_sql(w, f.sort));
    const int next = w.bind(ids);
    ids.bind(next, win.limit).bind(next + 1, win.offset);
    r.items_json = orders_of(*lease, ids);
    return r;
}

std::optional<std::string> OrdersQueries::order_summary_json(std::int64_t order_id) const {
    auto lease = pool_.acquire();
    static const std::string sql = "SELECT json_object(" + order_object_fields() +
                                   ", 'version', o.version) FROM orders o LEFT JOIN customers c ON c.id = "
                                   "o.customer_id WHERE o.id = ?1";
    auto& s = lease->cached(sql);
    s.bind(1, order_id);
    return json_value(s);
}

std::optional<std::string> OrdersQueries::order_json(std::int64_t order_id) const {
    auto detail = order_detail(order_id);
    if (!detail) return std::nullopt;
    return std::move(detail->json);
}

std::optional<OrdersQueries::OrderDetail> OrdersQueries::order_detail(std::int64_t order_id) const {
    auto lease = pool_.acquire();
    static const std::string sql = "SELECT o.version, json_object(" + order_detail_fields() +
                                   ") FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.id = ?1";
    auto& s = lease->cached(sql);
    s.bind(1, order_id);
    std::optional<OrderDetail> out;
    if (s.step()) out = OrderDetail{s.column_int(0), std::string(s.column_text(1))};
    s.reset();
    return out;
}

std::optional<OrdersQueries::OrderRef> OrdersQueries::order_ref(std::int64_t order_id) const {
    auto lease = pool_.acquire();
    auto& s = lease->cached("SELECT version, customer_rep_id, delivery_agent_id FROM orders WHERE id = ?1");
    s.bind(1, order_id);
    std::optional<OrderRef> r;
    if (s.step()) r = OrderRef{s.column_int(0), s.column_optional_int(1), s.column_optional_int(2)};
    s.reset();
    return r;
}

std::int64_t OrdersQueries::open_orders_of(std::int64_t user_id) const {
    auto lease = pool_.acquire();
    // From the rep and agent rollups: a few rows, where counting the orders rows of a busy rep took ~0.3 s at
    // 100,000 orders. An order whose rep is also its agent counts twice; it is open all the same.
    static const std::string sql =
        "SELECT coalesce(sum(orders), 0) FROM user_status_counts WHERE user_id = ?1 AND status NOT IN " +
        std::string(kClosedStatusesSql);
    auto& s = lease->cached(sql);
    s.bind(1, user_id);
    s.step();
    const std::int64_t n = s.column_int(0);
    s.reset();
    return n;
}

namespace {

Where kanban_where(const OrderFilter& f) {
    auto w = order_where(f);
    w.add("o.status = ?", std::string());  // the status is bound per column of the board
    return w;
}

std::string kanban_sql(const Where& w, OrderSort sort) {
    return "SELECT o.id FROM orders o" + w.sql() + std::string(order_by(sort)) + " LIMIT ?";
}

}  // namespace

std::string OrdersQueries::kanban_json(const OrderFilter& f, std::int64_t per_status, OrderSort sort) const {
    auto lease = pool_.acquire();
    Transaction snapshot(*lease, Transaction::Kind::deferred);  // every column of the board sees one snapshot
    const auto w = kanban_where(f);
    const auto sql = kanban_sql(w, sort);
    std::string out = "{";
    for (const auto status : kOrderStatuses) {
        const std::string name(status);
        if (!f.statuses.empty() && std::find(f.statuses.begin(), f.statuses.end(), name) == f.statuses.end()) {
            out += (out.size() > 1 ? ",\"" : "\"") + name + "\":[]";  // a column the filter leaves out
            continue;
        }
        auto& ids = lease->cached(sql);
        const int next = w.bind(ids);
        ids.bind(next - 1, name).bind(next, std::max<std::int64_t>(per_status, 0));
        if (out.size() > 1) out += ',';
        out += "\"" + name + "\":" + orders_of(*lease, ids);
    }
    out += '}';
    return out;
}

std::string OrdersQueries::stats_json(const OrderFilter& f) const {
    auto lease = pool_.acquire();
    auto w = order_where(f);
    add_statuses(w, f.statuses);
    std::string by_status;
    for (const auto status : kOrderStatuses) {
        const std::string name(status);
        if (!by_status.empty()) by_status += ", ";
        by_status += "'" + name + "', coalesce(sum(n) FILTER (WHERE status = '" + name + "'), 0)";
    }
    // Revenue: the totals of delivered orders (reference §2 orders /stats); the average is over them.
    auto& s = lease->cached(
        "SELECT json_object('totalOrders', coalesce(sum(n), 0), 'ordersByStatus', json_object(" + by_status +
        "), 'totalRevenue', " + money("coalesce(sum(revenue), 0)") + ", 'avgOrderValue', " +
        money("coalesce(round(sum(revenue) * 1.0 / sum(n) FILTER (WHERE status = 'delivered')), 0)") +
        ") FROM (SELECT o.status, count(*) AS n, sum(o.total_amount) FILTER (WHERE o.status = 'delivered') AS "
        "revenue FROM orders o" +
        w.sql() + " GROUP BY o.status)");
    w.bind(s);
    return json_value(s).value_or("{}");
}

std::optional<std::string> OrdersQueries::history_json(std::int64_t order_id) const {
    auto lease = pool_.acquire();
    Transaction snapshot(*lease, Transaction::Kind::deferred);  // the order and its rows see one snapshot
    auto& exists = lease->cached("SELECT 1 FROM orders WHERE id = ?1");
    exists.bind(1, order_id);
    const bool found = exists.step();
    exists.reset();
    if (!found) return std::nullopt;
    auto& s = lease->cached(
        "SELECT json_object('position', h.position, 'type', h.type, 'time', " + iso("h.time_us") +
        ", 'actor', json_object('id', h.actor_id, 'name', (SELECT first_name || ' ' || last_name FROM users WHERE "
        "id = h.actor_id), 'role', h.actor_role), 'requestId', h.request_id, 'changes', json_remove(h.payload, "
        "'$.orderId')) FROM order_history h WHERE h.order_id = ?1 ORDER BY h.version");
    s.bind(1, order_id);
    return json_array(s);
}

std::string OrdersQueries::explain_list_orders(const OrderFilter& f) const {
    auto lease = pool_.acquire();
    auto w = order_where(f);
    add_statuses(w, f.statuses);
    const std::pair<std::string, Where> statements[] = {total_statement(f, w), {page_sql(w, f.sort), w}};
    std::string plan;
    for (const auto& [sql, where] : statements) {
        auto s = lease->prepare("EXPLAIN QUERY PLAN " + sql);
        where.bind(s);
        while (s.step()) plan.append(s.column_text(3)).append("\n");
    }
    return plan;
}

std::string OrdersQueries::explain_kanban(const OrderFilter& f, OrderSort sort) const {
    auto lease = pool_.acquire();
    const auto w = kanban_where(f);
    auto s = lease->prepare("EXPLAIN QUERY PLAN " + kanban_sql(w, sort));
    const int next = w.bind(s);
    s.bind(next - 1, "delivered").bind(next, 50);
    std::string plan;
    while (s.step()) plan.append(s.column_text(3)).append("\n");
    return plan;
}

}  // namespace codd::projections

// OrdersQueries: COD transactions, the financial summary and reports, agent cash balances, and the rep and
// agent rollups.
#include <cstdio>
#include <ctime>
#include <string>

#include "projections/orders_view_sql.hpp"

namespace codd::projections {

using namespace orders_view;

namespace {

// `from_us`..`to_us` (inclusive, either open) on `column`.
Where range(std::string_view column, std::optional<std::int64_t> from_us, std::optional<std::int64_t> to_us) {
    Where w;
    if (from_us) w.add(std::string(column) + " >= ?", *from_us);
    if (to_us) w.add(std::string(column) + " <= ?", *to_us);
    return w;
}

std::string transaction_object() {
    // openAmount: what of the collection no deposit has taken yet (a partial deposit leaves some).
    return "json_object('id', t.id, 'orderId', t.order_id, 'type', t.type, 'amount', " + money("t.amount") +
           ", 'openAmount', " + money("t.open_amount") +
           R"sql(, 'paymentMethod', t.payment_method, 'status', t.status, 'reference', t.reference,
        'agentId', t.agent_id, 'depositId', t.deposit_id, 'createdAt', )sql" +
           iso("t.created_us") + ", 'updatedAt', " + iso("t.updated_us") + R"sql(,
        'order', json_object('id', o.id, 'orderNumber', CAST(o.id AS TEXT), 'status', o.status,
            'paymentStatus', o.payment_status, 'totalAmount', )sql" +
           money("o.total_amount") + ", 'codAmount', " + money("o.cod_amount") + R"sql(,
            'deliveryAddress', o.delivery_address, 'deliveryArea', o.delivery_area,
            'customerId', o.customer_id, 'deliveryAgentId', t.agent_id,
            'customer', json_object('id', o.customer_id, 'firstName', o.customer_first_name,
                                    'lastName', o.customer_last_name, 'phoneNumber', o.customer_phone),
            'deliveryAgent', json_object('id', t.agent_id, 'firstName', a.first_name, 'lastName', a.last_name)))
    )sql";
}

}  // namespace

PageResult OrdersQueries::list_transactions(const TransactionFilter& f, const Page& p) const {
    auto w = range("t.created_us", f.from_us, f.to_us);
    if (f.type) w.add("t.type = ?", *f.type);
    if (f.status) w.add("t.status = ?", *f.status);
    if (f.agent_id) w.add("t.agent_id = ?", *f.agent_id);
    const auto win = window(p);
    auto lease = pool_.acquire();
    Transaction snapshot(*lease, Transaction::Kind::deferred);
    auto& count = lease->cached("SELECT count(*) FROM transactions t" + w.sql());
    w.bind(count);
    count.step();
    PageResult r;
    r.pagination = pagination(win, count.column_int(0));
    count.reset();
    if (win.beyond) {
        r.items_json = "[]";
        return r;
    }
    // The page's ids first, then the JSON of those rows only.
    auto& rows = lease->cached("SELECT " + transaction_object() + " FROM (SELECT t.id FROM transactions t" + w.sql() +
                               " ORDER BY t.created_us DESC, t.id DESC LIMIT ? OFFSET ?) page"
                               " JOIN transactions t ON t.id = page.id JOIN orders o ON o.id = t.order_id"
                               " LEFT JOIN users a ON a.id = t.agent_id ORDER BY t.created_us DESC, t.id DESC");
    const int next = w.bind(rows);
    rows.bind(next, win.limit).bind(next + 1, win.offset);
    r.items_json = json_array(rows);
    return r;
}

std::string OrdersQueries::financial_summary_json(std::optional<std::int64_t> from_us,
                                                  std::optional<std::int64_t> to_us) const {
    const auto collected = range("created_us", from_us, to_us);
    const auto spent = range("expense_date_us", from_us, to_us);
    auto pending = range("created_us", from_us, to_us);
    pending.add("status = 'out_for_delivery' AND payment_status = 'pending'");
    auto lease = pool_.acquire();
    Transaction snapshot(*lease, Transaction::Kind::deferred);
    const auto sum = [&](const std::string& sql, const Where& w) {
        auto& s = lease->cached(sql + w.sql());
        w.bind(s);
        s.step();
        const auto v = s.column_int(0);
        s.reset();
        return v;
    };
    const auto revenue = sum("SELECT coalesce(sum(amount), 0) FROM transactions", collected);
    const auto expenses = sum("SELECT coalesce(sum(amount), 0) FROM expenses", spent);
    const auto cod_pending = sum("SELECT coalesce(sum(total_amount), 0) FROM orders", pending);
    auto& s =
        lease->cached("SELECT json_object('totalRevenue', " + money("?1") + ", 'totalExpenses', " + money("?2") +
                      ", 'profit', " + money("?1 - ?2") + ", 'codCollected', " + money("?1") + ", 'codPending', " +
                      money("?3") + ", 'profitMargin', iif(?1 > 0, round((?1 - ?2) * 100.0 / ?1, 2), 0))");
    s.bind(1, revenue).bind(2, expenses).bind(3, cod_pending);
    return json_value(s).value_or("{}");
}

std::string OrdersQueries::financial_report_json(bool monthly, std::optional<std::int64_t> from_us,
                                                 std::optional<std::int64_t> to_us) const {
    const std::string format = monthly ? "%Y-%m" : "%Y-%m-%d";
    const auto bucket = [&](std::string_view us) {
        return "strftime('" + format + "', " + std::string(us) + " / 1000000, 'unixepoch')";
    };
    const auto collected = range("created_us", from_us, to_us);
    const auto spent = range("expense_date_us", from_us, to_us);
    const auto created = range("created_us", from_us, to_us);
    auto lease = pool_.acquire();
    // Revenue: COD collected that day; expenses by their date; orders: created that day.
    auto& s = lease->cached("SELECT json_object('date', day, 'revenue', " + money("sum(revenue)") + ", 'expenses', " +
                            money("sum(expenses)") + ", 'profit', " + money("sum(revenue) - sum(expenses)") +
                            ", 'orders', sum(orders)) FROM (SELECT " + bucket("created_us") +
                            " AS day, amount AS revenue, 0 AS expenses, 0 AS orders FROM transactions" +
                            collected.sql() + " UNION ALL SELECT " + bucket("expense_date_us") +
                            ", 0, amount, 0 FROM expenses" + spent.sql() + " UNION ALL SELECT " + bucket("created_us") +
                            ", 0, 0, 1 FROM orders" + created.sql() + ") GROUP BY day ORDER BY day");
    created.bind(s, spent.bind(s, collected.bind(s)));
    return json_array(s);
}

std::string OrdersQueries::agent_balances_json() const {
    auto lease = pool_.acquire();
    auto& s = lease->cached(
        "SELECT json_object('agentId', c.agent_id, 'agentName', trim(coalesce(u.first_name, '') || ' ' || "
        "coalesce(u.last_name, '')), 'collected', " +
        money("c.collected") + ", 'deposited', " + money("c.deposited") + ", 'cashInHand', " +
        money("c.collected - c.deposited") +
        ", 'openCollections', (SELECT count(*) FROM transactions t WHERE t.agent_id = c.agent_id AND "
        "t.open_amount > 0), 'oldestOpenAt', " +
        iso("(SELECT min(t.collected_us) FROM transactions t WHERE t.agent_id = c.agent_id AND t.open_amount > 0)") +
        ") FROM agent_cash c LEFT JOIN users u ON u.id = c.agent_id ORDER BY c.agent_id");
    return json_array(s);
}

std::string OrdersQueries::rep_performance_json(std::string_view month) const {
    static const std::string sql = [] {
        std::string by_status;
        for (const auto status : kOrderStatuses) {
            if (!by_status.empty()) by_status += ", ";
            by_status += "'" + std::string(status) +
                         "', coalesce((SELECT orders FROM user_status_counts s WHERE s.user_id = u.id AND "
                         "s.role = 'rep' AND s.status = '" +
                         std::string(status) + "'), 0)";
        }
        // Earnings: the rep's commission per delivered order (reference §7); this month's: those delivered
        // in month ?1.
        return "SELECT json_object('repId', u.id, 'repName', u.first_name || ' ' || u.last_name, 'isActive', "
               "json(iif(u.is_active, 'true', 'false')), 'commissionRate', " +
               money("coalesce(u.commission_minor, 0)") +
               ", 'metrics', json_object('totalAssigned', assigned, 'activeOrders', active, 'deliveredCount', "
               "delivered, 'successRate', "
               "iif(assigned > 0, round(delivered * 100.0 / assigned, 2), 0), 'totalEarnings', " +
               money("coalesce(u.commission_minor, 0) * delivered") + ", 'monthlyEarnings', " +
               money("coalesce(u.commission_minor, 0) * this_month") + ", 'revenue', " + money("revenue") +
               "), 'ordersByStatus', json_object(" + by_status +
               ")) FROM (SELECT u.*, "
               "coalesce((SELECT sum(orders) FROM user_status_counts WHERE user_id = u.id AND role = 'rep'), 0) "
               "AS assigned, "
               "coalesce((SELECT sum(orders) FROM user_status_counts WHERE user_id = u.id AND role = 'rep' AND "
               "status NOT IN " +
               std::string(kClosedStatusesSql) +
               "), 0) AS active, "
               "coalesce((SELECT orders FROM user_status_counts WHERE user_id = u.id AND role = 'rep' AND status = "
               "'delivered'), 0) AS delivered, "
               "coalesce((SELECT amount FROM user_status_counts WHERE user_id = u.id AND role = 'rep' AND status = "
               "'delivered'), 0) AS revenue, "
               "coalesce((SELECT orders FROM user_delivered_months WHERE user_id = u.id AND role = 'rep' AND month = "
               "?1), 0) AS this_month "
               "FROM users u WHERE u.role = 'sales_rep') u ORDER BY u.id";
    }();
    auto lease = pool_.acquire();
    return json_array(lease->cached(sql).bind(1, month));
}

std::string OrdersQueries::agent_performance_json(std::string_view month) const {
    static const std::string sql = [] {
        const auto count = [](std::string_view status) {
            return "coalesce((SELECT orders FROM user_status_counts WHERE user_id = u.id AND role = 'agent' AND "
                   "status = '" +
                   std::string(status) + "'), 0)";
        };
        // Earnings: the agent's delivery rate per delivered order; this month's: those delivered in month ?1.
        return "SELECT json_object('userId', u.id, 'userName', u.first_name || ' ' || u.last_name, 'isActive', "
               "json(iif(u.is_active, 'true', 'false')), 'isAvailable', json(iif(u.is_available, 'true', "
               "'false')), 'vehicleType', u.vehicle_type, 'vehicleId', u.vehicle_id, 'totalAssigned', assigned, "
               "'completed', completed, 'failed', failed, 'inProgress', in_progress, 'successRate', iif(assigned > "
               "0, round(completed * 100.0 / assigned, 2), 0), 'deliveryRate', " +
               money("coalesce(u.delivery_rate_minor, 0)") + ", 'totalEarnings', " +
               money("coalesce(u.delivery_rate_minor, 0) * completed") + ", 'monthlyEarnings', " +
               money("coalesce(u.delivery_rate_minor, 0) * this_month") + ", 'collectedAmount', " + money("collected") +
               ") FROM (SELECT u.*, coalesce((SELECT sum(orders) FROM user_status_counts WHERE user_id = u.id AND "
               "role = 'agent'), 0) AS assigned, " +
               count("delivered") + " AS completed, " + count("failed_delivery") + " AS failed, " +
               count("out_for_delivery") + " + " + count("ready_for_pickup") +
               " AS in_progress, coalesce((SELECT amount FROM user_status_counts WHERE user_id = u.id AND role = "
               "'agent' AND status = 'delivered'), 0) AS collected, coalesce((SELECT orders FROM "
               "user_delivered_months WHERE user_id = u.id AND role = 'agent' AND month = ?1), 0) AS this_month "
               "FROM users u WHERE u.role = 'delivery_agent') u ORDER BY u.id";
    }();
    auto lease = pool_.acquire();
    return json_array(lease->cached(sql).bind(1, month));
}

std::string utc_month(std::int64_t time_us) {
    // Floor division: a time before 1970 still falls in its own month.
    const std::time_t seconds = static_cast<std::time_t>(time_us / 1'000'000 - (time_us % 1'000'000 < 0 ? 1 : 0));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    return buf;
}

}  // namespace codd::projections

// /users/reps/workload, /users/reps/performance and /users/agents/performance (reference §2 users, §14 rows
// 35 and 37): per-user rollups the orders view keeps, so none of them scans the orders.
#include "api/commerce_common.hpp"

namespace codd::api {

void add_performance_routes(Router& router, const Commerce& c) {
    using namespace commerce;
    auto query = [&](std::string_view path, std::string (projections::OrdersQueries::*rollup)() const) {
        add(router, c, "GET", path, [&c, rollup](const Request& r, const Authenticated&) {
            return read_after_min_position(c, r,
                                           [&] { return json_text(200, wrap("performance", (c.queries.*rollup)())); });
        });
    };
    // Workload and performance share the per-rep rows (reference §14 row 37).
    query("/users/reps/workload", &projections::OrdersQueries::rep_performance_json);
    query("/users/reps/performance", &projections::OrdersQueries::rep_performance_json);
    query("/users/agents/performance", &projections::OrdersQueries::agent_performance_json);
}

}  // namespace codd::api

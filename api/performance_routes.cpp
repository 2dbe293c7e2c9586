// /users/reps/workload, /users/reps/performance and /users/agents/performance (reference §2 users, §14 rows
// 35 and 37): per-user rollups the orders view keeps, so none of them scans the orders.
#include <limits>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "api/commerce_common.hpp"
#include "engine/json_codec.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
using namespace commerce;

// The calendar month (UTC) of the engine's clock: the month monthlyEarnings counts.
std::string this_month(const Commerce& c) {
    return projections::utc_month(engine::to_us(c.clock.now()));
}

// The per-rep rows (reference §14 row 37, with ordersByStatus for the workload page), or only `?repId`'s.
Response reps(const Commerce& c, const Request& r) {
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();
    std::string rows = c.queries.rep_performance_json(this_month(c));
    if (const auto v = query_value(*q, "repId"); v && !v->empty()) {
        const auto rep = parse_int(*v, 1, std::numeric_limits<std::int64_t>::max());
        if (!rep) return validation_problem({{"repId", "repId must be a user id (a whole number from 1)"}});
        json::array all = json::parse(rows).as_array();
        json::array one;
        for (json::value& row : all) {
            if (row.at("repId") == *rep) one.push_back(std::move(row));
        }
        rows = engine::json::serialize(one);
    }
    return json_text(200, wrap("performance", rows));
}

}  // namespace

void add_performance_routes(Router& router, const Commerce& c) {
    auto query = [&](std::string_view path, std::function<Response(const Request&)> run) {
        add(router, c, "GET", path, [&c, run = std::move(run)](const Request& r, const Authenticated&) {
            return read_after_min_position(c, r, [&] { return run(r); });
        });
    };
    query("/users/reps/workload", [&c](const Request& r) { return reps(c, r); });
    query("/users/reps/performance", [&c](const Request& r) { return reps(c, r); });
    query("/users/agents/performance",
          [&c](const Request&) { return json_text(200, wrap("performance", c.queries.agent_performance_json(this_month(c)))); });
}

}  // namespace codd::api

// Black-box tests of /financial and the rep/agent performance reads (issue 4): the real `codd serve`, over
// HTTP. The COD flow goes through the order and delivery endpoints: an order delivered by an agent is a
// cod_collection, the agent's cash in hand, then a deposit that is reconciled.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "tests/functional/identity_fixture.hpp"

namespace {

using namespace codd::test;
namespace json = boost::json;

constexpr const char* kPassword = "Agent#Pass123";

double number(const json::value& v) {
    REQUIRE(v.is_number());
    return v.to_number<double>();
}

std::vector<std::string> error_fields(const HttpResponse& r) {
    std::vector<std::string> out;
    const json::value body = r.json();
    if (const auto* e = body.as_object().if_contains("errors")) {
        for (const json::value& x : e->as_array()) out.emplace_back(x.at("field").as_string());
    }
    return out;
}

bool has(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

void check_problem(const HttpResponse& r, int status) {
    INFO(r.status << " " << r.body);
    CHECK(r.status == status);
    CHECK(r.header("Content-Type").value_or("").starts_with("application/problem+json"));
    CHECK(!r.json().at("message").as_string().empty());
}

struct Session {
    IdentityServer s;
    std::string token = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));

    HttpResponse call(const std::string& method, const std::string& target,
                      const std::optional<json::value>& body = std::nullopt, HeaderList extra = {}) {
        if (extra.empty()) return s.call(method, target, token, body);
        extra.emplace_back("Authorization", "Bearer " + token);
        extra.emplace_back("Content-Type", "application/json");
        return s.request(method, target, extra, body ? json::serialize(*body) : std::string());
    }
    json::object ok(const std::string& method, const std::string& target, int status,
                    const std::optional<json::value>& body = std::nullopt) {
        const HttpResponse r = call(method, target, body);
        INFO(method << " " << target << " -> " << r.status << " " << r.body);
        REQUIRE(r.status == status);
        return r.json().as_object();
    }
};

void check_summary(const json::object& s) {
    for (const char* k : {"totalRevenue", "totalExpenses", "profit", "codCollected", "codPending", "profitMargin"}) {
        INFO(k);
        CHECK(s.at(k).is_number());
    }
}

// A Fashion product at 25.00 (cost 10.00) with `stock` units on hand: returns its id.
std::int64_t scarf(Session& t, const std::string& sku, std::int64_t stock) {
    return t
        .ok("POST", "/api/products", 201,
            json::object{{"name", "Kente scarf"},
                         {"sku", sku},
                         {"price", 25},
                         {"costPrice", 10},
                         {"stockQuantity", stock},
                         {"category", "Fashion"}})
        .at("product")
        .at("id")
        .as_int64();
}

// An order of `quantity` × `product` for the customer with `phone` (created if new), taken by `rep` if any.
json::object order_of(Session& t, std::int64_t product, std::int64_t quantity, const std::string& phone,
                      std::optional<std::int64_t> rep = std::nullopt) {
    json::object body{{"customerName", "Yaw Boateng"},
                      {"customerPhone", phone},
                      {"orderItems", json::array{json::object{{"productId", product}, {"quantity", quantity}}}},
                      {"deliveryAddress", "3 Palm Street"},
                      {"deliveryState", "Ashanti"},
                      {"deliveryArea", "Adum"}};
    if (rep) body["customerRepId"] = *rep;
    return t.ok("POST", "/api/orders", 201, body).at("order").as_object();
}

// An order of 2 × a 25.00 product taken by `rep` and delivered by `agent`: returns the order id.
std::int64_t delivered_order(Session& t, std::int64_t rep, std::int64_t agent, const std::string& sku,
                             const std::string& phone) {
    const json::object order = order_of(t, scarf(t, sku, 50), 2, phone, rep);
    const std::string id = std::to_string(order.at("id").as_int64());
    t.ok("PATCH", "/api/orders/" + id + "/assign-agent", 200, json::object{{"deliveryAgentId", agent}});
    for (const char* status : {"confirmed", "preparing", "ready_for_pickup", "out_for_delivery"}) {
        t.ok("PATCH", "/api/orders/" + id + "/status", 200, json::object{{"status", status}});
    }
    t.ok("PATCH", "/api/deliveries/" + id + "/complete", 200, json::object{});
    return order.at("id").as_int64();
}

std::int64_t available_agent(Session& t, const std::string& email) {
    const std::int64_t id = t.s.create_user(t.token, email, kPassword, "delivery_agent");
    t.ok("PATCH", "/api/users/" + std::to_string(id) + "/availability", 200, json::object{{"isAvailable", true}});
    return id;
}

}  // namespace

TEST_CASE("financial reads on an empty log answer the UI's shapes, numbers as numbers") {
    Session t;
    check_summary(t.ok("GET", "/api/financial/summary", 200).at("summary").as_object());
    check_summary(t.ok("GET", "/api/v1/financial/summary?startDate=2026-01-01&endDate=2026-12-31T23:59:59.999Z", 200)
                      .at("summary")
                      .as_object());
    const json::object tx = t.ok("GET", "/api/financial/transactions", 200);
    CHECK(tx.at("transactions").as_array().empty());
    CHECK(tx.at("pagination").at("limit") == 10);
    CHECK(tx.at("pagination").at("total") == 0);
    const json::object cod = t.ok("GET", "/api/financial/cod-collections?status=collected&agentId=5&page=3", 200);
    CHECK(cod.at("collections").as_array().empty());
    CHECK(cod.at("pagination").at("page") == 3);
    CHECK(t.ok("GET", "/api/financial/reports?period=monthly", 200).at("report").is_array());
    CHECK(t.ok("GET", "/api/financial/agent-balances", 200).at("balances").is_array());
    CHECK(t.ok("GET", "/api/users/reps/workload", 200).at("performance").is_array());
    CHECK(t.ok("GET", "/api/users/reps/performance", 200).at("performance").is_array());
    CHECK(t.ok("GET", "/api/users/agents/performance", 200).at("performance").is_array());
}

TEST_CASE("financial: bad query parameters are a 400 naming the parameter") {
    Session t;
    for (const auto& item : std::vector<std::pair<std::string, std::string>>{
             {"/api/financial/summary?startDate=yesterday", "startDate"},
             {"/api/financial/summary?endDate=2026-02-30", "endDate"},
             {"/api/financial/summary?startDate=2026-05-01&endDate=2026-04-01", "endDate"},
             {"/api/financial/reports?period=weekly", "period"},
             {"/api/financial/reports?startDate=2026-13-01", "startDate"},
             {"/api/financial/transactions?status=lost", "status"},
             {"/api/financial/transactions?type=%27%3B%20DROP%20TABLE%20transactions%3B--", "type"},
             {"/api/financial/transactions?limit=0", "limit"},
             {"/api/financial/transactions?page=abc", "page"},
             {"/api/financial/cod-collections?agentId=abc", "agentId"},
             {"/api/financial/cod-collections?agentId=-2", "agentId"},
             {"/api/financial/cod-collections?limit=500", "limit"},
         }) {
        const auto& target = item.first;
        const auto& field = item.second;
        const HttpResponse r = t.call("GET", target);
        INFO(target);
        check_problem(r, 400);
        CHECK(has(error_fields(r), field));
    }
    check_problem(t.call("GET", "/api/financial/summary?min_position=x"), 400);
}

TEST_CASE("expenses: recorded with the fields given, counted in the summary and the report") {
    Session t;
    const HttpResponse r = t.call("POST", "/api/financial/expenses",
                                  json::object{{"category", "fuel"},
                                               {"amount", 40.5},
                                               {"description", "Motorbike fuel"},
                                               {"expenseDate", "2026-11-20"},
                                               {"receiptUrl", "https://cdn.example.com/r/1.jpg"}});
    INFO(r.body);
    REQUIRE(r.status == 201);
    CHECK(r.header("X-Codd-Position").has_value());
    const json::object e = r.json().at("expense").as_object();
    CHECK(e.at("id").is_int64());
    CHECK(e.at("category") == "fuel");
    CHECK(number(e.at("amount")) == 40.5);
    CHECK(r.body.find(R"("amount":40.5,)") != std::string::npos);  // not 4.05E1
    CHECK(e.at("description") == "Motorbike fuel");
    CHECK(e.at("expenseDate") == "2026-11-20T00:00:00.000Z");
    CHECK(e.at("receiptUrl") == "https://cdn.example.com/r/1.jpg");
    CHECK(e.at("createdAt").is_string());

    const json::object s = t.ok("GET", "/api/financial/summary", 200).at("summary").as_object();
    check_summary(s);
    CHECK(number(s.at("totalExpenses")) == 40.5);
    CHECK(number(s.at("profit")) == -40.5);
    CHECK(number(t.ok("GET", "/api/financial/summary?startDate=2026-11-21", 200).at("summary").at("totalExpenses")) ==
          0);
    const json::array report =
        t.ok("GET", "/api/financial/reports?period=daily&startDate=2026-11-01&endDate=2026-11-30", 200)
            .at("report")
            .as_array();
    REQUIRE(!report.empty());
    const auto day =
        std::find_if(report.begin(), report.end(), [](const json::value& v) { return v.at("date") == "2026-11-20"; });
    REQUIRE(day != report.end());
    CHECK(number(day->at("expenses")) == 40.5);
    for (const char* k : {"revenue", "profit", "orders"}) CHECK(day->at(k).is_number());

    SUBCASE("bad input") {
        const HttpResponse empty = t.call("POST", "/api/financial/expenses", json::object{});
        check_problem(empty, 400);
        for (const char* f : {"category", "amount", "description"}) CHECK(has(error_fields(empty), f));
        for (const auto& item : std::vector<std::pair<std::string, json::value>>{
                 {"amount", -3},
                 {"amount", 0},
                 {"amount", "40.50"},
                 {"category", 9},
                 {"expenseDate", "20/11/2026"},
                 {"expenseDate", 20261120},
             }) {
            const auto& field = item.first;
            const auto& value = item.second;
            json::object body{{"category", "fuel"}, {"amount", 1}, {"description", "x"}};
            body[field] = value;
            const HttpResponse bad = t.call("POST", "/api/financial/expenses", body);
            INFO(field << " = " << json::serialize(value));
            check_problem(bad, 400);
            CHECK(has(error_fields(bad), field));
        }
    }
}

TEST_CASE(
    "expenses: a retry with the same Idempotency-Key answers the first expense, and another body under it is 422") {
    Session t;
    const json::object first_body{{"category", "fuel"}, {"amount", 12.5}, {"description", "Fuel, first"}};
    const HttpResponse first = t.call("POST", "/api/financial/expenses", first_body, {{"Idempotency-Key", "exp-1"}});
    REQUIRE(first.status == 201);
    const HttpResponse again = t.call("POST", "/api/financial/expenses", first_body, {{"Idempotency-Key", "exp-1"}});
    INFO(again.body);
    REQUIRE(again.status == 201);
    CHECK(again.json() == first.json());
    // Another body under the same key is another request: refused, never answered with the first expense.
    json::object other_body = first_body;
    other_body["amount"] = 99;
    other_body["description"] = "Fuel, other";
    const HttpResponse other = t.call("POST", "/api/financial/expenses", other_body, {{"Idempotency-Key", "exp-1"}});
    CHECK(other.status == 422);
    CHECK(other.json().at("message").as_string().find("Idempotency-Key") != std::string::npos);
    CHECK(number(t.ok("GET", "/api/financial/summary", 200).at("summary").at("totalExpenses")) == 12.5);
}

TEST_CASE("deposits: bad input, unknown ids and an agent without cash") {
    Session t;
    const std::int64_t agent = available_agent(t, "agent@example.com");
    const HttpResponse empty = t.call("POST", "/api/financial/deposits", json::object{});
    check_problem(empty, 400);
    for (const char* f : {"agentId", "amount", "reference"}) CHECK(has(error_fields(empty), f));
    for (const auto& item : std::vector<std::pair<std::string, json::value>>{
             {"agentId", "seven"}, {"agentId", 0}, {"amount", -10}, {"amount", "10"}, {"reference", json::array{}}}) {
        const auto& field = item.first;
        const auto& value = item.second;
        json::object body{{"agentId", agent}, {"amount", 10}, {"reference", "BANK-1"}};
        body[field] = value;
        const HttpResponse bad = t.call("POST", "/api/financial/deposits", body);
        INFO(field << " = " << json::serialize(value));
        check_problem(bad, 400);
        CHECK(has(error_fields(bad), field));
    }
    // Nothing collected: nothing to deposit.
    check_problem(t.call("POST", "/api/financial/deposits",
                         json::object{{"agentId", agent}, {"amount", 10}, {"reference", "BANK-1"}}),
                  422);
    // A sales rep or an unknown user is not an agent: the agentId is wrong, not the amount.
    const std::int64_t rep = t.s.create_user(t.token, "rep@example.com", kPassword, "sales_rep");
    for (const std::int64_t who : {rep, std::int64_t{999999}}) {
        const HttpResponse not_agent = t.call("POST", "/api/financial/deposits",
                                              json::object{{"agentId", who}, {"amount", 10}, {"reference", "BANK-1"}});
        check_problem(not_agent, 400);
        CHECK(error_fields(not_agent) == std::vector<std::string>{"agentId"});
    }
    check_problem(
        t.call("POST", "/api/financial/deposits", json::object{{"agentId", agent}, {"amount", 10}, {"reference", "B"}},
               {{"Idempotency-Key", std::string(300, 'k')}}),
        400);
    for (const std::string bad : {"999999", "abc", "0"}) {
        INFO(bad);
        check_problem(t.call("GET", "/api/financial/deposits/" + bad), 404);
        check_problem(t.call("PATCH", "/api/financial/deposits/" + bad + "/reconcile", json::object{}), 404);
    }
}

TEST_CASE("COD flow: a delivered order is a collection and cash in hand, a deposit takes it and is reconciled") {
    Session t;
    const std::int64_t agent = available_agent(t, "agent@example.com");
    const std::int64_t other = available_agent(t, "other-agent@example.com");
    const std::int64_t rep = t.s.create_user(t.token, "rep@example.com", kPassword, "sales_rep");
    const std::int64_t order = delivered_order(t, rep, agent, "KENTE-1", "0244000111");

    const json::object tx = t.ok("GET", "/api/financial/transactions", 200);
    REQUIRE(tx.at("transactions").as_array().size() == 1);
    const json::object row = tx.at("transactions").as_array()[0].as_object();
    CHECK(row.at("id").is_int64());
    CHECK(row.at("type") == "cod_collection");
    CHECK(row.at("status") == "collected");
    CHECK(number(row.at("amount")) == 50);
    CHECK(row.at("createdAt").is_string());
    CHECK(row.at("order").at("orderNumber").is_primitive());
    CHECK(row.at("order").at("customer").at("firstName") == "Yaw");
    CHECK(row.at("order").at("customer").at("lastName") == "Boateng");
    CHECK(t.ok("GET", "/api/financial/transactions?type=cod_collection&status=collected", 200)
              .at("transactions")
              .as_array()
              .size() == 1);
    CHECK(t.ok("GET", "/api/financial/transactions?status=deposited", 200).at("transactions").as_array().empty());

    // agentId is filtered in the query: the other agent's page is empty and counts nothing.
    const json::object mine = t.ok("GET", "/api/financial/cod-collections?agentId=" + std::to_string(agent), 200);
    REQUIRE(mine.at("collections").as_array().size() == 1);
    const json::object c = mine.at("collections").as_array()[0].as_object();
    CHECK(number(c.at("amount")) == 50);
    CHECK(c.at("status") == "collected");
    CHECK(c.at("order").at("deliveryAgent").at("id") == agent);
    CHECK(c.at("order").at("customer").at("lastName") == "Boateng");
    // The order's own fields a collections screen shows next to the amount (reference §14 row 49).
    CHECK(c.at("order").at("status") == "delivered");
    CHECK(c.at("order").at("paymentStatus") == "collected");
    CHECK(number(c.at("order").at("totalAmount")) == 50);
    CHECK(number(c.at("order").at("codAmount")) == 50);
    CHECK(c.at("order").at("deliveryArea").is_string());
    CHECK(c.at("order").at("deliveryAgentId") == agent);
    const json::object theirs = t.ok("GET", "/api/financial/cod-collections?agentId=" + std::to_string(other), 200);
    CHECK(theirs.at("collections").as_array().empty());
    CHECK(theirs.at("pagination").at("total") == 0);

    const json::object summary = t.ok("GET", "/api/financial/summary", 200).at("summary").as_object();
    check_summary(summary);
    CHECK(number(summary.at("totalRevenue")) == 50);
    CHECK(number(summary.at("codCollected")) == 50);
    CHECK(number(summary.at("profitMargin")) == 100);

    auto balance_of = [&](std::int64_t who) {
        const json::array balances = t.ok("GET", "/api/financial/agent-balances", 200).at("balances").as_array();
        const auto it = std::find_if(balances.begin(), balances.end(),
                                     [&](const json::value& b) { return b.at("agentId") == who; });
        REQUIRE(it != balances.end());
        return it->as_object();
    };
    CHECK(number(balance_of(agent).at("cashInHand")) == 50);

    const json::array agents = t.ok("GET", "/api/users/agents/performance", 200).at("performance").as_array();
    const auto perf =
        std::find_if(agents.begin(), agents.end(), [&](const json::value& p) { return p.at("userId") == agent; });
    REQUIRE(perf != agents.end());
    CHECK(number(perf->at("totalAssigned")) == 1);
    CHECK(number(perf->at("completed")) == 1);
    for (const char* path : {"/api/users/reps/performance", "/api/users/reps/workload"}) {
        INFO(path);
        const json::array rows =
            t.ok("GET", std::string(path) + "?repId=" + std::to_string(rep), 200).at("performance").as_array();
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].at("repId") == rep);
        CHECK(rows[0].at("repName").is_string());
        const json::object& m = rows[0].at("metrics").as_object();
        CHECK(number(m.at("totalAssigned")) == 1);
        CHECK(number(m.at("deliveredCount")) == 1);
        CHECK(number(m.at("activeOrders")) == 0);
        CHECK(number(m.at("successRate")) == 100);
        CHECK(m.at("totalEarnings").is_number());
        CHECK(m.at("monthlyEarnings").is_number());
    }
    CHECK(t.ok("GET", "/api/users/reps/performance?repId=" + std::to_string(agent), 200)
              .at("performance")
              .as_array()
              .empty());
    check_problem(t.call("GET", "/api/users/reps/performance?repId=x"), 400);

    // Above cash in hand: refused, with a message, and the amounts in major units as the API shows them.
    const HttpResponse above = t.call("POST", "/api/financial/deposits",
                                      json::object{{"agentId", agent}, {"amount", 50.01}, {"reference", "BANK-9"}});
    check_problem(above, 422);
    CHECK(above.json().at("message") == "the agent holds 50.00, less than the deposit");
    CHECK(number(above.json().at("cashInHand")) == 50.0);
    CHECK(number(above.json().at("amount")) == 50.01);

    // Idempotency-Key: the retry answers the same deposit and deposits nothing more.
    const json::object body{{"agentId", agent}, {"amount", 30}, {"reference", "BANK-1"}, {"notes", "Monday"}};
    const HttpResponse first = t.call("POST", "/api/financial/deposits", body, {{"Idempotency-Key", "dep-1"}});
    INFO(first.body);
    REQUIRE(first.status == 201);
    const json::object d = first.json().at("deposit").as_object();
    CHECK(d.at("id").is_int64());
    CHECK(d.at("agentId") == agent);
    CHECK(number(d.at("amount")) == 30);
    CHECK(d.at("reference") == "BANK-1");
    CHECK(d.at("reconciled") == false);
    CHECK(d.at("reconciledAt").is_null());
    CHECK(d.at("createdAt").is_string());
    REQUIRE(d.at("allocations").as_array().size() == 1);
    CHECK(d.at("allocations").as_array()[0].at("orderId") == order);
    CHECK(number(d.at("allocations").as_array()[0].at("amount")) == 30);
    const HttpResponse again = t.call("POST", "/api/financial/deposits", body, {{"Idempotency-Key", "dep-1"}});
    REQUIRE(again.status == 201);
    CHECK(again.json().at("deposit").at("id") == d.at("id"));
    CHECK(number(balance_of(agent).at("cashInHand")) == 20);
    // The collection shows what the partial deposit left open: the rows add up to the cash in hand.
    const json::array open =
        t.ok("GET", "/api/financial/cod-collections?status=collected", 200).at("collections").as_array();
    REQUIRE(open.size() == 1);
    CHECK(number(open[0].at("amount")) == 50);
    CHECK(number(open[0].at("openAmount")) == 20);

    const std::string id = std::to_string(d.at("id").as_int64());
    CHECK(t.ok("GET", "/api/financial/deposits/" + id, 200).at("deposit").at("amount") == d.at("amount"));
    // The rest, then reconcile.
    const json::object rest = t.ok("POST", "/api/financial/deposits", 201,
                                   json::object{{"agentId", agent}, {"amount", 20}, {"reference", "BANK-2"}})
                                  .at("deposit")
                                  .as_object();
    CHECK(number(balance_of(agent).at("cashInHand")) == 0);
    CHECK(t.ok("GET", "/api/financial/cod-collections?status=deposited", 200).at("collections").as_array().size() == 1);
    const std::string rest_id = std::to_string(rest.at("id").as_int64());
    const json::object reconciled = t.ok("PATCH", "/api/financial/deposits/" + rest_id + "/reconcile", 200,
                                         json::object{{"notes", "bank statement"}});
    CHECK(reconciled.at("deposit").at("reconciled") == true);
    // Who reconciled it, when, and with what notes: the auditor's trail, on the deposit.
    CHECK(reconciled.at("deposit").at("reconcileNotes") == "bank statement");
    CHECK(reconciled.at("deposit").at("reconciledBy").is_int64());
    CHECK(reconciled.at("deposit").at("reconciledAt").is_string());
    // The order was paid by both deposits: it is reconciled once both are, whichever is reconciled last.
    const auto reconciled_count = [&] {
        return t.ok("GET", "/api/financial/transactions?status=reconciled", 200).at("transactions").as_array().size();
    };
    CHECK(reconciled_count() == 0);
    CHECK(t.ok("GET", "/api/orders/" + std::to_string(order), 200).at("order").at("paymentStatus") == "deposited");
    t.ok("PATCH", "/api/financial/deposits/" + id + "/reconcile", 200, json::object{});
    CHECK(reconciled_count() == 1);
    CHECK(t.ok("GET", "/api/orders/" + std::to_string(order), 200).at("order").at("paymentStatus") == "reconciled");
    // Each allocation says when its collection was made.
    const json::array allocations =
        t.ok("GET", "/api/financial/deposits/" + id, 200).at("deposit").at("allocations").as_array();
    CHECK(!allocations[0].at("collectedAt").as_string().starts_with("1970"));
    CHECK(number(t.ok("GET", "/api/financial/summary", 200).at("summary").at("codCollected")) == 50);
    check_problem(t.call("PATCH", "/api/financial/deposits/" + rest_id + "/reconcile", json::object{{"notes", 5}}),
                  400);
}

TEST_CASE("stock cannot be set below what orders hold") {
    Session t;
    const std::int64_t product = scarf(t, "KENTE-9", 10);
    order_of(t, product, 6, "0244000222");
    const std::string id = std::to_string(product);
    const HttpResponse set = t.call("PATCH", "/api/products/" + id + "/stock", json::object{{"stockQuantity", 5}});
    check_problem(set, 409);
    CHECK(set.json().at("message").as_string().find("reserved") != std::string::npos);
    check_problem(t.call("POST", "/api/products/" + id + "/stock-adjustments",
                         json::object{{"delta", -5}, {"reason", "damaged"}}),
                  409);
    const json::object p = t.ok("PATCH", "/api/products/" + id + "/stock", 200, json::object{{"stockQuantity", 6}});
    CHECK(number(p.at("product").at("stockQuantity")) == 6);
    CHECK(number(p.at("product").at("reserved")) == 6);
    CHECK(number(p.at("product").at("available")) == 0);
}

// Reference §2: deactivating a user who is still the rep or agent of open orders is refused, by DELETE and by an
// edit that sets isActive false alike, and so is moving them to another role; once the orders are closed (here
// cancelled), it is allowed.
TEST_CASE("users: a sales rep or delivery agent with open orders is not deactivated") {
    Session t;
    const std::int64_t agent = available_agent(t, "agent@example.com");
    const std::int64_t rep = t.s.create_user(t.token, "rep@example.com", kPassword, "sales_rep");
    const std::string order =
        std::to_string(order_of(t, scarf(t, "KENTE-OPEN", 5), 1, "+233241112222", rep).at("id").as_int64());
    t.ok("PATCH", "/api/orders/" + order + "/assign-agent", 200, json::object{{"deliveryAgentId", agent}});

    for (const std::int64_t user : {agent, rep}) {
        const std::string id = std::to_string(user);
        for (const std::string& path : {"/api/users/" + id, "/api/admin/users/" + id}) {
            INFO(path);
            const HttpResponse refused = t.call("DELETE", path);
            check_problem(refused, 422);
            CHECK(refused.json().at("message") == "Cannot deactivate a user with active orders");
            CHECK(refused.json().at("detail").as_string().find("1 open order") != std::string::npos);
        }
        check_problem(t.call("PUT", "/api/admin/users/" + id, json::object{{"isActive", false}}), 422);
        // Nor moved to a role that cannot work the orders.
        const HttpResponse role = t.call("PUT", "/api/admin/users/" + id, json::object{{"role", "accountant"}});
        check_problem(role, 422);
        CHECK(role.json().at("message") == "Cannot change the role of a user with active orders");
        // Other edits are not deactivations.
        CHECK(t.ok("PUT", "/api/admin/users/" + id, 200, json::object{{"lastName", "Mensah"}})
                  .at("user")
                  .at("isActive") == true);
    }

    t.ok("DELETE", "/api/orders/" + order, 200, json::object{{"reason", "customer changed their mind"}});
    // An agent who holds collected cash: neither deactivated nor moved to another role until it is deposited.
    const std::int64_t carrier = available_agent(t, "carrier@example.com");
    delivered_order(t, rep, carrier, "KENTE-CASH", "+233241113333");
    const std::string carrier_id = std::to_string(carrier);
    const HttpResponse holding = t.call("DELETE", "/api/users/" + carrier_id);
    check_problem(holding, 422);
    CHECK(holding.json().at("message") == "Cannot deactivate an agent who holds cash");
    CHECK(holding.json().at("detail").as_string().find("holds 50.00") != std::string::npos);
    check_problem(t.call("PUT", "/api/admin/users/" + carrier_id, json::object{{"role", "accountant"}}), 422);
    t.ok("POST", "/api/financial/deposits", 201,
         json::object{{"agentId", carrier}, {"amount", 50}, {"reference", "B1"}});
    CHECK(t.ok("DELETE", "/api/users/" + carrier_id, 200).at("user").at("isActive") == false);
    CHECK(t.ok("DELETE", "/api/users/" + std::to_string(agent), 200).at("user").at("isActive") == false);
    CHECK(t.ok("PUT", "/api/admin/users/" + std::to_string(rep), 200, json::object{{"isActive", false}})
              .at("user")
              .at("isActive") == false);
}

// DESIGN §4: cancel is refused once delivered, also after the order went back out for delivery; a parcel that
// then fails delivery is returned through the status the admin UI's board sets.
TEST_CASE("a paid order is never cancelled, and after a failed second delivery it is returned") {
    Session t;
    const std::int64_t agent = available_agent(t, "agent@example.com");
    const std::int64_t rep = t.s.create_user(t.token, "rep@example.com", kPassword, "sales_rep");
    const std::string id = std::to_string(delivered_order(t, rep, agent, "KENTE-PAID", "0244000333"));
    const std::string status = "/api/orders/" + id + "/status";
    const HttpResponse forced = t.call("PATCH", status, json::object{{"status", "cancelled"}, {"reason", "oops"}});
    check_problem(forced, 422);
    CHECK(forced.json().at("detail").as_string().find("collected") != std::string::npos);
    t.ok("PATCH", status, 200, json::object{{"status", "out_for_delivery"}});
    check_problem(t.call("PATCH", status, json::object{{"status", "cancelled"}}), 422);
    check_problem(t.call("DELETE", "/api/orders/" + id, json::object{{"reason", "changed mind"}}), 422);
    t.ok("PATCH", status, 200, json::object{{"status", "failed_delivery"}});
    const json::object returned = t.ok("PATCH", status, 200, json::object{{"status", "returned"}});
    CHECK(returned.at("order").at("status") == "returned");
    CHECK(returned.at("order").at("paymentStatus") == "collected");
}

// The replaced system took stock off when an order was created, so its low-stock list was about what is left to
// sell: codd's `available`, on hand less what orders reserve.
TEST_CASE("low stock counts what orders reserve") {
    Session t;
    const std::int64_t product = scarf(t, "KENTE-LOW", 30);  // threshold 10 by default
    CHECK(t.ok("GET", "/api/products/low-stock", 200).at("products").as_array().empty());
    order_of(t, product, 21, "0244000444");
    const json::array low = t.ok("GET", "/api/products/low-stock", 200).at("products").as_array();
    REQUIRE(low.size() == 1);
    CHECK(low[0].at("id") == product);
    CHECK(low[0].at("stockQuantity") == 30);
    CHECK(low[0].at("available") == 9);
}

// The free text of cash and delivery commands has the limits an order's text has, links are http(s) only, and
// a delivery agent's order edit cannot rewrite the customer (customers:update).
TEST_CASE("cash and delivery text is bounded, receipts are web links, and an agent's order edit leaves the customer") {
    Session t;
    const std::int64_t agent = available_agent(t, "agent@example.com");
    const std::int64_t rep = t.s.create_user(t.token, "rep@example.com", kPassword, "sales_rep");
    delivered_order(t, rep, agent, "KENTE-TXT", "0244000444");  // cash in hand for the deposits below
    const std::string long_text(5000, 'x');
    const auto field_of = [&](const HttpResponse& r) {
        INFO(r.body);
        check_problem(r, 400);
        return error_fields(r);
    };
    const auto deposit = [&](const std::string& reference, const std::string& notes) {
        return t.call("POST", "/api/financial/deposits",
                      json::object{{"agentId", agent}, {"amount", 1}, {"reference", reference}, {"notes", notes}});
    };
    CHECK(has(field_of(deposit("   ", "")), "reference"));
    CHECK(has(field_of(deposit(std::string(201, 'R'), "")), "reference"));
    CHECK(has(field_of(deposit("BANK\x01", "")), "reference"));
    CHECK(has(field_of(deposit("BANK-9", long_text)), "notes"));
    const json::object d = t.ok("POST", "/api/financial/deposits", 201,
                                json::object{{"agentId", agent}, {"amount", 1}, {"reference", "  BANK-9  "}})
                               .at("deposit")
                               .as_object();
    CHECK(d.at("reference") == "BANK-9");

    const auto expense = [&](json::object body) {
        // emplace keeps a field the test set
        body.emplace("category", "fuel");
        body.emplace("amount", 5);
        body.emplace("description", "d");
        return t.call("POST", "/api/financial/expenses", body);
    };
    CHECK(has(field_of(expense({{"receiptUrl", "javascript:alert(1)"}})), "receiptUrl"));
    CHECK(has(field_of(expense({{"receiptUrl", "https://example.com/a b.png"}})), "receiptUrl"));
    // Free text of several lines keeps tabs and line breaks, not other control characters (NUL among them).
    CHECK(has(field_of(expense({{"description", std::string("fuel\0", 5)}})), "description"));
    CHECK(expense({{"description", "fuel\tfor\r\nthe van"}}).status == 201);
    CHECK(has(field_of(expense({{"category", std::string(101, 'c')}})), "category"));
    CHECK(has(field_of(expense({{"description", long_text}})), "description"));
    const HttpResponse far = expense({{"receiptUrl", "https://example.com/r/1.png"}, {"expenseDate", "9999-12-31"}});
    INFO(far.body);
    REQUIRE(far.status == 201);
    CHECK(far.json().at("expense").at("expenseDate") == "9999-12-31T00:00:00.000Z");
    // The epoch is not "no date" (it was taken for today): times before 1970 are refused where they are recorded.
    CHECK(has(field_of(expense({{"expenseDate", "1970-01-01"}})), "expenseDate"));
    // One payment status per list: a second one is refused, not ignored.
    CHECK(
        has(field_of(t.call("GET", "/api/financial/cod-collections?status[]=collected&status[]=deposited")), "status"));

    // Delivery text: a second order out for delivery with the same agent.
    const json::object second = order_of(t, scarf(t, "KENTE-TXT2", 10), 1, "0244000445", rep);
    const std::string id = std::to_string(second.at("id").as_int64());
    t.ok("PATCH", "/api/orders/" + id + "/assign-agent", 200, json::object{{"deliveryAgentId", agent}});
    for (const char* status : {"confirmed", "preparing", "ready_for_pickup", "out_for_delivery"}) {
        t.ok("PATCH", "/api/orders/" + id + "/status", 200, json::object{{"status", status}});
    }
    CHECK(has(field_of(t.call("PATCH", "/api/deliveries/" + id + "/fail", json::object{{"reason", long_text}})),
              "reason"));
    CHECK(has(
        field_of(t.call("PATCH", "/api/deliveries/" + id + "/schedule", json::object{{"scheduledAt", "1969-06-01"}})),
        "scheduledAt"));
    CHECK(
        has(field_of(t.call("PUT", "/api/orders/" + id, json::object{{"estimatedDelivery", "1969-12-31T23:59:59.5Z"}})),
            "estimatedDelivery"));
    // A delivery command answers the order's version as its ETag, as every order command does.
    const HttpResponse attempt = t.call("POST", "/api/deliveries/" + id + "/attempts", json::object{{"notes", "gate"}});
    REQUIRE(attempt.status == 200);
    CHECK(attempt.header("ETag") == "\"" + std::to_string(attempt.json().at("order").at("version").as_int64()) + "\"");
    CHECK(has(field_of(t.call("PATCH", "/api/orders/" + id + "/status",
                              json::object{{"status", "failed_delivery"}, {"notes", long_text}})),
              "notes"));
    // Also when the status does not change (which appends nothing).
    CHECK(has(field_of(t.call("PATCH", "/api/orders/" + id + "/status",
                              json::object{{"status", "out_for_delivery"}, {"notes", long_text}})),
              "notes"));
    CHECK(has(field_of(t.call("PATCH", "/api/deliveries/" + id + "/proof",
                              json::object{{"proofType", "photo"}, {"proofImageUrl", "data:image/png;base64,AAAA"}})),
              "proofImageUrl"));

    // The agent edits their own order: the customer's fields sent back unchanged pass, a change is 403.
    const std::string agent_token = IdentityServer::access_token(t.s.login("agent@example.com", kPassword));
    const auto as_agent = [&](const json::object& body) {
        return t.s.call("PUT", "/api/orders/" + id, agent_token, body);
    };
    const json::object current = t.ok("GET", "/api/orders/" + id, 200).at("order").as_object();
    const std::string phone(current.at("customer").at("phoneNumber").as_string());
    CHECK(as_agent(json::object{{"customerPhone", phone}, {"notes", "gate code 4411"}}).status == 200);
    // The whole name sent back is no change either, however it splits.
    const std::string customer = std::to_string(current.at("customer").at("id").as_int64());
    t.ok("PUT", "/api/customers/" + customer, 200, json::object{{"firstName", "Mary Ann"}, {"lastName", "Mensah"}});
    CHECK(as_agent(json::object{{"customerName", "Mary Ann Mensah"}, {"notes", "gate code 4412"}}).status == 200);
    CHECK(t.ok("GET", "/api/customers/" + customer, 200).at("customer").at("firstName") == "Mary Ann");
    check_problem(as_agent(json::object{{"customerName", "Mary Mensah"}}), 403);
    const HttpResponse changed = as_agent(json::object{{"customerPhone", "+233200000001"}});
    check_problem(changed, 403);
    CHECK(t.ok("GET", "/api/orders/" + id, 200).at("order").at("customer").at("phoneNumber").as_string() == phone);
    // Nor what they will owe: the items and amounts are staff's to change, and a delivery collects the order's
    // COD amount.
    check_problem(as_agent(json::object{{"discount", 10}}), 403);
    check_problem(as_agent(json::object{{"shippingCost", 5}, {"discount", 5}}), 403);  // the same total
    check_problem(t.s.call("PATCH", "/api/deliveries/" + id + "/complete", agent_token, json::object{{"codAmount", 1}}),
                  403);
    // Staff may record less than the order's amount, never more (a mistyped amount would be cash and revenue).
    const HttpResponse over = t.call("PATCH", "/api/deliveries/" + id + "/complete",
                                     json::object{{"codAmount", number(current.at("totalAmount")) + 0.01}});
    check_problem(over, 422);
    CHECK(std::string(over.json().at("message").as_string()).find("more than the order's total") != std::string::npos);
    const HttpResponse done = t.s.call("PATCH", "/api/deliveries/" + id + "/complete", agent_token,
                                       json::object{{"codAmount", number(current.at("codAmount"))}});
    INFO(done.body);
    REQUIRE(done.status == 200);
    CHECK(done.json().at("order").at("paymentStatus") == "collected");
}

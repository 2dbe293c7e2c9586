// Orders paths that had no HTTP test: recording a proof of delivery, assigning a sales rep, a delivery agent's
// scope over the list, the board and the stats, the read-your-writes header, and the view lag on /metrics.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "tests/functional/orders_fixture.hpp"

using namespace codd::test;

namespace {

json::object order_of(const HttpResponse& r) {
    return r.json().at("order").as_object();
}

HttpResponse get_order(OrdersServer& s, std::int64_t id, const std::string& token) {
    return s.call("GET", "/api/orders/" + std::to_string(id), token);
}

std::string field_of_first_error(const HttpResponse& r) {
    return std::string(r.json().at("errors").as_array().at(0).at("field").as_string());
}

// A text field a client reads as "nothing": null or "".
bool empty_text(const json::value& v) {
    return v.is_null() || (v.is_string() && v.as_string().empty());
}

// A user with a name of its own (the fixture's users are all "Test <role>"); its id.
std::int64_t named_user(OrdersServer& s, const std::string& email, const std::string& first, const std::string& last,
                        const std::string& role) {
    const HttpResponse r = s.call("POST", "/api/admin/users", s.root,
                                  json::object{{"email", email},
                                               {"password", "Named#Passw0rd!"},
                                               {"firstName", first},
                                               {"lastName", last},
                                               {"role", role}});
    INFO("create " << email << ": " << r.body);
    REQUIRE(r.status == 201);
    return r.json().at("user").at("id").as_int64();
}

std::string token_of(OrdersServer& s, const std::string& email) {
    return IdentityServer::access_token(s.login(email, "Named#Passw0rd!"));
}

// The ids of a JSON array of orders.
std::set<std::int64_t> ids_in(const json::value& orders) {
    std::set<std::int64_t> out;
    for (const json::value& o : orders.as_array()) out.insert(id_of(o));
    return out;
}

std::set<std::int64_t> listed_ids(OrdersServer& s, const std::string& token, const std::string& query = {}) {
    const HttpResponse r = s.call("GET", "/api/orders" + query, token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return ids_in(r.json().at("orders"));
}

std::size_t history_size(OrdersServer& s, std::int64_t id) {
    return s.call("GET", "/api/orders/" + std::to_string(id) + "/history", s.root)
        .json()
        .at("history")
        .as_array()
        .size();
}

void assign_agent(OrdersServer& s, std::int64_t id, std::int64_t agent) {
    const HttpResponse r = s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-agent", s.root,
                                  json::object{{"deliveryAgentId", agent}});
    INFO(r.body);
    REQUIRE(r.status == 200);
}

// The value of the sample `series` (name and labels exactly as written) in a Prometheus text page.
std::optional<double> sample(const std::string& page, const std::string& series) {
    const std::string key = "\n" + series + " ";
    const auto at = page.find(key);
    if (at == std::string::npos) return std::nullopt;
    const auto start = at + key.size();
    const auto end = page.find('\n', start);
    const std::string text = page.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used != text.size()) return std::nullopt;
    return v;
}

HttpResponse with_min_position(OrdersServer& s, const std::string& target, const std::string& position) {
    return s.request("GET", target,
                              {{"Authorization", "Bearer " + s.root}, {"X-Codd-Min-Position", position}});
}

}  // namespace

TEST_CASE("PATCH /deliveries/:id/proof records the proof on an order out for delivery, and the order shows it") {
    OrdersServer s;
    const std::int64_t p = s.product("PRF-1", 15.0, 10);
    const std::int64_t agent = named_user(s, "proof.agent@example.com", "Yaw", "Darko", "delivery_agent");
    const std::string agent_token = token_of(s, "proof.agent@example.com");
    const std::int64_t id = id_of(s.order("0245100001", {{p, 2}}));
    const std::string base = "/api/deliveries/" + std::to_string(id);

    // Before dispatch there is nothing to prove.
    for (const char* next : {"confirmed", "preparing", "ready_for_pickup"}) REQUIRE(s.status(id, next).status == 200);
    assign_agent(s, id, agent);
    const HttpResponse early =
        s.call("PATCH", base + "/proof", agent_token, json::object{{"proofType", "signature"}, {"proofData", "sig"}});
    CHECK(early.status == 422);
    CHECK(s.call("PATCH", base + "/proof", agent_token, json::object{{"proofData", "no type"}}).status == 400);
    REQUIRE(s.status(id, "out_for_delivery", agent_token).status == 200);

    // A signature, with the recipient (names and phones are trimmed).
    HttpResponse r = s.call("PATCH", base + "/proof", agent_token,
                            json::object{{"proofType", "signature"},
                                         {"proofData", "data:image/svg+xml;base64,PHN2Zz4="},
                                         {"recipientName", "  Kojo Asante "},
                                         {"recipientPhone", "0245100099"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.header("X-Codd-Position"));
    CHECK(r.json().at("message").as_string() == "Proof of delivery recorded");
    json::object o = order_of(r);
    CHECK(o.at("status").as_string() == "out_for_delivery");  // a proof alone does not deliver
    CHECK(o.at("paymentStatus").as_string() == "pending");
    json::value d = o.at("delivery");
    CHECK(d.at("proofType").as_string() == "signature");
    CHECK(d.at("proofData").as_string() == "data:image/svg+xml;base64,PHN2Zz4=");
    CHECK(d.at("recipientName").as_string() == "Kojo Asante");
    CHECK(d.at("recipientPhone").as_string() == "0245100099");
    CHECK(d.at("agentId").as_int64() == agent);

    // The delivery (the order, as GET /deliveries/:id wraps it) and the order both show it.
    const HttpResponse delivery = s.call("GET", base, agent_token);
    REQUIRE(delivery.status == 200);
    const json::value shown = delivery.json().at("delivery").at("delivery");
    CHECK(shown.at("proofType").as_string() == "signature");
    CHECK(shown.at("recipientName").as_string() == "Kojo Asante");
    const HttpResponse detail = get_order(s, id, s.root);
    REQUIRE(detail.status == 200);
    CHECK(order_of(detail).at("delivery").at("proofData").as_string() == "data:image/svg+xml;base64,PHN2Zz4=");

    // A photo replaces it; the fields it does not send are cleared, not kept from the signature.
    r = s.call("PATCH", base + "/proof", agent_token,
               json::object{{"proofType", "photo"},
                            {"proofImageUrl", "https://cdn.example.com/proof/1001.jpg"},
                            {"recipientName", "Efua Asante"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    d = order_of(get_order(s, id, s.root)).at("delivery");
    CHECK(d.at("proofType").as_string() == "photo");
    CHECK(d.at("proofImageUrl").as_string() == "https://cdn.example.com/proof/1001.jpg");
    CHECK(d.at("recipientName").as_string() == "Efua Asante");
    CHECK(empty_text(d.at("proofData")));
    CHECK(empty_text(d.at("recipientPhone")));

    // The same proof again is no change; the history holds each recorded proof once.
    const std::size_t events = history_size(s, id);
    r = s.call("PATCH", base + "/proof", agent_token,
               json::object{{"proofType", "photo"},
                            {"proofImageUrl", "https://cdn.example.com/proof/1001.jpg"},
                            {"recipientName", "Efua Asante"}});
    CHECK(r.status == 200);
    CHECK(history_size(s, id) == events);
    const json::value history = s.call("GET", "/api/orders/" + std::to_string(id) + "/history", s.root).json();
    int proofs = 0;
    for (const json::value& e : history.at("history").as_array()) {
        if (e.at("type").as_string() == "DeliveryProofRecorded") ++proofs;
    }
    CHECK(proofs == 2);

    // An OTP after that, then completion without a proof keeps the recorded one.
    REQUIRE(s.call("PATCH", base + "/proof", agent_token, json::object{{"proofType", "otp"}, {"proofData", "7312"}})
                .status == 200);
    r = s.call("PATCH", base + "/complete", agent_token, json::object{});
    INFO(r.body);
    REQUIRE(r.status == 200);
    d = order_of(r).at("delivery");
    CHECK(order_of(r).at("status").as_string() == "delivered");
    CHECK(d.at("proofType").as_string() == "otp");
    CHECK(d.at("proofData").as_string() == "7312");
    CHECK(!d.at("actualDeliveryTime").is_null());
}

TEST_CASE(
    "PATCH /orders/:id/assign-rep: a sales rep is assigned and shown, anyone else is refused, and the scope follows") {
    OrdersServer s;
    const std::int64_t p = s.product("REP-1", 4.0, 20);
    const std::int64_t rep1 = named_user(s, "kwame.rep@example.com", "Kwame", "Owusu", "sales_rep");
    const std::int64_t rep2 = named_user(s, "abena.rep@example.com", "Abena", "Mensah", "sales_rep");
    const std::int64_t agent = named_user(s, "not.a.rep@example.com", "Kofi", "Boateng", "delivery_agent");
    const std::string rep1_token = token_of(s, "kwame.rep@example.com");
    const std::string rep2_token = token_of(s, "abena.rep@example.com");
    const std::int64_t id = id_of(s.order("0245200001", {{p, 1}}));
    const std::int64_t other = id_of(s.order("0245200002", {{p, 1}}));
    const std::string path = "/api/orders/" + std::to_string(id) + "/assign-rep";

    // Unassigned: neither rep sees it.
    CHECK(get_order(s, id, rep1_token).status == 403);
    CHECK(listed_ids(s, rep1_token).empty());

    HttpResponse r = s.call("PATCH", path, s.root, json::object{{"customerRepId", rep1}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.header("X-Codd-Position"));
    json::object o = order_of(r);
    CHECK(o.at("customerRepId").as_int64() == rep1);
    CHECK(o.at("customerRep").at("id").as_int64() == rep1);
    CHECK(o.at("customerRep").at("firstName").as_string() == "Kwame");
    CHECK(o.at("customerRep").at("lastName").as_string() == "Owusu");
    CHECK(order_of(get_order(s, id, s.root)).at("customerRep").at("lastName").as_string() == "Owusu");

    // Not a sales rep, no such user, no id, not a number: refused, naming the field, and nothing changes.
    r = s.call("PATCH", path, s.root, json::object{{"customerRepId", agent}});
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "customerRepId");
    r = s.call("PATCH", path, s.root, json::object{{"customerRepId", 987654}});
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "customerRepId");
    r = s.call("PATCH", path, s.root, json::object{});
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "customerRepId");
    r = s.call("PATCH", path, s.root, json::object{{"customerRepId", "rep one"}});
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "customerRepId");
    CHECK(order_of(get_order(s, id, s.root)).at("customerRepId").as_int64() == rep1);

    // A sales rep may not assign (no orders.assign), not even to themselves.
    CHECK(s.call("PATCH", "/api/orders/" + std::to_string(other) + "/assign-rep", rep1_token,
                 json::object{{"customerRepId", rep1}})
              .status == 403);

    // The rep sees their order, in the list and by id; the other rep does not.
    CHECK(listed_ids(s, rep1_token) == std::set<std::int64_t>{id});
    CHECK(get_order(s, id, rep1_token).status == 200);
    CHECK(listed_ids(s, rep2_token).empty());
    CHECK(get_order(s, id, rep2_token).status == 403);
    CHECK(s.status(id, "confirmed", rep2_token).status == 403);

    // Reassigned: the scope moves with it.
    r = s.call("PATCH", path, s.root, json::object{{"customerRepId", rep2}});
    REQUIRE(r.status == 200);
    CHECK(order_of(r).at("customerRep").at("firstName").as_string() == "Abena");
    CHECK(get_order(s, id, rep1_token).status == 403);
    CHECK(listed_ids(s, rep1_token).empty());
    CHECK(listed_ids(s, rep2_token) == std::set<std::int64_t>{id});
    CHECK(s.status(id, "confirmed", rep2_token).status == 200);
    const std::string history = s.call("GET", "/api/orders/" + std::to_string(id) + "/history", s.root).body;
    CHECK(history.find("OrderRepAssigned") != std::string::npos);
}

TEST_CASE("a delivery agent sees only their own orders in the list, the board and the stats, and no other's") {
    OrdersServer s;
    const std::int64_t p = s.product("AGT-1", 10.0, 50);
    const std::int64_t a = named_user(s, "agent.a@example.com", "Esi", "Quaye", "delivery_agent");
    const std::int64_t b = named_user(s, "agent.b@example.com", "Nii", "Armah", "delivery_agent");
    const std::string a_token = token_of(s, "agent.a@example.com");
    const std::string b_token = token_of(s, "agent.b@example.com");

    const std::int64_t a1 = id_of(s.order("0245300001", {{p, 1}}));
    const std::int64_t a2 = id_of(s.order("0245300002", {{p, 2}}));
    const std::int64_t b1 = id_of(s.order("0245300003", {{p, 3}}));
    const std::int64_t none = id_of(s.order("0245300004", {{p, 1}}));
    REQUIRE(s.status(a1, "confirmed").status == 200);
    REQUIRE(s.status(b1, "confirmed").status == 200);
    assign_agent(s, a1, a);
    assign_agent(s, a2, a);
    assign_agent(s, b1, b);

    // The list, also when the agent asks for another agent's orders with a filter.
    CHECK(listed_ids(s, a_token) == std::set<std::int64_t>{a1, a2});
    CHECK(listed_ids(s, a_token, "?deliveryAgentId=" + std::to_string(b)) == std::set<std::int64_t>{a1, a2});
    CHECK(listed_ids(s, b_token) == std::set<std::int64_t>{b1});
    CHECK(s.call("GET", "/api/orders", a_token).json().at("pagination").at("total").as_int64() == 2);
    CHECK(listed_ids(s, s.root) == std::set<std::int64_t>{a1, a2, b1, none});

    // The board: one column each, nothing of the others.
    HttpResponse r = s.call("GET", "/api/orders/kanban", a_token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    json::value board = r.json().at("kanban");
    CHECK(ids_in(board.at("confirmed")) == std::set<std::int64_t>{a1});
    CHECK(ids_in(board.at("pending_confirmation")) == std::set<std::int64_t>{a2});
    std::size_t on_board = 0;
    for (const auto& column : board.as_object()) on_board += column.value().as_array().size();
    CHECK(on_board == 2);
    board = s.call("GET", "/api/orders/kanban", b_token).json().at("kanban");
    CHECK(ids_in(board.at("confirmed")) == std::set<std::int64_t>{b1});
    CHECK(board.at("pending_confirmation").as_array().empty());

    // The stats count only their orders (the admin's count all four).
    r = s.call("GET", "/api/orders/stats", a_token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    json::value stats = r.json().at("stats");
    CHECK(stats.at("totalOrders").as_int64() == 2);
    CHECK(stats.at("ordersByStatus").at("confirmed").as_int64() == 1);
    CHECK(stats.at("ordersByStatus").at("pending_confirmation").as_int64() == 1);
    stats = s.call("GET", "/api/orders/stats", b_token).json().at("stats");
    CHECK(stats.at("totalOrders").as_int64() == 1);
    CHECK(stats.at("ordersByStatus").at("pending_confirmation").as_int64() == 0);
    CHECK(s.call("GET", "/api/orders/stats", s.root).json().at("stats").at("totalOrders").as_int64() == 4);

    // Another agent's order, or nobody's: 403 to read, to change, to prove; and nothing changed.
    CHECK(get_order(s, b1, a_token).status == 403);
    CHECK(get_order(s, none, a_token).status == 403);
    CHECK(s.call("GET", "/api/orders/" + std::to_string(b1) + "/history", a_token).status == 403);
    const HttpResponse denied = s.status(b1, "preparing", a_token);
    CHECK(denied.status == 403);
    CHECK(s.call("PATCH", "/api/deliveries/" + std::to_string(b1) + "/proof", a_token,
                 json::object{{"proofType", "otp"}, {"proofData", "1234"}})
              .status == 403);
    CHECK(s.call("DELETE", "/api/orders/" + std::to_string(b1), a_token).status == 403);
    CHECK(order_of(get_order(s, b1, s.root)).at("status").as_string() == "confirmed");
    CHECK(get_order(s, a1, a_token).status == 200);
    CHECK(s.status(a1, "preparing", a_token).status == 200);
}

TEST_CASE("X-Codd-Min-Position: a command's position is visible at once, a malformed one is 400") {
    OrdersServer s;
    const std::int64_t p = s.product("RYW-1", 6.0, 10);
    const std::int64_t id = id_of(s.order("0245400001", {{p, 1}}));
    const HttpResponse changed = s.status(id, "confirmed");
    REQUIRE(changed.status == 200);
    const auto position = changed.header("X-Codd-Position");
    REQUIRE(position);
    CHECK(std::stoll(*position) > 0);

    HttpResponse r = with_min_position(s, "/api/orders/" + std::to_string(id), *position);
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(order_of(r).at("status").as_string() == "confirmed");
    r = with_min_position(s, "/api/orders?status=confirmed", *position);
    REQUIRE(r.status == 200);
    CHECK(ids_in(r.json().at("orders")) == std::set<std::int64_t>{id});
    r = with_min_position(s, "/api/orders/stats", *position);
    REQUIRE(r.status == 200);
    CHECK(r.json().at("stats").at("ordersByStatus").at("confirmed").as_int64() == 1);
    CHECK(with_min_position(s, "/api/orders/" + std::to_string(id), "0").status == 200);

    for (const std::string bad : {"abc", "-1", "1.5", "12abc", "99999999999999999999999"}) {
        r = with_min_position(s, "/api/orders/" + std::to_string(id), bad);
        INFO("X-Codd-Min-Position: " << bad << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(field_of_first_error(r) == "min_position");
    }
}

// A position at or below the log's head that the view has not reached waits up to CODD_VIEW_WAIT_MS, then 503
// (ProjectionRunner::wait_for, tests/projections/runner_test.cpp); one beyond the head can never be reached.
TEST_CASE("X-Codd-Min-Position beyond the log's head is 400 at once, without waiting") {
    OrdersServer s(Env{{"CODD_VIEW_WAIT_MS", "3000"}});
    const std::optional<double> head = sample(s.get("/metrics").body, "codd_event_log_head_position");
    REQUIRE(head);
    const std::string reached = std::to_string(static_cast<std::int64_t>(*head));
    const std::string beyond = std::to_string(static_cast<std::int64_t>(*head) + 1'000'000);

    CHECK(with_min_position(s, "/api/orders", reached).status == 200);
    for (const char* target : {"/api/orders", "/api/orders/kanban", "/api/orders/1001"}) {
        const auto start = std::chrono::steady_clock::now();
        const HttpResponse r = with_min_position(s, target, beyond);
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        INFO(target << ": " << r.body << " after " << waited.count() << " ms");
        CHECK(r.status == 400);
        CHECK(field_of_first_error(r) == "min_position");
        CHECK(r.json().at("errors").as_array()[0].at("message").as_string().find(beyond) != std::string::npos);
        CHECK(waited < std::chrono::milliseconds(2000));  // not the 3 s wait
    }
}

TEST_CASE("/metrics shows the orders view's position and lag, caught up once a command has answered") {
    OrdersServer s;
    const std::int64_t p = s.product("MET-1", 3.0, 10);
    const std::int64_t id = id_of(s.order("0245500001", {{p, 1}}));
    const HttpResponse last = s.status(id, "confirmed");
    REQUIRE(last.status == 200);
    const double position = std::stod(last.header("X-Codd-Position").value_or("-1"));
    REQUIRE(position > 0);

    const HttpResponse m = s.get("/metrics");
    REQUIRE(m.status == 200);
    const std::string& page = m.body;
    INFO(page);
    CHECK(page.find("# TYPE codd_view_lag_events gauge\n") != std::string::npos);
    CHECK(page.find("# TYPE codd_view_lag_seconds gauge\n") != std::string::npos);
    const auto lag_events = sample(page, "codd_view_lag_events{view=\"orders\"}");
    const auto lag_seconds = sample(page, "codd_view_lag_seconds{view=\"orders\"}");
    const auto view_position = sample(page, "codd_view_position{view=\"orders\"}");
    const auto head = sample(page, "codd_event_log_head_position");
    const auto up = sample(page, "codd_view_up{view=\"orders\"}");
    REQUIRE(lag_events);
    REQUIRE(lag_seconds);
    REQUIRE(view_position);
    REQUIRE(head);
    CHECK(*lag_events == 0);
    CHECK(*lag_seconds == 0);
    CHECK(*view_position >= position);
    CHECK(*view_position == *head);
    CHECK(up == 1);
}

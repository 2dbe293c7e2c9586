// The orders API on the real binary (issue 4): the lifecycle as the admin UI drives it, read-your-writes,
// the order shape the UI reads, row scoping, idempotent creates, If-Match, and every kind of bad input.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/allocator.hpp"
#include "tests/functional/orders_fixture.hpp"

using namespace codd::test;

namespace {

// Whether `codd rebuild` runs with glibc's malloc on transparent huge pages here (engine/huge_pages.hpp): not
// when codd runs on jemalloc (engine/allocator.hpp), which reads no glibc tunable.
bool huge_pages_expected() {
#if defined(__SANITIZE_ADDRESS__)
    return false;
#else
    if (codd::engine::kJemalloc) return false;
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string modes;
    std::getline(in, modes);
    return !modes.empty() && modes.find("[never]") == std::string::npos;
#endif
}

json::object order_of(const HttpResponse& r) {
    return r.json().at("order").as_object();
}

// GET /api/orders/:id as `token`.
HttpResponse get_order(OrdersServer& s, std::int64_t id, const std::string& token = {}) {
    return s.call("GET", "/api/orders/" + std::to_string(id), token.empty() ? s.root : token);
}

std::string field_of_first_error(const HttpResponse& r) {
    return std::string(r.json().at("errors").as_array().at(0).at("field").as_string());
}

}  // namespace

TEST_CASE("an order's whole life over HTTP: create, confirm, assign, dispatch, deliver, collect") {
    OrdersServer s;
    const std::int64_t tee = s.product("TEE-1", 25.50, 10);
    const std::int64_t cap = s.product("CAP-1", 10.00, 5);
    const std::int64_t agent = s.create_user(s.root, "agent@example.com", "Agent#Passw0rd!", "delivery_agent");

    // The admin UI's create: no customerId, no totals it computed wrong.
    json::object body = OrdersServer::order_body("+233 24 123 4567", {{tee, 2}, {cap, 1}});
    body["subtotal"] = 61.0;
    body["totalAmount"] = 61.0;
    const HttpResponse created = s.create_order(s.root, body);
    INFO(created.body);
    REQUIRE(created.status == 201);
    REQUIRE(created.header("X-Codd-Position"));
    const json::object o = order_of(created);
    const std::int64_t id = id_of(o);
    CHECK(id >= 1001);
    CHECK(o.at("orderNumber").as_string() == std::to_string(id));
    CHECK(o.at("status").as_string() == "pending_confirmation");
    CHECK(o.at("paymentStatus").as_string() == "pending");
    CHECK(number(o.at("subtotal")) == doctest::Approx(61.0));
    CHECK(number(o.at("totalAmount")) == doctest::Approx(61.0));
    CHECK(o.at("customer").at("firstName").as_string() == "Ama");
    CHECK(o.at("customer").at("phoneNumber").as_string() == "+233241234567");
    REQUIRE(o.at("orderItems").as_array().size() == 2);
    const json::value first_item = o.at("orderItems").as_array().at(0);
    CHECK(number(first_item.at("unitPrice")) == doctest::Approx(25.5));
    CHECK(number(first_item.at("totalPrice")) == doctest::Approx(51.0));
    CHECK(first_item.at("product").at("name").as_string() == "Product TEE-1");

    // Read-your-writes: the order is in the list and the detail right away.
    CHECK(get_order(s, id).status == 200);
    const HttpResponse listed = s.call("GET", "/api/orders?status[]=pending_confirmation&page=1&limit=25", s.root);
    REQUIRE(listed.status == 200);
    CHECK(listed.json().at("orders").as_array().size() == 1);
    CHECK(listed.json().at("pagination").at("total").as_int64() == 1);
    CHECK(listed.json().at("pagination").at("limit").as_int64() == 25);

    // The second order by the same phone finds the same customer.
    const json::object again = s.order("0241234567", {{cap, 1}});
    const json::object third = s.order("+233241234567", {{cap, 1}});
    CHECK(third.at("customerId").as_int64() == o.at("customerId").as_int64());
    CHECK(again.at("customerId").as_int64() != o.at("customerId").as_int64());  // no country code is guessed

    // Stock is reserved: 2 of 10 tees, 3 of 5 caps.
    const json::value product = s.call("GET", "/api/products/" + std::to_string(tee), s.root).json().at("product");
    CHECK(product.at("reserved").as_int64() == 2);
    CHECK(product.at("stockQuantity").as_int64() == 10);

    for (const char* next : {"confirmed", "preparing", "ready_for_pickup"}) {
        const HttpResponse r = s.status(id, next);
        INFO(next << ": " << r.body);
        REQUIRE(r.status == 200);
        // The whole order comes back: the UI replaces its list row with it.
        CHECK(order_of(r).at("status").as_string() == next);
        CHECK(order_of(r).at("customer").at("lastName").as_string() == "Mensah");
        CHECK(order_of(r).at("orderItems").as_array().size() == 2);
    }
    const HttpResponse assigned = s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-agent", s.root,
                                         json::object{{"deliveryAgentId", agent}});
    INFO(assigned.body);
    REQUIRE(assigned.status == 200);
    CHECK(order_of(assigned).at("deliveryAgentId").as_int64() == agent);
    CHECK(order_of(assigned).at("deliveryAgent").at("lastName").as_string() == "delivery_agent");

    REQUIRE(s.status(id, "out_for_delivery").status == 200);
    const json::value dispatched = s.call("GET", "/api/products/" + std::to_string(tee), s.root).json().at("product");
    CHECK(dispatched.at("stockQuantity").as_int64() == 8);
    CHECK(dispatched.at("reserved").as_int64() == 0);

    const HttpResponse done =
        s.call("PATCH", "/api/deliveries/" + std::to_string(id) + "/complete", s.root,
               json::object{{"proofType", "otp"}, {"proofData", "4821"}, {"recipientName", "Ama"}});
    INFO(done.body);
    REQUIRE(done.status == 200);
    CHECK(order_of(done).at("status").as_string() == "delivered");
    CHECK(order_of(done).at("paymentStatus").as_string() == "collected");

    // History for auditors: every event with its actor and request id.
    const HttpResponse history = s.call("GET", "/api/v1/orders/" + std::to_string(id) + "/history", s.root);
    REQUIRE(history.status == 200);
    const json::value history_json = history.json();
    const json::array& events = history_json.at("history").as_array();
    REQUIRE(events.size() >= 7);
    CHECK(events.front().at("type").as_string() == "OrderCreated");
    CHECK(events.front().at("actor").at("role").as_string() == "super_admin");
    CHECK(!events.front().at("requestId").as_string().empty());

    // Delivered is final for cancel.
    const HttpResponse cancel = s.call("DELETE", "/api/orders/" + std::to_string(id), s.root);
    CHECK(cancel.status == 422);
    CHECK(!cancel.json().at("message").as_string().empty());

    // Kanban and stats see all three orders.
    const HttpResponse kanban = s.call("GET", "/api/orders/kanban", s.root);
    REQUIRE(kanban.status == 200);
    CHECK(kanban.json().at("kanban").at("delivered").as_array().size() == 1);
    CHECK(kanban.json().at("kanban").at("pending_confirmation").as_array().size() == 2);
    // status fills only its columns; sortBy orders each one.
    const json::value delivered_only = s.call("GET", "/api/orders/kanban?status=delivered", s.root).json();
    CHECK(delivered_only.at("kanban").at("delivered").as_array().size() == 1);
    CHECK(delivered_only.at("kanban").at("pending_confirmation").as_array().empty());
    const auto pending_ids = [&](const std::string& query) {
        const json::value board = s.call("GET", "/api/orders/kanban?" + query, s.root).json().at("kanban");
        std::vector<std::int64_t> ids;
        for (const auto& row : board.at("pending_confirmation").as_array()) ids.push_back(id_of(row));
        return ids;
    };
    CHECK(pending_ids("sortBy=createdAt&sortOrder=asc") == std::vector<std::int64_t>{id_of(again), id_of(third)});
    CHECK(pending_ids("sortBy=createdAt&sortOrder=desc") == std::vector<std::int64_t>{id_of(third), id_of(again)});
    CHECK(pending_ids("sortOrder=asc") == std::vector<std::int64_t>{id_of(again), id_of(third)});  // as the list
    const HttpResponse stats = s.call("GET", "/api/orders/stats", s.root);
    REQUIRE(stats.status == 200);
    CHECK(stats.json().at("stats").at("totalOrders").as_int64() == 3);
}

TEST_CASE("a create for a known customer (decided on the HTTP thread) answers as one that makes the customer") {
    OrdersServer s;
    const std::int64_t tee = s.product("FAST-1", 12.0, 100);
    const std::int64_t cap = s.product("FAST-2", 3.5, 100);
    // The first order makes the customer (a command thread's create); the next ones find it by phone and take the
    // create that never waits on a thread. Both answer 201 with the order as the view shows it, X-Codd-Position and
    // the ETag of version 0.
    std::vector<HttpResponse> answers;
    for (int i = 0; i < 3; ++i) {
        answers.push_back(s.create_order(s.root, OrdersServer::order_body("+233 24 555 0101", {{tee, 2}, {cap, 1}})));
    }
    std::set<std::int64_t> ids;
    for (const HttpResponse& r : answers) {
        INFO(r.body);
        REQUIRE(r.status == 201);
        CHECK(r.header("X-Codd-Position").has_value());
        CHECK(r.header("ETag") == std::optional<std::string>("\"0\""));
        CHECK(r.json().at("message") == "Order created successfully");
        const json::object o = order_of(r);
        ids.insert(id_of(o));
        // Read-your-writes, and the answer is the view's order (the detail adds history, delivery and transaction).
        const HttpResponse read = get_order(s, id_of(o));
        REQUIRE(read.status == 200);
        json::object detail = read.json().at("order").as_object();
        for (const char* extra : {"history", "delivery", "transaction"}) CHECK(detail.erase(extra) == 1);
        CHECK(json::serialize(detail) == json::serialize(r.json().at("order")));
    }
    CHECK(ids.size() == 3);
    CHECK(order_of(answers[1]).at("customerId") == order_of(answers[0]).at("customerId"));

    // Refusals on that path are the same 4xx as on the other.
    const HttpResponse unknown = s.create_order(s.root, OrdersServer::order_body("+233245550101", {{999999, 1}}));
    CHECK(unknown.status == 400);
    const HttpResponse short_stock = s.create_order(s.root, OrdersServer::order_body("+233245550101", {{tee, 1000}}));
    CHECK(short_stock.status == 409);
    const json::value product = s.call("GET", "/api/products/" + std::to_string(tee), s.root).json().at("product");
    CHECK(product.at("reserved").as_int64() == 6);
}

TEST_CASE("cancel releases stock, a forced transition needs an admin and a reason") {
    OrdersServer s;
    const std::int64_t p = s.product("MUG-1", 5.0, 3);
    const json::object o = s.order("0244000001", {{p, 3}});
    const std::int64_t id = id_of(o);

    // Nothing left to sell.
    const HttpResponse none = s.create_order(s.root, OrdersServer::order_body("0244000002", {{p, 1}}));
    CHECK(none.status == 409);
    CHECK(none.json().at("available").as_int64() == 0);

    // pending_confirmation -> delivered is outside the map: refused without a reason, kept with one.
    const HttpResponse illegal = s.status(id, "delivered", {}, {});
    CHECK(illegal.status == 400);  // an admin may force, but only with a reason
    const HttpResponse forced =
        s.status(id, "preparing", {}, json::object{{"reason", "phone confirmation by manager"}});
    CHECK(forced.status == 200);  // pending -> preparing is not in the map either: forced
    const HttpResponse history = s.call("GET", "/api/orders/" + std::to_string(id) + "/history", s.root);
    CHECK(history.body.find("phone confirmation by manager") != std::string::npos);

    const HttpResponse cancelled = s.call("DELETE", "/api/orders/" + std::to_string(id), s.root);
    REQUIRE(cancelled.status == 200);
    CHECK(order_of(cancelled).at("status").as_string() == "cancelled");
    const json::value product = s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product");
    CHECK(product.at("reserved").as_int64() == 0);
    CHECK(s.create_order(s.root, OrdersServer::order_body("0244000002", {{p, 3}})).status == 201);
    CHECK(s.call("DELETE", "/api/orders/" + std::to_string(id), s.root).status == 422);  // already cancelled
}

TEST_CASE("a manager cannot force a transition, a sales rep sees and changes only their own orders") {
    OrdersServer s;
    const std::int64_t p = s.product("PEN-1", 2.0, 100);
    s.create_user(s.root, "manager@example.com", "Manager#Passw0rd!", "manager");
    s.create_user(s.root, "rep1@example.com", "Rep1#Passw0rd!", "sales_rep");
    s.create_user(s.root, "rep2@example.com", "Rep2#Passw0rd!", "sales_rep");
    const std::string manager = IdentityServer::access_token(s.login("manager@example.com", "Manager#Passw0rd!"));
    const std::string rep1 = IdentityServer::access_token(s.login("rep1@example.com", "Rep1#Passw0rd!"));
    const std::string rep2 = IdentityServer::access_token(s.login("rep2@example.com", "Rep2#Passw0rd!"));

    const HttpResponse mine = s.create_order(rep1, OrdersServer::order_body("0244100001", {{p, 1}}));
    REQUIRE(mine.status == 201);
    const std::int64_t id = id_of(order_of(mine));
    s.order("0244100002", {{p, 1}});  // the admin's, unassigned

    CHECK(get_order(s, id, rep1).status == 200);
    CHECK(get_order(s, id, rep2).status == 403);
    CHECK(s.status(id, "confirmed", rep2).status == 403);
    CHECK(s.call("PUT", "/api/orders/" + std::to_string(id), rep2, json::object{{"notes", "mine now"}}).status == 403);
    CHECK(s.call("GET", "/api/orders/" + std::to_string(id) + "/history", rep2).status == 403);
    const HttpResponse list1 = s.call("GET", "/api/orders", rep1);
    CHECK(list1.json().at("orders").as_array().size() == 1);
    const HttpResponse list2 = s.call("GET", "/api/orders?customerRepId=" + std::to_string(id), rep2);
    CHECK(list2.json().at("orders").as_array().empty());  // a rep cannot widen the scope with a filter
    CHECK(s.status(id, "confirmed", rep1).status == 200);

    const HttpResponse forced = s.status(id, "delivered", manager, json::object{{"reason", "trust me"}});
    CHECK(forced.status == 422);

    // A customer's analytics count only the caller's own orders of that customer for a rep; all for the admin.
    s.order("0244100001", {{p, 1}});  // the admin's order for rep1's customer
    const std::string analytics =
        "/api/customers/" + std::to_string(order_of(mine).at("customerId").as_int64()) + "/analytics";
    const auto by_status = [&](const std::string& token) {
        return s.call("GET", analytics, token).json().at("analytics").at("ordersByStatus").as_object();
    };
    CHECK(by_status(rep1).at("confirmed").as_int64() == 1);
    CHECK(by_status(rep1).at("pending_confirmation").as_int64() == 0);
    CHECK(by_status(rep2).at("confirmed").as_int64() == 0);
    CHECK(by_status(rep2).at("pending_confirmation").as_int64() == 0);
    CHECK(s.call("GET", analytics, rep2).json().at("analytics").at("firstOrderDate").is_null());
    CHECK(by_status(s.root).at("pending_confirmation").as_int64() == 1);
    CHECK(by_status(s.root).at("confirmed").as_int64() == 1);
}

TEST_CASE("Idempotency-Key: the same key gives the same order, once") {
    OrdersServer s;
    const std::int64_t p = s.product("KEY-1", 3.0, 10);
    const json::object body = OrdersServer::order_body("0244200001", {{p, 2}});
    const HttpResponse a = s.create_order(s.root, body, {{"Idempotency-Key", "checkout-7f3a"}});
    const HttpResponse b = s.create_order(s.root, body, {{"Idempotency-Key", "checkout-7f3a"}});
    REQUIRE(a.status == 201);
    REQUIRE(b.status == 201);
    CHECK(id_of(order_of(a)) == id_of(order_of(b)));
    // Byte for byte: the first answer is rendered from the order the create decided, the retry's read from the view.
    CHECK(a.body == b.body);
    CHECK(a.header("ETag") == b.header("ETag"));
    CHECK(s.call("GET", "/api/orders", s.root).json().at("pagination").at("total").as_int64() == 1);
    const json::value product = s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product");
    CHECK(product.at("reserved").as_int64() == 2);
    CHECK(s.create_order(s.root, body, {{"Idempotency-Key", std::string(300, 'k')}}).status == 400);
    // The key with another body is another request: 422, and neither the first order nor a new one.
    const json::object other = OrdersServer::order_body("0244200002", {{p, 5}});
    const HttpResponse c = s.create_order(s.root, other, {{"Idempotency-Key", "checkout-7f3a"}});
    CHECK(c.status == 422);
    CHECK_FALSE(c.json().as_object().contains("order"));
    CHECK(s.call("GET", "/api/orders", s.root).json().at("pagination").at("total").as_int64() == 1);
    CHECK(s.call("GET", "/api/customers?search=0244200002", s.root).json().at("pagination").at("total").as_int64() ==
          0);
    // A status change under a key used for another one is refused too, and changes nothing.
    const std::string path = "/api/orders/" + std::to_string(id_of(order_of(a))) + "/status";
    const HeaderList key{
        {"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"Idempotency-Key", "status-1"}};
    REQUIRE(s.request("PATCH", path, key, R"({"status":"confirmed"})").status == 200);
    CHECK(s.request("PATCH", path, key, R"({"status":"confirmed"})").status == 200);
    CHECK(s.request("PATCH", path, key, R"({"status":"cancelled","reason":"x"})").status == 422);
    CHECK(order_of(s.call("GET", "/api/orders/" + std::to_string(id_of(order_of(a))), s.root)).at("status") ==
          "confirmed");
}

TEST_CASE("Idempotency-Key: a retried create answers as the first did, also after the order moved on") {
    OrdersServer s;
    const std::int64_t p = s.product("KEY-4", 3.0, 10);
    const json::object body = OrdersServer::order_body("0244200301", {{p, 2}});
    const HttpResponse a = s.create_order(s.root, body, {{"Idempotency-Key", "checkout-moved-on"}});
    REQUIRE(a.status == 201);
    const std::string path = "/api/orders/" + std::to_string(id_of(order_of(a)));
    REQUIRE(s.request("PATCH", path + "/status",
                      {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}},
                      R"({"status":"confirmed"})")
                .status == 200);
    // The retry (its answer was lost): the order as the create made it, byte for byte, not as it is now.
    const HttpResponse b = s.create_order(s.root, body, {{"Idempotency-Key", "checkout-moved-on"}});
    REQUIRE(b.status == 201);
    CHECK(b.body == a.body);
    CHECK(b.header("ETag") == "\"0\"");
    CHECK(order_of(b).at("status") == "pending_confirmation");
    CHECK(order_of(s.call("GET", path, s.root)).at("status") == "confirmed");
    CHECK(s.call("GET", "/api/orders", s.root).json().at("pagination").at("total").as_int64() == 1);
}

TEST_CASE("Idempotency-Key: a retry whose JSON is spelled differently is the same request") {
    OrdersServer s;
    const std::int64_t p = s.product("KEY-3", 3.0, 10);
    const std::string id = std::to_string(p);
    const HeaderList key{
        {"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"Idempotency-Key", "spelled-1"}};
    // The same order: members in another order, other spacing, an escaped letter, 3e0 for 3.
    const std::string first =
        R"({"customerPhone":"0244200101","customerName":"Ama Owusu","orderItems":[{"productId":)" + id +
        R"(,"quantity":2,"unitPrice":3}],"deliveryAddress":"1 Main St",)"
        R"("deliveryState":"Greater Accra","deliveryArea":"Osu"})";
    const std::string again = R"({ "deliveryArea" : "Os\u0075", "deliveryState":"Greater Accra",)"
                              R"( "deliveryAddress":"1 Main St", "orderItems" : [ {"unitPrice":3e0, "quantity":2,)"
                              R"( "productId":)" +
                              id + R"(} ], "customerName":"Ama Owusu", "customerPhone":"0244200101" })";
    const HttpResponse a = s.request("POST", "/api/orders", key, first);
    REQUIRE(a.status == 201);
    const HttpResponse b = s.request("POST", "/api/orders", key, again);
    CHECK(b.status == 201);
    CHECK(id_of(order_of(b)) == id_of(order_of(a)));
    // What it asks still counts: another quantity under the key is another request.
    std::string more = first;
    more.replace(more.find(R"("quantity":2)"), 12, R"("quantity":3)");
    CHECK(s.request("POST", "/api/orders", key, more).status == 422);
    CHECK(s.call("GET", "/api/orders", s.root).json().at("pagination").at("total").as_int64() == 1);
}

TEST_CASE("Idempotency-Key: concurrent requests under one key make one order and no other customer") {
    OrdersServer s;
    const std::int64_t p = s.product("KEY-2", 3.0, 100);
    const std::int64_t customers_before =
        s.call("GET", "/api/customers", s.root).json().at("pagination").at("total").as_int64();
    // 16 clients at once under one key, each with its own phone (a request other than the first): one order,
    // the others answered 409 (the key in flight) or 422 (the key used); none creates its customer.
    constexpr int kClients = 16;
    std::vector<int> statuses(kClients, 0);
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back([&, i] {
            HttpClient http("127.0.0.1", s.port(), std::chrono::seconds(10));
            const json::object body = OrdersServer::order_body("02446000" + std::to_string(10 + i), {{p, 1}});
            statuses[static_cast<std::size_t>(i)] = http.request("POST", "/api/orders",
                                                                 {{"Authorization", "Bearer " + s.root},
                                                                  {"Content-Type", "application/json"},
                                                                  {"Idempotency-Key", "race-1"}},
                                                                 json::serialize(body))
                                                        .status;
        });
    }
    for (auto& c : clients) c.join();
    CHECK(std::count(statuses.begin(), statuses.end(), 201) == 1);
    for (const int st : statuses) CHECK((st == 201 || st == 409 || st == 422));
    CHECK(s.call("GET", "/api/orders", s.root).json().at("pagination").at("total").as_int64() == 1);
    CHECK(s.call("GET", "/api/customers", s.root).json().at("pagination").at("total").as_int64() ==
          customers_before + 1);
}

TEST_CASE("codd verify next to a server taking orders says the log is intact") {
    // verify compares the log's end with the position the orders view applied: read after the log, that position
    // was ahead of it by whatever the server appended meanwhile, and every verify under writes said events were lost.
    OrdersServer s;
    const std::int64_t p = s.product("LIVE-V", 1.0, 1'000'000);
    std::atomic<bool> stop{false};
    std::atomic<int> created{0};
    std::thread writer([&] {
        HttpClient http("127.0.0.1", s.port(), std::chrono::seconds(10));
        const std::string body = json::serialize(OrdersServer::order_body("0244800001", {{p, 1}}));
        while (!stop) {
            const auto r =
                http.request("POST", "/api/orders",
                             {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}}, body);
            if (r.status == 201) ++created;
        }
    });
    for (int i = 0; i < 3; ++i) {
        const RunResult r = run_codd({"verify", "--data-dir", s.data_dir().string()});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("\"ok\":true") != std::string::npos);
    }
    stop = true;
    writer.join();
    CHECK(created > 0);
}

TEST_CASE("an assignment racing the user's deactivation, demotion or unavailability: exactly one of them succeeds") {
    // Either the order is the user's first (then the user keeps an open order and is not changed) or the user is
    // changed first (then the assignment is refused): never both, in either log order.
    OrdersServer s;
    const std::int64_t p = s.product("GATE-1", 1.0, 100);
    int assigned_first = 0;
    int changed_first = 0;
    for (int trial = 0; trial < 12; ++trial) {
        const bool agent = trial % 3 != 1;
        const std::int64_t user =
            s.create_user(s.root, "gate-" + std::to_string(trial) + "@example.com",
                          "Gate#Passw0rd!" + std::to_string(trial), agent ? "delivery_agent" : "sales_rep");
        const std::int64_t order = id_of(s.order("02447000" + std::to_string(10 + trial), {{p, 1}}));
        const std::string target = "/api/orders/" + std::to_string(order) + (agent ? "/assign-agent" : "/assign-rep");
        const json::object assign{{agent ? "deliveryAgentId" : "customerRepId", user}};
        // The change: deactivation, or (reps) a move to another role, or (every third agent) unavailability.
        std::string method = "DELETE";
        std::string path = "/api/admin/users/" + std::to_string(user);
        std::string body;
        if (!agent) {
            method = "PUT";
            body = R"({"role":"manager"})";
        } else if (trial % 3 == 2) {
            method = "PATCH";
            path = "/api/users/" + std::to_string(user) + "/availability";
            body = R"({"isAvailable":false})";
        }
        int assign_status = 0;
        int change_status = 0;
        const HeaderList headers{{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}};
        std::thread a([&] {
            HttpClient http("127.0.0.1", s.port(), std::chrono::seconds(10));
            assign_status = http.request("PATCH", target, headers, json::serialize(assign)).status;
        });
        std::thread b([&] {
            HttpClient http("127.0.0.1", s.port(), std::chrono::seconds(10));
            change_status = http.request(method, path, headers, body).status;
        });
        a.join();
        b.join();
        INFO("trial " << trial << ": assign " << assign_status << ", " << method << " " << path << " "
                      << change_status);
        const bool unavailable_only = agent && trial % 3 == 2;
        if (unavailable_only) {
            // Availability needs no free hands: both may succeed, but only in that order.
            CHECK(change_status == 200);
            if (assign_status == 200) ++assigned_first;
            continue;
        }
        CHECK(((assign_status == 200) != (change_status == 200)));
        (assign_status == 200 ? assigned_first : changed_first) += 1;
        const json::value o = order_of(s.call("GET", "/api/orders/" + std::to_string(order), s.root));
        const json::value& holder = o.at(agent ? "deliveryAgentId" : "customerRepId");
        CHECK((holder.is_int64() && holder.as_int64() == user) == (assign_status == 200));
    }
    MESSAGE("assigned first " << assigned_first << ", changed first " << changed_first);
}

TEST_CASE("a user command answers X-Codd-Position: the orders read after it show the user's change") {
    OrdersServer s;
    const std::int64_t p = s.product("POS-1", 2.0, 10);
    const std::int64_t rep = s.create_user(s.root, "pos-rep@example.com", "Pos#Passw0rd!1", "sales_rep");
    const std::int64_t order = id_of(s.order("0244700099", {{p, 1}}));
    REQUIRE(s.call("PATCH", "/api/orders/" + std::to_string(order) + "/assign-rep", s.root,
                   json::object{{"customerRepId", rep}})
                .status == 200);
    const HttpResponse renamed =
        s.call("PUT", "/api/admin/users/" + std::to_string(rep), s.root, json::object{{"firstName", "Renamed"}});
    INFO(renamed.body);
    REQUIRE(renamed.status == 200);
    const auto position = renamed.header("X-Codd-Position");
    REQUIRE(position);
    CHECK(std::stoull(*position) > 0);
    const HttpResponse read = s.request("GET", "/api/orders/" + std::to_string(order),
                                        {{"Authorization", "Bearer " + s.root}, {"X-Codd-Min-Position", *position}});
    REQUIRE(read.status == 200);
    CHECK(order_of(read).at("customerRep").at("firstName").as_string() == "Renamed");
    // Given twice, or both ways, each is checked.
    CHECK(s.call("GET", "/api/orders/" + std::to_string(order) + "?min_position=abc&min_position=abc", s.root).status ==
          400);
    CHECK(s.request("GET", "/api/orders/" + std::to_string(order) + "?min_position=1",
                    {{"Authorization", "Bearer " + s.root}, {"X-Codd-Min-Position", "abc"}})
              .status == 400);
    // A refused command changed nothing and names no position.
    const HttpResponse refused = s.call("DELETE", "/api/admin/users/" + std::to_string(rep), s.root);
    CHECK(refused.status == 422);
    CHECK_FALSE(refused.header("X-Codd-Position"));
}

TEST_CASE("a create's answer is the order as the view then shows it, odd text, amounts and a rep included") {
    OrdersServer s;
    const std::int64_t cream = s.product("CRM_1.a", 45.07, 10);
    const std::int64_t soap = s.product("SOAP-1", 0.10, 10);
    const std::int64_t rep = s.create_user(s.root, "rep@example.com", "Rep#Passw0rd!", "sales_rep");
    json::object body = OrdersServer::order_body("+233 20 555 0101", {{cream, 3}, {soap, 1}});
    const std::string odd = "Ama \"Q\" \\ caf\u00e9 \U0001F69A";
    body["customerName"] = odd + " Mensah";
    body["customerEmail"] = "Ama.Mensah@Example.com";
    body["notes"] = "ring twice\nthen \"wait\"";
    body["internalNotes"] = "</script> 100% _x_";
    body["tags"] = json::array{"vip", odd};
    body["customerRepId"] = rep;
    body["shippingCost"] = 15;
    body["discount"] = 0.17;
    body["estimatedDelivery"] = "2026-12-01T09:30:15.250Z";
    body["priority"] = 2;
    body["orderItems"].as_array().at(0).as_object()["metadata"] =
        json::object{{"packageName", "Trio \"deluxe\""}, {"weights", json::array{1.5, 2, nullptr}}};
    const HttpResponse created = s.create_order(s.root, body);
    INFO(created.body);
    REQUIRE(created.status == 201);
    const json::object answer = order_of(created);
    const HttpResponse read = get_order(s, id_of(answer));
    REQUIRE(read.status == 200);
    const json::object detail = order_of(read);
    for (const auto& [key, value] : answer) {
        INFO(std::string(key));
        CHECK(detail.at(key) == value);
    }
    CHECK(answer.at("customer").at("lastName").as_string() == odd.substr(4) + " Mensah");  // "Ama" is the first name
    CHECK(answer.at("customerRep").at("id").as_int64() == rep);
    CHECK(number(answer.at("totalAmount")) == doctest::Approx(45.07 * 3 + 0.10 + 15 - 0.17));
}

TEST_CASE("If-Match with the order version: a stale update is a 409") {
    OrdersServer s;
    const std::int64_t p = s.product("ETAG-1", 3.0, 10);
    const HttpResponse created = s.create_order(s.root, OrdersServer::order_body("0244300001", {{p, 1}}));
    REQUIRE(created.status == 201);
    const std::int64_t id = id_of(order_of(created));
    const std::int64_t version = order_of(created).at("version").as_int64();
    const auto put = [&](const std::string& etag, const std::string& notes) {
        return s.request(
            "PUT", "/api/orders/" + std::to_string(id),
            {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"If-Match", etag}},
            json::serialize(json::object{{"notes", notes}}));
    };
    const HttpResponse first = put("\"" + std::to_string(version) + "\"", "call before noon");
    INFO(first.body);
    REQUIRE(first.status == 200);
    CHECK(order_of(first).at("notes").as_string() == "call before noon");
    CHECK(put(std::to_string(version), "stale").status == 409);
    CHECK(put("not-a-version", "bad").status == 400);
    // A read carries the version as its ETag too: what the next If-Match sends back.
    const HttpResponse read = s.call("GET", "/api/orders/" + std::to_string(id), s.root);
    REQUIRE(read.status == 200);
    CHECK(read.header("ETag") == "\"" + std::to_string(order_of(read).at("version").as_int64()) + "\"");
    CHECK(read.header("ETag") == first.header("ETag"));  // so If-Match may send it back (below: `now`)

    // Every command on the order honours it: a stale version appends nothing.
    const std::int64_t now = order_of(first).at("version").as_int64();
    const std::string stale = "\"" + std::to_string(version) + "\"";
    const auto with_etag = [&](const char* method, const std::string& path, const json::object& body,
                               const std::string& etag) {
        return s.request(
            method, "/api/orders/" + std::to_string(id) + path,
            {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"If-Match", etag}},
            json::serialize(body));
    };
    const std::int64_t agent = s.create_user(s.root, "etag.agent@example.com", "Agent#Passw0rd!", "delivery_agent");
    CHECK(with_etag("PATCH", "/assign-agent", json::object{{"deliveryAgentId", agent}}, stale).status == 409);
    CHECK(with_etag("DELETE", "", json::object{}, stale).status == 409);
    const std::string delivery = "/api/deliveries/" + std::to_string(id) + "/attempts";
    CHECK(s.request("POST", delivery,
                    {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"If-Match", stale}},
                    "{}")
              .status == 409);
    CHECK(order_of(s.call("GET", "/api/orders/" + std::to_string(id), s.root)).at("version").as_int64() == now);
    const HttpResponse assigned = with_etag("PATCH", "/assign-agent", json::object{{"deliveryAgentId", agent}},
                                            "\"" + std::to_string(now) + "\"");
    INFO(assigned.body);
    CHECK(assigned.status == 200);
    // "*" is any version of an existing order (RFC 9110); a weak tag, as a compressing proxy passes it on, is the
    // version.
    REQUIRE(put("*", "any version").status == 200);
    const std::int64_t after_any =
        order_of(s.call("GET", "/api/orders/" + std::to_string(id), s.root)).at("version").as_int64();
    CHECK(put("W/\"" + std::to_string(after_any) + "\"", "call before noon").status == 200);
}

TEST_CASE("an order's amounts stay within what the API takes, so its edit form can send them back") {
    // At most 1000000000000.00, the largest amount a request body takes.
    OrdersServer s;
    const auto create = [&](const json::object& body) { return s.create_order(s.root, body); };
    const std::int64_t dear = s.product("BAD-DEAR", 1e11, 100);
    HttpResponse r = create(OrdersServer::order_body("0244400002", {{dear, 11}}));
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "subtotal");
    CHECK(std::string(r.json().at("message").as_string()).find("1000000000000.00") != std::string::npos);
    r = create(OrdersServer::order_body("0244400002", {{dear, 10}}));
    REQUIRE(r.status == 201);
    const json::object big = order_of(r);
    const HttpResponse back =
        s.call("PUT", "/api/orders/" + std::to_string(id_of(big)), s.root,
               json::object{{"subtotal", big.at("subtotal")}, {"totalAmount", big.at("totalAmount")}, {"notes", "ok"}});
    INFO(back.body);
    CHECK(back.status == 200);
}

TEST_CASE("an order by the phone of a deleted customer brings the customer back, as the admin UI only names phones") {
    OrdersServer s;
    const std::int64_t p = s.product("BACK-1", 3.0, 10);
    const std::int64_t customer = s.order("0244700123", {{p, 1}}).at("customerId").as_int64();
    const std::string path = "/api/customers/" + std::to_string(customer);
    REQUIRE(s.call("DELETE", path, s.root).status == 200);
    CHECK(s.call("GET", "/api/customers?search=0244700123", s.root).json().at("customers").as_array().empty());
    const json::object again = s.order("0244700123", {{p, 1}});
    CHECK(again.at("customerId") == customer);
    CHECK(again.at("customer").at("id") == customer);
    CHECK(s.call("GET", path, s.root).json().at("customer").at("isActive") == true);
    CHECK(s.call("GET", "/api/customers?search=0244700123", s.root).json().at("customers").as_array().size() == 1);
    // Named by id, a deleted customer is still refused.
    REQUIRE(s.call("DELETE", path, s.root).status == 200);
    json::object by_id = OrdersServer::order_body("0244700123", {{p, 1}});
    by_id.erase("customerPhone");
    by_id["customerId"] = customer;
    CHECK(s.create_order(s.root, by_id).status == 422);
}

TEST_CASE("bad input is a 4xx that says what is wrong") {
    OrdersServer s;
    const std::int64_t p = s.product("BAD-1", 4.0, 10);
    const auto create = [&](const json::object& body) { return s.create_order(s.root, body); };

    json::object unknown = OrdersServer::order_body("0244400001", {{999999, 1}});
    HttpResponse r = create(unknown);
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "orderItems[0].productId");

    for (const std::int64_t q : {0, -3}) {
        r = create(OrdersServer::order_body("0244400001", {{p, q}}));
        CHECK(r.status == 400);
        CHECK(field_of_first_error(r) == "orderItems[0].quantity");
    }
    // A parameter given twice is refused, not read as its first value (only status takes several).
    CHECK(s.call("GET", "/api/orders?limit=20&limit=abc", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders?sortOrder=asc&sortOrder=bogus", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders?status=confirmed&status=pending_confirmation", s.root).status == 200);
    json::object fractional = OrdersServer::order_body("0244400001", {{p, 1}});
    fractional["orderItems"].as_array()[0].as_object()["quantity"] = 1.5;
    CHECK(create(fractional).status == 400);

    json::object wrong_total = OrdersServer::order_body("0244400001", {{p, 2}});
    wrong_total["totalAmount"] = 1.0;
    r = create(wrong_total);
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "totalAmount");
    // In the units the client sent (8.0), not the log's minor units (800).
    CHECK(r.json().at("message") == "totalAmount is 8.00 (subtotal + shippingCost - discount)");

    json::object wrong_price = OrdersServer::order_body("0244400001", {{p, 1}});
    wrong_price["orderItems"].as_array()[0].as_object()["unitPrice"] = 0.01;
    CHECK(create(wrong_price).status == 400);

    json::object no_items = OrdersServer::order_body("0244400001", {});
    CHECK(create(no_items).status == 400);
    json::object no_phone = OrdersServer::order_body("", {{p, 1}});
    no_phone.erase("customerPhone");
    CHECK(create(no_phone).status == 400);
    CHECK(create(OrdersServer::order_body("not a phone", {{p, 1}})).status == 400);
    // A new customer's fields are named as the order form sends them, in the field and in the message.
    json::object no_name = OrdersServer::order_body("0244400009", {{p, 1}});
    no_name.erase("customerName");
    r = create(no_name);
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "customerName");
    CHECK(std::string(r.json().at("message").as_string()).starts_with("customerName"));
    json::object no_address = OrdersServer::order_body("0244400009", {{p, 1}});
    no_address["deliveryAddress"] = " ";
    r = create(no_address);
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "deliveryAddress");
    CHECK(s.request("POST", "/api/orders",
                    {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}}, "{\"orderItems\": [")
              .status == 400);

    const std::int64_t id = id_of(s.order("0244400002", {{p, 1}}));
    r = s.status(id, "shipped");
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "status");
    CHECK(s.status(id, "out_for_delivery", {}, {}).status == 400);  // outside the map, no reason
    CHECK(get_order(s, 987654).status == 404);
    CHECK(s.call("GET", "/api/orders/abc", s.root).status == 404);
    CHECK(s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-agent", s.root,
                 json::object{{"deliveryAgentId", 1001}})
              .status >= 400);  // the admin is not a delivery agent

    // Search: SQL metacharacters and very long strings are text, not SQL.
    for (const std::string& q : std::vector<std::string>{"%27%20OR%201%3D1%20--", "%25", "_", std::string(5000, 'a')}) {
        r = s.call("GET", "/api/orders?search=" + q, s.root);
        CHECK(r.status == 200);
        CHECK(r.json().at("orders").as_array().empty());
    }
    r = s.call("GET", "/api/orders?search=0244400002", s.root);
    CHECK(r.json().at("orders").as_array().size() == 1);
    r = s.call("GET", "/api/orders?search=400002", s.root);  // the digits the phone ends with
    CHECK(r.json().at("orders").as_array().size() == 1);
    r = s.call("GET", "/api/orders?search=" + std::to_string(id), s.root);
    CHECK(r.json().at("orders").as_array().size() == 1);

    // Paging: past the end is an empty page with the right total; limits are bounded.
    r = s.call("GET", "/api/orders?page=50&limit=10", s.root);
    REQUIRE(r.status == 200);
    CHECK(r.json().at("orders").as_array().empty());
    CHECK(r.json().at("pagination").at("total").as_int64() == 1);
    CHECK(s.call("GET", "/api/orders?limit=101", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders?page=0", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders?startDate=yesterday", s.root).status == 400);
    // An end before the start is refused, as on the financial lists, not answered empty.
    CHECK(s.call("GET", "/api/orders?startDate=2026-02-01&endDate=2026-01-31", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders/stats?startDate=2026-02-01&endDate=2026-01-31", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders?status=nope", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders?startDate=2020-01-01&endDate=2099-12-31T23:59:59.999Z", s.root)
              .json()
              .at("orders")
              .as_array()
              .size() == 1);
    // A UTC offset, escaped or left as a '+' (which a query string decodes as a space).
    for (const char* end : {"2099-12-31T23:59:59%2B01:00", "2099-12-31T23:59:59+01:00", "2099-12-31T23:59:59-05:30"}) {
        CHECK(s.call("GET", std::string("/api/orders?startDate=2020-01-01&endDate=") + end, s.root)
                  .json()
                  .at("orders")
                  .as_array()
                  .size() == 1);
    }
    CHECK(s.call("GET", "/api/orders?endDate=2099-12-31T23:59:59%201:00", s.root).status == 400);
    CHECK(s.call("GET", "/api/orders?min_position=abc", s.root).status == 400);
    // A position beyond the log's head names nothing written: 400 at once, not a wait for nothing.
    const auto beyond = s.call("GET", "/api/orders?min_position=999999999", s.root);
    CHECK(beyond.status == 400);
    CHECK(beyond.json().at("errors").as_array()[0].at("field") == "min_position");
}

TEST_CASE("bulk status changes report each order") {
    OrdersServer s;
    const std::int64_t p = s.product("BULK-1", 1.0, 10);
    const std::int64_t a = id_of(s.order("0244500001", {{p, 1}}));
    const std::int64_t b = id_of(s.order("0244500002", {{p, 1}}));
    REQUIRE(s.status(b, "confirmed").status == 200);
    REQUIRE(s.status(b, "preparing").status == 200);
    const HttpResponse r = s.call("POST", "/api/orders/bulk-status", s.root,
                                  json::object{{"orderIds", json::array{a, b, 99999, a}}, {"status", "confirmed"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    const json::value results = r.json().at("results");
    // a along the map (listed twice: one order, reported once); b back from preparing is allowed too
    CHECK(results.at("success").as_array().size() == 2);
    CHECK(results.at("failed").as_array().size() == 1);
    CHECK(results.at("failed").as_array()[0].at("id").as_int64() == 99999);
}

TEST_CASE("bulk status under an Idempotency-Key: a retry changes nothing more, another set of orders is refused") {
    OrdersServer s;
    const std::int64_t p = s.product("BULK-K", 1.0, 10);
    const std::int64_t a = id_of(s.order("0244500011", {{p, 1}}));
    const std::int64_t b = id_of(s.order("0244500012", {{p, 1}}));
    const std::int64_t c = id_of(s.order("0244500013", {{p, 1}}));
    const auto bulk = [&](json::array ids, const std::string& key) {
        return s.request(
            "POST", "/api/orders/bulk-status",
            {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"Idempotency-Key", key}},
            json::serialize(json::object{{"orderIds", std::move(ids)}, {"status", "confirmed"}}));
    };
    // 99999 first: the key goes with the first change that appends (a's), not with the refusal.
    const HttpResponse first = bulk(json::array{99999, a, b}, "bulk-k1");
    REQUIRE(first.status == 200);
    CHECK(first.json().at("results").at("success").as_array().size() == 2);
    const HttpResponse again = bulk(json::array{99999, a, b}, "bulk-k1");
    REQUIRE(again.status == 200);
    CHECK(again.json().at("results") == first.json().at("results"));
    // The key with orders none of which it changed: 422 (before, it ran).
    const HttpResponse other = bulk(json::array{c}, "bulk-k1");
    INFO(other.body);
    CHECK(other.status == 422);
    CHECK(order_of(s.call("GET", "/api/orders/" + std::to_string(c), s.root)).at("status") == "pending_confirmation");
    // A key whose request changed nothing is free for another request.
    REQUIRE(bulk(json::array{99998}, "bulk-k2").status == 200);
    const HttpResponse after = bulk(json::array{c}, "bulk-k2");
    CHECK(after.status == 200);
    CHECK(order_of(s.call("GET", "/api/orders/" + std::to_string(c), s.root)).at("status") == "confirmed");
}

TEST_CASE("bulk import creates each row on its own, once per externalOrderId") {
    OrdersServer s;
    const std::int64_t p = s.product("IMP-1", 10.0, 10);
    json::object first = OrdersServer::order_body("0244510001", {{p, 2}});
    first["externalOrderId"] = "SHOP-1";
    // The replaced system's row: client totals and no items.
    const json::object without_items{{"customerPhone", "0244510003"},
                                     {"customerFirstName", "Kofi"},
                                     {"subtotal", 20},
                                     {"totalAmount", 20},
                                     {"deliveryAddress", "1 Oxford Street"},
                                     {"deliveryState", "Greater Accra"},
                                     {"deliveryArea", "Osu"}};
    const json::object body{{"orders", json::array{first, "not an order", without_items,
                                                   OrdersServer::order_body("0244510004", {{999999, 1}}),
                                                   OrdersServer::order_body("0244510005", {{p, 20}}),
                                                   OrdersServer::order_body("0244510002", {{p, 1}})}}};
    const HttpResponse r = s.call("POST", "/api/orders/bulk", s.root, body);
    INFO(r.body);
    REQUIRE(r.status == 200);
    const json::value answer = r.json();
    const json::object& results = answer.at("results").as_object();
    CHECK(results.at("success").as_int64() == 2);
    CHECK(results.at("failed").as_int64() == 4);
    const json::array& created = results.at("orders").as_array();
    REQUIRE(created.size() == 2);
    CHECK(created[0].at("row").as_int64() == 0);
    CHECK(created[1].at("row").as_int64() == 5);
    CHECK_FALSE(created[0].at("duplicate").as_bool());
    const std::int64_t imported = id_of(created[0]);
    const json::array& errors = results.at("errors").as_array();
    REQUIRE(errors.size() == 4);
    const std::vector<std::pair<std::int64_t, std::int64_t>> expected{{1, 400}, {2, 400}, {3, 400}, {4, 409}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(errors[i].at("row").as_int64() == expected[i].first);
        CHECK(errors[i].at("status").as_int64() == expected[i].second);
    }
    CHECK(errors[0].at("errors").as_array()[0].at("field").as_string() == "orders[1]");
    CHECK(errors[1].at("errors").as_array()[0].at("field").as_string() == "orderItems");
    CHECK(errors[2].at("errors").as_array()[0].at("field").as_string() == "orderItems[0].productId");

    const json::value order = s.call("GET", "/api/orders/" + std::to_string(imported), s.root).json().at("order");
    CHECK(order.at("source").as_string() == "bulk_import");
    CHECK(order.at("externalOrderId").as_string() == "SHOP-1");
    CHECK(order.at("totalAmount").as_double() == 20.0);
    const auto reserved = [&s, p] {
        return s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product").at("reserved");
    };
    CHECK(reserved().as_int64() == 3);

    // Importing the same file again: SHOP-1 is the order it was, the row without an external id is a new order.
    const HttpResponse again = s.call("POST", "/api/orders/bulk", s.root, body);
    INFO(again.body);
    REQUIRE(again.status == 200);
    const json::value again_answer = again.json();
    const json::array& again_created = again_answer.at("results").at("orders").as_array();
    REQUIRE(again_created.size() == 2);
    CHECK(id_of(again_created[0]) == imported);
    CHECK(again_created[0].at("duplicate").as_bool());
    CHECK(id_of(again_created[1]) != id_of(created[1]));
    CHECK(reserved().as_int64() == 4);

    // Idempotency-Key: a retried request makes nothing twice.
    const json::object one{{"orders", json::array{OrdersServer::order_body("0244510006", {{p, 1}})}}};
    const HeaderList key{{"Authorization", "Bearer " + s.root},
                         {"Content-Type", "application/json"},
                         {"Idempotency-Key", "import-retry-1"}};
    const HttpResponse k1 = s.request("POST", "/api/orders/bulk", key, json::serialize(one));
    const HttpResponse k2 = s.request("POST", "/api/orders/bulk", key, json::serialize(one));
    REQUIRE(k1.status == 200);
    REQUIRE(k2.status == 200);
    // The retry lists the row the first request created as that request did: not a duplicate.
    CHECK(k2.json().at("results") == k1.json().at("results"));
    CHECK_FALSE(k2.json().at("results").at("orders").as_array()[0].at("duplicate").as_bool());
    CHECK(reserved().as_int64() == 5);
    // Other rows under the same key: 422 for the whole import, nothing created.
    const json::object others{{"orders", json::array{OrdersServer::order_body("0244510007", {{p, 1}}),
                                                     OrdersServer::order_body("0244510008", {{p, 1}})}}};
    CHECK(s.request("POST", "/api/orders/bulk", key, json::serialize(others)).status == 422);
    CHECK(reserved().as_int64() == 5);
    // Also when the key's import created only a later row (its row 0 was refused).
    HeaderList key2 = key;
    key2.back().second = "import-retry-2";
    const json::object mixed{{"orders", json::array{json::object{}, OrdersServer::order_body("0244510009", {{p, 1}})}}};
    REQUIRE(s.request("POST", "/api/orders/bulk", key2, json::serialize(mixed)).status == 200);
    CHECK(reserved().as_int64() == 6);
    CHECK(s.request("POST", "/api/orders/bulk", key2, json::serialize(others)).status == 422);
    CHECK(reserved().as_int64() == 6);
    // And with fewer rows than that import had: its only created row (1) is beyond the new file's rows.
    const json::object single{{"orders", json::array{OrdersServer::order_body("0244510010", {{p, 1}})}}};
    CHECK(s.request("POST", "/api/orders/bulk", key2, json::serialize(single)).status == 422);
    CHECK(reserved().as_int64() == 6);
    // A key's import that repeats an earlier import's externalOrderId (duplicate) next to a new row: its retry
    // answers the same, the duplicate still a duplicate and the new row still new.
    HeaderList key3 = key;
    key3.back().second = "import-retry-3";
    const json::object repeat_and_new{{"orders", json::array{first, OrdersServer::order_body("0244510011", {{p, 1}})}}};
    const HttpResponse m1 = s.request("POST", "/api/orders/bulk", key3, json::serialize(repeat_and_new));
    const HttpResponse m2 = s.request("POST", "/api/orders/bulk", key3, json::serialize(repeat_and_new));
    REQUIRE(m1.status == 200);
    REQUIRE(m2.status == 200);
    CHECK(m2.json().at("results") == m1.json().at("results"));
    const json::value m_answer = m1.json();
    const json::array& m_rows = m_answer.at("results").at("orders").as_array();
    REQUIRE(m_rows.size() == 2);
    CHECK(id_of(m_rows[0]) == imported);
    CHECK(m_rows[0].at("duplicate").as_bool());
    CHECK_FALSE(m_rows[1].at("duplicate").as_bool());
    CHECK(reserved().as_int64() == 7);

    // The request itself.
    for (const json::value& bad : {json::value(json::array{}), json::value("rows"), json::value(nullptr)}) {
        const HttpResponse b = s.call("POST", "/api/orders/bulk", s.root, json::object{{"orders", bad}});
        CHECK(b.status == 400);
        CHECK(b.json().at("errors").as_array()[0].at("field").as_string() == "orders");
    }
    json::array too_many;
    for (int i = 0; i < 501; ++i) too_many.push_back(json::object{});
    CHECK(s.call("POST", "/api/orders/bulk", s.root, json::object{{"orders", too_many}}).status == 400);

    // orders:bulk_import: a manager has it, a sales rep does not.
    s.create_user(s.root, "importer@example.com", "Manager#Passw0rd!", "manager");
    s.create_user(s.root, "imp-rep@example.com", "Rep#Passw0rd!", "sales_rep");
    const std::string manager = OrdersServer::access_token(s.login("importer@example.com", "Manager#Passw0rd!"));
    const std::string rep = OrdersServer::access_token(s.login("imp-rep@example.com", "Rep#Passw0rd!"));
    const HttpResponse by_manager =
        s.call("POST", "/api/v1/orders/bulk", manager,
               json::object{{"orders", json::array{OrdersServer::order_body("0244510007", {{p, 1}})}}});
    INFO(by_manager.body);
    CHECK(by_manager.status == 200);
    CHECK(by_manager.json().at("results").at("success").as_int64() == 1);
    CHECK(s.call("POST", "/api/orders/bulk", rep, one).status == 403);
}

TEST_CASE("an externalOrderId with an Idempotency-Key: the key is recorded too, and refused for another order") {
    OrdersServer s;
    const std::int64_t p = s.product("EXT-K", 4.0, 10);
    json::object body = OrdersServer::order_body("0244530001", {{p, 1}});
    body["externalOrderId"] = "SHOP-K-1";
    const HeaderList key{{"Idempotency-Key", "ext-key-1"}};
    const HttpResponse first = s.create_order(s.root, body, key);
    REQUIRE(first.status == 201);
    const std::int64_t id = id_of(order_of(first));
    // The same request again: the first order.
    const HttpResponse again = s.create_order(s.root, body, key);
    REQUIRE(again.status == 201);
    CHECK(id_of(order_of(again)) == id);
    // The key with another external order: 422, nothing created (before, the key was not recorded and a second
    // order was made under it).
    body["externalOrderId"] = "SHOP-K-2";
    const HttpResponse reused = s.create_order(s.root, body, key);
    INFO(reused.body);
    CHECK(reused.status == 422);
    CHECK(s.call("GET", "/api/orders", s.root).json().at("pagination").at("total").as_int64() == 1);
    // Another key for the first external order still answers the first order.
    body["externalOrderId"] = "SHOP-K-1";
    CHECK(id_of(order_of(s.create_order(s.root, body, {{"Idempotency-Key", "ext-key-2"}}))) == id);
    CHECK(s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product").at("reserved") == 1);
}

TEST_CASE("a repeated externalOrderId answers the first order, only to whoever may see it") {
    OrdersServer s;
    const std::int64_t p = s.product("EXT-1", 4.0, 10);
    s.create_user(s.root, "ext-rep-a@example.com", "RepA#Passw0rd!", "sales_rep");
    s.create_user(s.root, "ext-rep-b@example.com", "RepB#Passw0rd!", "sales_rep");
    const std::string rep_a = OrdersServer::access_token(s.login("ext-rep-a@example.com", "RepA#Passw0rd!"));
    const std::string rep_b = OrdersServer::access_token(s.login("ext-rep-b@example.com", "RepB#Passw0rd!"));
    json::object body = OrdersServer::order_body("0244520001", {{p, 1}});
    body["externalOrderId"] = "SHOP-A-1";
    const HttpResponse first = s.create_order(rep_a, body);
    INFO(first.body);
    REQUIRE(first.status == 201);
    const std::int64_t id = id_of(first.json().at("order"));
    CHECK(first.json().at("order").at("externalOrderId").as_string() == "SHOP-A-1");

    // The same rep again (another phone even): the first order, nothing new.
    body["customerPhone"] = "0244520002";
    const HttpResponse again = s.create_order(rep_a, body);
    REQUIRE(again.status == 201);
    CHECK(id_of(again.json().at("order")) == id);
    // Another rep: a conflict that shows nothing of the order; an admin: the order.
    const HttpResponse other = s.create_order(rep_b, body);
    INFO(other.body);
    CHECK(other.status == 409);
    CHECK_FALSE(other.json().as_object().contains("order"));
    CHECK(other.body.find("0244520001") == std::string::npos);
    CHECK(id_of(s.create_order(s.root, body).json().at("order")) == id);
    CHECK(s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product").at("reserved") == 1);
    // Handed to rep B, it is B's to repeat, and still A's: A created it.
    const std::int64_t b_id = s.call("GET", "/api/auth/me", rep_b).json().at("user").at("id").as_int64();
    REQUIRE(s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-rep", s.root,
                   json::object{{"customerRepId", b_id}})
                .status == 200);
    CHECK(s.create_order(rep_b, body).status == 201);
    CHECK(id_of(s.create_order(rep_a, body).json().at("order")) == id);

    // The same in an import (reps lack orders:bulk_import by default; granted here): rep A's row imported again by
    // rep A is the first order, by rep B refused.
    json::object matrix = s.call("GET", "/api/admin/permissions", s.root).json().as_object();
    matrix["sales_rep"].as_object()["orders"].as_array().push_back("bulk_import");
    REQUIRE(s.call("PUT", "/api/admin/permissions", s.root, matrix).status == 200);
    body["externalOrderId"] = "SHOP-A-2";
    const json::object file{{"orders", json::array{body}}};
    const auto import_as = [&s, &file](const std::string& token) {
        const HttpResponse r = s.call("POST", "/api/orders/bulk", token, file);
        INFO(r.body);
        REQUIRE(r.status == 200);
        return r.json().at("results");
    };
    const json::value by_a = import_as(rep_a);
    REQUIRE(by_a.at("success").as_int64() == 1);
    const json::value by_a_again = import_as(rep_a);
    CHECK(id_of(by_a_again.at("orders").as_array()[0]) == id_of(by_a.at("orders").as_array()[0]));
    const json::value by_b = import_as(rep_b);
    CHECK(by_b.at("success").as_int64() == 0);
    CHECK(by_b.at("errors").as_array()[0].at("status").as_int64() == 409);
}

TEST_CASE("the orders view is disposable: rebuilt online and offline, identical to the live one") {
    auto dir = std::make_shared<TempDir>("codd-orders-rebuild");
    std::int64_t id = 0;
    {
        OrdersServer s({}, dir);
        const std::int64_t p = s.product("RB-1", 7.0, 50);
        const std::int64_t agent = s.create_user(s.root, "rb-agent@example.com", "Agent#Passw0rd!", "delivery_agent");
        id = id_of(s.order("0244600001", {{p, 2}}));
        s.order("0244600002", {{p, 1}});
        for (const char* next : {"confirmed", "preparing", "ready_for_pickup"})
            REQUIRE(s.status(id, next).status == 200);
        REQUIRE(s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-agent", s.root,
                       json::object{{"deliveryAgentId", agent}})
                    .status == 200);
        REQUIRE(s.status(id, "out_for_delivery").status == 200);
        REQUIRE(s.call("PATCH", "/api/deliveries/" + std::to_string(id) + "/complete", s.root, json::object{}).status ==
                200);
        const std::string before = s.call("GET", "/api/orders/" + std::to_string(id), s.root).body;

        const HttpResponse online = s.call("POST", "/api/v1/admin/views/orders/rebuild", s.root);
        INFO(online.body);
        REQUIRE(online.status == 200);
        CHECK(online.json().at("events").as_int64() > 10);
        CHECK(s.call("GET", "/api/orders/" + std::to_string(id), s.root).body == before);
        CHECK(s.call("POST", "/api/v1/admin/views/nope/rebuild", s.root).status == 404);

        // The server holds the data directory: the offline rebuild refuses and says what to do.
        const RunResult busy = run_codd({"rebuild", "--data-dir", s.data_dir().string()});
        CHECK(busy.exit_code == 1);
        CHECK(busy.err.find("admin/views/orders/rebuild") != std::string::npos);
        s.stop();
    }
    const std::string data = (dir->path() / "data").string();
    // A directory with no event log (a mistyped path) is refused, not given a new empty log.
    const RunResult typo = run_codd({"rebuild", "--data-dir", data + "-typo"});
    CHECK(typo.exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(data + "-typo"));
    const RunResult offline = run_codd({"rebuild", "--data-dir", data});
    INFO(offline.out << offline.err);
    REQUIRE(offline.exit_code == 0);
    const json::value report = json::parse(offline.out);
    CHECK(report.at("identical").as_bool());
    CHECK(report.at("digest").as_string() == report.at("previousDigest").as_string());
    // On glibc's malloc it re-executed itself on huge pages (unless the kernel has none, or this is an
    // AddressSanitizer build, whose allocator replaces glibc's); CODD_HUGE_PAGES=0 keeps it as started.
    CHECK(report.at("hugePages").as_bool() == huge_pages_expected());
    CHECK(report.at("allocator").as_string().starts_with(codd::engine::kJemalloc ? "jemalloc" : "system malloc"));
    const RunResult plain = run_codd({"rebuild", "--data-dir", data}, {{"CODD_HUGE_PAGES", "0"}});
    INFO(plain.out << plain.err);
    REQUIRE(plain.exit_code == 0);
    const json::value plain_report = json::parse(plain.out);
    CHECK_FALSE(plain_report.at("hugePages").as_bool());
    CHECK(plain_report.at("identical").as_bool());

    OrdersServer again({}, dir);
    const HttpResponse r = again.call("GET", "/api/orders/" + std::to_string(id), again.root);
    REQUIRE(r.status == 200);
    CHECK(order_of(r).at("paymentStatus").as_string() == "collected");
}

TEST_CASE("PUT /orders/:id as the admin UI's edit form sends it: details, items, customer and status at once") {
    OrdersServer s;
    const std::int64_t a = s.product("PUT-A", 5.0, 10);
    const std::int64_t b = s.product("PUT-B", 8.0, 10);
    const std::int64_t id = id_of(s.order("0244700001", {{a, 1}}));
    json::object body = OrdersServer::order_body("0244700001", {{a, 2}, {b, 1}});
    body["customerName"] = "Akosua Boateng";
    body["status"] = "confirmed";
    body["notes"] = "leave at the gate";
    const auto put = [&](const json::object& b2, const std::string& key) {
        return s.request(
            "PUT", "/api/orders/" + std::to_string(id),
            {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"Idempotency-Key", key}},
            json::serialize(b2));
    };
    const HttpResponse r = put(body, "edit-1");
    INFO(r.body);
    REQUIRE(r.status == 200);
    const json::object o = order_of(r);
    CHECK(o.at("status").as_string() == "confirmed");
    CHECK(o.at("notes").as_string() == "leave at the gate");
    CHECK(o.at("customer").at("firstName").as_string() == "Akosua");
    CHECK(o.at("orderItems").as_array().size() == 2);
    CHECK(number(o.at("totalAmount")) == doctest::Approx(18.0));
    const json::value pa = s.call("GET", "/api/products/" + std::to_string(a), s.root).json().at("product");
    CHECK(pa.at("reserved").as_int64() == 2);  // re-reserved, not added

    // The same key again appends nothing.
    const auto history_size = [&] {
        return s.call("GET", "/api/orders/" + std::to_string(id) + "/history", s.root)
            .json()
            .at("history")
            .as_array()
            .size();
    };
    const std::size_t events = history_size();
    CHECK(put(body, "edit-1").status == 200);
    CHECK(history_size() == events);
    const std::int64_t other = id_of(s.order("0244700002", {{b, 1}}));
    const HttpResponse elsewhere = s.call("DELETE", "/api/orders/" + std::to_string(other), s.root);
    CHECK(elsewhere.status == 200);
    // Not along the map (PUT never forces): refused as a whole, the notes sent with it are not kept.
    body["status"] = "delivered";
    body["notes"] = "changed with a bad status";
    CHECK(put(body, "edit-2").status == 422);
    // A bad customer field too.
    body["status"] = "confirmed";
    body["customerEmail"] = "nobody@";
    const HttpResponse bad_email = put(body, "edit-3");
    CHECK(bad_email.status == 400);
    CHECK(bad_email.body.find("customerEmail") != std::string::npos);
    CHECK(order_of(s.call("GET", "/api/orders/" + std::to_string(id), s.root)).at("notes").as_string() ==
          "leave at the gate");
    CHECK(history_size() == events);

    // The customer's phone and a one-word name are edited with the order.
    body["customerEmail"] = "ama@example.com";
    body["customerPhone"] = "0244700099";
    body["customerName"] = "Akosua";
    const HttpResponse renamed = put(body, "edit-4");
    INFO(renamed.body);
    REQUIRE(renamed.status == 200);
    const json::object after = order_of(renamed);
    CHECK(after.at("notes").as_string() == "changed with a bad status");
    CHECK(after.at("customer").at("phoneNumber").as_string() == "0244700099");
    CHECK(after.at("customer").at("firstName").as_string() == "Akosua");
    CHECK(after.at("customer").at("lastName").as_string() == "");
    // Another customer's phone: a conflict named as the form names the field, and nothing of the request is
    // kept (one append: the notes sent with it are not committed either).
    const std::size_t before_taken = history_size();
    body["customerPhone"] = "0244700002";
    body["notes"] = "sent with a taken phone";
    const HttpResponse taken = put(body, "edit-5");
    CHECK(taken.status == 409);
    CHECK(field_of_first_error(taken) == "customerPhone");
    CHECK(order_of(s.call("GET", "/api/orders/" + std::to_string(id), s.root)).at("notes").as_string() ==
          "changed with a bad status");
    CHECK(history_size() == before_taken);
}

TEST_CASE("an order for a customer known by one name creates that customer") {
    OrdersServer s;
    const std::int64_t a = s.product("ONE-A", 5.0, 10);
    json::object body = OrdersServer::order_body("0244700051", {{a, 1}});
    body["customerName"] = "Kofi";
    const HttpResponse r = s.create_order(s.root, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    CHECK(order_of(r).at("customer").at("firstName").as_string() == "Kofi");
    CHECK(order_of(r).at("customer").at("lastName").as_string() == "");
}

TEST_CASE("the edit form sent back whole takes a dispatched order's notes, delivered twice collects once") {
    OrdersServer s;
    const std::int64_t a = s.product("ROUND-A", 5.0, 10);
    const std::int64_t id = id_of(s.order("0244700061", {{a, 2}}));
    const std::string path = "/api/orders/" + std::to_string(id);
    const std::int64_t agent = s.create_user(s.root, "round.agent@example.com", "Agent#Passw0rd!", "delivery_agent");
    REQUIRE(s.call("PATCH", path + "/assign-agent", s.root, json::object{{"deliveryAgentId", agent}}).status == 200);
    for (const char* st : {"confirmed", "preparing", "ready_for_pickup", "out_for_delivery"}) {
        REQUIRE(s.call("PATCH", path + "/status", s.root, json::object{{"status", st}}).status == 200);
    }
    // The UI's form: the create body plus status, with the order's own items and totals.
    json::object form = OrdersServer::order_body("0244700061", {{a, 2}});
    form["orderItems"].as_array()[0].as_object()["unitPrice"] = 5.0;
    form["subtotal"] = 10.0;
    form["totalAmount"] = 10.0;
    form["status"] = "out_for_delivery";
    form["notes"] = "gate code 4411";
    const HttpResponse noted = s.call("PUT", path, s.root, form);
    INFO(noted.body);
    REQUIRE(noted.status == 200);
    CHECK(order_of(noted).at("notes").as_string() == "gate code 4411");

    REQUIRE(s.call("PATCH", path + "/status", s.root, json::object{{"status", "delivered"}}).status == 200);
    const HttpResponse back = s.call("PATCH", path + "/status", s.root,
                                     json::object{{"status", "out_for_delivery"}, {"reason", "customer disputes it"}});
    REQUIRE(back.status == 200);
    const HttpResponse again = s.call("PATCH", path + "/status", s.root, json::object{{"status", "delivered"}});
    INFO(again.body);
    CHECK(again.status == 200);
    CHECK(order_of(again).at("paymentStatus").as_string() == "collected");
    // The paid order still takes the form back, its amounts unchanged.
    form["status"] = "delivered";
    CHECK(s.call("PUT", path, s.root, form).status == 200);
}

TEST_CASE("deliveries: listed by scheduled time, unscheduled last, and a route is one day's") {
    OrdersServer s;
    const std::int64_t p = s.product("DLV-S", 12.0, 20);
    const std::int64_t agent = s.create_user(s.root, "sched-agent@example.com", "Agent#Passw0rd!", "delivery_agent");
    std::vector<std::int64_t> ids;
    for (const char* phone : {"0244810001", "0244810002", "0244810003"}) {
        const std::int64_t id = id_of(s.order(phone, {{p, 1}}));
        for (const char* next : {"confirmed", "preparing", "ready_for_pickup"})
            REQUIRE(s.status(id, next).status == 200);
        REQUIRE(s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-agent", s.root,
                       json::object{{"deliveryAgentId", agent}})
                    .status == 200);
        ids.push_back(id);
    }
    const auto schedule = [&](std::int64_t id, const char* at) {
        REQUIRE(s.call("PATCH", "/api/deliveries/" + std::to_string(id) + "/schedule", s.root,
                       json::object{{"scheduledAt", at}})
                    .status == 200);
    };
    schedule(ids[0], "2026-12-01T15:00:00Z");
    schedule(ids[1], "2026-12-01T09:30:00Z");  // ids[2] stays unscheduled
    const auto listed = [&](const std::string& target, const char* key) {
        const HttpResponse r = s.call("GET", target, s.root);
        INFO(r.body);
        REQUIRE(r.status == 200);
        std::vector<std::int64_t> out;
        const json::value body = r.json();
        for (const auto& o : body.at(key).as_array()) out.push_back(o.at("id").as_int64());
        return out;
    };
    CHECK(listed("/api/deliveries", "deliveries") == std::vector<std::int64_t>{ids[1], ids[0], ids[2]});
    const std::string route = "/api/deliveries/routes/" + std::to_string(agent);
    CHECK(listed(route + "?date=2026-12-01", "route") == std::vector<std::int64_t>{ids[1], ids[0]});
    CHECK(listed(route + "?date=2026-12-02", "route").empty());
    CHECK(listed(route, "route").size() == 3);  // no date: every open delivery
    CHECK(s.call("GET", route + "?date=tomorrow", s.root).status == 400);
}

TEST_CASE("deliveries: the agent's list and route, schedule, attempts, proof, failure and reschedule, return") {
    OrdersServer s;
    const std::int64_t p = s.product("DLV-1", 12.0, 20);
    const std::int64_t agent = s.create_user(s.root, "dlv-agent@example.com", "Agent#Passw0rd!", "delivery_agent");
    s.create_user(s.root, "other-agent@example.com", "Agent#Passw0rd!", "delivery_agent");
    const std::string agent_token = IdentityServer::access_token(s.login("dlv-agent@example.com", "Agent#Passw0rd!"));
    const std::string other_token = IdentityServer::access_token(s.login("other-agent@example.com", "Agent#Passw0rd!"));
    const std::int64_t id = id_of(s.order("0244800001", {{p, 2}}));
    for (const char* next : {"confirmed", "preparing", "ready_for_pickup"}) REQUIRE(s.status(id, next).status == 200);
    REQUIRE(s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-agent", s.root,
                   json::object{{"deliveryAgentId", agent}})
                .status == 200);
    const std::string base = "/api/deliveries/" + std::to_string(id);

    // The agent's own list and route; another agent sees neither the list entry nor the delivery.
    CHECK(s.call("GET", "/api/deliveries", agent_token).json().at("deliveries").as_array().size() == 1);
    CHECK(s.call("GET", "/api/deliveries", other_token).json().at("deliveries").as_array().empty());
    CHECK(
        s.call("GET", "/api/deliveries/routes/" + std::to_string(agent), s.root).json().at("route").as_array().size() ==
        1);
    CHECK(s.call("GET", base, other_token).status == 403);
    CHECK(s.call("PATCH", base + "/complete", other_token, json::object{}).status == 403);
    CHECK(s.call("GET", base, agent_token).status == 200);

    HttpResponse r =
        s.call("PATCH", base + "/schedule", agent_token, json::object{{"scheduledAt", "2026-12-01T09:30:00Z"}});
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(s.call("PATCH", base + "/schedule", agent_token, json::object{{"scheduledAt", "soon"}}).status == 400);
    // Before 1970: a time the engine refuses, named as the request names it.
    r = s.call("PATCH", base + "/schedule", agent_token, json::object{{"scheduledAt", "1969-12-31T00:00:00Z"}});
    CHECK(r.status == 400);
    CHECK(field_of_first_error(r) == "scheduledAt");
    CHECK(s.call("PATCH", base + "/complete", agent_token, json::object{}).status == 422);  // not out for delivery yet
    REQUIRE(s.status(id, "out_for_delivery", agent_token).status == 200);
    CHECK(s.call("POST", base + "/attempts", agent_token, json::object{{"notes", "nobody home"}}).status == 200);
    CHECK(s.call("PATCH", base + "/proof", agent_token, json::object{{"proofType", "fingerprint"}}).status == 400);
    CHECK(s.call("PATCH", base + "/fail", agent_token, json::object{}).status == 400);  // a reason is required
    r = s.call("PATCH", base + "/fail", agent_token,
               json::object{{"reason", "customer unreachable"}, {"rescheduleAt", "2026-12-02"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    const json::object failed = r.json().at("order").as_object();
    CHECK(failed.at("delivery").at("deliveryAttempts").as_int64() >= 1);

    // Units left the warehouse on dispatch; a return brings them back.
    CHECK(s.call("GET", "/api/products/" + std::to_string(p), s.root)
              .json()
              .at("product")
              .at("stockQuantity")
              .as_int64() == 18);
    // The agent brings it back (return to sender), with a reason.
    CHECK(s.call("PATCH", base + "/return", agent_token, json::object{}).status == 400);
    CHECK(field_of_first_error(s.call("PATCH", base + "/return", agent_token, json::object{{"reason", "   "}})) ==
          "reason");
    r = s.call("PATCH", base + "/return", agent_token, json::object{{"reason", "customer refused after two attempts"}});
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(r.json().at("order").at("status").as_string() == "returned");
    CHECK(s.call("PATCH", base + "/return", agent_token, json::object{{"reason", "again"}}).status == 422);
    const json::value product = s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product");
    CHECK(product.at("stockQuantity").as_int64() == 20);
    CHECK(product.at("reserved").as_int64() == 0);
}

TEST_CASE("moving an order out for delivery to delivered with a status change collects its cash") {
    OrdersServer s;
    const std::int64_t p = s.product("KB-1", 9.0, 5);
    const std::int64_t agent = s.create_user(s.root, "kb-agent@example.com", "Agent#Passw0rd!", "delivery_agent");
    const std::int64_t id = id_of(s.order("0244900001", {{p, 2}}));
    for (const char* next : {"confirmed", "preparing", "ready_for_pickup"}) REQUIRE(s.status(id, next).status == 200);
    REQUIRE(s.call("PATCH", "/api/orders/" + std::to_string(id) + "/assign-agent", s.root,
                   json::object{{"deliveryAgentId", agent}})
                .status == 200);
    REQUIRE(s.status(id, "out_for_delivery").status == 200);
    const HttpResponse r = s.status(id, "delivered");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(order_of(r).at("status").as_string() == "delivered");
    CHECK(order_of(r).at("paymentStatus").as_string() == "collected");
    const HttpResponse balances = s.call("GET", "/api/financial/agent-balances", s.root);
    INFO(balances.body);
    const json::value all = balances.json();
    bool found = false;
    for (const json::value& b : all.at("balances").as_array()) {
        if (b.at("agentId").as_int64() != agent) continue;
        found = true;
        CHECK(number(b.at("cashInHand")) == doctest::Approx(18.0));
    }
    CHECK(found);
}

// Crash: `codd serve` is SIGKILLed under a load of concurrent order creates. After a restart, every order
// that got a 2xx answer is in the log and in the view, and each product's reserved stock is exactly the sum
// of what the surviving orders hold: nothing reserved twice, nothing lost, nothing half-written. Also during an
// order import, which is finished by sending the same file again.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/functional/orders_fixture.hpp"

using namespace codd::test;

namespace {

constexpr int kClients = 8;
constexpr int kCycles = 5;

struct Acknowledged {
    std::mutex mu;
    std::set<std::int64_t> orders;
    std::uint64_t max_position = 0;
};

// Creates orders until the server dies; records every 201.
void client_loop(std::uint16_t port, const std::string& token, const std::vector<std::int64_t>& products, int client,
                 Acknowledged& ack, std::atomic<bool>& stop) {
    HttpClient http("127.0.0.1", port, std::chrono::seconds(5));
    std::mt19937 rng(static_cast<unsigned>(client));
    // Half the clients order for one customer each, without an Idempotency-Key: after its first order, which makes
    // the customer on a command thread, theirs are decided on the HTTP thread and answered by the log and the view.
    const bool known_customer = client % 2 == 1;
    for (int i = 0; !stop.load(); ++i) {
        const std::string phone = known_customer ? "02441" + std::to_string(100000 + client)
                                                 : "02440" + std::to_string(client) + std::to_string(100000 + i);
        std::vector<Line> lines = {{products[rng() % products.size()], 1 + static_cast<std::int64_t>(rng() % 2)},
                                   {products[rng() % products.size()], 1}};
        HeaderList headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
        if (!known_customer)
            headers.emplace_back("Idempotency-Key", "crash-" + std::to_string(client) + "-" + std::to_string(i));
        try {
            const HttpResponse r =
                http.request("POST", "/api/orders", headers, json::serialize(OrdersServer::order_body(phone, lines)));
            if (r.status == 201) {
                const std::lock_guard lock(ack.mu);
                ack.orders.insert(r.json().at("order").at("id").as_int64());
                ack.max_position = std::max<std::uint64_t>(ack.max_position, std::stoull(*r.header("X-Codd-Position")));
            }
        } catch (const std::exception&) {
            return;  // the server is gone
        }
    }
}

}  // namespace

TEST_CASE("SIGKILL under concurrent creates: every acknowledged order survives, stock reserved exactly once") {
    auto dir = std::make_shared<TempDir>("codd-orders-crash");
    std::vector<std::int64_t> products;
    std::string token;
    {
        OrdersServer s({}, dir);
        for (int i = 0; i < 4; ++i) products.push_back(s.product("CRASH-" + std::to_string(i), 2.5, 1'000'000));
        token = s.root;
        s.stop();
    }
    Acknowledged ack;
    std::mt19937 rng(42);
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        OrdersServer s({}, dir);
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back(client_loop, s.port(), s.root, std::cref(products), cycle * kClients + c,
                                 std::ref(ack), std::ref(stop));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
        s.process().signal(SIGKILL);
        s.process().wait(std::chrono::seconds(10));
        stop = true;
        for (auto& t : clients) t.join();
    }
    INFO("acknowledged orders: " << ack.orders.size());
    REQUIRE(ack.orders.size() > 0);

    OrdersServer s({}, dir);
    const std::string wait = "min_position=" + std::to_string(ack.max_position);
    for (const std::int64_t id : ack.orders) {
        const HttpResponse r = s.call("GET", "/api/orders/" + std::to_string(id) + "?" + wait, s.root);
        INFO("order " << id << ": " << r.body);
        CHECK(r.status == 200);
    }
    // Reserved stock is exactly what the orders in the view hold.
    std::map<std::int64_t, std::int64_t> held;
    for (std::int64_t page = 1;; ++page) {
        const HttpResponse r = s.call("GET", "/api/orders?limit=100&page=" + std::to_string(page) + "&" + wait, s.root);
        REQUIRE(r.status == 200);
        const json::value page_json = r.json();
        const json::array& orders = page_json.at("orders").as_array();
        for (const json::value& o : orders) {
            for (const json::value& item : o.at("orderItems").as_array()) {
                held[item.at("productId").as_int64()] += item.at("quantity").as_int64();
            }
        }
        if (orders.size() < 100) break;
    }
    for (const std::int64_t p : products) {
        const json::value product = s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product");
        INFO("product " << p);
        CHECK(product.at("reserved").as_int64() == held[p]);
        CHECK(product.at("stockQuantity").as_int64() == 1'000'000);
    }
    const std::string out = s.stop();
    CHECK(out.find("\"level\":\"error\"") == std::string::npos);
}

// An import cut short by SIGKILL is finished by sending the same file again: each row's externalOrderId makes its
// order exactly once, however many times the file is sent and wherever the crash fell, and stock is reserved once.
TEST_CASE("SIGKILL during an order import: sending the file again makes each row's order exactly once") {
    constexpr int kRows = 500;
    auto dir = std::make_shared<TempDir>("codd-import-crash");
    std::int64_t product = 0;
    {
        OrdersServer s({}, dir);
        product = s.product("IMPORT-1", 2.0, 1'000'000);
        s.stop();
    }
    json::array rows;
    std::int64_t units = 0;
    for (int i = 0; i < kRows; ++i) {
        json::object row = OrdersServer::order_body("02447" + std::to_string(100000 + i), {{product, 1 + i % 3}});
        row["externalOrderId"] = "SHOP-" + std::to_string(i);
        rows.push_back(std::move(row));
        units += 1 + i % 3;
    }
    const std::string file = json::serialize(json::object{{"orders", rows}});
    const auto send = [&file](std::uint16_t port, const std::string& token) {
        HttpClient http("127.0.0.1", port, std::chrono::seconds(30));
        return http.request("POST", "/api/orders/bulk",
                            {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, file);
    };
    // Each killed import is killed once the view holds `at` of the file's orders: inside the import.
    for (const std::int64_t at : {60, 200}) {
        OrdersServer s({}, dir);
        std::thread importer([&] {
            try {
                send(s.port(), s.root);
            } catch (const std::exception&) {
                // the server is gone mid-request
            }
        });
        for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);;) {
            const HttpResponse r = s.call("GET", "/api/orders?limit=1", s.root);
            if (r.status == 200 && r.json().at("pagination").at("total").as_int64() >= at) break;
            REQUIRE(std::chrono::steady_clock::now() < until);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        s.process().signal(SIGKILL);
        s.process().wait(std::chrono::seconds(10));
        importer.join();
    }

    OrdersServer s({}, dir);
    std::set<std::int64_t> ids;
    std::int64_t imported_before = 0;  // rows the killed imports had created
    for (int round = 0; round < 2; ++round) {
        const HttpResponse r = send(s.port(), s.root);
        INFO("round " << round << ": " << r.body.substr(0, 2000));
        REQUIRE(r.status == 200);
        const json::value results = r.json().at("results");
        CHECK(results.at("success").as_int64() == kRows);
        CHECK(results.at("failed").as_int64() == 0);
        for (const json::value& o : results.at("orders").as_array()) {
            if (round == 0) ids.insert(o.at("id").as_int64());
            if (round == 0) imported_before += o.at("duplicate").as_bool() ? 1 : 0;
            if (round == 1) CHECK(o.at("duplicate").as_bool());
            if (round == 1) CHECK(ids.count(o.at("id").as_int64()) == 1);
        }
    }
    CHECK(ids.size() == static_cast<std::size_t>(kRows));
    MESSAGE("rows the killed imports had created: " << imported_before);
    CHECK(imported_before > 0);  // the crashes fell inside the imports
    CHECK(imported_before < kRows);
    // No row made a second order, and the stock holds exactly the file's units.
    CHECK(s.call("GET", "/api/orders?limit=1", s.root).json().at("pagination").at("total").as_int64() == kRows);
    const json::value p = s.call("GET", "/api/products/" + std::to_string(product), s.root).json().at("product");
    CHECK(p.at("reserved").as_int64() == units);
    const std::string out = s.stop();
    CHECK(out.find("\"level\":\"error\"") == std::string::npos);
}

// `codd serve` with requests that write: shutdown with order creates in flight, /health/ready when the log
// stops being writable or a view stops applying, the client's X-Request-ID in the stored events, and
// `codd verify` next to a running server whose log holds events. The real binary, over real HTTP; the log is
// read back through the engine (a read-only secondary instance, as `codd verify` opens it).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "engine/event_log.hpp"
#include "projections/sqlite.hpp"
#include "tests/functional/orders_fixture.hpp"

namespace {

using namespace codd::test;
using namespace std::chrono_literals;
namespace engine = codd::engine;

// `codd verify` on a data directory; fails the test unless it exits 0 with an intact report.
json::object verify(const std::filesystem::path& data_dir) {
    const RunResult r = run_codd({"verify", "--data-dir", data_dir.string()});
    INFO("verify stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    json::object report = json::parse(r.out).as_object();
    CHECK(report.at("ok") == true);
    return report;
}

// Every event of the log under `data_dir`, read through a secondary instance (works next to a running server).
std::vector<engine::RecordedEvent> log_events(const std::filesystem::path& data_dir) {
    const TempDir secondary("codd-secondary");
    auto log = engine::EventLog::open_read_only(data_dir / "log", secondary.path());
    std::vector<engine::RecordedEvent> events;
    log->scan(engine::GlobalPosition{1}, [&](const engine::RecordedEvent& e) {
        events.push_back(e);
        return true;
    });
    return events;
}

std::uint64_t head_of(const HttpResponse& ready) {
    return ready.json().at("log").at("head").to_number<std::uint64_t>();
}

// ---- shutdown with writes in flight ----

struct Attempt {
    std::string request_id;
    std::vector<Line> lines;
    int status = 0;  // 0: no answer
    std::int64_t order = 0;
    bool answered_after_signal = false;
};

struct Load {
    std::mutex mu;
    std::vector<Attempt> attempts;
    int created = 0;
    std::atomic<bool> signalled{false};
    std::atomic<bool> stop{false};
};

// Creates orders until the server stops answering; records every attempt, answered or not.
void create_orders(std::uint16_t port, const std::string& token, const std::vector<std::int64_t>& products, int sig,
                   int client, Load& load) {
    HttpClient http("127.0.0.1", port, 15s);
    for (int i = 0; !load.stop.load(); ++i) {
        Attempt a;
        a.request_id = "shutdown-" + std::to_string(sig) + "-" + std::to_string(client) + "-" + std::to_string(i);
        const auto p = static_cast<std::size_t>(client + i);
        a.lines = {{products[p % products.size()], 1 + (i % 3)}, {products[(p + 1) % products.size()], 1}};
        const std::string phone = "0244" + std::to_string(10 + client) + std::to_string(100000 + i);
        bool gone = false;
        try {
            const HttpResponse r = http.request("POST", "/api/orders",
                                                {{"Authorization", "Bearer " + token},
                                                 {"Content-Type", "application/json"},
                                                 {"X-Request-ID", a.request_id},
                                                 {"Idempotency-Key", a.request_id}},
                                                json::serialize(OrdersServer::order_body(phone, a.lines)));
            a.status = r.status;
            a.answered_after_signal = load.signalled.load();
            if (r.status == 201) a.order = r.json().at("order").at("id").as_int64();  // 202 names no order
        } catch (const std::exception&) {
            gone = true;  // refused or closed: the server is shutting down
        }
        const std::lock_guard lock(load.mu);
        if (a.status == 201) ++load.created;
        load.attempts.push_back(std::move(a));
        if (gone) return;
    }
}

void shutdown_with_creates_in_flight(int sig) {
    CAPTURE(sig);
    auto dir = std::make_shared<TempDir>("codd-shutdown");
    constexpr int kClients = 8;
    std::vector<std::int64_t> products;
    Load load;
    std::uint64_t stopped_head = 0;
    {
        OrdersServer s({}, dir);
        for (int i = 0; i < 3; ++i) products.push_back(s.product("SHUT-" + std::to_string(i), 4.0, 1'000'000));
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back(create_orders, s.port(), s.root, std::cref(products), sig, c, std::ref(load));
        }
        // The signal comes while the clients are busy creating orders.
        const auto busy_by = std::chrono::steady_clock::now() + 30s;
        for (;;) {
            {
                const std::lock_guard lock(load.mu);
                if (load.created >= 40) break;
            }
            if (std::chrono::steady_clock::now() > busy_by) break;
            std::this_thread::sleep_for(5ms);
        }
        load.signalled = true;
        s.process().signal(sig);
        const auto code = s.process().wait(30s);
        load.stop = true;
        for (auto& t : clients) t.join();
        const std::string out = s.process().stdout_text();
        INFO("stdout:\n" << out << "\nstderr:\n" << s.process().stderr_text());
        REQUIRE(code.has_value());
        CHECK(*code == 0);
        CHECK(out.find("connections cut") == std::string::npos);  // everything in flight finished in the grace
        CHECK(out.find("\"level\":\"error\"") == std::string::npos);
        const auto stopped = out.find("\"msg\":\"stopped\"");
        REQUIRE(stopped != std::string::npos);
        const auto head_at = out.find("\"head\":", stopped);
        REQUIRE(head_at != std::string::npos);
        stopped_head = std::stoull(out.substr(head_at + 7));
    }

    std::map<std::string, const Attempt*> by_request;
    std::size_t acknowledged = 0;
    int answered_after_signal = 0;
    for (const Attempt& a : load.attempts) {
        by_request[a.request_id] = &a;
        if (a.status == 0) continue;
        INFO("request " << a.request_id);
        // A request that was answered at all was carried out: the drain does not refuse work it has taken.
        CHECK((a.status == 201 || a.status == 202));
        ++acknowledged;
        answered_after_signal += a.answered_after_signal ? 1 : 0;
    }
    INFO("attempts: " << load.attempts.size() << ", acknowledged: " << acknowledged
                      << ", answered after the signal: " << answered_after_signal);
    MESSAGE("signal " << sig << ": " << load.attempts.size() << " attempts, " << acknowledged << " answered, "
                      << answered_after_signal << " of them after the signal");
    REQUIRE(acknowledged >= 40);
    CHECK(answered_after_signal > 0);  // requests in flight at the signal were finished and answered

    // The log the server closed verifies, and holds everything it reported at its last line.
    CHECK(verify(dir->path() / "data").at("events").to_number<std::uint64_t>() == stopped_head);

    // The log: one OrderCreated per request at most, each one's request id one of ours, every acknowledged
    // order among them.
    std::map<std::int64_t, std::string> created;  // order id -> request id
    for (const engine::RecordedEvent& e : log_events(dir->path() / "data")) {
        if (e.type != "OrderCreated") continue;
        const std::int64_t id = json::parse(e.payload).at("orderId").as_int64();
        INFO("order " << id << " from request " << e.metadata.request_id);
        CHECK(by_request.contains(e.metadata.request_id));
        CHECK(created.emplace(id, e.metadata.request_id).second);
    }
    std::set<std::string> requests_in_log;
    for (const auto& [id, request] : created) CHECK(requests_in_log.insert(request).second);
    for (const Attempt& a : load.attempts) {
        if (a.status == 0) continue;  // no answer: may or may not have been carried out
        INFO("acknowledged request " << a.request_id << " (" << a.status << ", order " << a.order << ")");
        CHECK(requests_in_log.contains(a.request_id));
        if (a.order != 0) CHECK(created[a.order] == a.request_id);
    }

    // After a restart the view holds exactly the orders of the log, each with the items its request sent, and
    // each product's reserved stock is what those orders hold: nothing half-applied, nothing twice.
    OrdersServer s({}, dir);
    const std::string wait = "min_position=" + std::to_string(stopped_head);
    std::map<std::int64_t, std::int64_t> held;
    std::set<std::int64_t> in_view;
    for (std::int64_t page = 1;; ++page) {
        const HttpResponse r = s.call("GET", "/api/orders?limit=100&page=" + std::to_string(page) + "&" + wait, s.root);
        REQUIRE(r.status == 200);
        const json::value body = r.json();
        const json::array& orders = body.at("orders").as_array();
        for (const json::value& o : orders) {
            const std::int64_t id = id_of(o);
            in_view.insert(id);
            INFO("order " << id << ": " << json::serialize(o));
            REQUIRE(created.contains(id));
            const Attempt& sent = *by_request.at(created[id]);
            std::map<std::int64_t, std::int64_t> items, expected;
            for (const json::value& item : o.at("orderItems").as_array()) {
                items[item.at("productId").as_int64()] += item.at("quantity").as_int64();
                held[item.at("productId").as_int64()] += item.at("quantity").as_int64();
            }
            for (const Line& l : sent.lines) expected[l.product_id] += l.quantity;
            CHECK(items == expected);
        }
        if (orders.size() < 100) break;
    }
    std::set<std::int64_t> in_log;
    for (const auto& [id, request] : created) in_log.insert(id);
    CHECK(in_view == in_log);
    for (const std::int64_t p : products) {
        const json::value product = s.call("GET", "/api/products/" + std::to_string(p), s.root).json().at("product");
        INFO("product " << p);
        CHECK(product.at("reserved").as_int64() == held[p]);
        CHECK(product.at("stockQuantity").as_int64() == 1'000'000);
    }
    s.process().signal(SIGTERM);
    CHECK(s.process().wait(15s) == std::optional<int>(0));
}

// ---- a log that stops being writable ----

// `codd serve` whose files may grow to `limit_kib` at most (RLIMIT_FSIZE, with SIGXFSZ ignored so a write
// past it fails with EFBIG): the event log's write-ahead file is the file that reaches it, and the log fails.
class LimitedServer {
  public:
    LimitedServer(const std::filesystem::path& dir, int limit_kib) {
        const std::filesystem::path cwd = dir / "cwd";
        const std::filesystem::path out = dir / "limited-run";
        std::filesystem::create_directories(cwd);
        std::filesystem::create_directories(out);
        const Env env{{"CODD_LISTEN", "127.0.0.1:0"},
                      {"CODD_DATA_DIR", (dir / "data").string()},
                      {"CODD_ADMIN_EMAIL", kAdminEmail},
                      {"CODD_ADMIN_PASSWORD", kAdminPassword}};
        const std::string script = "trap '' XFSZ; ulimit -f " + std::to_string(limit_kib) + " && exec \"$0\" serve";
        process_ = std::make_unique<Process>(ProcessOptions{{"/bin/bash", "-c", script, CODD_BINARY}, env, cwd}, out);
        client_ = std::make_unique<HttpClient>("127.0.0.1", process_->wait_for_port(20s));
    }
    Process& process() { return *process_; }
    HttpClient& client() { return *client_; }

    HttpResponse call(const std::string& method, const std::string& target, const std::string& token,
                      const std::string& body = {}) {
        HeaderList headers{{"Authorization", "Bearer " + token}};
        if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
        return client_->request(method, target, headers, body);
    }

  private:
    std::unique_ptr<Process> process_;
    std::unique_ptr<HttpClient> client_;
};

// Settings changes of ~60 KB each (the orders view does not keep settings, so only the log grows) until one
// fails. Returns how many succeeded; fails the test unless one failed.
int fill_log_until_it_fails(LimitedServer& s, const std::string& token) {
    for (int i = 0; i < 200; ++i) {
        const std::string body = json::serialize(
            json::object{{"notificationTemplates", json::object{{"t" + std::to_string(i), std::string(60'000, 'x')}}}});
        const HttpResponse r = s.call("PUT", "/api/admin/settings", token, body);
        if (r.status == 200) continue;
        INFO("settings change " << i << ": " << r.status << " " << r.body);
        CHECK(r.status == 503);  // refused: the log cannot take writes; nothing of it was written
        CHECK(r.header("Retry-After") == "5");
        CHECK(r.header("Content-Type") == "application/problem+json");
        return i;
    }
    FAIL("the log never failed");
    return 0;
}

std::string login_token(HttpClient& client) {
    const HttpResponse r =
        client.request("POST", "/api/auth/login", {{"Content-Type", "application/json"}},
                       json::serialize(json::object{{"email", kAdminEmail}, {"password", kAdminPassword}}));
    INFO("login: " << r.body);
    REQUIRE(r.status == 200);
    return std::string(r.json().at("tokens").at("accessToken").as_string());
}

}  // namespace

TEST_CASE(
    "SIGTERM with order creates in flight: every answered order is in the log and the view, nothing half-applied") {
    shutdown_with_creates_in_flight(SIGTERM);
}

TEST_CASE(
    "SIGINT with order creates in flight: every answered order is in the log and the view, nothing half-applied") {
    shutdown_with_creates_in_flight(SIGINT);
}

TEST_CASE("health/ready is 503 and says why while the event log cannot write (its file size limit reached)") {
    const auto dir = std::make_shared<TempDir>("codd-unwritable");
    int succeeded = 0;
    std::uint64_t head = 0;
    {
        LimitedServer s(dir->path(), 2048);
        const std::string token = login_token(s.client());
        CHECK(s.client().get("/health/ready").status == 200);
        CHECK(s.client().get("/metrics").body.find("\ncodd_event_log_writable 1\n") != std::string::npos);

        succeeded = fill_log_until_it_fails(s, token);
        // The gauge an alert watches.
        CHECK(s.client().get("/metrics").body.find("\ncodd_event_log_writable 0\n") != std::string::npos);
        CHECK(succeeded > 0);

        const HttpResponse ready = s.client().get("/health/ready");
        INFO("ready: " << ready.body);
        CHECK(ready.status == 503);
        const json::value r = ready.json();
        CHECK(r.at("status") == "unavailable");
        CHECK(r.at("log").at("writable") == false);  // why: the log, not the view
        // and what the log ran into: RocksDB's write error (the file size limit: "File too large"), met where the
        // syncer writes the writer's rounds from RocksDB's WAL buffer to the file.
        REQUIRE(r.at("log").as_object().contains("error"));
        const std::string error(r.at("log").at("error").as_string());
        CHECK(error.starts_with("WAL write or fsync: "));
        CHECK(error.find("too large") != std::string::npos);
        CHECK(r.at("views").at("orders").at("running") == true);
        head = head_of(ready);

        const HttpResponse health = s.client().get("/health");
        CHECK(health.status == 503);
        CHECK(health.json().at("status") == "degraded");
        CHECK(health.json().at("log").at("writable") == false);

        // Later writes are refused too, and reads still work.
        const HttpResponse again =
            s.call("PUT", "/api/admin/settings", token, json::serialize(json::object{{"businessName", "After"}}));
        CHECK(again.status == 503);
        CHECK(again.header("Retry-After") == "5");
        CHECK(s.client().get("/health/live").status == 200);
        CHECK(s.call("GET", "/api/admin/settings", token).status == 200);

        s.process().signal(SIGTERM);
        CHECK(s.process().wait(20s).has_value());  // it stops (how it exits: see the known-bug test below)
    }
    // Restarted without the limit: what was acknowledged is there, the failed change is not, the log verifies
    // and takes writes again.
    CHECK(verify(dir->path() / "data").at("events").to_number<std::uint64_t>() == head);
    IdentityServer s({}, dir);
    const std::string token = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));
    CHECK(s.get("/health/ready").status == 200);
    const json::value settings = s.call("GET", "/api/admin/settings", token).json();
    // A settings change replaces a top-level key: the last acknowledged change is what is stored.
    const json::object& templates = settings.at("notificationTemplates").as_object();
    CHECK(templates.size() == 1);
    CHECK(templates.contains("t" + std::to_string(succeeded - 1)));
    CHECK(s.call("PUT", "/api/admin/settings", token, json::object{{"businessName", "Recovered"}}).status == 200);
    s.process().signal(SIGTERM);
    CHECK(s.process().wait(15s) == std::optional<int>(0));
}

TEST_CASE("an order import refused by a failed event log answers 503 with Retry-After") {
    const TempDir dir("codd-unwritable-import");
    LimitedServer s(dir.path(), 2048);
    const std::string token = login_token(s.client());
    const HttpResponse product = s.call("POST", "/api/products", token,
                                        json::serialize(json::object{{"name", "Soap"},
                                                                     {"sku", "SOAP-1"},
                                                                     {"price", 3.5},
                                                                     {"stockQuantity", 100},
                                                                     {"category", "test"}}));
    REQUIRE(product.status == 201);
    const std::int64_t id = product.json().at("product").at("id").as_int64();
    fill_log_until_it_fails(s, token);
    json::array rows{"not a row"};  // a refused row before the failure changes nothing: none is written
    for (int i = 0; i < 3; ++i) {
        rows.push_back(json::object{{"customerPhone", "024453000" + std::to_string(i)},
                                    {"customerName", "Esi Owusu"},
                                    {"deliveryAddress", "1 Road"},
                                    {"deliveryState", "Greater Accra"},
                                    {"deliveryArea", "Osu"},
                                    {"orderItems", json::array{json::object{{"productId", id}, {"quantity", 1}}}}});
    }
    const HttpResponse r = s.call("POST", "/api/orders/bulk", token, json::serialize(json::object{{"orders", rows}}));
    INFO(r.body);
    CHECK(r.status == 503);
    CHECK(r.header("Retry-After") == "5");
    CHECK(r.header("Content-Type") == "application/problem+json");
    s.process().signal(SIGTERM);
    CHECK(s.process().wait(20s).has_value());
}

// After a failed write RocksDB's WAL writer is in an error state: close() must not flush it (RocksDB aborted
// on an assertion, WritableFileWriter::AssertFalseAndGetStatusForPrevError, and `codd serve` died with exit 134).
TEST_CASE("SIGTERM after the event log failed exits 0") {
    const TempDir dir("codd-unwritable-exit");
    LimitedServer s(dir.path(), 2048);
    const std::string token = login_token(s.client());
    fill_log_until_it_fails(s, token);
    s.process().signal(SIGTERM);
    const auto code = s.process().wait(20s);
    INFO("stdout:\n" << s.process().stdout_text() << "\nstderr:\n" << s.process().stderr_text());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(s.process().stdout_text().find("\"msg\":\"stopped\"") != std::string::npos);
}

TEST_CASE("health/ready is 503 and says why while the orders view cannot apply (its file locked by another writer)") {
    OrdersServer s(Env{{"CODD_VIEW_WAIT_MS", "300"}});
    const std::int64_t before = s.product("LOCK-1", 3.0, 5);
    CHECK(s.get("/health/ready").status == 200);

    // Another connection holds the view file's write lock past the runner's busy timeout (5 s).
    auto lock = std::make_unique<codd::projections::Database>(
        codd::projections::Database::open(s.data_dir() / "views" / "orders.sqlite"));
    auto tx = std::make_unique<codd::projections::Transaction>(*lock);

    // The command is durable but the view cannot apply it: 202.
    const HttpResponse r = s.call("POST", "/api/products", s.root,
                                  json::object{{"name", "Locked out"},
                                               {"sku", "LOCK-2"},
                                               {"price", 3.0},
                                               {"costPrice", 1.0},
                                               {"stockQuantity", 5},
                                               {"category", "test"}});
    INFO("create while locked: " << r.body);
    CHECK(r.status == 202);
    // A bulk command answers 202 too, with its per-row results (they do not come from the view).
    const HttpResponse imported = s.call(
        "POST", "/api/orders/bulk", s.root,
        json::object{{"orders", json::array{OrdersServer::order_body("0244540001", {{before, 1}}), "not a row"}}});
    INFO("import while locked: " << imported.body);
    CHECK(imported.status == 202);
    CHECK(imported.json().at("results").at("success") == 1);
    CHECK(imported.json().at("results").at("errors").at(0).at("row") == 1);
    CHECK(imported.header("X-Codd-Position").has_value());
    // The import made the customer: an order by its phone is decided on the HTTP thread and answered by the view's
    // timer or its stop, 202 as well.
    const HttpResponse known =
        s.call("POST", "/api/orders", s.root, OrdersServer::order_body("0244540001", {{before, 1}}));
    INFO("create for a known customer while locked: " << known.body);
    CHECK(known.status == 202);
    CHECK(known.header("X-Codd-Position").has_value());
    CHECK_FALSE(known.header("ETag").has_value());

    HttpResponse ready;
    for (const auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;) {
        ready = s.get("/health/ready");
        if (ready.status != 200) break;
        std::this_thread::sleep_for(100ms);
    }
    INFO("ready: " << ready.body);
    CHECK(ready.status == 503);
    const json::value body = ready.json();
    CHECK(body.at("status") == "unavailable");
    CHECK(body.at("log").at("writable") == true);
    const json::value& view = body.at("views").at("orders");
    CHECK(view.at("running") == false);
    const std::string error(view.at("error").as_string());
    CHECK(error.find("stopped") != std::string::npos);
    CHECK(error.find("locked") != std::string::npos);  // SQLite's "database is locked"
    CHECK(view.at("lagEvents").to_number<std::int64_t>() >= 1);
    CHECK(s.get("/health").status == 503);

    // Once the lock is gone, an online rebuild brings the view back: ready again, the product visible.
    tx.reset();
    lock.reset();
    CHECK(s.call("POST", "/api/v1/admin/views/orders/rebuild", s.root).status == 200);
    const HttpResponse recovered = s.get("/health/ready");
    INFO("ready after rebuild: " << recovered.body);
    CHECK(recovered.status == 200);
    CHECK(s.call("GET", "/api/products/" + std::to_string(before), s.root).status == 200);
    CHECK(s.call("GET", "/api/products?limit=100", s.root).body.find("Locked out") != std::string::npos);
    s.process().signal(SIGTERM);
    CHECK(s.process().wait(15s) == std::optional<int>(0));
}

TEST_CASE("the request id stored with a command's events is the client's X-Request-ID, or the generated one") {
    OrdersServer s;
    const std::int64_t product = s.product("RID-1", 10.0, 50);
    const std::string sent = "client-req:42.a_b-7";
    const HttpResponse created =
        s.create_order(s.root, OrdersServer::order_body("0244555001", {{product, 2}}), {{"X-Request-ID", sent}});
    REQUIRE(created.status == 201);
    CHECK(created.header("X-Request-ID") == sent);
    const std::int64_t id = created.json().at("order").at("id").as_int64();
    const std::string order_path = "/api/orders/" + std::to_string(id);

    // A malformed id is replaced; the replacement is what the answer and the stored event carry.
    const std::string malformed = "not a valid id; has spaces";
    const HttpResponse confirmed = s.request(
        "PATCH", order_path + "/status",
        {{"Authorization", "Bearer " + s.root}, {"Content-Type", "application/json"}, {"X-Request-ID", malformed}},
        json::serialize(json::object{{"status", "confirmed"}}));
    REQUIRE(confirmed.status == 200);
    const std::string replaced = confirmed.header("X-Request-ID").value_or("");
    CHECK(replaced != malformed);
    CHECK(is_uuid(replaced));

    // None sent: a generated one, stored as well.
    const HttpResponse preparing = s.status(id, "preparing");
    REQUIRE(preparing.status == 200);
    const std::string generated = preparing.header("X-Request-ID").value_or("");
    CHECK(is_uuid(generated));
    CHECK(generated != replaced);

    const HttpResponse history = s.call("GET", order_path + "/history", s.root);
    REQUIRE(history.status == 200);
    const json::value history_json = history.json();
    const json::array& events = history_json.at("history").as_array();
    INFO("history: " << history.body);
    REQUIRE(events.size() == 3);
    CHECK(events[0].at("type") == "OrderCreated");
    CHECK(events[0].at("requestId").as_string() == sent);
    CHECK(events[1].at("requestId").as_string() == replaced);
    CHECK(events[2].at("requestId").as_string() == generated);

    // The log itself: every event the three commands wrote carries its command's request id.
    std::vector<std::string> order_stream;
    for (const engine::RecordedEvent& e : log_events(s.data_dir())) {
        if (e.stream == "order-" + std::to_string(id)) order_stream.push_back(e.metadata.request_id);
        CHECK(e.metadata.request_id != malformed);
    }
    CHECK(order_stream == std::vector<std::string>{sent, replaced, generated});
    s.process().signal(SIGTERM);
    CHECK(s.process().wait(15s) == std::optional<int>(0));
}

TEST_CASE("codd verify next to a running server whose log holds events reports them") {
    OrdersServer s;
    const std::int64_t product = s.product("VER-1", 7.5, 100);
    for (int i = 0; i < 3; ++i) s.order("024477700" + std::to_string(i), {{product, 1}});
    const std::uint64_t head = head_of(s.get("/health/ready"));
    REQUIRE(head > 0);

    const json::object report = verify(s.data_dir());
    CHECK(report.at("events").to_number<std::uint64_t>() == head);
    const std::string hash(report.at("head_hash").as_string());
    CHECK(hash.size() == 64);
    CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);

    // More commands: a second verify sees them, with another head hash; the server is unaffected.
    const json::object order = s.order("0244777010", {{product, 2}});
    const std::uint64_t later = head_of(s.get("/health/ready"));
    REQUIRE(later > head);
    const json::object again = verify(s.data_dir());
    CHECK(again.at("events").to_number<std::uint64_t>() == later);
    CHECK(again.at("head_hash") != report.at("head_hash"));
    CHECK(s.call("GET", "/api/orders/" + std::to_string(id_of(order)), s.root).status == 200);
    s.process().signal(SIGTERM);
    CHECK(s.process().wait(15s) == std::optional<int>(0));
    CHECK(verify(s.data_dir()).at("events").to_number<std::uint64_t>() == later);
}

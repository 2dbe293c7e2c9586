// The request deadline on a real HttpServer (in process, a router of its own, not the production one): a
// handler that never answers costs the client one CODD_REQUEST_TIMEOUT_MS, then a 503; the connection stays
// usable, and the handler's late answer goes nowhere.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <vector>

#include <boost/json.hpp>

#include "api/http_server.hpp"
#include "tests/functional/http_client.hpp"

namespace {

using namespace codd;
using namespace std::chrono_literals;

constexpr auto kTimeout = 300ms;

struct Parked {
    std::mutex mu;
    std::vector<api::Responder> responders;
};

api::Dispatcher make_dispatcher(Parked& parked) {
    api::Router router;
    router.add("GET", "/never", [&parked](api::Request, api::Responder respond) {
        std::lock_guard lk(parked.mu);
        parked.responders.push_back(std::move(respond));
    });
    router.add("GET", "/fast", [](const api::Request&) { return api::Response::json(200, boost::json::object{}); });
    return api::Dispatcher(std::move(router), std::make_shared<engine::SequentialIdGenerator>());
}

}  // namespace

TEST_CASE("a handler that never answers: 503 after the deadline, the connection lives on, the late answer is dropped") {
    Parked parked;
    api::ServerOptions options;
    options.request_timeout = kTimeout;
    api::HttpServer server(options, make_dispatcher(parked));
    server.start();
    test::HttpClient client("127.0.0.1", server.local_address().port, 5s);

    const auto started = std::chrono::steady_clock::now();
    const test::HttpResponse r = client.get("/never");
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(r.status == 503);
    CHECK(r.header("Content-Type") == "application/problem+json");
    CHECK(r.json().at("message") == "The request took too long.");
    CHECK(took >= kTimeout);
    CHECK(took < kTimeout + 2s);
    CHECK(r.keep_alive);

    // The same connection serves the next request, fast ones are never touched by the deadline, and the
    // parked handler's answer, when it finally comes, reaches nobody.
    CHECK(client.get("/fast").status == 200);
    {
        std::lock_guard lk(parked.mu);
        REQUIRE(parked.responders.size() == 1);
        parked.responders[0](api::Response::json(200, boost::json::object{{"late", true}}));
    }
    const test::HttpResponse after = client.get("/fast");
    CHECK(after.status == 200);
    CHECK(after.body == "{}");
    CHECK(client.connections_opened() == 1);
    CHECK(server.stop(1s) == 0);
}

TEST_CASE("stop() does not wait past the deadline for a handler that never answers") {
    Parked parked;
    api::ServerOptions options;
    options.request_timeout = kTimeout;
    api::HttpServer server(options, make_dispatcher(parked));
    server.start();
    test::HttpClient client("127.0.0.1", server.local_address().port, 5s);
    CHECK(client.get("/never").status == 503);
    client.close();
    const auto started = std::chrono::steady_clock::now();
    CHECK(server.stop(10s) == 0);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
}

#include <doctest/doctest.h>

#include <stdexcept>

#include "api/router.hpp"

using namespace codd::api;

namespace {

SyncHandler answer(int status) {
    return [status](const Request&) {
        Response r;
        r.status = status;
        return r;
    };
}

int call(const Router::Match& m) {
    REQUIRE(m.handler != nullptr);
    int status = 0;
    (*m.handler)(Request{}, Responder([&status](Response r) { status = r.status; }, "id", "GET", "/"));
    return status;
}

}  // namespace

TEST_CASE("exact paths, params and specificity") {
    Router router;
    router.add("GET", "/", answer(1));
    router.add("GET", "/api/v1/orders", answer(2));
    router.add("GET", "/api/v1/orders/:id", answer(3));
    router.add("GET", "/api/v1/orders/stats", answer(4));
    router.add("PATCH", "/api/v1/orders/:id/status", answer(5));
    router.add("GET", "/api/v1/:collection/:id/history", answer(6));

    CHECK(call(router.match("GET", "/")) == 1);
    CHECK(call(router.match("GET", "/api/v1/orders")) == 2);
    CHECK(call(router.match("GET", "/api/v1/orders/")) == 2);  // one trailing slash is ignored

    const Router::Match order = router.match("GET", "/api/v1/orders/1001");
    CHECK(call(order) == 3);
    REQUIRE(order.params.size() == 1);
    CHECK(order.params[0] == std::pair<std::string, std::string>{"id", "1001"});

    CHECK(call(router.match("GET", "/api/v1/orders/stats")) == 4);  // literal beats parameter

    const Router::Match history = router.match("GET", "/api/v1/orders/7/history");
    CHECK(call(history) == 6);
    CHECK(history.params == PathParams{{"collection", "orders"}, {"id", "7"}});

    const Router::Match decoded = router.match("GET", "/api/v1/orders/a%20b");
    CHECK(decoded.params == PathParams{{"id", "a b"}});
}

TEST_CASE("404 and 405") {
    Router router;
    router.add("GET", "/health/live", answer(200));
    router.add("POST", "/api/v1/orders", answer(201));
    router.add("GET", "/api/v1/orders", answer(200));

    CHECK(router.match("GET", "/nope").outcome == Router::Outcome::not_found);
    CHECK(router.match("GET", "/health/live/extra").outcome == Router::Outcome::not_found);
    CHECK(router.match("GET", "health/live").outcome == Router::Outcome::not_found);
    CHECK(router.match("GET", "//health/live").outcome == Router::Outcome::not_found);
    CHECK(router.match("GET", "/health//live").outcome == Router::Outcome::not_found);
    CHECK(router.match("GET", "").outcome == Router::Outcome::not_found);

    const Router::Match wrong = router.match("DELETE", "/api/v1/orders");
    CHECK(wrong.outcome == Router::Outcome::method_not_allowed);
    CHECK(wrong.allowed == std::vector<std::string>{"POST", "GET", "HEAD"});
    CHECK(wrong.handler == nullptr);
}

TEST_CASE("HEAD falls back to GET") {
    Router router;
    router.add("GET", "/health/live", answer(200));
    CHECK(router.match("HEAD", "/health/live").outcome == Router::Outcome::found);
}

TEST_CASE("malformed percent escapes in parameters do not match") {
    Router router;
    router.add("GET", "/orders/:id", answer(200));
    CHECK(router.match("GET", "/orders/%zz").outcome == Router::Outcome::not_found);
    CHECK(router.match("GET", "/orders/%2").outcome == Router::Outcome::not_found);
    CHECK(router.match("GET", "/orders/%00").outcome == Router::Outcome::not_found);
}

TEST_CASE("bad route definitions are refused") {
    Router router;
    router.add("GET", "/a/:id", answer(200));
    CHECK_THROWS_AS(router.add("GET", "/a/:id", answer(200)), std::invalid_argument);
    CHECK_THROWS_AS(router.add("GET", "no-slash", answer(200)), std::invalid_argument);
    CHECK_THROWS_AS(router.add("GET", "/a/:", answer(200)), std::invalid_argument);
    CHECK_THROWS_AS(router.add("GET", "/a//b", answer(200)), std::invalid_argument);
    CHECK_THROWS_AS(router.add("", "/b", answer(200)), std::invalid_argument);
}

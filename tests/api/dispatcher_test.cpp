#include <doctest/doctest.h>

#include <stdexcept>

#include <boost/json/parse.hpp>

#include "api/dispatcher.hpp"

using namespace codd::api;

namespace {

Dispatcher make_dispatcher() {
    Router router;
    router.add("GET", "/ok/:name", [](const Request& r) {
        Response res;
        res.body = std::string(r.param("name").value_or("?")) + "|" + r.request_id;
        return res;
    });
    router.add("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("secret internals"); });
    return Dispatcher(std::move(router), std::make_shared<codd::engine::SequentialIdGenerator>());
}

Request request(std::string method, std::string path, std::vector<Header> headers = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.target = r.path;
    r.headers = std::move(headers);
    return r;
}

}  // namespace

TEST_CASE("dispatch sets the request id and params") {
    const Dispatcher d = make_dispatcher();
    Request r = request("GET", "/ok/abc", {{"x-request-id", "client-7"}});
    CHECK(d.dispatch(r).body == "abc|client-7");

    Request generated = request("GET", "/ok/x", {{"X-Request-ID", "not valid"}});
    const Response res = d.dispatch(generated);
    CHECK(generated.request_id.size() == 36);
    CHECK(res.body == "x|" + generated.request_id);
}

TEST_CASE("unknown routes and wrong methods are problems") {
    const Dispatcher d = make_dispatcher();
    Request missing = request("GET", "/missing");
    const Response not_found = d.dispatch(missing);
    CHECK(not_found.status == 404);
    CHECK(not_found.content_type == "application/problem+json");

    Request wrong = request("POST", "/boom");
    const Response not_allowed = d.dispatch(wrong);
    CHECK(not_allowed.status == 405);
    REQUIRE(not_allowed.headers.size() == 1);
    CHECK(not_allowed.headers[0].name == "Allow");
    CHECK(not_allowed.headers[0].value == "GET, HEAD");
}

TEST_CASE("a throwing handler is a 500 that reveals nothing") {
    const Dispatcher d = make_dispatcher();
    Request r = request("GET", "/boom");
    const Response res = d.dispatch(r);
    CHECK(res.status == 500);
    CHECK(res.body.find("secret internals") == std::string::npos);
    CHECK(boost::json::parse(res.body).at("detail").as_string().find(r.request_id) != std::string::npos);
}

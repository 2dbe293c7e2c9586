// The edge through the Dispatcher, on plain structs: what a request meets before and after its handler.
#include <doctest/doctest.h>

#include <algorithm>

#include "api/dispatcher.hpp"
#include "api/edge.hpp"

using namespace codd::api;
using namespace std::chrono_literals;

namespace {

struct Answer {
    Response response;
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
        const auto& hs = response.headers;
        const auto it = std::find_if(hs.begin(), hs.end(), [&](const Header& h) { return h.name == name; });
        if (it == hs.end()) return std::nullopt;
        return it->value;
    }
};

struct Fixture {
    std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
    std::shared_ptr<RateLimiter> limiter;
    std::shared_ptr<HttpMetrics> metrics = std::make_shared<HttpMetrics>();
    std::optional<Dispatcher> dispatcher;

    explicit Fixture(bool production = false, RateLimits limits = {}) {
        limiter = std::make_shared<RateLimiter>(limits, [this] { return now; });
        Router router;
        router.add("GET", "/api/v1/orders/:id", [](const Request& r) {
            Response res;
            res.body = r.client_ip;
            return res;
        });
        router.add("POST", "/api/v1/orders", [](const Request&) { return Response{201, "application/json", "{}", {}}; });
        router.add("POST", "/api/auth/login", [](const Request&) { return Response{}; });
        router.add("GET", "/api/public/forms/:id", [](const Request&) { return Response{}; });
        router.add("GET", "/health/live", [](const Request&) { return Response{}; });
        router.add("GET", "/own-cache", [](const Request&) {
            Response r;
            r.headers.push_back({"X-Frame-Options", "DENY"});
            return r;
        });
        EdgeOptions options{production, TrustedProxies::parse("127.0.0.1"),
                            CorsPolicy({"http://localhost:5173", {"https://partner.com"}}), limiter, metrics};
        dispatcher.emplace(std::move(router), std::make_shared<codd::engine::SequentialIdGenerator>(),
                           std::make_shared<const Edge>(std::move(options)));
    }

    Answer send(std::string method, std::string target, std::vector<Header> headers = {}, std::string body = {},
                std::string peer = "203.0.113.5") {
        Request r;
        r.method = std::move(method);
        r.target = target;
        r.path = target.substr(0, target.find('?'));
        r.headers = std::move(headers);
        r.body = std::move(body);
        r.peer = std::move(peer);
        Answer a;
        bool answered = false;
        dispatcher->dispatch(std::move(r), Responder(
                                               [&](Response res) {
                                                   a.response = std::move(res);
                                                   answered = true;
                                               },
                                               "id", "GET", "/"));
        REQUIRE(answered);
        return a;
    }
};

RateLimits only(RateTier tier, RateLimit limit) {
    RateLimits l{};
    l[static_cast<std::size_t>(tier)] = limit;
    return l;
}

}  // namespace

TEST_CASE("rate_tier") {
    CHECK(rate_tier("POST", "/api/auth/login") == RateTier::auth);
    CHECK(rate_tier("POST", "/api/v1/auth/login/") == RateTier::auth);
    CHECK(rate_tier("POST", "/api/auth/register") == RateTier::auth);
    CHECK(rate_tier("POST", "/api/v1/auth/refresh") == RateTier::auth);
    CHECK(rate_tier("POST", "/api/auth/logout") == RateTier::writes);
    CHECK(rate_tier("GET", "/api/public/forms/x") == RateTier::public_api);
    CHECK(rate_tier("POST", "/api/v1/public/forms/x/submit") == RateTier::public_api);
    CHECK(rate_tier("POST", "/api/webhooks/import") == RateTier::webhooks);
    CHECK(rate_tier("DELETE", "/api/orders/7") == RateTier::writes);
    CHECK_FALSE(rate_tier("GET", "/api/orders").has_value());
    CHECK_FALSE(rate_tier("OPTIONS", "/api/orders").has_value());
    CHECK_FALSE(rate_tier("POST", "/health").has_value());
    CHECK_FALSE(rate_tier("POST", "/apix").has_value());
}

TEST_CASE("is_json_media_type") {
    CHECK(is_json_media_type("application/json"));
    CHECK(is_json_media_type("Application/JSON; charset=utf-8"));
    CHECK(is_json_media_type("application/merge-patch+json"));
    CHECK_FALSE(is_json_media_type("text/plain"));
    CHECK_FALSE(is_json_media_type("application/x-www-form-urlencoded"));
    CHECK_FALSE(is_json_media_type("application/jsonp"));
    CHECK_FALSE(is_json_media_type("text/json+html"));
    CHECK_FALSE(is_json_media_type(""));
}

TEST_CASE("security headers by scope, a handler's own header wins, no HSTS in development") {
    Fixture f;
    const Answer api = f.send("GET", "/api/v1/orders/1");
    CHECK(api.header("X-Content-Type-Options") == "nosniff");
    CHECK(api.header("X-Frame-Options") == "SAMEORIGIN");
    CHECK(api.header("Referrer-Policy") == "no-referrer");
    CHECK(api.header("Cross-Origin-Resource-Policy") == "same-origin");
    CHECK(api.header("Content-Security-Policy") == std::string(kApiCsp));
    CHECK(api.header("Cache-Control") == "no-store");
    CHECK_FALSE(api.header("Strict-Transport-Security"));

    const Answer pub = f.send("GET", "/api/public/forms/1");
    CHECK_FALSE(pub.header("X-Frame-Options"));
    CHECK(pub.header("Cross-Origin-Resource-Policy") == "cross-origin");
    CHECK(pub.header("Content-Security-Policy") == std::string(kPublicCsp));
    CHECK(pub.header("X-Content-Type-Options") == "nosniff");

    const Answer ops = f.send("GET", "/health/live");
    CHECK(ops.header("X-Content-Type-Options") == "nosniff");
    CHECK_FALSE(ops.header("Cache-Control"));

    const Answer own = f.send("GET", "/own-cache");
    CHECK(own.header("X-Frame-Options") == "DENY");

    // 404s and 405s pass the edge too.
    CHECK(f.send("GET", "/api/nothing").header("X-Content-Type-Options") == "nosniff");
    CHECK(f.send("DELETE", "/api/public/forms/1").header("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("production: HSTS everywhere, HTTPS redirect only through a trusted proxy") {
    Fixture f(true);
    CHECK(f.send("GET", "/api/v1/orders/1").header("Strict-Transport-Security") == std::string(kHsts));
    const Answer redirected = f.send("GET", "/api/v1/orders/1?x=1",
                                     {{"Host", "codd.example"}, {"X-Forwarded-Proto", "http"}}, {}, "127.0.0.1");
    CHECK(redirected.response.status == 308);
    CHECK(redirected.header("Location") == "https://codd.example/api/v1/orders/1?x=1");
    CHECK(redirected.header("Strict-Transport-Security"));
    // Not through our proxy: the header is the client's word and changes nothing.
    CHECK(f.send("GET", "/api/v1/orders/1", {{"Host", "codd.example"}, {"X-Forwarded-Proto", "http"}})
              .response.status == 200);
    // Already HTTPS, probes exempt, a bad Host refused.
    CHECK(f.send("GET", "/api/v1/orders/1", {{"Host", "h"}, {"X-Forwarded-Proto", "https"}}, {}, "127.0.0.1")
              .response.status == 200);
    CHECK(f.send("GET", "/health/live", {{"Host", "h"}, {"X-Forwarded-Proto", "http"}}, {}, "127.0.0.1")
              .response.status == 200);
    CHECK(f.send("GET", "/api/v1/orders/1", {{"Host", "evil.com/x?"}, {"X-Forwarded-Proto", "http"}}, {}, "127.0.0.1")
              .response.status == 400);
    CHECK(f.send("GET", "/api/v1/orders/1", {{"Host", "codd.example:80"}, {"X-Forwarded-Proto", "HTTP, https"}}, {},
                 "127.0.0.1")
              .header("Location") == "https://codd.example/api/v1/orders/1");
}

TEST_CASE("the client address comes from X-Forwarded-For only behind a trusted proxy") {
    Fixture f;
    CHECK(f.send("GET", "/api/v1/orders/1", {{"X-Forwarded-For", "1.1.1.1"}}).response.body == "203.0.113.5");
    CHECK(f.send("GET", "/api/v1/orders/1", {{"X-Forwarded-For", "6.6.6.6, 198.51.100.4"}}, {}, "127.0.0.1")
              .response.body == "198.51.100.4");
}

TEST_CASE("rate limits: 429 problem with Retry-After, per client IP, per tier") {
    Fixture f(false, only(RateTier::auth, RateLimit{2, 60s}));
    CHECK(f.send("POST", "/api/auth/login", {{"Content-Type", "application/json"}}, "{}").response.status == 200);
    CHECK(f.send("POST", "/api/auth/login", {{"Content-Type", "application/json"}}, "{}").response.status == 200);
    const Answer refused = f.send("POST", "/api/auth/login", {{"Content-Type", "application/json"}}, "{}");
    CHECK(refused.response.status == 429);
    CHECK(refused.response.content_type == "application/problem+json");
    CHECK(refused.header("Retry-After") == "30");
    CHECK(refused.header("X-Content-Type-Options") == "nosniff");
    // Another client, and other tiers, are unaffected.
    CHECK(f.send("POST", "/api/auth/login", {}, {}, "203.0.113.6").response.status == 200);
    CHECK(f.send("POST", "/api/v1/orders", {{"Content-Type", "application/json"}}, "{}").response.status == 201);
    // Behind the trusted proxy each forwarded client has its own bucket.
    CHECK(f.send("POST", "/api/auth/login", {{"X-Forwarded-For", "198.51.100.1"}}, {}, "127.0.0.1").response.status ==
          200);
    f.now += 30s;
    CHECK(f.send("POST", "/api/auth/login").response.status == 200);
}

TEST_CASE("415 for a body that is not JSON, after routing") {
    Fixture f;
    CHECK(f.send("POST", "/api/v1/orders", {{"Content-Type", "text/plain"}}, "{}").response.status == 415);
    CHECK(f.send("POST", "/api/v1/orders", {}, "{}").response.status == 415);
    CHECK(f.send("POST", "/api/v1/orders", {{"Content-Type", "application/json; charset=utf-8"}}, "{}")
              .response.status == 201);
    CHECK(f.send("POST", "/api/v1/orders").response.status == 201);  // no body, nothing to type
    CHECK(f.send("POST", "/api/v1/nothing", {{"Content-Type", "text/plain"}}, "x").response.status == 404);
}

TEST_CASE("CORS through the dispatcher: preflight answered before routing, headers on every answer") {
    Fixture f;
    const Answer pre = f.send("OPTIONS", "/api/public/forms/1",
                              {{"Origin", "https://partner.com"}, {"Access-Control-Request-Method", "POST"}});
    CHECK(pre.response.status == 204);
    CHECK(pre.header("Access-Control-Allow-Origin") == "https://partner.com");
    const Answer evil = f.send("OPTIONS", "/api/public/forms/1",
                               {{"Origin", "https://partner.com.evil.com"}, {"Access-Control-Request-Method", "POST"}});
    CHECK(evil.response.status == 403);
    CHECK_FALSE(evil.header("Access-Control-Allow-Origin"));
    const Answer actual = f.send("GET", "/api/v1/orders/1", {{"Origin", "http://localhost:5173"}});
    CHECK(actual.header("Access-Control-Allow-Origin") == "http://localhost:5173");
    CHECK(actual.header("Access-Control-Allow-Credentials") == "true");
    const Answer refused = f.send("GET", "/api/v1/orders/1", {{"Origin", "https://partner.com"}});
    CHECK(refused.response.status == 200);  // the browser, not the server, withholds the answer
    CHECK_FALSE(refused.header("Access-Control-Allow-Origin"));
    CHECK(refused.header("Vary") == "Origin");
}

TEST_CASE("metrics are labelled by route pattern, unrouted requests by 'unmatched'") {
    Fixture f;
    f.send("GET", "/api/v1/orders/1");
    f.send("GET", "/api/v1/orders/2");
    f.send("GET", "/api/v1/secret-probe-123");
    std::string text;
    f.metrics->render(text);
    CHECK(text.find("codd_http_requests_total{route=\"/api/v1/orders/:id\",method=\"GET\",status=\"200\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("codd_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("secret-probe") == std::string::npos);
}

TEST_CASE("finish_rejected gives the server's own answers the edge's headers") {
    Fixture f(true);
    Request head;
    head.method = "POST";
    head.path = "/api/v1/orders";
    head.headers = {{"Origin", "http://localhost:5173"}};
    const Response r = f.dispatcher->finish_rejected(std::move(head), Response{413, "application/problem+json", "{}", {}});
    const Answer a{r};
    CHECK(a.header("X-Content-Type-Options") == "nosniff");
    CHECK(a.header("Strict-Transport-Security"));
    CHECK(a.header("Access-Control-Allow-Origin") == "http://localhost:5173");
}

TEST_CASE("the cost of the edge per request (reported, not asserted)") {
    const auto run = [](const Dispatcher& d) {
        constexpr int kOps = 200'000;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kOps; ++i) {
            Request r;
            r.method = "GET";
            r.target = r.path = "/health/live";
            r.peer = "127.0.0.1";
            r.request_id = "id";
            d.dispatch(std::move(r), Responder([](Response) {}, "id", "GET", "/health/live"));
        }
        return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kOps;
    };
    const auto router = [] {
        Router r;
        r.add("GET", "/health/live", [](const Request&) { return Response{200, "application/json", "{}", {}}; });
        return r;
    };
    const auto ids = std::make_shared<codd::engine::SequentialIdGenerator>();
    const Dispatcher bare(router(), ids);
    EdgeOptions options{true, TrustedProxies::parse("10.0.0.0/8"), CorsPolicy({"http://localhost:5173", {}}),
                        std::make_shared<RateLimiter>(RateLimits{}), std::make_shared<HttpMetrics>()};
    const Dispatcher edged(router(), ids, std::make_shared<const Edge>(std::move(options)));
    const double without = run(bare);
    const double with = run(edged);
    MESSAGE("dispatch without edge: " << without << " ns, with edge: " << with << " ns, edge cost: " << with - without
                                      << " ns per request");
    CHECK(with > 0);
}

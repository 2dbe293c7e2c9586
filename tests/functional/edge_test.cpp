// Black-box tests of the edge (DESIGN §7) on the real `codd serve`: rate limits, CORS, security headers,
// HTTPS redirect and HSTS behind a trusted proxy, /metrics, body size and content type.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <csignal>
#include <memory>
#include <sstream>

#include "tests/functional/http_client.hpp"
#include "tests/functional/process.hpp"

namespace {

using namespace codd::test;
using namespace std::chrono_literals;
using Env = std::map<std::string, std::optional<std::string>>;

constexpr const char* kHost = "127.0.0.1";
constexpr const char* kJson = "application/json";

class Server {
  public:
    explicit Server(Env env = {}) {
        env.try_emplace("CODD_LISTEN", "127.0.0.1:0");
        env.try_emplace("CODD_DATA_DIR", (dir_.path() / "data").string());
        const auto cwd = dir_.path() / "cwd";
        std::filesystem::create_directories(cwd);
        process_ = std::make_unique<Process>(ProcessOptions{{CODD_BINARY, "serve"}, env, cwd}, dir_.path());
        port_ = process_->wait_for_port(20s);
    }
    ~Server() {
        process_->signal(SIGTERM);
        (void)process_->wait(15s);
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string log() const { return process_->stdout_text(); }

  private:
    TempDir dir_;
    std::unique_ptr<Process> process_;
    std::uint16_t port_ = 0;
};

Env production(Env env = {}) {
    env.emplace("CODD_ENV", "production");
    env.emplace("CODD_JWT_SECRET", "3f9c2a7be18d4c6f0a5b9e2d7c1f8a3b");
    env.emplace("CODD_JWT_REFRESH_SECRET", "c8e1f47a2d9b3e6f5a0c7d2b9e4f1a86");
    return env;
}

void check_problem(const HttpResponse& res, int status) {
    CHECK(res.status == status);
    CHECK(res.header("Content-Type") == "application/problem+json");
    CHECK(res.json().as_object().at("status").as_int64() == status);
}

}  // namespace

TEST_CASE("a client over its rate limit gets 429 with Retry-After, other clients' tiers are unaffected") {
    Server server({{"CODD_RATE_LIMIT_WRITES", "3/1m"}, {"CODD_RATE_LIMIT_AUTH", "2/15m"}});
    HttpClient client(kHost, server.port());
    for (int i = 0; i < 3; ++i) CHECK(client.request("DELETE", "/api/v1/anything").status == 404);
    const HttpResponse limited = client.request("DELETE", "/api/v1/anything");
    check_problem(limited, 429);
    REQUIRE(limited.header("Retry-After"));
    const int retry = std::stoi(*limited.header("Retry-After"));
    CHECK(retry >= 1);
    CHECK(retry <= 20);  // one token every 60 s / 3
    CHECK(limited.header("X-Content-Type-Options") == "nosniff");
    // Reads are never limited by the writes tier.
    CHECK(client.get("/health/live").status == 200);

    // Login: the third attempt within 15 minutes from one address is refused before any password check.
    const std::string body = R"({"email":"nobody@example.com","password":"wrong-password-1"})";
    for (int i = 0; i < 2; ++i)
        CHECK(client.request("POST", "/api/auth/login", {{"Content-Type", kJson}}, body).status != 429);
    const HttpResponse login = client.request("POST", "/api/v1/auth/login", {{"Content-Type", kJson}}, body);
    check_problem(login, 429);
    CHECK(std::stoi(*login.header("Retry-After")) > 60);
}

TEST_CASE("CORS: the admin origin and the public allowlist by exact match, look-alikes refused") {
    Server server({{"CODD_ADMIN_ORIGIN", "http://localhost:5173"}, {"CODD_PUBLIC_ORIGINS", "https://partner.com"}});
    HttpClient client(kHost, server.port());

    const HttpResponse admin = client.get("/api/auth/me", {{"Origin", "http://localhost:5173"}});
    CHECK(admin.status == 401);
    CHECK(admin.header("Access-Control-Allow-Origin") == "http://localhost:5173");
    CHECK(admin.header("Access-Control-Allow-Credentials") == "true");
    CHECK(admin.header("Access-Control-Expose-Headers")->find("X-Request-ID") != std::string::npos);
    CHECK(admin.header("Vary") == "Origin");

    const HttpResponse stranger = client.get("/api/auth/me", {{"Origin", "https://partner.com"}});
    CHECK_FALSE(stranger.header("Access-Control-Allow-Origin"));

    const HttpResponse pre = client.request("OPTIONS", "/api/public/forms/abc",
                                            {{"Origin", "https://partner.com"},
                                             {"Access-Control-Request-Method", "POST"},
                                             {"Access-Control-Request-Headers", "content-type"}});
    CHECK(pre.status == 204);
    CHECK(pre.header("Access-Control-Allow-Origin") == "https://partner.com");
    CHECK(pre.header("Access-Control-Allow-Headers")->find("Content-Type") != std::string::npos);
    CHECK(pre.header("Access-Control-Max-Age").has_value());
    CHECK_FALSE(pre.header("Access-Control-Allow-Credentials"));

    for (const char* evil : {"https://partner.com.evil.com", "https://evilpartner.com", "http://partner.com"}) {
        INFO(evil);
        const HttpResponse refused = client.request("OPTIONS", "/api/public/forms/abc",
                                                    {{"Origin", evil}, {"Access-Control-Request-Method", "POST"}});
        check_problem(refused, 403);
        CHECK_FALSE(refused.header("Access-Control-Allow-Origin"));
    }
    const HttpResponse admin_pre = client.request(
        "OPTIONS", "/api/v1/orders", {{"Origin", "http://localhost:5173"}, {"Access-Control-Request-Method", "PATCH"}});
    CHECK(admin_pre.status == 204);
    CHECK(admin_pre.header("Access-Control-Allow-Methods")->find("PATCH") != std::string::npos);
}

TEST_CASE("security headers on every response, HSTS only in production") {
    Server server;
    HttpClient client(kHost, server.port());
    const HttpResponse api = client.get("/api/auth/me");
    CHECK(api.header("X-Content-Type-Options") == "nosniff");
    CHECK(api.header("X-Frame-Options") == "SAMEORIGIN");
    CHECK(api.header("Referrer-Policy") == "no-referrer");
    CHECK(api.header("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'");
    CHECK(api.header("Cache-Control") == "no-store");
    CHECK(api.header("Cross-Origin-Resource-Policy") == "same-origin");
    CHECK_FALSE(api.header("Strict-Transport-Security"));
    const HttpResponse pub = client.get("/api/public/forms/x");
    CHECK(pub.header("X-Content-Type-Options") == "nosniff");
    CHECK_FALSE(pub.header("X-Frame-Options"));
    CHECK(client.get("/health/live").header("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("production behind a trusted proxy: plain HTTP is redirected to HTTPS, responses carry HSTS") {
    Server server(production({{"CODD_TRUSTED_PROXIES", "127.0.0.1"}}));
    HttpClient client(kHost, server.port());
    const HttpResponse redirect =
        client.get("/api/auth/me?x=1",
                   {{"Host", "codd.example"}, {"X-Forwarded-Proto", "http"}, {"X-Forwarded-For", "198.51.100.7"}});
    CHECK(redirect.status == 308);
    CHECK(redirect.header("Location") == "https://codd.example/api/auth/me?x=1");
    const HttpResponse secure = client.get("/api/auth/me", {{"Host", "codd.example"}, {"X-Forwarded-Proto", "https"}});
    CHECK(secure.status == 401);
    CHECK(secure.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
    // Probes talk to the server directly and are never redirected.
    const HttpResponse probe = client.get("/health/live", {{"Host", "codd.example"}, {"X-Forwarded-Proto", "http"}});
    CHECK(probe.status == 200);
    CHECK(probe.header("Strict-Transport-Security").has_value());
}

TEST_CASE("production without trusted proxies ignores X-Forwarded-Proto") {
    Server server(production());
    HttpClient client(kHost, server.port());
    CHECK(client.get("/api/auth/me", {{"X-Forwarded-Proto", "http"}}).status == 401);
}

TEST_CASE("/metrics counts requests by route pattern and shows the event log") {
    Server server;
    HttpClient client(kHost, server.port());
    for (int i = 0; i < 3; ++i) CHECK(client.get("/health/live").status == 200);
    CHECK(client.get("/api/v1/no-such-resource/123-secret-path").status == 404);
    const HttpResponse m = client.get("/metrics");
    CHECK(m.status == 200);
    CHECK(m.header("Content-Type")->starts_with("text/plain; version=0.0.4"));
    const std::string& text = m.body;
    CHECK(text.find("codd_http_requests_total{route=\"/health/live\",method=\"GET\",status=\"200\"} 3\n") !=
          std::string::npos);
    CHECK(text.find("codd_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("123-secret-path") == std::string::npos);
    CHECK(text.find("codd_http_request_duration_seconds_bucket{route=\"/health/live\",le=\"+Inf\"} 3\n") !=
          std::string::npos);
    CHECK(text.find("codd_event_log_events_total ") != std::string::npos);
    CHECK(text.find("codd_event_log_head_position ") != std::string::npos);
    CHECK(text.find("codd_rate_limited_total{tier=\"auth\"} 0") != std::string::npos);
}

TEST_CASE("bodies: 413 over the limit and 415 when not JSON, with the edge's headers") {
    Server server(Env{{"CODD_MAX_BODY_BYTES", "256"}});
    HttpClient client(kHost, server.port());
    const HttpResponse big =
        client.request("POST", "/api/auth/login", {{"Content-Type", kJson}, {"Origin", "http://localhost:5173"}},
                       std::string(4096, 'x'));
    check_problem(big, 413);
    CHECK(big.header("X-Content-Type-Options") == "nosniff");
    CHECK(big.header("Access-Control-Allow-Origin") == "http://localhost:5173");

    const HttpResponse text = client.request("POST", "/api/auth/login", {{"Content-Type", "text/plain"}},
                                             R"({"email":"a@b.c","password":"x"})");
    check_problem(text, 415);
    const HttpResponse form =
        client.request("POST", "/api/auth/login", {{"Content-Type", "application/x-www-form-urlencoded"}}, "email=a");
    check_problem(form, 415);
}

TEST_CASE("the access log carries no query strings, Authorization or bodies") {
    Server server;
    HttpClient client(kHost, server.port());
    (void)client.get("/api/auth/me?token=query-secret-123", {{"Authorization", "Bearer header-secret-456"}});
    (void)client.request("POST", "/api/auth/login", {{"Content-Type", kJson}},
                         R"({"email":"victim@example.com","password":"body-secret-789"})");
    (void)client.get("/health/live");  // the log line of the request before is written by now
    const std::string log = server.log();
    CHECK(log.find("\"path\":\"/api/auth/me\"") != std::string::npos);
    for (const char* secret : {"query-secret-123", "header-secret-456", "body-secret-789", "victim@example.com"}) {
        INFO(secret);
        CHECK(log.find(secret) == std::string::npos);
    }
}

#include <doctest/doctest.h>

#include "api/config.hpp"

using namespace codd::api;
using namespace std::chrono_literals;

namespace {

const RateLimit& tier(const Config& c, RateTier t) {
    return c.edge.rate_limits[static_cast<std::size_t>(t)];
}

}  // namespace

TEST_CASE("edge defaults: generous in development, strict in production") {
    const Config dev = load_config({}, std::nullopt);
    CHECK(tier(dev, RateTier::auth).requests >= 100);
    CHECK(dev.edge.cors.admin_origin == "http://localhost:5173");
    CHECK(dev.edge.trusted_proxies.empty());

    const Config prod = load_config({{"CODD_ENV", "production"},
                                     {"CODD_JWT_SECRET", "3f9c2a7be18d4c6f0a5b9e2d7c1f8a3b"},
                                     {"CODD_JWT_REFRESH_SECRET", "c8e1f47a2d9b3e6f5a0c7d2b9e4f1a86"}},
                                    std::nullopt);
    CHECK(tier(prod, RateTier::auth) == RateLimit{5, 15min});
    CHECK(tier(prod, RateTier::writes) == RateLimit{600, 1min});
    CHECK(tier(prod, RateTier::public_api) == RateLimit{50, 15min});
    CHECK_FALSE(prod.edge.cors.admin_origin.has_value());
}

TEST_CASE("edge variables are read") {
    const Config c = load_config({{"CODD_RATE_LIMIT_AUTH", "3/1m"},
                                  {"CODD_RATE_LIMIT_WRITES", "off"},
                                  {"CODD_RATE_LIMIT_PUBLIC", "10/15m"},
                                  {"CODD_RATE_LIMIT_WEBHOOKS", "100/1h"},
                                  {"CODD_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"},
                                  {"CODD_ADMIN_ORIGIN", "https://Admin.Example.com/"},
                                  {"CODD_PUBLIC_ORIGINS", "https://partner.com, https://shop.example:8443"},
                                  {"CODD_TLS_CERT", ""}},
                                 std::nullopt);
    CHECK(tier(c, RateTier::auth) == RateLimit{3, 60s});
    CHECK(tier(c, RateTier::writes).off());
    CHECK(tier(c, RateTier::public_api) == RateLimit{10, 900s});
    CHECK(tier(c, RateTier::webhooks) == RateLimit{100, 3600s});
    CHECK_FALSE(c.edge.trusted_proxies.empty());
    CHECK(c.edge.cors.admin_origin == "https://admin.example.com");
    CHECK(c.edge.cors.public_origins == std::vector<std::string>{"https://partner.com", "https://shop.example:8443"});
    // An empty admin origin turns the development default off.
    CHECK_FALSE(load_config({{"CODD_ADMIN_ORIGIN", ""}}, std::nullopt).edge.cors.admin_origin.has_value());
}

TEST_CASE("bad edge values stop the start with a message naming the variable") {
    const auto fails = [](const char* key, const char* value) {
        INFO(key << "=" << value);
        CHECK_THROWS_WITH_AS(load_config({{key, value}}, std::nullopt), doctest::Contains(key), ConfigError);
    };
    fails("CODD_RATE_LIMIT_AUTH", "5 per minute");
    fails("CODD_RATE_LIMIT_WRITES", "0/1m");
    fails("CODD_TRUSTED_PROXIES", "10.0.0.0/33");
    fails("CODD_TRUSTED_PROXIES", "proxy.internal");
    fails("CODD_ADMIN_ORIGIN", "*");
    fails("CODD_PUBLIC_ORIGINS", "https://partner.com, https://*.partner.com");
    fails("CODD_PUBLIC_ORIGINS", "https://partner.com/embed");
    fails("CODD_TLS_CERT", "/etc/codd/cert.pem");  // one without the other is refused, never silently ignored
    fails("CODD_TLS_KEY", "/etc/codd/key.pem");
}

TEST_CASE("native TLS takes both PEM paths or neither") {
    CHECK_FALSE(load_config({}, std::nullopt).edge.tls.has_value());
    CHECK_FALSE(load_config({{"CODD_TLS_CERT", ""}, {"CODD_TLS_KEY", ""}}, std::nullopt).edge.tls.has_value());
    const Config c = load_config({{"CODD_TLS_CERT", "/etc/codd/fullchain.pem"}, {"CODD_TLS_KEY", "/etc/codd/key.pem"}},
                                 std::nullopt);
    REQUIRE(c.edge.tls.has_value());
    CHECK(c.edge.tls->cert_chain == "/etc/codd/fullchain.pem");
    CHECK(c.edge.tls->private_key == "/etc/codd/key.pem");
    // The files are read when the server starts, not here: configuration stays a pure function.
    CHECK_THROWS_WITH_AS(load_config({{"CODD_TLS_CERT", "/c.pem"}, {"CODD_TLS_KEY", ""}}, std::nullopt),
                         doctest::Contains("CODD_TLS_KEY"), ConfigError);
}

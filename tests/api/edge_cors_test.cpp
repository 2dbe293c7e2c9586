#include <doctest/doctest.h>

#include <algorithm>

#include "api/edge_cors.hpp"

using namespace codd::api;

namespace {

std::optional<std::string> header(const std::vector<Header>& headers, std::string_view name) {
    const auto it = std::find_if(headers.begin(), headers.end(), [&](const Header& h) { return h.name == name; });
    if (it == headers.end()) return std::nullopt;
    return it->value;
}

CorsPolicy policy() {
    return CorsPolicy({"http://localhost:5173", {"https://partner.com", "https://shop.example:8443"}});
}

}  // namespace

TEST_CASE("canonical_origin") {
    CHECK(canonical_origin("https://Partner.COM") == "https://partner.com");
    CHECK(canonical_origin("https://partner.com/") == "https://partner.com");
    CHECK(canonical_origin("https://partner.com:443") == "https://partner.com");
    CHECK(canonical_origin("http://partner.com:80") == "http://partner.com");
    CHECK(canonical_origin("http://localhost:5173") == "http://localhost:5173");
    CHECK(canonical_origin("http://[::1]:8080") == "http://[::1]:8080");
    for (const char* bad : {"", "partner.com", "*", "https://*.partner.com", "https://partner.com/path", "null",
                            "ftp://partner.com", "https://user@partner.com", "https://partner.com:0",
                            "https://partner.com:99999", "https://", "https://partner.com:", "https://.partner.com"}) {
        INFO(bad);
        CHECK_FALSE(canonical_origin(bad).has_value());
    }
}

TEST_CASE("the admin origin may call the API with credentials, nobody else") {
    const CorsPolicy p = policy();
    const CorsGrant admin = p.grant("/api/v1/orders", "http://localhost:5173");
    CHECK(admin.scoped);
    CHECK(admin.allowed);
    CHECK(admin.credentials);
    CHECK_FALSE(p.grant("/api/orders", "https://partner.com").allowed);  // public-list origins only for /public
    CHECK_FALSE(p.grant("/api/orders", "http://localhost:5174").allowed);
    CHECK_FALSE(p.grant("/api/orders", "http://localhost:5173.evil.com").allowed);
    CHECK_FALSE(p.grant("/api/orders", "http://LOCALHOST:5173").allowed);  // browsers send lower case; exact match
    CHECK(p.grant("/api/orders", std::nullopt).scoped);
    CHECK_FALSE(p.grant("/health", "http://localhost:5173").scoped);  // ops endpoints are not for browsers
}

TEST_CASE("the public API allows its exact-match list, never a look-alike, never credentials") {
    const CorsPolicy p = policy();
    const CorsGrant partner = p.grant("/api/public/forms/abc", "https://partner.com");
    CHECK(partner.allowed);
    CHECK(partner.public_api);
    CHECK_FALSE(partner.credentials);
    CHECK(p.grant("/api/v1/public/forms/abc", "https://shop.example:8443").allowed);
    CHECK(p.grant("/api/public/forms/abc", "http://localhost:5173").allowed);  // the admin UI previews forms
    CHECK_FALSE(p.grant("/api/public/forms/abc", "http://localhost:5173").credentials);
    for (const char* evil : {"https://partner.com.evil.com", "https://evilpartner.com", "https://evil.com/https://partner.com",
                             "http://partner.com", "https://partner.com:8443", "https://shop.example",
                             "https://partner.co", "null", "https://sub.partner.com"}) {
        INFO(evil);
        CHECK_FALSE(p.grant("/api/public/forms/abc", std::string_view(evil)).allowed);
    }
    CHECK_FALSE(p.grant("/api/publicity", "https://partner.com").allowed);  // not the public section
}

TEST_CASE("preflight responses") {
    const CorsPolicy p = policy();
    Request pre;
    pre.method = "OPTIONS";
    pre.headers = {{"Origin", "https://partner.com"}, {"Access-Control-Request-Method", "POST"}};
    CHECK(CorsPolicy::is_preflight(pre));
    Request plain_options = pre;
    plain_options.headers.pop_back();
    CHECK_FALSE(CorsPolicy::is_preflight(plain_options));

    const Response ok = CorsPolicy::preflight_response(p.grant("/api/public/forms/x", "https://partner.com"),
                                                       "https://partner.com");
    CHECK(ok.status == 204);
    CHECK(header(ok.headers, "Access-Control-Allow-Origin") == "https://partner.com");
    CHECK(header(ok.headers, "Access-Control-Allow-Methods") == std::string(kCorsPublicAllowMethods));
    CHECK(header(ok.headers, "Access-Control-Allow-Headers") == std::string(kCorsAllowHeaders));
    CHECK(header(ok.headers, "Access-Control-Max-Age") == "600");
    CHECK(header(ok.headers, "Vary") == "Origin");
    CHECK_FALSE(header(ok.headers, "Access-Control-Allow-Credentials"));

    const Response admin = CorsPolicy::preflight_response(p.grant("/api/orders", "http://localhost:5173"),
                                                          "http://localhost:5173");
    CHECK(header(admin.headers, "Access-Control-Allow-Credentials") == "true");
    CHECK(header(admin.headers, "Access-Control-Allow-Methods") == std::string(kCorsAllowMethods));

    const Response refused = CorsPolicy::preflight_response(
        p.grant("/api/public/forms/x", "https://partner.com.evil.com"), "https://partner.com.evil.com");
    CHECK(refused.status == 403);
    CHECK(refused.content_type == "application/problem+json");
    CHECK_FALSE(header(refused.headers, "Access-Control-Allow-Origin"));
}

TEST_CASE("actual responses: echo an allowed origin, expose our headers, always vary by Origin") {
    const CorsPolicy p = policy();
    std::vector<Header> allowed;
    CorsPolicy::add_headers(p.grant("/api/orders", "http://localhost:5173"), "http://localhost:5173", allowed);
    CHECK(header(allowed, "Access-Control-Allow-Origin") == "http://localhost:5173");
    CHECK(header(allowed, "Access-Control-Allow-Credentials") == "true");
    CHECK(header(allowed, "Access-Control-Expose-Headers")->find("X-Codd-Position") != std::string::npos);
    CHECK(header(allowed, "Vary") == "Origin");

    std::vector<Header> refused;
    CorsPolicy::add_headers(p.grant("/api/orders", "https://evil.com"), "", refused);
    CHECK(refused.size() == 1);
    CHECK(header(refused, "Vary") == "Origin");

    std::vector<Header> ops;
    CorsPolicy::add_headers(p.grant("/health", "http://localhost:5173"), "", ops);
    CHECK(ops.empty());
}

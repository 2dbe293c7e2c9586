#pragma once
// Configuration of the HTTP edge from the environment: rate limits per tier, trusted proxies, CORS origins
// and native TLS. Part of load_config() (config.hpp); kept apart so the edge's rules read in one place.

#include <filesystem>

#include "api/dotenv.hpp"
#include "api/edge_client_ip.hpp"
#include "api/edge_cors.hpp"
#include "api/edge_rate_limiter.hpp"

namespace codd::api {

struct EdgeConfig {
    RateLimits rate_limits;
    TrustedProxies trusted_proxies;
    CorsConfig cors;
    std::filesystem::path tls_cert;  // both set: the server speaks HTTPS itself
    std::filesystem::path tls_key;

    [[nodiscard]] bool native_tls() const { return !tls_cert.empty(); }
};

// Production: login 5 per 15 minutes, writes 600 per minute, public 50 per 15 minutes, webhooks 120 per
// minute, per client IP. Development: limits generous enough never to get in a developer's way.
[[nodiscard]] RateLimits default_rate_limits(bool production);

// Reads CODD_RATE_LIMIT_{AUTH,WRITES,PUBLIC,WEBHOOKS}, CODD_TRUSTED_PROXIES, CODD_ADMIN_ORIGIN,
// CODD_PUBLIC_ORIGINS, CODD_TLS_CERT and CODD_TLS_KEY. Throws std::invalid_argument with a message that
// names the variable.
[[nodiscard]] EdgeConfig load_edge_config(const EnvMap& env, bool production);

}  // namespace codd::api

#pragma once
// Configuration of the HTTP edge from the environment: rate limits per tier, trusted proxies and CORS
// origins. Part of load_config() (config.hpp); kept apart so the edge's rules read in one place.

#include <filesystem>
#include <optional>

#include "api/dotenv.hpp"
#include "api/edge_client_ip.hpp"
#include "api/edge_cors.hpp"
#include "api/edge_rate_limiter.hpp"

namespace codd::api {

// Native TLS: PEM files, read once when the server starts (a bad file stops the start there, not here).
struct TlsFiles {
    std::filesystem::path cert_chain;  // the certificate first, then the intermediates
    std::filesystem::path private_key;
};

struct EdgeConfig {
    RateLimits rate_limits;
    TrustedProxies trusted_proxies;
    CorsConfig cors;
    std::optional<TlsFiles> tls;  // set: the server speaks HTTPS only
};

// Production: login 5 per 15 minutes, writes 600 per minute, public 50 per 15 minutes, webhooks 120 per
// minute, per client IP. Development: limits generous enough never to get in a developer's way.
[[nodiscard]] RateLimits default_rate_limits(bool production);

// Reads CODD_RATE_LIMIT_{AUTH,WRITES,PUBLIC,WEBHOOKS}, CODD_TRUSTED_PROXIES, CODD_ADMIN_ORIGIN,
// CODD_PUBLIC_ORIGINS, CODD_TLS_CERT and CODD_TLS_KEY (both or neither: one alone is refused rather than
// ignored, so nobody believes they are serving HTTPS when they are not). Throws std::invalid_argument with a
// message that names the variable.
[[nodiscard]] EdgeConfig load_edge_config(const EnvMap& env, bool production);

}  // namespace codd::api

#include "api/edge_config.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace codd::api {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTrustedProxies = "CODD_TRUSTED_PROXIES";
constexpr std::string_view kAdminOrigin = "CODD_ADMIN_ORIGIN";
constexpr std::string_view kPublicOrigins = "CODD_PUBLIC_ORIGINS";
constexpr std::string_view kTlsCert = "CODD_TLS_CERT";
constexpr std::string_view kTlsKey = "CODD_TLS_KEY";
// The Vite dev server of the admin UI.
constexpr std::string_view kDevelopmentAdminOrigin = "http://localhost:5173";

std::optional<std::string_view> lookup(const EnvMap& env, std::string_view key) {
    const auto it = env.find(key);
    if (it == env.end()) return std::nullopt;
    return std::string_view(it->second);
}

std::string origin_or_throw(std::string_view key, std::string_view value) {
    auto origin = canonical_origin(value);
    if (!origin) {
        throw std::invalid_argument(
            fmt::format("{}: '{}' is not an origin (scheme://host[:port], http or https, no path or wildcard)", key,
                        value));
    }
    return std::move(*origin);
}

std::vector<std::string> origins_or_throw(std::string_view key, std::string_view csv) {
    std::vector<std::string> out;
    while (!csv.empty()) {
        const std::size_t comma = csv.find(',');
        std::string_view item = csv.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.push_back(origin_or_throw(key, item));
        if (comma == std::string_view::npos) break;
        csv.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

RateLimits default_rate_limits(bool production) {
    RateLimits l;
    const auto set = [&l](RateTier t, std::uint32_t n, std::chrono::seconds w) {
        l[static_cast<std::size_t>(t)] = RateLimit{n, w};
    };
    if (production) {
        set(RateTier::auth, 5, 15min);
        set(RateTier::writes, 600, 1min);
        set(RateTier::public_api, 50, 15min);
        set(RateTier::webhooks, 120, 1min);
    } else {
        set(RateTier::auth, 1000, 1min);
        set(RateTier::writes, 60'000, 1min);
        set(RateTier::public_api, 10'000, 15min);
        set(RateTier::webhooks, 60'000, 1min);
    }
    return l;
}

EdgeConfig load_edge_config(const EnvMap& env, bool production) {
    EdgeConfig c;
    c.rate_limits = default_rate_limits(production);
    for (std::size_t t = 0; t < kRateTierCount; ++t) {
        std::string key = "CODD_RATE_LIMIT_";
        for (const char ch : to_string(static_cast<RateTier>(t))) key.push_back(static_cast<char>(std::toupper(ch)));
        const auto v = lookup(env, key);
        if (!v) continue;
        const auto limit = parse_rate_limit(*v);
        if (!limit) {
            throw std::invalid_argument(fmt::format(
                "{} must be N/window (e.g. 5/15m, 600/1m; units s, m, h, d; at most 7 days) or 'off', got '{}'", key,
                *v));
        }
        c.rate_limits[t] = *limit;
    }
    if (const auto v = lookup(env, kTrustedProxies)) {
        try {
            c.trusted_proxies = TrustedProxies::parse(*v);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(fmt::format("{}: {}", kTrustedProxies, e.what()));
        }
    }
    if (const auto v = lookup(env, kAdminOrigin)) {
        if (!v->empty()) c.cors.admin_origin = origin_or_throw(kAdminOrigin, *v);
    } else if (!production) {
        c.cors.admin_origin = std::string(kDevelopmentAdminOrigin);
    }
    if (const auto v = lookup(env, kPublicOrigins)) c.cors.public_origins = origins_or_throw(kPublicOrigins, *v);
    const std::string_view cert = lookup(env, kTlsCert).value_or("");
    const std::string_view key = lookup(env, kTlsKey).value_or("");
    if (cert.empty() != key.empty()) {
        throw std::invalid_argument(fmt::format("{} is set but {} is not: native TLS needs both (PEM paths) or neither",
                                                cert.empty() ? kTlsKey : kTlsCert, cert.empty() ? kTlsCert : kTlsKey));
    }
    if (!cert.empty()) c.tls = TlsFiles{std::filesystem::path(cert), std::filesystem::path(key)};
    return c;
}

}  // namespace codd::api

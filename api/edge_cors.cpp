#include "api/edge_cors.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "api/edge_paths.hpp"
#include "api/problem.hpp"

namespace codd::api {
namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// Hosts are DNS names or IPv4 literals here, or an IPv6 literal in brackets.
bool valid_host(std::string_view host) {
    if (host.empty()) return false;
    if (host.front() == '[') {
        return host.size() > 2 && host.back() == ']' &&
               std::all_of(host.begin() + 1, host.end() - 1,
                           [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.'; });
    }
    return std::all_of(host.begin(), host.end(), is_host_char) && host.front() != '.' && host.back() != '.';
}

}  // namespace

std::optional<std::string> canonical_origin(std::string_view text) {
    std::string s;
    s.reserve(text.size());
    for (const char c : text) s.push_back(lower(c));
    if (s.ends_with('/')) s.pop_back();
    std::string_view v = s;
    std::string_view scheme;
    if (v.starts_with("https://")) {
        scheme = "https";
    } else if (v.starts_with("http://")) {
        scheme = "http";
    } else {
        return std::nullopt;
    }
    v.remove_prefix(scheme.size() + 3);
    std::string_view host = v;
    std::string_view port;
    const std::size_t colon = v.rfind(':');
    if (colon != std::string_view::npos && (v.front() != '[' || colon > v.find(']'))) {
        host = v.substr(0, colon);
        port = v.substr(colon + 1);
        if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
                return c >= '0' && c <= '9';
            })) {
            return std::nullopt;
        }
        const int n = std::stoi(std::string(port));
        if (n < 1 || n > 65535) return std::nullopt;
        if ((scheme == "http" && n == 80) || (scheme == "https" && n == 443)) port = {};
        while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    }
    if (!valid_host(host)) return std::nullopt;
    std::string out = fmt::format("{}://{}", scheme, host);
    if (!port.empty()) out += fmt::format(":{}", port);
    return out;
}

CorsGrant CorsPolicy::grant(std::string_view path, std::optional<std::string_view> origin) const {
    CorsGrant g;
    if (!api_relative(path)) return g;
    g.scoped = true;
    g.public_api = is_public_api(path);
    if (!origin) return g;
    const bool admin = config_.admin_origin && *origin == *config_.admin_origin;
    if (g.public_api) {
        // The admin UI previews the embedded forms, so its origin is on the public list too; no credentials:
        // the public API has no use for them.
        g.allowed = admin || std::find(config_.public_origins.begin(), config_.public_origins.end(), *origin) !=
                                 config_.public_origins.end();
    } else {
        g.allowed = admin;
        g.credentials = admin;
    }
    return g;
}

bool CorsPolicy::is_preflight(const Request& request) {
    return request.method == "OPTIONS" && request.header("Origin") &&
           request.header("Access-Control-Request-Method");
}

Response CorsPolicy::preflight_response(const CorsGrant& grant, std::string_view origin) {
    if (!grant.allowed) {
        Response r = problem_response({ProblemType::forbidden,
                                       fmt::format("The origin {} may not call this API from a browser.", origin),
                                       "This site is not allowed to use the API.",
                                       {}});
        r.headers.push_back({"Vary", "Origin"});
        return r;
    }
    Response r;
    r.status = 204;
    r.headers.push_back({"Access-Control-Allow-Origin", std::string(origin)});
    r.headers.push_back(
        {"Access-Control-Allow-Methods", std::string(grant.public_api ? kCorsPublicAllowMethods : kCorsAllowMethods)});
    r.headers.push_back({"Access-Control-Allow-Headers", std::string(kCorsAllowHeaders)});
    r.headers.push_back({"Access-Control-Max-Age", std::string(kCorsMaxAge)});
    if (grant.credentials) r.headers.push_back({"Access-Control-Allow-Credentials", "true"});
    r.headers.push_back({"Vary", "Origin"});
    return r;
}

void CorsPolicy::add_headers(const CorsGrant& grant, std::string_view origin, std::vector<Header>& headers) {
    if (!grant.scoped) return;
    headers.push_back({"Vary", "Origin"});
    if (!grant.allowed) return;
    headers.push_back({"Access-Control-Allow-Origin", std::string(origin)});
    if (grant.credentials) headers.push_back({"Access-Control-Allow-Credentials", "true"});
    headers.push_back({"Access-Control-Expose-Headers", std::string(kCorsExposeHeaders)});
}

}  // namespace codd::api

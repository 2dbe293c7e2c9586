#include "api/edge_headers.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "api/edge_paths.hpp"
#include "api/problem.hpp"

namespace codd::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

bool has(const std::vector<Header>& headers, std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](const Header& h) { return iequals(h.name, name); });
}

void add_default(std::vector<Header>& headers, std::string_view name, std::string_view value) {
    if (!has(headers, name)) headers.push_back({std::string(name), std::string(value)});
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// host[:port] of a DNS name, IPv4 or bracketed IPv6 literal: nothing that could change the redirect's meaning.
bool valid_authority(std::string_view host) {
    return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == ':' || c == '[' || c == ']';
    });
}

}  // namespace

HeaderScope header_scope(std::string_view path) {
    if (!api_relative(path)) return HeaderScope::other;
    return is_public_api(path) ? HeaderScope::public_api : HeaderScope::api;
}

void add_security_headers(HeaderScope scope, bool hsts, std::vector<Header>& headers) {
    const bool is_public = scope == HeaderScope::public_api;
    headers.reserve(headers.size() + 8);
    add_default(headers, "X-Content-Type-Options", "nosniff");
    add_default(headers, "Referrer-Policy", "no-referrer");
    if (is_public) {
        add_default(headers, "Cross-Origin-Resource-Policy", "cross-origin");
        add_default(headers, "Content-Security-Policy", kPublicCsp);
    } else {
        add_default(headers, "X-Frame-Options", "SAMEORIGIN");
        add_default(headers, "Cross-Origin-Resource-Policy", "same-origin");
        add_default(headers, "Content-Security-Policy", kApiCsp);
    }
    if (scope != HeaderScope::other) add_default(headers, "Cache-Control", "no-store");
    if (hsts) add_default(headers, "Strict-Transport-Security", kHsts);
}

std::optional<Response> https_redirect(std::string_view forwarded_proto, std::optional<std::string_view> host,
                                       std::string_view target, std::string_view path) {
    const std::string_view first = trim(forwarded_proto.substr(0, forwarded_proto.find(',')));
    if (!iequals(first, "http")) return std::nullopt;
    if (path == "/metrics" || path == "/health" || path.starts_with("/health/")) return std::nullopt;
    if (!host || !valid_authority(*host) || !target.starts_with('/')) {
        return problem_response({ProblemType::bad_request,
                                 "A plain-HTTP request needs a valid Host header and an origin-form target to be "
                                 "redirected to HTTPS.",
                                 "Please use HTTPS.",
                                 {}});
    }
    std::string_view authority = *host;
    if (authority.ends_with(":80")) authority.remove_suffix(3);  // the plain-HTTP port means nothing for HTTPS
    Response r;
    r.status = 308;
    r.content_type = "text/plain";
    const std::string location = fmt::format("https://{}{}", authority, target);
    r.body = fmt::format("Redirecting to {}\n", location);
    r.headers.push_back({"Location", location});
    return r;
}

}  // namespace codd::api

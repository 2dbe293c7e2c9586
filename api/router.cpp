#include "api/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace codd::api {
namespace {

// Splits "/a/b/c" into {"a","b","c"}; "/" into {}. False for paths that do not start with '/' or have
// empty segments ("//", "/a//b").
bool split_path(std::string_view path, std::vector<std::string_view>& out) {
    if (path.empty() || path.front() != '/') return false;
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    path.remove_prefix(1);
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        const std::string_view seg = path.substr(0, slash);
        if (seg.empty()) return false;
        out.push_back(seg);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
        if (path.empty()) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int hi = hex_value(in[i + 1]);
        const int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return true;
}

void Router::add(std::string method, std::string_view pattern, Handler handler) {
    std::vector<std::string_view> parts;
    if (method.empty() || !handler || !split_path(pattern, parts)) {
        throw std::invalid_argument("invalid route: " + method + " " + std::string(pattern));
    }
    Route route{std::move(method), std::string(pattern), {}, std::move(handler)};
    for (const std::string_view p : parts) {
        const bool param = p.front() == ':';
        if (param && p.size() == 1) throw std::invalid_argument("unnamed parameter in route " + route.pattern);
        route.segments.push_back({std::string(param ? p.substr(1) : p), param});
    }
    for (const Route& r : routes_) {
        if (r.method == route.method && r.pattern == route.pattern) {
            throw std::invalid_argument("duplicate route: " + route.method + " " + route.pattern);
        }
    }
    routes_.push_back(std::move(route));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match result;
    std::vector<std::string_view> parts;
    if (!split_path(path, parts)) return result;

    const Route* best = nullptr;
    const Route* best_get = nullptr;  // for HEAD without its own route
    std::vector<bool> best_shape;
    std::vector<bool> best_get_shape;
    std::vector<bool> shape;  // per segment: literal?
    std::string decoded;
    for (const Route& r : routes_) {
        if (r.segments.size() != parts.size()) continue;
        shape.clear();
        bool ok = true;
        for (std::size_t i = 0; ok && i < parts.size(); ++i) {
            const Segment& s = r.segments[i];
            ok = s.param ? percent_decode(parts[i], decoded) : s.text == parts[i];
            shape.push_back(!s.param);
        }
        if (!ok) continue;
        if (std::find(result.allowed.begin(), result.allowed.end(), r.method) == result.allowed.end()) {
            result.allowed.push_back(r.method);
        }
        // vector<bool> compares lexicographically: a literal segment (true) further left is more specific.
        if (r.method == method && (best == nullptr || shape > best_shape)) {
            best = &r;
            best_shape = shape;
        }
        if (r.method == "GET" && (best_get == nullptr || shape > best_get_shape)) {
            best_get = &r;
            best_get_shape = shape;
        }
    }
    if (best == nullptr && method == "HEAD") best = best_get;
    if (best == nullptr) {
        const bool has_head = std::find(result.allowed.begin(), result.allowed.end(), "HEAD") != result.allowed.end();
        if (best_get != nullptr && !has_head) result.allowed.push_back("HEAD");
        result.outcome = result.allowed.empty() ? Outcome::not_found : Outcome::method_not_allowed;
        return result;
    }
    result.outcome = Outcome::found;
    result.handler = &best->handler;
    result.pattern = best->pattern;
    result.allowed.clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!best->segments[i].param) continue;
        percent_decode(parts[i], decoded);
        result.params.emplace_back(best->segments[i].text, decoded);
    }
    return result;
}

std::vector<Router::RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const Route& r : routes_) out.push_back({r.method, r.pattern});
    return out;
}

}  // namespace codd::api

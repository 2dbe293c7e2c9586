#include "api/http_types.hpp"

#include <boost/json/value.hpp>

#include "engine/json_codec.hpp"

namespace codd::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const Header& h : headers) {
        if (iequals(h.name, name)) return std::string_view(h.value);
    }
    return std::nullopt;
}

std::optional<std::string_view> Request::param(std::string_view name) const {
    for (const auto& [k, v] : params) {
        if (k == name) return std::string_view(v);
    }
    return std::nullopt;
}

Response Response::json(int status, const boost::json::value& body) {
    Response r;
    r.status = status;
    r.body = engine::json::serialize(body);
    return r;
}

}  // namespace codd::api

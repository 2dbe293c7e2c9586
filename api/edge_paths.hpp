#pragma once
// Which part of the API a path belongs to, for the edge's policies. `/api/...` and `/api/v1/...` are the
// same API (DESIGN §7), so both are reduced to the path below the version: "/api/v1/public/forms/7" and
// "/api/public/forms/7" are both "/public/forms/7".

#include <optional>
#include <string_view>

namespace codd::api {

// The path below `/api` or `/api/v1` ("" for the root itself); nullopt outside the API.
[[nodiscard]] inline std::optional<std::string_view> api_relative(std::string_view path) {
    if (path != "/api" && !path.starts_with("/api/")) return std::nullopt;
    path.remove_prefix(4);
    if (path == "/v1" || path.starts_with("/v1/")) path.remove_prefix(3);
    return path;
}

// Whether an API-relative path is `section` or below it: in_section("/public/x", "/public") but not
// in_section("/publicity", "/public").
[[nodiscard]] inline bool in_section(std::string_view relative, std::string_view section) {
    return relative.starts_with(section) && (relative.size() == section.size() || relative[section.size()] == '/');
}

[[nodiscard]] inline bool is_public_api(std::string_view path) {
    const auto rel = api_relative(path);
    return rel && in_section(*rel, "/public");
}

}  // namespace codd::api

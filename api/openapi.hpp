#pragma once
// GET /api/v1/openapi.json (and /api/openapi.json): the OpenAPI 3.1 document of the REST API. The document is
// schemas/openapi.json, compiled into the binary (openapi_document.cpp.in); the server adds to each /api/v1
// operation its access rule from the RBAC table (`x-codd-access`), so the rule is written in one place only.

#include <optional>
#include <string>
#include <string_view>

namespace codd::api {

class Router;
struct Identity;

// schemas/openapi.json as it was when the binary was built.
[[nodiscard]] std::string_view openapi_source();

// The document as served: the source with `x-codd-access` on every operation the RBAC table has an entry for.
// Throws std::runtime_error if the source is not a JSON object with `paths` (a build from a broken file).
[[nodiscard]] std::string openapi_document();

void add_openapi_route(Router& router, const Identity& identity);

// The RBAC table's path (rbac.hpp) of a document path: "/api/v1/orders/{id}/status" is "/orders/:id/status";
// nullopt for a path outside /api/v1 (the ops endpoints).
[[nodiscard]] std::optional<std::string> rbac_path(std::string_view document_path);

}  // namespace codd::api

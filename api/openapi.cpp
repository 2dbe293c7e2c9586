#include "api/openapi.hpp"

#include <memory>
#include <optional>
#include <string>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/identity.hpp"
#include "api/rbac.hpp"
#include "api/router.hpp"
#include "engine/json_codec.hpp"

namespace codd::api {
namespace {

constexpr std::string_view kDocumentRoot = "/api/v1";

// "/api/v1/orders/{id}/status" -> "/orders/:id/status", the RBAC table's form; nullopt outside /api/v1.
std::optional<std::string> table_path(std::string_view path) {
    if (!path.starts_with(kDocumentRoot) || (path.size() > kDocumentRoot.size() && path[kDocumentRoot.size()] != '/')) {
        return std::nullopt;
    }
    path.remove_prefix(kDocumentRoot.size());
    std::string out;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '{') {
            out += ':';
        } else if (path[i] != '}') {
            out += path[i];
        }
    }
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return out;
}

}  // namespace

std::string openapi_document() {
    boost::json::value doc = boost::json::parse(openapi_source());
    auto* paths = doc.is_object() ? doc.get_object().if_contains("paths") : nullptr;
    if (paths == nullptr || !paths->is_object()) throw std::runtime_error("schemas/openapi.json has no paths");
    for (auto& [path, item] : paths->get_object()) {
        const auto rel = table_path(path);
        if (!rel || !item.is_object()) continue;
        for (auto& [method, operation] : item.get_object()) {
            const EndpointAccess* entry = find_endpoint(upper(method), *rel);
            if (entry != nullptr && operation.is_object()) {
                operation.get_object()["x-codd-access"] = describe_access(entry->access);
            }
        }
    }
    return engine::json::serialize(doc);
}

void add_openapi_route(Router& router, const Identity& identity) {
    auto body = std::make_shared<const std::string>(openapi_document());
    add_guarded(router, identity, "GET", "/openapi.json",
                [body](Request, Responder respond, std::optional<Authenticated>) {
                    Response r;
                    r.body = *body;
                    respond(std::move(r));
                });
}

}  // namespace codd::api

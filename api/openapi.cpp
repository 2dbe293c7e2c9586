#include "api/openapi.hpp"

#include <memory>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/identity.hpp"
#include "api/rbac.hpp"
#include "api/router.hpp"
#include "engine/json_codec.hpp"
#include "engine/text.hpp"

namespace codd::api {

std::optional<std::string> rbac_path(std::string_view path) {
    constexpr std::string_view kRoot = "/api/v1";
    if (!path.starts_with(kRoot) || (path.size() > kRoot.size() && path[kRoot.size()] != '/')) return std::nullopt;
    path.remove_prefix(kRoot.size());
    std::string out;
    for (const char c : path) {
        if (c == '{') {
            out += ':';
        } else if (c != '}') {
            out += c;
        }
    }
    return out;
}

std::string openapi_document() {
    boost::json::value doc = boost::json::parse(openapi_source());
    auto* paths = doc.is_object() ? doc.get_object().if_contains("paths") : nullptr;
    if (paths == nullptr || !paths->is_object()) throw std::runtime_error("schemas/openapi.json has no paths");
    for (auto& [path, item] : paths->get_object()) {
        const auto rel = rbac_path(path);
        if (!rel || !item.is_object()) continue;
        for (auto& [method, operation] : item.get_object()) {
            const EndpointAccess* entry = find_endpoint(engine::text::upper_ascii(method), *rel);
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

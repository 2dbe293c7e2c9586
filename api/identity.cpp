#include "api/identity.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/logging.hpp"
#include "api/problem.hpp"
#include "api/user_json.hpp"
#include "engine/json_codec.hpp"
#include "engine/text.hpp"

namespace codd::api {
namespace {

Response unauthorized(std::string_view message) {
    Response r = problem_response({ProblemType::unauthorized, std::string(message), std::string(message), {}});
    r.headers.push_back({"WWW-Authenticate", "Bearer"});
    return r;
}

std::optional<engine::users::UserId> id_param(const Request& r) {
    const auto v = r.param("id");
    if (!v) return std::nullopt;
    engine::users::UserId id = 0;
    const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), id);
    if (ec != std::errc{} || ptr != v->data() + v->size()) return std::nullopt;
    return id;
}

}  // namespace

std::shared_ptr<const std::string> PermissionsJsonCache::get(const engine::users::UserService& users,
                                                             engine::users::Role role) const {
    const std::int64_t version = users.permissions_version();
    Entry& e = entries_.at(static_cast<std::size_t>(role));
    {
        std::lock_guard lk(mu_);
        if (e.version == version) return e.json;
    }
    auto json = std::make_shared<const std::string>(
        engine::json::serialize(role_permissions_json(effective_permissions(users.permissions(), role))));
    std::lock_guard lk(mu_);
    e.version = version;
    e.json = json;
    return json;
}

Response ok_json(const boost::json::value& body, int status) {
    return Response::json(status, body);
}

Response forbidden(std::string message, std::string required) {
    Response r = problem_response({ProblemType::forbidden, message, message, {}});
    if (!required.empty()) {
        boost::json::value body = boost::json::parse(r.body);
        body.as_object()["required"] = required;
        r.body = engine::json::serialize(body);
    }
    return r;
}

std::variant<Authenticated, Response> authenticate(const Request& request, const Identity& identity) {
    const auto header = request.header("Authorization");
    // The scheme is case-insensitive (RFC 9110 §11.1): "bearer <token>" is a token too.
    constexpr std::string_view kBearer = "bearer ";
    if (!header || header->size() <= kBearer.size() ||
        engine::text::lower_ascii(header->substr(0, kBearer.size())) != kBearer) {
        return unauthorized("No token provided");
    }
    auto verified = identity.tokens.verify_access(header->substr(kBearer.size()));
    if (const auto* e = std::get_if<TokenError>(&verified)) return unauthorized(describe(*e));
    TokenClaims& claims = std::get<TokenClaims>(verified);
    auto user = identity.users.find(claims.user_id);
    if (!user || !user->is_active) return unauthorized("Invalid token");
    if (!claims.family.empty()) {
        // Logout, reuse detection, deactivation and password reset end the session's access tokens too.
        const auto session = identity.users.session(claims.family);
        if (!session || session->revoked || session->user_id != user->id) return unauthorized("Invalid token");
    }
    return Authenticated{std::move(*user), std::move(claims)};
}

engine::EventMetadata event_metadata(const Request& request, const engine::users::User* actor) {
    engine::EventMetadata meta;
    meta.request_id = request.request_id;
    if (actor != nullptr) {
        meta.actor = {std::to_string(actor->id), engine::users::to_string(actor->role)};
    } else {
        meta.actor = {"public", ""};
    }
    return meta;
}

void run_on_workers(const Identity& identity, const Responder& respond, std::function<void()> job) {
    identity.workers.post([respond, job = std::move(job)] {
        try {
            job();
        } catch (...) {
            respond.fail(std::current_exception());
        }
    });
}

void add_guarded(Router& router, const Identity& identity, std::string_view method, std::string_view path,
                 GuardedHandler handler) {
    const EndpointAccess* entry = find_endpoint(method, path);
    if (entry == nullptr) {
        throw std::logic_error(fmt::format("{} {} has no entry in the RBAC table", method, path));
    }
    auto shared = std::make_shared<GuardedHandler>(std::move(handler));
    const Access access = entry->access;
    for (const std::string_view root : kApiRoots) {
        router.add(std::string(method), std::string(root) + std::string(path),
                   [&identity, access, shared](Request request, Responder respond) {
                       if (access.rule == AccessRule::public_access) {
                           return (*shared)(std::move(request), std::move(respond), std::nullopt);
                       }
                       auto auth = authenticate(request, identity);
                       if (auto* r = std::get_if<Response>(&auth)) return respond(std::move(*r));
                       Authenticated& caller = std::get<Authenticated>(auth);
                       // Only the permission rule reads the matrix: a snapshot, which an update replaces
                       // rather than changes.
                       static const engine::users::PermissionMatrix kNone;
                       const auto matrix = access.rule == AccessRule::permission
                                               ? identity.users.permissions_snapshot()
                                               : std::shared_ptr<const engine::users::PermissionMatrix>{};
                       const AccessDecision d =
                           decide_access(access, caller.caller(), matrix ? *matrix : kNone, id_param(request));
                       if (!d.allowed) {
                           return respond(forbidden("You do not have permission to perform this action", d.required));
                       }
                       (*shared)(std::move(request), std::move(respond), std::move(caller));
                   });
    }
}

}  // namespace codd::api

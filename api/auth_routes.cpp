// /auth: login, refresh, logout, me, register (reference §2 auth, §3; DESIGN §7).
#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "api/identity.hpp"
#include "api/logging.hpp"
#include "api/request_body.hpp"
#include "api/user_json.hpp"
#include "engine/json_codec.hpp"
#include "engine/users/password.hpp"
#include "engine/users/validation.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace users = engine::users;

constexpr std::string_view kBadLogin = "Invalid email or password";

Response invalid_login() {
    return problem_response({ProblemType::unauthorized, std::string(kBadLogin), std::string(kBadLogin), {}});
}

Response unauthorized(std::string_view message) {
    return problem_response({ProblemType::unauthorized, std::string(message), std::string(message), {}});
}

// Refused before the password is verified: attempts past the limit cost no hashing and reveal nothing.
Response too_many_attempts(std::chrono::seconds retry_after) {
    Response r =
        problem_response({ProblemType::too_many_requests,
                          fmt::format("Too many login attempts for this email; retry in {} s.", retry_after.count()),
                          "Too many attempts. Please wait before trying again.",
                          {}});
    r.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
    return r;
}

json::object permissions_of(const Identity& id, users::Role role) {
    return role_permissions_json(effective_permissions(id.users.permissions(), role));
}

// Starts a session (one refresh-token family) for `user` and builds the login/register answer.
// Runs on a worker.
Response session_response(const Identity& id, const Request& request, const users::User& user, int status,
                          std::string_view message) {
    const auto meta = event_metadata(request, &user);
    auto session = id.users.start_session(user.id, id.tokens.refresh_expiry_us(), meta);
    if (auto* r = std::get_if<users::Rejection>(&session)) {
        return r->kind == users::Rejection::Kind::unauthorized ? invalid_login() : rejection_response(*r);
    }
    const users::Session& s = std::get<users::Session>(session);
    users::User current = user;
    auto logged_in = id.users.record_login(user.id, meta);
    if (auto* u = std::get_if<users::User>(&logged_in)) current = *u;
    const json::object body{
        {"message", message},
        {"user", user_json(current)},
        {"tokens",
         {{"accessToken", id.tokens.issue_access(current, s.family)},
          {"refreshToken", id.tokens.issue_refresh(current, s.family, s.current_jti)}}},
        {"permissions", permissions_of(id, current.role)},
    };
    return ok_json(body, status);
}

void login(const Identity& id, Request request, Responder respond) {
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    std::string email = in.required_text("email");
    std::string password = in.required_text("password");
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    if (id.limiter) {
        const RateDecision d = id.limiter->check(RateTier::auth, "email:" + users::UserService::normalize_email(email));
        if (!d.allowed) {
            log::warn("login rate limited",
                      {{"request_id", request.request_id}, {"retry_after_s", d.retry_after.count()}});
            return respond(too_many_attempts(d.retry_after));
        }
    }
    run_on_workers(
        id, respond,
        [&id, request = std::move(request), respond, email = std::move(email), password = std::move(password)] {
            const auto user = id.users.find_by_email(email);
            // The same work and the same answer for an unknown email, a wrong password and a deactivated user.
            const bool verified = users::verify_password(password, user ? user->password_hash : id.dummy_hash);
            if (!user || !verified || !user->is_active) {
                log::info("login refused", {{"request_id", request.request_id}});
                return respond(invalid_login());
            }
            respond(session_response(id, request, *user, 200, "Login successful"));
        });
}

void refresh(const Identity& id, Request request, Responder respond) {
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    const std::string token = in.required_text("refreshToken");
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    auto verified = id.tokens.verify_refresh(token);
    if (const auto* e = std::get_if<TokenError>(&verified)) return respond(unauthorized(describe(*e)));
    run_on_workers(id, respond, [&id, request = std::move(request), respond, claims = std::get<TokenClaims>(verified)] {
        const auto user = id.users.find(claims.user_id);
        const auto meta = event_metadata(request, user ? &*user : nullptr);
        auto rotated = id.users.rotate_session(claims.family, claims.jti, id.tokens.refresh_expiry_us(), meta);
        if (auto* r = std::get_if<users::Rejection>(&rotated)) {
            if (r->kind == users::Rejection::Kind::unauthorized) {
                log::warn("refresh refused", {{"request_id", request.request_id}, {"reason", r->message}});
                return respond(unauthorized("Invalid refresh token"));
            }
            return respond(rejection_response(*r));
        }
        const users::Session& s = std::get<users::Session>(rotated);
        const auto current = id.users.find(s.user_id);
        if (!current || !current->is_active) return respond(unauthorized("Invalid refresh token"));
        respond(ok_json(json::object{{"accessToken", id.tokens.issue_access(*current, s.family)},
                                     {"refreshToken", id.tokens.issue_refresh(*current, s.family, s.current_jti)}}));
    });
}

// With a refresh token of the caller in the body, ends that session (one device); without one, ends every
// session of the caller ("log out everywhere"). A refresh token that is not the caller's ends the session
// of the access token that authenticated the request, and nothing else.
void logout(const Identity& id, Request request, Responder respond, const Authenticated& caller) {
    auto body = json_object_body(request, true);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    const auto token = in.text("refreshToken");
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    std::optional<std::string> family;  // unset: every session
    if (token) {
        auto verified = id.tokens.verify_refresh(*token);
        const auto* claims = std::get_if<TokenClaims>(&verified);
        family = claims != nullptr && claims->user_id == caller.user.id ? claims->family : caller.claims.family;
    }
    run_on_workers(id, respond, [&id, request = std::move(request), respond, family, user = caller.user] {
        const auto meta = event_metadata(request, &user);
        std::optional<users::Rejection> refused;
        if (!family) {
            auto revoked = id.users.revoke_all_sessions(user.id, users::RevokeReason::logout, meta);
            if (auto* r = std::get_if<users::Rejection>(&revoked)) refused = *r;
        } else if (!family->empty()) {
            auto revoked = id.users.revoke_session(*family, meta);
            if (auto* r = std::get_if<users::Rejection>(&revoked)) refused = *r;
        }
        if (refused && refused->kind != users::Rejection::Kind::not_found) return respond(rejection_response(*refused));
        respond(ok_json(json::object{{"message", "Logout successful"}}));
    });
}

// The permissions are spliced in from their cached text: no copy of the matrix per request.
void me(const Identity& id, const Authenticated& caller, Responder& respond) {
    const auto permissions = id.permissions_json->get(id.users, caller.user.role);
    std::string body = R"({"user":)";
    body += engine::json::serialize(user_json(caller.user));
    body += R"(,"permissions":)";
    body += *permissions;
    body += '}';
    respond(Response{200, "application/json", std::move(body), {}});
}

void register_user(const Identity& id, Request request, Responder respond) {
    if (!id.allow_registration) return respond(forbidden("Registration is disabled"));
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    users::NewUser user = read_new_user(in);
    const bool role_given = std::get<json::object>(body).if_contains("role") != nullptr;
    std::string password = in.required_text("password");
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    if (!role_given) user.role = users::Role::sales_rep;
    if (users::is_privileged(user.role)) {
        return respond(forbidden(std::string("Registration cannot grant the role ") + users::to_string(user.role)));
    }
    if (auto r = users::normalize_profile(user)) return respond(rejection_response(*r));
    if (auto v = users::password_policy_violation(password)) {
        return respond(validation_problem({{"password", *v}}));
    }
    run_on_workers(
        id, respond,
        [&id, request = std::move(request), respond, user = std::move(user), password = std::move(password)]() mutable {
            user.password_hash = users::hash_password(password);
            auto created = id.users.create_user(user, event_metadata(request, nullptr));
            if (auto* r = std::get_if<users::Rejection>(&created)) return respond(rejection_response(*r));
            respond(session_response(id, request, std::get<users::User>(created), 201, "Registration successful"));
        });
}

}  // namespace

void add_auth_routes(Router& router, const Identity& id) {
    add_guarded(router, id, "POST", "/auth/login",
                [&id](Request r, Responder respond, auto) { login(id, std::move(r), std::move(respond)); });
    add_guarded(router, id, "POST", "/auth/register",
                [&id](Request r, Responder respond, auto) { register_user(id, std::move(r), std::move(respond)); });
    add_guarded(router, id, "POST", "/auth/refresh",
                [&id](Request r, Responder respond, auto) { refresh(id, std::move(r), std::move(respond)); });
    add_guarded(router, id, "POST", "/auth/logout", [&id](Request r, Responder respond, auto caller) {
        logout(id, std::move(r), std::move(respond), *caller);
    });
    add_guarded(router, id, "GET", "/auth/me",
                [&id](Request, Responder respond, auto caller) { me(id, caller.value(), respond); });
}

}  // namespace codd::api

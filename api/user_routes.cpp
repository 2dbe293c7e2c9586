// /admin (settings, permissions, user administration) and /users (reference §2 admin and users tables,
// §14 rows 6 and 25-38). Who may call what is the RBAC table's business (rbac.cpp); the handlers add what
// depends on the target user: nobody but a super_admin touches a super_admin or grants that role, and
// managers edit sales reps only.
#include <charconv>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "api/identity.hpp"
#include "api/request_body.hpp"
#include "api/user_json.hpp"
#include "engine/json_codec.hpp"
#include "engine/users/password.hpp"
#include "engine/users/validation.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace users = engine::users;
using users::Role;

Response not_found_user() {
    return problem_response({ProblemType::not_found, "No user with this id.", "User not found", {}});
}

// The `:id` user, or the 404.
std::variant<users::User, Response> target_user(const Identity& id, const Request& r) {
    const auto text = r.param("id").value_or("");
    users::UserId uid = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), uid);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return not_found_user();
    auto u = id.users.find(uid);
    if (!u) return not_found_user();
    return std::move(*u);
}

// Whether `caller` may change `target` and give it `new_role`.
std::optional<Response> check_may_manage(const Authenticated& caller, const users::User& target,
                                         std::optional<Role> new_role) {
    const Role role = caller.user.role;
    if (role == Role::super_admin) return std::nullopt;
    if (target.role == Role::super_admin || (new_role && *new_role == Role::super_admin)) {
        return forbidden("Only a super_admin can manage super_admin accounts", "role: super_admin");
    }
    return std::nullopt;
}

// Runs a command on a worker and answers with what `make` returns.
void command(const Identity& id, Request request, Responder respond,
             std::function<Response(const engine::EventMetadata&)> make, const users::User& actor) {
    if (request.header("If-Match")) return respond(if_match_unsupported());
    run_on_workers(id, respond, [&id, request = std::move(request), respond, make = std::move(make), actor] {
        Response answer = make(event_metadata(request, &actor));
        if (answer.status >= 200 && answer.status < 300 && id.log_head) {
            answer.headers.push_back({std::string(kPositionHeader), std::to_string(id.log_head())});
        }
        respond(std::move(answer));
    });
}

// Reference §2: a user who is still the rep or agent of open orders is not deactivated, which would leave the
// orders with nobody to work them, nor moved to a role that cannot work them: 422 saying how many. Nor is an
// agent who still holds collected cash: their deposit is recorded first. `change` is "deactivate" or "change
// the role of". Reads the orders view and the agent's cash stream: on the worker pool.
std::optional<Response> refuse_with_open_work(const Identity& id, users::UserId user, std::string_view change) {
    const std::optional<std::int64_t> counted = id.open_orders ? id.open_orders(user) : std::optional<std::int64_t>{0};
    if (!counted) {
        Response busy = problem_response({ProblemType::unavailable,
                                          "The orders view is behind the event log; the user's open orders cannot be "
                                          "counted yet. Try again shortly.",
                                          "Orders view not caught up",
                                          {}});
        busy.headers.push_back({"Retry-After", "1"});
        return busy;
    }
    const std::int64_t open = *counted;
    if (open > 0) {
        return problem_response({ProblemType::unprocessable,
                                 fmt::format("User {} is the sales rep or delivery agent of {} open order(s) (not "
                                             "delivered, cancelled or returned); reassign them first.",
                                             user, open),
                                 fmt::format("Cannot {} a user with active orders", change),
                                 {}});
    }
    const std::int64_t cash = id.cash_in_hand ? id.cash_in_hand(user) : 0;
    if (cash > 0) {
        return problem_response({ProblemType::unprocessable,
                                 fmt::format("User {} holds {} in collected cash; record their deposit first.", user,
                                             engine::to_string(engine::Money{cash})),
                                 fmt::format("Cannot {} an agent who holds cash", change),
                                 {}});
    }
    return std::nullopt;
}

template <typename T>
std::optional<Response> as_rejection(const users::Result<T>& r) {
    if (const auto* rej = std::get_if<users::Rejection>(&r)) return rejection_response(*rej);
    return std::nullopt;
}

// ---- lists ----

struct ListQuery {
    users::UserQuery query;
    std::optional<Response> error;
};

ListQuery read_list_query(const Request& r) {
    ListQuery out;
    const auto q = parse_query(r.query);
    if (!q) {
        out.error = malformed_query();
        return out;
    }
    std::vector<FieldError> errors;
    auto number = [&](std::string_view key, int min, int max, int& into) {
        const auto v = query_value(*q, key);
        if (!v || v->empty()) return;
        int n = 0;
        const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc{} || ptr != v->data() + v->size() || n < min || n > max) {
            errors.push_back({std::string(key), fmt::format("{} must be an integer from {} to {}", key, min, max)});
            return;
        }
        into = n;
    };
    number("page", 1, 1'000'000, out.query.page);
    number("limit", 1, 100, out.query.limit);
    if (const auto v = query_value(*q, "role"); v && !v->empty()) {
        out.query.role = users::parse_role(*v);
        if (!out.query.role) errors.push_back({"role", "unknown role '" + *v + "'"});
    }
    if (const auto v = query_value(*q, "isActive"); v && !v->empty()) {
        if (*v == "true") {
            out.query.is_active = true;
        } else if (*v == "false") {
            out.query.is_active = false;
        } else {
            errors.push_back({"isActive", "isActive must be true or false"});
        }
    }
    if (!errors.empty()) out.error = validation_problem(std::move(errors));
    return out;
}

json::array users_array(const std::vector<users::User>& list) {
    json::array a;
    for (const users::User& u : list) a.push_back(user_json(u));
    return a;
}

std::int64_t pages(std::size_t total, int limit) {
    return static_cast<std::int64_t>((total + static_cast<std::size_t>(limit) - 1) / static_cast<std::size_t>(limit));
}

void list_admin(const Identity& id, const Request& r, Responder& respond) {
    ListQuery lq = read_list_query(r);
    if (lq.error) return respond(std::move(*lq.error));
    const users::UserPage page = id.users.list(lq.query);
    respond(ok_json(json::object{{"users", users_array(page.users)},
                                 {"total", page.total},
                                 {"page", lq.query.page},
                                 {"limit", lq.query.limit},
                                 {"totalPages", pages(page.total, lq.query.limit)}}));
}

void list_users(const Identity& id, const Request& r, Responder& respond) {
    ListQuery lq = read_list_query(r);
    if (lq.error) return respond(std::move(*lq.error));
    const users::UserPage page = id.users.list(lq.query);
    respond(ok_json(json::object{{"users", users_array(page.users)},
                                 {"pagination",
                                  {{"page", lq.query.page},
                                   {"limit", lq.query.limit},
                                   {"total", page.total},
                                   {"pages", pages(page.total, lq.query.limit)}}}}));
}

// ---- create, update, deactivate ----

void create(const Identity& id, Request request, Responder respond, const Authenticated& caller, bool admin_shape) {
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    users::NewUser user = read_new_user(in);
    std::string password = in.required_text("password");
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    if (caller.user.role != Role::super_admin && user.role == Role::super_admin) {
        return respond(forbidden("Only a super_admin can create super_admin accounts", "role: super_admin"));
    }
    if (auto r = users::normalize_profile(user)) return respond(rejection_response(*r));
    if (auto v = users::password_policy_violation(password)) return respond(validation_problem({{"password", *v}}));
    command(
        id, std::move(request), std::move(respond),
        [&id, user = std::move(user), password = std::move(password), admin_shape](const engine::EventMetadata& meta) {
            users::NewUser u = user;
            u.password_hash = users::hash_password(password);
            auto created = id.users.create_user(u, meta);
            if (auto r = as_rejection(created)) return std::move(*r);
            return ok_json(json::object{{"message", "User created successfully"},
                                        {"user", user_json(std::get<users::User>(created))}},
                           201);
        },
        caller.user);
}

// PUT /admin/users/:id, PUT /users/:id, PUT /users/reps/:id (`key`: the top-level key of the answer).
void update(const Identity& id, Request request, Responder respond, const Authenticated& caller, std::string_view key,
            bool reps_only) {
    auto target = target_user(id, request);
    if (auto* r = std::get_if<Response>(&target)) return respond(std::move(*r));
    const users::User& t = std::get<users::User>(target);
    if (reps_only && t.role != Role::sales_rep) {
        return respond(problem_response(
            {ProblemType::unprocessable, "The user is not a sales rep.", "This user is not a sales rep", {}}));
    }
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    users::UserPatch patch = read_user_patch(in);
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    if (reps_only && patch.role && *patch.role != Role::sales_rep) {
        return respond(forbidden("A rep's role cannot be changed here", "PUT /users/:id"));
    }
    if (auto denied = check_may_manage(caller, t, patch.role)) return respond(std::move(*denied));
    if (t.id == caller.user.id && ((patch.is_active && !*patch.is_active) || (patch.role && *patch.role != t.role))) {
        return respond(problem_response({ProblemType::unprocessable,
                                         "A user cannot deactivate or demote themselves.",
                                         "You cannot deactivate your own account or change your own role",
                                         {}}));
    }
    command(
        id, std::move(request), std::move(respond),
        [&id, uid = t.id, deactivating = t.is_active && patch.is_active && !*patch.is_active,
         leaving_role =
             patch.role && *patch.role != t.role && (t.role == Role::sales_rep || t.role == Role::delivery_agent),
         patch = std::move(patch), key = std::string(key)](const engine::EventMetadata& meta) {
            // No order is given to the user between the count of their open orders and this change
            // (users::UserService::changing).
            std::unique_lock<std::shared_mutex> gate;
            if (deactivating || leaving_role) gate = id.users.changing(uid);
            if (deactivating || leaving_role) {
                const auto change = deactivating ? "deactivate" : "change the role of";
                if (auto refused = refuse_with_open_work(id, uid, change)) return std::move(*refused);
            }
            auto updated = id.users.update_user(uid, patch, meta);
            if (auto r = as_rejection(updated)) return std::move(*r);
            return ok_json(json::object{{"message", "User updated successfully"},
                                        {key, user_json(std::get<users::User>(updated))}});
        },
        caller.user);
}

void deactivate(const Identity& id, Request request, Responder respond, const Authenticated& caller) {
    auto target = target_user(id, request);
    if (auto* r = std::get_if<Response>(&target)) return respond(std::move(*r));
    const users::User& t = std::get<users::User>(target);
    if (auto denied = check_may_manage(caller, t, std::nullopt)) return respond(std::move(*denied));
    if (t.id == caller.user.id) {
        return respond(problem_response({ProblemType::unprocessable,
                                         "A user cannot deactivate themselves.",
                                         "You cannot deactivate your own account",
                                         {}}));
    }
    command(
        id, std::move(request), std::move(respond),
        [&id, uid = t.id, active = t.is_active](const engine::EventMetadata& meta) {
            const auto gate = id.users.changing(uid);  // no order given to the user meanwhile
            if (active) {
                if (auto refused = refuse_with_open_work(id, uid, "deactivate")) return std::move(*refused);
            }
            auto done = id.users.deactivate_user(uid, meta);
            if (auto r = as_rejection(done)) return std::move(*r);
            return ok_json(json::object{{"message", "User deactivated successfully"},
                                        {"user", user_json(std::get<users::User>(done))}});
        },
        caller.user);
}

void reset_password(const Identity& id, Request request, Responder respond, const Authenticated& caller) {
    auto target = target_user(id, request);
    if (auto* r = std::get_if<Response>(&target)) return respond(std::move(*r));
    const users::User& t = std::get<users::User>(target);
    if (auto denied = check_may_manage(caller, t, std::nullopt)) return respond(std::move(*denied));
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    std::string password = in.required_text("password");
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    if (auto v = users::password_policy_violation(password)) return respond(validation_problem({{"password", *v}}));
    command(
        id, std::move(request), std::move(respond),
        [&id, uid = t.id, password = std::move(password)](const engine::EventMetadata& meta) {
            auto done = id.users.reset_password(uid, users::hash_password(password), meta);
            if (auto r = as_rejection(done)) return std::move(*r);
            return ok_json(json::object{{"message", "Password reset successfully"}});
        },
        caller.user);
}

// ---- self service ----

void get_preferences(const Authenticated& caller, Responder& respond) {
    respond(ok_json(json::object{{"preferences", user_json(caller.user).at("preferences")}}));
}

void put_preferences(const Identity& id, Request request, Responder respond, const Authenticated& caller) {
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    const json::value* prefs = std::get<json::object>(body).if_contains("preferences");
    if (prefs == nullptr || !prefs->is_object()) {
        return respond(validation_problem({{"preferences", "preferences must be an object"}}));
    }
    command(
        id, std::move(request), std::move(respond),
        [&id, uid = caller.user.id, text = engine::json::serialize(*prefs)](const engine::EventMetadata& meta) {
            auto done = id.users.set_preferences(uid, text, meta);
            if (auto r = as_rejection(done)) return std::move(*r);
            return ok_json(json::object{{"message", "Preferences updated successfully"},
                                        {"preferences", user_json(std::get<users::User>(done)).at("preferences")}});
        },
        caller.user);
}

// Sets `isAvailable` from the body, or toggles it when the body does not say.
void availability(const Identity& id, Request request, Responder respond, const Authenticated& caller) {
    auto target = target_user(id, request);
    if (auto* r = std::get_if<Response>(&target)) return respond(std::move(*r));
    const users::User& t = std::get<users::User>(target);
    if (auto denied = check_may_manage(caller, t, std::nullopt); denied && t.id != caller.user.id) {
        return respond(std::move(*denied));
    }
    auto body = json_object_body(request, true);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    FieldReader in(std::get<json::object>(body));
    const bool available = in.boolean("isAvailable").value_or(!t.is_available);
    if (!in.ok()) return respond(validation_problem(std::move(in.errors())));
    command(
        id, std::move(request), std::move(respond),
        [&id, uid = t.id, available](const engine::EventMetadata& meta) {
            const auto gate = id.users.changing(uid);  // an assignment checks availability under the user's gate
            auto done = id.users.set_availability(uid, available, meta);
            if (auto r = as_rejection(done)) return std::move(*r);
            return ok_json(json::object{{"message", "Availability updated successfully"},
                                        {"user", user_json(std::get<users::User>(done))}});
        },
        caller.user);
}

// ---- settings and permissions ----

void get_settings(const Identity& id, Responder& respond) {
    json::error_code ec;
    json::value v = json::parse(id.users.settings_json(), ec);
    respond(ok_json(ec ? json::value(json::object{}) : v));
}

void put_settings(const Identity& id, Request request, Responder respond, const Authenticated& caller) {
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    command(
        id, std::move(request), std::move(respond),
        [&id, text = engine::json::serialize(std::get<json::object>(body))](const engine::EventMetadata& meta) {
            auto done = id.users.merge_settings(text, meta);
            if (auto r = as_rejection(done)) return std::move(*r);
            return ok_json(json::parse(std::get<std::string>(done)));
        },
        caller.user);
}

void put_permissions(const Identity& id, Request request, Responder respond, const Authenticated& caller) {
    auto body = json_object_body(request);
    if (auto* r = std::get_if<Response>(&body)) return respond(std::move(*r));
    auto matrix = matrix_from_json(std::get<json::object>(body));
    if (auto* errors = std::get_if<std::vector<FieldError>>(&matrix))
        return respond(validation_problem(std::move(*errors)));
    command(
        id, std::move(request), std::move(respond),
        [&id, m = std::get<users::PermissionMatrix>(matrix)](const engine::EventMetadata& meta) {
            auto done = id.users.set_permissions(m, meta);
            if (auto r = as_rejection(done)) return std::move(*r);
            return ok_json(json::object{{"message", "Permissions updated successfully"},
                                        {"permissions", matrix_json(std::get<users::PermissionMatrix>(done))}});
        },
        caller.user);
}

Response permanent_delete() {
    return problem_response(
        {ProblemType::unprocessable,
         "Users are never deleted: every change to a user is an event in codd's append-only log, kept for audit. "
         "Deactivate the user instead (DELETE /api/admin/users/:id).",
         "Users cannot be permanently deleted; deactivate the user instead",
         {}});
}

}  // namespace

void add_user_routes(Router& router, const Identity& id) {
    using Caller = std::optional<Authenticated>;
    auto add = [&](std::string_view method, std::string_view path, GuardedHandler h) {
        add_guarded(router, id, method, path, std::move(h));
    };
    add("GET", "/admin/settings", [&id](Request, Responder res, Caller) { get_settings(id, res); });
    add("PUT", "/admin/settings",
        [&id](Request r, Responder res, Caller c) { put_settings(id, std::move(r), std::move(res), *c); });
    add("GET", "/admin/permissions",
        [&id](Request, Responder res, Caller) { res(ok_json(matrix_json(id.users.permissions()))); });
    add("PUT", "/admin/permissions",
        [&id](Request r, Responder res, Caller c) { put_permissions(id, std::move(r), std::move(res), *c); });
    add("GET", "/admin/users", [&id](Request r, Responder res, Caller) { list_admin(id, r, res); });
    add("POST", "/admin/users",
        [&id](Request r, Responder res, Caller c) { create(id, std::move(r), std::move(res), *c, true); });
    add("PUT", "/admin/users/:id",
        [&id](Request r, Responder res, Caller c) { update(id, std::move(r), std::move(res), *c, "user", false); });
    add("POST", "/admin/users/:id/reset-password",
        [&id](Request r, Responder res, Caller c) { reset_password(id, std::move(r), std::move(res), *c); });
    add("DELETE", "/admin/users/:id",
        [&id](Request r, Responder res, Caller c) { deactivate(id, std::move(r), std::move(res), *c); });
    add("DELETE", "/admin/users/:id/permanent", [&id](Request r, Responder res, Caller) {
        auto t = target_user(id, r);
        if (auto* e = std::get_if<Response>(&t)) return res(std::move(*e));
        res(permanent_delete());
    });

    add("GET", "/users", [&id](Request r, Responder res, Caller) { list_users(id, r, res); });
    add("POST", "/users",
        [&id](Request r, Responder res, Caller c) { create(id, std::move(r), std::move(res), *c, false); });
    add("GET", "/users/preferences", [](Request, Responder res, Caller c) { get_preferences(*c, res); });
    add("PUT", "/users/preferences",
        [&id](Request r, Responder res, Caller c) { put_preferences(id, std::move(r), std::move(res), *c); });
    add("PUT", "/users/reps/:id",
        [&id](Request r, Responder res, Caller c) { update(id, std::move(r), std::move(res), *c, "rep", true); });
    add("GET", "/users/:id", [&id](Request r, Responder res, Caller) {
        auto t = target_user(id, r);
        if (auto* e = std::get_if<Response>(&t)) return res(std::move(*e));
        res(ok_json(json::object{{"user", user_json(std::get<users::User>(t))}}));
    });
    add("PUT", "/users/:id",
        [&id](Request r, Responder res, Caller c) { update(id, std::move(r), std::move(res), *c, "user", false); });
    add("DELETE", "/users/:id",
        [&id](Request r, Responder res, Caller c) { deactivate(id, std::move(r), std::move(res), *c); });
    add("PATCH", "/users/:id/availability",
        [&id](Request r, Responder res, Caller c) { availability(id, std::move(r), std::move(res), *c); });
}

}  // namespace codd::api

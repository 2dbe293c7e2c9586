#pragma once
// Role-based access control: ONE table of every API endpoint and what it requires (DESIGN §7, issues 3 and 4).
// The router registration reads it (a route without an entry cannot be registered through it) and so do the
// tests, which check every role against every endpoint.
//
// Rules, in the words of reference §2/§3: `permission` reads the runtime-editable matrix (resource, action);
// `roles` is a fixed role list (the replaced system's user and admin routes use fixed lists, and the default
// matrix gives managers no `users` rights although they list users); `self_or_roles` also lets a user act on
// their own record (`:id`); `super_admin` is that role alone; `authenticated` any valid token; `public` none.
// super_admin passes every rule.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/users/user.hpp"

namespace codd::api {

using engine::users::Role;

enum class AccessRule { public_access, authenticated, permission, roles, self_or_roles, super_admin };

// One resource:action of the permission matrix.
struct Permission {
    std::string_view resource, action;
};

struct Access {
    AccessRule rule = AccessRule::authenticated;
    std::vector<Permission> permissions;  // permission: any one of them allows (usually one)
    std::vector<Role> roles;              // roles, self_or_roles (super_admin is implied)
};

struct EndpointAccess {
    std::string_view method;
    std::string_view path;  // below the API root: "/admin/users/:id" is served as /api/... and /api/v1/...
    Access access;
};

// Every endpoint of the API, in the order the index lists them.
[[nodiscard]] std::span<const EndpointAccess> endpoint_table();
// The entry for (method, path below the root); nullptr when there is none.
[[nodiscard]] const EndpointAccess* find_endpoint(std::string_view method, std::string_view path);

// The rule in words, e.g. "role: super_admin, admin" or "permission orders:create (the runtime permission
// matrix)": what the OpenAPI document says of each operation (x-codd-access).
[[nodiscard]] std::string describe_access(const Access& access);

// The API roots every endpoint is served under.
inline constexpr std::string_view kApiRoots[] = {"/api/v1", "/api"};

// Who is calling, as far as authorization is concerned.
struct Caller {
    engine::users::UserId id = 0;
    Role role = Role::sales_rep;
};

struct AccessDecision {
    bool allowed = false;
    std::string required;  // for a refusal: what would have been needed, e.g. "users:view" or "roles: admin"
};

// `target` is the `:id` of the request when it names a user (for self_or_roles).
[[nodiscard]] AccessDecision decide_access(const Access& access, const Caller& caller,
                                           const engine::users::PermissionMatrix& matrix,
                                           std::optional<engine::users::UserId> target);

// Row-level scope of a caller over orders and deliveries (used by the orders endpoints): everything, or only
// what is assigned to them as sales rep or as delivery agent.
enum class Scope { all, own_as_rep, own_as_agent };

[[nodiscard]] Scope order_scope(const Caller& caller);
// The rep and the agent a caller's reads of orders are limited to: their own id as one of them, or neither.
struct OwnOrders {
    std::optional<engine::users::UserId> rep, agent;
};
[[nodiscard]] OwnOrders own_orders(const Caller& caller);
// Whether a caller with this scope may see an order assigned to (rep, agent).
[[nodiscard]] bool in_scope(const Caller& caller, std::optional<engine::users::UserId> rep,
                            std::optional<engine::users::UserId> agent);

// The actions of `role`, resource -> actions: its row of the matrix; for super_admin every action any role
// has (it passes every check, and the UI reads this map).
[[nodiscard]] engine::users::RoleMatrix effective_permissions(const engine::users::PermissionMatrix& matrix,
                                                              Role role);

}  // namespace codd::api

#include "engine/users/user.hpp"

#include <utility>

namespace codd::engine::users {

const char* to_string(Role r) {
    switch (r) {
        case Role::super_admin:
            return "super_admin";
        case Role::admin:
            return "admin";
        case Role::manager:
            return "manager";
        case Role::sales_rep:
            return "sales_rep";
        case Role::inventory_manager:
            return "inventory_manager";
        case Role::delivery_agent:
            return "delivery_agent";
        case Role::accountant:
            return "accountant";
    }
    return "unknown";
}

// Exact match: role names are identifiers of the API contract, so "Admin" or " admin" are refused.
std::optional<Role> parse_role(std::string_view s) {
    for (Role r : kAllRoles) {
        if (s == to_string(r)) return r;
    }
    return std::nullopt;
}

const char* to_string(RevokeReason r) {
    switch (r) {
        case RevokeReason::logout:
            return "logout";
        case RevokeReason::reuse_detected:
            return "reuse_detected";
        case RevokeReason::user_deactivated:
            return "user_deactivated";
        case RevokeReason::password_reset:
            return "password_reset";
    }
    return "unknown";
}

bool is_privileged(Role r) {
    return r == Role::super_admin || r == Role::admin || r == Role::manager;
}

bool allows(const PermissionMatrix& m, Role role, std::string_view resource, std::string_view action) {
    if (role == Role::super_admin) return true;
    const auto by_role = m.find(role);
    if (by_role == m.end()) return false;
    const auto by_resource = by_role->second.find(std::string(resource));
    if (by_resource == by_role->second.end()) return false;
    return by_resource->second.contains(std::string(action));
}

}  // namespace codd::engine::users

#pragma once
// Users, roles, sessions and the permission matrix: the identity domain (issue 3, DESIGN §4, §7).
// Names and shapes follow ../shared/reference/seed-system.md §1 (User) and §3 (roles, default matrix).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace codd::engine::users {

enum class Role { super_admin, admin, manager, sales_rep, inventory_manager, delivery_agent, accountant };

inline constexpr Role kAllRoles[] = {Role::super_admin,       Role::admin,          Role::manager,   Role::sales_rep,
                                     Role::inventory_manager, Role::delivery_agent, Role::accountant};

const char* to_string(Role r);
std::optional<Role> parse_role(std::string_view s);
// super_admin, admin and manager: roles self-registration may never grant, and that see other users.
bool is_privileged(Role r);

using UserId = std::int64_t;

struct User {
    UserId id = 0;
    std::string email;          // normalized: trimmed, lower-case
    std::string password_hash;  // argon2id encoded string (libsodium crypto_pwhash_str)
    std::string first_name;
    std::string last_name;
    std::string phone_number;
    Role role = Role::sales_rep;
    bool is_active = true;
    bool is_available = true;
    std::optional<std::int64_t> last_login_us;
    std::string preferences_json = "{}";  // a JSON object
    // Role-specific profile fields of the replaced system (money in minor units).
    std::optional<std::int64_t> commission_minor;     // sales reps: fixed amount per delivered order
    std::optional<std::int64_t> delivery_rate_minor;  // delivery agents
    std::string country, vehicle_type, vehicle_id, location;
    std::int64_t created_us = 0;
    std::int64_t updated_us = 0;
    std::int64_t version = -1;  // stream version of user-<id>
    // Version of the last event that revoked every session of the user (deactivation, password reset);
    // a session decided against an older version of the user was started concurrently with it, and is dead.
    std::int64_t sessions_revoked_at = -1;

    bool operator==(const User&) const = default;
};

// A refresh-token family: one login. Each refresh rotates `current_jti`; presenting an older jti of the
// family again is reuse, and revokes the whole family.
//
// Token ids never reach the log or the directory: both keep SHA-256 digests (token_digest() in
// password.hpp). `current_jti` holds the raw id only in what start_session/rotate_session return, for the
// caller to put into the token; sessions read from the directory have it empty.
struct Session {
    std::string family;  // random id
    UserId user_id = 0;
    std::string current_jti;
    std::string current_jti_digest;
    std::set<std::string> retired_jtis;  // digests of every jti rotated away from
    std::int64_t expires_us = 0;
    bool revoked = false;
    std::string revoked_reason;  // logout | reuse_detected | user_deactivated | password_reset
    std::int64_t started_us = 0;
    std::int64_t user_version = -1;  // version of user-<id> the start was decided against
    std::int64_t version = -1;       // stream version of session-<family>

    bool operator==(const Session&) const = default;
};

// Why a session ended; the wire names are the to_string() values.
enum class RevokeReason { logout, reuse_detected, user_deactivated, password_reset };
const char* to_string(RevokeReason r);

// resource -> actions, per role. super_admin passes every check regardless of the matrix.
using Actions = std::set<std::string>;
using RoleMatrix = std::map<std::string, Actions>;  // resource -> actions
using PermissionMatrix = std::map<Role, RoleMatrix>;

// The default matrix of reference §3.
const PermissionMatrix& default_permissions();
bool allows(const PermissionMatrix& m, Role role, std::string_view resource, std::string_view action);

}  // namespace codd::engine::users

#pragma once
// Creating the first administrator: on a server's first start (CODD_ADMIN_EMAIL / CODD_ADMIN_PASSWORD)
// and offline with `codd admin create`. Takes the plaintext password: it checks the policy and hashes it
// here (slow on purpose; both callers run it once, outside request handling).

#include <string>
#include <string_view>

#include "engine/users/user_service.hpp"

namespace codd::engine::users {

struct AdminSpec {
    std::string email;
    std::string password;  // plaintext; checked against the policy, then hashed
    std::string first_name = "Super";
    std::string last_name = "Admin";
};

// Creates a super_admin unconditionally (an operator asked for one explicitly, e.g. to recover access).
// A password that breaks the policy is Rejection::invalid on field "password".
Result<User> create_admin(UserService& users, const AdminSpec& spec, const EventMetadata& meta);

// Creates a super_admin only while the directory has no users at all; otherwise Rejection::conflict
// ("users exist"), which a server start treats as "nothing to do".
Result<User> ensure_first_admin(UserService& users, const std::string& email, const std::string& password,
                                const EventMetadata& meta);
Result<User> ensure_first_admin(UserService& users, const AdminSpec& spec, const EventMetadata& meta);

}  // namespace codd::engine::users

#include "engine/users/bootstrap.hpp"

#include "engine/users/password.hpp"
#include "engine/users/validation.hpp"

namespace codd::engine::users {

Result<User> create_admin(UserService& users, const AdminSpec& spec, const EventMetadata& meta) {
    if (auto problem = password_policy_violation(spec.password)) return invalid("password", *problem);
    NewUser u;
    u.email = spec.email;
    u.first_name = spec.first_name;
    u.last_name = spec.last_name;
    u.role = Role::super_admin;
    // Hash only input that passes every other check, so a typo in the email costs no argon2 run.
    if (auto r = normalize_profile(u)) return *r;
    u.password_hash = hash_password(spec.password);
    return users.create_user(u, meta);
}

Result<User> ensure_first_admin(UserService& users, const AdminSpec& spec, const EventMetadata& meta) {
    if (users.user_count() > 0) {
        return Rejection{Rejection::Kind::conflict, "users exist already; the first admin is not created", {}};
    }
    return create_admin(users, spec, meta);
}

Result<User> ensure_first_admin(UserService& users, const std::string& email, const std::string& password,
                                const EventMetadata& meta) {
    AdminSpec spec;
    spec.email = email;
    spec.password = password;
    return ensure_first_admin(users, spec, meta);
}

}  // namespace codd::engine::users

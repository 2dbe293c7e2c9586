#pragma once
// The identity API's JSON shapes (reference §14 rows 1-6, 25-38): users as the admin UI reads them (camelCase,
// numbers as numbers, never the password hash; money stored in minor units is sent in major units), the
// permission maps, request fields read into commands, and the one mapping of a domain Rejection to a problem.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "api/http_types.hpp"
#include "api/problem.hpp"
#include "engine/users/user_service.hpp"

namespace codd::api {

[[nodiscard]] boost::json::object user_json(const engine::users::User& user);
// {resource: [action, ...]}
[[nodiscard]] boost::json::object role_permissions_json(const engine::users::RoleMatrix& row);
// {role: {resource: [action, ...]}}
[[nodiscard]] boost::json::object matrix_json(const engine::users::PermissionMatrix& matrix);
// The inverse of matrix_json; field errors name the offending role or resource.
[[nodiscard]] std::variant<engine::users::PermissionMatrix, std::vector<FieldError>> matrix_from_json(
    const boost::json::object& o);

// 400 (with `errors` from the field), 401, 403, 404, 409.
[[nodiscard]] Response rejection_response(const engine::users::Rejection& r);

// A money amount in major units as minor units, rounded half away from zero at the second decimal of the
// number as written (its shortest decimal form): 1.005 -> 101, 2.675 -> 268, 0.0049 -> 0.
std::int64_t minor_units(double major);

// Typed reads of optional request fields; a present field of the wrong type adds a field error. JSON null
// reads as absent.
class FieldReader {
  public:
    explicit FieldReader(const boost::json::object& o) : o_(o) {}

    std::optional<std::string> text(std::string_view key);
    std::optional<bool> boolean(std::string_view key);
    std::optional<engine::users::Role> role(std::string_view key);
    // A money amount in major units (a JSON number, e.g. 12.5), as minor units (1250, minor_units); >= 0. A
    // positive amount that rounds to 0 (0.001) is an error, unless it is below 1e-6 (a float residue, read as 0).
    std::optional<std::int64_t> money(std::string_view key);
    // A whole number (a JSON integer, or a float with no fraction) in [lo, hi].
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi);
    // An array of strings.
    std::optional<std::vector<std::string>> strings(std::string_view key);
    // Required string: missing or empty adds "<key> is required".
    std::string required_text(std::string_view key);

    [[nodiscard]] bool ok() const { return errors_.empty(); }
    std::vector<FieldError>& errors() { return errors_; }

  private:
    const boost::json::object& o_;
    std::vector<FieldError> errors_;
};

// The profile fields of a new user (without the password): email, firstName, lastName, phoneNumber, role,
// commissionRate, deliveryRate, country, vehicleType, vehicleId, location.
[[nodiscard]] engine::users::NewUser read_new_user(FieldReader& in);
// The same fields, each optional, plus isActive.
[[nodiscard]] engine::users::UserPatch read_user_patch(FieldReader& in);

}  // namespace codd::api

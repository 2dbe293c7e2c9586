#include "api/user_json.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "api/health.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace users = engine::users;

json::value money_json(const std::optional<std::int64_t>& minor) {
    if (!minor) return nullptr;
    return static_cast<double>(*minor) / 100.0;
}

json::value time_json(std::int64_t us) {
    return json::string(iso8601_utc_us(us));
}

json::value text_or_null(const std::string& s) {
    if (s.empty()) return nullptr;
    return json::string(s);
}

json::value preferences(const std::string& text) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return json::object{};
    return v;
}

}  // namespace

json::object user_json(const users::User& u) {
    return {
        {"id", u.id},
        {"email", u.email},
        {"firstName", u.first_name},
        {"lastName", u.last_name},
        {"phoneNumber", text_or_null(u.phone_number)},
        {"role", users::to_string(u.role)},
        {"isActive", u.is_active},
        {"isAvailable", u.is_available},
        {"lastLogin", u.last_login_us ? time_json(*u.last_login_us) : json::value(nullptr)},
        {"createdAt", time_json(u.created_us)},
        {"updatedAt", time_json(u.updated_us)},
        {"preferences", preferences(u.preferences_json)},
        {"commissionRate", money_json(u.commission_minor)},
        {"deliveryRate", money_json(u.delivery_rate_minor)},
        {"vehicleType", text_or_null(u.vehicle_type)},
        {"vehicleId", text_or_null(u.vehicle_id)},
        {"location", text_or_null(u.location)},
        {"country", text_or_null(u.country)},
    };
}

json::object role_permissions_json(const users::RoleMatrix& row) {
    json::object o;
    for (const auto& [resource, actions] : row) {
        json::array a;
        for (const std::string& action : actions) a.push_back(json::string(action));
        o[resource] = std::move(a);
    }
    return o;
}

json::object matrix_json(const users::PermissionMatrix& matrix) {
    json::object o;
    for (const users::Role r : users::kAllRoles) {
        const auto it = matrix.find(r);
        o[users::to_string(r)] = role_permissions_json(it == matrix.end() ? users::RoleMatrix{} : it->second);
    }
    return o;
}

std::variant<users::PermissionMatrix, std::vector<FieldError>> matrix_from_json(const json::object& o) {
    users::PermissionMatrix m;
    std::vector<FieldError> errors;
    for (const auto& [role_name, row] : o) {
        const auto role = users::parse_role(role_name);
        const std::string field(role_name);
        if (!role) {
            errors.push_back({field, "unknown role '" + field + "'"});
            continue;
        }
        if (!row.is_object()) {
            errors.push_back({field, "must be an object of resource: [actions]"});
            continue;
        }
        users::RoleMatrix& out = m[*role];
        for (const auto& [resource, actions] : row.as_object()) {
            const std::string where = field + "." + std::string(resource);
            if (!actions.is_array()) {
                errors.push_back({where, "must be an array of action names"});
                continue;
            }
            users::Actions& set = out[std::string(resource)];
            for (const json::value& a : actions.as_array()) {
                if (!a.is_string() || a.as_string().empty()) {
                    errors.push_back({where, "actions must be non-empty strings"});
                    break;
                }
                set.insert(std::string(a.as_string()));
            }
        }
    }
    if (!errors.empty()) return errors;
    return m;
}

Response rejection_response(const users::Rejection& r) {
    switch (r.kind) {
        case users::Rejection::Kind::invalid: {
            const std::string field = r.field.empty() ? "request" : r.field;
            return problem_response({ProblemType::validation, r.message, r.message, {{field, r.message}}});
        }
        case users::Rejection::Kind::not_found: {
            // "customer 1002 not found" reads, capitalized, as the toast the admin UI shows.
            std::string message = r.message.empty() ? std::string("not found") : r.message;
            message.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(message.front())));
            return problem_response({ProblemType::not_found, message, message, {}});
        }
        case users::Rejection::Kind::conflict:
            return problem_response(
                {ProblemType::conflict, r.message, r.message,
                 r.field.empty() ? std::vector<FieldError>{} : std::vector<FieldError>{{r.field, r.message}}});
        case users::Rejection::Kind::forbidden:
            return problem_response({ProblemType::forbidden, r.message, r.message, {}});
        case users::Rejection::Kind::unauthorized:
            return problem_response({ProblemType::unauthorized, r.message, r.message, {}});
        case users::Rejection::Kind::refused:
            return problem_response({ProblemType::unprocessable, r.message, r.message, {}});
    }
    return problem_response({ProblemType::internal, "unknown rejection", {}, {}});
}

std::optional<std::string> FieldReader::text(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
        errors_.push_back({std::string(key), std::string(key) + " must be a string"});
        return std::nullopt;
    }
    return std::string(v->as_string());
}

std::optional<bool> FieldReader::boolean(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_bool()) {
        errors_.push_back({std::string(key), std::string(key) + " must be true or false"});
        return std::nullopt;
    }
    return v->as_bool();
}

std::optional<users::Role> FieldReader::role(std::string_view key) {
    const auto t = text(key);
    if (!t) return std::nullopt;
    const auto r = users::parse_role(*t);
    if (!r) errors_.push_back({std::string(key), "unknown role '" + *t + "'"});
    return r;
}

std::int64_t minor_units(double major) {
    // The shortest decimal that reads back as `major` is the number as the client wrote it (for up to
    // 15 significant digits); its third decimal rounds. `major * 100` would round the binary double instead:
    // 1.005 is 1.00499999999999989... and would give 1.00, while 2.675 gave 2.68.
    std::array<char, 64> text{};
    const auto [end, ec] =
        std::to_chars(text.data(), text.data() + text.size(), std::fabs(major), std::chars_format::fixed);
    if (ec != std::errc{}) return static_cast<std::int64_t>(std::llround(major * 100.0));
    std::int64_t minor = 0;
    const char* p = text.data();
    for (; p != end && *p != '.'; ++p) minor = minor * 10 + (*p - '0');
    int decimals = 0;
    bool round_up = false;
    if (p != end) ++p;  // the point
    for (; p != end; ++p, ++decimals) {
        if (decimals < 2) {
            minor = minor * 10 + (*p - '0');
        } else {
            round_up = *p >= '5';
            break;
        }
    }
    for (; decimals < 2; ++decimals) minor *= 10;
    if (round_up) ++minor;
    return major < 0 ? -minor : minor;
}

std::optional<std::int64_t> FieldReader::money(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    const bool number = v->is_number();
    const double major = number ? v->to_number<double>() : 0.0;
    // The bound keeps the conversion to minor units exact and far from overflow.
    if (!number || !std::isfinite(major) || major < 0 || major > 1e12) {
        errors_.push_back({std::string(key), std::string(key) + " must be a number from 0 to 1000000000000"});
        return std::nullopt;
    }
    // Amounts round to the cent; one that rounds to nothing was not meant as nothing (a price of 0.001 is no free
    // product). Below a millionth it is a client's floating-point residue of 0 (0.1 + 0.2 - 0.3), read as 0.
    const std::int64_t minor = minor_units(major);
    if (minor == 0 && major >= 1e-6) {
        errors_.push_back({std::string(key), std::string(key) + " is more than 0 but less than 0.01 (amounts are kept "
                                                                "to the cent)"});
        return std::nullopt;
    }
    return minor;
}

std::optional<std::int64_t> FieldReader::integer(std::string_view key, std::int64_t lo, std::int64_t hi) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    std::optional<std::int64_t> n;
    if (v->is_int64()) {
        n = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(hi)) {
        n = static_cast<std::int64_t>(v->as_uint64());
    } else if (v->is_double()) {
        const double d = v->as_double();
        if (std::isfinite(d) && d == std::floor(d) && d >= -9e15 && d <= 9e15) n = static_cast<std::int64_t>(d);
    }
    if (!n || *n < lo || *n > hi) {
        errors_.push_back({std::string(key), fmt::format("{} must be a whole number from {} to {}", key, lo, hi)});
        return std::nullopt;
    }
    return n;
}

std::optional<std::vector<std::string>> FieldReader::strings(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    std::vector<std::string> out;
    if (v->is_array()) {
        for (const json::value& e : v->as_array()) {
            if (!e.is_string()) break;
            out.emplace_back(e.as_string());
        }
        if (out.size() == v->as_array().size()) return out;
    }
    errors_.push_back({std::string(key), std::string(key) + " must be an array of strings"});
    return std::nullopt;
}

std::string FieldReader::required_text(std::string_view key) {
    const std::size_t before = errors_.size();
    auto t = text(key);
    if (errors_.size() == before && (!t || t->empty()))
        errors_.push_back({std::string(key), std::string(key) + " is required"});
    return t.value_or("");
}

users::NewUser read_new_user(FieldReader& in) {
    users::NewUser u;
    u.email = in.required_text("email");
    u.first_name = in.required_text("firstName");
    u.last_name = in.required_text("lastName");
    u.phone_number = in.text("phoneNumber").value_or("");
    if (const auto r = in.role("role")) u.role = *r;
    u.commission_minor = in.money("commissionRate");
    u.delivery_rate_minor = in.money("deliveryRate");
    u.country = in.text("country").value_or("");
    u.vehicle_type = in.text("vehicleType").value_or("");
    u.vehicle_id = in.text("vehicleId").value_or("");
    u.location = in.text("location").value_or("");
    return u;
}

users::UserPatch read_user_patch(FieldReader& in) {
    users::UserPatch p;
    p.email = in.text("email");
    p.first_name = in.text("firstName");
    p.last_name = in.text("lastName");
    p.phone_number = in.text("phoneNumber");
    p.role = in.role("role");
    p.is_active = in.boolean("isActive");
    p.commission_minor = in.money("commissionRate");
    p.delivery_rate_minor = in.money("deliveryRate");
    p.country = in.text("country");
    p.vehicle_type = in.text("vehicleType");
    p.vehicle_id = in.text("vehicleId");
    p.location = in.text("location");
    return p;
}

}  // namespace codd::api

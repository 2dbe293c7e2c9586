#include "engine/users/user_events.hpp"

#include "engine/users/json_codec.hpp"

namespace codd::engine::users::events {
namespace {

NewEvent make(std::string_view type, const boost::json::object& payload) {
    NewEvent e;
    e.type = std::string(type);
    e.schema_version = 1;
    e.payload = json::serialize(payload);
    return e;
}

void put_if(boost::json::object& o, std::string_view key, const std::optional<std::string>& v) {
    if (v) o[key] = *v;
}

void put_if(boost::json::object& o, std::string_view key, const std::optional<std::int64_t>& v) {
    if (v) o[key] = *v;
}

}  // namespace

std::string user_stream(UserId id) {
    return "user-" + std::to_string(id);
}
std::string email_stream(std::string_view normalized_email) {
    return "user-email-" + std::string(normalized_email);
}
std::string session_stream(std::string_view family) {
    return "session-" + std::string(family);
}

NewEvent user_created(const User& u) {
    boost::json::object p{
        {"id", u.id},
        {"email", u.email},
        {"passwordHash", u.password_hash},
        {"firstName", u.first_name},
        {"lastName", u.last_name},
        {"phoneNumber", u.phone_number},
        {"role", to_string(u.role)},
        {"isActive", true},
        {"isAvailable", true},
        {"country", u.country},
        {"vehicleType", u.vehicle_type},
        {"vehicleId", u.vehicle_id},
        {"location", u.location},
    };
    put_if(p, "commissionMinor", u.commission_minor);
    put_if(p, "deliveryRateMinor", u.delivery_rate_minor);
    return make(kUserCreated, p);
}

NewEvent user_updated(UserId id, const UserPatch& c) {
    boost::json::object changes;
    put_if(changes, "email", c.email);
    put_if(changes, "firstName", c.first_name);
    put_if(changes, "lastName", c.last_name);
    put_if(changes, "phoneNumber", c.phone_number);
    put_if(changes, "country", c.country);
    put_if(changes, "vehicleType", c.vehicle_type);
    put_if(changes, "vehicleId", c.vehicle_id);
    put_if(changes, "location", c.location);
    put_if(changes, "commissionMinor", c.commission_minor);
    put_if(changes, "deliveryRateMinor", c.delivery_rate_minor);
    if (c.is_active && *c.is_active) changes["isActive"] = true;
    return make(kUserUpdated, {{"id", id}, {"changes", std::move(changes)}});
}

NewEvent user_role_changed(UserId id, Role role, Role previous) {
    return make(kUserRoleChanged, {{"id", id}, {"role", to_string(role)}, {"previousRole", to_string(previous)}});
}

NewEvent user_deactivated(UserId id) {
    return make(kUserDeactivated, {{"id", id}});
}

NewEvent user_password_reset(UserId id, const std::string& password_hash) {
    return make(kUserPasswordReset, {{"id", id}, {"passwordHash", password_hash}});
}

NewEvent user_availability_changed(UserId id, bool available) {
    return make(kUserAvailabilityChanged, {{"id", id}, {"isAvailable", available}});
}

NewEvent user_preferences_changed(UserId id, const std::string& preferences_json_object) {
    return make(kUserPreferencesChanged, {{"id", id}, {"preferences", json::parse_object(preferences_json_object)}});
}

NewEvent user_logged_in(UserId id) {
    return make(kUserLoggedIn, {{"id", id}});
}

NewEvent email_reserved(std::string_view normalized_email, UserId id) {
    return make(kEmailReserved, {{"email", normalized_email}, {"userId", id}});
}

NewEvent email_released(std::string_view normalized_email, UserId id) {
    return make(kEmailReleased, {{"email", normalized_email}, {"userId", id}});
}

NewEvent session_started(const Session& s) {
    return make(kSessionStarted, {{"family", s.family},
                                  {"userId", s.user_id},
                                  {"jtiSha256", s.current_jti_digest},
                                  {"expiresUs", s.expires_us},
                                  {"userVersion", s.user_version}});
}

NewEvent session_rotated(std::string_view family, std::string_view jti_digest, std::int64_t expires_us) {
    return make(kSessionRotated, {{"family", family}, {"jtiSha256", jti_digest}, {"expiresUs", expires_us}});
}

NewEvent session_revoked(std::string_view family, UserId user, RevokeReason reason) {
    return make(kSessionRevoked, {{"family", family}, {"userId", user}, {"reason", to_string(reason)}});
}

NewEvent permissions_updated(const PermissionMatrix& m) {
    return make(kPermissionsUpdated, {{"permissions", json::permissions_to_json(m)}});
}

NewEvent settings_updated(const std::string& changes_json_object) {
    return make(kSettingsUpdated, {{"changes", json::parse_object(changes_json_object)}});
}

}  // namespace codd::engine::users::events

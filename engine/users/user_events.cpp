#include "engine/users/user_events.hpp"

#include "engine/users/json_codec.hpp"

namespace codd::engine::users::events {

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
    json::put_if(p, "commissionMinor", u.commission_minor);
    json::put_if(p, "deliveryRateMinor", u.delivery_rate_minor);
    return json::make_event(kUserCreated, p);
}

NewEvent user_updated(UserId id, const UserPatch& c) {
    boost::json::object changes;
    json::put_if(changes, "email", c.email);
    json::put_if(changes, "firstName", c.first_name);
    json::put_if(changes, "lastName", c.last_name);
    json::put_if(changes, "phoneNumber", c.phone_number);
    json::put_if(changes, "country", c.country);
    json::put_if(changes, "vehicleType", c.vehicle_type);
    json::put_if(changes, "vehicleId", c.vehicle_id);
    json::put_if(changes, "location", c.location);
    json::put_if(changes, "commissionMinor", c.commission_minor);
    json::put_if(changes, "deliveryRateMinor", c.delivery_rate_minor);
    if (c.is_active && *c.is_active) changes["isActive"] = true;
    return json::make_event(kUserUpdated, {{"id", id}, {"changes", std::move(changes)}});
}

NewEvent user_role_changed(UserId id, Role role, Role previous) {
    return json::make_event(kUserRoleChanged, {{"id", id}, {"role", to_string(role)}, {"previousRole", to_string(previous)}});
}

NewEvent user_deactivated(UserId id) {
    return json::make_event(kUserDeactivated, {{"id", id}});
}

NewEvent user_password_reset(UserId id, const std::string& password_hash) {
    return json::make_event(kUserPasswordReset, {{"id", id}, {"passwordHash", password_hash}});
}

NewEvent user_availability_changed(UserId id, bool available) {
    return json::make_event(kUserAvailabilityChanged, {{"id", id}, {"isAvailable", available}});
}

NewEvent user_preferences_changed(UserId id, const std::string& preferences_json_object) {
    return json::make_event(kUserPreferencesChanged, {{"id", id}, {"preferences", json::parse_object(preferences_json_object)}});
}

NewEvent user_logged_in(UserId id) {
    return json::make_event(kUserLoggedIn, {{"id", id}});
}

NewEvent email_reserved(std::string_view normalized_email, UserId id) {
    return json::make_event(kEmailReserved, {{"email", normalized_email}, {"userId", id}});
}

NewEvent email_released(std::string_view normalized_email, UserId id) {
    return json::make_event(kEmailReleased, {{"email", normalized_email}, {"userId", id}});
}

NewEvent session_started(const Session& s) {
    return json::make_event(kSessionStarted, {{"family", s.family},
                                  {"userId", s.user_id},
                                  {"jtiSha256", s.current_jti_digest},
                                  {"expiresUs", s.expires_us},
                                  {"userVersion", s.user_version}});
}

NewEvent session_rotated(std::string_view family, std::string_view jti_digest, std::int64_t expires_us) {
    return json::make_event(kSessionRotated, {{"family", family}, {"jtiSha256", jti_digest}, {"expiresUs", expires_us}});
}

NewEvent session_revoked(std::string_view family, UserId user, RevokeReason reason) {
    return json::make_event(kSessionRevoked, {{"family", family}, {"userId", user}, {"reason", to_string(reason)}});
}

NewEvent permissions_updated(const PermissionMatrix& m) {
    return json::make_event(kPermissionsUpdated, {{"permissions", json::permissions_to_json(m)}});
}

NewEvent settings_updated(const std::string& changes_json_object) {
    return json::make_event(kSettingsUpdated, {{"changes", json::parse_object(changes_json_object)}});
}

}  // namespace codd::engine::users::events

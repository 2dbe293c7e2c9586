#pragma once
// The identity events: stream names, type names and payload encoders. Payloads are JSON objects with
// camelCase keys (the REST API's), schema version 1, money in minor units. No payload carries a token or
// a token id (only SHA-256 digests of jtis); the only secret-derived value is the user's own argon2id
// hash in UserCreated and UserPasswordReset, which the directory needs to log users in after a restart.

#include <string>
#include <string_view>

#include "engine/envelope.hpp"
#include "engine/users/user.hpp"
#include "engine/users/user_service.hpp"

namespace codd::engine::users::events {

inline constexpr std::string_view kUserCreated = "UserCreated";
inline constexpr std::string_view kUserUpdated = "UserUpdated";
inline constexpr std::string_view kUserRoleChanged = "UserRoleChanged";
inline constexpr std::string_view kUserDeactivated = "UserDeactivated";
inline constexpr std::string_view kUserPasswordReset = "UserPasswordReset";
inline constexpr std::string_view kUserAvailabilityChanged = "UserAvailabilityChanged";
inline constexpr std::string_view kUserPreferencesChanged = "UserPreferencesChanged";
inline constexpr std::string_view kUserLoggedIn = "UserLoggedIn";
inline constexpr std::string_view kEmailReserved = "EmailReserved";
inline constexpr std::string_view kEmailReleased = "EmailReleased";
inline constexpr std::string_view kSessionStarted = "SessionStarted";
inline constexpr std::string_view kSessionRotated = "SessionRotated";
inline constexpr std::string_view kSessionRevoked = "SessionRevoked";
inline constexpr std::string_view kPermissionsUpdated = "PermissionsUpdated";
inline constexpr std::string_view kSettingsUpdated = "SettingsUpdated";

inline constexpr std::string_view kUserSequence = "user";
inline constexpr std::string_view kPermissionsStream = "settings-permissions";
inline constexpr std::string_view kSettingsStream = "settings-system";

std::string user_stream(UserId id);
std::string email_stream(std::string_view normalized_email);
std::string session_stream(std::string_view family);

NewEvent user_created(const User& u);
// Every field set in `changes` except role (UserRoleChanged) and is_active = false (UserDeactivated).
NewEvent user_updated(UserId id, const UserPatch& changes);
NewEvent user_role_changed(UserId id, Role role, Role previous);
NewEvent user_deactivated(UserId id);
NewEvent user_password_reset(UserId id, const std::string& password_hash);
NewEvent user_availability_changed(UserId id, bool available);
NewEvent user_preferences_changed(UserId id, const std::string& preferences_json_object);
NewEvent user_logged_in(UserId id);
NewEvent email_reserved(std::string_view normalized_email, UserId id);
NewEvent email_released(std::string_view normalized_email, UserId id);
NewEvent session_started(const Session& s);
NewEvent session_rotated(std::string_view family, std::string_view jti_digest, std::int64_t expires_us);
NewEvent session_revoked(std::string_view family, UserId user, RevokeReason reason);
NewEvent permissions_updated(const PermissionMatrix& m);
NewEvent settings_updated(const std::string& changes_json_object);

}  // namespace codd::engine::users::events

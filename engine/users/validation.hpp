#pragma once
// Input checks of the identity commands, with field-level rejections named as the REST API names fields.
// Each normalizer trims what it is given and returns the first problem it finds.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/users/user_service.hpp"

namespace codd::engine::users {

inline constexpr std::size_t kMaxNameChars = 100;
inline constexpr std::size_t kMaxEmailBytes = 254;
inline constexpr std::size_t kMaxPreferencesBytes = 16 * 1024;
inline constexpr std::size_t kMaxSettingsBytes = 64 * 1024;

Rejection invalid(std::string field, std::string message);

std::string trim(std::string_view s);
bool valid_email(std::string_view normalized_email);

// Trims, lower-cases the email, and checks every field.
std::optional<Rejection> normalize(NewUser& u);
// The same without the password hash, for callers that hash only input that is otherwise valid.
std::optional<Rejection> normalize_profile(NewUser& u);
std::optional<Rejection> normalize(UserPatch& p);

// Checks an encoded password hash: argon2id only, so plaintext can never be stored by mistake.
std::optional<Rejection> check_password_hash(const std::string& hash);

// The canonical text of a JSON object of at most `max_bytes`, or the rejection for `field`.
std::variant<std::string, Rejection> canonical_object(std::string_view text, std::string_view field,
                                                      std::size_t max_bytes);

std::optional<Rejection> check_permissions(const PermissionMatrix& m);

// The top-level keys of `input` whose value differs from `current`, as a JSON object ("{}" if none);
// or a rejection for a malformed input or a known key of the wrong type.
std::variant<std::string, Rejection> settings_changes(const std::string& current, std::string_view input);

}  // namespace codd::engine::users

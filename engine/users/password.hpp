#pragma once
// Password hashing (argon2id via libsodium) and the password policy of the replaced system: at least 8
// characters with an upper-case letter, a lower-case letter, a digit and a special character; codd also
// caps the length at 128 characters (argon2 of a megabyte "password" would be a cheap denial of service).

#include <optional>
#include <string>
#include <string_view>

namespace codd::engine::users {

// nullopt when the password satisfies the policy, else what is missing (a message for the user).
std::optional<std::string> password_policy_violation(std::string_view password);

// argon2id, encoded with its parameters and salt (crypto_pwhash_str). Slow on purpose (~tens of ms):
// call it off network threads. Throws std::runtime_error if libsodium fails (out of memory).
std::string hash_password(std::string_view password);

// Constant-time verification against an encoded hash; false for a malformed hash.
bool verify_password(std::string_view password, const std::string& encoded_hash);

// True for an encoded argon2id hash (what UserService accepts as a password hash; never plaintext).
bool is_argon2id_hash(std::string_view encoded_hash);

// SHA-256 of a token id, lower-case hex: what the log and the directory keep of refresh-token ids.
std::string token_digest(std::string_view token);

}  // namespace codd::engine::users

#pragma once
// JSON Web Tokens, HS256 only (RFC 7519 / 7515), for codd's access and refresh tokens (DESIGN §7).
//
// The payload keeps the replaced system's `{id:number, email, role}` (reference §3) and adds `type`
// ("access" / "refresh": a refresh token is never accepted as an access token, nor the reverse), `iat`, `exp`,
// `jti`, and the session family `fam` (required in refresh tokens). Verification is deliberately strict: exactly
// HS256 (no "none", no other algorithm, whatever the header asks), canonical base64url, a signature compared in
// constant time, and every claim present with its type. Access and refresh tokens use separate secrets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace codd::api {

enum class TokenType { access, refresh };

std::string_view to_string(TokenType t);

struct TokenClaims {
    std::int64_t user_id = 0;
    std::string email;
    std::string role;
    TokenType type = TokenType::access;
    std::int64_t issued_at = 0;   // seconds since the epoch
    std::int64_t expires_at = 0;  // seconds since the epoch
    std::string jti;
    // The session (refresh-token family) the token belongs to: required in refresh tokens; in access tokens
    // it lets logout and revocation end the access token with its session.
    std::string family;
};

enum class TokenError {
    malformed,      // not three canonical base64url parts of JSON, or a claim missing or of the wrong type
    bad_algorithm,  // the header names anything but HS256, "none" included
    bad_signature,  // signed with another key, or altered
    wrong_type,     // a refresh token presented as an access token, or the reverse
    expired,
};

// "Invalid token" or "Token expired": what a client is told (never which check failed).
std::string_view describe(TokenError e);

[[nodiscard]] std::string sign_token(const TokenClaims& claims, std::string_view secret);

// Checks in this order: shape, algorithm, signature, claims, type, expiry (`now` in seconds since the epoch;
// a token is expired from its `exp` second on).
[[nodiscard]] std::variant<TokenClaims, TokenError> verify_token(std::string_view token, std::string_view secret,
                                                                 TokenType expected, std::int64_t now);

// Unpadded base64url (RFC 4648 §5). decode accepts only the canonical encoding (no padding, no stray bits).
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

// HMAC-SHA256 of `data` under `key` (32 bytes).
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace codd::api

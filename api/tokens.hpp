#pragma once
// Issuing and checking codd's tokens: HS256 JWTs (jwt.hpp) with the configured secrets and lifetimes and the
// injected clock. Access tokens are stateless; a refresh token names its session family (`fam`) and its id
// (`jti`), which UserService checks and rotates, so revocation and reuse detection live in the event log.

#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "api/jwt.hpp"
#include "engine/clock.hpp"
#include "engine/users/user.hpp"

namespace codd::api {

struct TokenSettings {
    std::string access_secret;
    std::string refresh_secret;
    std::chrono::seconds access_ttl{15 * 60};
    std::chrono::seconds refresh_ttl{7 * 24 * 3600};
};

class TokenService {
  public:
    TokenService(TokenSettings settings, std::shared_ptr<engine::Clock> clock,
                 std::shared_ptr<engine::IdGenerator> ids);

    // `family`: the session the token was issued for (empty: none).
    [[nodiscard]] std::string issue_access(const engine::users::User& user, const std::string& family) const;
    // `jti` and `family` come from the session that UserService started or rotated.
    [[nodiscard]] std::string issue_refresh(const engine::users::User& user, const std::string& family,
                                            const std::string& jti) const;

    [[nodiscard]] std::variant<TokenClaims, TokenError> verify_access(std::string_view token) const;
    [[nodiscard]] std::variant<TokenClaims, TokenError> verify_refresh(std::string_view token) const;

    // When a refresh token issued now expires, in microseconds since the epoch (the session's expiry).
    [[nodiscard]] std::int64_t refresh_expiry_us() const;

  private:
    [[nodiscard]] std::int64_t now_s() const;

    TokenSettings settings_;
    std::shared_ptr<engine::Clock> clock_;
    std::shared_ptr<engine::IdGenerator> ids_;
};

}  // namespace codd::api

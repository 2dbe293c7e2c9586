#include "api/tokens.hpp"

namespace codd::api {

TokenService::TokenService(TokenSettings settings, std::shared_ptr<engine::Clock> clock,
                           std::shared_ptr<engine::IdGenerator> ids)
    : settings_(std::move(settings)), clock_(std::move(clock)), ids_(std::move(ids)) {}

std::int64_t TokenService::now_s() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_->now().time_since_epoch()).count();
}

std::string TokenService::issue_access(const engine::users::User& user, const std::string& family) const {
    const std::int64_t now = now_s();
    TokenClaims c{user.id,
                  user.email,
                  engine::users::to_string(user.role),
                  TokenType::access,
                  now,
                  now + settings_.access_ttl.count(),
                  ids_->next(),
                  family};
    return sign_token(c, settings_.access_secret);
}

std::string TokenService::issue_refresh(const engine::users::User& user, const std::string& family,
                                        const std::string& jti) const {
    const std::int64_t now = now_s();
    TokenClaims c{user.id,
                  user.email,
                  engine::users::to_string(user.role),
                  TokenType::refresh,
                  now,
                  now + settings_.refresh_ttl.count(),
                  jti,
                  family};
    return sign_token(c, settings_.refresh_secret);
}

std::variant<TokenClaims, TokenError> TokenService::verify_access(std::string_view token) const {
    return verify_token(token, settings_.access_secret, TokenType::access, now_s());
}

std::variant<TokenClaims, TokenError> TokenService::verify_refresh(std::string_view token) const {
    return verify_token(token, settings_.refresh_secret, TokenType::refresh, now_s());
}

std::int64_t TokenService::refresh_expiry_us() const {
    return engine::to_us(clock_->now()) +
           std::chrono::duration_cast<std::chrono::microseconds>(settings_.refresh_ttl).count();
}

}  // namespace codd::api

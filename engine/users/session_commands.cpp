// The session commands of UserService: refresh-token families with rotation and reuse detection.
#include "engine/users/password.hpp"
#include "engine/users/service_state.hpp"
#include "engine/users/user_events.hpp"
#include "engine/users/validation.hpp"

namespace codd::engine::users {
namespace {

StreamAppend revocation(const Session& s, RevokeReason reason) {
    return {
        events::session_stream(s.family), expect(s.version), {events::session_revoked(s.family, s.user_id, reason)}};
}

}  // namespace

void revoke_live_sessions(const Directory& d, UserId id, RevokeReason reason, std::int64_t now_us,
                          std::vector<StreamAppend>& out) {
    for (const Session* s : d.live_sessions(id, now_us)) out.push_back(revocation(*s, reason));
}

Result<Session> UserService::start_session(UserId id, std::int64_t expires_us, const EventMetadata& meta) {
    if (expires_us <= now_us()) return invalid("expiresAt", "a session must expire in the future");
    const std::string family = ids_->next();
    const std::string jti = ids_->next();
    auto decide = [&](const Directory& d) -> Decision {
        const User* u = d.user(id);
        if (u == nullptr) return not_found("user " + std::to_string(id));
        if (!u->is_active) return unauthorized("the account is deactivated");
        Session s;
        s.family = family;
        s.user_id = id;
        s.current_jti_digest = token_digest(jti);
        s.expires_us = expires_us;
        // Recorded so that a deactivation or password reset decided concurrently still kills this session.
        s.user_version = u->version;
        return request_for(
            {{events::session_stream(family), ExpectedVersion::no_stream(), {events::session_started(s)}}});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    Session s = session(family).value();
    s.current_jti = jti;
    return s;
}

Result<Session> UserService::rotate_session(const std::string& family, const std::string& jti, std::int64_t expires_us,
                                            const EventMetadata& meta) {
    const std::string presented = token_digest(jti);
    const std::string next_jti = ids_->next();
    const std::int64_t now = now_us();
    // Set by a decision that revokes instead of rotating: the command then ends in this refusal.
    std::optional<Rejection> refusal;
    auto decide = [&](const Directory& d) -> Decision {
        refusal.reset();
        const Session* s = d.session(family);
        if (s == nullptr) return unauthorized("unknown session");
        if (s->revoked) return unauthorized("the session is revoked");
        if (s->retired_jtis.contains(presented)) {
            refusal = unauthorized("refresh token reuse detected; the session is revoked");
            return request_for({revocation(*s, RevokeReason::reuse_detected)});
        }
        if (presented != s->current_jti_digest) return unauthorized("unknown refresh token");
        if (s->expires_us <= now) return unauthorized("the session has expired");
        const User* u = d.user(s->user_id);
        if (u == nullptr) return unauthorized("unknown user");
        if (!u->is_active || s->user_version < u->sessions_revoked_at) {
            // Started concurrently with a deactivation or reset that could not see it: end it now.
            refusal = unauthorized("the session is revoked");
            const auto why = u->is_active ? RevokeReason::password_reset : RevokeReason::user_deactivated;
            return request_for({revocation(*s, why)});
        }
        if (expires_us <= now) return invalid("expiresAt", "a session must expire in the future");
        return request_for({{events::session_stream(family),
                             expect(s->version),
                             {events::session_rotated(family, token_digest(next_jti), expires_us)}}});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    if (refusal) return *refusal;
    Session s = session(family).value();
    s.current_jti = next_jti;
    return s;
}

Result<bool> UserService::revoke_session(const std::string& family, const EventMetadata& meta) {
    bool revoked_now = false;
    auto decide = [&](const Directory& d) -> Decision {
        revoked_now = false;
        const Session* s = d.session(family);
        if (s == nullptr) return not_found("session");
        if (s->revoked) return AppendRequest{};
        revoked_now = true;
        return request_for({revocation(*s, RevokeReason::logout)});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return revoked_now;
}

Result<std::size_t> UserService::revoke_all_sessions(UserId id, RevokeReason reason, const EventMetadata& meta) {
    const std::int64_t now = now_us();
    std::size_t revoked_now = 0;
    auto decide = [&](const Directory& d) -> Decision {
        if (d.user(id) == nullptr) return not_found("user " + std::to_string(id));
        std::vector<StreamAppend> streams;
        revoke_live_sessions(d, id, reason, now, streams);
        revoked_now = streams.size();
        return request_for(std::move(streams));
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return revoked_now;
}

}  // namespace codd::engine::users

// Sessions (refresh-token families): start, rotation, reuse detection, logout, and the revocations that
// deactivation and password reset cause.
#include <doctest/doctest.h>

#include "tests/engine/users_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::users;
using namespace codd::test;

namespace {

struct SessionFixture : UsersFixture {
    SessionFixture() { user = ok(service->create_user(new_user("ama@example.com"), admin_meta())); }
    Session start() { return ok(service->start_session(user.id, now_us() + 7 * 24 * kHourUs, admin_meta())); }
    Result<Session> rotate(const Session& s) {
        return service->rotate_session(s.family, s.current_jti, now_us() + 7 * 24 * kHourUs, admin_meta());
    }
    User user;
};

}  // namespace

TEST_CASE("users: start_session returns the raw jti once, the directory keeps only its digest") {
    SessionFixture f;
    const Session s = f.start();
    CHECK_FALSE(s.family.empty());
    CHECK_FALSE(s.current_jti.empty());
    CHECK(s.current_jti_digest == token_digest(s.current_jti));
    CHECK(s.user_id == f.user.id);
    CHECK_FALSE(s.revoked);
    const Session stored = f.service->session(s.family).value();
    CHECK(stored.current_jti.empty());
    CHECK(stored.current_jti_digest == s.current_jti_digest);
    const auto events = f.stream("session-" + s.family);
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == "SessionStarted");
    CHECK(events[0].payload.find(s.current_jti) == std::string::npos);
    CHECK(rejected(f.service->start_session(f.user.id, f.now_us(), admin_meta())).kind == Rejection::Kind::invalid);
}

TEST_CASE("users: rotation replaces the jti, the old one is retired") {
    SessionFixture f;
    const Session s = f.start();
    const Session r = ok(f.rotate(s));
    CHECK(r.family == s.family);
    CHECK(r.current_jti != s.current_jti);
    CHECK(r.retired_jtis.contains(token_digest(s.current_jti)));
    const Session r2 = ok(f.rotate(r));
    CHECK(r2.retired_jtis.size() == 2);
    CHECK(f.stream("session-" + s.family).back().type == "SessionRotated");
}

TEST_CASE("users: presenting a rotated jti again revokes the whole family (reuse detection)") {
    SessionFixture f;
    const Session s = f.start();
    const Session r = ok(f.rotate(s));
    // when the old token is replayed
    const Rejection reuse = rejected(f.rotate(s));
    // then it is refused and the family is revoked, so the newest token stops working too
    CHECK(reuse.kind == Rejection::Kind::unauthorized);
    CHECK(reuse.message.find("reuse") != std::string::npos);
    const Session after = f.service->session(s.family).value();
    CHECK(after.revoked);
    CHECK(after.revoked_reason == "reuse_detected");
    CHECK(f.stream("session-" + s.family).back().type == "SessionRevoked");
    CHECK(rejected(f.rotate(r)).kind == Rejection::Kind::unauthorized);
}

TEST_CASE("users: unknown families and jtis, expired sessions and inactive users are refused") {
    SessionFixture f;
    const Session s = f.start();
    CHECK(rejected(f.service->rotate_session("nope", s.current_jti, f.now_us() + kHourUs, admin_meta())).kind ==
          Rejection::Kind::unauthorized);
    // A jti that never belonged to the family: refused, the family lives on.
    CHECK(rejected(f.service->rotate_session(s.family, "forged", f.now_us() + kHourUs, admin_meta())).kind ==
          Rejection::Kind::unauthorized);
    CHECK_FALSE(f.service->session(s.family)->revoked);

    const Session short_lived = ok(f.service->start_session(f.user.id, f.now_us() + kHourUs, admin_meta()));
    f.clock->advance(std::chrono::hours(2));
    const Rejection expired = rejected(f.rotate(short_lived));
    CHECK(expired.kind == Rejection::Kind::unauthorized);
    CHECK(expired.message == "the session has expired");
}

TEST_CASE("users: logout revokes the family once") {
    SessionFixture f;
    const Session s = f.start();
    CHECK(ok(f.service->revoke_session(s.family, admin_meta())) == true);
    CHECK(f.service->session(s.family)->revoked_reason == "logout");
    CHECK(ok(f.service->revoke_session(s.family, admin_meta())) == false);
    CHECK(rejected(f.service->revoke_session("nope", admin_meta())).kind == Rejection::Kind::not_found);
    CHECK(rejected(f.rotate(s)).kind == Rejection::Kind::unauthorized);
}

TEST_CASE("users: deactivation revokes every live session in the same append") {
    SessionFixture f;
    const Session a = f.start();
    const Session b = f.start();
    ok(f.service->revoke_session(b.family, admin_meta()));
    const Session c = f.start();
    // when
    ok(f.service->deactivate_user(f.user.id, admin_meta()));
    // then
    const auto deactivated = f.stream("user-1001").back();
    CHECK(deactivated.type == "UserDeactivated");
    for (const Session* s : {&a, &c}) {
        const auto revoked = f.stream("session-" + s->family).back();
        CHECK(revoked.type == "SessionRevoked");
        CHECK(revoked.payload.find("\"reason\":\"user_deactivated\"") != std::string::npos);
        CHECK(revoked.position.value() > deactivated.position.value());
        CHECK(revoked.position.value() <= deactivated.position.value() + 2);
        CHECK(rejected(f.rotate(*s)).kind == Rejection::Kind::unauthorized);
    }
    CHECK(f.service->session(b.family)->revoked_reason == "logout");  // already ended: not revoked twice
    CHECK(rejected(f.service->start_session(f.user.id, f.now_us() + kHourUs, admin_meta())).kind ==
          Rejection::Kind::unauthorized);
}

TEST_CASE("users: password reset revokes every session, new sessions work") {
    SessionFixture f;
    const Session a = f.start();
    ok(f.service->reset_password(f.user.id, test_password_hash(), admin_meta()));
    CHECK(f.service->session(a.family)->revoked_reason == "password_reset");
    CHECK(rejected(f.rotate(a)).kind == Rejection::Kind::unauthorized);
    const Session fresh = f.start();
    CHECK_FALSE(ok(f.rotate(fresh)).revoked);
}

TEST_CASE("users: a session started against a user version older than a reset cannot be rotated") {
    // The race this closes: a login decided just before a concurrent reset, whose SessionRevoked list
    // could not include the new session. Reproduced with a SessionStarted that records an old user version.
    SessionFixture f;
    ok(f.service->reset_password(f.user.id, test_password_hash(), admin_meta()));  // user-1001 at version 1
    Session late;
    late.family = "late-family";
    late.user_id = f.user.id;
    late.current_jti_digest = token_digest("late-jti");
    late.expires_us = f.now_us() + kHourUs;
    late.user_version = 0;  // decided before the reset
    NewEvent started;
    started.type = "SessionStarted";
    started.payload = R"({"family":"late-family","userId":1001,"jtiSha256":")" + late.current_jti_digest +
                      R"(","expiresUs":)" + std::to_string(late.expires_us) + R"(,"userVersion":0})";
    REQUIRE(
        f.log->append(request({to_stream("session-late-family", ExpectedVersion::no_stream(), {started})})).status ==
        AppendStatus::ok);
    f.reopen();  // the directory learns of it from the log
    const Rejection r =
        rejected(f.service->rotate_session("late-family", "late-jti", f.now_us() + kHourUs, admin_meta()));
    CHECK(r.kind == Rejection::Kind::unauthorized);
    CHECK(f.service->session("late-family")->revoked_reason == "password_reset");
}

TEST_CASE("users: revoke_all_sessions ends every live session of the user, and only theirs, in one append") {
    SessionFixture f;
    const User other = ok(f.service->create_user(new_user("kofi@example.com"), admin_meta()));
    const Session a = f.start();
    const Session b = f.start();
    const Session ended = f.start();
    ok(f.service->revoke_session(ended.family, admin_meta()));
    const Session expired = ok(f.service->start_session(f.user.id, f.now_us() + kHourUs, admin_meta()));
    const Session others = ok(f.service->start_session(other.id, f.now_us() + 7 * 24 * kHourUs, admin_meta()));
    f.clock->advance(std::chrono::hours(2));
    const auto head = f.log->head().value();
    // when
    CHECK(ok(f.service->revoke_all_sessions(f.user.id, RevokeReason::logout, admin_meta())) == 2);
    // then both live sessions end, atomically (adjacent positions of one append), with the reason given
    for (const Session* s : {&a, &b}) {
        const auto revoked = f.stream("session-" + s->family).back();
        CHECK(revoked.type == "SessionRevoked");
        CHECK(revoked.payload.find("\"reason\":\"logout\"") != std::string::npos);
        CHECK(revoked.position.value() > head);
        CHECK(revoked.position.value() <= head + 2);
        CHECK(f.service->session(s->family)->revoked_reason == "logout");
        CHECK(rejected(f.rotate(*s)).kind == Rejection::Kind::unauthorized);
    }
    CHECK(f.log->head().value() == head + 2);
    // an ended or expired session is not revoked again; another user's session lives on
    CHECK(f.stream("session-" + ended.family).size() == 2);
    CHECK_FALSE(f.service->session(expired.family)->revoked);
    CHECK_FALSE(ok(f.rotate(others)).revoked);
}

TEST_CASE("users: revoke_all_sessions with nothing live appends nothing, an unknown user is not found") {
    SessionFixture f;
    const auto head = f.log->head().value();
    CHECK(ok(f.service->revoke_all_sessions(f.user.id, RevokeReason::logout, admin_meta())) == 0);
    CHECK(f.log->head().value() == head);
    CHECK(rejected(f.service->revoke_all_sessions(4242, RevokeReason::logout, admin_meta())).kind ==
          Rejection::Kind::not_found);
    // Sessions started afterwards work; after a reopen the index of sessions by user is rebuilt from the log.
    const Session later = f.start();
    f.reopen();
    CHECK(ok(f.service->revoke_all_sessions(f.user.id, RevokeReason::logout, admin_meta())) == 1);
    CHECK(f.service->session(later.family)->revoked);
}

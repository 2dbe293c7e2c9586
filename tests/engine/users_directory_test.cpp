// The directory: rebuilt from the log it equals the live one; applying is idempotent and ignores other
// streams; concurrent commands race through the log's expected versions.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "engine/users/directory.hpp"
#include "tests/engine/users_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::users;
using namespace codd::test;

namespace {

struct Snapshot {
    std::vector<User> users;
    std::vector<std::optional<Session>> sessions;
    PermissionMatrix permissions;
    std::string settings;
    std::size_t count = 0;
    bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const UserService& s, const std::vector<std::string>& families) {
    Snapshot out;
    UserQuery q;
    q.limit = 100;
    out.users = s.list(q).users;
    for (const auto& f : families) out.sessions.push_back(s.session(f));
    out.permissions = s.permissions();
    out.settings = s.settings_json();
    out.count = s.user_count();
    return out;
}

}  // namespace

TEST_CASE("users: the directory rebuilt after a reopen equals the live one") {
    UsersFixture f;
    // given a history that touches every event type, interleaved with unrelated streams
    const User ama = ok(f.service->create_user(new_user("ama@example.com", Role::admin), admin_meta()));
    REQUIRE(f.log->append(request({to_stream("order-1001", ExpectedVersion::no_stream(), {event("OrderCreated")})}))
                .committed());
    const User kofi = ok(f.service->create_user(new_user("kofi@example.com", Role::delivery_agent), admin_meta()));
    f.clock->advance(std::chrono::seconds(1));
    UserPatch p;
    p.email = "kofi.b@example.com";
    p.vehicle_type = "motorbike";
    p.delivery_rate_minor = 1500;
    p.role = Role::manager;
    ok(f.service->update_user(kofi.id, p, admin_meta()));
    ok(f.service->set_availability(kofi.id, false, admin_meta()));
    ok(f.service->set_preferences(ama.id, R"({"theme":"dark"})", admin_meta()));
    ok(f.service->record_login(ama.id, admin_meta()));
    std::vector<std::string> families;
    const Session s1 = ok(f.service->start_session(ama.id, f.now_us() + kHourUs, admin_meta()));
    const Session s1b =
        ok(f.service->rotate_session(s1.family, s1.current_jti, f.now_us() + 2 * kHourUs, admin_meta()));
    const Session s2 = ok(f.service->start_session(ama.id, f.now_us() + kHourUs, admin_meta()));
    ok(f.service->revoke_session(s2.family, admin_meta()));
    const Session s3 = ok(f.service->start_session(kofi.id, f.now_us() + kHourUs, admin_meta()));
    rejected(f.service->rotate_session(s1.family, s1.current_jti, f.now_us() + kHourUs, admin_meta()));  // reuse
    ok(f.service->reset_password(ama.id, test_password_hash(), admin_meta()));
    ok(f.service->deactivate_user(kofi.id, admin_meta()));
    PermissionMatrix m = default_permissions();
    m[Role::sales_rep]["analytics"] = {"view"};
    ok(f.service->set_permissions(m, admin_meta()));
    ok(f.service->merge_settings(R"({"businessName":"Accra Goods","currency":"GHS","extra":{"a":1}})", admin_meta()));
    ok(f.service->create_user(new_user("ama.two@example.com"), admin_meta()));
    families = {s1.family, s2.family, s3.family, "unknown-family"};
    const Snapshot live = snapshot(*f.service, families);
    REQUIRE(live.users.size() == 3);
    CHECK(live.sessions[0]->revoked_reason == "reuse_detected");
    CHECK(live.sessions[0]->retired_jtis.contains(token_digest(s1.current_jti)));
    CHECK(live.sessions[0]->current_jti_digest == s1b.current_jti_digest);
    // when
    f.reopen();
    // then
    CHECK(snapshot(*f.service, families) == live);
    CHECK(f.service->find_by_email("kofi.b@example.com")->id == kofi.id);
    CHECK_FALSE(f.service->find_by_email("kofi@example.com").has_value());
    // and the rebuilt service keeps deciding from where the live one stopped
    CHECK(ok(f.service->create_user(new_user("yaw@example.com"), admin_meta())).id == 1004);
    CHECK(rejected(f.service->create_user(new_user("Kofi.B@example.com"), admin_meta())).field == "email");
}

TEST_CASE("users: applying is idempotent and ignores other event types") {
    UsersFixture f;
    ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    ok(f.service->set_availability(1001, false, admin_meta()));
    REQUIRE(f.log->append(request({to_stream("order-1001", ExpectedVersion::no_stream(), {event("OrderCreated")})}))
                .committed());
    Directory once, twice;
    f.log->scan(GlobalPosition{1}, [&](const RecordedEvent& e) {
        once.apply(e);
        twice.apply(e);
        twice.apply(e);
        return true;
    });
    // Replaying the whole log again on top changes nothing either.
    f.log->scan(GlobalPosition{1}, [&](const RecordedEvent& e) {
        twice.apply(e);
        return true;
    });
    CHECK(once.users() == twice.users());
    CHECK(once.emails().size() == 1);
    CHECK(twice.emails().size() == 1);
    CHECK_FALSE(once.user(1001)->is_available);
    CHECK(once.applied_version("user-1001") == 1);
    CHECK(once.applied_version("order-1001") == -1);
    CHECK_FALSE(Directory::is_identity_event("OrderCreated"));
    CHECK(Directory::is_identity_event("SessionRotated"));
}

TEST_CASE("users: a malformed identity payload is reported with its position") {
    Directory d;
    RecordedEvent e;
    e.position = GlobalPosition{7};
    e.stream = "user-1001";
    e.version = StreamVersion{0};
    e.type = "UserCreated";
    e.payload = R"({"id":1001})";
    CHECK_THROWS_WITH_AS(d.apply(e), doctest::Contains("position 7"), std::runtime_error);
}

TEST_CASE("users: concurrent creates with one email in different cases: exactly one succeeds") {
    UsersFixture f;
    constexpr int kThreads = 8;
    std::atomic<int> ready{0};
    std::vector<Result<User>> results(kThreads, Rejection{});
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            NewUser u = new_user(i % 2 == 0 ? "Race@Example.com" : "race@example.COM");
            u.first_name = "T" + std::to_string(i);
            ++ready;
            while (ready.load() < kThreads) std::this_thread::yield();
            results[i] = f.service->create_user(u, admin_meta());
        });
    }
    for (auto& t : threads) t.join();
    int wins = 0;
    for (const auto& r : results) {
        if (std::holds_alternative<User>(r)) {
            ++wins;
            continue;
        }
        const auto& rej = std::get<Rejection>(r);
        CHECK(rej.kind == Rejection::Kind::conflict);
        CHECK(rej.field == "email");
    }
    CHECK(wins == 1);
    CHECK(f.service->user_count() == 1);
    CHECK(f.stream("user-email-race@example.com").size() == 1);
    f.reopen();
    CHECK(f.service->user_count() == 1);
}

TEST_CASE("users: concurrent updates of one user retry on conflicts and all land") {
    UsersFixture f;
    const User u = ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    constexpr int kThreads = 4;
    constexpr int kEach = 5;
    std::atomic<int> applied{0}, gave_up{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const std::string prefs = R"({"writer":)" + std::to_string(t) + R"(,"n":)" + std::to_string(i) + "}";
                const auto r = f.service->set_preferences(u.id, prefs, admin_meta());
                if (std::holds_alternative<User>(r)) {
                    ++applied;
                } else {
                    CHECK(std::get<Rejection>(r).kind == Rejection::Kind::conflict);
                    ++gave_up;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(applied + gave_up == kThreads * kEach);
    CHECK(applied >= kEach);  // retries let most through; every success is one event
    CHECK(f.service->find(u.id)->version == applied.load());
    CHECK(f.stream("user-1001").size() == static_cast<std::size_t>(applied.load() + 1));
}

// The user commands, given/when/then: what each appends, what the directory then says, and the refusals.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "engine/users/user_events.hpp"
#include "tests/engine/users_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::users;
using namespace codd::test;

namespace {

boost::json::object payload(const RecordedEvent& e) {
    return boost::json::parse(e.payload).as_object();
}

}  // namespace

TEST_CASE("users: create_user appends UserCreated and EmailReserved atomically, ids from 1001") {
    UsersFixture f;
    // when
    const User u = ok(f.service->create_user(new_user("  Ama.Mensah@Example.COM "), admin_meta()));
    // then
    CHECK(u.id == 1001);
    CHECK(u.email == "ama.mensah@example.com");
    CHECK(u.first_name == "Ama");
    CHECK(u.role == Role::sales_rep);
    CHECK(u.is_active);
    CHECK(u.is_available);
    CHECK(u.version == 0);
    CHECK(u.created_us == f.now_us());
    const auto user_events = f.stream("user-1001");
    REQUIRE(user_events.size() == 1);
    CHECK(user_events[0].type == "UserCreated");
    CHECK(user_events[0].metadata == admin_meta());
    const auto p = payload(user_events[0]);
    CHECK(p.at("passwordHash").as_string() == test_password_hash());
    CHECK(p.at("role").as_string() == "sales_rep");
    const auto email_events = f.stream("user-email-ama.mensah@example.com");
    REQUIRE(email_events.size() == 1);
    CHECK(email_events[0].type == "EmailReserved");
    CHECK(email_events[0].position.value() == user_events[0].position.value() + 1);
    CHECK(payload(email_events[0]).at("userId").as_int64() == 1001);
    CHECK(ok(f.service->create_user(new_user("kofi@example.com"), admin_meta())).id == 1002);
    CHECK(f.service->user_count() == 2);
}

TEST_CASE("users: a duplicate email is refused whatever its case, and nothing is appended") {
    UsersFixture f;
    ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    const auto head = f.log->head();
    const Rejection r = rejected(f.service->create_user(new_user("AMA@Example.com"), admin_meta()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(r.field == "email");
    CHECK(f.log->head() == head);
    // A refused create consumes no id.
    CHECK(ok(f.service->create_user(new_user("kofi@example.com"), admin_meta())).id == 1002);
}

TEST_CASE("users: create_user validates every field with the REST API's field names") {
    UsersFixture f;
    struct Case {
        const char* name;
        std::function<void(NewUser&)> spoil;
        const char* field;
    };
    const Case cases[] = {
        {"no email", [](NewUser& u) { u.email = "  "; }, "email"},
        {"no at", [](NewUser& u) { u.email = "ama.example.com"; }, "email"},
        {"two ats", [](NewUser& u) { u.email = "a@b@example.com"; }, "email"},
        {"no domain dot", [](NewUser& u) { u.email = "ama@localhost"; }, "email"},
        {"double dot", [](NewUser& u) { u.email = "ama..m@example.com"; }, "email"},
        {"space inside", [](NewUser& u) { u.email = "ama m@example.com"; }, "email"},
        {"too long", [](NewUser& u) { u.email = std::string(250, 'a') + "@example.com"; }, "email"},
        {"no hash", [](NewUser& u) { u.password_hash.clear(); }, "password"},
        {"plaintext", [](NewUser& u) { u.password_hash = "Str0ng!pass"; }, "password"},
        {"empty first name", [](NewUser& u) { u.first_name = " \t"; }, "firstName"},
        {"long first name", [](NewUser& u) { u.first_name = std::string(101, 'a'); }, "firstName"},
        {"empty last name", [](NewUser& u) { u.last_name = ""; }, "lastName"},
        {"an invisible last name", [](NewUser& u) { u.last_name = "\u200b\u00a0"; }, "lastName"},
        {"letters in phone", [](NewUser& u) { u.phone_number = "call me"; }, "phoneNumber"},
        {"short phone", [](NewUser& u) { u.phone_number = "12345"; }, "phoneNumber"},
        {"negative commission", [](NewUser& u) { u.commission_minor = -1; }, "commissionRate"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        NewUser u = new_user("ama@example.com");
        c.spoil(u);
        const Rejection r = rejected(f.service->create_user(u, admin_meta()));
        CHECK(r.kind == Rejection::Kind::invalid);
        CHECK(r.field == c.field);
        CHECK_FALSE(r.message.empty());
    }
    CHECK(f.log->head().value() == 0);
    // 100 characters is fine, and names are stored trimmed; the phone is optional.
    NewUser u = new_user("ama@example.com");
    u.first_name = "  " + std::string(100, 'a') + " ";
    u.phone_number = "";
    CHECK(ok(f.service->create_user(u, admin_meta())).first_name == std::string(100, 'a'));
}

TEST_CASE("users: parse_role accepts exactly the 7 role names") {
    for (Role r : kAllRoles) CHECK(parse_role(to_string(r)) == r);
    CHECK_FALSE(parse_role("Admin").has_value());
    CHECK_FALSE(parse_role(" admin").has_value());
    CHECK_FALSE(parse_role("root").has_value());
    CHECK_FALSE(parse_role("").has_value());
    CHECK(is_privileged(Role::super_admin));
    CHECK(is_privileged(Role::admin));
    CHECK(is_privileged(Role::manager));
    CHECK_FALSE(is_privileged(Role::sales_rep));
    CHECK_FALSE(is_privileged(Role::delivery_agent));
}

TEST_CASE("users: update_user appends only the changed fields, role has its own event") {
    UsersFixture f;
    const User u = ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    f.clock->advance(std::chrono::seconds(5));
    UserPatch p;
    p.first_name = "Ama";  // unchanged
    p.last_name = "Owusu";
    p.commission_minor = 500;
    p.role = Role::manager;
    const User after = ok(f.service->update_user(u.id, p, admin_meta()));
    CHECK(after.last_name == "Owusu");
    CHECK(after.commission_minor == 500);
    CHECK(after.role == Role::manager);
    CHECK(after.updated_us == f.now_us());
    CHECK(after.created_us == u.created_us);
    const auto events = f.stream("user-1001");
    REQUIRE(events.size() == 3);
    CHECK(events[1].type == "UserUpdated");
    const auto changes = payload(events[1]).at("changes").as_object();
    CHECK(changes.size() == 2);
    CHECK(changes.at("lastName").as_string() == "Owusu");
    CHECK(changes.at("commissionMinor").as_int64() == 500);
    CHECK(events[2].type == "UserRoleChanged");
    CHECK(payload(events[2]).at("previousRole").as_string() == "sales_rep");
    // A patch that changes nothing appends nothing.
    const auto head = f.log->head();
    CHECK(ok(f.service->update_user(u.id, p, admin_meta())).version == 2);
    CHECK(f.log->head() == head);
}

TEST_CASE("users: a name stored under older rules, sent back unchanged, does not refuse the edit it comes with") {
    UsersFixture f;
    const User u = ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    // A first name of one zero-width space, as the rules before invisible text was refused let through.
    UserPatch old_rules;
    old_rules.first_name = "\u200b";
    const auto written =
        f.log->append(request({to_stream(events::user_stream(u.id), ExpectedVersion::exact(StreamVersion{0}),
                                         {events::user_updated(u.id, old_rules)})}));
    REQUIRE(written.status == AppendStatus::ok);
    f.reopen();
    REQUIRE(f.service->find(u.id)->first_name == "\u200b");
    // The whole record sent back with a change (what a form does): the change is taken, the old name kept.
    UserPatch edit;
    edit.first_name = "\u200b";
    edit.last_name = "Owusu";
    const User after = ok(f.service->update_user(u.id, edit, admin_meta()));
    CHECK(after.last_name == "Owusu");
    CHECK(after.first_name == "\u200b");
    // A new invisible name is refused as missing.
    UserPatch blank;
    blank.last_name = "\u2060";
    CHECK(rejected(f.service->update_user(u.id, blank, admin_meta())).field == "lastName");
}

TEST_CASE("users: an email change reserves the new address and releases the old one") {
    UsersFixture f;
    const User ama = ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    ok(f.service->create_user(new_user("kofi@example.com"), admin_meta()));
    UserPatch taken;
    taken.email = "KOFI@example.com";
    const Rejection r = rejected(f.service->update_user(ama.id, taken, admin_meta()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(r.field == "email");
    UserPatch bad;
    bad.email = "not an email";
    CHECK(rejected(f.service->update_user(ama.id, bad, admin_meta())).field == "email");

    UserPatch p;
    p.email = "Ama.New@Example.com";
    CHECK(ok(f.service->update_user(ama.id, p, admin_meta())).email == "ama.new@example.com");
    CHECK(f.service->find_by_email("AMA.NEW@example.com")->id == ama.id);
    CHECK_FALSE(f.service->find_by_email("ama@example.com").has_value());
    CHECK(f.stream("user-email-ama@example.com").back().type == "EmailReleased");
    // The released address can be taken again, by a new user.
    CHECK(ok(f.service->create_user(new_user("ama@example.com"), admin_meta())).id == 1003);
    CHECK(f.service->find_by_email("ama@example.com")->id == 1003);
}

TEST_CASE("users: commands on an unknown user are refused as not found") {
    UsersFixture f;
    CHECK(rejected(f.service->update_user(4242, UserPatch{}, admin_meta())).kind == Rejection::Kind::not_found);
    CHECK(rejected(f.service->deactivate_user(4242, admin_meta())).kind == Rejection::Kind::not_found);
    CHECK(rejected(f.service->reset_password(4242, test_password_hash(), admin_meta())).kind ==
          Rejection::Kind::not_found);
    CHECK(rejected(f.service->set_availability(4242, false, admin_meta())).kind == Rejection::Kind::not_found);
    CHECK(rejected(f.service->set_preferences(4242, "{}", admin_meta())).kind == Rejection::Kind::not_found);
    CHECK(rejected(f.service->record_login(4242, admin_meta())).kind == Rejection::Kind::not_found);
    CHECK(rejected(f.service->start_session(4242, f.now_us() + kHourUs, admin_meta())).kind ==
          Rejection::Kind::not_found);
    CHECK_FALSE(f.service->find(4242).has_value());
    CHECK(f.log->head().value() == 0);
}

TEST_CASE("users: deactivation is recorded once, deactivating twice is refused") {
    UsersFixture f;
    const User u = ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    CHECK_FALSE(ok(f.service->deactivate_user(u.id, admin_meta())).is_active);
    CHECK(f.stream("user-1001").back().type == "UserDeactivated");
    const Rejection r = rejected(f.service->deactivate_user(u.id, admin_meta()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(r.message == "user is already deactivated");
    CHECK(rejected(f.service->record_login(u.id, admin_meta())).kind == Rejection::Kind::unauthorized);
    // The address stays taken by the deactivated user; an update may reactivate.
    CHECK(rejected(f.service->create_user(new_user("ama@example.com"), admin_meta())).field == "email");
    UserPatch p;
    p.is_active = true;
    CHECK(ok(f.service->update_user(u.id, p, admin_meta())).is_active);
}

TEST_CASE("users: reset_password replaces the hash, only argon2id hashes are accepted") {
    UsersFixture f;
    const User u = ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    CHECK(rejected(f.service->reset_password(u.id, "N3w!password", admin_meta())).field == "password");
    // A hash of the same password is new text (fresh salt); any reset is recorded, it revokes sessions.
    const User after = ok(f.service->reset_password(u.id, test_password_hash(), admin_meta()));
    CHECK(after.password_hash == test_password_hash());
    CHECK(after.version == 1);
    CHECK(f.stream("user-1001").back().type == "UserPasswordReset");
}

TEST_CASE("users: availability, preferences and logins") {
    UsersFixture f;
    const User u = ok(f.service->create_user(new_user("agent@example.com", Role::delivery_agent), admin_meta()));
    CHECK_FALSE(ok(f.service->set_availability(u.id, false, admin_meta())).is_available);
    const auto head = f.log->head();
    CHECK_FALSE(ok(f.service->set_availability(u.id, false, admin_meta())).is_available);  // no change, no event
    CHECK(f.log->head() == head);

    CHECK(
        ok(f.service->set_preferences(u.id, R"( {"theme": "dark", "pageSize": 50} )", admin_meta())).preferences_json ==
        R"({"theme":"dark","pageSize":50})");
    CHECK(rejected(f.service->set_preferences(u.id, "[1,2]", admin_meta())).field == "preferences");
    CHECK(rejected(f.service->set_preferences(u.id, "{oops", admin_meta())).field == "preferences");
    CHECK(
        rejected(f.service->set_preferences(u.id, "{\"a\":\"" + std::string(20000, 'x') + "\"}", admin_meta())).field ==
        "preferences");

    f.clock->advance(std::chrono::seconds(30));
    const User logged = ok(f.service->record_login(u.id, admin_meta()));
    CHECK(logged.last_login_us == f.now_us());
    CHECK(logged.updated_us < f.now_us());  // a login is not an edit
    CHECK(f.stream("user-1001").back().type == "UserLoggedIn");
}

TEST_CASE("users: list filters by role and activity, newest first, paginated") {
    UsersFixture f;
    for (int i = 0; i < 5; ++i) {
        ok(f.service->create_user(new_user("rep" + std::to_string(i) + "@example.com"), admin_meta()));
    }
    ok(f.service->create_user(new_user("agent@example.com", Role::delivery_agent), admin_meta()));
    ok(f.service->deactivate_user(1001, admin_meta()));
    UserQuery q;
    q.limit = 2;
    q.role = Role::sales_rep;
    UserPage page = f.service->list(q);
    CHECK(page.total == 5);
    REQUIRE(page.users.size() == 2);
    CHECK(page.users[0].id == 1005);
    CHECK(page.users[1].id == 1004);
    q.page = 3;
    page = f.service->list(q);
    REQUIRE(page.users.size() == 1);
    CHECK(page.users[0].id == 1001);
    q = UserQuery{};
    q.is_active = false;
    CHECK(f.service->list(q).total == 1);
    q = UserQuery{};
    q.limit = 1000;  // clamped
    CHECK(f.service->list(q).users.size() == 6);
}

TEST_CASE("users: no event payload carries a token or a jti, only the user's own hash appears") {
    UsersFixture f;
    const User u = ok(f.service->create_user(new_user("ama@example.com"), admin_meta()));
    const Session s = ok(f.service->start_session(u.id, f.now_us() + kHourUs, admin_meta()));
    const Session r = ok(f.service->rotate_session(s.family, s.current_jti, f.now_us() + kHourUs, admin_meta()));
    ok(f.service->reset_password(u.id, test_password_hash(), admin_meta()));
    std::size_t with_hash = 0;
    f.log->scan(GlobalPosition{1}, [&](const RecordedEvent& e) {
        CHECK(e.payload.find(s.current_jti) == std::string::npos);
        CHECK(e.payload.find(r.current_jti) == std::string::npos);
        if (e.payload.find("$argon2id$") != std::string::npos) {
            ++with_hash;
            CHECK((e.type == "UserCreated" || e.type == "UserPasswordReset"));
        }
        return true;
    });
    CHECK(with_hash == 2);
}

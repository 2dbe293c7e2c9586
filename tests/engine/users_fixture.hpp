#pragma once
// Helpers shared by the identity tests: a UserService on a real log in a temporary directory, with a
// manual clock and sequential ids that survive a reopen, and one argon2id hash computed once per run.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <variant>

#include "engine/users/password.hpp"
#include "engine/users/user_service.hpp"
#include "tests/engine/log_fixture.hpp"

namespace codd::test {

namespace users = engine::users;

// Hashing is slow on purpose; tests that do not test hashing share this one.
inline const std::string& test_password_hash() {
    static const std::string kHash = users::hash_password("Str0ng!pass");
    return kHash;
}

inline engine::EventMetadata admin_meta() {
    engine::EventMetadata m;
    m.actor = {"1001", "super_admin"};
    m.request_id = "req-users";
    return m;
}

inline users::NewUser new_user(std::string email, users::Role role = users::Role::sales_rep) {
    users::NewUser u;
    u.email = std::move(email);
    u.password_hash = test_password_hash();
    u.first_name = "Ama";
    u.last_name = "Mensah";
    u.phone_number = "+233 24 123 4567";
    u.role = role;
    return u;
}

template <typename T>
const T& ok(const users::Result<T>& r) {
    if (const auto* rej = std::get_if<users::Rejection>(&r)) FAIL("unexpected rejection: " << rej->message);
    return std::get<T>(r);
}

template <typename T>
users::Rejection rejected(const users::Result<T>& r) {
    REQUIRE_MESSAGE(std::holds_alternative<users::Rejection>(r), "expected a rejection");
    return std::get<users::Rejection>(r);
}

constexpr std::int64_t kHourUs = 3'600'000'000LL;

class UsersFixture {
  public:
    UsersFixture() { open(); }

    void open() {
        engine::LogOptions o = options_for(dir.path());
        o.clock = clock;
        log = engine::EventLog::open(o);
        service = std::make_unique<users::UserService>(*log, clock, ids);
    }

    void reopen() {
        service.reset();
        log->close();
        log.reset();
        open();
    }

    [[nodiscard]] std::int64_t now_us() const {
        return std::chrono::duration_cast<std::chrono::microseconds>(clock->now().time_since_epoch()).count();
    }

    // Events of a stream, as the log holds them.
    [[nodiscard]] std::vector<engine::RecordedEvent> stream(const std::string& name) const {
        return log->read_stream(name, engine::StreamVersion{0}, 1000);
    }

    TempDir dir;
    std::shared_ptr<engine::ManualClock> clock = std::make_shared<engine::ManualClock>();
    std::shared_ptr<engine::SequentialIdGenerator> ids = std::make_shared<engine::SequentialIdGenerator>();
    std::unique_ptr<engine::EventLog> log;
    std::unique_ptr<users::UserService> service;
};

}  // namespace codd::test

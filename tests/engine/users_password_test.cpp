// Passwords: the policy of the replaced system, argon2id hashing and verification, token digests.
#include <doctest/doctest.h>

#include "tests/engine/users_fixture.hpp"

using namespace codd::engine::users;
using codd::test::test_password_hash;

TEST_CASE("users: the password policy requires 8-128 characters with upper, lower, digit and special") {
    CHECK_FALSE(password_policy_violation("Str0ng!pass").has_value());
    CHECK_FALSE(password_policy_violation("Aa1!aaaa").has_value());  // exactly 8
    CHECK(password_policy_violation("Aa1!aaa").value() == "password must be at least 8 characters long");
    CHECK(password_policy_violation("str0ng!pass").value() == "password must contain an upper-case letter");
    CHECK(password_policy_violation("STR0NG!PASS").value() == "password must contain a lower-case letter");
    CHECK(password_policy_violation("Strong!pass").value() == "password must contain a digit");
    CHECK(password_policy_violation("Str0ngpass").value() == "password must contain a special character");
    CHECK(password_policy_violation("").has_value());
    const std::string longest = "Aa1!" + std::string(124, 'x');
    CHECK_FALSE(password_policy_violation(longest).has_value());
    CHECK(password_policy_violation(longest + "x").value() == "password must be at most 128 characters long");
}

TEST_CASE("users: the policy counts characters, not bytes") {
    // 7 characters, 11 bytes: too short. A non-ASCII letter counts as a special character.
    const std::string four_e_acute = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    CHECK(password_policy_violation("Ab1" + four_e_acute).value() == "password must be at least 8 characters long");
    CHECK_FALSE(password_policy_violation("Ab1" + four_e_acute + "x").has_value());
    // Bytes that are no UTF-8 (what `codd admin create --password` could be given) are no password.
    CHECK(password_policy_violation("Str0ng!pass\xff").value() == "password must be UTF-8 text");
    CHECK(password_policy_violation("Str0ng!\xc3(pass").value() == "password must be UTF-8 text");
}

TEST_CASE("users: hash_password makes an argon2id hash with OWASP parameters that verifies") {
    const std::string& hash = test_password_hash();
    CHECK(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    CHECK(is_argon2id_hash(hash));
    CHECK(hash.find("Str0ng!pass") == std::string::npos);
    CHECK(verify_password("Str0ng!pass", hash));
    CHECK_FALSE(verify_password("Str0ng!pasS", hash));
    CHECK_FALSE(verify_password("", hash));
}

TEST_CASE("users: two hashes of one password differ (random salt) and both verify") {
    const std::string other = hash_password("Str0ng!pass");
    CHECK(other != test_password_hash());
    CHECK(verify_password("Str0ng!pass", other));
}

TEST_CASE("users: verify_password is false for malformed or foreign hashes") {
    CHECK_FALSE(verify_password("Str0ng!pass", ""));
    CHECK_FALSE(verify_password("Str0ng!pass", "Str0ng!pass"));
    CHECK_FALSE(verify_password("Str0ng!pass", "$2b$10$abcdefghijklmnopqrstuv"));  // bcrypt
    CHECK_FALSE(verify_password("Str0ng!pass", "$argon2id$v=19$m=19456,t=2,p=1$garbage"));
    CHECK_FALSE(verify_password("Str0ng!pass", test_password_hash().substr(0, 40)));
    CHECK_FALSE(is_argon2id_hash("$argon2i$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA"));
}

TEST_CASE("users: token_digest is the lower-case hex SHA-256") {
    CHECK(token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(token_digest("").size() == 64);
}

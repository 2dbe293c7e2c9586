#include <doctest/doctest.h>

#include "api/request_id.hpp"

using namespace codd::api;

TEST_CASE("request id validation") {
    CHECK(is_valid_request_id("a"));
    CHECK(is_valid_request_id("Abc-123_x.y:z"));
    CHECK(is_valid_request_id("123e4567-e89b-42d3-a456-426614174000"));
    CHECK(is_valid_request_id(std::string(128, 'x')));
    CHECK_FALSE(is_valid_request_id(""));
    CHECK_FALSE(is_valid_request_id(std::string(129, 'x')));
    CHECK_FALSE(is_valid_request_id("has space"));
    CHECK_FALSE(is_valid_request_id("semi;colon"));
    CHECK_FALSE(is_valid_request_id("new\nline"));
    CHECK_FALSE(is_valid_request_id("quote\""));
    CHECK_FALSE(is_valid_request_id("slash/"));
    CHECK_FALSE(is_valid_request_id("caf\xc3\xa9"));
}

TEST_CASE("request ids are accepted or generated") {
    codd::engine::SequentialIdGenerator ids;
    CHECK(accept_or_generate_request_id("client-1", ids) == "client-1");
    const std::string a = accept_or_generate_request_id(std::nullopt, ids);
    const std::string b = accept_or_generate_request_id("bad id", ids);
    CHECK(a.size() == 36);
    CHECK(b.size() == 36);
    CHECK(a != b);
    CHECK(is_valid_request_id(a));
}

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>

#include "api/json_text.hpp"
#include "api/logging.hpp"

using namespace codd::api;

TEST_CASE("log lines are JSON objects with typed fields") {
    const std::string line = log::render_line(1'750'000'000'123'456, log::Level::info, "http request",
                                              {{"request_id", "r-1"},
                                               {"status", 200},
                                               {"duration_us", std::uint64_t{42}},
                                               {"ratio", 0.5},
                                               {"ok", true},
                                               {"negative", -3}});
    CHECK(line == R"({"ts":"2025-06-15T15:06:40.123456Z","level":"info","msg":"http request","request_id":"r-1",)"
                  R"("status":200,"duration_us":42,"ratio":0.5,"ok":true,"negative":-3})");
}

TEST_CASE("hostile strings stay inside their JSON string") {
    const std::string nasty = "a\"b\\c\nd\te\x01\x7f";
    const std::string line = log::render_line(0, log::Level::warn, nasty, {{"path", "/x\"}"}});
    const auto v = boost::json::parse(line);
    CHECK(boost::json::value_to<std::string>(v.at("msg")) == nasty);
    CHECK(v.at("path") == "/x\"}");
    CHECK(v.at("level") == "warn");
    CHECK(v.at("ts") == "1970-01-01T00:00:00.000000Z");
}

TEST_CASE("invalid UTF-8 is replaced, valid UTF-8 kept") {
    CHECK(json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(json_string("\xe2\x82\xac") == "\"\xe2\x82\xac\"");
    CHECK(json_string("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");
    CHECK(json_string("bad\xff") == "\"bad\\ufffd\"");
    CHECK(json_string("\xc3") == "\"\\ufffd\"");                        // truncated
    CHECK(json_string("\xc0\xaf") == "\"\\ufffd\\ufffd\"");             // overlong
    CHECK(json_string("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
    CHECK(boost::json::parse(json_string("\xff\xfe x \x80")).is_string());
}

TEST_CASE("levels") {
    CHECK(log::parse_level("warning") == log::Level::warn);
    CHECK(log::parse_level("off") == log::Level::off);
    CHECK_FALSE(log::parse_level("INFO").has_value());
    CHECK(log::to_string(log::Level::error) == "error");
}

// The stored event format: round trips, malformed input, and the golden corpus of old encodings that
// must keep decoding (DESIGN §3 schema evolution).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "engine/clock.hpp"
#include "engine/envelope.hpp"
#include "engine/json_codec.hpp"

using namespace codd::engine;

namespace {

RecordedEvent sample() {
    RecordedEvent e;
    e.position = GlobalPosition{42};
    e.stream = "order-1001";
    e.version = StreamVersion{3};
    e.type = "OrderStatusChanged";
    e.schema_version = 1;
    e.event_id = "0b6f0c8e-2f51-4a4e-9d2b-7c1f3e5a9b10";
    e.time_us = 1'764'000'000'123'456;
    e.metadata = {{"3", "admin"}, "req-7f3a", "cmd-91"};
    e.payload = R"({"from":"confirmed","to":"preparing","reason":null,"amount":12550})";
    return e;
}

std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (unsigned char c : bytes) {
        s.push_back(kDigits[c >> 4]);
        s.push_back(kDigits[c & 0xf]);
    }
    return s;
}

}  // namespace

TEST_CASE("an encoded event decodes to itself") {
    auto e = sample();
    std::string canonical;
    codec::encode_canonical(e, canonical);
    e.hash = codec::chain_hash(Hash{}, canonical);
    auto stored = codec::encode_stored(e);
    std::size_t canonical_size = 0;
    auto back = codec::decode_stored(stored, &canonical_size);
    REQUIRE(back.has_value());
    CHECK(*back == e);
    CHECK(canonical_size == canonical.size());
}

TEST_CASE("truncated or extended stored events do not decode") {
    auto e = sample();
    auto stored = codec::encode_stored(e);
    for (std::size_t n = 0; n < stored.size(); ++n) {
        CAPTURE(n);
        auto r = codec::decode_stored(std::string_view(stored).substr(0, n));
        // A prefix may only decode if it happens to be a complete event, which a strict prefix never is.
        CHECK_FALSE(r.has_value());
    }
    CHECK_FALSE(codec::decode_stored(stored.substr(0, 33) + stored).has_value());
}

TEST_CASE("the chain hash depends on the previous hash") {
    Hash a{}, b{};
    b[0] = 1;
    CHECK(codec::chain_hash(a, "x") != codec::chain_hash(b, "x"));
    CHECK(codec::to_hex(codec::chain_hash(a, "")) == "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
}

TEST_CASE("golden corpus: format v1 events keep decoding to the same envelope") {
    std::ifstream in(CODD_TEST_DATA_DIR "/golden/event_v1.hex");
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string hex = ss.str();
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    auto e = codec::decode_stored(from_hex(hex));
    REQUIRE(e.has_value());
    auto want = sample();
    want.hash = e->hash;
    CHECK(*e == want);
    std::string canonical;
    codec::encode_canonical(want, canonical);
    CHECK(codec::chain_hash(Hash{}, canonical) == e->hash);
    // Re-encoding must give the same bytes, or old hash chains would stop verifying.
    CHECK(to_hex(codec::encode_stored(*e)) == hex);
}

TEST_CASE("money in a message: major units with two decimals") {
    CHECK(to_string(Money{4500}) == "45.00");
    CHECK(to_string(Money{7}) == "0.07");
    CHECK(to_string(Money{0}) == "0.00");
    CHECK(to_string(Money{-350}) == "-3.50");
    CHECK(to_string(Money{12345}) == "123.45");
    CHECK(to_string(Money{std::numeric_limits<std::int64_t>::min()}) == "-92233720368547758.08");
}

TEST_CASE("event ids are RFC 4122 version 4 UUIDs in canonical form") {
    SequentialIdGenerator seq;
    CHECK(seq.next() == "00000000-0000-4000-8000-000000000001");
    CHECK(seq.next() == "00000000-0000-4000-8000-000000000002");
    RandomIdGenerator rnd;
    for (int i = 0; i < 100; ++i) {
        const std::string id = rnd.next();
        REQUIRE(id.size() == 36);
        for (std::size_t k = 0; k < id.size(); ++k) {
            if (k == 8 || k == 13 || k == 18 || k == 23) {
                CHECK(id[k] == '-');
            } else {
                CHECK(std::string_view("0123456789abcdef").find(id[k]) != std::string_view::npos);
            }
        }
        CHECK(id[14] == '4');                                      // version
        CHECK(std::string_view("89ab").find(id[19]) != std::string_view::npos);  // variant
    }
}

// engine::json::serialize writes what boost::json::serialize does, except doubles: the shortest text that reads
// back as the same double, "15.0" rather than "1.5E1" (every JSON body codd writes goes through it).
TEST_CASE("JSON text: Boost's output for everything but doubles, which are the shortest round trip") {
    namespace bj = boost::json;
    std::string every_escape;
    for (int c = 1; c < 0x20; ++c) every_escape.push_back(static_cast<char>(c));
    every_escape += "\"\\/\x7f\xc3\xa9\xf0\x9f\x9a\x9a plain";
    const bj::object no_doubles{{"k\n\"", every_escape},
                                {"i", -5},
                                {"u", std::uint64_t{18446744073709551615ULL}},
                                {"b", true},
                                {"f", false},
                                {"z", nullptr},
                                {"a", bj::array{1, "x", bj::array{}, bj::object{}}},
                                {"o", bj::object{{"", ""}}}};
    CHECK(json::serialize(no_doubles) == bj::serialize(no_doubles));
    CHECK(json::serialize(bj::value("")) == R"("")");

    const auto text = [](double d) { return json::serialize(bj::value(d)); };
    CHECK(text(15.0) == "15.0");
    CHECK(text(1.5) == "1.5");
    CHECK(text(0.0) == "0.0");
    CHECK(text(-0.0) == "-0.0");
    CHECK(text(0.07) == "0.07");
    CHECK(text(-123.45) == "-123.45");
    CHECK(text(999999999999999.9) == "999999999999999.9");
    CHECK(text(1e21) == "1e+21");
    CHECK(text(1.5e-7) == "1.5e-07");
    CHECK(text(std::numeric_limits<double>::infinity()) == "null");
    CHECK(text(std::numeric_limits<double>::quiet_NaN()) == "null");
    // Every one reads back as the same double (strtod: Boost 1.81's default parsing is not correctly rounded at
    // the extremes).
    for (const double d : {15.0, 0.07, 1.0 / 3.0, 2.5e-300, 1.7976931348623157e308, 12345.678}) {
        CHECK(std::strtod(text(d).c_str(), nullptr) == d);
    }
    CHECK(json::serialize(bj::object{{"amount", 40.5}, {"n", bj::array{1.0, 2}}}) == R"({"amount":40.5,"n":[1.0,2]})");
}

// Boost writes any bytes as they are; a query string's raw bytes echoed in a message then made a 400 that was not
// JSON. Bytes outside well-formed UTF-8 become U+FFFD, one each; well-formed sequences stay as they are.
TEST_CASE("JSON text: bytes that are not well-formed UTF-8 are written as U+FFFD, so the text is always JSON") {
    namespace bj = boost::json;
    const auto quoted = [](std::string_view s) {
        std::string out;
        json::append_quoted(out, s);
        return out;
    };
    const std::string r = "\xef\xbf\xbd";
    CHECK(quoted("\xC3\x28\xFF") == "\"" + r + "(" + r + "\"");      // a truncated pair, then 0xFF
    CHECK(quoted("a\x80" "b") == "\"a" + r + "b\"");                    // a stray continuation byte
    CHECK(quoted("\xC0\xAF") == "\"" + r + r + "\"");                 // an overlong '/'
    CHECK(quoted("\xED\xA0\x80") == "\"" + r + r + r + "\"");          // a surrogate (U+D800)
    CHECK(quoted("\xF4\x90\x80\x80") == "\"" + r + r + r + r + "\"");   // above U+10FFFF
    CHECK(quoted("\xE2\x82") == "\"" + r + r + "\"");                 // cut short at the end
    // Well-formed: 2, 3 and 4 bytes, the extremes of each range, as they are.
    for (const std::string_view ok : {"\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xEF\xBF\xBF", "\xED\x9F\xBF",
                                      "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "caf\xC3\xA9 \xF0\x9F\x9A\x9A"}) {
        CHECK(quoted(ok) == "\"" + std::string(ok) + "\"");
    }
    // Whatever the bytes, the result parses, and as what Boost's parser would have accepted.
    std::string all;
    for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
    const bj::value back = bj::parse(quoted(all + all));
    CHECK(back.get_string().size() > 256);
    const bj::value problem = bj::parse(json::serialize(bj::object{{"message", "unknown status '\xC3\x28\xFF'"}}));
    CHECK(std::string(problem.at("message").get_string()) == "unknown status '" + r + "(" + r + "'");
}

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "api/order_json_input.hpp"
#include "api/user_json.hpp"

using codd::api::FieldReader;
using codd::api::minor_units;

TEST_CASE("money rounds at the second decimal of the number as written, not of the binary double") {
    CHECK(minor_units(1.005) == 101);  // the double is 1.00499999999999989...
    CHECK(minor_units(2.675) == 268);
    CHECK(minor_units(0.015) == 2);
    CHECK(minor_units(1.0049999) == 100);
    CHECK(minor_units(0.0049) == 0);
    CHECK(minor_units(0.005) == 1);
    CHECK(minor_units(125.495) == 12550);
    CHECK(minor_units(125.494) == 12549);
    CHECK(minor_units(0.1 + 0.2) == 30);  // 0.30000000000000004
    CHECK(minor_units(10.1) == 1010);
    CHECK(minor_units(0) == 0);
    CHECK(minor_units(1e-7) == 0);
    CHECK(minor_units(45) == 4500);
    CHECK(minor_units(1e12) == 100'000'000'000'000);
    CHECK(minor_units(999999999999.99) == 99'999'999'999'999);
    CHECK(minor_units(-3.505) == -351);
}

TEST_CASE("FieldReader::money reads a number in major units and refuses anything else") {
    const auto o = boost::json::parse(R"({"a":12.5,"b":"12.5","c":-1,"d":1e13,"e":1.005,"f":7})").as_object();
    FieldReader in(o);
    CHECK(in.money("a") == 1250);
    CHECK(in.money("e") == 101);
    CHECK(in.money("f") == 700);
    CHECK_FALSE(in.money("missing"));
    CHECK(in.ok());
    CHECK_FALSE(in.money("b"));
    CHECK_FALSE(in.money("c"));
    CHECK_FALSE(in.money("d"));
    CHECK(in.errors().size() == 3);
}

TEST_CASE("FieldReader::money refuses an amount above 0 that rounds to 0, but reads a float residue as 0") {
    const auto o =
        boost::json::parse(R"({"tiny":0.001,"almost":0.0049,"half":0.005,"zero":0,"residue":5.551115123125783e-17})")
            .as_object();
    FieldReader in(o);
    CHECK(in.money("half") == 1);
    CHECK(in.money("zero") == 0);
    CHECK(in.money("residue") == 0);  // 0.1 + 0.2 - 0.3 in a client
    CHECK(in.ok());
    CHECK_FALSE(in.money("tiny"));
    CHECK_FALSE(in.money("almost"));
    REQUIRE(in.errors().size() == 2);
    CHECK(in.errors()[0].field == "tiny");
    CHECK(in.errors()[0].message == "tiny is more than 0 but less than 0.01 (amounts are kept to the cent)");
}

TEST_CASE("split_name: the first word is the first name, the rest the last, words that show nothing skipped") {
    using codd::api::split_name;
    using Names = std::pair<std::string, std::string>;
    CHECK(split_name("Ama Serwaa Mensah") == Names{"Ama", "Serwaa Mensah"});
    CHECK(split_name("  Kofi  ") == Names{"Kofi", ""});
    CHECK(split_name("Kofi   Mensah") == Names{"Kofi", "Mensah"});
    CHECK(split_name(" \u00a0 Kofi Mensah") == Names{"Kofi", "Mensah"});
    CHECK(split_name("\u200b Mensah") == Names{"Mensah", ""});
    CHECK(split_name("Kofi \u2060 Mensah \ufeff") == Names{"Kofi", "Mensah"});
    CHECK(split_name("\u200b \u00a0") == Names{"", ""});
    CHECK(split_name("") == Names{"", ""});
}

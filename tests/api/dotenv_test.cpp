#include <doctest/doctest.h>

#include "api/dotenv.hpp"

using namespace codd::api;

TEST_CASE("dotenv syntax") {
    const EnvMap env = parse_dotenv(
        "# a comment\n"
        "\n"
        "PLAIN=value\n"
        "  SPACED  =  padded value  \n"
        "export EXPORTED=yes\n"
        "DOUBLE=\"a \\\"quoted\\\" # not a comment\\nnext\"  # comment\n"
        "SINGLE='literal $HOME \\n'\n"
        "EMPTY=\n"
        "INLINE=value # trailing comment\n"
        "HASH=a#b\n"
        "EQUALS=a=b=c\n"
        "CRLF=windows\r\n"
        "PLAIN=second wins\n");
    CHECK(env.at("PLAIN") == "second wins");
    CHECK(env.at("SPACED") == "padded value");
    CHECK(env.at("EXPORTED") == "yes");
    CHECK(env.at("DOUBLE") == "a \"quoted\" # not a comment\nnext");
    CHECK(env.at("SINGLE") == "literal $HOME \\n");
    CHECK(env.at("EMPTY").empty());
    CHECK(env.at("INLINE") == "value");
    CHECK(env.at("HASH") == "a#b");
    CHECK(env.at("EQUALS") == "a=b=c");
    CHECK(env.at("CRLF") == "windows");
    CHECK(env.size() == 10);
}

TEST_CASE("empty and comment-only files") {
    CHECK(parse_dotenv("").empty());
    CHECK(parse_dotenv("# nothing\n\n   \n").empty());
}

TEST_CASE("malformed lines are errors naming the line") {
    CHECK_THROWS_WITH_AS(parse_dotenv("A=1\nJUST TEXT\n"), ".env line 2: expected KEY=VALUE", DotenvError);
    CHECK_THROWS_WITH_AS(parse_dotenv("1BAD=x"), ".env line 1: invalid key '1BAD'", DotenvError);
    CHECK_THROWS_WITH_AS(parse_dotenv("=x"), ".env line 1: invalid key ''", DotenvError);
    CHECK_THROWS_WITH_AS(parse_dotenv("A=\"open"), ".env line 1: unterminated double-quoted value", DotenvError);
    CHECK_THROWS_WITH_AS(parse_dotenv("A='open"), ".env line 1: unterminated single-quoted value", DotenvError);
    CHECK_THROWS_WITH_AS(parse_dotenv("A=\"x\" junk"), ".env line 1: unexpected text after the closing quote",
                         DotenvError);
    CHECK_THROWS_AS(parse_dotenv("MY KEY=x"), DotenvError);
}

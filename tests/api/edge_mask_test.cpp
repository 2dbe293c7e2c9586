#include <doctest/doctest.h>

#include "api/edge_mask.hpp"

using namespace codd::api;

TEST_CASE("mask_email") {
    CHECK(mask_email("alice@example.com") == "a***@example.com");
    CHECK(mask_email("a@b.co") == "a***@b.co");
    CHECK(mask_email("@example.com") == "***@example.com");
    CHECK(mask_email("not-an-email") == "***");
    CHECK(mask_email("") == "***");
}

TEST_CASE("mask_phone") {
    CHECK(mask_phone("+233201234567") == "+233*****4567");
    CHECK(mask_phone("+233 20 123 4567") == "+233*****4567");
    CHECK(mask_phone("0201234567") == "020***4567");
    CHECK(mask_phone("12345678") == "****5678");
    CHECK(mask_phone("1234") == "****");
    CHECK(mask_phone("") == "");
    CHECK(mask_phone("+233abc1234567") == "+233******4567");  // letters are never shown
}

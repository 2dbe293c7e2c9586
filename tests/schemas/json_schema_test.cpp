// The JSON Schema subset validator: it accepts what conforms and rejects, with a path, what does not.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "tests/schemas/json_schema.hpp"

namespace bj = boost::json;
using codd::tests::schema::check_schema;
using codd::tests::schema::resolve;
using codd::tests::schema::SchemaError;
using codd::tests::schema::validate;

namespace {

const bj::value kOrder = bj::parse(R"({
  "type": "object",
  "required": ["orderId", "status", "items"],
  "additionalProperties": false,
  "properties": {
    "orderId": {"type": "integer", "minimum": 1},
    "status": {"type": "string", "enum": ["pending", "delivered"]},
    "agentId": {"type": ["integer", "null"]},
    "sku": {"type": "string", "minLength": 2},
    "weight": {"type": "number"},
    "forced": {"type": "boolean"},
    "items": {"type": "array", "items": {
      "type": "object", "required": ["quantity"], "additionalProperties": false,
      "properties": {"quantity": {"type": "integer", "minimum": 1}}}},
    "metadata": {"type": "object", "additionalProperties": true},
    "matrix": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
  }
})");

std::vector<std::string> check(const char* json) {
    return validate(kOrder, bj::parse(json));
}

}  // namespace

TEST_CASE("json_schema: a conforming instance has no errors") {
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": []})").empty());
    CHECK(check(R"({"orderId": 1001, "status": "delivered", "agentId": null, "sku": "ab", "weight": 1.5,
                    "forced": false, "items": [{"quantity": 2}], "metadata": {"any": [1, "x"]},
                    "matrix": {"orders": ["read", "update"]}})")
              .empty());
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "agentId": 8, "weight": 2})").empty());
}

TEST_CASE("json_schema: wrong types are rejected with their path") {
    CHECK(check(R"({"orderId": "1001", "status": "pending", "items": []})") ==
          std::vector<std::string>{"$.orderId: expected integer"});
    CHECK(check(R"({"orderId": 1001.5, "status": "pending", "items": []})") ==
          std::vector<std::string>{"$.orderId: expected integer"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [{"quantity": 1}, {"quantity": "2"}]})") ==
          std::vector<std::string>{"$.items[1].quantity: expected integer"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "agentId": "8"})") ==
          std::vector<std::string>{"$.agentId: expected integer or null"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": {}})") ==
          std::vector<std::string>{"$.items: expected array"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "forced": 0})") ==
          std::vector<std::string>{"$.forced: expected boolean"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "weight": "1"})") ==
          std::vector<std::string>{"$.weight: expected number"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "matrix": {"orders": ["read", 3]}})") ==
          std::vector<std::string>{"$.matrix.orders[1]: expected string"});
    CHECK(check("[]") == std::vector<std::string>{"$: expected object"});
}

TEST_CASE("json_schema: missing required and unexpected properties are rejected") {
    CHECK(check(R"({"status": "pending", "items": []})") ==
          std::vector<std::string>{"$.orderId: missing required property"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [{}]})") ==
          std::vector<std::string>{"$.items[0].quantity: missing required property"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "extra": 1})") ==
          std::vector<std::string>{"$.extra: unexpected property"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [{"quantity": 1, "odd key": 1}]})") ==
          std::vector<std::string>{R"($.items[0]["odd key"]: unexpected property)"});
    CHECK(check("{}").size() == 3);
}

TEST_CASE("json_schema: enum, minimum and minLength are enforced") {
    CHECK(check(R"({"orderId": 1001, "status": "lost", "items": []})") ==
          std::vector<std::string>{R"($.status: "lost" is not one of "pending", "delivered")"});
    CHECK(check(R"({"orderId": 0, "status": "pending", "items": []})") ==
          std::vector<std::string>{"$.orderId: 0 is less than the minimum 1"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [{"quantity": -3}]})") ==
          std::vector<std::string>{"$.items[0].quantity: -3 is less than the minimum 1"});
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "sku": "a"})") ==
          std::vector<std::string>{"$.sku: shorter than minLength 2"});
    // Code points, not bytes: two characters of two bytes each.
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "sku": "éé"})").empty());
    CHECK(check(R"({"orderId": 1001, "status": "pending", "items": [], "sku": "é"})").size() == 1);
    CHECK(check(R"({"orderId": 18446744073709551615, "status": "pending", "items": []})").empty());
}

TEST_CASE("json_schema: every violation is reported, not only the first") {
    const auto errors = check(R"({"orderId": 0, "status": 1, "items": [{"quantity": 0, "x": 1}], "y": 2})");
    CHECK(errors == std::vector<std::string>{"$.orderId: 0 is less than the minimum 1", "$.status: expected string",
                                             "$.items[0].quantity: 0 is less than the minimum 1",
                                             "$.items[0].x: unexpected property", "$.y: unexpected property"});
}

TEST_CASE("json_schema: schemas outside the subset are refused") {
    CHECK_NOTHROW(check_schema(kOrder));
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"type": "object", "requird": ["a"]})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"type": "object", "oneOf": []})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"type": "int"})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"type": []})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"properties": {"a": {"type": "object", "pattern": "x"}}})")),
                    SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"items": {"enum": []}})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"minLength": -1})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"required": [1]})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse("[]")), SchemaError);
    CHECK_THROWS_WITH_AS(validate(bj::parse(R"({"properties": {"a": {"format": "date"}}})"), bj::parse("{}")),
                         "#/properties/a/format: keyword outside the supported subset", SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"$ref": "other.json#/x"})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"$ref": "#/x", "type": "object"})")), SchemaError);
    CHECK_THROWS_AS(check_schema(bj::parse(R"({"maxLength": 1.5})")), SchemaError);
}

TEST_CASE("json_schema: maximum and maxLength are enforced") {
    const bj::value s = bj::parse(R"({"type": "object", "properties": {
        "limit": {"type": "integer", "maximum": 100},
        "name": {"type": "string", "maxLength": 3}}})");
    CHECK(validate(s, bj::parse(R"({"limit": 100, "name": "abc"})")).empty());
    CHECK(validate(s, bj::parse(R"({"name": "\u00e9t\u00e9"})")).empty());  // code points, not bytes
    CHECK(validate(s, bj::parse(R"({"limit": 101, "name": "abcd"})")) ==
          std::vector<std::string>{"$.limit: 101 is more than the maximum 100", "$.name: longer than maxLength 3"});
    CHECK(validate(s, bj::parse(R"({"limit": 18446744073709551615})")) ==
          std::vector<std::string>{"$.limit: 18446744073709551615 is more than the maximum 100"});
}

TEST_CASE("json_schema: $ref resolves in the schema or in the document it belongs to") {
    const bj::value doc = bj::parse(R"({"components": {"schemas": {
        "Line": {"type": "object", "required": ["qty"], "additionalProperties": false,
                 "properties": {"qty": {"type": "integer", "minimum": 1}}},
        "Order": {"type": "object", "properties": {"items": {"type": "array",
                  "items": {"$ref": "#/components/schemas/Line"}}}}}}})");
    const bj::value& order = doc.at_pointer("/components/schemas/Order");
    CHECK(validate(order, bj::parse(R"({"items": [{"qty": 2}]})"), &doc).empty());
    CHECK(validate(order, bj::parse(R"({"items": [{"qty": 0}, {"n": 1}]})"), &doc) ==
          std::vector<std::string>{"$.items[0].qty: 0 is less than the minimum 1",
                                   "$.items[1].qty: missing required property", "$.items[1].n: unexpected property"});
    // Within the schema itself when no document is given; an unknown target is a violation.
    CHECK(validate(bj::parse(R"({"properties": {"a": {"$ref": "#/nowhere"}}})"), bj::parse(R"({"a": 1})")) ==
          std::vector<std::string>{"$.a: unresolved reference #/nowhere"});
    CHECK(resolve(doc, "#/components/schemas/Line") == &doc.at_pointer("/components/schemas/Line"));
    CHECK(resolve(doc, "#/components/missing") == nullptr);
}

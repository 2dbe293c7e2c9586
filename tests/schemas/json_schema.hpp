#pragma once
// A validator for the subset of JSON Schema (draft 2020-12) that schemas/ uses:
//   type (a name or an array of names: object, array, string, integer, number, boolean, null),
//   required, properties, additionalProperties (false, true or a schema), items, enum, minimum, maximum,
//   minLength, maxLength, and $ref to a local JSON pointer ("#/components/schemas/Order", alone in its
//   schema object), plus the annotations $schema, $id, title and description. Any other keyword is an error in the schema,
// so a misspelt keyword cannot silently accept everything.
//
// "integer" means a JSON number without fraction or exponent as Boost.JSON parses it (int64 or uint64):
// 1.0 is not an integer here, which is what money in minor units wants.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace codd::tests::schema {

// A schema that uses a keyword outside the subset, or a keyword with a malformed value.
struct SchemaError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Checks that `schema` stays within the subset; throws SchemaError naming the path of the first problem.
void check_schema(const boost::json::value& schema);

// Validates `instance` against `schema` (checked first). Returns every violation as
// "<path>: <what>", e.g. "$.items[0].quantity: expected integer"; empty when the instance is valid. A `$ref`
// resolves in `root` (the document `schema` is part of, e.g. an OpenAPI document), else in `schema` itself; one
// that does not resolve is a violation.
std::vector<std::string> validate(const boost::json::value& schema, const boost::json::value& instance,
                                  const boost::json::value* root = nullptr);

// The value at local reference `ref` ("#/a/b", a JSON pointer after the '#') in `root`; nullptr if none.
const boost::json::value* resolve(const boost::json::value& root, std::string_view ref);

// The object `v` is, or the one its "$ref" names in `root` (an OpenAPI parameter, response or header may be
// either); throws SchemaError when the reference does not resolve.
const boost::json::object& deref(const boost::json::value& root, const boost::json::value& v);

}  // namespace codd::tests::schema

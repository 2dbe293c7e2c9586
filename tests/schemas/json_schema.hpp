#pragma once
// A validator for the subset of JSON Schema (draft 2020-12) that schemas/ uses:
//   type (a name or an array of names: object, array, string, integer, number, boolean, null),
//   required, properties, additionalProperties (false, true or a schema), items, enum, minimum, minLength,
// plus the annotations $schema, $id, title and description. Any other keyword is an error in the schema,
// so a misspelt keyword cannot silently accept everything.
//
// "integer" means a JSON number without fraction or exponent as Boost.JSON parses it (int64 or uint64):
// 1.0 is not an integer here, which is what money in minor units wants.

#include <stdexcept>
#include <string>
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
// "<path>: <what>", e.g. "$.items[0].quantity: expected integer"; empty when the instance is valid.
std::vector<std::string> validate(const boost::json::value& schema, const boost::json::value& instance);

}  // namespace codd::tests::schema

#pragma once
// Reading what a client sent: a JSON object body and query parameters. Every failure is a ready problem
// response (DESIGN §7): 415 for a body not declared as application/json, 400 for malformed JSON naming the
// line, column and byte where parsing stopped, 400 for a JSON value that is not an object.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "api/http_types.hpp"
#include "api/problem.hpp"

namespace codd::api {

// `allow_empty`: an empty body (no Content-Type needed) reads as {}; for commands whose body is optional.
[[nodiscard]] std::variant<boost::json::object, Response> json_object_body(const Request& request,
                                                                           bool allow_empty = false);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded pairs ('+' is a space); nullopt for a malformed percent escape, an escaped
// NUL, or a parameter other than status (status[]) given twice.
[[nodiscard]] std::optional<QueryParams> parse_query(std::string_view query);
[[nodiscard]] std::optional<std::string> query_value(const QueryParams& q, std::string_view key);
// The 400 for a query string parse_query refused.
[[nodiscard]] Response malformed_query();
// A boolean query value: "true" / "1" or "false" / "0"; nullopt for anything else.
[[nodiscard]] std::optional<bool> parse_bool_value(std::string_view v);

[[nodiscard]] Response validation_problem(std::vector<FieldError> errors);
[[nodiscard]] Response bad_request(std::string detail, std::string message = {});
// The 400 of a command that does not read If-Match sent with one: a condition silently ignored would let a
// client that relies on it lose updates. Only the commands on one order read it (their version).
[[nodiscard]] Response if_match_unsupported();

}  // namespace codd::api

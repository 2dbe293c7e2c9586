#pragma once
// Conformance of the running server to its OpenAPI document (schemas/openapi.json, read from the source tree):
// every exchange of the functional tests' IdentityServer::call is checked, so the document cannot drift from
// what the server answers.

#include <string>
#include <string_view>
#include <vector>

#include "tests/functional/http_client.hpp"

namespace codd::test::openapi {

// What this exchange does that the document does not say, one line each; empty when it conforms. `target` is
// the request target as sent (`/api/...` is checked as `/api/v1/...`; a query is ignored). Checked:
// - the operation (method and path template) is documented, unless the router answered 404 or 405;
// - the status is documented for it (or is one any operation may answer: 401, 405, 408, 413, 415, 429, 431,
//   500, 503, whose body is then a Problem);
// - the Content-Type is one the response documents and a JSON body is valid against its schema;
// - when the request succeeded (2xx), its JSON body is valid against the operation's request schema (and an
//   operation without one accepted no body but `{}`).
// With CODD_OPENAPI_COVERAGE=<file> set, each documented exchange is appended to it as "METHOD template status",
// which shows the operations and statuses the tests reach.
[[nodiscard]] std::vector<std::string> check(std::string_view method, std::string_view target,
                                             const std::string& request_body, const HttpResponse& response);

}  // namespace codd::test::openapi

#pragma once
// Error responses: application/problem+json (RFC 9457) with `type`, `title`, `status`, `detail`, plus
// `message` (what the admin UI shows) and, for validation failures, `errors: [{field, message}]`.
// describe() is the one place where a kind of problem gets its HTTP status (DESIGN §7, §8).

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"

namespace codd::api {

enum class ProblemType {
    bad_request,             // 400 malformed input
    validation,              // 400 well-formed but invalid input, with field errors
    unauthorized,            // 401
    forbidden,               // 403
    not_found,               // 404
    method_not_allowed,      // 405
    request_timeout,         // 408 the client did not finish its request in time
    conflict,                // 409 version conflict
    payload_too_large,       // 413
    unsupported_media_type,  // 415
    header_too_large,        // 431
    unprocessable,           // 422 a domain rule refused the command
    too_many_requests,       // 429
    internal,                // 500 a bug; never for bad input
    unavailable,             // 503
};

struct ProblemInfo {
    int status;
    std::string_view slug;   // the `type` is "urn:codd:problem:<slug>"
    std::string_view title;  // short, fixed per type
};

[[nodiscard]] ProblemInfo describe(ProblemType type);

struct FieldError {
    std::string field;
    std::string message;
};

struct Problem {
    ProblemType type = ProblemType::internal;
    std::string detail;   // this occurrence, for developers
    std::string message;  // for end users; the detail when empty
    std::vector<FieldError> errors;
};

inline constexpr std::string_view kProblemContentType = "application/problem+json";
inline constexpr std::string_view kProblemTypePrefix = "urn:codd:problem:";

// The answer to a handler that threw `error` (logged with the request): 503 with Retry-After when the event
// log cannot take writes (engine::StorageError: a failed disk write or fsync; nothing of the request was
// written), else 500. Never for bad input: that is a 4xx before any work.
[[nodiscard]] Response failure_response(std::string_view request_id, std::string_view method, std::string_view path,
                                        std::exception_ptr error);

// The problem+json body of `p`.
[[nodiscard]] std::string problem_body(const Problem& p);
[[nodiscard]] Response problem_response(const Problem& p);

}  // namespace codd::api

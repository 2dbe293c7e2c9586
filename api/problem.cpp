#include "api/problem.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/logging.hpp"
#include "engine/event_log.hpp"
#include "engine/json_codec.hpp"

namespace codd::api {

ProblemInfo describe(ProblemType type) {
    switch (type) {
        case ProblemType::bad_request:
            return {400, "bad-request", "Bad Request"};
        case ProblemType::validation:
            return {400, "validation", "Validation Failed"};
        case ProblemType::unauthorized:
            return {401, "unauthorized", "Unauthorized"};
        case ProblemType::forbidden:
            return {403, "forbidden", "Forbidden"};
        case ProblemType::not_found:
            return {404, "not-found", "Not Found"};
        case ProblemType::method_not_allowed:
            return {405, "method-not-allowed", "Method Not Allowed"};
        case ProblemType::request_timeout:
            return {408, "request-timeout", "Request Timeout"};
        case ProblemType::conflict:
            return {409, "conflict", "Conflict"};
        case ProblemType::payload_too_large:
            return {413, "payload-too-large", "Payload Too Large"};
        case ProblemType::unsupported_media_type:
            return {415, "unsupported-media-type", "Unsupported Media Type"};
        case ProblemType::header_too_large:
            return {431, "header-too-large", "Request Header Fields Too Large"};
        case ProblemType::unprocessable:
            return {422, "unprocessable", "Unprocessable Content"};
        case ProblemType::too_many_requests:
            return {429, "too-many-requests", "Too Many Requests"};
        case ProblemType::internal:
            return {500, "internal", "Internal Server Error"};
        case ProblemType::unavailable:
            return {503, "unavailable", "Service Unavailable"};
    }
    return {500, "internal", "Internal Server Error"};
}

std::string problem_body(const Problem& p) {
    const ProblemInfo info = describe(p.type);
    boost::json::object o;
    o["type"] = std::string(kProblemTypePrefix) + std::string(info.slug);
    o["title"] = info.title;
    o["status"] = info.status;
    o["detail"] = p.detail;
    o["message"] = p.message.empty() ? p.detail : p.message;
    if (!p.errors.empty()) {
        boost::json::array errors;
        for (const FieldError& e : p.errors) {
            errors.push_back(boost::json::object{{"field", e.field}, {"message", e.message}});
        }
        o["errors"] = std::move(errors);
    }
    return engine::json::serialize(o);
}

Response problem_response(const Problem& p) {
    Response r;
    r.status = describe(p.type).status;
    r.content_type = std::string(kProblemContentType);
    r.body = problem_body(p);
    return r;
}

Response failure_response(std::string_view request_id, std::string_view method, std::string_view path,
                          std::exception_ptr error) {
    std::string what = "unknown exception";
    bool storage = false;
    try {
        if (error) std::rethrow_exception(error);
    } catch (const engine::StorageError& e) {
        what = e.what();
        storage = true;
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    log::error("handler failed", {{"request_id", std::string(request_id)},
                                  {"method", std::string(method)},
                                  {"path", std::string(path)},
                                  {"error", what}});
    if (storage) {
        Response r = problem_response({ProblemType::unavailable,
                                       fmt::format("the event log cannot take writes (request id {})", request_id),
                                       "The service cannot save changes right now. Please try again later.",
                                       {}});
        r.headers.push_back({"Retry-After", "5"});
        return r;
    }
    return problem_response({ProblemType::internal,
                             fmt::format("An unexpected error occurred (request id {}).", request_id),
                             "Something went wrong on our side. Please try again.",
                             {}});
}

}  // namespace codd::api

#include "api/dispatcher.hpp"

#include <exception>

#include <fmt/format.h>

#include "api/logging.hpp"
#include "api/problem.hpp"
#include "api/request_id.hpp"

namespace codd::api {
namespace {

Response internal_error(const std::string& request_id, const std::string& method, const std::string& path,
                        std::string_view what) {
    log::error("handler failed", {{"request_id", request_id}, {"method", method}, {"path", path}, {"error", what}});
    return problem_response({ProblemType::internal,
                             fmt::format("An unexpected error occurred (request id {}).", request_id),
                             "Something went wrong on our side. Please try again.",
                             {}});
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (const std::string& s : v) {
        if (!out.empty()) out.append(sep);
        out.append(s);
    }
    return out;
}

}  // namespace

Dispatcher::Dispatcher(Router router, std::shared_ptr<engine::IdGenerator> ids)
    : router_(std::move(router)), ids_(std::move(ids)) {}

std::string Dispatcher::request_id(std::optional<std::string_view> incoming) const {
    return accept_or_generate_request_id(incoming, *ids_);
}

void Dispatcher::dispatch(Request request, Responder respond) const {
    if (request.request_id.empty()) request.request_id = request_id(request.header("X-Request-ID"));
    Router::Match m = router_.match(request.method, request.path);
    if (m.outcome == Router::Outcome::not_found) {
        return respond(problem_response({ProblemType::not_found,
                                         fmt::format("No route for {} {}.", request.method, request.path),
                                         "The requested resource does not exist.",
                                         {}}));
    }
    if (m.outcome == Router::Outcome::method_not_allowed) {
        const std::string allow = join(m.allowed, ", ");
        Response r =
            problem_response({ProblemType::method_not_allowed,
                              fmt::format("{} is not allowed on {}; allowed: {}.", request.method, request.path, allow),
                              "This action is not supported here.",
                              {}});
        r.headers.push_back({"Allow", allow});
        return respond(std::move(r));
    }
    request.params = std::move(m.params);
    // Kept for the error path: the handler owns (and may have moved from) the request by then.
    const std::string request_id = request.request_id;
    const std::string method = request.method;
    const std::string path = request.path;
    try {
        (*m.handler)(std::move(request), respond);
    } catch (const std::exception& e) {
        if (!respond.answered()) respond(internal_error(request_id, method, path, e.what()));
    } catch (...) {
        if (!respond.answered()) respond(internal_error(request_id, method, path, "unknown exception"));
    }
}

}  // namespace codd::api

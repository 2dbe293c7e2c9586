#include "api/dispatcher.hpp"

#include <exception>

#include <fmt/format.h>

#include "api/edge.hpp"
#include "api/logging.hpp"
#include "api/problem.hpp"
#include "api/request_id.hpp"

namespace codd::api {
namespace {

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (const std::string& s : v) {
        if (!out.empty()) out.append(sep);
        out.append(s);
    }
    return out;
}

}  // namespace

Dispatcher::Dispatcher(Router router, std::shared_ptr<engine::IdGenerator> ids, std::shared_ptr<const Edge> edge)
    : router_(std::move(router)), ids_(std::move(ids)), edge_(std::move(edge)) {
    if (!edge_) return;
    std::vector<std::string> patterns;
    for (const Router::RouteInfo& r : router_.routes()) patterns.push_back(r.pattern);
    edge_->bind_routes(patterns);
}

Response Dispatcher::finish_rejected(Request head, Response response) const {
    if (!edge_) return response;
    const Edge::Context context = edge_->begin(head);
    edge_->finish(context, response);
    return response;
}

std::string Dispatcher::request_id(std::optional<std::string_view> incoming) const {
    return accept_or_generate_request_id(incoming, *ids_);
}

Responder::Watch Dispatcher::dispatch(Request request, Responder respond) const {
    route(std::move(request), respond);
    return respond.watch();
}

void Dispatcher::route(Request request, Responder& respond) const {
    if (request.request_id.empty()) request.request_id = request_id(request.header("X-Request-ID"));
    std::optional<Edge::Context> edge_context;
    if (edge_) {
        edge_context = edge_->begin(request);
        if (auto early = edge_->admit(request, *edge_context)) {
            edge_->finish(*edge_context, *early);
            return respond(std::move(*early));
        }
    }
    Router::Match m = router_.match(request.method, request.path);
    if (edge_context) {
        // From here on every answer, the handler's included, passes the edge on its way out.
        if (m.outcome == Router::Outcome::found) edge_context->route = edge_->route_index(m.pattern);
        respond = Responder(
            [edge = edge_, context = std::move(*edge_context), inner = respond](Response r) {
                edge->finish(context, r);
                inner(std::move(r));
            },
            request.request_id, request.method, request.path);
    }
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
    if (edge_) {
        if (auto refused = edge_->check_body(request)) return respond(std::move(*refused));
    }
    request.params = std::move(m.params);
    // Kept for the error path: the handler owns (and may have moved from) the request by then.
    const std::string request_id = request.request_id;
    const std::string method = request.method;
    const std::string path = request.path;
    try {
        (*m.handler)(std::move(request), respond);
    } catch (...) {
        if (!respond.answered()) respond(failure_response(request_id, method, path, std::current_exception()));
    }
}

}  // namespace codd::api

#include <atomic>

#include <fmt/format.h>

#include "api/http_types.hpp"
#include "api/logging.hpp"
#include "api/problem.hpp"

namespace codd::api {

struct Responder::State {
    Sink sink;
    std::string request_id;
    std::string method;
    std::string path;
    std::atomic<bool> answered{false};

    ~State() {
        if (answered.load()) return;
        // A handler lost its continuation: answer anyway, and make the bug visible.
        log::error("handler dropped its responder without answering",
                   {{"request_id", request_id}, {"method", method}, {"path", path}});
        try {
            sink(problem_response({ProblemType::internal,
                                   fmt::format("The request was not answered (request id {}).", request_id),
                                   "Something went wrong on our side. Please try again.",
                                   {}}));
        } catch (...) {
            log::error("answering a dropped request failed", {{"request_id", request_id}});
        }
    }
};

Responder::Responder(Sink sink, std::string request_id, std::string method, std::string path)
    : state_(std::make_shared<State>()) {
    state_->sink = std::move(sink);
    state_->request_id = std::move(request_id);
    state_->method = std::move(method);
    state_->path = std::move(path);
}

void Responder::operator()(Response response) const {
    if (state_->answered.exchange(true)) {
        log::error("handler answered twice; the second response is dropped",
                   {{"request_id", state_->request_id}, {"status", response.status}});
        return;
    }
    state_->sink(std::move(response));
}

bool Responder::answered() const {
    return state_->answered.load();
}

Handler sync_handler(SyncHandler handler) {
    return [h = std::move(handler)](Request request, Responder respond) { respond(h(request)); };
}

}  // namespace codd::api

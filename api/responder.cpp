#include <atomic>
#include <optional>

#include <fmt/format.h>

#include "api/http_types.hpp"
#include "api/logging.hpp"
#include "api/problem.hpp"

namespace codd::api {
namespace {

// Who answered: one transition from open, decided by a compare-exchange, so the handler and the deadline
// can race and a late answer is told apart from a second one.
enum class Answer { open, handler, deadline };

}  // namespace

struct Responder::State {
    Sink sink;
    std::string request_id;
    std::string method;
    std::string path;
    std::atomic<Answer> answer{Answer::open};

    // Claims the answer for `who`; returns who had it when it was already taken.
    std::optional<Answer> claim(Answer who) {
        Answer expected = Answer::open;
        if (answer.compare_exchange_strong(expected, who)) return std::nullopt;
        return expected;
    }

    ~State() {
        if (answer.load() != Answer::open) return;
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
    if (const auto taken = state_->claim(Answer::handler)) {
        if (*taken == Answer::deadline) {
            log::warn("late answer dropped: the request deadline had passed", {{"request_id", state_->request_id},
                                                                               {"method", state_->method},
                                                                               {"path", state_->path},
                                                                               {"status", response.status}});
        } else {
            log::error("handler answered twice; the second response is dropped",
                       {{"request_id", state_->request_id}, {"status", response.status}});
        }
        return;
    }
    state_->sink(std::move(response));
}

void Responder::fail(std::exception_ptr error) const {
    if (answered()) return;
    (*this)(failure_response(state_->request_id, state_->method, state_->path, std::move(error)));
}

bool Responder::answered() const {
    return state_->answer.load() != Answer::open;
}

Responder::Watch Responder::watch() const {
    Watch w;
    w.state_ = state_;
    return w;
}

bool Responder::Watch::expire(std::chrono::milliseconds deadline) const {
    const auto state = state_.lock();
    if (!state || state->claim(Answer::deadline)) return false;
    log::warn("request deadline passed; answered 503", {{"request_id", state->request_id},
                                                        {"method", state->method},
                                                        {"path", state->path},
                                                        {"timeout_ms", deadline.count()}});
    state->sink(problem_response(
        {ProblemType::unavailable,
         fmt::format("The request was not answered within {} ms (request id {}).", deadline.count(), state->request_id),
         "The request took too long.",
         {}}));
    return true;
}

bool Responder::Watch::answered() const {
    const auto state = state_.lock();
    return !state || state->answer.load() != Answer::open;
}

Handler sync_handler(SyncHandler handler) {
    return [h = std::move(handler)](Request request, Responder respond) { respond(h(request)); };
}

}  // namespace codd::api

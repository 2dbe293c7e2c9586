// The request deadline at the dispatcher/responder level (DESIGN §7: never a hang): a handler that never
// answers is answered 503 once the deadline passes, through the edge like any answer; its late answer, and
// an expiry that comes after the handler answered, change nothing.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>

#include "api/dispatcher.hpp"
#include "api/edge.hpp"

using namespace codd::api;
using namespace std::chrono_literals;

namespace {

constexpr auto kDeadline = 50ms;

// Keeps the responders of a handler that never answers, as a lost callback somewhere would.
struct Parked {
    std::mutex mu;
    std::vector<Responder> responders;
    void park(Responder r) {
        std::lock_guard lk(mu);
        responders.push_back(std::move(r));
    }
    void answer_all(int status) {
        std::lock_guard lk(mu);
        for (const Responder& r : responders) r(Response::json(status, nullptr));
    }
};

Dispatcher make_dispatcher(Parked& parked, bool with_edge) {
    Router router;
    router.add("GET", "/never", [&parked](Request, Responder respond) { parked.park(std::move(respond)); });
    router.add("GET", "/now", [](const Request&) { return Response{}; });
    std::shared_ptr<const Edge> edge;
    if (with_edge) edge = std::make_shared<const Edge>(EdgeOptions{});
    return Dispatcher(std::move(router), std::make_shared<codd::engine::SequentialIdGenerator>(), edge);
}

Request get(std::string path) {
    Request r;
    r.method = "GET";
    r.path = path;
    r.target = std::move(path);
    r.peer = "203.0.113.5";
    r.request_id = "req-1";  // as the server sets it before dispatching
    return r;
}

// Every answer that reached the connection.
struct Sent {
    std::mutex mu;
    std::vector<Response> responses;
    std::promise<void> first;
    std::atomic<int> count{0};

    Responder responder(const std::string& path) {
        return Responder(
            [this](Response r) {
                {
                    std::lock_guard lk(mu);
                    responses.push_back(std::move(r));
                }
                if (count.fetch_add(1) == 0) first.set_value();
            },
            "req-1", "GET", path);
    }
};

// What the server does: expire the watch once the deadline has passed, on another thread.
std::thread expire_after(Responder::Watch watch, std::chrono::milliseconds deadline, std::atomic<bool>& expired) {
    return std::thread([watch, deadline, &expired] {
        std::this_thread::sleep_for(deadline);
        expired = watch.expire(deadline);
    });
}

bool has_header(const Response& r, std::string_view name) {
    for (const Header& h : r.headers) {
        if (h.name == name) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("deadline: a handler that never answers gets a 503 after the deadline, its late answer is dropped") {
    for (const bool with_edge : {false, true}) {
        INFO("edge: " << with_edge);
        Parked parked;
        const Dispatcher d = make_dispatcher(parked, with_edge);
        Sent sent;
        const auto started = std::chrono::steady_clock::now();
        const Responder::Watch watch = d.dispatch(get("/never"), sent.responder("/never"));
        CHECK_FALSE(watch.answered());
        std::atomic<bool> expired{false};
        std::thread timer = expire_after(watch, kDeadline, expired);
        REQUIRE(sent.first.get_future().wait_for(5s) == std::future_status::ready);
        timer.join();
        CHECK(expired);
        CHECK(std::chrono::steady_clock::now() - started >= kDeadline);
        CHECK(watch.answered());
        {
            std::lock_guard lk(sent.mu);
            REQUIRE(sent.responses.size() == 1);
            const Response& r = sent.responses[0];
            CHECK(r.status == 503);
            CHECK(r.content_type == "application/problem+json");
            const auto body = boost::json::parse(r.body).as_object();
            CHECK(body.at("status") == 503);
            CHECK(body.at("message") == "The request took too long.");
            CHECK(std::string(body.at("detail").as_string()).find("req-1") != std::string::npos);
            // Through the edge, the 503 carries the edge's headers like any other answer.
            CHECK(has_header(r, "X-Content-Type-Options") == with_edge);
        }
        // when the handler finally answers
        parked.answer_all(200);
        // then nothing more reaches the connection, and a second expiry does nothing either
        std::this_thread::sleep_for(20ms);
        CHECK(sent.count == 1);
        CHECK_FALSE(watch.expire(kDeadline));
        CHECK(sent.count == 1);
    }
}

TEST_CASE("deadline: an expiry after the handler answered changes nothing") {
    Parked parked;
    const Dispatcher d = make_dispatcher(parked, true);
    Sent sent;
    const Responder::Watch answered_now = d.dispatch(get("/now"), sent.responder("/now"));
    CHECK(answered_now.answered());
    CHECK_FALSE(answered_now.expire(kDeadline));

    Sent later;
    const Responder::Watch watch = d.dispatch(get("/never"), later.responder("/never"));
    parked.answer_all(201);
    CHECK_FALSE(watch.expire(kDeadline));
    CHECK(sent.count == 1);
    CHECK(sent.responses.at(0).status == 200);
    CHECK(later.count == 1);
    CHECK(later.responses.at(0).status == 201);
}

TEST_CASE("deadline: a watch does not keep the request open, a dropped responder still answers 500 at once") {
    Router router;
    router.add("GET", "/dropped", [](Request, Responder) {});
    const Dispatcher d(std::move(router), std::make_shared<codd::engine::SequentialIdGenerator>());
    Sent sent;
    const Responder::Watch watch = d.dispatch(get("/dropped"), sent.responder("/dropped"));
    CHECK(sent.count == 1);
    CHECK(sent.responses.at(0).status == 500);
    CHECK(watch.answered());
    CHECK_FALSE(watch.expire(kDeadline));
    CHECK(sent.count == 1);
}

TEST_CASE("deadline: handler and deadline racing give exactly one answer") {
    Parked parked;
    const Dispatcher d = make_dispatcher(parked, true);
    for (int i = 0; i < 200; ++i) {
        Sent sent;
        const Responder::Watch watch = d.dispatch(get("/never"), sent.responder("/never"));
        std::thread deadline([&watch] { watch.expire(kDeadline); });
        parked.answer_all(200);
        deadline.join();
        CHECK(sent.count == 1);
        parked.responders.clear();
    }
}

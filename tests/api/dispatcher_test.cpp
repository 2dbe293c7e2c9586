#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include <boost/json/parse.hpp>

#include "api/dispatcher.hpp"
#include "api/worker_pool.hpp"
#include "engine/event_log.hpp"

using namespace codd::api;
using namespace std::chrono_literals;

namespace {

Dispatcher make_dispatcher(WorkerPool* pool = nullptr) {
    Router router;
    router.add("GET", "/ok/:name", [](const Request& r) {
        Response res;
        res.body = std::string(r.param("name").value_or("?")) + "|" + r.request_id;
        return res;
    });
    router.add("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("secret internals"); });
    router.add("GET", "/disk-full", [](const Request&) -> Response {
        throw codd::engine::StorageError("write batch: IO error: No space left on device");
    });
    // A worker's job that fails: the responder it was given answers for it (run_on_workers, commerce add).
    router.add("GET", "/disk-full-in-pool", [pool](Request, Responder respond) {
        pool->post([respond] {
            try {
                throw codd::engine::StorageError("sync WAL: IO error");
            } catch (...) {
                respond.fail(std::current_exception());
            }
        });
    });
    // Answers later, from a thread of the pool.
    router.add("GET", "/later", [pool](Request r, Responder respond) {
        pool->post([r = std::move(r), respond] {
            std::this_thread::sleep_for(10ms);
            Response res;
            res.body = "later|" + r.request_id;
            respond(std::move(res));
        });
    });
    // Loses its continuation: the responder is destroyed on another thread without an answer.
    router.add("GET", "/dropped", [pool](Request, Responder respond) { pool->post([respond] {}); });
    router.add("GET", "/dropped-now", [](Request, Responder) {});
    router.add("GET", "/throws-in-pool", [pool](Request, Responder respond) {
        pool->post([respond] { throw std::runtime_error("worker bug"); });
    });
    router.add("GET", "/twice", [](Request, Responder respond) {
        respond(Response::json(201, nullptr));
        respond(Response::json(202, nullptr));
        throw std::runtime_error("after answering");
    });
    return Dispatcher(std::move(router), std::make_shared<codd::engine::SequentialIdGenerator>());
}

Request request(std::string method, std::string path, std::vector<Header> headers = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.target = r.path;
    r.headers = std::move(headers);
    return r;
}

// Dispatches and waits (bounded) for the one answer; counts answers to catch a second one.
struct Outcome {
    Response response;
    int answers = 0;
};

Outcome run(const Dispatcher& d, Request r) {
    auto promise = std::make_shared<std::promise<Response>>();
    auto answers = std::make_shared<std::atomic<int>>(0);
    auto future = promise->get_future();
    d.dispatch(std::move(r), Responder(
                                 [promise, answers](Response res) {
                                     if (answers->fetch_add(1) == 0) promise->set_value(std::move(res));
                                 },
                                 "test", "GET", "/"));
    REQUIRE(future.wait_for(5s) == std::future_status::ready);
    std::this_thread::sleep_for(20ms);  // room for a wrong second answer to show up
    return {future.get(), answers->load()};
}

}  // namespace

TEST_CASE("dispatch sets the request id and params") {
    const Dispatcher d = make_dispatcher();
    CHECK(run(d, request("GET", "/ok/abc", {{"x-request-id", "client-7"}})).response.body == "abc|client-7");

    const Response generated = run(d, request("GET", "/ok/x", {{"X-Request-ID", "not valid"}})).response;
    const std::string id = generated.body.substr(2);
    CHECK(id.size() == 36);

    Request preset = request("GET", "/ok/y", {{"X-Request-ID", "client-8"}});
    preset.request_id = "server-chosen";  // the server decides the id before dispatching
    CHECK(run(d, std::move(preset)).response.body == "y|server-chosen");
}

TEST_CASE("unknown routes and wrong methods are problems") {
    const Dispatcher d = make_dispatcher();
    const Response not_found = run(d, request("GET", "/missing")).response;
    CHECK(not_found.status == 404);
    CHECK(not_found.content_type == "application/problem+json");

    const Response not_allowed = run(d, request("POST", "/boom")).response;
    CHECK(not_allowed.status == 405);
    REQUIRE(not_allowed.headers.size() == 1);
    CHECK(not_allowed.headers[0].name == "Allow");
    CHECK(not_allowed.headers[0].value == "GET, HEAD");
}

TEST_CASE("a throwing handler is a 500 that reveals nothing") {
    const Dispatcher d = make_dispatcher();
    const Outcome out = run(d, request("GET", "/boom", {{"X-Request-ID", "boom-1"}}));
    CHECK(out.response.status == 500);
    CHECK(out.response.body.find("secret internals") == std::string::npos);
    CHECK(boost::json::parse(out.response.body).at("detail").as_string().find("boom-1") != std::string::npos);
    CHECK(out.answers == 1);
}

TEST_CASE("a handler failing on storage is a 503 with Retry-After, in the handler or on a worker") {
    WorkerPool pool(1);
    const Dispatcher d = make_dispatcher(&pool);
    for (const char* path : {"/disk-full", "/disk-full-in-pool"}) {
        INFO(path);
        const Outcome out = run(d, request("GET", path, {{"X-Request-ID", "disk-1"}}));
        CHECK(out.response.status == 503);
        REQUIRE(out.response.headers.size() == 1);
        CHECK(out.response.headers[0].name == "Retry-After");
        INFO(out.response.body);
        CHECK(out.response.body.find("No space") == std::string::npos);  // the detail names the request, not the error
        CHECK(boost::json::parse(out.response.body).at("detail").as_string().find("request id") != std::string::npos);
        CHECK(out.answers == 1);
    }
}

TEST_CASE("a handler answers from another thread") {
    WorkerPool pool(2);
    const Dispatcher d = make_dispatcher(&pool);
    const Outcome out = run(d, request("GET", "/later", {{"X-Request-ID", "late-1"}}));
    CHECK(out.response.status == 200);
    CHECK(out.response.body == "later|late-1");
    CHECK(out.answers == 1);
}

TEST_CASE("a dropped responder answers 500 instead of hanging") {
    WorkerPool pool(2);
    const Dispatcher d = make_dispatcher(&pool);
    for (const char* path : {"/dropped", "/dropped-now", "/throws-in-pool"}) {
        INFO(path);
        const Outcome out = run(d, request("GET", path));
        CHECK(out.response.status == 500);
        CHECK(out.response.content_type == "application/problem+json");
        CHECK(out.response.body.find("worker bug") == std::string::npos);
        CHECK(out.answers == 1);
    }
}

TEST_CASE("only the first answer counts") {
    const Dispatcher d = make_dispatcher();
    const Outcome out = run(d, request("GET", "/twice"));
    CHECK(out.response.status == 201);
    CHECK(out.answers == 1);
}

TEST_CASE("a stopped pool destroys queued work, which answers 500") {
    WorkerPool pool(1);
    pool.stop();
    const Dispatcher d = make_dispatcher(&pool);
    CHECK(run(d, request("GET", "/later")).response.status == 500);
}

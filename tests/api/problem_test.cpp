#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "api/problem.hpp"

using namespace codd::api;

TEST_CASE("the status mapping") {
    const std::pair<ProblemType, int> expected[] = {
        {ProblemType::bad_request, 400},       {ProblemType::validation, 400},
        {ProblemType::unauthorized, 401},      {ProblemType::forbidden, 403},
        {ProblemType::not_found, 404},         {ProblemType::method_not_allowed, 405},
        {ProblemType::request_timeout, 408},   {ProblemType::conflict, 409},
        {ProblemType::payload_too_large, 413}, {ProblemType::unsupported_media_type, 415},
        {ProblemType::unprocessable, 422},     {ProblemType::header_too_large, 431},
        {ProblemType::too_many_requests, 429}, {ProblemType::internal, 500},
        {ProblemType::unavailable, 503},
    };
    for (const auto& [type, status] : expected) {
        CAPTURE(status);
        const ProblemInfo info = describe(type);
        CHECK(info.status == status);
        CHECK(!info.slug.empty());
        CHECK(!info.title.empty());
    }
}

TEST_CASE("problem bodies") {
    const Response r = problem_response({ProblemType::not_found, "No order 42.", "Order not found.", {}});
    CHECK(r.status == 404);
    CHECK(r.content_type == "application/problem+json");
    CHECK(boost::json::parse(r.body) == boost::json::parse(R"({"type":"urn:codd:problem:not-found",
        "title":"Not Found","status":404,"detail":"No order 42.","message":"Order not found."})"));

    const auto body = boost::json::parse(problem_body({ProblemType::validation,
                                                       "2 fields are invalid",
                                                       "",
                                                       {{"phone", "is required"}, {"items", "must not be empty"}}}));
    CHECK(body.at("status") == 400);
    CHECK(body.at("message") == "2 fields are invalid");  // defaults to the detail
    CHECK(body.at("errors").as_array().size() == 2);
    CHECK(body.at("errors").at(0).at("field") == "phone");
    CHECK(body.at("errors").at(1).at("message") == "must not be empty");
}

TEST_CASE("problem bodies escape what they carry") {
    const auto body = boost::json::parse(problem_body({ProblemType::bad_request, "bad \"quote\"\n\x01", "", {}}));
    CHECK(body.at("detail") == "bad \"quote\"\n\x01");
}

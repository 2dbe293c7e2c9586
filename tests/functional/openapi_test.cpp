// The OpenAPI document against the running server: the server serves it (under both API roots, without a token),
// it is the source file with each operation's access rule added, and its operations are exactly the routes the
// server has. Every exchange of the functional tests through IdentityServer is checked against the document too
// (openapi_check.hpp); this file covers the few answers no other test gets.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tests/functional/identity_fixture.hpp"

using namespace codd::test;
namespace json = boost::json;

namespace {

json::value source_document() {
    std::ifstream in(CODD_SOURCE_DIR "/schemas/openapi.json", std::ios::binary);
    REQUIRE(in.good());
    std::stringstream s;
    s << in.rdbuf();
    return json::parse(s.str());
}

// "GET /api/orders/:id" (the index's form, under either root) -> "get /api/v1/orders/{id}".
std::string documented_form(const std::string& route) {
    const auto space = route.find(' ');
    std::string method = route.substr(0, space);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string path = route.substr(space + 1);
    if (path.starts_with("/api/") && !path.starts_with("/api/v1/")) path.insert(4, "/v1");
    std::string out;
    bool param = false;
    for (const char c : path) {
        if (c == ':') {
            out += '{';
            param = true;
        } else if (c == '/' && param) {
            out += "}/";
            param = false;
        } else {
            out += c;
        }
    }
    if (param) out += '}';
    return method + " " + out;
}

}  // namespace

TEST_CASE("the server serves its OpenAPI document, without a token, with each operation's access rule") {
    IdentityServer s;
    const HttpResponse v1 = s.get("/api/v1/openapi.json");
    REQUIRE(v1.status == 200);
    CHECK(v1.header("Content-Type").value_or("").starts_with("application/json"));
    const HttpResponse current = s.get("/api/openapi.json");
    CHECK(current.status == 200);
    CHECK(current.body == v1.body);

    json::value served = v1.json();
    int operations = 0;
    for (auto& [path, item] : served.at("paths").as_object()) {
        for (auto& [method, op] : item.as_object()) {
            INFO(method << " " << path);
            auto& o = op.as_object();
            if (path.starts_with("/api/v1/")) {
                REQUIRE(o.contains("x-codd-access"));
                CHECK(!o.at("x-codd-access").as_string().empty());
                o.erase("x-codd-access");
                ++operations;
            } else {
                CHECK(!o.contains("x-codd-access"));  // the ops endpoints are not in the RBAC table
            }
        }
    }
    CHECK(operations > 70);
    CHECK(served == source_document());
    const json::value annotated = v1.json();
    const auto& access = annotated.at("paths");
    CHECK(access.at("/api/v1/financial/deposits").at("post").at("x-codd-access") ==
          "role: super_admin, admin, accountant");
    CHECK(access.at("/api/v1/users/{id}").at("get").at("x-codd-access") ==
          "own account or role: super_admin, admin, manager");
}

TEST_CASE("the document's operations are exactly the routes the server has") {
    IdentityServer s;
    const HttpResponse index = s.get("/");
    REQUIRE(index.status == 200);
    const json::value listed = index.json();
    std::set<std::string> served;
    for (const auto& route : listed.at("endpoints").as_array()) {
        served.insert(documented_form(std::string(route.as_string())));
    }
    std::set<std::string> documented;
    const json::value doc = source_document();
    for (const auto& [path, item] : doc.at("paths").as_object()) {
        for (const auto& [method, op] : item.as_object())
            documented.insert(std::string(method) + " " + std::string(path));
    }
    CHECK(served.size() > 70);
    for (const auto& route : served) {
        INFO(route);
        CHECK(documented.contains(route));
    }
    for (const auto& op : documented) {
        INFO(op);
        CHECK(served.contains(op));
    }
}

TEST_CASE("answers no other test checks against the document: health, liveness, deactivating a user") {
    IdentityServer s;
    CHECK(s.get("/health").status == 200);
    CHECK(s.get("/health/live").status == 200);
    CHECK(s.get("/health/ready").status == 200);
    const std::string root = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));
    const std::int64_t id = s.create_user(root, "leaving@example.com", "Leaving#Passw0rd!", "sales_rep");
    CHECK(s.call("DELETE", "/api/v1/users/" + std::to_string(id), root).status == 200);
    CHECK(s.call("DELETE", "/api/users/" + std::to_string(id), root).status == 409);  // already deactivated
}

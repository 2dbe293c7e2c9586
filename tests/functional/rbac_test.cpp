// The whole role × endpoint matrix of the RBAC table against the real `codd serve` (issue 3): one user per
// role, every role against every endpoint, expecting exactly the table's allow ("not 401/403") or deny (403);
// then a scan of the server's output for any password or token it saw.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <regex>

#include "api/rbac.hpp"
#include "tests/functional/identity_fixture.hpp"

namespace {

using namespace codd::test;
namespace json = boost::json;
namespace api = codd::api;
using codd::engine::users::kAllRoles;
using codd::engine::users::Role;

constexpr const char* kPassword = "Role#Passw0rd";

struct Account {
    Role role;
    std::int64_t id = 0;
    std::string access;
    std::string refresh;
};

std::string with_id(std::string_view path, std::int64_t id) {
    std::string out(path);
    if (const std::size_t at = out.find(":id"); at != std::string::npos) out.replace(at, 3, std::to_string(id));
    return out;
}

// A body that is harmless when accepted: an empty object, or for the matrix the current matrix.
std::optional<json::value> body_for(const api::EndpointAccess& e, const json::value& matrix) {
    if (e.method == "GET" || e.method == "DELETE") return std::nullopt;
    if (e.path == "/admin/permissions") return matrix;
    return json::object{};
}

}  // namespace

TEST_CASE("every role against every endpoint gets exactly the table's answer") {
    IdentityServer s(Env{{"CODD_ALLOW_REGISTRATION", "true"}});
    std::vector<std::string> secrets = {kAdminPassword, kPassword};
    const json::object root_login = s.login(kAdminEmail, kAdminPassword);
    const std::string root = IdentityServer::access_token(root_login);

    std::vector<Account> accounts;
    for (const Role role : kAllRoles) {
        const std::string email = std::string(codd::engine::users::to_string(role)) + "@example.com";
        const std::int64_t id = s.create_user(root, email, kPassword, codd::engine::users::to_string(role));
        const json::object l = s.login(email, kPassword);
        accounts.push_back({role, id, IdentityServer::access_token(l), IdentityServer::refresh_token(l)});
        secrets.push_back(accounts.back().access);
        secrets.push_back(accounts.back().refresh);
    }
    // The target of `:id` routes: a sales rep that is none of the callers.
    const std::int64_t victim = s.create_user(root, "victim@example.com", kPassword, "sales_rep");
    const json::value matrix = s.call("GET", "/api/admin/permissions", root).json();

    int checked = 0;
    for (const api::EndpointAccess& e : api::endpoint_table()) {
        if (e.path == "/auth/logout") continue;  // ends the caller's session: checked last, below
        for (const Account& a : accounts) {
            for (const std::string_view root_path : api::kApiRoots) {
                const std::string target = std::string(root_path) + with_id(e.path, victim);
                const bool allowed =
                    api::decide_access(e.access, {a.id, a.role}, codd::engine::users::default_permissions(), victim)
                        .allowed;
                const HttpResponse r = s.call(std::string(e.method), target, a.access, body_for(e, matrix));
                INFO(codd::engine::users::to_string(a.role) << " " << e.method << " " << target << " -> " << r.status
                                                             << " " << r.body);
                if (allowed) {
                    CHECK(r.status != 401);
                    CHECK(r.status != 403);
                    CHECK(r.status < 500);
                } else {
                    CHECK(r.status == 403);
                    CHECK(r.json().at("required").is_string());
                }
                ++checked;
            }
        }
        // Without a token: 401 unless public.
        const HttpResponse anonymous = s.call(std::string(e.method), "/api" + with_id(e.path, victim), {}, body_for(e, matrix));
        INFO("anonymous " << e.method << " " << e.path << " -> " << anonymous.status);
        if (e.access.rule == api::AccessRule::public_access) {
            CHECK(anonymous.status != 401);
        } else {
            CHECK(anonymous.status == 401);
        }
    }
    CHECK(checked >= 300);

    SUBCASE("scoped reads: a user reads and toggles only their own record unless an admin role") {
        for (const Account& a : accounts) {
            INFO(codd::engine::users::to_string(a.role));
            CHECK(s.call("GET", "/api/users/" + std::to_string(a.id), a.access).status == 200);
            const bool admin_role = a.role == Role::super_admin || a.role == Role::admin || a.role == Role::manager;
            const HttpResponse other = s.call("GET", "/api/users/" + std::to_string(victim), a.access);
            CHECK(other.status == (admin_role ? 200 : 403));
            const HttpResponse toggle =
                s.call("PATCH", "/api/users/" + std::to_string(victim) + "/availability", a.access, json::object{});
            CHECK((admin_role ? toggle.status == 200 : toggle.status == 403));
            CHECK(s.call("PATCH", "/api/users/" + std::to_string(a.id) + "/availability", a.access,
                         json::object{{"isAvailable", true}})
                      .status == 200);
        }
    }

    // Logout is open to every authenticated user.
    for (const Account& a : accounts) {
        CHECK(s.call("POST", "/api/auth/logout", a.access, json::object{{"refreshToken", a.refresh}}).status == 200);
    }

    // Nothing the server saw as a secret may be in its output.
    const std::string output = s.stop();
    REQUIRE(!output.empty());
    for (const std::string& secret : secrets) CHECK(output.find(secret) == std::string::npos);
    CHECK(output.find(IdentityServer::refresh_token(root_login)) == std::string::npos);
    CHECK(output.find("eyJ") == std::string::npos);  // no JWT of any kind (base64url of '{"')
    CHECK(output.find("$argon2") == std::string::npos);
}

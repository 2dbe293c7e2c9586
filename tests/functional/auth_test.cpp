// Black-box tests of authentication: the real `codd serve`, over HTTP (issue 3).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <csignal>
#include <thread>

#include "api/jwt.hpp"
#include "tests/functional/identity_fixture.hpp"

namespace {

using namespace codd::test;
using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kUserPassword = "Agent#Pass123";

std::string message_of(const HttpResponse& r) {
    return r.json().at("message").is_string() ? std::string(r.json().at("message").as_string()) : std::string();
}

json::object read_secrets(const IdentityServer& s) {
    return json::parse(read_file(s.data_dir() / "secrets.json")).as_object();
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("login answers the admin UI's shape, refresh rotates, reuse revokes the family") {
    IdentityServer s;
    for (const char* root : {"/api/auth", "/api/v1/auth"}) {
        const HttpResponse r = s.call("POST", std::string(root) + "/login", {},
                                      json::object{{"email", "ROOT@example.com "}, {"password", kAdminPassword}});
        REQUIRE(r.status == 200);
        const json::object body = r.json().as_object();
        CHECK(body.at("message").is_string());
        const json::object& user = body.at("user").as_object();
        CHECK(user.at("id").is_int64());
        CHECK(user.at("email") == "root@example.com");
        CHECK(user.at("role") == "super_admin");
        CHECK(user.at("preferences").is_object());
        CHECK_FALSE(user.contains("password"));
        CHECK_FALSE(user.contains("passwordHash"));
        CHECK(r.body.find("argon2") == std::string::npos);
        CHECK(body.at("permissions").at("products").as_array().size() >= 5);  // super_admin: everything
        CHECK(body.at("tokens").at("accessToken").as_string().size() > 20);
    }

    const json::object login = s.login(kAdminEmail, kAdminPassword);
    const std::string access = IdentityServer::access_token(login);
    const std::string refresh1 = IdentityServer::refresh_token(login);

    const HttpResponse me = s.call("GET", "/api/auth/me", access);
    REQUIRE(me.status == 200);
    CHECK(me.json().at("user").at("email") == "root@example.com");
    CHECK(me.json().at("permissions").is_object());

    const HttpResponse r1 = s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", refresh1}});
    REQUIRE(r1.status == 200);
    const std::string access2(r1.json().at("accessToken").as_string());
    const std::string refresh2(r1.json().at("refreshToken").as_string());
    CHECK(refresh2 != refresh1);
    CHECK(s.call("GET", "/api/auth/me", access2).status == 200);

    // The rotated-away token is reuse: refused, and the whole family dies with it.
    const HttpResponse reuse = s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", refresh1}});
    CHECK(reuse.status == 401);
    CHECK(s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", refresh2}}).status == 401);
    CHECK(s.call("GET", "/api/auth/me", access2).status == 401);

    // Another login is another family, unaffected.
    const json::object other = s.login(kAdminEmail, kAdminPassword);
    CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(other)).status == 200);
}

TEST_CASE("wrong password, unknown email and deactivated users get the same 401") {
    IdentityServer s;
    const std::string admin = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));
    const std::int64_t id = s.create_user(admin, "gone@example.com", kUserPassword, "sales_rep");
    REQUIRE(s.call("DELETE", "/api/admin/users/" + std::to_string(id), admin).status == 200);

    for (const auto& [email, password] : std::vector<std::pair<std::string, std::string>>{
             {kAdminEmail, "Wrong#Pass1"}, {"nobody@example.com", kUserPassword}, {"gone@example.com", kUserPassword}}) {
        INFO(email);
        const HttpResponse r = s.call("POST", "/api/auth/login", {}, json::object{{"email", email}, {"password", password}});
        CHECK(r.status == 401);
        CHECK(r.header("Content-Type") == "application/problem+json");
        CHECK(message_of(r) == "Invalid email or password");
    }
    const HttpResponse missing = s.call("POST", "/api/auth/login", {}, json::object{{"email", kAdminEmail}});
    CHECK(missing.status == 400);
    CHECK(missing.json().at("errors").at(0).at("field") == "password");
}

TEST_CASE("logout, deactivation and password reset end sessions") {
    IdentityServer s;
    const std::string admin = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));
    const std::int64_t id = s.create_user(admin, "agent@example.com", kUserPassword, "delivery_agent");
    const std::string uid = std::to_string(id);

    SUBCASE("logout with the refresh token") {
        const json::object l = s.login("agent@example.com", kUserPassword);
        const HttpResponse out = s.call("POST", "/api/auth/logout", IdentityServer::access_token(l),
                                        json::object{{"refreshToken", IdentityServer::refresh_token(l)}});
        CHECK(out.status == 200);
        CHECK(out.json().at("message").is_string());
        CHECK(s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", IdentityServer::refresh_token(l)}})
                  .status == 401);
        CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(l)).status == 401);
    }
    SUBCASE("logout with the refresh token ends that session only") {
        const json::object phone = s.login("agent@example.com", kUserPassword);
        const json::object laptop = s.login("agent@example.com", kUserPassword);
        CHECK(s.call("POST", "/api/auth/logout", IdentityServer::access_token(phone),
                     json::object{{"refreshToken", IdentityServer::refresh_token(phone)}})
                  .status == 200);
        CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(phone)).status == 401);
        CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(laptop)).status == 200);
        CHECK(s.call("POST", "/api/auth/refresh", {},
                     json::object{{"refreshToken", IdentityServer::refresh_token(laptop)}})
                  .status == 200);
    }
    SUBCASE("logout without a refresh token, as the UI sends it, ends every session of the caller") {
        const json::object phone = s.login("agent@example.com", kUserPassword);
        const json::object laptop = s.login("agent@example.com", kUserPassword);
        CHECK(s.call("POST", "/api/auth/logout", IdentityServer::access_token(laptop)).status == 200);
        for (const json::object* l : {&phone, &laptop}) {
            CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(*l)).status == 401);
            CHECK(s.call("POST", "/api/auth/refresh", {},
                         json::object{{"refreshToken", IdentityServer::refresh_token(*l)}})
                      .status == 401);
        }
        // An empty JSON body is the same; other users' sessions live on; a new login works.
        const json::object again = s.login("agent@example.com", kUserPassword);
        CHECK(s.call("POST", "/api/auth/logout", IdentityServer::access_token(again), json::object{}).status == 200);
        CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(again)).status == 401);
        CHECK(s.call("GET", "/api/auth/me", admin).status == 200);
        CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(s.login("agent@example.com", kUserPassword)))
                  .status == 200);
    }
    SUBCASE("deactivation") {
        const json::object l = s.login("agent@example.com", kUserPassword);
        CHECK(s.call("DELETE", "/api/admin/users/" + uid, admin).status == 200);
        CHECK(s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", IdentityServer::refresh_token(l)}})
                  .status == 401);
        CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(l)).status == 401);
        // Reactivated, the user logs in again; the old session stays dead.
        CHECK(s.call("PUT", "/api/admin/users/" + uid, admin, json::object{{"isActive", true}}).status == 200);
        s.login("agent@example.com", kUserPassword);
        CHECK(s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", IdentityServer::refresh_token(l)}})
                  .status == 401);
    }
    SUBCASE("password reset") {
        const json::object l = s.login("agent@example.com", kUserPassword);
        const HttpResponse weak = s.call("POST", "/api/admin/users/" + uid + "/reset-password", admin,
                                         json::object{{"password", "short"}});
        CHECK(weak.status == 400);
        CHECK(weak.json().at("errors").at(0).at("field") == "password");
        CHECK(s.call("POST", "/api/admin/users/" + uid + "/reset-password", admin,
                     json::object{{"password", "New#Passw0rd"}})
                  .status == 200);
        CHECK(s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", IdentityServer::refresh_token(l)}})
                  .status == 401);
        CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(l)).status == 401);
        CHECK(s.call("POST", "/api/auth/login", {}, json::object{{"email", "agent@example.com"}, {"password", kUserPassword}})
                  .status == 401);
        s.login("agent@example.com", "New#Passw0rd");
    }
}

TEST_CASE("login is limited per email, whatever the client address: 429 with Retry-After before any hashing") {
    // Behind a trusted proxy each attempt comes from another client address, so the edge's per-IP limit never
    // trips and only the per-email limit of the login handler can.
    IdentityServer s(Env{{"CODD_RATE_LIMIT_AUTH", "3/15m"}, {"CODD_TRUSTED_PROXIES", "127.0.0.1"}});
    int address = 0;
    auto attempt = [&](const std::string& email, const std::string& password) {
        return s.request(
            "POST", "/api/auth/login",
            {{"Content-Type", "application/json"}, {"X-Forwarded-For", "203.0.113." + std::to_string(++address)}},
            json::serialize(json::object{{"email", email}, {"password", password}}));
    };
    for (int i = 0; i < 3; ++i) CHECK(attempt(kAdminEmail, "Wrong#Pass1").status == 401);
    // The same address in another case and with blanks is the same key; the right password does not help.
    const HttpResponse limited = attempt("  ROOT@Example.com ", kAdminPassword);
    CHECK(limited.status == 429);
    CHECK(limited.header("Content-Type") == "application/problem+json");
    CHECK(message_of(limited) == "Too many attempts. Please wait before trying again.");
    REQUIRE(limited.header("Retry-After").has_value());
    CHECK(std::stoi(*limited.header("Retry-After")) >= 1);
    CHECK(std::stoi(*limited.header("Retry-After")) <= 15 * 60);
    // Other emails, known or not, are not affected.
    CHECK(attempt("nobody@example.com", kUserPassword).status == 401);
    const std::string out = s.stop();
    CHECK(out.find("login rate limited") != std::string::npos);
}

TEST_CASE("access and refresh tokens expire") {
    // Token times are whole seconds (exp = floor(now) + ttl), so a token may live up to a second less than its
    // ttl. An access ttl of 2 s leaves the first call at least a second (with 1 s, a login just before a second
    // boundary made it 401 now and then on a loaded machine); the refresh ttl leaves room for the first sleep and
    // a slow refresh.
    IdentityServer s(Env{{"CODD_ACCESS_TOKEN_TTL", "2"}, {"CODD_REFRESH_TOKEN_TTL", "6s"}});
    const json::object l = s.login(kAdminEmail, kAdminPassword);
    CHECK(s.call("GET", "/api/auth/me", IdentityServer::access_token(l)).status == 200);
    std::this_thread::sleep_for(3100ms);
    const HttpResponse expired = s.call("GET", "/api/auth/me", IdentityServer::access_token(l));
    CHECK(expired.status == 401);
    CHECK(message_of(expired) == "Token expired");
    const HttpResponse refreshed =
        s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", IdentityServer::refresh_token(l)}});
    REQUIRE(refreshed.status == 200);
    std::this_thread::sleep_for(6100ms);
    const HttpResponse late = s.call("POST", "/api/auth/refresh", {},
                                     json::object{{"refreshToken", refreshed.json().at("refreshToken").as_string()}});
    CHECK(late.status == 401);
}

TEST_CASE("forged, altered, expired, truncated and garbage tokens are refused") {
    IdentityServer s;
    const json::object l = s.login(kAdminEmail, kAdminPassword);
    const std::string good = IdentityServer::access_token(l);
    const json::object secrets = read_secrets(s);
    const std::string secret(secrets.at("jwtSecret").as_string());
    const std::string refresh_secret(secrets.at("jwtRefreshSecret").as_string());
    const std::int64_t id = l.at("user").at("id").as_int64();

    using codd::api::TokenClaims;
    using codd::api::TokenType;
    const TokenClaims valid{id, kAdminEmail, "super_admin", TokenType::access, now_s(), now_s() + 600, "forged-1", {}};
    // The test can sign with the server's secret: the baseline must pass, so every refusal below is real.
    CHECK(s.call("GET", "/api/auth/me", codd::api::sign_token(valid, secret)).status == 200);

    TokenClaims old = valid;
    old.issued_at = now_s() - 1000;
    old.expires_at = now_s() - 10;
    const std::string none = codd::api::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                             good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1) + ".";
    std::string bad_sig = good;
    bad_sig[bad_sig.size() - 3] = bad_sig[bad_sig.size() - 3] == 'A' ? 'B' : 'A';
    const std::vector<std::pair<std::string, std::string>> attacks = {
        {"bad signature", bad_sig},
        {"alg none", none},
        {"expired", codd::api::sign_token(old, secret)},
        {"other secret", codd::api::sign_token(valid, std::string(40, 'x'))},
        {"refresh secret", codd::api::sign_token(valid, refresh_secret)},
        {"refresh token as access", IdentityServer::refresh_token(l)},
        {"truncated", good.substr(0, good.size() - 10)},
        {"two parts", good.substr(0, good.rfind('.'))},
        {"garbage", "garbage"},
        {"empty parts", ".."},
    };
    for (const auto& [what, token] : attacks) {
        INFO(what);
        const HttpResponse r = s.call("GET", "/api/auth/me", token);
        CHECK(r.status == 401);
        CHECK(r.header("Content-Type") == "application/problem+json");
        CHECK((message_of(r) == "Invalid token" || message_of(r) == "Token expired"));
    }
    CHECK(message_of(s.call("GET", "/api/auth/me", codd::api::sign_token(old, secret))) == "Token expired");
    CHECK(message_of(s.call("GET", "/api/auth/me")) == "No token provided");
    CHECK(s.get("/api/auth/me", {{"Authorization", "Basic abc"}}).status == 401);
    // The scheme is case-insensitive (RFC 9110 §11.1).
    CHECK(s.get("/api/auth/me", {{"Authorization", "bearer " + good}}).status == 200);
    CHECK(s.get("/api/auth/me", {{"Authorization", "BEARER " + good}}).status == 200);
    // An access token is not a refresh token either.
    CHECK(s.call("POST", "/api/auth/refresh", {}, json::object{{"refreshToken", good}}).status == 401);
}

TEST_CASE("registration is off by default, and never grants a privileged role") {
    const json::object applicant{{"email", "new@example.com"}, {"password", kUserPassword}, {"firstName", "N"},
                                 {"lastName", "U"},            {"phoneNumber", "0241234567"}};
    {
        IdentityServer s;
        json::object body = applicant;
        body["role"] = "super_admin";  // what the UI's Register page sends
        const HttpResponse r = s.call("POST", "/api/auth/register", {}, body);
        CHECK(r.status == 403);
        CHECK(message_of(r) == "Registration is disabled");
    }
    IdentityServer s(Env{{"CODD_ALLOW_REGISTRATION", "true"}});
    for (const char* role : {"super_admin", "admin", "manager"}) {
        INFO(role);
        json::object body = applicant;
        body["role"] = role;
        CHECK(s.call("POST", "/api/auth/register", {}, body).status == 403);
    }
    const HttpResponse plain = s.call("POST", "/api/auth/register", {}, applicant);
    REQUIRE(plain.status == 201);
    CHECK(plain.json().at("user").at("role") == "sales_rep");
    CHECK(plain.json().at("tokens").at("accessToken").is_string());
    json::object agent = applicant;
    agent["email"] = "agent2@example.com";
    agent["role"] = "delivery_agent";
    const HttpResponse a = s.call("POST", "/api/auth/register", {}, agent);
    REQUIRE(a.status == 201);
    CHECK(a.json().at("user").at("role") == "delivery_agent");
    CHECK(s.call("POST", "/api/auth/register", {}, applicant).status == 409);  // the email is taken
}

TEST_CASE("bad input is a clear 4xx") {
    IdentityServer s;
    const std::string admin = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));
    const HttpResponse malformed =
        s.request("POST", "/api/auth/login", {{"Content-Type", "application/json"}}, "{\n  \"email\": tru");
    CHECK(malformed.status == 400);
    CHECK(malformed.json().at("detail").as_string().find("line 2") != std::string::npos);
    CHECK(s.request("POST", "/api/auth/login", {{"Content-Type", "text/plain"}}, "{}").status == 415);
    // Read as UTF-8 JSON as sent: a compressed body or another charset is refused, not read as garbage.
    CHECK(s.request("POST", "/api/auth/login", {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}},
                    "{}")
              .status == 415);
    CHECK(s.request("POST", "/api/auth/login", {{"Content-Type", "application/json; charset=iso-8859-1"}}, "{}")
              .status == 415);
    CHECK(s.request("POST", "/api/auth/login", {{"Content-Type", "application/json; charset=\"UTF-8\""}}, "{}")
              .status == 400);
    CHECK(s.request("POST", "/api/auth/login", {{"Content-Type", "application/json; xcharset=latin1"}}, "{}").status ==
          400);
    CHECK(s.request("POST", "/api/auth/login", {{"Content-Type", "application/json"}}, "[1]").status == 400);

    const HttpResponse invalid =
        s.call("POST", "/api/admin/users", admin,
               json::object{{"email", "not-an-email"}, {"password", kUserPassword}, {"firstName", "A"}, {"lastName", "B"}});
    CHECK(invalid.status == 400);
    CHECK(invalid.json().at("errors").at(0).at("field") == "email");
    const HttpResponse role = s.call("POST", "/api/admin/users", admin,
                                     json::object{{"email", "x@example.com"}, {"password", kUserPassword},
                                                  {"firstName", "A"}, {"lastName", "B"}, {"role", "emperor"}});
    CHECK(role.status == 400);
    CHECK(s.call("GET", "/api/admin/users?limit=abc", admin).status == 400);
    CHECK(s.call("GET", "/api/admin/users?role=pirate", admin).status == 400);
    CHECK(s.call("GET", "/api/users/not-a-number", admin).status == 404);
    CHECK(s.call("GET", "/api/users/999999", admin).status == 404);
    // Never deleted, even the caller itself; an id that names no user is a 404, as for every user route.
    const auto me = s.call("GET", "/api/auth/me", admin).json().at("user").at("id").as_int64();
    const HttpResponse permanent = s.call("DELETE", "/api/admin/users/" + std::to_string(me) + "/permanent", admin);
    CHECK(permanent.status == 422);
    CHECK(message_of(permanent).find("deactivate") != std::string::npos);
    CHECK(s.call("DELETE", "/api/admin/users/999999/permanent", admin).status == 404);
    CHECK(s.call("DELETE", "/api/admin/users/abc/permanent", admin).status == 404);
}

TEST_CASE("admin users: shapes, money in major units, privileged accounts protected") {
    IdentityServer s;
    const std::string root = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));
    const HttpResponse created = s.call("POST", "/api/admin/users", root,
                                        json::object{{"email", "rep@example.com"},
                                                     {"password", kUserPassword},
                                                     {"firstName", "Rita"},
                                                     {"lastName", "Rep"},
                                                     {"role", "sales_rep"},
                                                     {"commissionRate", 12.5}});
    REQUIRE(created.status == 201);
    const std::int64_t rep = created.json().at("user").at("id").as_int64();
    CHECK(created.json().at("user").at("commissionRate").to_number<double>() == 12.5);

    const HttpResponse list = s.call("GET", "/api/admin/users?role=sales_rep&page=1&limit=10", root);
    REQUIRE(list.status == 200);
    CHECK(list.json().at("total") == 1);
    CHECK(list.json().at("totalPages") == 1);
    CHECK(list.json().at("users").at(0).at("id") == rep);
    const HttpResponse users = s.call("GET", "/api/users?limit=1", root);
    CHECK(users.json().at("pagination").at("total") == 2);
    CHECK(users.json().at("pagination").at("pages") == 2);

    s.create_user(root, "admin@example.com", kUserPassword, "admin");
    const std::string admin = IdentityServer::access_token(s.login("admin@example.com", kUserPassword));
    CHECK(s.call("POST", "/api/admin/users/1001/reset-password", admin, json::object{{"password", "Taken#Over1"}}).status ==
          403);
    CHECK(s.call("PUT", "/api/admin/users/" + std::to_string(rep), admin, json::object{{"role", "super_admin"}}).status ==
          403);
    CHECK(s.call("DELETE", "/api/admin/users/1001", admin).status == 403);
    const HttpResponse upd = s.call("PUT", "/api/users/reps/" + std::to_string(rep), admin,
                                    json::object{{"commissionRate", 7}, {"country", "Ghana"}});
    REQUIRE(upd.status == 200);
    CHECK(upd.json().at("rep").at("commissionRate").to_number<double>() == 7.0);

    const HttpResponse prefs = s.call("PUT", "/api/users/preferences", admin,
                                      json::object{{"preferences", {{"ordersDefaultView", "kanban"}}}});
    REQUIRE(prefs.status == 200);
    CHECK(prefs.json().at("preferences").at("ordersDefaultView") == "kanban");
    CHECK(s.call("GET", "/api/users/preferences", admin).json().at("preferences").at("ordersDefaultView") == "kanban");

    // The permission matrix: read, replace, effective at once.
    const HttpResponse matrix = s.call("GET", "/api/admin/permissions", root);
    REQUIRE(matrix.status == 200);
    json::object m = matrix.json().as_object();
    CHECK(m.at("sales_rep").at("orders").as_array().size() == 3);
    // /auth/me before the change (its cached permissions must not outlive the change), then after.
    const std::string rep_token = IdentityServer::access_token(s.login("rep@example.com", kUserPassword));
    CHECK_FALSE(s.call("GET", "/api/auth/me", rep_token).json().at("permissions").as_object().contains("analytics"));
    CHECK(s.call("GET", "/api/financial/summary", rep_token).status == 403);
    m["sales_rep"].as_object()["analytics"] = json::array{"view"};
    m["sales_rep"].as_object()["financial"] = json::array{"view"};
    CHECK(s.call("PUT", "/api/admin/permissions", root, m).status == 200);
    CHECK(s.call("GET", "/api/financial/summary", rep_token).status == 200);  // the access check reads it at once
    const HttpResponse me = s.call("GET", "/api/auth/me", rep_token);
    CHECK(me.header("Content-Type") == "application/json");
    CHECK(me.json().at("permissions").at("analytics").at(0) == "view");
    CHECK(me.json().at("user").at("email") == "rep@example.com");

    const HttpResponse settings = s.call("PUT", "/api/admin/settings", root, json::object{{"businessName", "Acme COD"}});
    REQUIRE(settings.status == 200);
    CHECK(s.call("GET", "/api/admin/settings", root).json().at("businessName") == "Acme COD");
    // If-Match, which no user or settings command reads, is a 400 and changes nothing.
    const HttpResponse conditional =
        s.request("PUT", "/api/admin/settings",
                  {{"Authorization", "Bearer " + root}, {"Content-Type", "application/json"}, {"If-Match", "\"9\""}},
                  R"({"businessName":"Stale"})");
    CHECK(conditional.status == 400);
    CHECK(conditional.json().at("message") == "If-Match not supported here");
    CHECK(s.call("GET", "/api/admin/settings", root).json().at("businessName") == "Acme COD");
}

TEST_CASE("production refuses to start without strong secrets, development keeps generated ones private") {
    const RunResult r = run(ProcessOptions{{CODD_BINARY, "serve"},
                                           {{"CODD_ENV", "production"}, {"CODD_LISTEN", "127.0.0.1:0"},
                                            {"CODD_JWT_SECRET", "too-short"}},
                                           {}},
                            20s);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("CODD_JWT_SECRET") != std::string::npos);
    CHECK(r.err.find("too-short") == std::string::npos);

    auto dir = std::make_shared<TempDir>("codd-secrets");
    std::string token;
    std::string first_output;
    {
        IdentityServer s(Env{}, dir);
        struct stat st{};
        REQUIRE(::stat((s.data_dir() / "secrets.json").c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        token = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));
        first_output = s.stop();
        CHECK(first_output.find("generated development JWT secrets") != std::string::npos);
        const json::object secrets = read_secrets(s);
        CHECK(first_output.find(std::string(secrets.at("jwtSecret").as_string())) == std::string::npos);
        CHECK(first_output.find(kAdminPassword) == std::string::npos);
        CHECK(first_output.find(kAdminEmail) == std::string::npos);  // masked
    }
    IdentityServer again(Env{}, dir);  // same secrets, same users: the token still works
    CHECK(again.call("GET", "/api/auth/me", token).status == 200);
}

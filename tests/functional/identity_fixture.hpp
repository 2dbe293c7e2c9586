#pragma once
// Test support for the identity tests: a running `codd serve` with a first admin, and JSON helpers for
// calling the API with a bearer token.

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "tests/functional/http_client.hpp"
#include "tests/functional/openapi_check.hpp"
#include "tests/functional/process.hpp"

namespace codd::test {

using Env = std::map<std::string, std::optional<std::string>>;

inline constexpr const char* kAdminEmail = "root@example.com";
inline constexpr const char* kAdminPassword = "Root#Passw0rd!";

// `codd <args...>` run to completion (verify, rebuild, backup, restore, admin), with its exit code and output.
inline RunResult run_codd(std::vector<std::string> args, Env env = {}, std::filesystem::path cwd = {}) {
    args.insert(args.begin(), CODD_BINARY);
    return run(ProcessOptions{std::move(args), std::move(env), std::move(cwd)});
}

// `codd serve` on an ephemeral port with its own data directory; the first admin comes from the environment.
class IdentityServer {
  public:
    explicit IdentityServer(Env env = {}, std::shared_ptr<TempDir> dir = std::make_shared<TempDir>("codd-auth"))
        : dir_(std::move(dir)) {
        env.try_emplace("CODD_LISTEN", "127.0.0.1:0");
        env.try_emplace("CODD_DATA_DIR", data_dir().string());
        env.try_emplace("CODD_ADMIN_EMAIL", kAdminEmail);
        env.try_emplace("CODD_ADMIN_PASSWORD", kAdminPassword);
        const std::filesystem::path cwd = dir_->path() / "cwd";
        std::filesystem::create_directories(cwd);
        const std::filesystem::path out = dir_->path() / ("run-" + std::to_string(runs_++));
        std::filesystem::create_directories(out);
        process_ = std::make_unique<Process>(ProcessOptions{{CODD_BINARY, "serve"}, env, cwd}, out);
        port_ = process_->wait_for_port(std::chrono::seconds(20));
        client_ = std::make_unique<HttpClient>("127.0.0.1", port_);
    }

    [[nodiscard]] std::filesystem::path data_dir() const { return dir_->path() / "data"; }
    [[nodiscard]] std::shared_ptr<TempDir> dir() const { return dir_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    Process& process() { return *process_; }
    HttpClient& client() { return *client_; }

    HttpResponse call(const std::string& method, const std::string& target, const std::string& token = {},
                      const std::optional<boost::json::value>& body = std::nullopt) {
        HeaderList headers;
        if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
        std::string text;
        if (body) {
            headers.emplace_back("Content-Type", "application/json");
            text = boost::json::serialize(*body);
        }
        return request(method, target, headers, text);
    }

    // One exchange, checked against the OpenAPI document (openapi_check.hpp) as every call of the tests through
    // this fixture is: a violation fails the test.
    HttpResponse request(const std::string& method, const std::string& target, const HeaderList& headers = {},
                         const std::string& body = {}) {
        HttpResponse r = client_->request(method, target, headers, body);
        for (const auto& v : openapi::check(method, target, body, r)) FAIL_CHECK("openapi: " << v);
        return r;
    }
    HttpResponse get(const std::string& target, const HeaderList& headers = {}) {
        return request("GET", target, headers);
    }

    // Logs in and returns the whole answer; fails the test unless it is a 200.
    boost::json::object login(const std::string& email, const std::string& password) {
        const HttpResponse r = call("POST", "/api/auth/login", {}, boost::json::object{{"email", email}, {"password", password}});
        INFO("login " << email << ": " << r.body);
        REQUIRE(r.status == 200);
        return r.json().as_object();
    }

    static std::string access_token(const boost::json::object& login) {
        return std::string(login.at("tokens").at("accessToken").as_string());
    }
    static std::string refresh_token(const boost::json::object& login) {
        return std::string(login.at("tokens").at("refreshToken").as_string());
    }

    // Creates a user through the admin API and returns its id.
    std::int64_t create_user(const std::string& admin_token, const std::string& email, const std::string& password,
                             const std::string& role) {
        const HttpResponse r = call("POST", "/api/admin/users", admin_token,
                                    boost::json::object{{"email", email},
                                                        {"password", password},
                                                        {"firstName", "Test"},
                                                        {"lastName", role},
                                                        {"role", role}});
        INFO("create " << email << ": " << r.body);
        REQUIRE(r.status == 201);
        return r.json().at("user").at("id").as_int64();
    }

    // Stops with SIGTERM and returns everything the process wrote.
    std::string stop() {
        process_->signal(SIGTERM);
        process_->wait(std::chrono::seconds(15));
        return process_->stdout_text() + process_->stderr_text();
    }

  private:
    std::shared_ptr<TempDir> dir_;
    std::unique_ptr<Process> process_;
    std::unique_ptr<HttpClient> client_;
    std::uint16_t port_ = 0;
    static inline int runs_ = 0;
};

}  // namespace codd::test

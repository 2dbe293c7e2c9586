// Black-box tests of `codd serve` and `codd verify`: the real binary as a child process, over real HTTP.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "tests/functional/http_client.hpp"
#include "tests/functional/process.hpp"
#include "tests/support/thread_names.hpp"

namespace {

using namespace codd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using Env = std::map<std::string, std::optional<std::string>>;

constexpr const char* kHost = "127.0.0.1";

// Every stdout line parsed as JSON; fails the test on a line that is not a JSON object.
std::vector<json::object> log_lines(const std::string& out) {
    std::vector<json::object> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        json::error_code ec;
        const json::value v = json::parse(line, ec);
        INFO("log line: " << line);
        REQUIRE_FALSE(ec);
        REQUIRE(v.is_object());
        lines.push_back(v.as_object());
    }
    return lines;
}

// A running `codd serve` on an ephemeral port with its own data directory and an empty working directory.
class Server {
  public:
    explicit Server(Env env = {}, std::filesystem::path cwd = {}) {
        env.try_emplace("CODD_LISTEN", "127.0.0.1:0");
        env.try_emplace("CODD_DATA_DIR", data_dir().string());
        if (cwd.empty()) {
            cwd = dir_.path() / "cwd";
            std::filesystem::create_directories(cwd);
        }
        process_ = std::make_unique<Process>(ProcessOptions{{CODD_BINARY, "serve"}, env, cwd}, dir_.path());
        port_ = process_->wait_for_port(20s);
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::filesystem::path data_dir() const { return dir_.path() / "data"; }
    Process& process() { return *process_; }

    // Sends `sig` and returns the exit code; fails the test if the process does not exit in time.
    int stop(int sig, std::chrono::milliseconds timeout = 15s) {
        process_->signal(sig);
        const auto code = process_->wait(timeout);
        INFO("stdout:\n" << process_->stdout_text() << "\nstderr:\n" << process_->stderr_text());
        REQUIRE(code.has_value());
        return *code;
    }

  private:
    TempDir dir_;
    std::unique_ptr<Process> process_;
    std::uint16_t port_ = 0;
};

RunResult run_codd(std::vector<std::string> args, Env env = {}, std::filesystem::path cwd = {}) {
    args.insert(args.begin(), CODD_BINARY);
    return run(ProcessOptions{std::move(args), std::move(env), std::move(cwd)});
}

void check_problem(const HttpResponse& res, int status) {
    CHECK(res.status == status);
    CHECK(res.header("Content-Type") == "application/problem+json");
    const json::object p = res.json().as_object();
    CHECK(p.at("type").as_string().starts_with("urn:codd:problem:"));
    CHECK(!p.at("title").as_string().empty());
    CHECK(p.at("status").as_int64() == status);
    CHECK(!p.at("detail").as_string().empty());
    CHECK(!p.at("message").as_string().empty());
    CHECK(res.header("X-Request-ID").has_value());
}

}  // namespace

TEST_CASE("health endpoints answer with their documented shapes") {
    Server server;
    HttpClient client(kHost, server.port());

    const HttpResponse live = client.get("/health/live");
    CHECK(live.status == 200);
    CHECK(live.header("Content-Type") == "application/json");
    CHECK(live.json() == json::parse(R"({"status":"ok"})"));

    const HttpResponse ready = client.get("/health/ready");
    CHECK(ready.status == 200);
    const json::object r = ready.json().as_object();
    CHECK(r.at("status") == "ready");
    CHECK(r.at("log").at("writable") == true);
    CHECK(r.at("log").at("head").to_number<std::int64_t>() == 0);

    const HttpResponse health = client.get("/health");
    CHECK(health.status == 200);
    const json::object h = health.json().as_object();
    CHECK(h.at("status") == "ok");
    const std::string ts(h.at("timestamp").as_string());
    CHECK(ts.size() == 24);
    CHECK(ts.back() == 'Z');
    CHECK(ts[10] == 'T');
    CHECK(h.at("uptime").to_number<double>() >= 0.0);
    CHECK(h.at("environment") == "development");
    CHECK(!h.at("version").as_string().empty());
    CHECK(h.at("log").at("writable") == true);
    // Doubles as a person (or JavaScript) writes them: an idle view is 0.0 seconds behind, not 0E0.
    INFO(health.body);
    CHECK(health.body.find(R"("lagSeconds":0.0,)") != std::string::npos);
    CHECK(health.body.find("E0") == std::string::npos);

    const HttpResponse index = client.get("/");
    CHECK(index.status == 200);
    const json::object i = index.json().as_object();
    CHECK(i.at("name") == "codd");
    const json::array& endpoints = i.at("endpoints").as_array();
    CHECK(std::find(endpoints.begin(), endpoints.end(), json::value("GET /health/live")) != endpoints.end());

    const HttpResponse head = client.request("HEAD", "/health/live");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("Content-Length") == std::to_string(live.body.size()));

    CHECK(client.connections_opened() == 1);  // keep-alive: all of the above on one connection
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("codd serve names its threads: the log's, HTTP io, command workers, the view runner, its checkpointer") {
    Server server;
    HttpClient client(kHost, server.port());
    const HttpResponse login = client.request("POST", "/api/auth/login", {{"Content-Type", "application/json"}},
                                              R"({"email":"nobody@example.com","password":"wrong password"})");
    CHECK(login.status == 401);
    const auto names = thread_names(std::to_string(server.process().pid()));
    INFO("threads: " << [&] {
        std::string all;
        for (const auto& n : names) all += n + " ";
        return all;
    }());
    for (const std::string name :
         {"codd-log-write", "codd-log-sync", "codd-log-answer", "codd-subscriber", "codd-checkpoint"}) {
        CAPTURE(name);
        CHECK(names.count(name) == 1);
    }
    CHECK(names.count("codd-http-io") == 2);   // CODD_HTTP_THREADS, default 2
    CHECK(names.count("codd-worker") == 2);    // CODD_WORKER_THREADS: password hashing (the login above)
    CHECK(names.count("codd-command") == 64);  // CODD_COMMAND_THREADS
}

TEST_CASE("X-Request-ID is echoed when well-formed and replaced otherwise") {
    Server server;
    HttpClient client(kHost, server.port());

    CHECK(client.get("/health/live", {{"X-Request-ID", "abc-123:x.y_z"}}).header("X-Request-ID") == "abc-123:x.y_z");
    const std::string longest(128, 'a');
    CHECK(client.get("/health/live", {{"X-Request-ID", longest}}).header("X-Request-ID") == longest);

    for (const std::string& bad : {std::string("has spaces in it"), std::string(300, 'a'), std::string(129, 'b'),
                                   std::string("semi;colon"), std::string("")}) {
        const auto id = client.get("/health/live", {{"X-Request-ID", bad}}).header("X-Request-ID");
        REQUIRE(id.has_value());
        CHECK(*id != bad);
        CHECK(is_uuid(*id));
    }
    const auto generated = client.get("/health/live").header("X-Request-ID");
    REQUIRE(generated.has_value());
    CHECK(is_uuid(*generated));
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("errors are problem+json: 404, 405, 413, 400, 431") {
    Server server(Env{{"CODD_MAX_BODY_BYTES", "1024"}});
    HttpClient client(kHost, server.port());

    const HttpResponse missing = client.get("/no/such/route", {{"X-Request-ID", "req-404"}});
    check_problem(missing, 404);
    CHECK(missing.header("X-Request-ID") == "req-404");
    CHECK(missing.json().at("type") == "urn:codd:problem:not-found");

    const HttpResponse wrong_method = client.request("DELETE", "/health/live");
    check_problem(wrong_method, 405);
    REQUIRE(wrong_method.header("Allow").has_value());
    CHECK(wrong_method.header("Allow")->find("GET") != std::string::npos);

    const HttpResponse too_large = client.request("POST", "/health/live", {}, std::string(4096, 'x'));
    check_problem(too_large, 413);
    CHECK_FALSE(too_large.keep_alive);

    RawConnection garbage(kHost, server.port());
    garbage.send("THIS IS NOT HTTP\r\n\r\n");
    check_problem(garbage.read_response(5s), 400);

    RawConnection huge_header(kHost, server.port());
    huge_header.send("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(32 * 1024, 'a') + "\r\n\r\n");
    check_problem(huge_header.read_response(5s), 431);

    // The server is still fine after all of that.
    CHECK(client.get("/health/live").status == 200);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("a Transfer-Encoding other than chunked alone is a 400 that closes the connection, never a second request") {
    // Read as having no body, the request's bytes would run as the next request on the connection (a desync a
    // proxy in front could smuggle requests through).
    Server server;
    for (const std::string coding : {"gzip", "identity", "chunked, gzip", "gzip, chunked"}) {
        INFO(coding);
        RawConnection c(kHost, server.port());
        c.send("POST /health/live HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
               "\r\n\r\nGET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-ID: smuggled\r\n\r\n");
        const HttpResponse r = c.read_response(5s);
        check_problem(r, 400);
        CHECK_FALSE(r.keep_alive);
        CHECK(c.wait_closed(5s));
    }
    // Chunked framing itself is read as before.
    RawConnection chunked(kHost, server.port());
    chunked.send("POST /health/live HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    CHECK(chunked.read_response(5s).status == 405);
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("a slow, incomplete request neither blocks others nor hangs forever") {
    Server server(Env{{"CODD_HTTP_READ_TIMEOUT_MS", "2000"}, {"CODD_HTTP_THREADS", "1"}});
    RawConnection slow(kHost, server.port());
    slow.send("GET /health/live HTTP/1.1\r\nHost: x\r\n");  // headers never finished

    HttpClient client(kHost, server.port());
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(client.get("/health/live").status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);  // well before the slow one times out

    check_problem(slow.read_response(10s), 408);
    CHECK(slow.wait_closed(10s));

    // An idle keep-alive connection is closed silently after the same timeout.
    RawConnection idle(kHost, server.port());
    CHECK(idle.wait_closed(10s));
    CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("logs are JSON lines with an access line per request and no secrets") {
    Server server;
    HttpClient client(kHost, server.port());
    client.get("/health/live?token=query-secret",
               {{"X-Request-ID", "log-check-1"}, {"Authorization", "Bearer header-secret"}});
    client.request("POST", "/nowhere", {{"X-Request-ID", "log-check-2"}}, R"({"password":"body-secret"})");
    client.request("POST", "/health/live", {{"X-Request-ID", "log-check-3"}}, std::string(2 << 20, 'x'));
    CHECK(server.stop(SIGTERM) == 0);

    const std::string out = server.process().stdout_text();
    CHECK(out.find("header-secret") == std::string::npos);
    CHECK(out.find("body-secret") == std::string::npos);
    CHECK(out.find("query-secret") == std::string::npos);

    int access = 0;
    bool listening = false;
    for (const json::object& line : log_lines(out)) {
        CHECK(line.contains("ts"));
        CHECK(line.contains("level"));
        CHECK(line.contains("msg"));
        listening |= line.contains("listen");
        if (const auto* id = line.if_contains("request_id"); id && *id == "log-check-1") {
            ++access;
            CHECK(line.at("method") == "GET");
            CHECK(line.at("path") == "/health/live");
            CHECK(line.at("status") == 200);
            CHECK(line.at("duration_us").to_number<std::int64_t>() >= 0);
        }
        if (const auto* id = line.if_contains("request_id"); id && *id == "log-check-2") {
            ++access;
            CHECK(line.at("status") == 404);
        }
        if (const auto* id = line.if_contains("request_id"); id && *id == "log-check-3") {
            ++access;
            CHECK(line.at("status") == 413);
            CHECK(line.at("method") == "POST");
            CHECK(line.at("path") == "/health/live");
        }
    }
    CHECK(access == 3);
    CHECK(listening);
}

TEST_CASE("SIGTERM and SIGINT shut down cleanly and leave a log that verifies") {
    for (const int sig : {SIGTERM, SIGINT}) {
        CAPTURE(sig);
        Server server;
        HttpClient idle_client(kHost, server.port());
        CHECK(idle_client.get("/health/live").status == 200);  // leaves an idle keep-alive connection

        // verify works next to the running server (read-only secondary instance).
        const RunResult live_verify = run_codd({"verify", "--data-dir", server.data_dir().string()});
        CHECK(live_verify.exit_code == 0);

        const auto t0 = std::chrono::steady_clock::now();
        CHECK(server.stop(sig) == 0);
        CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // idle connections do not hold up the shutdown
        CHECK(server.process().stdout_text().find("\"msg\":\"stopped\"") != std::string::npos);

        const RunResult verify = run_codd({"verify", "--data-dir", server.data_dir().string()});
        INFO("verify stderr: " << verify.err);
        CHECK(verify.exit_code == 0);
        const json::object report = json::parse(verify.out).as_object();
        CHECK(report.at("ok") == true);
        CHECK(report.at("events") == 0);
    }
}

TEST_CASE("shutdown lets a request in flight finish, within the grace period") {
    Server server;
    RawConnection conn(kHost, server.port());
    conn.send("GET /health/live HTTP/1.1\r\nHost: x\r\n");
    std::this_thread::sleep_for(200ms);  // the server has the partial request
    server.process().signal(SIGTERM);
    // Draining has begun once the server refuses new connections.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (bool refused = false; !refused && std::chrono::steady_clock::now() < deadline;) {
        try {
            RawConnection probe(kHost, server.port());
            std::this_thread::sleep_for(20ms);
        } catch (const std::exception&) {
            refused = true;
        }
    }
    conn.send("\r\n");
    const HttpResponse res = conn.read_response(5s);
    CHECK(res.status == 200);
    CHECK_FALSE(res.keep_alive);  // draining: Connection: close
    const auto code = server.process().wait(10s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
}

TEST_CASE("a request that never completes is cut after the shutdown grace period") {
    Server server(Env{{"CODD_SHUTDOWN_GRACE_MS", "300"}});
    RawConnection stuck(kHost, server.port());
    stuck.send("GET /health/live HTTP/1.1\r\nHost: x\r\n");
    std::this_thread::sleep_for(200ms);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(server.stop(SIGTERM) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
    CHECK(server.process().stdout_text().find("connections cut") != std::string::npos);
}

TEST_CASE("invalid configuration exits with code 2 and says why") {
    const TempDir dir;
    const RunResult bad_env = run_codd({"serve"}, {{"CODD_ENV", "staging"}}, dir.path());
    CHECK(bad_env.exit_code == 2);
    CHECK(bad_env.err.find("CODD_ENV") != std::string::npos);
    CHECK(bad_env.err.find("staging") != std::string::npos);

    const RunResult bad_listen = run_codd({"serve"}, {{"CODD_LISTEN", "localhost"}}, dir.path());
    CHECK(bad_listen.exit_code == 2);
    CHECK(bad_listen.err.find("CODD_LISTEN") != std::string::npos);

    const RunResult bad_threads = run_codd({"serve"}, {{"CODD_HTTP_THREADS", "zero"}}, dir.path());
    CHECK(bad_threads.exit_code == 2);
    CHECK(bad_threads.err.find("CODD_HTTP_THREADS") != std::string::npos);
}

TEST_CASE(".env is read in development without overriding the real environment, and ignored in production") {
    const TempDir cwd;
    {
        std::ofstream dotenv(cwd.path() / ".env");
        dotenv << "# development settings\n"
                  "export CODD_DATA_DIR=\"dotenv-data\"\n"
                  "CODD_LISTEN=127.0.0.1:1  # overridden by the real environment\n";
    }
    {
        Server server(Env{{"CODD_DATA_DIR", std::nullopt}, {"CODD_LISTEN", "127.0.0.1:0"}}, cwd.path());
        CHECK(std::filesystem::is_directory(cwd.path() / "dotenv-data" / "log"));
        CHECK(server.stop(SIGTERM) == 0);
    }
    {
        Server server(Env{{"CODD_DATA_DIR", std::nullopt},
                          {"CODD_ENV", "production"},
                          {"CODD_JWT_SECRET", "3f9c2a7be18d4c6f0a5b9e2d7c1f8a3b"},
                          {"CODD_JWT_REFRESH_SECRET", "c8e1f47a2d9b3e6f5a0c7d2b9e4f1a86"}},
                      cwd.path());
        HttpClient client(kHost, server.port());
        CHECK(client.get("/health").json().at("environment") == "production");
        CHECK(std::filesystem::is_directory(cwd.path() / "data" / "log"));  // the default, not .env's
        CHECK(server.stop(SIGTERM) == 0);
    }
    {
        std::ofstream dotenv(cwd.path() / ".env");
        dotenv << "CODD_LISTEN=127.0.0.1:0\nTHIS LINE IS BROKEN\n";
    }
    const RunResult broken = run_codd({"serve"}, {}, cwd.path());
    CHECK(broken.exit_code == 2);
    CHECK(broken.err.find(".env line 2") != std::string::npos);
}

TEST_CASE("codd command line: help, usage errors, verify of a missing log") {
    const RunResult help = run_codd({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("serve") != std::string::npos);
    CHECK(help.out.find("verify") != std::string::npos);

    CHECK(run_codd({}).exit_code == 2);
    const RunResult unknown = run_codd({"no-such-command"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("unknown command 'no-such-command'") != std::string::npos);
    CHECK(unknown.err.find("verify") != std::string::npos);  // the commands there are
    const RunResult unknown_admin = run_codd({"admin", "no-such-command"});
    CHECK(unknown_admin.exit_code == 2);
    CHECK(unknown_admin.err.find("codd admin: unknown command 'no-such-command' (commands: create") !=
          std::string::npos);

    const TempDir empty;
    const RunResult missing = run_codd({"verify", "--data-dir", empty.path().string()});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("no event log") != std::string::npos);
}

// Native TLS on the real `codd serve` (CODD_TLS_CERT/CODD_TLS_KEY): HTTPS with keep-alive against a certificate
// generated for the test, plain HTTP and silent clients on the TLS port, HSTS without a redirect in production,
// graceful shutdown, and the configuration and file errors that stop the start.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "tests/functional/http_client.hpp"
#include "tests/functional/process.hpp"
#include "tests/functional/tls_client.hpp"

namespace {

using namespace codd::test;
using namespace std::chrono_literals;
using Env = std::map<std::string, std::optional<std::string>>;

constexpr const char* kHost = "127.0.0.1";

std::filesystem::path find_openssl() {
    std::istringstream path(std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin");
    for (std::string dir; std::getline(path, dir, ':');) {
        const std::filesystem::path candidate = std::filesystem::path(dir) / "openssl";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw std::runtime_error("the openssl command is not installed (ops/install-deps.sh)");
}

// A self-signed P-256 certificate for CN=localhost, made with the openssl CLI in a fresh directory.
class Certificate {
  public:
    Certificate() { generate(cert(), key()); }

    [[nodiscard]] std::filesystem::path cert() const { return dir_.path() / "cert.pem"; }
    [[nodiscard]] std::filesystem::path key() const { return dir_.path() / "key.pem"; }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

    // Another key pair, for a key that does not match cert().
    void generate(const std::filesystem::path& cert_out, const std::filesystem::path& key_out) const {
        const RunResult r =
            run({{find_openssl().string(), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                  "-keyout", key_out.string(), "-out", cert_out.string()},
                 {},
                 dir_.path()});
        if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.err);
    }

  private:
    TempDir dir_{"codd-tls"};
};

Env tls_env(const Certificate& c, Env env = {}) {
    env.emplace("CODD_TLS_CERT", c.cert().string());
    env.emplace("CODD_TLS_KEY", c.key().string());
    return env;
}

class Server {
  public:
    explicit Server(Env env) {
        env.try_emplace("CODD_LISTEN", "127.0.0.1:0");
        env.try_emplace("CODD_DATA_DIR", (dir_.path() / "data").string());
        const auto cwd = dir_.path() / "cwd";
        std::filesystem::create_directories(cwd);
        process_ = std::make_unique<Process>(ProcessOptions{{CODD_BINARY, "serve"}, env, cwd}, dir_.path());
        port_ = process_->wait_for_port(20s);
    }
    ~Server() {
        process_->signal(SIGTERM);
        (void)process_->wait(15s);
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string log() const { return process_->stdout_text(); }
    Process& process() { return *process_; }

  private:
    TempDir dir_;
    std::unique_ptr<Process> process_;
    std::uint16_t port_ = 0;
};

// `codd serve` that must not start: its exit code and everything it said.
RunResult serve_fails(Env env) {
    const TempDir dir;
    env.try_emplace("CODD_LISTEN", "127.0.0.1:0");
    env.try_emplace("CODD_DATA_DIR", (dir.path() / "data").string());
    RunResult r = run({{CODD_BINARY, "serve"}, env, dir.path()}, 20s);
    r.out += r.err;
    return r;
}

}  // namespace

TEST_CASE("HTTPS with a verified certificate, keep-alive on one connection") {
    const Certificate cert;
    Server server(tls_env(cert));
    CHECK(server.log().find(R"("tls":true)") != std::string::npos);
    TlsClient client(kHost, server.port(), cert.cert());
    for (int i = 0; i < 3; ++i) {
        const HttpResponse res = client.get("/health/live");
        CHECK(res.status == 200);
        CHECK(res.keep_alive);
        CHECK(res.header("X-Request-ID"));
    }
    CHECK(client.get("/api/v1/no-such-thing").status == 404);
    CHECK(client.connections_opened() == 1);
}

TEST_CASE("the TLS port speaks only TLS: plain HTTP is closed, the server keeps serving") {
    const Certificate cert;
    Server server(tls_env(cert));
    RawConnection plain(kHost, server.port());
    plain.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
    CHECK(plain.wait_closed(5s));
    HttpClient http(kHost, server.port(), 5s);
    CHECK_THROWS(http.get("/health/live"));

    // A client that trusts another certificate refuses this server, and the server shrugs it off too.
    const Certificate other;
    TlsClient wrong_ca(kHost, server.port(), other.cert());
    CHECK_THROWS_WITH(wrong_ca.get("/health/live"), doctest::Contains("handshake"));

    TlsClient client(kHost, server.port(), cert.cert());
    CHECK(client.get("/health/live").status == 200);
}

TEST_CASE("a client that never completes the handshake, or goes quiet after it, is closed after the read timeout") {
    const Certificate cert;
    Server server(tls_env(cert, {{"CODD_HTTP_READ_TIMEOUT_MS", "1000"}}));
    RawConnection silent(kHost, server.port());
    CHECK_FALSE(silent.wait_closed(300ms));  // not before the timeout
    CHECK(silent.wait_closed(5s));

    RawConnection half(kHost, server.port());
    half.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));  // the start of a ClientHello
    CHECK(half.wait_closed(5s));

    TlsClient idle(kHost, server.port(), cert.cert());
    CHECK(idle.get("/health/live").status == 200);
    CHECK(idle.wait_closed(5s));  // an idle keep-alive connection ends like over plain HTTP

    TlsClient client(kHost, server.port(), cert.cert());
    CHECK(client.get("/health/live").status == 200);
}

TEST_CASE("production over native TLS: the request is secure, so HSTS and no HTTPS redirect") {
    const Certificate cert;
    Server server(tls_env(cert, {{"CODD_ENV", "production"},
                                 {"CODD_JWT_SECRET", "3f9c2a7be18d4c6f0a5b9e2d7c1f8a3b"},
                                 {"CODD_JWT_REFRESH_SECRET", "c8e1f47a2d9b3e6f5a0c7d2b9e4f1a86"},
                                 {"CODD_TRUSTED_PROXIES", "127.0.0.1"}}));
    TlsClient client(kHost, server.port(), cert.cert());
    // Even a header claiming plain HTTP from a trusted address cannot turn a TLS request into a redirect.
    const HttpResponse res = client.get("/api/v1/orders", {{"X-Forwarded-Proto", "http"}});
    CHECK(res.status != 308);
    CHECK_FALSE(res.header("Location"));
    CHECK(res.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
    CHECK(client.get("/health/live").header("Strict-Transport-Security"));
}

TEST_CASE("SIGTERM with an open TLS connection still exits 0") {
    const Certificate cert;
    Server server(tls_env(cert));
    TlsClient client(kHost, server.port(), cert.cert());
    CHECK(client.get("/health/live").status == 200);
    server.process().signal(SIGTERM);
    CHECK(client.wait_closed(10s));
    CHECK(server.process().wait(15s) == 0);
    CHECK(server.log().find("\"stopped\"") != std::string::npos);
}

TEST_CASE("only one of CODD_TLS_CERT and CODD_TLS_KEY is a configuration error (exit 2)") {
    const Certificate cert;
    const RunResult only_cert = serve_fails({{"CODD_TLS_CERT", cert.cert().string()}});
    CHECK(only_cert.exit_code == 2);
    CHECK(only_cert.out.find("CODD_TLS_KEY") != std::string::npos);
    const RunResult only_key = serve_fails({{"CODD_TLS_KEY", cert.key().string()}});
    CHECK(only_key.exit_code == 2);
    CHECK(only_key.out.find("CODD_TLS_CERT") != std::string::npos);
}

TEST_CASE("TLS files that cannot be used stop the start (exit 1) with a message naming the file") {
    const Certificate cert;
    const auto fails = [&](const std::filesystem::path& c, const std::filesystem::path& k, const std::string& want) {
        INFO(c << " " << k);
        const RunResult r = serve_fails({{"CODD_TLS_CERT", c.string()}, {"CODD_TLS_KEY", k.string()}});
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("cannot start the HTTP server") != std::string::npos);
        CHECK_MESSAGE(r.out.find(want) != std::string::npos, r.out);
    };
    fails(cert.dir() / "missing.pem", cert.key(), "missing.pem");
    fails(cert.cert(), cert.dir() / "missing-key.pem", "missing-key.pem");

    const auto garbage = cert.dir() / "garbage.pem";
    std::ofstream(garbage) << "not a certificate\n";
    fails(garbage, cert.key(), "garbage.pem");
    fails(cert.cert(), garbage, "garbage.pem");

    // A key from another pair: refused at the start, not at the first handshake.
    cert.generate(cert.dir() / "other-cert.pem", cert.dir() / "other-key.pem");
    fails(cert.cert(), cert.dir() / "other-key.pem", "other-key.pem");
}

#include <doctest/doctest.h>

#include "api/config.hpp"

using namespace codd::api;
using namespace std::chrono_literals;

TEST_CASE("defaults") {
    const Config c = load_config({}, std::nullopt);
    CHECK(c.data_dir == "./data");
    CHECK(c.listen.host == "127.0.0.1");
    CHECK(c.listen.port == 3000);
    CHECK(c.environment == Environment::development);
    CHECK(c.log_level == log::Level::info);
    CHECK(c.http_threads == 2);
    CHECK(c.max_body_bytes == 1024 * 1024);
    CHECK(c.shutdown_grace == 10'000ms);
    CHECK(c.read_timeout == 30'000ms);
    CHECK(c.request_timeout == 30'000ms);
}

TEST_CASE("every variable is read") {
    const Config c = load_config({{"CODD_DATA_DIR", "/var/lib/codd"},
                                  {"CODD_BACKUP_DIR", "/mnt/backups/codd"},
                                  {"CODD_LISTEN", "0.0.0.0:8080"},
                                  {"CODD_ENV", "production"},
                                  {"CODD_LOG_LEVEL", "warn"},
                                  {"CODD_HTTP_THREADS", "8"},
                                  {"CODD_MAX_BODY_BYTES", "2048"},
                                  {"CODD_SHUTDOWN_GRACE_MS", "0"},
                                  {"CODD_HTTP_READ_TIMEOUT_MS", "500"},
                                  {"CODD_REQUEST_TIMEOUT_MS", "750"},
                                  {"CODD_JWT_SECRET", "3f9c2a7be18d4c6f0a5b9e2d7c1f8a3b"},
                                  {"CODD_JWT_REFRESH_SECRET", "c8e1f47a2d9b3e6f5a0c7d2b9e4f1a86"}},
                                 std::nullopt);
    CHECK(c.data_dir == "/var/lib/codd");
    CHECK(c.backup_dir == "/mnt/backups/codd");
    CHECK(load_config({{"CODD_DATA_DIR", "/srv/codd"}}, std::nullopt).backup_dir == "/srv/codd/backups");
    CHECK(c.listen.to_string() == "0.0.0.0:8080");
    CHECK(c.environment == Environment::production);
    CHECK(c.log_level == log::Level::warn);
    CHECK(c.http_threads == 8);
    CHECK(c.max_body_bytes == 2048);
    CHECK(c.shutdown_grace == 0ms);
    CHECK(c.read_timeout == 500ms);
    CHECK(c.request_timeout == 750ms);
}

TEST_CASE("listen addresses") {
    CHECK(parse_listen("127.0.0.1:0").port == 0);
    CHECK(parse_listen("localhost:3000").host == "localhost");
    const ListenAddress v6 = parse_listen("[::1]:4000");
    CHECK(v6.host == "::1");
    CHECK(v6.port == 4000);
    CHECK(v6.to_string() == "[::1]:4000");
    for (const char* bad : {"", "3000", ":3000", "host:", "host:65536", "host:-1", "host:80x", "::1:3000", "[::1]",
                            "[::1]3000", "[]:3000", "ho st:80", "host:+80"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_listen(bad), ConfigError);
    }
}

TEST_CASE("invalid values are errors that name the variable") {
    const auto message = [](const EnvMap& env) {
        try {
            (void)load_config(env, std::nullopt);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    CHECK(message({{"CODD_ENV", "staging"}}).find("CODD_ENV must be 'development' or 'production', got 'staging'") !=
          std::string::npos);
    CHECK(message({{"CODD_ENV", ""}}).find("CODD_ENV") != std::string::npos);
    CHECK(message({{"CODD_LOG_LEVEL", "loud"}}).find("CODD_LOG_LEVEL") != std::string::npos);
    CHECK(message({{"CODD_HTTP_THREADS", "0"}}).find("CODD_HTTP_THREADS must be an integer from 1 to 256") !=
          std::string::npos);
    CHECK(message({{"CODD_HTTP_THREADS", "2.5"}}).find("CODD_HTTP_THREADS") != std::string::npos);
    CHECK(message({{"CODD_HTTP_THREADS", " 2"}}).find("CODD_HTTP_THREADS") != std::string::npos);
    CHECK(message({{"CODD_MAX_BODY_BYTES", "-5"}}).find("CODD_MAX_BODY_BYTES") != std::string::npos);
    CHECK(message({{"CODD_MAX_BODY_BYTES", "99999999999999999999999"}}).find("CODD_MAX_BODY_BYTES") !=
          std::string::npos);
    CHECK(message({{"CODD_SHUTDOWN_GRACE_MS", "ten"}}).find("CODD_SHUTDOWN_GRACE_MS") != std::string::npos);
    CHECK(message({{"CODD_DATA_DIR", ""}}).find("CODD_DATA_DIR") != std::string::npos);
    CHECK(message({{"CODD_LISTEN", "nope"}}).find("CODD_LISTEN") != std::string::npos);
}

TEST_CASE(".env fills gaps in development and never overrides the environment") {
    const std::string dotenv = "CODD_HTTP_THREADS=4\nCODD_LOG_LEVEL=debug\n";
    const Config c = load_config({{"CODD_LOG_LEVEL", "error"}}, dotenv);
    CHECK(c.http_threads == 4);
    CHECK(c.log_level == log::Level::error);

    const Config explicit_dev = load_config({{"CODD_ENV", "development"}}, dotenv);
    CHECK(explicit_dev.http_threads == 4);
}

TEST_CASE(".env is ignored in production") {
    CHECK_FALSE(wants_dotenv({{"CODD_ENV", "production"}}));
    CHECK(wants_dotenv({}));
    const Config c = load_config({{"CODD_ENV", "production"},
                                  {"CODD_JWT_SECRET", "3f9c2a7be18d4c6f0a5b9e2d7c1f8a3b"},
                                  {"CODD_JWT_REFRESH_SECRET", "c8e1f47a2d9b3e6f5a0c7d2b9e4f1a86"}},
                                 "CODD_HTTP_THREADS=4\nTHIS IS NOT VALID\n");
    CHECK(c.http_threads == 2);
}

TEST_CASE(".env errors are configuration errors") {
    CHECK_THROWS_WITH_AS(load_config({}, "CODD_LISTEN=1.2.3.4:5\nnonsense\n"), ".env line 2: expected KEY=VALUE",
                         ConfigError);
    CHECK_THROWS_AS(load_config({}, "CODD_ENV=production\n"), ConfigError);
    CHECK(load_config({}, "CODD_ENV=development\n").environment == Environment::development);
}

TEST_CASE("worker threads") {
    CHECK(load_config({}, std::nullopt).worker_threads == 2);
    CHECK(load_config({{"CODD_WORKER_THREADS", "6"}}, std::nullopt).worker_threads == 6);
    CHECK_THROWS_AS(load_config({{"CODD_WORKER_THREADS", "0"}}, std::nullopt), ConfigError);
    CHECK_THROWS_AS(load_config({{"CODD_WORKER_THREADS", "two"}}, std::nullopt), ConfigError);
}

TEST_CASE("auth settings") {
    const Config d = load_config({}, std::nullopt);
    CHECK(d.jwt_secret.empty());  // development: generated by `codd serve`
    CHECK(d.access_token_ttl == std::chrono::seconds(900));
    CHECK(d.refresh_token_ttl == std::chrono::seconds(7 * 86400));
    CHECK_FALSE(d.allow_registration);

    const Config c = load_config({{"CODD_ACCESS_TOKEN_TTL", "15m"},
                                  {"CODD_REFRESH_TOKEN_TTL", "7d"},
                                  {"CODD_ALLOW_REGISTRATION", "true"},
                                  {"CODD_ADMIN_EMAIL", "a@b.c"},
                                  {"CODD_ADMIN_PASSWORD", "Secret#123"}},
                                 std::nullopt);
    CHECK(c.access_token_ttl == std::chrono::seconds(900));
    CHECK(c.refresh_token_ttl == std::chrono::seconds(604800));
    CHECK(c.allow_registration);
    CHECK(c.admin_email == "a@b.c");

    CHECK(parse_duration("K", "1") == std::chrono::seconds(1));
    CHECK(parse_duration("K", "2h") == std::chrono::seconds(7200));
    CHECK(parse_duration("K", "30s") == std::chrono::seconds(30));
    for (const char* bad : {"", "0", "-5", "15x", "m", "1.5h", "366d", " 5"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_duration("K", bad), ConfigError);
    }
    CHECK_THROWS_AS(load_config({{"CODD_ADMIN_EMAIL", "a@b.c"}}, std::nullopt), ConfigError);
    CHECK_THROWS_AS(load_config({{"CODD_ALLOW_REGISTRATION", "maybe"}}, std::nullopt), ConfigError);
}

TEST_CASE("production refuses missing, short, equal, placeholder or patterned secrets, without echoing them") {
    const std::string a = "3f9c2a7be18d4c6f0a5b9e2d7c1f8a3b";
    const std::string b = "c8e1f47a2d9b3e6f5a0c7d2b9e4f1a86";
    // What an unedited copy of .env.production.example holds, and long but patterned values.
    for (const std::string& weak :
         {std::string("<output of: openssl rand -hex 32>"), std::string("<another output of: openssl rand -hex 32>"),
          std::string(32, 'a'), std::string("abababababababababababababababab"),
          std::string("change me change me change me change me")}) {
        INFO(weak);
        try {
            (void)load_config({{"CODD_ENV", "production"}, {"CODD_JWT_SECRET", weak}, {"CODD_JWT_REFRESH_SECRET", b}},
                              std::nullopt);
            FAIL("accepted a weak secret");
        } catch (const ConfigError& e) {
            CHECK(std::string(e.what()).find(weak) == std::string::npos);
            CHECK(std::string(e.what()).find("CODD_JWT_SECRET") != std::string::npos);
        }
    }
    CHECK_THROWS_AS(load_config({{"CODD_ENV", "production"}}, std::nullopt), ConfigError);
    CHECK_THROWS_AS(load_config({{"CODD_ENV", "production"}, {"CODD_JWT_SECRET", a}}, std::nullopt), ConfigError);
    CHECK_THROWS_AS(
        load_config({{"CODD_ENV", "production"}, {"CODD_JWT_SECRET", a}, {"CODD_JWT_REFRESH_SECRET", a}}, std::nullopt),
        ConfigError);
    try {
        (void)load_config(
            {{"CODD_ENV", "production"}, {"CODD_JWT_SECRET", "short-secret-value"}, {"CODD_JWT_REFRESH_SECRET", b}},
            std::nullopt);
        FAIL("accepted a short secret");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()).find("short-secret-value") == std::string::npos);
        CHECK(std::string(e.what()).find("CODD_JWT_SECRET") != std::string::npos);
    }
    const Config ok =
        load_config({{"CODD_ENV", "production"}, {"CODD_JWT_SECRET", a}, {"CODD_JWT_REFRESH_SECRET", b}}, std::nullopt);
    CHECK(ok.jwt_secret == a);
    CHECK(ok.jwt_refresh_secret == b);
}

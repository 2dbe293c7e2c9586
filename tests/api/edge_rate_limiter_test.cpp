#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "api/edge_rate_limiter.hpp"

using namespace codd::api;
using namespace std::chrono_literals;

namespace {

using SteadyClock = std::chrono::steady_clock;

// A limiter whose clock only moves when the test says so.
struct Fixture {
    SteadyClock::time_point now{std::chrono::hours(1000)};
    RateLimiter limiter;

    explicit Fixture(RateLimit auth, std::size_t max_keys = RateLimiter::kDefaultMaxKeys)
        : limiter(RateLimits{auth, RateLimit{}, RateLimit{}, RateLimit{}}, [this] { return now; }, max_keys) {}

    RateDecision check(std::string_view key = "ip:1") { return limiter.check(RateTier::auth, key); }
};

}  // namespace

TEST_CASE("parse_rate_limit") {
    CHECK(parse_rate_limit("5/15m") == RateLimit{5, 900s});
    CHECK(parse_rate_limit("600/1m") == RateLimit{600, 60s});
    CHECK(parse_rate_limit("600/m") == RateLimit{600, 60s});
    CHECK(parse_rate_limit("50/900s") == RateLimit{50, 900s});
    CHECK(parse_rate_limit("100/2h") == RateLimit{100, 7200s});
    CHECK(parse_rate_limit("1000/7d") == RateLimit{1000, std::chrono::seconds(7 * 86400)});
    CHECK(parse_rate_limit("off") == RateLimit{});
    for (const char* bad : {"", "5", "5/", "/15m", "0/1m", "5/0m", "5/15", "5/15x", "-5/1m", "5/8d", "5 /1m", "OFF",
                            "1000000001/1s", "5/15m "}) {
        INFO(bad);
        CHECK_FALSE(parse_rate_limit(bad).has_value());
    }
    CHECK(to_string(RateLimit{5, 900s}) == "5/900s");
    CHECK(to_string(RateLimit{}) == "off");
}

TEST_CASE("a burst of N passes, the next is refused with the time until a token is back") {
    Fixture f(RateLimit{5, 15min});
    for (int i = 0; i < 5; ++i) CHECK(f.check().allowed);
    const RateDecision refused = f.check();
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == 180s);  // one token every 15 min / 5
    f.now += 179s;
    CHECK_FALSE(f.check().allowed);
    CHECK(f.check().retry_after == 1s);  // rounded up, never 0
    f.now += 1s;
    CHECK(f.check().allowed);
    CHECK_FALSE(f.check().allowed);
    CHECK(f.limiter.refused(RateTier::auth) == 4);
}

TEST_CASE("at most N per window over a long stretch, and a full burst after a quiet window") {
    Fixture f(RateLimit{10, 60s});
    int allowed = 0;
    for (int s = 0; s < 600; ++s) {  // ten minutes of one attempt per second
        allowed += f.check().allowed ? 1 : 0;
        f.now += 1s;
    }
    CHECK(allowed <= 10 + 10 * 10);  // the first burst, then 10 per minute
    CHECK(allowed >= 100);
    f.now += 60s;
    for (int i = 0; i < 10; ++i) CHECK(f.check().allowed);
    CHECK_FALSE(f.check().allowed);
}

TEST_CASE("keys and tiers are independent, an off tier never refuses") {
    SteadyClock::time_point now{};
    RateLimiter limiter({RateLimit{1, 60s}, RateLimit{2, 60s}, RateLimit{}, RateLimit{1, 60s}}, [&] { return now; });
    CHECK(limiter.check(RateTier::auth, "ip:1").allowed);
    CHECK_FALSE(limiter.check(RateTier::auth, "ip:1").allowed);
    CHECK(limiter.check(RateTier::auth, "ip:2").allowed);
    CHECK(limiter.check(RateTier::auth, "email:a@x").allowed);
    CHECK(limiter.check(RateTier::writes, "ip:1").allowed);
    CHECK(limiter.check(RateTier::webhooks, "ip:1").allowed);
    for (int i = 0; i < 1000; ++i) CHECK(limiter.check(RateTier::public_api, "ip:1").allowed);
    CHECK(limiter.tracked_keys(RateTier::public_api) == 0);
}

TEST_CASE("memory is bounded: full buckets are forgotten first, then the keys closest to full") {
    Fixture f(RateLimit{2, 60s}, 16 * 8);  // 8 keys per shard
    f.check("victim");
    f.check("victim");
    CHECK_FALSE(f.check("victim").allowed);
    for (int i = 0; i < 10'000; ++i) (void)f.check("flood-" + std::to_string(i));
    CHECK(f.limiter.tracked_keys(RateTier::auth) <= 16 * 8);
    CHECK(f.limiter.evicted(RateTier::auth) > 0);
    // Keys whose buckets have refilled carry nothing and are dropped without counting as evictions.
    f.now += 61s;
    const std::uint64_t evicted = f.limiter.evicted(RateTier::auth);
    for (int i = 0; i < 200; ++i) (void)f.check("later-" + std::to_string(i));
    CHECK(f.limiter.tracked_keys(RateTier::auth) <= 16 * 8);
    CHECK(f.limiter.evicted(RateTier::auth) - evicted < 200);
}

TEST_CASE("concurrent checks of one key never let more than the burst through") {
    SteadyClock::time_point now{std::chrono::hours(1)};  // frozen: no refill during the test
    RateLimiter limiter({RateLimit{100, 3600s}, {}, {}, {}}, [&] { return now; });
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) allowed += limiter.check(RateTier::auth, "shared").allowed ? 1 : 0;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(allowed.load() == 100);
}

#pragma once
// Tiered rate limits (DESIGN §7): a token bucket per (tier, key), in the GCRA form that stores one
// timestamp per key. A limit of N per window allows a burst of N, then one request every window/N: over any
// long stretch at most N per window, and a client that waited a whole window has its full burst back.
//
// Thread-safe (striped locks), memory-bounded: a key whose bucket is full again carries no information and
// is evicted first; if a flood of distinct keys still fills a tier, the keys closest to full go next.
// The clock is monotonic and injected, so a wall-clock step can't lock clients out and tests need no sleep.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace codd::api {

enum class RateTier : std::uint8_t {
    auth,        // login, register, refresh: per client IP here, per email in the login handler
    writes,      // every other non-GET request under /api
    public_api,  // /api/public/*: embedded checkout forms, no auth
    webhooks,    // /api/webhooks/*: inbound order imports
};
inline constexpr std::size_t kRateTierCount = 4;

// "auth", "writes", "public", "webhooks": the metric label and the CODD_RATE_LIMIT_<TIER> suffix (upper case).
[[nodiscard]] std::string_view to_string(RateTier tier);

struct RateLimit {
    std::uint32_t requests = 0;  // 0: the tier is off (unlimited)
    std::chrono::seconds window{0};

    [[nodiscard]] bool off() const { return requests == 0; }
    friend bool operator==(const RateLimit&, const RateLimit&) = default;
};
using RateLimits = std::array<RateLimit, kRateTierCount>;

// "5/15m", "600/1m", "600/m", "50/900s", "100/1h", "1000/1d", or "off". nullopt for anything else.
// The window is 1 second to 7 days; the count 1 to 1,000,000,000.
[[nodiscard]] std::optional<RateLimit> parse_rate_limit(std::string_view text);
// The canonical text of a limit, e.g. "5/900s" or "off" (for logs and errors).
[[nodiscard]] std::string to_string(const RateLimit& limit);

struct RateDecision {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // when refused: whole seconds (at least 1) until a retry can pass
};

class RateLimiter {
  public:
    using Now = std::function<std::chrono::steady_clock::time_point()>;
    static constexpr std::size_t kDefaultMaxKeys = 100'000;  // per tier

    explicit RateLimiter(RateLimits limits, Now now = {}, std::size_t max_keys_per_tier = kDefaultMaxKeys);
    ~RateLimiter();
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    // Takes one token from `key`'s bucket in `tier`, or says how long to wait. Keys are opaque; callers
    // that share a tier keep them apart with a prefix ("ip:203.0.113.7", "email:alice@example.com").
    [[nodiscard]] RateDecision check(RateTier tier, std::string_view key);

    [[nodiscard]] const RateLimit& limit(RateTier tier) const;
    [[nodiscard]] std::size_t tracked_keys(RateTier tier) const;
    [[nodiscard]] std::uint64_t refused(RateTier tier) const;  // requests refused since start
    [[nodiscard]] std::uint64_t evicted(RateTier tier) const;  // keys evicted before their bucket was full

  private:
    class Table;
    std::array<std::unique_ptr<Table>, kRateTierCount> tables_;
    Now now_;
};

}  // namespace codd::api

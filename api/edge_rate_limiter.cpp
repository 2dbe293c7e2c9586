#include "api/edge_rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

namespace codd::api {
namespace {

using Nanos = std::int64_t;
constexpr std::size_t kShards = 16;
constexpr std::uint32_t kMaxRequests = 1'000'000'000;
constexpr std::chrono::seconds kMaxWindow = std::chrono::hours(24 * 7);

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

std::optional<std::uint64_t> parse_uint(std::string_view s) {
    std::uint64_t out = 0;
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, out);
    if (s.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
    return out;
}

std::optional<std::chrono::seconds> parse_window(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t unit = 0;
    switch (s.back()) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return std::nullopt;
    }
    s.remove_suffix(1);
    const std::optional<std::uint64_t> count = s.empty() ? std::optional<std::uint64_t>(1) : parse_uint(s);
    if (!count || *count == 0 || *count > static_cast<std::uint64_t>(kMaxWindow.count()) / unit) return std::nullopt;
    return std::chrono::seconds(static_cast<std::int64_t>(*count * unit));
}

}  // namespace

std::string_view to_string(RateTier tier) {
    switch (tier) {
        case RateTier::auth: return "auth";
        case RateTier::writes: return "writes";
        case RateTier::public_api: return "public";
        case RateTier::webhooks: return "webhooks";
    }
    return "unknown";
}

std::optional<RateLimit> parse_rate_limit(std::string_view text) {
    if (text == "off") return RateLimit{};
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto requests = parse_uint(text.substr(0, slash));
    const auto window = parse_window(text.substr(slash + 1));
    if (!requests || *requests == 0 || *requests > kMaxRequests || !window) return std::nullopt;
    return RateLimit{static_cast<std::uint32_t>(*requests), *window};
}

std::string to_string(const RateLimit& limit) {
    if (limit.off()) return "off";
    return fmt::format("{}/{}s", limit.requests, limit.window.count());
}

// One tier: GCRA state ("theoretical arrival time" of the next request) per key, in striped maps.
class RateLimiter::Table {
  public:
    Table(RateLimit limit, std::size_t max_keys)
        : limit_(limit), shard_capacity_(std::max<std::size_t>(1, max_keys / kShards)) {
        if (limit.off()) return;
        const Nanos window = std::chrono::duration_cast<std::chrono::nanoseconds>(limit.window).count();
        interval_ = std::max<Nanos>(1, window / limit.requests);
        tolerance_ = window - interval_;
    }

    RateDecision check(std::string_view key, Nanos now) {
        if (limit_.off()) return {};
        Shard& shard = shards_[StringHash{}(key) % kShards];
        std::lock_guard lk(shard.mu);
        auto it = shard.tat.find(key);
        const Nanos tat = it == shard.tat.end() ? now : std::max(it->second, now);
        if (tat - now > tolerance_) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            const Nanos wait = tat - tolerance_ - now;
            const Nanos secs = (wait + 999'999'999) / 1'000'000'000;
            return {false, std::chrono::seconds(std::max<Nanos>(1, secs))};
        }
        if (it != shard.tat.end()) {
            it->second = tat + interval_;
        } else {
            if (shard.tat.size() >= shard_capacity_) make_room(shard, now);
            shard.tat.emplace(std::string(key), tat + interval_);
        }
        return {};
    }

    [[nodiscard]] const RateLimit& limit() const { return limit_; }
    [[nodiscard]] std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::size_t size() const {
        std::size_t n = 0;
        for (Shard& s : shards_) {
            std::lock_guard lk(s.mu);
            n += s.tat.size();
        }
        return n;
    }

  private:
    struct Shard {
        std::mutex mu;
        std::unordered_map<std::string, Nanos, StringHash, std::equal_to<>> tat;
    };

    // A key whose arrival time has passed has a full bucket: forgetting it changes nothing. When the shard
    // is still full after that (many distinct active keys), drop the quarter of keys closest to full, so the
    // cost is amortised and the keys that are really being limited are the last to go.
    void make_room(Shard& shard, Nanos now) {
        std::erase_if(shard.tat, [now](const auto& kv) { return kv.second <= now; });
        if (shard.tat.size() < shard_capacity_) return;
        std::vector<Nanos> tats;
        tats.reserve(shard.tat.size());
        for (const auto& kv : shard.tat) tats.push_back(kv.second);
        const std::size_t drop = std::max<std::size_t>(1, tats.size() / 4);
        std::nth_element(tats.begin(), tats.begin() + static_cast<std::ptrdiff_t>(drop - 1), tats.end());
        const Nanos threshold = tats[drop - 1];
        std::size_t dropped = 0;
        for (auto it = shard.tat.begin(); it != shard.tat.end() && dropped < drop;) {
            if (it->second <= threshold) {
                it = shard.tat.erase(it);
                ++dropped;
            } else {
                ++it;
            }
        }
        evicted_.fetch_add(dropped, std::memory_order_relaxed);
    }

    RateLimit limit_;
    std::size_t shard_capacity_;
    Nanos interval_ = 0;   // window / requests: one token comes back every interval
    Nanos tolerance_ = 0;  // window - interval: how far ahead of now the arrival time may run (the burst)
    mutable std::array<Shard, kShards> shards_;
    std::atomic<std::uint64_t> refused_{0};
    std::atomic<std::uint64_t> evicted_{0};
};

RateLimiter::RateLimiter(RateLimits limits, Now now, std::size_t max_keys_per_tier) : now_(std::move(now)) {
    if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
    for (std::size_t i = 0; i < kRateTierCount; ++i) tables_[i] = std::make_unique<Table>(limits[i], max_keys_per_tier);
}

RateLimiter::~RateLimiter() = default;

RateDecision RateLimiter::check(RateTier tier, std::string_view key) {
    Table& table = *tables_[static_cast<std::size_t>(tier)];
    if (table.limit().off()) return {};
    const Nanos now = std::chrono::duration_cast<std::chrono::nanoseconds>(now_().time_since_epoch()).count();
    return table.check(key, now);
}

const RateLimit& RateLimiter::limit(RateTier tier) const {
    return tables_[static_cast<std::size_t>(tier)]->limit();
}

std::size_t RateLimiter::tracked_keys(RateTier tier) const {
    return tables_[static_cast<std::size_t>(tier)]->size();
}

std::uint64_t RateLimiter::refused(RateTier tier) const {
    return tables_[static_cast<std::size_t>(tier)]->refused();
}

std::uint64_t RateLimiter::evicted(RateTier tier) const {
    return tables_[static_cast<std::size_t>(tier)]->evicted();
}

}  // namespace codd::api

#include "engine/clock.hpp"

#include <array>
#include <cstdio>

namespace codd::engine {
namespace {

std::string format_uuid(std::uint64_t hi, std::uint64_t lo) {
    std::array<char, 37> buf{};
    std::snprintf(buf.data(), buf.size(), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return std::string(buf.data(), 36);
}

}  // namespace

RandomIdGenerator::RandomIdGenerator() {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    rng_.seed(seq);
}

std::string RandomIdGenerator::next() {
    std::uint64_t hi, lo;
    {
        std::lock_guard lock(mu_);
        hi = rng_();
        lo = rng_();
    }
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                              // version 4
    lo = (lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48);              // RFC 4122 variant
    return format_uuid(hi, lo);
}

std::string SequentialIdGenerator::next() {
    const std::uint64_t n = counter_.fetch_add(1) + 1;
    return format_uuid(0x4000ULL, (0x8000ULL << 48) | (n & 0xffffffffffffULL));
}

std::shared_ptr<Clock> system_clock() {
    static const auto clock = std::make_shared<SystemClock>();
    return clock;
}

std::shared_ptr<IdGenerator> random_ids() { return std::make_shared<RandomIdGenerator>(); }

}  // namespace codd::engine

#include "engine/clock.hpp"


namespace codd::engine {
namespace {

// 8-4-4-4-12 lowercase hex digits of hi then lo, as "%08x-%04x-%04x-%04x-%012llx" would print them; by
// hand because an event id is made per event on the writer thread.
std::string format_uuid(std::uint64_t hi, std::uint64_t lo) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(36, '-');
    int nibble = 0;  // of the 32, most significant first
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) continue;
        const std::uint64_t word = nibble < 16 ? hi : lo;
        out[i] = kHex[(word >> (60 - 4 * (nibble % 16))) & 0xf];
        ++nibble;
    }
    return out;
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

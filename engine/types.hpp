#pragma once
// Strong types for the identities and positions of the log, so a version is never passed where a
// position is expected (Redpanda's model/fundamental.h is the inspiration).

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace codd::engine {

template <typename Tag, typename Rep>
class Named {
public:
    using rep = Rep;
    constexpr Named() = default;
    constexpr explicit Named(Rep v) : value_(v) {}
    [[nodiscard]] constexpr Rep value() const { return value_; }
    constexpr auto operator<=>(const Named&) const = default;

private:
    Rep value_{};
};

// 1, 2, 3, ... across the whole log, gapless, in commit order. 0 means "before the first event".
using GlobalPosition = Named<struct GlobalPositionTag, std::uint64_t>;

// 0, 1, 2, ... within one stream.
using StreamVersion = Named<struct StreamVersionTag, std::int64_t>;

// Money in integer minor units (pesewas, cents). Never a float.
struct Money {
    std::int64_t minor = 0;
    constexpr auto operator<=>(const Money&) const = default;
};

// The amount in major units with two decimals ("45.00", "0.07", "-3.50"): money in a message, in the units the API
// takes and answers (a refusal quoting 4500 to a client that sent 45.0 reads as a different number).
inline std::string to_string(Money m) {
    const auto abs = m.minor < 0 ? 0 - static_cast<std::uint64_t>(m.minor) : static_cast<std::uint64_t>(m.minor);
    const std::uint64_t cents = abs % 100;
    return (m.minor < 0 ? "-" : "") + std::to_string(abs / 100) + (cents < 10 ? ".0" : ".") + std::to_string(cents);
}

// What an append expects of a stream before it writes: optimistic concurrency.
class ExpectedVersion {
public:
    static constexpr ExpectedVersion any() { return ExpectedVersion(kAny); }
    static constexpr ExpectedVersion no_stream() { return ExpectedVersion(kNoStream); }
    static constexpr ExpectedVersion exact(StreamVersion v) { return ExpectedVersion(v.value()); }

    [[nodiscard]] constexpr bool is_any() const { return raw_ == kAny; }
    [[nodiscard]] constexpr bool is_no_stream() const { return raw_ == kNoStream; }
    // The raw form: -2 any, -1 no stream, otherwise the version of the stream's last event.
    [[nodiscard]] constexpr std::int64_t raw() const { return raw_; }
    // True when a stream whose last version is `current` (-1: no stream) satisfies this expectation.
    [[nodiscard]] constexpr bool matches(std::int64_t current) const { return raw_ == kAny || raw_ == current; }

private:
    static constexpr std::int64_t kAny = -2;
    static constexpr std::int64_t kNoStream = -1;
    constexpr explicit ExpectedVersion(std::int64_t raw) : raw_(raw) {}
    std::int64_t raw_;
};

}  // namespace codd::engine

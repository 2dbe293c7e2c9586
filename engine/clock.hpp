#pragma once
// The clock and id generation are injected, so deciders and the log are deterministic under test.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

namespace codd::engine {

using TimePoint = std::chrono::system_clock::time_point;

// Microseconds since the Unix epoch: how codd stores and compares every time (events, views, tokens).
inline std::int64_t to_us(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to; thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start = TimePoint{std::chrono::seconds{1'750'000'000}}) : us_(to_us(start)) {}
    [[nodiscard]] TimePoint now() const override { return TimePoint{std::chrono::microseconds{us_.load()}}; }
    void set(TimePoint t) { us_.store(to_us(t)); }
    void advance(std::chrono::microseconds d) { us_.fetch_add(d.count()); }

private:
    std::atomic<std::int64_t> us_;
};

class IdGenerator {
public:
    virtual ~IdGenerator() = default;
    // A new unique id in the canonical 8-4-4-4-12 hex form.
    [[nodiscard]] virtual std::string next() = 0;
};

// Random (version 4) UUIDs from a per-generator PRNG seeded from the OS.
class RandomIdGenerator final : public IdGenerator {
public:
    RandomIdGenerator();
    [[nodiscard]] std::string next() override;

private:
    std::mutex mu_;
    std::mt19937_64 rng_;
};

// Deterministic ids for tests: 00000000-0000-4000-8000-<counter>.
class SequentialIdGenerator final : public IdGenerator {
public:
    [[nodiscard]] std::string next() override;

private:
    std::atomic<std::uint64_t> counter_{0};
};

// The default implementations, for composition roots that have no reason to inject their own.
std::shared_ptr<Clock> system_clock();
std::shared_ptr<IdGenerator> random_ids();

}  // namespace codd::engine

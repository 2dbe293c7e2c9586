#pragma once
// Helpers shared by the catalog, customers and aggregate tests: a real log in a temporary directory with
// a manual clock, reopened on demand, and the Result helpers.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <variant>

#include "engine/aggregate.hpp"
#include "tests/engine/log_fixture.hpp"

namespace codd::test {

inline engine::CommandContext ctx(std::string command_id = {}) {
    engine::CommandContext c;
    c.metadata.actor = {"1001", "admin"};
    c.metadata.request_id = "req-domain";
    c.command_id = std::move(command_id);
    return c;
}

template <typename T>
const T& accepted(const engine::Result<T>& r) {
    if (const auto* rej = std::get_if<engine::Rejection>(&r)) FAIL("unexpected rejection: " << rej->message);
    return std::get<T>(r);
}

template <typename T>
engine::Rejection refused(const engine::Result<T>& r) {
    REQUIRE_MESSAGE(std::holds_alternative<engine::Rejection>(r), "expected a rejection");
    return std::get<engine::Rejection>(r);
}

inline std::int64_t detail(const engine::Rejection& r, std::string_view name) {
    for (const auto& d : r.details) {
        if (d.name == name) return d.value;
    }
    FAIL("rejection has no detail " << name);
    return 0;
}

class LogFixture {
  public:
    LogFixture() { open(); }
    virtual ~LogFixture() = default;

    void reopen() {
        closing();
        log->close();
        log.reset();
        open();
        opened();
    }

    [[nodiscard]] std::vector<engine::RecordedEvent> stream(const std::string& name) const {
        return log->read_stream(name, engine::StreamVersion{0}, 100000);
    }

    TempDir dir;
    std::shared_ptr<engine::ManualClock> clock = std::make_shared<engine::ManualClock>();
    std::unique_ptr<engine::EventLog> log;

  protected:
    // Derived fixtures build their services in their constructor and again here, after a reopen.
    virtual void opened() {}
    virtual void closing() {}

  private:
    void open() {
        engine::LogOptions o = options_for(dir.path());
        o.clock = clock;
        log = engine::EventLog::open(o);
    }
};

}  // namespace codd::test

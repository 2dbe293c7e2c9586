#pragma once
// Helpers shared by the event log tests: building requests and opening logs on temporary directories.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/event_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace codd::test {

inline engine::NewEvent event(std::string type, std::string payload = "{}") {
    engine::NewEvent e;
    e.type = std::move(type);
    e.payload = std::move(payload);
    return e;
}

inline engine::StreamAppend to_stream(std::string stream, engine::ExpectedVersion expected,
                                      std::vector<engine::NewEvent> events) {
    return engine::StreamAppend{std::move(stream), expected, std::move(events)};
}

inline engine::AppendRequest request(std::vector<engine::StreamAppend> streams, std::string command_id = {}) {
    engine::AppendRequest r;
    r.command_id = std::move(command_id);
    r.metadata.actor = {"7", "admin"};
    r.metadata.request_id = "req-1";
    r.streams = std::move(streams);
    return r;
}

inline engine::LogOptions options_for(const std::filesystem::path& dir) {
    engine::LogOptions o;
    o.dir = dir;
    o.clock = std::make_shared<engine::ManualClock>();
    o.ids = std::make_shared<engine::SequentialIdGenerator>();
    return o;
}

inline std::unique_ptr<engine::EventLog> open_log(const std::filesystem::path& dir) {
    return engine::EventLog::open(options_for(dir));
}

// Holds a log's fsyncs back while shut, or fails them (LogOptions::before_sync): what the writer writes meanwhile
// is readable and not durable. Declare it before the log it gates, and a Release after the log: a test that
// stops half-way then opens the gate before the log, which waits for its fsyncs, closes.
class SyncGate {
  public:
    [[nodiscard]] std::function<void()> hook() {
        return [this] {
            std::unique_lock lock(mu_);
            ++waiting_;
            cv_.notify_all();
            cv_.wait(lock, [this] { return open_ || fail_; });
            --waiting_;
            if (fail_) throw std::runtime_error("injected fsync failure");
        };
    }
    void shut() {
        std::lock_guard lock(mu_);
        open_ = false;
    }
    void open() {
        {
            std::lock_guard lock(mu_);
            open_ = true;
        }
        cv_.notify_all();
    }
    // Every fsync from now on fails, the one held back too.
    void fail() {
        {
            std::lock_guard lock(mu_);
            fail_ = true;
        }
        cv_.notify_all();
    }
    // Blocks until an fsync is held back at the gate (true), or 5 s passed (false).
    [[nodiscard]] bool wait_held() {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, std::chrono::seconds(5), [this] { return waiting_ > 0; });
    }

    struct Release {
        SyncGate& gate;
        ~Release() { gate.open(); }
    };

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool open_ = true;
    bool fail_ = false;
    int waiting_ = 0;
};

inline std::unique_ptr<engine::EventLog> open_gated_log(const std::filesystem::path& dir, SyncGate& gate) {
    auto o = options_for(dir);
    o.before_sync = gate.hook();
    return engine::EventLog::open(std::move(o));
}

}  // namespace codd::test

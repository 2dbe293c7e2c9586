#pragma once
// Helpers shared by the event log tests: building requests and opening logs on temporary directories.

#include <memory>
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

}  // namespace codd::test

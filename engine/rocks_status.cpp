#include "engine/rocks_status.hpp"

#include <string>

#include "engine/event_log.hpp"

namespace codd::engine::detail {

void check(const rocksdb::Status& s, std::string_view what) {
    if (s.ok()) return;
    throw StorageError(std::string("event log: ") + std::string(what) + ": " + s.ToString());
}

}  // namespace codd::engine::detail

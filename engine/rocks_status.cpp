#include "engine/rocks_status.hpp"

#include <string>

#include "engine/event_log.hpp"

namespace codd::engine::detail {

void check(const rocksdb::Status& s, std::string_view what) {
    if (s.ok()) return;
    // RocksDB's refusal to take the LOCK of a log another process holds: "IO error: While lock file: ...".
    const std::string text = s.ToString();
    const auto kind = s.IsCorruption()                                    ? StorageError::Kind::corruption
                      : text.find("While lock file") != std::string::npos ? StorageError::Kind::in_use
                                                                          : StorageError::Kind::other;
    throw StorageError(std::string("event log: ") + std::string(what) + ": " + text, kind);
}

}  // namespace codd::engine::detail

#pragma once
// The one place rocksdb::Status crosses into codd: unexpected failures become StorageError.

#include <rocksdb/status.h>

#include <string_view>

namespace codd::engine::detail {

// Throws StorageError naming `what` unless `s` is ok.
void check(const rocksdb::Status& s, std::string_view what);

}  // namespace codd::engine::detail

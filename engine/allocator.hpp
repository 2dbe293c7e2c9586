#pragma once
// Which malloc this process runs on. codd links jemalloc (CMake option CODD_JEMALLOC, on by default and off
// under the sanitizers, whose allocator must own the heap): RocksDB recommends it, and on codd's hot paths
// (order create, the view runner, the log writer) it costs 10-20% less CPU than glibc's malloc, whose
// fastbin consolidation and arena locks showed up in profiles (bench/README.md has the figures).
#include <cstdint>
#include <optional>
#include <string>

namespace codd::engine {

// "jemalloc 5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c" or "system malloc"; codd serve logs it at start.
std::string allocator_name();

// Bytes this thread has allocated since it started, as jemalloc counts them; nullopt on any other malloc.
// Tests use it to prove that a plain `new` really goes to jemalloc.
std::optional<std::uint64_t> thread_allocated_bytes();

}  // namespace codd::engine

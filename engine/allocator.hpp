#pragma once
// Which malloc this process runs on. codd links jemalloc (CMake option CODD_JEMALLOC, on by default and off
// under the sanitizers, whose allocator must own the heap). RocksDB recommends it; profiles of codd on glibc's
// malloc showed its fastbin consolidation (malloc_consolidate) on the view runner and the command threads. The
// orders-view rebuild runs 14% faster on it than on glibc's malloc with huge pages; order creation and the log
// measured the same within this machine's noise (bench/README.md has the figures).
#include <cstdint>
#include <optional>
#include <string>

namespace codd::engine {

// Whether this build links jemalloc: codd_allocator (CMakeLists.txt) defines CODD_JEMALLOC for every target that
// links codd_engine.
#if CODD_JEMALLOC
inline constexpr bool kJemalloc = true;
#else
inline constexpr bool kJemalloc = false;
#endif

// "jemalloc 5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c" or "system malloc"; codd serve logs it at start.
std::string allocator_name();

// Bytes this thread has allocated since it started, as jemalloc counts them; nullopt on any other malloc.
// Tests use it to prove that a plain `new` really goes to jemalloc.
std::optional<std::uint64_t> thread_allocated_bytes();

}  // namespace codd::engine

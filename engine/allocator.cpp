#include "engine/allocator.hpp"

#if CODD_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace codd::engine {

std::string allocator_name() {
#if CODD_JEMALLOC
    const char* version = nullptr;
    std::size_t size = sizeof(version);
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
        return std::string("jemalloc ") + version;
    }
    return "jemalloc";
#else
    return "system malloc";
#endif
}

std::optional<std::uint64_t> thread_allocated_bytes() {
#if CODD_JEMALLOC
    std::uint64_t allocated = 0;
    std::size_t size = sizeof(allocated);
    if (mallctl("thread.allocated", &allocated, &size, nullptr, 0) == 0) return allocated;
#endif
    return std::nullopt;
}

}  // namespace codd::engine

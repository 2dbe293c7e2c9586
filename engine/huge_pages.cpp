#include "engine/huge_pages.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include <unistd.h>

#include "engine/allocator.hpp"

namespace codd::engine {
namespace {

constexpr std::string_view kTunable = "glibc.malloc.hugetlb";

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

// "always [madvise] never": the mode in brackets; empty when the kernel has no THP.
std::string thp_mode() {
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = text.find('[');
    const auto close = text.find(']', open);
    if (open == std::string::npos || close == std::string::npos) return {};
    return text.substr(open + 1, close - open - 1);
}

}  // namespace

void reexec_with_huge_page_malloc(char** argv) {
    if (kJemalloc || sanitized()) return;  // jemalloc reads no glibc tunable: restarting would change nothing
    if (const char* off = std::getenv("CODD_HUGE_PAGES"); off != nullptr && std::string_view(off) == "0") return;
    const char* current = std::getenv("GLIBC_TUNABLES");
    std::string tunables = current != nullptr ? current : "";
    if (tunables.find(kTunable) != std::string::npos) return;
    const std::string mode = thp_mode();
    if (mode.empty() || mode == "never") return;
    if (!tunables.empty()) tunables += ':';
    tunables.append(kTunable).append("=1");
    if (::setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
    ::execv("/proc/self/exe", argv);
    // exec failed (no /proc, say): go on as before.
    if (current != nullptr) {
        ::setenv("GLIBC_TUNABLES", current, 1);
    } else {
        ::unsetenv("GLIBC_TUNABLES");
    }
}

bool huge_page_malloc() {
    if (kJemalloc) return false;
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (tunables == nullptr) return false;
    const std::string_view t(tunables);
    const auto at = t.find(kTunable);
    if (at == std::string_view::npos) return false;
    const auto value = t.substr(at + kTunable.size());
    return value.starts_with('=') && value.size() > 1 && value[1] != '0';
}

}  // namespace codd::engine

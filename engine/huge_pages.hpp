#pragma once
// Transparent huge pages for glibc's allocator, for processes that grow a large heap quickly.

namespace codd::engine {

// Re-executes the running program (/proc/self/exe, the same argv and environment) once, with
// GLIBC_TUNABLES extended by glibc.malloc.hugetlb=1, so that malloc asks the kernel for transparent huge
// pages (madvise) for the heap it grows. A rebuild fills a page cache of hundreds of megabytes; with 4 KiB
// pages every new page is a page fault, and on a virtual machine those faults cost more than the SQLite work
// (bench/README.md has the figures). Tunables are read only when a process starts, hence the re-execution.
//
// Returns, doing nothing, when: CODD_HUGE_PAGES=0; GLIBC_TUNABLES already names glibc.malloc.hugetlb (the
// operator's choice, or this is the re-executed process); the kernel's THP mode is "never"; this is an
// AddressSanitizer build (its allocator replaces glibc's); codd runs on jemalloc (engine/allocator.hpp), which
// reads no glibc tunable and in the rebuild benchmark beat glibc's malloc with huge pages; or exec fails (the
// program then goes on as it is).
void reexec_with_huge_page_malloc(char** argv);

// Whether this process started with glibc.malloc.hugetlb set to a non-zero value (benchmarks report it).
bool huge_page_malloc();

}  // namespace codd::engine

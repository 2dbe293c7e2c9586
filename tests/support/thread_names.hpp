#pragma once
// The names of a process's threads, as `top -H` and `perf report --sort comm` show them.

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace codd::test {

// `pid` is a process id, or "self" for this process.
inline std::multiset<std::string> thread_names(const std::string& pid = "self") {
    std::multiset<std::string> names;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + pid + "/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        if (std::getline(comm, name)) names.insert(name);
    }
    return names;
}

}  // namespace codd::test

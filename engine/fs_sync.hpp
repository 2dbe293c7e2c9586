#pragma once
// fsync of a file or a directory (its entries), shared by the log's backups, restores and rebuilt views.

#include <cerrno>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace codd::engine {

// Opens `p` read-only and fsyncs it; throws std::system_error naming the path when the open or the fsync fails.
inline void fsync_path(const std::filesystem::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + p.string());
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) throw std::system_error(err, std::generic_category(), "fsync " + p.string());
}

}  // namespace codd::engine

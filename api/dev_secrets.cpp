#include "api/dev_secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/rand.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/config.hpp"
#include "api/jwt.hpp"

namespace codd::api {
namespace {

constexpr const char* kFileName = "secrets.json";
constexpr std::size_t kSecretBytes = 48;

std::string field(const boost::json::object& o, std::string_view key, const std::filesystem::path& path) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string() || v->as_string().size() < kMinSecretBytes) {
        throw ConfigError(fmt::format("{}: '{}' must be a string of at least {} bytes (delete the file to "
                                      "generate new secrets; every token issued so far becomes invalid)",
                                      path.string(), key, kMinSecretBytes));
    }
    return std::string(v->as_string());
}

StoredSecrets read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) throw ConfigError(fmt::format("cannot read {}", path.string()));
    boost::json::error_code ec;
    const boost::json::value v = boost::json::parse(text.str(), ec);
    if (ec || !v.is_object()) throw ConfigError(fmt::format("{} is not a JSON object", path.string()));
    return {{field(v.as_object(), "jwtSecret", path), field(v.as_object(), "jwtRefreshSecret", path)}, false};
}

void write_private(const std::filesystem::path& path, const std::string& text) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
    }
}

}  // namespace

std::string random_secret(std::size_t n) {
    std::string bytes(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("the system random generator failed");
    }
    return base64url_encode(bytes);
}

StoredSecrets load_or_create_dev_secrets(const std::filesystem::path& data_dir) {
    const std::filesystem::path path = data_dir / kFileName;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return read_file(path);
    std::filesystem::create_directories(data_dir);
    StoredSecrets out{{random_secret(kSecretBytes), random_secret(kSecretBytes)}, true};
    const boost::json::object o{{"jwtSecret", out.secrets.access}, {"jwtRefreshSecret", out.secrets.refresh}};
    write_private(path, boost::json::serialize(o) + "\n");
    return out;
}

}  // namespace codd::api

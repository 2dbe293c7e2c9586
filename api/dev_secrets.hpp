#pragma once
// Development convenience: when CODD_JWT_SECRET / CODD_JWT_REFRESH_SECRET are unset (development only; production
// refuses to start), random secrets are generated once and kept in <data dir>/secrets.json, readable by the
// owner only, so tokens survive restarts. The values are never logged.

#include <filesystem>
#include <string>

namespace codd::api {

struct JwtSecrets {
    std::string access;
    std::string refresh;
};

struct StoredSecrets {
    JwtSecrets secrets;
    bool created = false;  // generated now (else read from the file)
};

// Reads <data_dir>/secrets.json, or creates it (mode 0600, written atomically) with two fresh 48-byte random
// secrets. Throws ConfigError for an unreadable or malformed file, std::runtime_error for I/O failures.
StoredSecrets load_or_create_dev_secrets(const std::filesystem::path& data_dir);

// `n` random bytes from the OS CSPRNG, base64url-encoded.
std::string random_secret(std::size_t n);

}  // namespace codd::api

#include "engine/users/password.hpp"

#include <sodium.h>

#include <mutex>
#include <stdexcept>

#include "engine/text.hpp"

namespace codd::engine::users {
namespace {

// OWASP's argon2id minimum: 2 passes over 19 MiB, one lane (libsodium's fixed parallelism).
constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19u * 1024u * 1024u;
constexpr std::size_t kMinChars = 8;
constexpr std::size_t kMaxChars = 128;
constexpr std::string_view kArgon2idPrefix = "$argon2id$";

void ensure_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    });
}

}  // namespace

std::optional<std::string> password_policy_violation(std::string_view password) {
    // Only possible off the HTTP API (JSON text is UTF-8): `codd admin create --password`, whose bytes a login
    // form could never send back.
    if (!text::is_utf8(password)) return "password must be UTF-8 text";
    const std::size_t chars = text::utf8_length(password);  // characters, not bytes
    if (chars < kMinChars) return "password must be at least 8 characters long";
    if (chars > kMaxChars) return "password must be at most 128 characters long";
    bool upper = false, lower = false, digit = false, special = false;
    for (unsigned char c : password) {
        if (c >= 'A' && c <= 'Z')
            upper = true;
        else if (c >= 'a' && c <= 'z')
            lower = true;
        else if (c >= '0' && c <= '9')
            digit = true;
        else
            special = true;  // punctuation, space, or any non-ASCII character
    }
    if (!upper) return "password must contain an upper-case letter";
    if (!lower) return "password must contain a lower-case letter";
    if (!digit) return "password must contain a digit";
    if (!special) return "password must contain a special character";
    return std::nullopt;
}

std::string hash_password(std::string_view password) {
    ensure_sodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("argon2id hashing failed (out of memory)");
    }
    return std::string(out);
}

bool verify_password(std::string_view password, const std::string& encoded_hash) {
    ensure_sodium();
    // libsodium reads a NUL-terminated string of bounded length; anything else is not one of our hashes.
    if (!is_argon2id_hash(encoded_hash) || encoded_hash.size() >= crypto_pwhash_STRBYTES) return false;
    return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

bool is_argon2id_hash(std::string_view encoded_hash) {
    return encoded_hash.starts_with(kArgon2idPrefix) && encoded_hash.find('\0') == std::string_view::npos;
}

std::string token_digest(std::string_view token) {
    ensure_sodium();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex);
}

}  // namespace codd::engine::users

#include "api/jwt.hpp"

#include <array>
#include <stdexcept>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace codd::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// The only header codd writes; verification parses whatever arrives and checks `alg` alone.
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::size_t kSignatureBytes = 32;

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

std::optional<json::object> parse_object(std::string_view text) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

std::optional<std::int64_t> integer_claim(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v->as_uint64());
    }
    return std::nullopt;  // doubles and strings are refused: `id` must be a number (reference §3)
}

std::optional<std::string> string_claim(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
}

std::optional<TokenType> parse_type(std::string_view s) {
    if (s == "access") return TokenType::access;
    if (s == "refresh") return TokenType::refresh;
    return std::nullopt;
}

std::optional<TokenClaims> parse_claims(const json::object& o) {
    TokenClaims c;
    const auto id = integer_claim(o, "id");
    const auto iat = integer_claim(o, "iat");
    const auto exp = integer_claim(o, "exp");
    auto email = string_claim(o, "email");
    auto role = string_claim(o, "role");
    auto jti = string_claim(o, "jti");
    const auto type_text = string_claim(o, "type");
    const auto type = type_text ? parse_type(*type_text) : std::nullopt;
    if (!id || !iat || !exp || !email || !role || !jti || jti->empty() || !type) return std::nullopt;
    c.user_id = *id;
    c.issued_at = *iat;
    c.expires_at = *exp;
    c.email = std::move(*email);
    c.role = std::move(*role);
    c.jti = std::move(*jti);
    c.type = *type;
    auto fam = string_claim(o, "fam");
    if (c.type == TokenType::refresh && (!fam || fam->empty())) return std::nullopt;
    if (fam) c.family = std::move(*fam);
    return c;
}

}  // namespace

std::string_view to_string(TokenType t) {
    return t == TokenType::access ? "access" : "refresh";
}

std::string_view describe(TokenError e) {
    return e == TokenError::expired ? "Token expired" : "Invalid token";
}

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                       std::uint32_t(std::uint8_t(bytes[i + 2]));
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const auto n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
    } else if (rest == 2) {
        const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) | (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = sextet(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    // Leftover bits must be zero: otherwise several texts decode to the same bytes (a malleable signature).
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

namespace {

// HMAC() fetches the digest, allocates a context and hashes the key's two pads on every call: about 2 us, a
// sixteenth of an HTTP thread's time when it authenticates order creates. A thread keeps instead one context per
// key it has used (a process has one or two secrets; a few at most are kept) and starts each MAC again from the
// pads that context holds (EVP_MAC_init without a key).
class KeyedMacs {
  public:
    KeyedMacs() { keys_.reserve(kKeys); }
    KeyedMacs(const KeyedMacs&) = delete;
    KeyedMacs& operator=(const KeyedMacs&) = delete;
    ~KeyedMacs() {
        for (auto& k : keys_) forget(k);
    }

    // A context ready for `key`'s next MAC.
    EVP_MAC_CTX* ready(std::string_view key) {
        for (auto& k : keys_) {
            if (k.key == key) {
                if (EVP_MAC_init(k.ctx, nullptr, 0, nullptr) != 1) throw std::runtime_error("HMAC-SHA256 failed");
                return k.ctx;
            }
        }
        static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (hmac == nullptr) throw std::runtime_error("HMAC-SHA256 is not available");
        Key k{std::string(key), EVP_MAC_CTX_new(hmac)};
        if (k.ctx == nullptr) {
            forget(k);
            throw std::runtime_error("HMAC-SHA256 failed");
        }
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                     OSSL_PARAM_construct_end()};
        // A key pointer even for an empty key: a null one would mean "no key" and fail.
        const auto* bytes = reinterpret_cast<const unsigned char*>(key.empty() ? "" : key.data());
        if (EVP_MAC_init(k.ctx, bytes, key.size(), params) != 1) {
            forget(k);
            throw std::runtime_error("HMAC-SHA256 failed");
        }
        if (keys_.size() == kKeys) {
            forget(keys_.front());
            keys_.erase(keys_.begin());
        }
        keys_.push_back(std::move(k));  // within the reserved capacity: does not throw
        return keys_.back().ctx;
    }

  private:
    static constexpr std::size_t kKeys = 4;
    struct Key {
        std::string key;
        EVP_MAC_CTX* ctx;
    };
    // The copy of a secret is wiped, not just freed.
    static void forget(Key& k) {
        EVP_MAC_CTX_free(k.ctx);
        k.ctx = nullptr;
        if (!k.key.empty()) OPENSSL_cleanse(k.key.data(), k.key.size());
    }
    std::vector<Key> keys_;
};

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
    thread_local KeyedMacs macs;
    EVP_MAC_CTX* ctx = macs.ready(key);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t len = 0;
    if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(ctx, mac.data(), &len, mac.size()) != 1) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

std::string sign_token(const TokenClaims& c, std::string_view secret) {
    json::object payload{{"id", c.user_id},         {"email", c.email},    {"role", c.role},
                         {"type", to_string(c.type)}, {"iat", c.issued_at}, {"exp", c.expires_at},
                         {"jti", c.jti}};
    if (!c.family.empty()) payload["fam"] = c.family;
    std::string signing_input = base64url_encode(kHeader);
    signing_input += '.';
    signing_input += base64url_encode(json::serialize(payload));
    const std::string signature = base64url_encode(hmac_sha256(secret, signing_input));
    signing_input += '.';
    signing_input += signature;
    return signing_input;
}

std::variant<TokenClaims, TokenError> verify_token(std::string_view token, std::string_view secret,
                                                   TokenType expected, std::int64_t now) {
    const std::size_t dot1 = token.find('.');
    if (dot1 == std::string_view::npos) return TokenError::malformed;
    const std::size_t dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return TokenError::malformed;
    }
    const std::string_view header_b64 = token.substr(0, dot1);
    const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view signature_b64 = token.substr(dot2 + 1);

    const auto header_text = base64url_decode(header_b64);
    if (!header_text) return TokenError::malformed;
    const auto header = parse_object(*header_text);
    if (!header) return TokenError::malformed;
    const json::value* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256") return TokenError::bad_algorithm;

    const auto signature = base64url_decode(signature_b64);
    if (!signature || signature->size() != kSignatureBytes) return TokenError::bad_signature;
    const std::string expected_mac = hmac_sha256(secret, token.substr(0, dot2));
    if (CRYPTO_memcmp(expected_mac.data(), signature->data(), kSignatureBytes) != 0) return TokenError::bad_signature;

    const auto payload_text = base64url_decode(payload_b64);
    if (!payload_text) return TokenError::malformed;
    const auto payload = parse_object(*payload_text);
    if (!payload) return TokenError::malformed;
    auto claims = parse_claims(*payload);
    if (!claims) return TokenError::malformed;
    if (claims->type != expected) return TokenError::wrong_type;
    if (now >= claims->expires_at) return TokenError::expired;
    return std::move(*claims);
}

}  // namespace codd::api

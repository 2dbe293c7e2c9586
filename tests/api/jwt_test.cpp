#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>

#include "api/jwt.hpp"

using namespace codd::api;

namespace {

const std::string kSecret(32, 's');
const std::string kOther(32, 'o');
constexpr std::int64_t kNow = 1'750'000'000;

TokenClaims claims(TokenType type = TokenType::access) {
    TokenClaims c{1001, "ama@example.com", "admin", type, kNow, kNow + 900, "jti-1", {}};
    if (type == TokenType::refresh) c.family = "fam-1";
    return c;
}

TokenError error_of(const std::variant<TokenClaims, TokenError>& r) {
    REQUIRE(std::holds_alternative<TokenError>(r));
    return std::get<TokenError>(r);
}

// A token with the given header and payload JSON, signed (HS256) with `secret`.
std::string forge(std::string_view header, std::string_view payload, std::string_view secret) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(hmac_sha256(secret, input));
}

const char* kPayload = R"({"id":1001,"email":"e@x.io","role":"super_admin","type":"access","iat":1750000000,)"
                       R"("exp":1750000900,"jti":"j"})";

}  // namespace

TEST_CASE("base64url round trips and is strict") {
    for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                        std::string("\xff\xfe\x00", 3)}) {
        CHECK(base64url_decode(base64url_encode(s)) == s);
    }
    CHECK(base64url_encode("\xfb\xff") == "-_8");
    CHECK_FALSE(base64url_decode("Zm9v=").has_value());  // padding
    CHECK_FALSE(base64url_decode("Zm9v+").has_value());  // base64, not base64url
    CHECK_FALSE(base64url_decode("Z").has_value());      // impossible length
    CHECK_FALSE(base64url_decode("Zh").has_value());     // stray bits: "Zg" is the canonical form of "f"
    CHECK(base64url_decode("Zg") == "f");
}

TEST_CASE("a signed token verifies and carries the replaced system's payload") {
    const std::string token = sign_token(claims(), kSecret);
    const auto r = verify_token(token, kSecret, TokenType::access, kNow + 1);
    REQUIRE(std::holds_alternative<TokenClaims>(r));
    const TokenClaims& c = std::get<TokenClaims>(r);
    CHECK(c.user_id == 1001);
    CHECK(c.email == "ama@example.com");
    CHECK(c.role == "admin");
    CHECK(c.jti == "jti-1");

    const std::string payload = *base64url_decode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    const auto json = boost::json::parse(payload).as_object();
    CHECK(json.at("id").is_int64());  // a number, as the UI and old tokens expect
    CHECK(json.at("type") == "access");
    CHECK(*base64url_decode(token.substr(0, token.find('.'))) == R"({"alg":"HS256","typ":"JWT"})");

    const std::string refresh = sign_token(claims(TokenType::refresh), kSecret);
    const auto rr = verify_token(refresh, kSecret, TokenType::refresh, kNow);
    REQUIRE(std::holds_alternative<TokenClaims>(rr));
    CHECK(std::get<TokenClaims>(rr).family == "fam-1");
}

TEST_CASE("expiry uses the injected time") {
    const std::string token = sign_token(claims(), kSecret);
    CHECK(std::holds_alternative<TokenClaims>(verify_token(token, kSecret, TokenType::access, kNow + 899)));
    CHECK(error_of(verify_token(token, kSecret, TokenType::access, kNow + 900)) == TokenError::expired);
    CHECK(describe(TokenError::expired) == "Token expired");
}

TEST_CASE("wrong secret, wrong type and tampering are refused") {
    const std::string token = sign_token(claims(), kSecret);
    CHECK(error_of(verify_token(token, kOther, TokenType::access, kNow)) == TokenError::bad_signature);
    CHECK(error_of(verify_token(token, kSecret, TokenType::refresh, kNow)) == TokenError::wrong_type);
    const std::string refresh = sign_token(claims(TokenType::refresh), kSecret);
    CHECK(error_of(verify_token(refresh, kSecret, TokenType::access, kNow)) == TokenError::wrong_type);

    // Another payload under the original signature.
    const std::size_t d1 = token.find('.');
    const std::size_t d2 = token.rfind('.');
    const std::string elevated = base64url_encode(R"({"id":1,"email":"x","role":"super_admin","type":"access",)"
                                                  R"("iat":1750000000,"exp":1850000000,"jti":"z"})");
    CHECK(error_of(verify_token(token.substr(0, d1 + 1) + elevated + token.substr(d2), kSecret, TokenType::access,
                                kNow)) == TokenError::bad_signature);
    std::string flipped = token;
    flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
    CHECK(error_of(verify_token(flipped, kSecret, TokenType::access, kNow)) != TokenError::expired);
    CHECK(describe(TokenError::bad_signature) == "Invalid token");
}

TEST_CASE("algorithms other than HS256, including none, are refused") {
    const std::string none = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(kPayload) + ".";
    CHECK(error_of(verify_token(none, kSecret, TokenType::access, kNow)) == TokenError::bad_algorithm);
    for (const char* header : {R"({"alg":"none"})", R"({"alg":"HS512"})", R"({"alg":"RS256"})", R"({"alg":"hs256"})",
                               R"({"typ":"JWT"})", R"({"alg":["HS256"]})"}) {
        INFO(header);
        CHECK(error_of(verify_token(forge(header, kPayload, kSecret), kSecret, TokenType::access, kNow)) ==
              TokenError::bad_algorithm);
    }
    CHECK(std::holds_alternative<TokenClaims>(
        verify_token(forge(R"({"alg":"HS256"})", kPayload, kSecret), kSecret, TokenType::access, kNow)));
}

TEST_CASE("malformed, truncated and garbage tokens are refused, never thrown on") {
    const std::string token = sign_token(claims(), kSecret);
    for (const std::string& bad : std::vector<std::string>{std::string(), std::string("."), std::string(".."), std::string("..."),
                                  std::string("garbage"), std::string("a.b.c"), std::string("a.b.c.d"),
                                  token.substr(0, token.size() - 5), token.substr(0, token.rfind('.')),
                                  token.substr(0, token.find('.')), token + ".", token + "x", "Bearer " + token,
                                  std::string("\x00\xff.\x01.\x02", 7)}) {
        INFO(bad);
        const auto r = verify_token(bad, kSecret, TokenType::access, kNow);
        CHECK(std::holds_alternative<TokenError>(r));
    }
    // Correctly signed, but claims missing or of the wrong type.
    for (const char* payload :
         {R"([])", R"({"id":"1001","email":"e","role":"r","type":"access","iat":1,"exp":1850000000,"jti":"j"})",
          R"({"id":1.5,"email":"e","role":"r","type":"access","iat":1,"exp":1850000000,"jti":"j"})",
          R"({"email":"e","role":"r","type":"access","iat":1,"exp":1850000000,"jti":"j"})",
          R"({"id":1,"email":"e","role":"r","type":"other","iat":1,"exp":1850000000,"jti":"j"})",
          R"({"id":1,"email":"e","role":"r","type":"refresh","iat":1,"exp":1850000000,"jti":"j"})",
          R"({"id":1,"email":"e","role":"r","type":"access","iat":1,"exp":"1850000000","jti":"j"})", "not json"}) {
        INFO(payload);
        CHECK(error_of(verify_token(forge(R"({"alg":"HS256"})", payload, kSecret), kSecret, TokenType::access,
                                    kNow)) == TokenError::malformed);
    }
}

TEST_CASE("hmac_sha256 gives RFC 4231's MACs and OpenSSL's one-shot HMAC's, key after key and on many threads") {
    // RFC 4231, test case 2.
    CHECK(base64url_encode(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          base64url_encode(std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75\xc7"
                                       "\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec\x38\x43",
                                       32)));
    const auto one_shot = [](const std::string& key, const std::string& data) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len) != nullptr);
        return std::string(reinterpret_cast<const char*>(mac), len);
    };
    // More keys than a thread keeps contexts for, used in turn, and the same key again after a long message.
    std::vector<std::string> keys{"", "k", kSecret, kOther, std::string(64, 'x'), std::string(200, 'y')};
    std::vector<std::string> data{"", "a", std::string(1000, 'd'), "header.payload"};
    const auto check_all = [&](int rounds) {
        int mismatches = 0;
        for (int r = 0; r < rounds; ++r) {
            for (const auto& k : keys) {
                for (const auto& d : data) mismatches += hmac_sha256(k, d) != one_shot(k, d);
            }
        }
        return mismatches;
    };
    CHECK(check_all(3) == 0);
    // The usual pattern: a process's two secrets in turn, each found again in the thread's contexts.
    int mismatches = 0;
    for (int i = 0; i < 200; ++i) {
        const std::string& k = i % 2 == 0 ? kSecret : kOther;
        const std::string d = "payload-" + std::to_string(i);
        mismatches += hmac_sha256(k, d) != one_shot(k, d);
    }
    CHECK(mismatches == 0);
    std::vector<int> results(4, -1);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { results[t] = check_all(20); });
    for (auto& th : threads) th.join();
    for (int r : results) CHECK(r == 0);
}

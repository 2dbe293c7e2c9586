#include "engine/envelope.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

#include "engine/varint.hpp"

namespace codd::engine::codec {
namespace {

// Bumped only with a decoder for the old format kept beside the new one.
constexpr std::uint8_t kFormatV1 = 1;

void put_string(std::string& out, std::string_view s) {
    varint::put(out, s.size());
    out.append(s);
}

}  // namespace

void encode_canonical(const RecordedEvent& e, std::string& out) {
    out.push_back(static_cast<char>(kFormatV1));
    varint::put(out, e.position.value());
    put_string(out, e.stream);
    varint::put(out, static_cast<std::uint64_t>(e.version.value()));
    put_string(out, e.type);
    varint::put(out, e.schema_version);
    put_string(out, e.event_id);
    varint::put(out, static_cast<std::uint64_t>(e.time_us));
    put_string(out, e.metadata.actor.id);
    put_string(out, e.metadata.actor.role);
    put_string(out, e.metadata.request_id);
    put_string(out, e.metadata.causation_id);
    put_string(out, e.payload);
}

Hash chain_hash(const Hash& prev, std::string_view canonical) {
    Hash h{};
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) throw std::bad_alloc();
    const bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, prev.data(), prev.size()) == 1 &&
                    EVP_DigestUpdate(ctx, canonical.data(), canonical.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, h.data(), nullptr) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) throw std::runtime_error("SHA-256 failed");
    return h;
}

std::string encode_stored(const RecordedEvent& e) {
    std::string out;
    out.reserve(64 + e.stream.size() + e.type.size() + e.payload.size() + e.metadata.request_id.size());
    encode_canonical(e, out);
    out.append(reinterpret_cast<const char*>(e.hash.data()), e.hash.size());
    return out;
}

bool decode_stored_into(std::string_view bytes, RecordedEvent& e, std::size_t* canonical_size) {
    if (bytes.size() < 1 + Hash{}.size()) return false;
    varint::Reader r(bytes.substr(0, bytes.size() - Hash{}.size()));
    std::uint8_t format = 0;
    std::uint64_t position = 0, version = 0, schema = 0, time = 0;
    if (!r.byte(format) || format != kFormatV1) return false;
    if (!r.u64(position) || !r.str(e.stream) || !r.u64(version) || !r.str(e.type) || !r.u64(schema) ||
        !r.str(e.event_id) || !r.u64(time) || !r.str(e.metadata.actor.id) || !r.str(e.metadata.actor.role) ||
        !r.str(e.metadata.request_id) || !r.str(e.metadata.causation_id) || !r.str(e.payload) || !r.done()) {
        return false;
    }
    if (schema > UINT32_MAX) return false;
    e.position = GlobalPosition{position};
    e.version = StreamVersion{static_cast<std::int64_t>(version)};
    e.schema_version = static_cast<std::uint32_t>(schema);
    e.time_us = static_cast<std::int64_t>(time);
    std::memcpy(e.hash.data(), bytes.data() + bytes.size() - e.hash.size(), e.hash.size());
    if (canonical_size != nullptr) *canonical_size = bytes.size() - e.hash.size();
    return true;
}

std::optional<RecordedEvent> decode_stored(std::string_view bytes, std::size_t* canonical_size) {
    RecordedEvent e;
    if (!decode_stored_into(bytes, e, canonical_size)) return std::nullopt;
    return e;
}

std::string to_hex(const Hash& h) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(h.size() * 2);
    for (auto b : h) {
        s.push_back(kDigits[b >> 4]);
        s.push_back(kDigits[b & 0xf]);
    }
    return s;
}

}  // namespace codd::engine::codec

#pragma once
// The event envelope: what every stored event records, and its binary codec.
//
// Stored value of an event = canonical bytes || SHA-256 hash (32 bytes), where
//   hash = SHA-256(previous event's hash || canonical bytes)    (the first event chains to 32 zero bytes)
// and the canonical bytes encode every envelope field, the global position included, so an event moved,
// dropped or altered anywhere breaks the chain at that position.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/types.hpp"

namespace codd::engine {

using Hash = std::array<std::uint8_t, 32>;

// Who caused an event: a user (id and role), or "system", "public", "webhook:<id>", "workflow:<id>".
struct Actor {
    std::string id;
    std::string role;
    bool operator==(const Actor&) const = default;
};

// The part of an envelope the caller of an append provides once per command.
struct EventMetadata {
    Actor actor;
    std::string request_id;    // the HTTP request id (correlation id)
    std::string causation_id;  // the command or event that caused this one
    bool operator==(const EventMetadata&) const = default;
};

// An event as a decider produces it, before the log has placed it.
struct NewEvent {
    std::string type;
    std::uint32_t schema_version = 1;
    std::string payload;   // JSON text
    std::string event_id;  // empty: the log assigns one
};

// An event as the log stores and returns it.
struct RecordedEvent {
    GlobalPosition position;
    std::string stream;
    StreamVersion version;
    std::string type;
    std::uint32_t schema_version = 1;
    std::string event_id;
    std::int64_t time_us = 0;  // microseconds since the Unix epoch, from the log's injected clock
    EventMetadata metadata;
    std::string payload;  // JSON text
    Hash hash{};

    bool operator==(const RecordedEvent&) const = default;
};

namespace codec {

// Appends the canonical bytes of `e` (all fields but the hash) to `out`.
void encode_canonical(const RecordedEvent& e, std::string& out);

// Computes SHA-256(prev || canonical).
Hash chain_hash(const Hash& prev, std::string_view canonical);

// Encodes `e` with its hash as the stored value. `e.hash` must already be set.
std::string encode_stored(const RecordedEvent& e);

// Decodes a stored value; nullopt if it is malformed (truncated, bad lengths, unknown format).
// `canonical_size` (if given) receives the length of the canonical part, for verification.
std::optional<RecordedEvent> decode_stored(std::string_view bytes, std::size_t* canonical_size = nullptr);
// The same into `e`, reusing the storage of its strings (a reader decoding event after event into one object
// allocates nothing once its buffers are large enough); false if malformed, `e` then unspecified.
bool decode_stored_into(std::string_view bytes, RecordedEvent& e, std::size_t* canonical_size = nullptr);

std::string to_hex(const Hash& h);

}  // namespace codec
}  // namespace codd::engine

#pragma once
// JSON helpers shared by the domain modules' event codecs, and by api/ for the JSON it writes (Boost.JSON stays
// out of the engine's domain headers).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "engine/envelope.hpp"

namespace codd::engine::json {

// Parses text that must be one JSON object; throws std::invalid_argument otherwise.
boost::json::object parse_object(std::string_view text);
// Compact JSON text, as boost::json::serialize writes it except for doubles: the shortest text that reads back
// as the same double, with ".0" when it would look like an integer (15.0, 1.5, 0.07, 1e+21), where Boost 1.81
// writes 1.5E1, 1.5E0, 7E-2. Infinities and NaN, which JSON cannot say, become null.
std::string serialize(const boost::json::value& v);
// Appends `s` as a quoted JSON string with the escapes Boost.JSON's serializer and SQLite's json1 both write:
// '"' and '\' escaped, control characters as \b \t \n \f \r or \u00xx, everything else (UTF-8 included) as is.
// A byte that is not part of well-formed UTF-8 (raw bytes of a query string echoed in a message) becomes U+FFFD,
// so the text is always valid JSON; well-formed text, all that Boost.JSON's parser lets in, is unchanged.
void append_quoted(std::string& out, std::string_view s);

// Typed access to a payload field; throws std::invalid_argument when missing or of another type.
std::string string_at(const boost::json::object& o, std::string_view key);
std::int64_t int_at(const boost::json::object& o, std::string_view key);
bool bool_at(const boost::json::object& o, std::string_view key);
const boost::json::object& object_at(const boost::json::object& o, std::string_view key);

// A schema-version-1 event of `type` whose payload is `payload`.
NewEvent make_event(std::string_view type, const boost::json::object& payload);

// Sets o[key] only when the optional holds a value: the "changed fields only" shape of update events.
template <typename T>
void put_if(boost::json::object& o, std::string_view key, const std::optional<T>& v) {
    if (v) o[key] = *v;
}

}  // namespace codd::engine::json

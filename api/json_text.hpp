#pragma once
// Hand-rolled JSON string escaping for the hot paths (log lines): no allocation beyond `out`, and text that
// is not valid UTF-8 (raw bytes from a client's request line) still yields valid JSON.

#include <string>
#include <string_view>

namespace codd::api {

// Appends `s` as a quoted JSON string. Control characters are escaped; invalid UTF-8 sequences become U+FFFD.
void append_json_string(std::string& out, std::string_view s);

[[nodiscard]] std::string json_string(std::string_view s);

}  // namespace codd::api

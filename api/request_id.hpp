#pragma once
// Request ids (X-Request-ID): a client's id is kept when it is safe to echo and to log, otherwise the server
// makes one, so every response and log line can be traced to one request.

#include <optional>
#include <string>
#include <string_view>

#include "engine/clock.hpp"

namespace codd::api {

inline constexpr std::size_t kMaxRequestIdLength = 128;

// 1-128 characters of [A-Za-z0-9._:-].
[[nodiscard]] bool is_valid_request_id(std::string_view id);

// The incoming id if valid, else a fresh UUID from `ids`.
[[nodiscard]] std::string accept_or_generate_request_id(std::optional<std::string_view> incoming,
                                                        engine::IdGenerator& ids);

}  // namespace codd::api

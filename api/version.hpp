#pragma once

#include <string_view>

namespace codd::api {

// The project version (CMake's PROJECT_VERSION), as reported by /health and `codd --version`.
[[nodiscard]] std::string_view version();

}  // namespace codd::api

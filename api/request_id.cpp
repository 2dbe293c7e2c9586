#include "api/request_id.hpp"

namespace codd::api {

bool is_valid_request_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) return false;
    for (const char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string accept_or_generate_request_id(std::optional<std::string_view> incoming, engine::IdGenerator& ids) {
    if (incoming && is_valid_request_id(*incoming)) return std::string(*incoming);
    return ids.next();
}

}  // namespace codd::api

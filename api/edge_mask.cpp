#include "api/edge_mask.hpp"

namespace codd::api {
namespace {

bool is_separator(char c) {
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

}  // namespace

std::string mask_email(std::string_view email) {
    const std::size_t at = email.rfind('@');
    if (at == std::string_view::npos) return "***";
    std::string out;
    if (at > 0) out.push_back(email.front());
    out.append("***");
    out.append(email.substr(at));
    return out;
}

std::string mask_phone(std::string_view phone) {
    std::string out;
    if (!phone.empty() && phone.front() == '+') {
        out.push_back('+');
        phone.remove_prefix(1);
    }
    std::string chars;  // the significant characters, separators removed
    for (const char c : phone) {
        if (!is_separator(c)) chars.push_back(c);
    }
    const std::size_t n = chars.size();
    const std::size_t head = n >= 10 ? 3 : 0;
    const std::size_t tail = n >= 8 ? 4 : 0;
    for (std::size_t i = 0; i < n; ++i) {
        const bool digit = chars[i] >= '0' && chars[i] <= '9';
        const bool shown = digit && (i < head || i >= n - tail);
        out.push_back(shown ? chars[i] : '*');
    }
    return out;
}

}  // namespace codd::api

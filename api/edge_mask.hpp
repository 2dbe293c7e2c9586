#pragma once
// Masking of personal data for logs (DESIGN §8): enough left to tell records apart in an incident, not
// enough to identify or contact the person.

#include <string>
#include <string_view>

namespace codd::api {

// "alice@example.com" → "a***@example.com". The domain is kept (it tells a typo from a real address), the
// local part keeps only its first character. Without an '@' the whole value is masked as "***".
[[nodiscard]] std::string mask_email(std::string_view email);

// "+233201234567" → "+233*****4567": a leading '+', the first three digits (country code) when there are at
// least ten digits, and the last four when there are at least eight; every other digit becomes '*'.
// Separators (spaces, dashes, dots, parentheses) are dropped; any other character is masked too.
[[nodiscard]] std::string mask_phone(std::string_view phone);

}  // namespace codd::api

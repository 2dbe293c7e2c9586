#pragma once
// A customer as its events leave it (reference §1 Customer), and the phone reservation that keeps phone
// numbers unique. Lifetime orders and spend are not here: the orders view derives them from order events.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/envelope.hpp"

namespace codd::engine::customers {

using CustomerId = std::int64_t;

struct Customer {
    CustomerId id = 0;
    std::string first_name, last_name, email;  // email: empty when none
    std::string phone_number;                  // normalized (normalize_phone)
    std::string alternate_phone;               // normalized; empty when none
    std::string address, state, area, landmark;
    std::vector<std::string> tags;
    std::string notes;
    bool is_active = true;
    std::int64_t version = -1;
    std::int64_t created_us = 0, updated_us = 0;
    bool operator==(const Customer&) const = default;
};

// The customer-phone-<normalized> stream: which customer holds a phone number, if any.
struct PhoneReservation {
    bool reserved = false;
    CustomerId customer_id = 0;
};

inline constexpr std::size_t kMinPhoneDigits = 8;
inline constexpr std::size_t kMaxPhoneDigits = 15;  // E.164's maximum

// The one form a phone number is stored, compared and reserved in: surrounding space trimmed, the
// separators ' ', '-', '.', '(' and ')' removed, a leading '+' kept, then 8 to 15 digits and nothing else.
// "+233 (24) 123-4567" -> "+233241234567". No country code is inferred: "024 123 4567" stays
// "0241234567", a different number from "+233241234567". nullopt when the input is not a phone number.
std::optional<std::string> normalize_phone(std::string_view phone);

// Applies one event of a customer-<id> stream. Throws std::invalid_argument on a malformed payload.
void evolve(Customer& c, const RecordedEvent& e);
// Applies one event of a customer-phone-<phone> stream.
void evolve(PhoneReservation& r, const RecordedEvent& e);

}  // namespace codd::engine::customers

#pragma once
// Input checks of the customer commands, with field-level rejections named as the REST API names fields
// (firstName, lastName, email, phoneNumber, alternatePhone, address, state, area, landmark, notes, tags).
// Each normalizer trims what it is given, normalizes phones and emails, and returns the first problem.

#include <optional>
#include <string>
#include <vector>

#include "engine/customers/customer_service.hpp"

namespace codd::engine::customers {

inline constexpr std::size_t kMaxCustomerNameChars = 100;
inline constexpr std::size_t kMaxAddressChars = 500;
inline constexpr std::size_t kMaxRegionChars = 100;  // state, area
inline constexpr std::size_t kMaxLandmarkChars = 200;
inline constexpr std::size_t kMaxNotesBytes = 4 * 1024;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr std::size_t kMaxTagChars = 50;

std::optional<Rejection> normalize(NewCustomer& c);
std::optional<Rejection> normalize(CustomerPatch& p);
std::optional<Rejection> normalize_tags(std::vector<std::string>& tags);

}  // namespace codd::engine::customers

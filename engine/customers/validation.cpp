#include "engine/customers/validation.hpp"

#include <algorithm>

#include "engine/text.hpp"
#include "engine/users/validation.hpp"

namespace codd::engine::customers {
namespace {

std::optional<Rejection> check_label(std::string& s, const char* field, std::size_t max_chars, bool required) {
    s = text::trim(s);
    if (required && text::is_blank(s)) return invalid(field, std::string(field) + " is required");
    if (text::utf8_length(s) > max_chars) {
        return invalid(field, std::string(field) + " must be at most " + std::to_string(max_chars) + " characters");
    }
    if (text::has_control(s)) return invalid(field, std::string(field) + " must not contain control characters");
    return std::nullopt;
}

std::optional<Rejection> check_email(std::string& email) {
    email = text::lower_ascii(text::trim(email));
    if (email.empty()) return std::nullopt;
    if (email.size() > users::kMaxEmailBytes || !users::valid_email(email)) {
        return invalid("email", "email is not a valid address");
    }
    return std::nullopt;
}

std::optional<Rejection> check_phone(std::string& phone, const char* field, bool required) {
    if (!required && text::trim(phone).empty()) {
        phone.clear();
        return std::nullopt;
    }
    auto normalized = normalize_phone(phone);
    if (!normalized) {
        return invalid(
            field, std::string(field) + " must be 8 to 15 digits, with an optional leading + and spaces, -, ., ( or )");
    }
    phone = std::move(*normalized);
    return std::nullopt;
}

std::optional<Rejection> check_notes(std::string& notes) {
    notes = text::trim(notes);
    if (notes.size() > kMaxNotesBytes) return invalid("notes", "notes must be at most 4096 bytes");
    if (text::has_control_in_text(notes)) {
        return invalid("notes", "notes must not contain control characters other than tabs and line breaks");
    }
    return std::nullopt;
}

template <typename Check>
std::optional<Rejection> if_set(std::optional<std::string>& v, Check check) {
    return v ? check(*v) : std::nullopt;
}

}  // namespace

std::optional<Rejection> normalize(NewCustomer& c) {
    if (auto r = check_label(c.first_name, "firstName", kMaxCustomerNameChars, true)) return r;
    // Not required: a customer known by one name ("Kofi", from an order's customerName) has an empty last name.
    if (auto r = check_label(c.last_name, "lastName", kMaxCustomerNameChars, false)) return r;
    if (auto r = check_email(c.email)) return r;
    if (auto r = check_phone(c.phone_number, "phoneNumber", true)) return r;
    if (auto r = check_phone(c.alternate_phone, "alternatePhone", false)) return r;
    if (auto r = check_label(c.address, "address", kMaxAddressChars, true)) return r;
    if (auto r = check_label(c.state, "state", kMaxRegionChars, true)) return r;
    if (auto r = check_label(c.area, "area", kMaxRegionChars, true)) return r;
    if (auto r = check_label(c.landmark, "landmark", kMaxLandmarkChars, false)) return r;
    if (auto r = check_notes(c.notes)) return r;
    return normalize_tags(c.tags);
}

std::optional<Rejection> normalize(CustomerPatch& p) {
    auto label = [](const char* field, std::size_t max, bool required) {
        return [=](std::string& s) { return check_label(s, field, max, required); };
    };
    if (auto r = if_set(p.first_name, label("firstName", kMaxCustomerNameChars, true))) return r;
    if (auto r = if_set(p.last_name, label("lastName", kMaxCustomerNameChars, false))) return r;
    if (auto r = if_set(p.email, check_email)) return r;
    if (auto r = if_set(p.phone_number, [](std::string& s) { return check_phone(s, "phoneNumber", true); })) return r;
    if (auto r = if_set(p.alternate_phone, [](std::string& s) { return check_phone(s, "alternatePhone", false); })) {
        return r;
    }
    if (auto r = if_set(p.address, label("address", kMaxAddressChars, true))) return r;
    if (auto r = if_set(p.state, label("state", kMaxRegionChars, true))) return r;
    if (auto r = if_set(p.area, label("area", kMaxRegionChars, true))) return r;
    if (auto r = if_set(p.landmark, label("landmark", kMaxLandmarkChars, false))) return r;
    return if_set(p.notes, check_notes);
}

std::optional<Rejection> normalize_tags(std::vector<std::string>& tags) {
    std::vector<std::string> out;
    for (auto& t : tags) {
        std::string tag = text::trim(t);
        if (text::is_blank(tag)) continue;
        if (text::utf8_length(tag) > kMaxTagChars || text::has_control(tag)) {
            return invalid("tags", "a tag must be at most 50 characters of text");
        }
        if (std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(std::move(tag));
    }
    if (out.size() > kMaxTags) return invalid("tags", "at most 50 tags");
    tags = std::move(out);
    return std::nullopt;
}

}  // namespace codd::engine::customers

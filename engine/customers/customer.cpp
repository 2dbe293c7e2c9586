#include "engine/customers/customer.hpp"

#include <stdexcept>

#include "engine/customers/customer_events.hpp"
#include "engine/text.hpp"
#include "engine/json_codec.hpp"

namespace codd::engine::customers {
namespace json = engine::json;
namespace {

std::vector<std::string> tags_of(const boost::json::object& o) {
    const auto* v = o.if_contains("tags");
    if (v == nullptr || !v->is_array()) throw std::invalid_argument("field tags must be an array");
    std::vector<std::string> tags;
    for (const auto& t : v->get_array()) {
        if (!t.is_string()) throw std::invalid_argument("tags must be strings");
        tags.emplace_back(t.get_string());
    }
    return tags;
}

// CustomerCreated and CustomerUpdated's changes share names; absent keys leave `c` as it is.
void apply_fields(Customer& c, const boost::json::object& o) {
    const std::pair<const char*, std::string Customer::*> fields[] = {
        {"firstName", &Customer::first_name},
        {"lastName", &Customer::last_name},
        {"email", &Customer::email},
        {"phoneNumber", &Customer::phone_number},
        {"alternatePhone", &Customer::alternate_phone},
        {"address", &Customer::address},
        {"state", &Customer::state},
        {"area", &Customer::area},
        {"landmark", &Customer::landmark},
        {"notes", &Customer::notes},
    };
    for (const auto& [key, member] : fields) {
        if (o.contains(key)) c.*member = json::string_at(o, key);
    }
    if (o.contains("isActive")) c.is_active = json::bool_at(o, "isActive");
}

}  // namespace

std::optional<std::string> normalize_phone(std::string_view phone) {
    const std::string trimmed = text::trim(phone);
    std::string out;
    std::size_t digits = 0;
    for (std::size_t i = 0; i < trimmed.size(); ++i) {
        const char c = trimmed[i];
        if (c >= '0' && c <= '9') {
            out.push_back(c);
            ++digits;
        } else if (c == '+' && i == 0) {
            out.push_back(c);
        } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            return std::nullopt;
        }
    }
    if (digits < kMinPhoneDigits || digits > kMaxPhoneDigits) return std::nullopt;
    return out;
}

void evolve(Customer& c, const RecordedEvent& e) {
    const auto o = json::parse_object(e.payload);
    const std::string_view type = e.type;
    if (type == events::kCustomerCreated) {
        c = Customer{};
        c.id = json::int_at(o, "id");
        apply_fields(c, o);
        c.tags = tags_of(o);
        c.created_us = e.time_us;
    } else if (type == events::kCustomerUpdated) {
        apply_fields(c, json::object_at(o, "changes"));
    } else if (type == events::kCustomerDeactivated) {
        c.is_active = false;
    } else if (type == events::kCustomerTagsChanged) {
        c.tags = tags_of(o);
    }
    c.version = e.version.value();
    c.updated_us = e.time_us;
}

void evolve(PhoneReservation& r, const RecordedEvent& e) {
    const auto o = json::parse_object(e.payload);
    if (e.type == events::kPhoneReserved) {
        r.reserved = true;
        r.customer_id = json::int_at(o, "customerId");
    } else if (e.type == events::kPhoneReleased) {
        r.reserved = false;
    }
}

}  // namespace codd::engine::customers

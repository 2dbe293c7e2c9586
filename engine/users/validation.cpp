#include "engine/users/validation.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "engine/text.hpp"
#include "engine/users/json_codec.hpp"
#include "engine/users/password.hpp"

namespace codd::engine::users {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// RFC 5321 dot-atom local part; a domain of at least two labels of letters, digits and inner hyphens.
bool valid_local(std::string_view l) {
    static constexpr std::string_view kSpecials = ".!#$%&'*+/=?^_`{|}~-";
    if (l.empty() || l.size() > 64 || l.front() == '.' || l.back() == '.') return false;
    if (l.find("..") != std::string_view::npos) return false;
    return std::all_of(l.begin(), l.end(), [](char c) { return is_alnum(c) || kSpecials.find(c) != kSpecials.npos; });
}

bool valid_domain(std::string_view d) {
    if (d.empty() || d.size() > 253) return false;
    std::size_t labels = 0;
    std::string_view last;
    while (!d.empty()) {
        const std::size_t dot = d.find('.');
        const std::string_view label = d.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        if (!std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) return false;
        ++labels;
        last = label;
        if (dot == std::string_view::npos) break;
        d.remove_prefix(dot + 1);
        if (d.empty()) return false;  // trailing dot
    }
    const bool tld_letters = std::all_of(last.begin(), last.end(), [](char c) { return std::isalpha(c) != 0; });
    return labels >= 2 && last.size() >= 2 && tld_letters;
}

std::optional<Rejection> check_email(std::string& email) {
    email = UserService::normalize_email(email);
    if (email.empty()) return invalid("email", "email is required");
    if (email.size() > kMaxEmailBytes || !valid_email(email)) return invalid("email", "email is not a valid address");
    return std::nullopt;
}

std::optional<Rejection> check_name(std::string& name, const char* field, const char* label) {
    name = trim(name);
    if (text::is_blank(name)) return invalid(field, std::string(label) + " is required");
    if (utf8_length(name) > kMaxNameChars)
        return invalid(field, std::string(label) + " must be at most 100 characters");
    if (has_control(name)) return invalid(field, std::string(label) + " must not contain control characters");
    return std::nullopt;
}

// Optional free text (country, vehicle, location): trimmed, at most 100 characters.
std::optional<Rejection> check_text(std::string& text, const char* field) {
    text = trim(text);
    if (utf8_length(text) > kMaxNameChars || has_control(text)) {
        return invalid(field, std::string(field) + " must be at most 100 characters of text");
    }
    return std::nullopt;
}

// Optional; digits with the usual separators and one leading '+', 7 to 15 digits (E.164's maximum).
std::optional<Rejection> check_phone(std::string& phone) {
    phone = trim(phone);
    if (phone.empty()) return std::nullopt;
    std::size_t digits = 0;
    for (std::size_t i = 0; i < phone.size(); ++i) {
        const char c = phone[i];
        if (c >= '0' && c <= '9')
            ++digits;
        else if (c == '+' && i == 0)
            continue;
        else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
            return invalid("phoneNumber", "phoneNumber may contain only digits, spaces, -, (, ), . and a leading +");
        }
    }
    if (digits < 7 || digits > 15) return invalid("phoneNumber", "phoneNumber must have 7 to 15 digits");
    return std::nullopt;
}

std::optional<Rejection> check_money(const std::optional<std::int64_t>& v, const char* field) {
    if (v && *v < 0) return invalid(field, std::string(field) + " must not be negative");
    return std::nullopt;
}

bool valid_identifier(std::string_view s) {
    return !s.empty() && s.size() <= 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == ':'; });
}

}  // namespace

Rejection invalid(std::string field, std::string message) {
    return Rejection{Rejection::Kind::invalid, std::move(message), std::move(field)};
}

std::string trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return std::string(s);
}

bool valid_email(std::string_view e) {
    const std::size_t at = e.find('@');
    if (at == std::string_view::npos || e.find('@', at + 1) != std::string_view::npos) return false;
    return valid_local(e.substr(0, at)) && valid_domain(e.substr(at + 1));
}

std::optional<Rejection> check_password_hash(const std::string& hash) {
    if (hash.empty()) return invalid("password", "password is required");
    if (!is_argon2id_hash(hash)) return invalid("password", "password must be stored as an argon2id hash");
    return std::nullopt;
}

std::optional<Rejection> normalize(NewUser& u) {
    if (auto r = check_email(u.email)) return r;
    if (auto r = check_password_hash(u.password_hash)) return r;
    return normalize_profile(u);
}

std::optional<Rejection> normalize_profile(NewUser& u) {
    if (auto r = check_email(u.email)) return r;
    if (auto r = check_name(u.first_name, "firstName", "firstName")) return r;
    if (auto r = check_name(u.last_name, "lastName", "lastName")) return r;
    if (auto r = check_phone(u.phone_number)) return r;
    if (auto r = check_money(u.commission_minor, "commissionRate")) return r;
    if (auto r = check_money(u.delivery_rate_minor, "deliveryRate")) return r;
    if (auto r = check_text(u.country, "country")) return r;
    if (auto r = check_text(u.vehicle_type, "vehicleType")) return r;
    if (auto r = check_text(u.vehicle_id, "vehicleId")) return r;
    return check_text(u.location, "location");
}

std::optional<Rejection> normalize(UserPatch& p) {
    if (p.email) {
        if (auto r = check_email(*p.email)) return r;
    }
    if (p.first_name) {
        if (auto r = check_name(*p.first_name, "firstName", "firstName")) return r;
    }
    if (p.last_name) {
        if (auto r = check_name(*p.last_name, "lastName", "lastName")) return r;
    }
    if (p.phone_number) {
        if (auto r = check_phone(*p.phone_number)) return r;
    }
    if (auto r = check_money(p.commission_minor, "commissionRate")) return r;
    if (auto r = check_money(p.delivery_rate_minor, "deliveryRate")) return r;
    for (auto [text, field] : {std::pair{&p.country, "country"}, std::pair{&p.vehicle_type, "vehicleType"},
                               std::pair{&p.vehicle_id, "vehicleId"}, std::pair{&p.location, "location"}}) {
        if (*text) {
            if (auto r = check_text(**text, field)) return r;
        }
    }
    return std::nullopt;
}

std::variant<std::string, Rejection> canonical_object(std::string_view text, std::string_view field,
                                                      std::size_t max_bytes) {
    if (text.size() > max_bytes) {
        return invalid(std::string(field),
                       std::string(field) + " must be at most " + std::to_string(max_bytes) + " bytes");
    }
    try {
        return json::serialize(json::parse_object(text));
    } catch (const std::invalid_argument&) {
        return invalid(std::string(field), std::string(field) + " must be a JSON object");
    }
}

std::optional<Rejection> check_permissions(const PermissionMatrix& m) {
    for (const auto& [role, resources] : m) {
        for (const auto& [resource, actions] : resources) {
            if (!valid_identifier(resource)) {
                return invalid("permissions", std::string("resource names of ") + to_string(role) +
                                                  " must be 1-64 letters, digits, _, - or :");
            }
            for (const auto& a : actions) {
                if (!valid_identifier(a)) {
                    return invalid("permissions", "actions of " + std::string(to_string(role)) + "." + resource +
                                                      " must be 1-64 letters, digits, _, - or :");
                }
            }
        }
    }
    return std::nullopt;
}

std::variant<std::string, Rejection> settings_changes(const std::string& current, std::string_view input) {
    if (input.size() > kMaxSettingsBytes) return invalid("settings", "settings must be at most 64 KiB");
    boost::json::object in;
    try {
        in = json::parse_object(input);
    } catch (const std::invalid_argument&) {
        return invalid("settings", "settings must be a JSON object");
    }
    static constexpr std::string_view kTextKeys[] = {"businessName",    "businessEmail", "businessPhone",
                                                     "businessAddress", "taxId",         "currency"};
    static constexpr std::string_view kObjectKeys[] = {"operatingHours", "smsProvider", "emailProvider",
                                                       "notificationTemplates"};
    const auto cur = json::parse_object(current);
    boost::json::object changes;
    for (const auto& [key, value] : in) {
        // The permission matrix has its own command and its own audit trail.
        if (key == "rolePermissions") return invalid("rolePermissions", "permissions are changed through /permissions");
        const bool text = std::find(std::begin(kTextKeys), std::end(kTextKeys), key) != std::end(kTextKeys);
        const bool object = std::find(std::begin(kObjectKeys), std::end(kObjectKeys), key) != std::end(kObjectKeys);
        if (text && !value.is_string()) return invalid(std::string(key), std::string(key) + " must be a string");
        if (object && !value.is_object() && !value.is_string()) {
            return invalid(std::string(key), std::string(key) + " must be an object or a string");
        }
        if (key == "currency") {
            const auto& c = value.get_string();
            if (c.size() != 3 || !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
                return invalid("currency", "currency must be a three-letter ISO 4217 code such as USD");
            }
        }
        const auto* old = cur.if_contains(key);
        if (old == nullptr || *old != value) changes[key] = value;
    }
    return json::serialize(changes);
}

}  // namespace codd::engine::users

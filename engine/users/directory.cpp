#include "engine/users/directory.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/users/json_codec.hpp"
#include "engine/users/user_events.hpp"

namespace codd::engine::users {
namespace {

enum class Family { none, user, email, session, settings };

Family family_of(std::string_view type) {
    using namespace events;
    for (auto t : {kUserCreated, kUserUpdated, kUserRoleChanged, kUserDeactivated, kUserPasswordReset,
                   kUserAvailabilityChanged, kUserPreferencesChanged, kUserLoggedIn}) {
        if (type == t) return Family::user;
    }
    if (type == kEmailReserved || type == kEmailReleased) return Family::email;
    if (type == kSessionStarted || type == kSessionRotated || type == kSessionRevoked) return Family::session;
    if (type == kPermissionsUpdated || type == kSettingsUpdated) return Family::settings;
    return Family::none;
}

Role role_at(const boost::json::object& o, std::string_view key) {
    const auto role = parse_role(json::string_at(o, key));
    if (!role) throw std::invalid_argument("unknown role in field " + std::string(key));
    return *role;
}

std::optional<std::int64_t> optional_int(const boost::json::object& o, std::string_view key) {
    if (!o.contains(key)) return std::nullopt;
    return json::int_at(o, key);
}

void apply_changes(User& u, const boost::json::object& c) {
    for (const auto& [key, value] : c) {
        if (key == "email")
            u.email = json::string_at(c, key);
        else if (key == "firstName")
            u.first_name = json::string_at(c, key);
        else if (key == "lastName")
            u.last_name = json::string_at(c, key);
        else if (key == "phoneNumber")
            u.phone_number = json::string_at(c, key);
        else if (key == "country")
            u.country = json::string_at(c, key);
        else if (key == "vehicleType")
            u.vehicle_type = json::string_at(c, key);
        else if (key == "vehicleId")
            u.vehicle_id = json::string_at(c, key);
        else if (key == "location")
            u.location = json::string_at(c, key);
        else if (key == "commissionMinor")
            u.commission_minor = json::int_at(c, key);
        else if (key == "deliveryRateMinor")
            u.delivery_rate_minor = json::int_at(c, key);
        else if (key == "isActive")
            u.is_active = json::bool_at(c, key);
        else
            throw std::invalid_argument("unknown field " + std::string(key) + " in UserUpdated");
    }
}

User created_user(const boost::json::object& p) {
    User u;
    u.id = json::int_at(p, "id");
    u.email = json::string_at(p, "email");
    u.password_hash = json::string_at(p, "passwordHash");
    u.first_name = json::string_at(p, "firstName");
    u.last_name = json::string_at(p, "lastName");
    u.phone_number = json::string_at(p, "phoneNumber");
    u.role = role_at(p, "role");
    u.is_active = json::bool_at(p, "isActive");
    u.is_available = json::bool_at(p, "isAvailable");
    u.country = json::string_at(p, "country");
    u.vehicle_type = json::string_at(p, "vehicleType");
    u.vehicle_id = json::string_at(p, "vehicleId");
    u.location = json::string_at(p, "location");
    u.commission_minor = optional_int(p, "commissionMinor");
    u.delivery_rate_minor = optional_int(p, "deliveryRateMinor");
    return u;
}

}  // namespace

Directory::Directory()
    : permissions_(std::make_shared<const PermissionMatrix>(default_permissions())),
      settings_json_(default_settings_json()) {}

bool Directory::is_identity_event(std::string_view type) {
    return family_of(type) != Family::none;
}

std::int64_t Directory::applied_version(const std::string& stream) const {
    const auto it = versions_.find(stream);
    return it == versions_.end() ? -1 : it->second;
}

std::int64_t Directory::permissions_version() const {
    return applied_version(std::string(events::kPermissionsStream));
}

std::int64_t Directory::settings_version() const {
    return applied_version(std::string(events::kSettingsStream));
}

void Directory::apply(const RecordedEvent& e) {
    const Family f = family_of(e.type);
    if (f == Family::none) return;
    if (e.version.value() <= applied_version(e.stream)) return;
    try {
        switch (f) {
            case Family::user:
                apply_user(e);
                break;
            case Family::email:
                apply_email(e);
                break;
            case Family::session:
                apply_session(e);
                break;
            case Family::settings:
                apply_settings(e);
                break;
            case Family::none:
                break;
        }
    } catch (const std::exception& ex) {
        throw std::runtime_error("identity event " + e.type + " at position " + std::to_string(e.position.value()) +
                                 " is malformed: " + ex.what());
    }
    versions_[e.stream] = e.version.value();
}

void Directory::apply_user(const RecordedEvent& e) {
    using namespace events;
    const auto p = json::parse_object(e.payload);
    const UserId id = json::int_at(p, "id");
    if (e.type == kUserCreated) {
        User u = created_user(p);
        u.created_us = u.updated_us = e.time_us;
        u.version = e.version.value();
        users_[id] = std::move(u);
        return;
    }
    const auto it = users_.find(id);
    if (it == users_.end()) throw std::invalid_argument("event for unknown user " + std::to_string(id));
    User& u = it->second;
    u.version = e.version.value();
    if (e.type == kUserLoggedIn) {
        u.last_login_us = e.time_us;  // a login is not an edit of the user: updated_us stays
        return;
    }
    u.updated_us = e.time_us;
    if (e.type == kUserUpdated) {
        apply_changes(u, json::object_at(p, "changes"));
    } else if (e.type == kUserRoleChanged) {
        u.role = role_at(p, "role");
    } else if (e.type == kUserDeactivated) {
        u.is_active = false;
        u.sessions_revoked_at = e.version.value();
    } else if (e.type == kUserPasswordReset) {
        u.password_hash = json::string_at(p, "passwordHash");
        u.sessions_revoked_at = e.version.value();
    } else if (e.type == kUserAvailabilityChanged) {
        u.is_available = json::bool_at(p, "isAvailable");
    } else if (e.type == kUserPreferencesChanged) {
        u.preferences_json = json::serialize(json::object_at(p, "preferences"));
    }
}

void Directory::apply_email(const RecordedEvent& e) {
    const auto p = json::parse_object(e.payload);
    EmailReservation& r = emails_[json::string_at(p, "email")];
    r.user_id = json::int_at(p, "userId");
    r.reserved = e.type == events::kEmailReserved;
    r.version = e.version.value();
}

void Directory::apply_session(const RecordedEvent& e) {
    using namespace events;
    const auto p = json::parse_object(e.payload);
    const std::string family = json::string_at(p, "family");
    if (e.type == kSessionStarted) {
        Session s;
        s.family = family;
        s.user_id = json::int_at(p, "userId");
        s.current_jti_digest = json::string_at(p, "jtiSha256");
        s.expires_us = json::int_at(p, "expiresUs");
        s.user_version = json::int_at(p, "userVersion");
        s.started_us = e.time_us;
        s.version = e.version.value();
        families_by_user_[s.user_id].push_back(family);
        sessions_[family] = std::move(s);
        return;
    }
    const auto it = sessions_.find(family);
    if (it == sessions_.end()) throw std::invalid_argument("event for unknown session " + family);
    Session& s = it->second;
    s.version = e.version.value();
    if (e.type == kSessionRotated) {
        s.retired_jtis.insert(std::move(s.current_jti_digest));
        s.current_jti_digest = json::string_at(p, "jtiSha256");
        s.expires_us = json::int_at(p, "expiresUs");
    } else {
        s.revoked = true;
        s.revoked_reason = json::string_at(p, "reason");
    }
}

void Directory::apply_settings(const RecordedEvent& e) {
    const auto p = json::parse_object(e.payload);
    if (e.type == events::kPermissionsUpdated) {
        permissions_ = std::make_shared<const PermissionMatrix>(json::permissions_from_json(p.at("permissions")));
        return;
    }
    auto settings = json::parse_object(settings_json_);
    for (const auto& [key, value] : json::object_at(p, "changes")) settings[key] = value;
    settings_json_ = json::serialize(settings);
}

const User* Directory::user(UserId id) const {
    const auto it = users_.find(id);
    return it == users_.end() ? nullptr : &it->second;
}

const EmailReservation* Directory::email(const std::string& normalized_email) const {
    const auto it = emails_.find(normalized_email);
    return it == emails_.end() ? nullptr : &it->second;
}

const User* Directory::user_by_email(const std::string& normalized_email) const {
    const EmailReservation* r = email(normalized_email);
    if (r == nullptr || !r->reserved) return nullptr;
    return user(r->user_id);
}

const Session* Directory::session(const std::string& family) const {
    const auto it = sessions_.find(family);
    return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<const Session*> Directory::live_sessions(UserId id, std::int64_t now_us) const {
    std::vector<const Session*> out;
    const auto it = families_by_user_.find(id);
    if (it == families_by_user_.end()) return out;
    for (const auto& family : it->second) {
        const Session* s = session(family);
        if (s != nullptr && !s->revoked && s->expires_us > now_us) out.push_back(s);
    }
    return out;
}

const std::string& default_settings_json() {
    static const std::string kDefaults = json::serialize(boost::json::object{
        {"businessName", ""},
        {"businessEmail", ""},
        {"businessPhone", ""},
        {"businessAddress", ""},
        {"taxId", ""},
        {"currency", "USD"},
        {"operatingHours", boost::json::object{}},
        {"smsProvider", boost::json::object{}},
        {"emailProvider", boost::json::object{}},
        {"notificationTemplates", boost::json::object{}},
    });
    return kDefaults;
}

}  // namespace codd::engine::users

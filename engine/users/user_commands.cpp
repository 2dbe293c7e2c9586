// The user commands of UserService: create, update, deactivate, reset password, availability,
// preferences, login.
#include <mutex>

#include "engine/patch.hpp"
#include "engine/users/service_state.hpp"
#include "engine/users/user_events.hpp"
#include "engine/users/validation.hpp"

namespace codd::engine::users {
namespace {

User from_new(const NewUser& n, UserId id) {
    User u;
    u.id = id;
    u.email = n.email;
    u.password_hash = n.password_hash;
    u.first_name = n.first_name;
    u.last_name = n.last_name;
    u.phone_number = n.phone_number;
    u.role = n.role;
    u.commission_minor = n.commission_minor;
    u.delivery_rate_minor = n.delivery_rate_minor;
    u.country = n.country;
    u.vehicle_type = n.vehicle_type;
    u.vehicle_id = n.vehicle_id;
    u.location = n.location;
    return u;
}

// The patch reduced to the fields that differ from `u`; role and deactivation are events of their own.
UserPatch changed_fields(UserPatch p, const User& u) {
    keep_if_changed(p.email, u.email);
    keep_if_changed(p.first_name, u.first_name);
    keep_if_changed(p.last_name, u.last_name);
    keep_if_changed(p.phone_number, u.phone_number);
    keep_if_changed(p.country, u.country);
    keep_if_changed(p.vehicle_type, u.vehicle_type);
    keep_if_changed(p.vehicle_id, u.vehicle_id);
    keep_if_changed(p.location, u.location);
    keep_if_changed(p.commission_minor, u.commission_minor);
    keep_if_changed(p.delivery_rate_minor, u.delivery_rate_minor);
    keep_if_changed(p.role, u.role);
    keep_if_changed(p.is_active, u.is_active);
    return p;
}

bool has_field_changes(const UserPatch& p) {
    return p.email || p.first_name || p.last_name || p.phone_number || p.country || p.vehicle_type || p.vehicle_id ||
           p.location || p.commission_minor || p.delivery_rate_minor || (p.is_active && *p.is_active);
}

}  // namespace

Result<User> UserService::create_user(const NewUser& input, const EventMetadata& meta) {
    NewUser n = input;
    if (auto r = normalize(n)) return *r;
    auto decide = [&n](const Directory& d) -> Decision {
        const EmailReservation* r = d.email(n.email);
        if (r != nullptr && r->reserved) return conflict("email is already in use", "email");
        AppendRequest req;
        req.sequences = {std::string(events::kUserSequence)};
        // The id comes from the sequence, in the batch that writes the user: ids have no gaps from refusals.
        req.build = [&n, email_version = r != nullptr ? r->version : -1](SequenceValues ids) {
            const User u = from_new(n, ids[0]);
            return std::vector<StreamAppend>{
                {events::user_stream(u.id), ExpectedVersion::no_stream(), {events::user_created(u)}},
                {events::email_stream(u.email), expect(email_version), {events::email_reserved(u.email, u.id)}},
            };
        };
        return req;
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    const UserId id = std::get<AppendResult>(result).sequence_values.at(0);
    if (auto u = find(id)) return *u;
    return not_found("user " + std::to_string(id));
}

Result<User> UserService::update_user(UserId id, const UserPatch& patch, const EventMetadata& meta) {
    const std::int64_t now = now_us();
    auto decide = [&](const Directory& d) -> Decision {
        const User* u = d.user(id);
        if (u == nullptr) return not_found("user " + std::to_string(id));
        // Fields sent back as they are stored are not checked again (as for products and customers): a user
        // written under older rules stays editable, e.g. deactivated by a form that sends the whole record.
        UserPatch p = changed_fields(patch, *u);
        if (auto r = normalize(p)) return *r;
        const UserPatch c = changed_fields(p, *u);
        std::vector<NewEvent> user_events;
        std::vector<StreamAppend> streams;
        if (c.email) {
            const EmailReservation* wanted = d.email(*c.email);
            if (wanted != nullptr && wanted->reserved) return conflict("email is already in use", "email");
            const EmailReservation* old = d.email(u->email);
            streams.push_back({events::email_stream(*c.email),
                               expect(wanted ? wanted->version : -1),
                               {events::email_reserved(*c.email, id)}});
            if (old != nullptr && old->reserved && old->user_id == id) {
                streams.push_back(
                    {events::email_stream(u->email), expect(old->version), {events::email_released(u->email, id)}});
            }
        }
        if (has_field_changes(c)) user_events.push_back(events::user_updated(id, c));
        if (c.role) user_events.push_back(events::user_role_changed(id, *c.role, u->role));
        if (c.is_active && !*c.is_active) {
            user_events.push_back(events::user_deactivated(id));
            revoke_live_sessions(d, id, RevokeReason::user_deactivated, now, streams);
        }
        if (user_events.empty()) return AppendRequest{};
        streams.push_back({events::user_stream(id), expect(u->version), std::move(user_events)});
        return request_for(std::move(streams));
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    if (auto u = find(id)) return *u;
    return not_found("user " + std::to_string(id));
}

Result<User> UserService::deactivate_user(UserId id, const EventMetadata& meta) {
    const std::int64_t now = now_us();
    auto decide = [&](const Directory& d) -> Decision {
        const User* u = d.user(id);
        if (u == nullptr) return not_found("user " + std::to_string(id));
        if (!u->is_active) return conflict("user is already deactivated");
        std::vector<StreamAppend> streams{
            {events::user_stream(id), expect(u->version), {events::user_deactivated(id)}}};
        revoke_live_sessions(d, id, RevokeReason::user_deactivated, now, streams);
        return request_for(std::move(streams));
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return *find(id);
}

Result<User> UserService::reset_password(UserId id, const std::string& new_password_hash, const EventMetadata& meta) {
    if (auto r = check_password_hash(new_password_hash)) return *r;
    const std::int64_t now = now_us();
    auto decide = [&](const Directory& d) -> Decision {
        const User* u = d.user(id);
        if (u == nullptr) return not_found("user " + std::to_string(id));
        std::vector<StreamAppend> streams{
            {events::user_stream(id), expect(u->version), {events::user_password_reset(id, new_password_hash)}}};
        revoke_live_sessions(d, id, RevokeReason::password_reset, now, streams);
        return request_for(std::move(streams));
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return *find(id);
}

Result<User> UserService::set_availability(UserId id, bool available, const EventMetadata& meta) {
    auto decide = [&](const Directory& d) -> Decision {
        const User* u = d.user(id);
        if (u == nullptr) return not_found("user " + std::to_string(id));
        if (u->is_available == available) return AppendRequest{};
        return request_for(
            {{events::user_stream(id), expect(u->version), {events::user_availability_changed(id, available)}}});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return *find(id);
}

Result<User> UserService::set_preferences(UserId id, const std::string& preferences_json, const EventMetadata& meta) {
    auto canonical = canonical_object(preferences_json, "preferences", kMaxPreferencesBytes);
    if (auto* r = std::get_if<Rejection>(&canonical)) return *r;
    const std::string& prefs = std::get<std::string>(canonical);
    auto decide = [&](const Directory& d) -> Decision {
        const User* u = d.user(id);
        if (u == nullptr) return not_found("user " + std::to_string(id));
        if (u->preferences_json == prefs) return AppendRequest{};
        return request_for(
            {{events::user_stream(id), expect(u->version), {events::user_preferences_changed(id, prefs)}}});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return *find(id);
}

Result<User> UserService::record_login(UserId id, const EventMetadata& meta) {
    auto decide = [&](const Directory& d) -> Decision {
        const User* u = d.user(id);
        if (u == nullptr) return not_found("user " + std::to_string(id));
        if (!u->is_active) return unauthorized("the account is deactivated");
        return request_for({{events::user_stream(id), expect(u->version), {events::user_logged_in(id)}}});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return *find(id);
}

}  // namespace codd::engine::users

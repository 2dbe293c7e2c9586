// The system-wide commands of UserService: the permission matrix and the system settings.
#include "engine/users/service_state.hpp"
#include "engine/users/user_events.hpp"
#include "engine/users/validation.hpp"

namespace codd::engine::users {

Result<PermissionMatrix> UserService::set_permissions(const PermissionMatrix& m, const EventMetadata& meta) {
    if (auto r = check_permissions(m)) return *r;
    auto decide = [&](const Directory& d) -> Decision {
        if (d.permissions() == m) return AppendRequest{};
        return request_for({{std::string(events::kPermissionsStream),
                             expect(d.permissions_version()),
                             {events::permissions_updated(m)}}});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return permissions();
}

Result<std::string> UserService::merge_settings(const std::string& settings_json_object, const EventMetadata& meta) {
    auto decide = [&](const Directory& d) -> Decision {
        auto changes = settings_changes(d.settings_json(), settings_json_object);
        if (auto* r = std::get_if<Rejection>(&changes)) return *r;
        const std::string& c = std::get<std::string>(changes);
        if (c == "{}") return AppendRequest{};
        return request_for(
            {{std::string(events::kSettingsStream), expect(d.settings_version()), {events::settings_updated(c)}}});
    };
    auto result = commit(decide, meta);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    return settings_json();
}

}  // namespace codd::engine::users

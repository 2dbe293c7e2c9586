#pragma once
// The identity state as the log's events leave it: users, email reservations, sessions, the permission
// matrix and the system settings. Not thread-safe: UserService guards it with a shared_mutex.
//
// Each stream's state depends only on that stream's events, so applying streams in any interleaving (the
// service applies its own appends per stream; a rebuild applies in log order) gives the same directory.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/envelope.hpp"
#include "engine/users/user.hpp"

namespace codd::engine::users {

struct EmailReservation {
    UserId user_id = 0;
    bool reserved = false;  // false once released: the address may be reserved again
    std::int64_t version = -1;
};

class Directory {
  public:
    Directory();

    // Applies one event. Events of other types are ignored; so is an event at or below the version of its
    // stream already applied, which makes applying idempotent. Throws std::runtime_error when an identity
    // event's payload is malformed (the log holds only what the service wrote: that is corruption or a bug).
    void apply(const RecordedEvent& e);
    static bool is_identity_event(std::string_view type);

    // Version of the stream's last applied event; -1 if none.
    [[nodiscard]] std::int64_t applied_version(const std::string& stream) const;

    [[nodiscard]] const User* user(UserId id) const;
    [[nodiscard]] const User* user_by_email(const std::string& normalized_email) const;
    [[nodiscard]] const EmailReservation* email(const std::string& normalized_email) const;
    [[nodiscard]] const Session* session(const std::string& family) const;
    // Sessions of the user that are not revoked and not expired at `now_us`.
    [[nodiscard]] std::vector<const Session*> live_sessions(UserId id, std::int64_t now_us) const;

    [[nodiscard]] const std::map<UserId, User>& users() const { return users_; }
    [[nodiscard]] const std::map<std::string, Session>& sessions() const { return sessions_; }
    [[nodiscard]] const std::map<std::string, EmailReservation>& emails() const { return emails_; }
    [[nodiscard]] const PermissionMatrix& permissions() const { return *permissions_; }
    // The matrix as it is now, immutable: a new PermissionsUpdated replaces it rather than changing it.
    [[nodiscard]] std::shared_ptr<const PermissionMatrix> permissions_snapshot() const { return permissions_; }
    [[nodiscard]] std::int64_t permissions_version() const;
    [[nodiscard]] const std::string& settings_json() const { return settings_json_; }
    [[nodiscard]] std::int64_t settings_version() const;

  private:
    void apply_user(const RecordedEvent& e);
    void apply_email(const RecordedEvent& e);
    void apply_session(const RecordedEvent& e);
    void apply_settings(const RecordedEvent& e);

    std::map<UserId, User> users_;
    std::map<std::string, EmailReservation> emails_;
    std::map<std::string, Session> sessions_;
    std::unordered_map<UserId, std::vector<std::string>> families_by_user_;
    std::shared_ptr<const PermissionMatrix> permissions_;
    std::string settings_json_;
    std::unordered_map<std::string, std::int64_t> versions_;  // every identity stream -> last applied version
};

// The settings before any SettingsUpdated: the replaced system's SystemConfig fields, empty.
const std::string& default_settings_json();

}  // namespace codd::engine::users

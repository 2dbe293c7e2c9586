#pragma once
// UserService: the commands of the identity domain, decided against the current state and appended to the
// event log; and the in-memory directory (users, sessions, permissions, settings) that serves lookups. The
// directory is rebuilt from the log at start (users are few; the whole identity state fits in memory) and
// updated from the service's own appends before a command returns, so a caller reads its own writes.
//
// Streams: user-<id> (User* events), user-email-<normalized email> (reservation: makes emails unique
// through the log's expected-version check), session-<family> (Session* events), settings-permissions,
// settings-system. User ids come from the log sequence "user" (1001, 1002, ...).
//
// Passwords arrive here already hashed: hashing is slow on purpose and belongs on a worker pool of the
// caller (see password.hpp).

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <variant>
#include <vector>

#include "engine/event_log.hpp"
#include "engine/result.hpp"
#include "engine/users/user.hpp"

namespace codd::engine::users {

class Directory;

// Rejection and Result are the engine's (engine/result.hpp); the identity commands name fields as the REST
// API does (email, password, firstName, lastName, phoneNumber, role, ...).
using engine::Rejection;
using engine::Result;

struct NewUser {
    std::string email, password_hash, first_name, last_name, phone_number;
    Role role = Role::sales_rep;
    std::optional<std::int64_t> commission_minor, delivery_rate_minor;
    std::string country, vehicle_type, vehicle_id, location;
};

// A partial update: only the fields that are set change.
struct UserPatch {
    std::optional<std::string> email, first_name, last_name, phone_number, country, vehicle_type, vehicle_id, location;
    std::optional<Role> role;
    std::optional<bool> is_active;
    std::optional<std::int64_t> commission_minor, delivery_rate_minor;
};

// Newest first (by id, descending); page from 1, limit clamped to 1..100.
struct UserQuery {
    std::optional<Role> role;
    std::optional<bool> is_active;
    int page = 1;
    int limit = 20;
};

struct UserPage {
    std::vector<User> users;
    std::size_t total = 0;
};

class UserService {
  public:
    // Rebuilds the directory from the whole log. Throws StorageError.
    explicit UserService(EventLog& log, std::shared_ptr<Clock> clock = system_clock(),
                         std::shared_ptr<IdGenerator> ids = random_ids());
    ~UserService();

    // --- commands (each appends events; the metadata names actor and request) ---
    Result<User> create_user(const NewUser& u, const EventMetadata& meta);
    Result<User> update_user(UserId id, const UserPatch& p, const EventMetadata& meta);
    // Deactivation and password reset revoke every session of the user.
    Result<User> deactivate_user(UserId id, const EventMetadata& meta);
    Result<User> reset_password(UserId id, const std::string& new_password_hash, const EventMetadata& meta);
    Result<User> set_availability(UserId id, bool available, const EventMetadata& meta);
    Result<User> set_preferences(UserId id, const std::string& preferences_json, const EventMetadata& meta);
    Result<User> record_login(UserId id, const EventMetadata& meta);

    // Sessions (refresh-token families).
    Result<Session> start_session(UserId id, std::int64_t expires_us, const EventMetadata& meta);
    // Rotates `jti` of `family` to a new jti. Presenting a retired jti revokes the family (reuse detection)
    // and is refused as unauthorized; so are unknown, revoked, expired families and inactive users.
    Result<Session> rotate_session(const std::string& family, const std::string& jti, std::int64_t expires_us,
                                   const EventMetadata& meta);
    Result<bool> revoke_session(const std::string& family, const EventMetadata& meta);
    // Ends every live session of the user in one append ("log out everywhere"); returns how many ended now
    // (0 when none was live). not_found for an unknown user.
    Result<std::size_t> revoke_all_sessions(UserId id, RevokeReason reason, const EventMetadata& meta);

    Result<PermissionMatrix> set_permissions(const PermissionMatrix& m, const EventMetadata& meta);
    // System settings of the replaced system's SystemConfig, a JSON object; PUT merges top-level keys.
    Result<std::string> merge_settings(const std::string& settings_json_object, const EventMetadata& meta);

    // --- orders in a user's hands (issue 4, reference §2) ---
    // Giving a user an order and making the user unfit to hold one exclude each other, so that neither decides
    // on the other half done. A command that gives `user` an order (an assignment, a create with its rep,
    // sending an order out or delivering it with its agent) holds assigning(user) from its check of the user
    // until its append has answered. A deactivation, a change of role or of availability holds changing(user)
    // from its check of the user's open orders (once the orders view has every append before it) until its
    // own append has answered. Only this process appends (EventLog is single-writer), so that is every command.
    [[nodiscard]] std::shared_lock<std::shared_mutex> assigning(UserId user) const;
    [[nodiscard]] std::unique_lock<std::shared_mutex> changing(UserId user) const;

    // --- queries (served from memory) ---
    std::optional<User> find(UserId id) const;
    std::optional<User> find_by_email(std::string_view email) const;  // normalizes first
    UserPage list(const UserQuery& q) const;
    std::optional<Session> session(const std::string& family) const;
    PermissionMatrix permissions() const;
    // The matrix without copying it (every permission-checked request reads it): immutable, shared.
    std::shared_ptr<const PermissionMatrix> permissions_snapshot() const;
    // The version of the permission matrix (-1: the defaults, never changed); read it before permissions()
    // to label a copy, so that a label never claims more than the copy holds.
    std::int64_t permissions_version() const;
    std::string settings_json() const;
    std::size_t user_count() const;

    // Trimmed and lower-cased: the form the directory and the user-email-<...> streams use.
    static std::string normalize_email(std::string_view email);

  private:
    using Decision = std::variant<Rejection, AppendRequest>;
    using Decide = std::function<Decision(const Directory&)>;

    // Decides against the directory, appends, and applies the appended events to the directory; on a
    // version conflict it catches the directory up on the conflicting stream and decides again, a few
    // times. A decision with no streams and no build appends nothing (the command changes nothing): the
    // result then has no streams.
    Result<AppendResult> commit(const Decide& decide, const EventMetadata& meta);
    // Applies what the log holds of `stream` beyond the directory's version of it.
    void catch_up(const std::string& stream);
    std::int64_t now_us() const;

    struct State;
    std::shared_mutex& gate(UserId user) const;
    EventLog& log_;
    std::shared_ptr<Clock> clock_;
    std::shared_ptr<IdGenerator> ids_;
    std::unique_ptr<State> state_;
};

}  // namespace codd::engine::users

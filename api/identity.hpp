#pragma once
// The identity API: authentication of requests, the RBAC guard in front of every identity route, and the
// routes of reference §2 (auth, admin, users) under /api/v1 and /api.
//
// Threads: reads are answered on the io thread from UserService's in-memory directory; anything slow runs on
// the worker pool: password hashing and verification (argon2id), and every command (it waits for the event
// log's fsync).

#include <array>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "api/edge_rate_limiter.hpp"
#include "api/http_types.hpp"
#include "api/rbac.hpp"
#include "api/router.hpp"
#include "api/tokens.hpp"
#include "api/worker_pool.hpp"
#include "engine/users/user_service.hpp"

namespace codd::api {

// The effective permissions of each role as the JSON text of the login and /auth/me answers, rebuilt when
// the matrix changes: /auth/me is the hottest authenticated read, and building it costs a copy of the matrix.
class PermissionsJsonCache {
  public:
    [[nodiscard]] std::shared_ptr<const std::string> get(const engine::users::UserService& users,
                                                         engine::users::Role role) const;

  private:
    struct Entry {
        std::int64_t version = -2;  // below any matrix version: empty
        std::shared_ptr<const std::string> json;
    };
    mutable std::mutex mu_;
    mutable std::array<Entry, std::size(engine::users::kAllRoles)> entries_;
};

// Shared by every identity handler; outlives the server's requests (the composition root stops the server
// and drains the pool first).
struct Identity {
    engine::users::UserService& users;
    const TokenService& tokens;
    WorkerPool& workers;
    bool allow_registration = false;
    // Verified against when a login names an unknown email, so that it costs what a wrong password costs.
    std::string dummy_hash;
    // The edge's limiter: login also takes a token of the auth tier per email ("email:<normalized>"), on top
    // of the edge's per-IP one, so one account can't be guessed at from many addresses. Null: no limit.
    std::shared_ptr<RateLimiter> limiter;
    std::shared_ptr<const PermissionsJsonCache> permissions_json = std::make_shared<PermissionsJsonCache>();
    // How many open orders (not delivered, cancelled or returned) a user has as rep or agent: such a user is
    // not deactivated (reference §2). Set by the composition root from the orders view, once it has applied
    // every append before the call (nullopt: it could not catch up in time); unset, no check.
    std::function<std::optional<std::int64_t>(engine::users::UserId)> open_orders;
    // The cash a delivery agent collected and has not deposited, in minor units: such an agent is not
    // deactivated or moved to another role either (their deposit first). Unset, no check.
    std::function<std::int64_t(engine::users::UserId)> cash_in_hand;
    // The event log's head. A user command's 2xx answer carries it as X-Codd-Position (at or after the
    // command's last event), for a client to read the views after it (X-Codd-Min-Position). Unset, no header.
    std::function<std::uint64_t()> log_head;
};

// An authenticated request's caller: the user as the directory has it now (role changes and deactivation
// apply at once), and the token's claims.
struct Authenticated {
    engine::users::User user;
    TokenClaims claims;
    [[nodiscard]] Caller caller() const { return {user.id, user.role}; }
};

// The caller of a request with `Authorization: Bearer <access token>`, or the 401 problem: "No token
// provided", "Invalid token" (bad, revoked, or its user deactivated) or "Token expired".
[[nodiscard]] std::variant<Authenticated, Response> authenticate(const Request& request, const Identity& identity);

// Metadata of the events a request causes: actor and request id.
[[nodiscard]] engine::EventMetadata event_metadata(const Request& request, const engine::users::User* actor);

// A handler behind the guard: `caller` is set unless the endpoint is public.
using GuardedHandler = std::function<void(Request, Responder, std::optional<Authenticated> caller)>;

// Registers `handler` for (method, path) under every API root, behind the access rule the RBAC table gives
// that endpoint. Throws std::logic_error for an endpoint missing from the table.
void add_guarded(Router& router, const Identity& identity, std::string_view method, std::string_view path,
                 GuardedHandler handler);

// Runs `job` on the worker pool; should it throw, `respond` (the responder it answers with) answers what
// failure_response says.
void run_on_workers(const Identity& identity, const Responder& respond, std::function<void()> job);

void add_auth_routes(Router& router, const Identity& identity);
void add_user_routes(Router& router, const Identity& identity);

// A 200 JSON response.
[[nodiscard]] Response ok_json(const boost::json::value& body, int status = 200);
[[nodiscard]] Response forbidden(std::string message, std::string required = {});

}  // namespace codd::api

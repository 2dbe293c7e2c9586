#pragma once
// UserService's private state, shared by the files that implement its commands.

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "engine/users/directory.hpp"
#include "engine/users/user_service.hpp"

namespace codd::engine::users {

struct UserService::State {
    mutable std::shared_mutex mu;
    Directory directory;
    // One gate per user an order was given to or who was changed (assigning / changing): users are few, so the
    // gates are kept. Ids that name no user share one gate, so requests naming random ids add none.
    std::mutex gates_mu;
    std::map<UserId, std::unique_ptr<std::shared_mutex>> gates;
    std::shared_mutex nobody_gate;
};

// Commands that keep losing to concurrent changes give up after this many decisions.
inline constexpr int kMaxAttempts = 5;

Rejection not_found(const std::string& what);
Rejection conflict(std::string message, std::string field = {});
Rejection unauthorized(std::string message);

// An append with `streams` and no sequences: one decision's output.
AppendRequest request_for(std::vector<StreamAppend> streams);
ExpectedVersion expect(std::int64_t version);

// Appends a SessionRevoked to `out` for every live session of the user, each on its own stream, so that the
// caller ends them in the same atomic append as its own events.
void revoke_live_sessions(const Directory& d, UserId id, RevokeReason reason, std::int64_t now_us,
                          std::vector<StreamAppend>& out);

}  // namespace codd::engine::users

// UserService: construction (the rebuild), the decide → append → apply loop, and the queries.
#include "engine/users/user_service.hpp"

#include <algorithm>
#include <limits>
#include <mutex>

#include "engine/users/service_state.hpp"

namespace codd::engine::users {

Rejection not_found(const std::string& what) {
    return Rejection{Rejection::Kind::not_found, what + " not found", {}};
}

Rejection conflict(std::string message, std::string field) {
    return Rejection{Rejection::Kind::conflict, std::move(message), std::move(field)};
}

Rejection unauthorized(std::string message) {
    return Rejection{Rejection::Kind::unauthorized, std::move(message), {}};
}

AppendRequest request_for(std::vector<StreamAppend> streams) {
    AppendRequest r;
    r.streams = std::move(streams);
    return r;
}

ExpectedVersion expect(std::int64_t version) {
    return version < 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exact(StreamVersion{version});
}

UserService::UserService(EventLog& log, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids)
    : log_(log), clock_(std::move(clock)), ids_(std::move(ids)), state_(std::make_unique<State>()) {
    log_.scan(GlobalPosition{1}, [this](const RecordedEvent& e) {
        state_->directory.apply(e);
        return true;
    });
}

UserService::~UserService() = default;

std::int64_t UserService::now_us() const {
    return to_us(clock_->now());
}

void UserService::catch_up(const std::string& stream) {
    std::int64_t from = 0;
    {
        std::shared_lock lock(state_->mu);
        from = state_->directory.applied_version(stream) + 1;
    }
    // Read outside the lock; what was applied meanwhile is skipped by the directory's version check.
    const auto events = log_.read_stream(stream, StreamVersion{from}, std::numeric_limits<std::size_t>::max());
    std::unique_lock lock(state_->mu);
    for (const auto& e : events) state_->directory.apply(e);
}

Result<AppendResult> UserService::commit(const Decide& decide, const EventMetadata& meta) {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        Decision d = [&] {
            std::shared_lock lock(state_->mu);
            return decide(state_->directory);
        }();
        if (auto* r = std::get_if<Rejection>(&d)) return *r;
        AppendRequest request = std::move(std::get<AppendRequest>(d));
        if (request.streams.empty() && !request.build) {
            AppendResult nothing;
            nothing.status = AppendStatus::ok;
            return nothing;
        }
        request.metadata = meta;
        AppendResult result = log_.append(std::move(request));
        if (result.committed()) {
            for (const auto& s : result.streams) catch_up(s.stream);
            return result;
        }
        if (result.status != AppendStatus::conflict) {
            throw StorageError(std::string("identity command not appended (") + to_string(result.status) +
                               "): " + result.message);
        }
        catch_up(result.conflict_stream);
    }
    return conflict("the resource was changed concurrently; try again");
}

std::shared_mutex& UserService::gate(UserId user) const {
    if (!find(user)) return state_->nobody_gate;
    std::lock_guard lock(state_->gates_mu);
    auto& g = state_->gates[user];
    if (!g) g = std::make_unique<std::shared_mutex>();
    return *g;
}

std::shared_lock<std::shared_mutex> UserService::assigning(UserId user) const {
    return std::shared_lock(gate(user));
}

std::unique_lock<std::shared_mutex> UserService::changing(UserId user) const {
    return std::unique_lock(gate(user));
}

std::optional<User> UserService::find(UserId id) const {
    std::shared_lock lock(state_->mu);
    const User* u = state_->directory.user(id);
    return u ? std::optional<User>(*u) : std::nullopt;
}

std::optional<User> UserService::find_by_email(std::string_view email) const {
    const std::string normalized = normalize_email(email);
    std::shared_lock lock(state_->mu);
    const User* u = state_->directory.user_by_email(normalized);
    return u ? std::optional<User>(*u) : std::nullopt;
}

UserPage UserService::list(const UserQuery& q) const {
    const std::size_t limit = static_cast<std::size_t>(std::clamp(q.limit, 1, 100));
    const std::size_t page = static_cast<std::size_t>(std::max(q.page, 1));
    UserPage out;
    std::shared_lock lock(state_->mu);
    const auto& users = state_->directory.users();
    for (auto it = users.rbegin(); it != users.rend(); ++it) {
        const User& u = it->second;
        if (q.role && u.role != *q.role) continue;
        if (q.is_active && u.is_active != *q.is_active) continue;
        if (out.total >= (page - 1) * limit && out.users.size() < limit) out.users.push_back(u);
        ++out.total;
    }
    return out;
}

std::optional<Session> UserService::session(const std::string& family) const {
    std::shared_lock lock(state_->mu);
    const Session* s = state_->directory.session(family);
    return s ? std::optional<Session>(*s) : std::nullopt;
}

PermissionMatrix UserService::permissions() const {
    std::shared_lock lock(state_->mu);
    return state_->directory.permissions();
}

std::shared_ptr<const PermissionMatrix> UserService::permissions_snapshot() const {
    std::shared_lock lock(state_->mu);
    return state_->directory.permissions_snapshot();
}

std::int64_t UserService::permissions_version() const {
    std::shared_lock lock(state_->mu);
    return state_->directory.permissions_version();
}

std::string UserService::settings_json() const {
    std::shared_lock lock(state_->mu);
    return state_->directory.settings_json();
}

std::size_t UserService::user_count() const {
    std::shared_lock lock(state_->mu);
    return state_->directory.users().size();
}

std::string UserService::normalize_email(std::string_view email) {
    while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) email.remove_prefix(1);
    while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) email.remove_suffix(1);
    std::string out(email);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

}  // namespace codd::engine::users

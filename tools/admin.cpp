// `codd admin create`: creates a super_admin offline, on a data directory no server holds. It always
// creates one when asked, users or not: an operator who runs it explicitly is bootstrapping or recovering
// access (the server's own first-start bootstrap, CODD_ADMIN_EMAIL, only acts on an empty directory).
// One JSON line on stdout for scripts, prose on stderr.

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "engine/event_log.hpp"
#include "engine/json_codec.hpp"
#include "engine/users/bootstrap.hpp"
#include "engine/users/password.hpp"
#include "tools/commands.hpp"

namespace codd::tools {
namespace {

// RocksDB reports a held LOCK file as an I/O error naming the lock; that is the one failure with advice.
int refuse(int code, const std::string& message) {
    say("codd admin create: {}\n", message);
    return code;
}

}  // namespace

int run_admin_create(const AdminCreateOptions& options) {
    // Cheap checks first: a weak password must not need the log.
    if (auto problem = engine::users::password_policy_violation(options.password)) return refuse(kExitUsage, *problem);
    const std::filesystem::path log_dir = options.data_dir / "log";
    std::unique_ptr<engine::EventLog> log;
    try {
        engine::LogOptions log_options;
        log_options.dir = log_dir;
        log = engine::EventLog::open(std::move(log_options));
    } catch (const engine::StorageError& e) {
        if (is_lock_error(e)) {
            return refuse(kExitFailure,
                          in_use_message(options.data_dir, fmt::format("stop the server first, or create users "
                                                                       "through its API ({})",
                                                                       e.what())));
        }
        return refuse(kExitFailure, fmt::format("cannot open the event log at {}: {}", log_dir.string(), e.what()));
    }
    engine::users::UserService users(*log);
    engine::users::AdminSpec spec{options.email, options.password, options.first_name, options.last_name};
    engine::EventMetadata meta;
    meta.actor = {"system", "system"};
    meta.request_id = "codd-admin-create";
    const auto created = engine::users::create_admin(users, spec, meta);
    log->close();
    if (const auto* r = std::get_if<engine::users::Rejection>(&created)) {
        const std::string where = r->field.empty() ? std::string() : r->field + ": ";
        return refuse(r->kind == engine::users::Rejection::Kind::invalid ? kExitUsage : kExitFailure,
                      where + r->message);
    }
    const auto& user = std::get<engine::users::User>(created);
    fmt::print("{}\n", engine::json::serialize(boost::json::object{
                           {"id", user.id}, {"email", user.email}, {"role", engine::users::to_string(user.role)}}));
    say("codd admin create: super_admin {} created with id {}\n", user.email, user.id);
    return kExitOk;
}

}  // namespace codd::tools

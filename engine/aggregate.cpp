#include "engine/aggregate.hpp"

namespace codd::engine {

ExpectedVersion expect(std::int64_t version) {
    return version < 0 ? ExpectedVersion::no_stream() : ExpectedVersion::exact(StreamVersion{version});
}

AppendRequest append_of(std::vector<StreamAppend> streams) {
    AppendRequest r;
    r.streams = std::move(streams);
    return r;
}

Rejection invalid(std::string field, std::string message) {
    return Rejection{Rejection::Kind::invalid, std::move(message), std::move(field)};
}

Rejection not_found(const std::string& what) {
    return Rejection{Rejection::Kind::not_found, what + " not found", {}};
}

Rejection conflict(std::string message, std::string field) {
    return Rejection{Rejection::Kind::conflict, std::move(message), std::move(field)};
}

std::optional<AppendResult> committed_result(EventLog& log, const std::string& command_id) {
    if (command_id.empty()) return std::nullopt;
    return log.command_result(command_id);
}

Result<AppendResult> execute(EventLog& log, const Clock& clock, const CommandContext& ctx, const Attempt& attempt,
                             int max_attempts) {
    for (int i = 0; i < max_attempts; ++i) {
        Result<AppendRequest> decided = attempt(clock.now());
        if (auto* r = std::get_if<Rejection>(&decided)) {
            // A retry of a command that already committed may now be refused (its own effect is in the
            // state it decided on): the original result is the answer.
            if (auto original = committed_result(log, ctx.command_id)) return *original;
            return *r;
        }
        AppendRequest request = std::move(std::get<AppendRequest>(decided));
        if (request.streams.empty() && !request.build) {
            if (auto original = committed_result(log, ctx.command_id)) return *original;
            AppendResult nothing;
            nothing.status = AppendStatus::ok;
            return nothing;
        }
        request.metadata = ctx.metadata;
        request.command_id = ctx.command_id;
        AppendResult result = log.append(std::move(request));
        if (result.committed()) return result;
        if (result.status != AppendStatus::conflict) {
            throw StorageError(std::string("command not appended (") + to_string(result.status) +
                               "): " + result.message);
        }
    }
    return conflict("the resource was changed concurrently; try again");
}

}  // namespace codd::engine

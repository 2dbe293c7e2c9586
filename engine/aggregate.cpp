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

bool same_request(const CommandContext& ctx, const AppendResult& original) {
    return ctx.fingerprint.empty() || original.command_fingerprint.empty() ||
           ctx.fingerprint == original.command_fingerprint;
}

Rejection reused_command_id() {
    return Rejection{Rejection::Kind::refused,
                     "this Idempotency-Key was already used for a different request; use a new key for a new request",
                     "Idempotency-Key"};
}

std::optional<AppendResult> committed_result(EventLog& log, const CommandContext& ctx) {
    if (ctx.command_id.empty()) return std::nullopt;
    auto original = log.command_result(ctx.command_id);
    if (original && !same_request(ctx, *original)) return std::nullopt;
    return original;
}

Result<AppendResult> execute(EventLog& log, const Clock& clock, const CommandContext& ctx, const Attempt& attempt,
                             int max_attempts) {
    for (int i = 0; i < max_attempts; ++i) {
        Result<AppendRequest> decided = attempt(clock.now());
        if (auto* r = std::get_if<Rejection>(&decided)) {
            // A retry of a command that already committed may now be refused (its own effect is in the
            // state it decided on): the original result is the answer.
            if (auto original = committed_result(log, ctx)) return *original;
            return *r;
        }
        AppendRequest request = std::move(std::get<AppendRequest>(decided));
        if (request.streams.empty() && !request.build) {
            if (auto original = committed_result(log, ctx)) return *original;
            AppendResult nothing;
            nothing.status = AppendStatus::ok;
            return nothing;
        }
        request.metadata = ctx.metadata;
        request.command_id = ctx.command_id;
        request.command_fingerprint = ctx.fingerprint;
        request.also_command_id = ctx.also_command_id;
        request.also_command_fingerprint = ctx.also_fingerprint;
        AppendResult result = log.append(std::move(request));
        if (result.status == AppendStatus::duplicate && !same_request(ctx, result)) return reused_command_id();
        if (result.committed()) return result;
        if (result.status != AppendStatus::conflict) {
            throw StorageError(std::string("command not appended (") + to_string(result.status) +
                               "): " + result.message);
        }
    }
    return conflict("the resource was changed concurrently; try again");
}

}  // namespace codd::engine

#pragma once
// The decider loop shared by the domain modules: fold a stream into an aggregate's state, decide a command
// against that state (a pure function of state, command and `now`), append the decision atomically with
// expected versions, and on a version conflict load and decide again, a few times.
//
// A decision is an AppendRequest: the aggregate's own stream at its loaded version plus any other streams
// that must change in the same atomic append (a uniqueness reservation expected absent, another aggregate
// at its loaded version). New aggregates take their id from a log sequence through AppendRequest::build,
// so a refused create consumes no id.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/clock.hpp"
#include "engine/event_log.hpp"
#include "engine/result.hpp"

namespace codd::engine {

// A stream folded into a state; version -1 when the stream does not exist.
template <typename State>
struct Loaded {
    State state{};
    std::int64_t version = -1;

    [[nodiscard]] bool exists() const { return version >= 0; }
};

// Folds the events of `stream` after `into.version` into `into` with `evolve(State&, const RecordedEvent&)`.
template <typename State, typename Evolve>
void fold_tail(const EventLog& log, const std::string& stream, Loaded<State>& into, Evolve&& evolve) {
    // Read in pages so a long stream never sits in memory twice.
    constexpr std::size_t kPage = 1024;
    for (;;) {
        const auto events = log.read_stream(stream, StreamVersion{into.version + 1}, kPage);
        for (const auto& e : events) {
            evolve(into.state, e);
            into.version = e.version.value();
        }
        if (events.size() < kPage) return;
    }
}

// Folds `stream` from version 0.
template <typename State, typename Evolve>
Loaded<State> load(const EventLog& log, const std::string& stream, Evolve&& evolve) {
    Loaded<State> out;
    fold_tail(log, stream, out, std::forward<Evolve>(evolve));
    return out;
}

// Folded streams kept in memory and checked against the stream's version on every load: a hit costs a
// point lookup (EventLog::stream_version) instead of reading and folding the stream. Only folded (durable)
// events are kept; when the version has moved (or includes an append not yet durable) only the tail after
// the cached state is read and folded. Bounded: full, it starts over.
template <typename State>
class StreamCache {
  public:
    explicit StreamCache(std::size_t capacity = 1 << 14) : capacity_(capacity) {}

    template <typename Evolve>
    Loaded<State> load(const EventLog& log, const std::string& stream, Evolve&& evolve) {
        const auto current = log.stream_version(stream);
        if (!current) return {};
        Loaded<State> loaded;
        {
            std::lock_guard lock(mu_);
            if (auto it = entries_.find(stream); it != entries_.end()) loaded = it->second;
        }
        if (loaded.version == current->value()) return loaded;
        fold_tail(log, stream, loaded, std::forward<Evolve>(evolve));  // only what came after the cached state
        std::lock_guard lock(mu_);
        if (entries_.size() >= capacity_) entries_.clear();
        entries_[stream] = loaded;
        return loaded;
    }

  private:
    std::size_t capacity_;
    std::mutex mu_;
    std::unordered_map<std::string, Loaded<State>> entries_;
};

// The expectation that a stream is still at `version` (-1: that it still does not exist).
ExpectedVersion expect(std::int64_t version);

// An append of `streams` and nothing else: the usual output of a decision.
AppendRequest append_of(std::vector<StreamAppend> streams);

Rejection invalid(std::string field, std::string message);
Rejection not_found(const std::string& what);
Rejection conflict(std::string message, std::string field = {});

// Who asks, the id that makes a retried command idempotent (empty: none), and what it asks (the request's
// fingerprint; empty: not compared). A retry is the same command id with the same fingerprint; the same id
// with another fingerprint is refused (reused_command_id), never answered with the first command's result.
struct CommandContext {
    EventMetadata metadata;
    std::string command_id;
    std::string fingerprint;
    // A second name recorded for the same command (AppendRequest::also_command_id), with its fingerprint.
    std::string also_command_id;
    std::string also_fingerprint;
    // Whatever the caller keeps for as long as the command runs (the API: its Idempotency-Key's claim, released
    // when the last copy of the context goes). The engine never looks at it.
    std::shared_ptr<const void> hold;
};

// A load-and-decide pass: reads what it needs from the log and returns the decision for `now`. An
// AppendRequest without streams and without build means "nothing changes".
using Attempt = std::function<Result<AppendRequest>(TimePoint now)>;

inline constexpr int kMaxDecideAttempts = 8;

// Runs `attempt`, appends its decision with the context's metadata and command id, and retries the whole
// load/decide on a version conflict, at most `max_attempts` times (then a conflict Rejection). Returns the
// append's result: `ok`, or `duplicate` with the original result when the command id was committed
// before, also when deciding again would now refuse or change nothing. A decision that changes nothing
// returns an `ok` result without streams. Throws StorageError when the log refuses for another reason.
Result<AppendResult> execute(EventLog& log, const Clock& clock, const CommandContext& ctx, const Attempt& attempt,
                             int max_attempts = kMaxDecideAttempts);

// The common case of one aggregate: folds `stream` with `evolve` and decides with
// `decide(const Loaded<State>&, TimePoint now) -> Result<AppendRequest>`, retried like execute().
template <typename State, typename Evolve, typename Decide>
Result<AppendResult> execute_on(EventLog& log, const Clock& clock, const CommandContext& ctx, const std::string& stream,
                                Evolve&& evolve, Decide&& decide, int max_attempts = kMaxDecideAttempts) {
    return execute(
        log, clock, ctx,
        [&](TimePoint now) -> Result<AppendRequest> { return decide(load<State>(log, stream, evolve), now); },
        max_attempts);
}

// Whether `original` (a committed command's result) is what `ctx` asks: true unless both carry fingerprints and
// they differ.
bool same_request(const CommandContext& ctx, const AppendResult& original);

// The refusal of a command id already used for a different request (422).
Rejection reused_command_id();

// The original result of ctx's command id when it was committed for the same request (same_request), if any.
std::optional<AppendResult> committed_result(EventLog& log, const CommandContext& ctx);

}  // namespace codd::engine

#pragma once
// What the commerce handlers share (private to api/*_routes.cpp): running on the command pool, waiting for
// the orders view (read-your-writes), ids and paging from the request, Idempotency-Key and If-Match, and
// the one mapping of an engine Rejection to a problem response.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>

#include "api/commerce.hpp"
#include "api/request_body.hpp"
#include "engine/aggregate.hpp"
#include "projections/orders_view.hpp"

namespace codd::api::commerce {

// A handler body: runs on the command pool and returns the response.
using Job = std::function<Response()>;

// Registers `handler` under every API root behind the RBAC table's rule; it runs on the command pool, with
// the caller. Commands and queries alike.
using Handler = std::function<Response(const Request&, const Authenticated&)>;
void add(Router& router, const Commerce& c, std::string_view method, std::string_view path, Handler handler);
// Runs `job` on the command pool and answers with what it returns; should it throw, with what failure_response
// says (Responder::fail).
void answer_on_workers(const Commerce& c, const Responder& respond, std::function<Response()> job);

// For queries: waits until the view has reached the request's min_position (query parameter or header),
// then runs `job`. 400 for a malformed position, 503 when the view does not reach it within view_wait.
Response read_after_min_position(const Commerce& c, const Request& r, const Job& job);

// The position a catalog or customer command must wait for: the log's head right after it returned (its
// services return the entity, not the position; the head is at or after the command's last event).
engine::GlobalPosition head_position(const Commerce& c);

// For commands: waits until the view has applied `position`, then answers `status` with `body()` (JSON text
// read from the view) and X-Codd-Position. When the view does not get there within view_wait, 202 with the
// position: the command is durable, the view is behind.
Response after_commit(const Commerce& c, engine::GlobalPosition position, int status,
                      const std::function<std::string()>& body);
// after_commit's answer once the wait is over (`applied`: the view got there in time); `body` is called only then.
Response view_answer(engine::GlobalPosition position, bool applied, int status,
                     const std::function<std::string()>& body);
// For bulk commands, whose per-item results do not come from the view: 200 with `results` once the view has
// applied `position`, else 202 with the same `results` (the client learns which items failed either way).
Response after_bulk_commit(const Commerce& c, engine::GlobalPosition position, std::string results);
// Called in a bulk command's handler of engine::StorageError: rethrows it (503 for the whole request) when
// nothing of the request was written yet, else returns the 503 problem to list for this item and the rest.
Response bulk_write_failure(const Request& r, bool wrote_any);

// Who asks (actor, request id) and, when the request has an Idempotency-Key, the command id that makes a
// retry return the original result, "idem:<user id>:<scope>:<key>", with the request's fingerprint (a hash of
// its query and body). A 400 for a malformed key; a 422 when the key was already used for a different request
// (reused_key).
// If-Match is read only by the commands on an order (order_command: `takes_if_match`); any other command with
// one is a 400, never a condition silently ignored (a client relying on it would lose updates).
std::variant<engine::CommandContext, Response> command_context(const Commerce& c, const Request& r,
                                                               const Authenticated& caller, std::string_view scope,
                                                               bool takes_if_match = false);
// The 422 of a key already used under `ctx`'s command id (plus `suffix`: a bulk request's rows each have
// their own) for a request with another fingerprint; nullopt otherwise.
std::optional<Response> reused_key(const Commerce& c, const engine::CommandContext& ctx, std::string_view suffix = {});
// If-Match: an order version ("3" or the ETag form "\"3\""); nullopt when absent; a Response for a
// malformed one.
std::variant<std::optional<std::int64_t>, Response> if_match(const Request& r);

// The numeric path parameter `name`, or nullopt (the handler answers 404: no such resource).
std::optional<std::int64_t> id_param(const Request& r, std::string_view name = "id");
// A whole number in [lo, hi]; nullopt for anything else.
std::optional<std::int64_t> parse_int(std::string_view s, std::int64_t lo, std::int64_t hi);
// A date "YYYY-MM-DD" (start of that day, or its last microsecond with end_of_day) or an ISO-8601 timestamp
// ("2026-11-25T10:00:00Z", fractional seconds and a ±hh:mm offset allowed), as microseconds since the epoch.
std::optional<std::int64_t> parse_time_us(std::string_view s, bool end_of_day);
// A time a command records (a delivery's schedule, an estimated delivery, an expense's date): as parse_time_us,
// after 1970-01-01T00:00:00Z, where the views' times begin, and within year 9999.
std::optional<std::int64_t> parse_recorded_time_us(std::string_view s);

// page (>= 1, default 1) and limit (1..max_limit, default default_limit); a field error otherwise.
std::variant<projections::Page, Response> read_page(const QueryParams& q, std::int64_t default_limit,
                                                    std::int64_t max_limit);
// Every value of `key` and of `key[]`, in order.
std::vector<std::string> query_values(const QueryParams& q, std::string_view key);

// startDate and endDate as "YYYY-MM-DD" (endDate: to the end of that day) or ISO-8601 timestamps; a field
// error for either that is neither, and for an end before the start.
struct DateRange {
    std::optional<std::int64_t> from_us, to_us;
};
DateRange read_date_range(const QueryParams& q, std::vector<FieldError>& errors);

// {"<key>": items, "pagination": {...}} from a PageResult.
std::string page_json(std::string_view key, const projections::PageResult& page);
// A JSON response whose body is already serialized.
Response json_text(int status, std::string body);
// {"<key>": <value text>}
std::string wrap(std::string_view key, const std::string& value_json);

Response rejection(const engine::Rejection& r);
// An amount as the API answers it: a JSON number in major units (4050 minor units are 40.5).
[[nodiscard]] inline double major(engine::Money m) {
    return static_cast<double>(m.minor) / 100.0;
}
Response not_found(std::string_view what);

// A command on the `:id` order (or its delivery): the order within the caller's scope, the JSON body, the
// command context (an Idempotency-Key is scoped to the method and the path below the API root, so it names
// the order), and If-Match. `what` names the resource in a 404 ("order", "delivery").
struct OrderCommand {
    std::int64_t id = 0;
    boost::json::object body;
    engine::CommandContext ctx;
    std::optional<std::int64_t> if_match;
};
std::variant<OrderCommand, Response> order_command(const Commerce& c, const Request& r, const Authenticated& caller,
                                                   std::string_view what, bool body_optional = false);

// 404 when the order does not exist, 403 when it is outside the caller's scope (sales reps and delivery
// agents: their own orders only); nullopt when the caller may see it.
std::optional<Response> check_order_scope(const Commerce& c, const Authenticated& caller, std::int64_t order_id);

}  // namespace codd::api::commerce

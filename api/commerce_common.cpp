#include "api/commerce_common.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/problem.hpp"
#include "api/rbac.hpp"
#include "api/user_json.hpp"
#include "engine/envelope.hpp"
#include "engine/event_log.hpp"
#include "engine/json_codec.hpp"
#include "engine/text.hpp"
#include "projections/runner.hpp"

namespace codd::api {

std::shared_ptr<const void> KeysInFlight::claim(const std::string& command_id) {
    std::lock_guard lock(mu_);
    if (!held_.insert(command_id).second) return nullptr;
    return std::shared_ptr<const void>(this, [this, command_id](const void*) {
        std::lock_guard released(mu_);
        held_.erase(command_id);
    });
}

}  // namespace codd::api

namespace codd::api::commerce {
namespace {

// The text of `v` with every object's members sorted by key and a number written by its value (2.0 as 2), so
// that JSON spelled differently (member order, spacing, escapes, exponents) gives the same text.
void append_canonical(std::string& out, const boost::json::value& v) {
    namespace json = boost::json;
    switch (v.kind()) {
        case json::kind::object: {
            std::vector<const json::key_value_pair*> members;
            for (const auto& kv : v.get_object()) members.push_back(&kv);
            std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->key() < b->key(); });
            out += '{';
            for (std::size_t i = 0; i < members.size(); ++i) {
                const auto* kv = members[i];
                if (i > 0) out += ',';
                out += json::serialize(json::string_view(kv->key()));
                out += ':';
                append_canonical(out, kv->value());
            }
            out += '}';
            return;
        }
        case json::kind::array:
            out += '[';
            for (std::size_t i = 0; i < v.get_array().size(); ++i) {
                if (i > 0) out += ',';
                append_canonical(out, v.get_array()[i]);
            }
            out += ']';
            return;
        case json::kind::double_: {
            const double d = v.get_double();
            constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
            if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < kExactIntegers) {
                out += std::to_string(static_cast<std::int64_t>(d));
                return;
            }
            out += json::serialize(v);
            return;
        }
        default:
            out += json::serialize(v);
            return;
    }
}

// What a request asks beyond its path (the scope of its key): its query and its body, a JSON body in its
// canonical text (append_canonical), anything else as sent.
std::string asked_of(const Request& r) {
    std::string asked = r.query;
    asked += '\n';
    boost::json::error_code ec;
    const auto body = r.body.empty() ? boost::json::value() : boost::json::parse(r.body, ec);
    if (r.body.empty() || ec) {
        asked += r.body;
    } else {
        append_canonical(asked, body);
    }
    return asked;
}

bool all_digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// A fixed-width run of digits at `pos`, or -1.
std::int64_t digits_at(std::string_view s, std::size_t pos, std::size_t width) {
    if (pos + width > s.size()) return -1;
    std::int64_t v = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

constexpr std::int64_t kUsPerSecond = 1'000'000;
constexpr std::int64_t kUsPerDay = 86'400 * kUsPerSecond;

}  // namespace

void add(Router& router, const Commerce& c, std::string_view method, std::string_view path, Handler handler) {
    auto shared = std::make_shared<Handler>(std::move(handler));
    add_guarded(router, c.identity, method, path,
                [&c, shared](Request request, Responder respond, std::optional<Authenticated> caller) {
                    answer_on_workers(c, respond, [shared, request = std::move(request), caller = std::move(caller)] {
                        return (*shared)(request, *caller);
                    });
                });
}

void answer_on_workers(const Commerce& c, const Responder& respond, std::function<Response()> job) {
    c.workers.post([respond, job = std::move(job)] {
        try {
            respond(job());
        } catch (...) {
            respond.fail(std::current_exception());
        }
    });
}

Response read_after_min_position(const Commerce& c, const Request& r, const Job& job) {
    // The query parameter and the header may both be given: each must be a position, and the larger one counts.
    std::optional<std::int64_t> wanted;
    std::vector<std::string> texts;
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();  // also on routes that take no other parameter: never skip a wait silently
    if (auto v = query_value(*q, "min_position")) texts.push_back(std::move(*v));
    if (const auto h = r.header(kMinPositionHeader)) texts.emplace_back(*h);
    for (const std::string& text : texts) {
        const auto p = parse_int(text, 0, std::numeric_limits<std::int64_t>::max());
        if (!p) return validation_problem({{"min_position", "min_position must be a log position (a whole number)"}});
        wanted = std::max(wanted.value_or(0), *p);
    }
    if (wanted) {
        const engine::GlobalPosition want{static_cast<std::uint64_t>(*wanted)};
        // Every position a command answered with is at or below the log's head: one beyond it names nothing
        // written, and waiting for it would only hold the request for the whole wait.
        if (const auto head = c.log.head(); want > head) {
            return validation_problem(
                {{"min_position",
                  fmt::format("min_position {} is beyond the log's last position ({})", *wanted, head.value())}});
        }
        if (!c.view.wait_for(want, c.view_wait)) {
            Response busy =
                problem_response({ProblemType::unavailable,
                                  fmt::format("the orders view has not reached position {} within {} ms (it is at {})",
                                              *wanted, c.view_wait.count(), c.view.position().value()),
                                  "The data is still being updated; retry shortly.",
                                  {}});
            busy.headers.push_back({"Retry-After", "1"});
            return busy;
        }
    }
    return job();
}

engine::GlobalPosition head_position(const Commerce& c) {
    return c.log.head();
}

Response after_commit(const Commerce& c, engine::GlobalPosition position, int status,
                      const std::function<std::string()>& body) {
    return view_answer(position, c.view.wait_for(position, c.view_wait), status, body);
}

Response view_answer(engine::GlobalPosition position, bool applied, int status,
                     const std::function<std::string()>& body) {
    const std::string pos = std::to_string(position.value());
    if (!applied) {
        Response accepted = json_text(
            202,
            fmt::format(
                R"({{"message":"Accepted: the change is durable; the orders view has not applied it yet","position":{}}})",
                pos));
        accepted.headers.push_back({std::string(kPositionHeader), pos});
        return accepted;
    }
    Response out = json_text(status, body());
    out.headers.push_back({std::string(kPositionHeader), pos});
    return out;
}

Response after_bulk_commit(const Commerce& c, engine::GlobalPosition position, std::string results) {
    Response out = json_text(c.view.wait_for(position, c.view_wait) ? 200 : 202, std::move(results));
    out.headers.push_back({std::string(kPositionHeader), std::to_string(position.value())});
    return out;
}

Response bulk_write_failure(const Request& r, bool wrote_any) {
    if (!wrote_any) throw;
    return failure_response(r.request_id, r.method, r.path, std::current_exception());
}

std::optional<Response> reused_key(const Commerce& c, const engine::CommandContext& ctx, std::string_view suffix) {
    if (ctx.command_id.empty()) return std::nullopt;
    const auto original = c.log.command_result(ctx.command_id + std::string(suffix), std::chrono::milliseconds(0));
    if (!original || engine::same_request(ctx, *original)) return std::nullopt;
    return rejection(engine::reused_command_id());
}

std::variant<engine::CommandContext, Response> command_context(const Commerce& c, const Request& r,
                                                               const Authenticated& caller, std::string_view scope,
                                                               bool takes_if_match) {
    if (!takes_if_match && r.header("If-Match")) return if_match_unsupported();
    engine::CommandContext ctx;
    ctx.metadata = event_metadata(r, &caller.user);
    if (const auto key = r.header("Idempotency-Key")) {
        const bool printable = std::all_of(key->begin(), key->end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
        if (key->empty() || key->size() > 200 || !printable) {
            return bad_request("Idempotency-Key must be 1 to 200 visible ASCII characters",
                               "Invalid Idempotency-Key header");
        }
        ctx.command_id = fmt::format("idem:{}:{}:{}", caller.user.id, scope, *key);
        // SHA-256 (the log's chain hash from a zero link) of what the request asks beyond its path (the scope).
        ctx.fingerprint = engine::codec::to_hex(engine::codec::chain_hash(engine::Hash{}, asked_of(r))).substr(0, 32);
        ctx.hold = c.keys_in_flight.claim(ctx.command_id);
        if (!ctx.hold) {
            Response busy = problem_response(
                {ProblemType::conflict,
                 "a request with this Idempotency-Key is still being processed; retry once it has answered",
                 "A request with this Idempotency-Key is in progress",
                 {}});
            busy.headers.push_back({"Retry-After", "1"});
            return busy;
        }
        if (auto reused = reused_key(c, ctx)) return std::move(*reused);
    }
    return ctx;
}

std::variant<std::optional<std::int64_t>, Response> if_match(const Request& r) {
    const auto h = r.header("If-Match");
    if (!h) return std::optional<std::int64_t>{};
    const std::string trimmed = engine::text::trim(*h);
    std::string_view v = trimmed;
    // "*" matches any current version (RFC 9110 §13.1.1): the order must exist, which every command checks.
    if (v == "*") return std::optional<std::int64_t>{};
    // A weak tag is read as the version too: proxies that compress answers weaken the ETags they pass on.
    if (v.starts_with("W/")) v.remove_prefix(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    const auto version = parse_int(v, 0, std::numeric_limits<std::int64_t>::max());
    if (!version) return bad_request("If-Match must be the order's version, e.g. \"3\"", "Invalid If-Match header");
    return version;
}

std::optional<std::int64_t> id_param(const Request& r, std::string_view name) {
    const auto text = r.param(name);
    if (!text) return std::nullopt;
    return parse_int(*text, 1, std::numeric_limits<std::int64_t>::max());
}

std::optional<std::int64_t> parse_int(std::string_view s, std::int64_t lo, std::int64_t hi) {
    if (!all_digits(s.starts_with('-') ? s.substr(1) : s)) return std::nullopt;
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
    return v;
}

std::optional<std::int64_t> parse_time_us(std::string_view s, bool end_of_day) {
    const std::int64_t y = digits_at(s, 0, 4), mo = digits_at(s, 5, 2), d = digits_at(s, 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    if (d > days_in_month(y, static_cast<unsigned>(mo))) return std::nullopt;
    const std::int64_t day_us = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kUsPerDay;
    if (s.size() == 10) return end_of_day ? day_us + kUsPerDay - 1 : day_us;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
    const std::int64_t h = digits_at(s, 11, 2), mi = digits_at(s, 14, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || s.size() < 16 || s[13] != ':') return std::nullopt;
    std::size_t pos = 16;
    std::int64_t sec = 0, frac_us = 0;
    if (pos < s.size() && s[pos] == ':') {
        sec = digits_at(s, pos + 1, 2);
        if (sec < 0 || sec > 60) return std::nullopt;
        pos += 3;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            std::int64_t scale = 100'000;
            const std::size_t start = pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                frac_us += (s[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
            if (pos == start) return std::nullopt;
        }
    }
    std::int64_t offset_s = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-' || s[pos] == ' ')) {
        // ' ' is a '+' a client left unescaped in a query string, where it decodes as a space.
        const std::int64_t oh = digits_at(s, pos + 1, 2), om = digits_at(s, pos + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59 || s[pos + 3] != ':') return std::nullopt;
        offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    }
    if (pos != s.size()) return std::nullopt;
    return day_us + (h * 3600 + mi * 60 + sec - offset_s) * kUsPerSecond + frac_us;
}

std::optional<std::int64_t> parse_recorded_time_us(std::string_view s) {
    // Up to 9999-12-31T23:59:59.999999Z: a later instant (that day with a negative offset) has no 4-digit year.
    constexpr std::int64_t kLastUs = 253'402'300'799'999'999;
    const auto t = parse_time_us(s, false);
    if (!t || *t <= 0 || *t > kLastUs) return std::nullopt;
    return t;
}

DateRange read_date_range(const QueryParams& q, std::vector<FieldError>& errors) {
    DateRange out;
    auto read = [&](std::string_view key, bool end_of_day, std::optional<std::int64_t>& into) {
        const auto v = query_value(q, key);
        if (!v || v->empty()) return;
        into = parse_time_us(*v, end_of_day);
        if (!into) {
            errors.push_back({std::string(key), std::string(key) + " must be a date (YYYY-MM-DD) or an ISO-8601 time"});
        }
    };
    read("startDate", false, out.from_us);
    read("endDate", true, out.to_us);
    if (out.from_us && out.to_us && *out.from_us > *out.to_us) {
        errors.push_back({"endDate", "endDate must not be before startDate"});
    }
    return out;
}

std::variant<projections::Page, Response> read_page(const QueryParams& q, std::int64_t default_limit,
                                                    std::int64_t max_limit) {
    projections::Page p{1, default_limit};
    std::vector<FieldError> errors;
    if (const auto v = query_value(q, "page")) {
        if (const auto n = parse_int(*v, 1, 1'000'000'000)) {
            p.page = *n;
        } else {
            errors.push_back({"page", "page must be a whole number from 1"});
        }
    }
    if (const auto v = query_value(q, "limit")) {
        if (const auto n = parse_int(*v, 1, max_limit)) {
            p.limit = *n;
        } else {
            errors.push_back({"limit", fmt::format("limit must be a whole number from 1 to {}", max_limit)});
        }
    }
    if (!errors.empty()) return validation_problem(std::move(errors));
    return p;
}

std::vector<std::string> query_values(const QueryParams& q, std::string_view key) {
    std::vector<std::string> out;
    for (const auto& [k, v] : q) {
        if (k == key || (k.size() == key.size() + 2 && k.starts_with(key) && k.ends_with("[]"))) out.push_back(v);
    }
    return out;
}

std::string page_json(std::string_view key, const projections::PageResult& page) {
    const projections::Pagination& p = page.pagination;
    return fmt::format(R"({{"{}":{},"pagination":{{"page":{},"limit":{},"total":{},"pages":{}}}}})", key,
                       page.items_json, p.page, p.limit, p.total, p.pages);
}

Response json_text(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

std::string wrap(std::string_view key, const std::string& value_json) {
    return fmt::format(R"({{"{}":{}}})", key, value_json);
}

Response rejection(const engine::Rejection& r) {
    Response out = rejection_response(r);
    if (r.details.empty()) return out;
    // Named numbers a client acts on (e.g. productId, available, requested for insufficient stock) join the
    // problem object as members of their own; amounts in major units, as everywhere in the API.
    if (!out.body.empty() && out.body.back() == '}') {
        out.body.pop_back();
        for (const auto& d : r.details) {
            out.body += fmt::format(R"(,"{}":)", d.name);
            if (d.money) {
                out.body += engine::json::serialize(boost::json::value(major(engine::Money{d.value})));
            } else {
                out.body += std::to_string(d.value);
            }
        }
        out.body += '}';
    }
    return out;
}

Response not_found(std::string_view what) {
    return problem_response(
        {ProblemType::not_found,
         fmt::format("No {} with this id.", what),
         fmt::format("{}{} not found", static_cast<char>(std::toupper(what.front())), what.substr(1)),
         {}});
}

std::variant<OrderCommand, Response> order_command(const Commerce& c, const Request& r, const Authenticated& caller,
                                                   std::string_view what, bool body_optional) {
    const auto id = id_param(r);
    if (!id) return not_found(what);
    if (auto denied = check_order_scope(c, caller, *id)) return std::move(*denied);
    auto body = json_object_body(r, body_optional);
    if (auto* resp = std::get_if<Response>(&body)) return std::move(*resp);
    auto expected = if_match(r);
    if (auto* resp = std::get_if<Response>(&expected)) return std::move(*resp);
    std::string_view below_root = r.path;
    for (const std::string_view root : kApiRoots) {
        if (below_root.starts_with(root) && below_root.substr(root.size()).starts_with('/')) {
            below_root.remove_prefix(root.size());
            break;
        }
    }
    auto ctx = command_context(c, r, caller, fmt::format("{} {}", r.method, below_root), true);
    if (auto* resp = std::get_if<Response>(&ctx)) return std::move(*resp);
    return OrderCommand{*id, std::move(std::get<boost::json::object>(body)),
                        std::move(std::get<engine::CommandContext>(ctx)),
                        std::get<std::optional<std::int64_t>>(expected)};
}

std::optional<Response> check_order_scope(const Commerce& c, const Authenticated& caller, std::int64_t order_id) {
    const auto ref = c.queries.order_ref(order_id);
    if (!ref) return not_found("order");
    if (!in_scope(caller.caller(), ref->customer_rep_id, ref->delivery_agent_id)) {
        return forbidden("This order is not assigned to you", "order assigned to the caller");
    }
    return std::nullopt;
}

}  // namespace codd::api::commerce

// /deliveries (reference §2 deliveries, §7): one delivery per order, addressed by the order id. The replaced
// system checked no role here and no route created a delivery; in codd a delivery is the order's delivery
// state, its commands are OrderService commands, and delivery agents act only on their own orders.
#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "api/commerce_common.hpp"
#include "api/order_json_input.hpp"
#include "api/user_json.hpp"
#include "engine/orders/order_service.hpp"
#include "projections/orders_view.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace orders = engine::orders;
using namespace commerce;

// The statuses an order has while it is a delivery to plan or make.
const std::vector<std::string> kOpenDeliveryStatuses = {"ready_for_pickup", "out_for_delivery", "failed_delivery"};

Response delivery_answer(const Commerce& c, const engine::Result<orders::Committed<orders::Order>>& result,
                         std::string_view message) {
    if (const auto* rej = std::get_if<engine::Rejection>(&result)) return order_rejection(*rej);
    const auto& done = std::get<orders::Committed<orders::Order>>(result);
    const std::int64_t id = done.value.id;
    Response r = after_commit(c, done.position, 200, [&c, id, message] {
        return fmt::format(R"({{"message":"{}","order":{}}})", message, c.queries.order_json(id).value_or("null"));
    });
    // The order's version, as every order command answers it: what If-Match takes back.
    if (r.status == 200) r.headers.push_back({"ETag", fmt::format("\"{}\"", done.value.version)});
    return r;
}

// The agent a list is about: the caller when a delivery agent (their own only), else `agentId` if given.
std::variant<std::optional<std::int64_t>, Response> listed_agent(const QueryParams& q, const Request& r,
                                                                 const Authenticated& caller) {
    if (order_scope(caller.caller()) == Scope::own_as_agent) return std::optional<std::int64_t>{caller.user.id};
    if (const auto p = r.param("agentId")) {
        const auto id = parse_int(*p, 1, std::numeric_limits<std::int64_t>::max());
        if (!id) return validation_problem({{"agentId", "agentId must be a user id"}});
        return std::optional<std::int64_t>{id};
    }
    if (const auto v = query_value(q, "agentId")) {
        const auto id = parse_int(*v, 1, std::numeric_limits<std::int64_t>::max());
        if (!id) return validation_problem({{"agentId", "agentId must be a user id"}});
        return std::optional<std::int64_t>{id};
    }
    return std::optional<std::int64_t>{};
}

// GET /deliveries (agentId, page, limit) and GET /deliveries/routes/:agentId (date: the deliveries scheduled
// that UTC day): orders to deliver, by their scheduled time (unscheduled last).
Response list(const Commerce& c, const Request& r, const Authenticated& caller, bool route) {
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();
    auto agent = listed_agent(*q, r, caller);
    if (auto* resp = std::get_if<Response>(&agent)) return std::move(*resp);
    projections::OrderFilter f;
    f.delivery_agent_id = std::get<std::optional<std::int64_t>>(agent);
    if (order_scope(caller.caller()) == Scope::own_as_rep) f.customer_rep_id = caller.user.id;
    f.statuses = kOpenDeliveryStatuses;
    f.sort = projections::OrderSort::scheduled_asc;
    if (const auto v = query_value(*q, "date"); route && v && !v->empty()) {
        const auto from = v->size() == 10 ? parse_time_us(*v, false) : std::nullopt;
        const auto to = from ? parse_time_us(*v, true) : std::nullopt;
        if (!from || !to) return validation_problem({{"date", "date must be a day, YYYY-MM-DD"}});
        f.scheduled_from_us = *from;
        f.scheduled_to_us = *to + 1;
    }
    auto page = read_page(*q, route ? 100 : 50, 100);
    if (auto* resp = std::get_if<Response>(&page)) return std::move(*resp);
    return read_after_min_position(c, r, [&] {
        return json_text(200, page_json(route ? "route" : "deliveries",
                                        c.queries.list_orders(f, std::get<projections::Page>(page))));
    });
}

Response detail(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("delivery");
    return read_after_min_position(c, r, [&] {
        if (auto denied = check_order_scope(c, caller, *id)) return std::move(*denied);
        const auto order = c.queries.order_json(*id);
        if (!order) return not_found("delivery");
        return json_text(200, wrap("delivery", *order));
    });
}

// {proofType, proofData, proofImageUrl, recipientName, recipientPhone}; nullopt when no proofType is given.
std::optional<orders::DeliveryProof> read_proof(FieldReader& in, bool required) {
    const auto type_text = in.text("proofType");
    orders::DeliveryProof p;
    p.data = in.text("proofData").value_or("");
    p.image_url = in.text("proofImageUrl").value_or("");
    p.recipient_name = in.text("recipientName").value_or("");
    p.recipient_phone = in.text("recipientPhone").value_or("");
    if (!type_text) {
        if (required) in.errors().push_back({"proofType", "proofType is required: signature, photo or otp"});
        return std::nullopt;
    }
    const auto type = orders::parse_proof_type(*type_text);
    if (!type) {
        in.errors().push_back({"proofType", "proofType must be signature, photo or otp"});
        return std::nullopt;
    }
    p.type = *type;
    return p;
}

std::optional<std::int64_t> read_time(FieldReader& in, std::string_view key) {
    const auto text = in.text(key);
    if (!text) return std::nullopt;
    const auto t = parse_recorded_time_us(*text);
    if (!t) {
        in.errors().push_back(
            {std::string(key),
             std::string(key) + " must be a date or an ISO-8601 time after 1970-01-01T00:00:00Z, within year 9999"});
    }
    return t;
}

Response schedule(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto p = order_command(c, r, caller, "delivery");
    if (auto* resp = std::get_if<Response>(&p)) return std::move(*resp);
    const auto& cmd = std::get<OrderCommand>(p);
    FieldReader in(cmd.body);
    const auto at = read_time(in, "scheduledAt");
    const std::string notes = in.text("notes").value_or("");
    if (in.ok() && !at) in.errors().push_back({"scheduledAt", "scheduledAt is required"});
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    return delivery_answer(c, c.orders.schedule_delivery(cmd.id, *at, notes, cmd.ctx, cmd.if_match),
                           "Delivery scheduled");
}

Response attempt(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto p = order_command(c, r, caller, "delivery", true);
    if (auto* resp = std::get_if<Response>(&p)) return std::move(*resp);
    const auto& cmd = std::get<OrderCommand>(p);
    FieldReader in(cmd.body);
    const std::string notes = in.text("notes").value_or("");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    return delivery_answer(c, c.orders.record_attempt(cmd.id, notes, cmd.ctx, cmd.if_match),
                           "Delivery attempt recorded");
}

Response proof(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto p = order_command(c, r, caller, "delivery");
    if (auto* resp = std::get_if<Response>(&p)) return std::move(*resp);
    const auto& cmd = std::get<OrderCommand>(p);
    FieldReader in(cmd.body);
    const auto pr = read_proof(in, true);
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    return delivery_answer(c, c.orders.record_proof(cmd.id, *pr, cmd.ctx, cmd.if_match), "Proof of delivery recorded");
}

Response complete(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto p = order_command(c, r, caller, "delivery", true);
    if (auto* resp = std::get_if<Response>(&p)) return std::move(*resp);
    const auto& cmd = std::get<OrderCommand>(p);
    FieldReader in(cmd.body);
    orders::DeliveryCompletion d;
    if (const auto amount = in.money("codAmount")) d.cod_amount = engine::Money{*amount};
    d.may_change_amount = caller.user.role != engine::users::Role::delivery_agent;
    d.proof = read_proof(in, false);
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    return delivery_answer(c, c.orders.complete_delivery(cmd.id, d, cmd.ctx, cmd.if_match), "Delivery completed");
}

Response fail(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto p = order_command(c, r, caller, "delivery");
    if (auto* resp = std::get_if<Response>(&p)) return std::move(*resp);
    const auto& cmd = std::get<OrderCommand>(p);
    FieldReader in(cmd.body);
    const std::string reason = in.required_text("reason");
    const auto reschedule = read_time(in, "rescheduleAt");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    return delivery_answer(c, c.orders.fail_delivery(cmd.id, reason, reschedule, cmd.ctx, cmd.if_match),
                           "Delivery failure recorded");
}

// Return to sender: a package out for delivery, failed or delivered goes back to the warehouse (restocked),
// with the reason.
Response return_to_sender(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto p = order_command(c, r, caller, "delivery");
    if (auto* resp = std::get_if<Response>(&p)) return std::move(*resp);
    const auto& cmd = std::get<OrderCommand>(p);
    FieldReader in(cmd.body);
    const std::string reason = in.required_text("reason");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    return delivery_answer(c, c.orders.return_order(cmd.id, reason, cmd.ctx, cmd.if_match), "Order returned");
}

}  // namespace

void add_delivery_routes(Router& router, const Commerce& c) {
    add(router, c, "GET", "/deliveries",
        [&c](const Request& r, const Authenticated& a) { return list(c, r, a, false); });
    add(router, c, "GET", "/deliveries/routes/:agentId",
        [&c](const Request& r, const Authenticated& a) { return list(c, r, a, true); });
    add(router, c, "GET", "/deliveries/:id",
        [&c](const Request& r, const Authenticated& a) { return detail(c, r, a); });
    add(router, c, "PATCH", "/deliveries/:id/schedule",
        [&c](const Request& r, const Authenticated& a) { return schedule(c, r, a); });
    add(router, c, "POST", "/deliveries/:id/attempts",
        [&c](const Request& r, const Authenticated& a) { return attempt(c, r, a); });
    add(router, c, "PATCH", "/deliveries/:id/proof",
        [&c](const Request& r, const Authenticated& a) { return proof(c, r, a); });
    add(router, c, "PATCH", "/deliveries/:id/complete",
        [&c](const Request& r, const Authenticated& a) { return complete(c, r, a); });
    add(router, c, "PATCH", "/deliveries/:id/fail",
        [&c](const Request& r, const Authenticated& a) { return fail(c, r, a); });
    add(router, c, "PATCH", "/deliveries/:id/return",
        [&c](const Request& r, const Authenticated& a) { return return_to_sender(c, r, a); });
}

}  // namespace codd::api

// /orders (reference §2 orders, §14 rows 7-12): commands through OrderService, reads from the orders view.
// Sales reps and delivery agents see and change only the orders assigned to them: lists are filtered to
// them, single reads and writes of another's order are 403. Creates honour Idempotency-Key; updates and
// status changes honour If-Match with the order's version.
#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/commerce_common.hpp"
#include "api/order_json_input.hpp"
#include "api/rbac.hpp"
#include "api/user_json.hpp"
#include "engine/customers/customer_service.hpp"
#include "engine/customers/validation.hpp"
#include "engine/event_log.hpp"
#include "engine/json_codec.hpp"
#include "engine/orders/order_service.hpp"
#include "projections/order_summary.hpp"
#include "projections/orders_view.hpp"
#include "projections/runner.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace orders = engine::orders;
using engine::users::Role;
using namespace commerce;

// Admin roles may move an order outside the status map, with a reason (DESIGN §4).
bool may_force(const Authenticated& caller) {
    return caller.user.role == Role::super_admin || caller.user.role == Role::admin;
}

std::string order_message(std::string_view message, std::string_view order_json) {
    return fmt::format(R"({{"message":{},"order":{}}})", engine::json::serialize(json::string(message)), order_json);
}

// The answer to an order command once the view's wait is over: ETag with the order's version when it has the order.
Response order_view_answer(engine::GlobalPosition position, bool applied, int status, std::int64_t version,
                           const std::function<std::string()>& body) {
    Response r = view_answer(position, applied, status, body);
    if (r.status == status) r.headers.push_back({"ETag", fmt::format("\"{}\"", version)});
    return r;
}

// The order as the view has it, after `position`, as {"message", "order"}; with its version as the ETag. A
// create passes what it `decided` with: the view's JSON of the order is then rendered from that
// (projections/order_summary.hpp) instead of read back, once the view has applied it all the same.
Response order_answer(const Commerce& c, const orders::Committed<orders::Order>& done, int status,
                      std::string_view message, const orders::CreatedOrder::Decided* decided = nullptr) {
    return order_view_answer(done.position, c.view.wait_for(done.position, c.view_wait), status, done.value.version,
                             [&c, &done, message, decided] {
                                 auto order =
                                     decided ? projections::order_summary_json(done.value, *decided) : std::nullopt;
                                 if (!order) order = c.queries.order_summary_json(done.value.id);
                                 return order_message(message, order.value_or("null"));
                             });
}

Response order_result(const Commerce& c, const engine::Result<orders::Committed<orders::Order>>& result, int status,
                      std::string_view message) {
    if (const auto* rej = std::get_if<engine::Rejection>(&result)) return order_rejection(*rej);
    return order_answer(c, std::get<orders::Committed<orders::Order>>(result), status, message);
}

// ---- queries ----

// The list filter from the query string, with the caller's scope applied on top.
std::variant<projections::OrderFilter, Response> read_filter(const QueryParams& q, const Authenticated& caller) {
    projections::OrderFilter f;
    std::vector<FieldError> errors;
    for (std::string& s : query_values(q, "status")) {
        // "a,b" is accepted too: some clients join arrays.
        std::size_t start = 0;
        while (start <= s.size()) {
            const std::size_t comma = std::min(s.find(',', start), s.size());
            const std::string one = s.substr(start, comma - start);
            if (!one.empty()) {
                if (orders::parse_order_status(one)) {
                    f.statuses.push_back(one);
                } else {
                    errors.push_back({"status", fmt::format("unknown status '{}'", one.substr(0, 64))});
                }
            }
            start = comma + 1;
        }
    }
    const auto id_filter = [&](std::string_view key, std::optional<std::int64_t>& out) {
        if (const auto v = query_value(q, key)) {
            out = parse_int(*v, 1, std::numeric_limits<std::int64_t>::max());
            if (!out) errors.push_back({std::string(key), std::string(key) + " must be a positive whole number"});
        }
    };
    id_filter("customerId", f.customer_id);
    id_filter("customerRepId", f.customer_rep_id);
    id_filter("deliveryAgentId", f.delivery_agent_id);
    if (!f.delivery_agent_id) id_filter("agentId", f.delivery_agent_id);
    if (const auto v = query_value(q, "area"); v && !v->empty()) f.area = *v;
    if (const auto v = query_value(q, "paymentStatus"); v && !v->empty()) {
        if (orders::parse_payment_status(*v)) {
            f.payment_status = *v;
        } else {
            errors.push_back({"paymentStatus", "paymentStatus must be pending, collected, deposited or reconciled"});
        }
    }
    const DateRange range = read_date_range(q, errors);
    f.created_from_us = range.from_us;
    f.created_to_us = range.to_us;
    if (const auto v = query_value(q, "search")) {
        std::string s = *v;
        const auto first = s.find_first_not_of(" \t");
        s = first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(" \t") - first + 1);
        if (!s.empty()) f.search = std::move(s);
    }
    const std::string sort_by = query_value(q, "sortBy").value_or("createdAt");
    const std::string order = query_value(q, "sortOrder").value_or("desc");
    if (order != "asc" && order != "desc") errors.push_back({"sortOrder", "sortOrder must be asc or desc"});
    using S = projections::OrderSort;
    if (sort_by == "createdAt") {
        f.sort = order == "asc" ? S::created_asc : S::created_desc;
    } else if (sort_by == "totalAmount") {
        f.sort = order == "asc" ? S::total_asc : S::total_desc;
    } else if (sort_by == "priority" && order == "desc") {
        f.sort = S::priority_desc;
    } else if (sort_by == "updatedAt" && order == "desc") {
        f.sort = S::updated_desc;
    } else {
        errors.push_back(
            {"sortBy", "sortBy must be createdAt or totalAmount (asc or desc), priority or updatedAt (desc)"});
    }
    if (!errors.empty()) return validation_problem(std::move(errors));
    const OwnOrders own = own_orders(caller.caller());
    if (own.rep) f.customer_rep_id = own.rep;
    if (own.agent) f.delivery_agent_id = own.agent;
    return f;
}

std::variant<std::pair<QueryParams, projections::OrderFilter>, Response> read_list_request(
    const Request& r, const Authenticated& caller) {
    auto q = parse_query(r.query);
    if (!q) return malformed_query();
    auto f = read_filter(*q, caller);
    if (auto* resp = std::get_if<Response>(&f)) return std::move(*resp);
    return std::make_pair(std::move(*q), std::move(std::get<projections::OrderFilter>(f)));
}

Response list(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto req = read_list_request(r, caller);
    if (auto* resp = std::get_if<Response>(&req)) return std::move(*resp);
    auto& [q, filter] = std::get<0>(req);
    auto page = read_page(q, 50, 100);
    if (auto* resp = std::get_if<Response>(&page)) return std::move(*resp);
    return read_after_min_position(c, r, [&] {
        return json_text(200, page_json("orders", c.queries.list_orders(filter, std::get<projections::Page>(page))));
    });
}

Response kanban(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto req = read_list_request(r, caller);
    if (auto* resp = std::get_if<Response>(&req)) return std::move(*resp);
    auto& [q, filter] = std::get<0>(req);
    std::int64_t per_status = 100;
    if (const auto v = query_value(q, "perStatus")) {
        const auto n = parse_int(*v, 1, 500);
        if (!n) return validation_problem({{"perStatus", "perStatus must be a whole number from 1 to 500"}});
        per_status = *n;
    }
    // Every column is on the board; `status` fills only those, and `sortBy`/`sortOrder` order each (else priority
    // desc).
    const bool sorted = query_value(q, "sortBy") || query_value(q, "sortOrder");  // as the list reads them
    const auto sort = sorted ? filter.sort : projections::OrderSort::priority_desc;
    return read_after_min_position(
        c, r, [&] { return json_text(200, wrap("kanban", c.queries.kanban_json(filter, per_status, sort))); });
}

Response stats(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto req = read_list_request(r, caller);
    if (auto* resp = std::get_if<Response>(&req)) return std::move(*resp);
    const auto& filter = std::get<0>(req).second;
    return read_after_min_position(c, r, [&] { return json_text(200, wrap("stats", c.queries.stats_json(filter))); });
}

Response detail(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("order");
    return read_after_min_position(c, r, [&] {
        if (auto denied = check_order_scope(c, caller, *id)) return std::move(*denied);
        const auto order = c.queries.order_detail(*id);
        if (!order) return not_found("order");
        // The version as the ETag, as command answers carry it: what If-Match takes back.
        Response out = json_text(200, wrap("order", order->json));
        out.headers.push_back({"ETag", fmt::format("\"{}\"", order->version)});
        return out;
    });
}

Response history(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("order");
    return read_after_min_position(c, r, [&] {
        if (auto denied = check_order_scope(c, caller, *id)) return std::move(*denied);
        const auto h = c.queries.history_json(*id);
        if (!h) return not_found("order");
        return json_text(200, fmt::format(R"({{"orderId":{},"history":{}}})", *id, *h));
    });
}

// ---- commands ----

// Who creates: the caller, and a sales rep's own orders are the ones assigned to them, so what they create is theirs.
void stamp_creator(orders::NewOrder& o, const Authenticated& caller) {
    o.created_by = caller.user.id;
    if (caller.user.role == Role::sales_rep) o.customer_rep_id = caller.user.id;
}

// A create that repeats an earlier one (same Idempotency-Key or externalOrderId) answers with that order, but only to
// its creator or a caller who may see it: another rep's order with the same externalOrderId is a conflict, not a read
// of it.
std::optional<Response> repeat_out_of_scope(const orders::CreatedOrder& done, const Authenticated& caller) {
    const orders::Order& o = done.order.value;
    if (!done.repeated || o.created_by == caller.user.id ||
        in_scope(caller.caller(), o.customer_rep_id, o.delivery_agent_id)) {
        return std::nullopt;
    }
    return order_rejection(engine::conflict(
        "this create repeats an existing order (same externalOrderId or Idempotency-Key) that is not assigned to you",
        "externalOrderId"));
}

constexpr std::string_view kCreated = "Order created successfully";

// A create read and checked, blocking until the view has applied it (a command thread's).
Response create_order(const Commerce& c, const orders::NewOrder& o, const engine::CommandContext& ctx,
                      const Authenticated& caller) {
    auto created = c.orders.create(o, ctx);
    if (const auto* rej = std::get_if<engine::Rejection>(&created)) return order_rejection(*rej);
    const auto& done = std::get<orders::CreatedOrder>(created);
    if (auto refused = repeat_out_of_scope(done, caller)) return std::move(*refused);
    return order_answer(c, done.order, 201, kCreated, done.decided ? &*done.decided : nullptr);
}

// The request's order, stamped with its creator, and its command context; or the response refusing it.
struct CreateRequest {
    orders::NewOrder order;
    engine::CommandContext ctx;
};
std::variant<CreateRequest, Response> read_create(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto body = json_object_body(r);
    if (auto* resp = std::get_if<Response>(&body)) return std::move(*resp);
    auto ctx = command_context(c, r, caller, "POST /orders");
    if (auto* resp = std::get_if<Response>(&ctx)) return std::move(*resp);
    auto order = read_new_order(std::get<json::object>(body));
    if (auto* resp = std::get_if<Response>(&order)) return std::move(*resp);
    auto& o = std::get<orders::NewOrder>(order);
    stamp_creator(o, caller);
    return CreateRequest{std::move(o), std::move(std::get<engine::CommandContext>(ctx))};
}

Response create(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto read = read_create(c, r, caller);
    if (auto* resp = std::get_if<Response>(&read)) return std::move(*resp);
    const auto& [o, ctx] = std::get<CreateRequest>(read);
    return create_order(c, o, ctx, caller);
}

// POST /orders on the HTTP thread that read it, so that the common create never waits on a thread: it is decided
// there (OrderService::create_async), the log's answering thread renders the order once it is durable, and the
// orders view sends the answer once it has applied it (202 after view_wait, as after_commit). Every other create (a
// new customer, a sales rep, an Idempotency-Key, an externalOrderId, a conflict to decide again, the order's JSON not
// renderable from the decision) runs on a command thread as create() does.
void create_without_waiting(const Commerce& c, const Request& r, const Responder& respond,
                            const Authenticated& caller) {
    const auto on_workers = [&c, respond](std::function<Response()> job) {
        answer_on_workers(c, respond, std::move(job));
    };
    // The key's claim is taken once, on the command thread (taken here, it would still be held when that thread
    // asks for it).
    if (r.header("Idempotency-Key")) return on_workers([&c, r, caller] { return create(c, r, caller); });
    auto read = read_create(c, r, caller);
    if (auto* resp = std::get_if<Response>(&read)) return respond(std::move(*resp));
    auto request = std::make_shared<const CreateRequest>(std::move(std::get<CreateRequest>(read)));
    const auto blocking = [&c, on_workers, request, caller] {
        on_workers([&c, request, caller] { return create_order(c, request->order, request->ctx, caller); });
    };
    const bool started = c.orders.create_async(
        request->order, request->ctx,
        [&c, respond, blocking, on_workers](std::optional<engine::Result<orders::CreatedOrder>> created) {
            try {
                if (!created) return blocking();
                if (const auto* rej = std::get_if<engine::Rejection>(&*created)) {
                    return respond(order_rejection(*rej));
                }
                auto done = std::make_shared<orders::CreatedOrder>(std::move(std::get<orders::CreatedOrder>(*created)));
                auto summary = projections::order_summary_json(done->order.value, *done->decided);
                if (!summary) {
                    return on_workers([&c, done] { return order_answer(c, done->order, 201, kCreated); });
                }
                c.view.when_applied(
                    done->order.position, c.view_wait,
                    [respond, done, body = order_message(kCreated, *summary)](bool applied) mutable {
                        try {
                            respond(order_view_answer(done->order.position, applied, 201, done->order.value.version,
                                                      [&body] { return std::move(body); }));
                        } catch (...) {
                            respond.fail(std::current_exception());
                        }
                    });
            } catch (...) {
                respond.fail(std::current_exception());
            }
        });
    if (!started) blocking();
}

constexpr std::size_t kMaxImportRows = 500;

// {orders: [row, ...]} -> {results: {success, failed, orders: [{row, id, duplicate}], errors: [{row, status, message,
// errors?}]}} (reference §2 orders, POST /bulk; DESIGN §4): each row is the body of a POST /orders, created on its own
// with source bulk_import, so a refused row (named by its index) does not stop the others. A row's externalOrderId
// makes it idempotent across imports (engine: OrderService::create); Idempotency-Key applies per row. When the log
// stops taking writes after a row was created, that row and the rest are listed as 503 (a retry with the same
// externalOrderIds or Idempotency-Key creates nothing twice); before any, the answer is 503.
Response bulk_import(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto body = json_object_body(r);
    if (auto* resp = std::get_if<Response>(&body)) return std::move(*resp);
    auto ctx = command_context(c, r, caller, "POST /orders/bulk");
    if (auto* resp = std::get_if<Response>(&ctx)) return std::move(*resp);
    const json::value* rows = std::get<json::object>(body).if_contains("orders");
    if (rows == nullptr || !rows->is_array() || rows->as_array().empty() || rows->as_array().size() > kMaxImportRows) {
        return validation_problem(
            {{"orders", fmt::format("orders must be an array of 1 to {} orders", kMaxImportRows)}});
    }
    // The rows' command ids are the key's with the row's index: any row the key's earlier import created tells it,
    // whichever rows it had (an earlier file whose first rows were refused recorded only its later ones).
    const std::size_t indices = std::get<engine::CommandContext>(ctx).command_id.empty() ? 0 : kMaxImportRows;
    for (std::size_t row = 0; row < indices; ++row) {
        if (auto reused = reused_key(c, std::get<engine::CommandContext>(ctx), ":" + std::to_string(row))) {
            return std::move(*reused);
        }
    }
    json::array created, failed;
    const auto fail = [&failed](std::size_t row, const Response& problem) {
        json::object f = problem_summary(problem);
        f["row"] = row;
        failed.push_back(std::move(f));
    };
    engine::GlobalPosition last{0};
    for (std::size_t row = 0; row < rows->as_array().size(); ++row) {
        const json::value& v = rows->as_array()[row];
        if (!v.is_object()) {
            const std::string field = fmt::format("orders[{}]", row);
            fail(row, validation_problem({{field, field + " must be an object"}}));
            continue;
        }
        auto order = read_new_order(v.as_object());
        if (const auto* resp = std::get_if<Response>(&order)) {
            fail(row, *resp);
            continue;
        }
        auto& o = std::get<orders::NewOrder>(order);
        o.source = "bulk_import";
        stamp_creator(o, caller);
        engine::CommandContext one = std::get<engine::CommandContext>(ctx);
        if (!one.command_id.empty()) one.command_id += ":" + std::to_string(row);
        std::optional<engine::Result<orders::CreatedOrder>> done;
        try {
            done = c.orders.create(o, one);
        } catch (const engine::StorageError&) {
            const Response unavailable = bulk_write_failure(r, !created.empty());
            for (std::size_t rest = row; rest < rows->as_array().size(); ++rest) fail(rest, unavailable);
            break;
        }
        if (const auto* rej = std::get_if<engine::Rejection>(&*done)) {
            fail(row, order_rejection(*rej));
            continue;
        }
        const auto& d = std::get<orders::CreatedOrder>(*done);
        if (auto refused = repeat_out_of_scope(d, caller)) {
            fail(row, *refused);
            continue;
        }
        last = std::max(last, d.order.position);
        // A retry under the import's own Idempotency-Key lists the rows the first request created as it did: new.
        created.push_back(
            json::object{{"row", row}, {"id", d.order.value.id}, {"duplicate", d.repeated && !d.retried}});
    }
    return after_bulk_commit(
        c, last,
        engine::json::serialize(json::object{{"results", json::object{{"success", created.size()},
                                                                      {"failed", failed.size()},
                                                                      {"orders", std::move(created)},
                                                                      {"errors", std::move(failed)}}}}));
}

// Optional customer edits sent with an order update (the admin UI's order form carries them: name, email,
// phone and alternate phone, reference §2), checked; nullopt when the body names none.
std::variant<std::optional<engine::customers::CustomerPatch>, Response> read_customer_edit(const json::object& body) {
    FieldReader in(body);
    engine::customers::CustomerPatch p;
    if (auto name = in.text("customerName")) {
        auto [first, last] = split_name(*name);
        p.first_name = std::move(first);
        p.last_name = std::move(last);
    }
    if (auto v = in.text("customerFirstName")) p.first_name = std::move(*v);
    if (auto v = in.text("customerLastName")) p.last_name = std::move(*v);
    if (auto v = in.text("customerEmail")) p.email = std::move(*v);
    if (auto v = in.text("customerPhone")) p.phone_number = std::move(*v);
    if (auto v = in.text("alternatePhone")) p.alternate_phone = std::move(*v);
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    if (!p.first_name && !p.last_name && !p.email && !p.phone_number && !p.alternate_phone) {
        return std::optional<engine::customers::CustomerPatch>{};
    }
    // The customer service checks it again; checked here too so that a bad field refuses the whole request
    // before its order part is committed.
    if (auto bad = engine::customers::normalize(p)) return order_rejection(*bad);
    return std::optional<engine::customers::CustomerPatch>{std::move(p)};
}

// The form sends the customer's name back whole (customerName), and "Mary Ann Mensah" splits as first name
// "Mary": when the name sent reads as the customer's name now, however it was split, it is no change (else a
// caller without customers:update would be refused for saving the form, and others would re-split the name).
void keep_unchanged_name(const Commerce& c, orders::OrderId id, const json::object& body,
                         std::optional<engine::customers::CustomerPatch>& patch) {
    if (!patch || body.contains("customerFirstName") || body.contains("customerLastName")) return;
    const auto sent = FieldReader(body).text("customerName");
    if (!sent) return;
    const auto order = c.orders.find(id);
    const auto customer = order ? c.customers.find(order->customer_id) : std::nullopt;
    if (!customer) return;
    const auto [first, last] = split_name(*sent);
    const auto [now_first, now_last] = split_name(customer->first_name + " " + customer->last_name);
    if (first != now_first || last != now_last) return;
    patch->first_name.reset();
    patch->last_name.reset();
    if (!patch->email && !patch->phone_number && !patch->alternate_phone) patch.reset();
}

Response update(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto command = order_command(c, r, caller, "order");
    if (auto* resp = std::get_if<Response>(&command)) return std::move(*resp);
    const OrderCommand& cmd = std::get<OrderCommand>(command);
    const json::object& o = cmd.body;
    auto patch = read_order_patch(o);
    if (auto* resp = std::get_if<Response>(&patch)) return std::move(*resp);
    orders::OrderEdit edit;
    edit.patch = std::move(std::get<orders::OrderPatch>(patch));
    if (const json::value* s = o.if_contains("status"); s != nullptr && !s->is_null()) {
        const auto status = s->is_string() ? orders::parse_order_status(s->as_string()) : std::nullopt;
        if (!status) return validation_problem({{"status", "status must be one of the 9 order statuses"}});
        edit.status = orders::StatusChange{};
        edit.status->to = *status;
        edit.status->notes = FieldReader(o).text("notes").value_or("");
    }
    auto customer_edit = read_customer_edit(o);
    if (auto* resp = std::get_if<Response>(&customer_edit)) return std::move(*resp);
    edit.customer = std::move(std::get<std::optional<engine::customers::CustomerPatch>>(customer_edit));
    keep_unchanged_name(c, cmd.id, o, edit.customer);
    edit.may_change_amounts = caller.user.role != Role::delivery_agent;
    if (edit.customer) {
        const Access customer_access{AccessRule::permission, {{"customers", "update"}}, {}};
        edit.may_edit_customer =
            decide_access(customer_access, caller.caller(), *c.identity.users.permissions_snapshot(), std::nullopt)
                .allowed;
    }
    // One command, one atomic append (If-Match guards all of it): the details, the status change and the
    // customer's edits are all committed, or none is.
    auto done = c.orders.edit(cmd.id, edit, cmd.if_match, cmd.ctx);
    if (const auto* rej = std::get_if<engine::Rejection>(&done)) return order_rejection(*rej);
    return order_result(c, done, 200, "Order updated successfully");
}

Response change_status(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto cmd = order_command(c, r, caller, "order");
    if (auto* resp = std::get_if<Response>(&cmd)) return std::move(*resp);
    const auto& [id, body, ctx, expected] = std::get<OrderCommand>(cmd);
    FieldReader in(body);
    const std::string status_text = in.required_text("status");
    orders::StatusChange change;
    change.notes = in.text("notes").value_or("");
    change.reason = in.text("reason").value_or("");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    const auto status = orders::parse_order_status(status_text);
    if (!status) {
        return validation_problem({{"status", fmt::format("unknown status '{}'; expected one of pending_confirmation, "
                                                          "confirmed, preparing, ready_for_pickup, out_for_delivery, "
                                                          "delivered, cancelled, returned, failed_delivery",
                                                          status_text.substr(0, 64))}});
    }
    change.to = *status;
    change.may_force = may_force(caller);
    return order_result(c, c.orders.change_status(id, change, expected, ctx), 200, "Order status updated successfully");
}

Response cancel(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto cmd = order_command(c, r, caller, "order", true);
    if (auto* resp = std::get_if<Response>(&cmd)) return std::move(*resp);
    const auto& [id, body, ctx, expected] = std::get<OrderCommand>(cmd);
    FieldReader in(body);
    const std::string reason = in.text("reason").value_or("");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    return order_result(c, c.orders.cancel(id, reason, ctx, expected), 200, "Order cancelled successfully");
}

Response assign(const Commerce& c, const Request& r, const Authenticated& caller, bool agent) {
    auto cmd = order_command(c, r, caller, "order");
    if (auto* resp = std::get_if<Response>(&cmd)) return std::move(*resp);
    const auto& [id, body, ctx, expected] = std::get<OrderCommand>(cmd);
    FieldReader in(body);
    const std::string_view field = agent ? "deliveryAgentId" : "customerRepId";
    const auto user = in.integer(field, 1, std::numeric_limits<std::int64_t>::max());
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    if (!user) return validation_problem({{std::string(field), std::string(field) + " is required"}});
    return order_result(
        c, agent ? c.orders.assign_agent(id, *user, ctx, expected) : c.orders.assign_rep(id, *user, ctx, expected), 200,
        agent ? "Delivery agent assigned successfully" : "Sales rep assigned successfully");
}

// {orderIds, status, notes?, reason?} -> {results: {success: [ids], failed: [{id, message}]}}: each order on its
// own (a refusal of one does not stop the others), within the caller's scope.
Response bulk_status(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto body = json_object_body(r);
    if (auto* resp = std::get_if<Response>(&body)) return std::move(*resp);
    auto ctx = command_context(c, r, caller, "POST /orders/bulk-status");
    if (auto* resp = std::get_if<Response>(&ctx)) return std::move(*resp);
    const json::object& o = std::get<json::object>(body);
    FieldReader in(o);
    const std::string status_text = in.required_text("status");
    orders::StatusChange change;
    change.notes = in.text("notes").value_or("");
    change.reason = in.text("reason").value_or("");
    change.may_force = may_force(caller);
    std::vector<std::int64_t> ids;
    const json::value* list = o.if_contains("orderIds");
    if (list == nullptr || !list->is_array() || list->as_array().empty() || list->as_array().size() > 500) {
        in.errors().push_back({"orderIds", "orderIds must be an array of 1 to 500 order ids"});
    } else {
        for (const json::value& v : list->as_array()) {
            if (!v.is_int64() || v.as_int64() < 1) {
                in.errors().push_back({"orderIds", "orderIds must hold positive whole numbers"});
                break;
            }
            // An id listed twice is one order: changed (and reported) once.
            if (std::find(ids.begin(), ids.end(), v.as_int64()) == ids.end()) ids.push_back(v.as_int64());
        }
    }
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    const auto status = orders::parse_order_status(status_text);
    if (!status) return validation_problem({{"status", "status must be one of the 9 order statuses"}});
    change.to = *status;
    // Each order's command id is the key's with the order's id: any of them may tell the key's earlier request.
    for (const std::int64_t id : ids) {
        if (auto reused = reused_key(c, std::get<engine::CommandContext>(ctx), ":" + std::to_string(id))) {
            return std::move(*reused);
        }
    }

    json::array succeeded, failed;
    const auto fail = [&failed](std::int64_t id, const Response& problem) {
        failed.push_back(json::object{{"id", id}, {"status", problem.status}, {"message", problem_message(problem)}});
    };
    // The key itself names the request as a whole: recorded with the first order's change it appends (as that
    // append's second name), so the key used again for another set of orders is refused up front
    // (command_context), not only when the sets overlap. A retry of a request that recorded it attaches it to
    // nothing more: every order it changed is found by its own command id.
    const std::string& whole = std::get<engine::CommandContext>(ctx).command_id;
    const auto recorded = [&] { return c.log.command_result(whole, std::chrono::milliseconds(0)).has_value(); };
    bool whole_recorded = whole.empty() || recorded();
    engine::GlobalPosition last{0};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::int64_t id = ids[i];
        if (auto denied = check_order_scope(c, caller, id)) {
            fail(id, *denied);
            continue;
        }
        engine::CommandContext one = std::get<engine::CommandContext>(ctx);
        if (!one.command_id.empty()) {
            if (!whole_recorded) {
                one.also_command_id = one.command_id;
                one.also_fingerprint = one.fingerprint;
            }
            one.command_id += ":" + std::to_string(id);
        }
        std::optional<engine::Result<orders::Committed<orders::Order>>> done;
        try {
            done = c.orders.change_status(id, change, std::nullopt, one);
        } catch (const engine::StorageError&) {
            const Response unavailable = bulk_write_failure(r, !succeeded.empty());
            for (std::size_t rest = i; rest < ids.size(); ++rest) fail(ids[rest], unavailable);
            break;
        }
        if (const auto* rej = std::get_if<engine::Rejection>(&*done)) {
            fail(id, order_rejection(*rej));
            continue;
        }
        last = std::max(last, std::get<orders::Committed<orders::Order>>(*done).position);
        succeeded.push_back(id);
        if (!whole_recorded) whole_recorded = recorded();  // a change that appended nothing recorded nothing
    }
    return after_bulk_commit(
        c, last,
        engine::json::serialize(
            json::object{{"results", json::object{{"success", std::move(succeeded)}, {"failed", std::move(failed)}}}}));
}

}  // namespace

void add_order_routes(Router& router, const Commerce& c) {
    add(router, c, "GET", "/orders", [&c](const Request& r, const Authenticated& a) { return list(c, r, a); });
    add_guarded(router, c.identity, "POST", "/orders",
                [&c](Request request, Responder respond, std::optional<Authenticated> caller) {
                    try {
                        create_without_waiting(c, request, respond, *caller);
                    } catch (...) {
                        respond.fail(std::current_exception());
                    }
                });
    add(router, c, "GET", "/orders/kanban", [&c](const Request& r, const Authenticated& a) { return kanban(c, r, a); });
    add(router, c, "GET", "/orders/stats", [&c](const Request& r, const Authenticated& a) { return stats(c, r, a); });
    add(router, c, "POST", "/orders/bulk",
        [&c](const Request& r, const Authenticated& a) { return bulk_import(c, r, a); });
    add(router, c, "POST", "/orders/bulk-status",
        [&c](const Request& r, const Authenticated& a) { return bulk_status(c, r, a); });
    add(router, c, "GET", "/orders/:id", [&c](const Request& r, const Authenticated& a) { return detail(c, r, a); });
    add(router, c, "GET", "/orders/:id/history",
        [&c](const Request& r, const Authenticated& a) { return history(c, r, a); });
    add(router, c, "PUT", "/orders/:id", [&c](const Request& r, const Authenticated& a) { return update(c, r, a); });
    add(router, c, "DELETE", "/orders/:id", [&c](const Request& r, const Authenticated& a) { return cancel(c, r, a); });
    add(router, c, "PATCH", "/orders/:id/status",
        [&c](const Request& r, const Authenticated& a) { return change_status(c, r, a); });
    add(router, c, "PATCH", "/orders/:id/assign-rep",
        [&c](const Request& r, const Authenticated& a) { return assign(c, r, a, false); });
    add(router, c, "PATCH", "/orders/:id/assign-agent",
        [&c](const Request& r, const Authenticated& a) { return assign(c, r, a, true); });
}

}  // namespace codd::api

// /customers (reference §2 customers, §14 rows 13-17): commands go to the CustomerService, every answer is
// read from the orders view once it has applied the command, so totalOrders and totalSpent come with it.
#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "api/commerce_common.hpp"
#include "api/json_text.hpp"
#include "api/rbac.hpp"
#include "api/user_json.hpp"
#include "engine/customers/customer_service.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace customers = engine::customers;
using namespace commerce;

constexpr std::int64_t kDefaultLimit = 20;
constexpr std::int64_t kMaxLimit = 100;

// The customer `id` as the view has it now (after the command that changed it).
std::string customer_body(const Commerce& c, std::int64_t id, std::string_view message = {}) {
    const std::string customer = c.queries.customer_json(id).value_or("null");
    if (message.empty()) return wrap("customer", customer);
    return fmt::format(R"({{"message":{},"customer":{}}})", json_string(message), customer);
}

// Answers a customer command: its rejection, or the customer read from the view once it has applied it.
Response answer(const Commerce& c, const engine::Result<customers::Customer>& result, int status,
                std::string_view message = {}) {
    if (const auto* r = std::get_if<engine::Rejection>(&result)) return rejection(*r);
    const std::int64_t id = std::get<customers::Customer>(result).id;
    return after_commit(c, head_position(c), status, [&] { return customer_body(c, id, message); });
}

Response list(const Commerce& c, const Request& r) {
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();
    auto page = read_page(*q, kDefaultLimit, kMaxLimit);
    if (auto* e = std::get_if<Response>(&page)) return std::move(*e);
    projections::CustomerFilter f;
    if (auto v = query_value(*q, "search"); v && !v->empty()) f.search = std::move(*v);
    if (auto v = query_value(*q, "area"); v && !v->empty()) f.area = std::move(*v);
    if (const auto v = query_value(*q, "includeInactive"); v && !v->empty()) {
        const auto b = parse_bool_value(*v);
        if (!b) return validation_problem({{"includeInactive", "includeInactive must be true or false"}});
        f.include_inactive = *b;
    }
    return json_text(200, page_json("customers", c.queries.list_customers(f, std::get<projections::Page>(page))));
}

Response get_one(const Commerce& c, const Request& r) {
    const auto id = id_param(r);
    if (!id) return not_found("customer");
    const auto text = c.queries.customer_json(*id);
    if (!text) return not_found("customer");
    return json_text(200, wrap("customer", *text));
}

// A sales rep's or delivery agent's analytics of a customer count only their own orders of that customer.
Response get_analytics(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("customer");
    const OwnOrders own = own_orders(caller.caller());
    const auto text = c.queries.customer_analytics_json(*id, own.rep, own.agent);
    if (!text) return not_found("customer");
    return json_text(200, wrap("analytics", *text));
}

Response create(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    FieldReader in(std::get<json::object>(body));
    customers::NewCustomer n;
    n.first_name = in.required_text("firstName");
    n.last_name = in.required_text("lastName");
    n.email = in.text("email").value_or("");
    n.phone_number = in.required_text("phoneNumber");
    n.alternate_phone = in.text("alternatePhone").value_or("");
    n.address = in.required_text("address");
    n.state = in.required_text("state");
    n.area = in.required_text("area");
    n.landmark = in.text("landmark").value_or("");
    n.notes = in.text("notes").value_or("");
    n.tags = in.strings("tags").value_or(std::vector<std::string>{});
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    auto ctx = command_context(c, r, caller, "POST /customers");
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.customers.create(n, std::get<engine::CommandContext>(ctx)), 201);
}

Response update(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("customer");
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    FieldReader in(std::get<json::object>(body));
    customers::CustomerPatch p;
    p.first_name = in.text("firstName");
    p.last_name = in.text("lastName");
    p.email = in.text("email");
    p.phone_number = in.text("phoneNumber");
    p.alternate_phone = in.text("alternatePhone");
    p.address = in.text("address");
    p.state = in.text("state");
    p.area = in.text("area");
    p.landmark = in.text("landmark");
    p.notes = in.text("notes");
    p.is_active = in.boolean("isActive");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    auto ctx = command_context(c, r, caller, fmt::format("PUT /customers/{}", *id));
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.customers.update(*id, p, std::get<engine::CommandContext>(ctx)), 200);
}

Response deactivate(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("customer");
    auto ctx = command_context(c, r, caller, fmt::format("DELETE /customers/{}", *id));
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.customers.deactivate(*id, std::get<engine::CommandContext>(ctx)), 200,
                  "Customer deactivated successfully");
}

Response set_tags(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("customer");
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    FieldReader in(std::get<json::object>(body));
    const auto tags = in.strings("tags");
    if (in.ok() && !tags) in.errors().push_back({"tags", "tags is required (an array of strings)"});
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    auto ctx = command_context(c, r, caller, fmt::format("PATCH /customers/{}/tags", *id));
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.customers.set_tags(*id, *tags, std::get<engine::CommandContext>(ctx)), 200);
}

}  // namespace

void add_customer_routes(Router& router, const Commerce& c) {
    auto query = [&](std::string_view path, std::function<Response(const Request&)> run) {
        add(router, c, "GET", path, [&c, run = std::move(run)](const Request& r, const Authenticated&) {
            return read_after_min_position(c, r, [&] { return run(r); });
        });
    };
    query("/customers", [&c](const Request& r) { return list(c, r); });
    query("/customers/:id", [&c](const Request& r) { return get_one(c, r); });
    add(router, c, "GET", "/customers/:id/analytics", [&c](const Request& r, const Authenticated& a) {
        return read_after_min_position(c, r, [&] { return get_analytics(c, r, a); });
    });
    add(router, c, "POST", "/customers", [&c](const Request& r, const Authenticated& a) { return create(c, r, a); });
    add(router, c, "PUT", "/customers/:id", [&c](const Request& r, const Authenticated& a) { return update(c, r, a); });
    add(router, c, "DELETE", "/customers/:id",
        [&c](const Request& r, const Authenticated& a) { return deactivate(c, r, a); });
    add(router, c, "PATCH", "/customers/:id/tags",
        [&c](const Request& r, const Authenticated& a) { return set_tags(c, r, a); });
}

}  // namespace codd::api

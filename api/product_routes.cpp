// /products (reference §2 products, §14 rows 18-22): commands go to the CatalogService, every answer is read
// from the orders view once it has applied the command (stock, reserved and available included).
#include <cmath>

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include "api/commerce_common.hpp"
#include "api/identity.hpp"
#include "api/json_text.hpp"
#include "api/rbac.hpp"
#include "api/user_json.hpp"
#include "engine/catalog/catalog_service.hpp"
#include "engine/json_codec.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace catalog = engine::catalog;
using namespace commerce;

constexpr std::int64_t kDefaultLimit = 20;
constexpr std::int64_t kMaxLimit = 100;
constexpr std::int64_t kMaxCount = 1'000'000'000;

std::string product_body(const Commerce& c, std::int64_t id, std::string_view message = {}) {
    const std::string product = c.queries.product_json(id).value_or("null");
    if (message.empty()) return wrap("product", product);
    return fmt::format(R"({{"message":{},"product":{}}})", json_string(message), product);
}

// Answers a product command: its rejection, or the product read from the view once it has applied it.
Response answer(const Commerce& c, const engine::Result<catalog::Product>& result, int status,
                std::string_view message = {}) {
    if (const auto* r = std::get_if<engine::Rejection>(&result)) return rejection(*r);
    const std::int64_t id = std::get<catalog::Product>(result).id;
    return after_commit(c, head_position(c), status, [&] { return product_body(c, id, message); });
}

// The optional fields FieldReader has no reader for: weight (a number; the engine takes 0 to 1000000) and dimensions
// (an object, kept as its JSON text). Each is absent (nullopt), null (an empty inner optional, an empty text) or a
// value.
struct Extras {
    std::optional<std::optional<double>> weight;
    std::optional<std::string> dimensions;
};

Extras read_extras(const json::object& o, FieldReader& in) {
    Extras out;
    if (const json::value* w = o.if_contains("weight"); w != nullptr && w->is_null()) {
        out.weight.emplace();
    } else if (w != nullptr) {
        const double d = w->is_number() ? w->to_number<double>() : -1;
        if (!std::isfinite(d) || d < 0) {
            in.errors().push_back({"weight", "weight must be a non-negative number"});
        } else {
            out.weight = d;
        }
    }
    if (const json::value* d = o.if_contains("dimensions"); d != nullptr && d->is_null()) {
        out.dimensions.emplace();
    } else if (d != nullptr) {
        if (d->is_object()) {
            out.dimensions = engine::json::serialize(*d);
        } else {
            in.errors().push_back({"dimensions", "dimensions must be an object"});
        }
    }
    return out;
}

Response list(const Commerce& c, const Request& r) {
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();
    auto page = read_page(*q, kDefaultLimit, kMaxLimit);
    if (auto* e = std::get_if<Response>(&page)) return std::move(*e);
    projections::ProductFilter f;
    if (auto v = query_value(*q, "search"); v && !v->empty()) f.search = std::move(*v);
    if (auto v = query_value(*q, "category"); v && !v->empty()) f.category = std::move(*v);
    if (const auto v = query_value(*q, "isActive"); v && !v->empty()) {
        f.is_active = parse_bool_value(*v);
        if (!f.is_active) return validation_problem({{"isActive", "isActive must be true or false"}});
    }
    return json_text(200, page_json("products", c.queries.list_products(f, std::get<projections::Page>(page))));
}

Response get_one(const Commerce& c, const Request& r) {
    const auto id = id_param(r);
    if (!id) return not_found("product");
    const auto text = c.queries.product_json(*id);
    if (!text) return not_found("product");
    return json_text(200, wrap("product", *text));
}

Response create(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    const json::object& o = std::get<json::object>(body);
    FieldReader in(o);
    catalog::NewProduct n;
    n.name = in.required_text("name");
    n.sku = in.required_text("sku");
    // Optional, as in the replaced system (its admin UI's product form sends "" when left empty).
    n.category = in.text("category").value_or("");
    n.description = in.text("description").value_or("");
    const std::size_t before = in.errors().size();
    const auto price = in.money("price");
    if (!price && in.errors().size() == before) in.errors().push_back({"price", "price is required"});
    n.price = engine::Money{price.value_or(0)};
    n.cost_price = engine::Money{in.money("costPrice").value_or(0)};
    n.stock_quantity = in.integer("stockQuantity", 0, kMaxCount).value_or(0);
    n.low_stock_threshold = in.integer("lowStockThreshold", 0, kMaxCount).value_or(catalog::kDefaultLowStockThreshold);
    n.image_url = in.text("imageUrl").value_or("");
    Extras extras = read_extras(o, in);
    n.weight = extras.weight.value_or(std::nullopt);
    n.dimensions_json = extras.dimensions.value_or("");
    n.is_active = in.boolean("isActive").value_or(true);
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    auto ctx = command_context(c, r, caller, "POST /products");
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.catalog.create(n, std::get<engine::CommandContext>(ctx)), 201);
}

Response update(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("product");
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    const json::object& o = std::get<json::object>(body);
    FieldReader in(o);
    catalog::ProductPatch p;
    p.name = in.text("name");
    p.sku = in.text("sku");
    p.category = in.text("category");
    p.description = in.text("description");
    if (const auto v = in.money("price")) p.price = engine::Money{*v};
    if (const auto v = in.money("costPrice")) p.cost_price = engine::Money{*v};
    p.low_stock_threshold = in.integer("lowStockThreshold", 0, kMaxCount);
    p.image_url = in.text("imageUrl");
    // null clears the weight or the dimensions; an absent field leaves them as they are.
    Extras extras = read_extras(o, in);
    p.weight = extras.weight;
    p.dimensions_json = std::move(extras.dimensions);
    p.is_active = in.boolean("isActive");
    const auto stock_quantity = in.integer("stockQuantity", 0, kMaxCount);
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    // Setting stock needs products:update_stock, as PATCH /stock does (an admin may edit products but, by default,
    // not their stock): the edit form sends the stock unchanged, which needs nothing more. Checked before anything
    // is written, so a refused edit keeps none of its other changes either.
    if (stock_quantity) {
        const auto current = c.catalog.find(*id);
        const auto matrix = c.identity.users.permissions_snapshot();
        const Access stock_access{AccessRule::permission, {{"products", "update_stock"}}, {}};
        if (current && current->stock_quantity != *stock_quantity &&
            !decide_access(stock_access, caller.caller(), *matrix, std::nullopt).allowed) {
            return forbidden("Changing stockQuantity needs the products:update_stock permission",
                             "products:update_stock");
        }
    }
    // The edit form sends the whole product, stock included: a changed stockQuantity is set as PATCH /stock
    // does (refused below what orders hold), in the same append as the other changes.
    p.stock_quantity = stock_quantity;
    p.stock_reason = "edited with the product";
    auto ctx = command_context(c, r, caller, fmt::format("PUT /products/{}", *id));
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.catalog.update(*id, p, std::get<engine::CommandContext>(ctx)), 200);
}

Response deactivate(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("product");
    auto ctx = command_context(c, r, caller, fmt::format("DELETE /products/{}", *id));
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.catalog.deactivate(*id, std::get<engine::CommandContext>(ctx)), 200,
                  "Product deactivated successfully");
}

// PATCH /:id/stock {stockQuantity, reason?}: sets on hand. POST /:id/stock-adjustments {delta, reason}: adds.
Response stock(const Commerce& c, const Request& r, const Authenticated& caller, bool adjust) {
    const auto id = id_param(r);
    if (!id) return not_found("product");
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    FieldReader in(std::get<json::object>(body));
    const char* field = adjust ? "delta" : "stockQuantity";
    const std::size_t before = in.errors().size();
    const auto n = adjust ? in.integer(field, -kMaxCount, kMaxCount) : in.integer(field, 0, kMaxCount);
    if (in.errors().size() == before && (!n || (adjust && *n == 0))) {
        in.errors().push_back({field, adjust
                                          ? (n ? "delta must not be 0" : "delta is required (a non-zero whole number)")
                                          : "stockQuantity is required (a whole number from 0)"});
    }
    const std::string reason = adjust ? in.required_text("reason") : in.text("reason").value_or("");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    const std::string scope =
        adjust ? fmt::format("POST /products/{}/stock-adjustments", *id) : fmt::format("PATCH /products/{}/stock", *id);
    auto ctx = command_context(c, r, caller, scope);
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    const auto& context = std::get<engine::CommandContext>(ctx);
    return answer(
        c, adjust ? c.catalog.adjust_stock(*id, *n, reason, context) : c.catalog.set_stock(*id, *n, reason, context),
        200);
}

}  // namespace

void add_product_routes(Router& router, const Commerce& c) {
    auto query = [&](std::string_view path, std::function<Response(const Request&)> run) {
        add(router, c, "GET", path, [&c, run = std::move(run)](const Request& r, const Authenticated&) {
            return read_after_min_position(c, r, [&] { return run(r); });
        });
    };
    query("/products", [&c](const Request& r) { return list(c, r); });
    query("/products/low-stock",
          [&c](const Request&) { return json_text(200, wrap("products", c.queries.low_stock_json())); });
    query("/products/:id", [&c](const Request& r) { return get_one(c, r); });
    add(router, c, "POST", "/products", [&c](const Request& r, const Authenticated& a) { return create(c, r, a); });
    add(router, c, "PUT", "/products/:id", [&c](const Request& r, const Authenticated& a) { return update(c, r, a); });
    add(router, c, "DELETE", "/products/:id",
        [&c](const Request& r, const Authenticated& a) { return deactivate(c, r, a); });
    add(router, c, "PATCH", "/products/:id/stock",
        [&c](const Request& r, const Authenticated& a) { return stock(c, r, a, false); });
    add(router, c, "POST", "/products/:id/stock-adjustments",
        [&c](const Request& r, const Authenticated& a) { return stock(c, r, a, true); });
}

}  // namespace codd::api

#include "api/order_json_input.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include "api/commerce_common.hpp"
#include "api/request_body.hpp"
#include "api/user_json.hpp"
#include "engine/json_codec.hpp"
#include "engine/text.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace orders = engine::orders;

constexpr std::int64_t kMaxQuantity = 100'000;  // the engine's limit per line
constexpr std::size_t kMaxItems = 200;
constexpr std::size_t kMaxMetadataBytes = 4096;  // as a product's dimensions

// Field errors of a nested reader, renamed under `prefix` ("orderItems[2].").
void append_prefixed(std::vector<FieldError>& out, std::vector<FieldError>& in, const std::string& prefix) {
    for (FieldError& e : in) out.push_back({prefix + e.field, prefix + e.message});
}

std::optional<std::vector<orders::NewOrderItem>> read_items(const json::object& body, std::vector<FieldError>& errors) {
    const json::value* v = body.if_contains("orderItems");
    if (v == nullptr || v->is_null()) v = body.if_contains("items");
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_array() || v->as_array().empty() || v->as_array().size() > kMaxItems) {
        errors.push_back({"orderItems", fmt::format("orderItems must be an array of 1 to {} items", kMaxItems)});
        return std::nullopt;
    }
    std::vector<orders::NewOrderItem> items;
    const json::array& a = v->as_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string prefix = fmt::format("orderItems[{}].", i);
        if (!a[i].is_object()) {
            errors.push_back(
                {prefix.substr(0, prefix.size() - 1), prefix.substr(0, prefix.size() - 1) + " must be an object"});
            continue;
        }
        const json::object& o = a[i].as_object();
        FieldReader in(o);
        orders::NewOrderItem item;
        const auto product = in.integer("productId", 1, std::numeric_limits<std::int64_t>::max());
        const auto quantity = in.integer("quantity", 1, kMaxQuantity);
        if (in.ok() && !product) in.errors().push_back({"productId", "productId is required"});
        if (in.ok() && !quantity) in.errors().push_back({"quantity", "quantity is required"});
        if (const auto price = in.money("unitPrice")) item.unit_price = engine::Money{*price};
        if (auto type = in.text("itemType")) {
            if (*type != "package" && *type != "upsell") {
                in.errors().push_back({"itemType", "itemType must be package or upsell"});
            } else {
                item.item_type = std::move(*type);
            }
        }
        if (const json::value* m = o.if_contains("metadata"); m != nullptr && !m->is_null()) {
            if (!m->is_object()) {
                in.errors().push_back({"metadata", "metadata must be an object"});
            } else {
                item.metadata_json = engine::json::serialize(*m);
                if (item.metadata_json.size() > kMaxMetadataBytes) {
                    in.errors().push_back(
                        {"metadata", fmt::format("metadata must be at most {} bytes as JSON", kMaxMetadataBytes)});
                }
            }
        }
        if (!in.ok()) {
            append_prefixed(errors, in.errors(), prefix);
            continue;
        }
        item.product_id = *product;
        item.quantity = *quantity;
        items.push_back(std::move(item));
    }
    return items;
}

// estimatedDelivery: absent (nullopt), null (clear), or a date / ISO time.
std::optional<std::optional<std::int64_t>> read_estimated(const json::object& body, std::vector<FieldError>& errors) {
    const json::value* v = body.if_contains("estimatedDelivery");
    if (v == nullptr) return std::nullopt;
    if (v->is_null()) return std::optional<std::int64_t>{};
    const auto t = v->is_string() ? commerce::parse_recorded_time_us(v->as_string()) : std::nullopt;
    if (!t) {
        errors.push_back({"estimatedDelivery",
                          "estimatedDelivery must be a date (YYYY-MM-DD) or an ISO-8601 time after "
                          "1970-01-01T00:00:00Z, within year 9999"});
        return std::nullopt;
    }
    return std::optional<std::int64_t>{*t};
}

std::optional<engine::Money> money(FieldReader& in, std::string_view key) {
    const auto v = in.money(key);
    return v ? std::optional<engine::Money>{engine::Money{*v}} : std::nullopt;
}

}  // namespace

std::pair<std::string, std::string> split_name(const std::string& full) {
    // Words are what ASCII spaces separate; a word that shows nothing (a stray no-break space) is no name.
    std::vector<std::string_view> words;
    const std::string_view s = full;
    for (std::size_t at = 0; at < s.size();) {
        const auto end = std::min(s.find(' ', at), s.size());
        if (const auto word = s.substr(at, end - at); !engine::text::is_blank(word)) words.push_back(word);
        at = end + 1;
    }
    if (words.empty()) return {"", ""};
    std::string last;
    for (std::size_t i = 1; i < words.size(); ++i) {
        if (!last.empty()) last += ' ';
        last += words[i];
    }
    return {std::string(words.front()), std::move(last)};
}

std::variant<orders::NewOrder, Response> read_new_order(const json::object& body) {
    FieldReader in(body);
    std::vector<FieldError> errors;
    orders::NewOrder o;
    o.customer_id = in.integer("customerId", 1, std::numeric_limits<std::int64_t>::max());
    auto& cust = o.customer;
    cust.phone_number = in.text("customerPhone").value_or("");
    if (auto name = in.text("customerName")) std::tie(cust.first_name, cust.last_name) = split_name(*name);
    if (auto v = in.text("customerFirstName")) cust.first_name = std::move(*v);
    if (auto v = in.text("customerLastName")) cust.last_name = std::move(*v);
    cust.email = in.text("customerEmail").value_or("");
    cust.alternate_phone = in.text("alternatePhone").value_or("");
    o.delivery_address = in.text("deliveryAddress").value_or("");
    o.delivery_state = in.text("deliveryState").value_or("");
    o.delivery_area = in.text("deliveryArea").value_or("");
    cust.address = o.delivery_address;
    cust.state = o.delivery_state;
    cust.area = o.delivery_area;
    o.notes = in.text("notes").value_or("");
    o.internal_notes = in.text("internalNotes").value_or("");
    o.subtotal = money(in, "subtotal");
    o.total_amount = money(in, "totalAmount");
    o.shipping_cost = money(in, "shippingCost").value_or(engine::Money{});
    o.discount = money(in, "discount").value_or(engine::Money{});
    o.priority = in.integer("priority", -1000, 1000).value_or(0);
    o.tags = in.strings("tags").value_or(std::vector<std::string>{});
    o.customer_rep_id = in.integer("customerRepId", 1, std::numeric_limits<std::int64_t>::max());
    o.external_order_id = in.text("externalOrderId").value_or("");
    errors = std::move(in.errors());
    if (auto est = read_estimated(body, errors)) o.estimated_delivery_us = *est;
    if (auto items = read_items(body, errors)) {
        o.items = std::move(*items);
    } else if (errors.empty()) {
        errors.push_back({"orderItems", "orderItems is required: at least one item"});
    }
    if (!o.customer_id && cust.phone_number.empty()) {
        errors.push_back({"customerPhone", "customerPhone (or customerId) is required"});
    }
    if (!errors.empty()) return validation_problem(std::move(errors));
    return o;
}

std::variant<orders::OrderPatch, Response> read_order_patch(const json::object& body) {
    FieldReader in(body);
    orders::OrderPatch p;
    p.notes = in.text("notes");
    p.internal_notes = in.text("internalNotes");
    p.delivery_address = in.text("deliveryAddress");
    p.delivery_state = in.text("deliveryState");
    p.delivery_area = in.text("deliveryArea");
    p.priority = in.integer("priority", -1000, 1000);
    p.tags = in.strings("tags");
    p.shipping_cost = money(in, "shippingCost");
    p.discount = money(in, "discount");
    p.subtotal = money(in, "subtotal");
    p.total_amount = money(in, "totalAmount");
    std::vector<FieldError> errors = std::move(in.errors());
    p.estimated_delivery_us = read_estimated(body, errors);
    p.items = read_items(body, errors);
    if (!errors.empty()) return validation_problem(std::move(errors));
    return p;
}

Response order_rejection(const engine::Rejection& r) {
    // The engine names an item `items[i]`, the customer's fields as a customer command does and a delivery's
    // times as its command does; the order and delivery forms name them otherwise.
    static constexpr std::pair<std::string_view, std::string_view> kFields[] = {
        {"firstName", "customerName"},    {"lastName", "customerName"},     {"email", "customerEmail"},
        {"phoneNumber", "customerPhone"}, {"address", "deliveryAddress"},   {"state", "deliveryState"},
        {"area", "deliveryArea"},         {"scheduledTime", "scheduledAt"}, {"rescheduleTime", "rescheduleAt"},
        {"items", "orderItems"}};
    for (const auto& [from, to] : kFields) {
        // "items" also names one item or its field: "items[2].quantity".
        const bool match = r.field == from || (from == "items" && r.field.starts_with("items["));
        if (!match) continue;
        engine::Rejection renamed = r;
        renamed.field = std::string(to) + r.field.substr(from.size());
        // A message that starts with the field's name ("firstName is required") names it as the form does.
        if (renamed.message.starts_with(from)) renamed.message = std::string(to) + r.message.substr(from.size());
        return commerce::rejection(renamed);
    }
    return commerce::rejection(r);
}

json::object problem_summary(const Response& problem) {
    json::object out{{"status", problem.status}, {"message", fmt::format("HTTP {}", problem.status)}};
    json::error_code ec;
    const json::value v = json::parse(problem.body, ec);
    if (ec || !v.is_object()) return out;
    if (const json::value* m = v.as_object().if_contains("message"); m != nullptr && m->is_string()) {
        out["message"] = m->as_string();
    }
    if (const json::value* e = v.as_object().if_contains("errors"); e != nullptr && e->is_array()) out["errors"] = *e;
    return out;
}

std::string problem_message(const Response& problem) {
    return std::string(problem_summary(problem).at("message").as_string());
}

}  // namespace codd::api

#include "engine/catalog/product.hpp"

#include <stdexcept>

#include "engine/catalog/catalog_events.hpp"
#include "engine/json_codec.hpp"
#include "engine/text.hpp"

namespace codd::engine::catalog {
namespace json = engine::json;
namespace {

std::optional<double> weight_of(const boost::json::value& v) {
    if (v.is_null()) return std::nullopt;
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    throw std::invalid_argument("weight must be a number");
}

// Fields of ProductCreated and of ProductUpdated's changes share names; absent keys leave `p` as it is.
void apply_fields(Product& p, const boost::json::object& o) {
    if (o.contains("sku")) p.sku = json::string_at(o, "sku");
    if (o.contains("name")) p.name = json::string_at(o, "name");
    if (o.contains("description")) p.description = json::string_at(o, "description");
    if (o.contains("category")) p.category = json::string_at(o, "category");
    if (o.contains("price")) p.price = Money{json::int_at(o, "price")};
    if (o.contains("costPrice")) p.cost_price = Money{json::int_at(o, "costPrice")};
    if (o.contains("stockQuantity")) p.stock_quantity = json::int_at(o, "stockQuantity");
    if (o.contains("lowStockThreshold")) p.low_stock_threshold = json::int_at(o, "lowStockThreshold");
    if (o.contains("imageUrl")) p.image_url = json::string_at(o, "imageUrl");
    if (const auto* w = o.if_contains("weight")) p.weight = weight_of(*w);
    if (const auto* d = o.if_contains("dimensions")) {
        p.dimensions_json = d->is_null() ? std::string() : json::serialize(json::object_at(o, "dimensions"));
    }
    if (o.contains("isActive")) p.is_active = json::bool_at(o, "isActive");
}

// Units leaving the reserved total; the deciders never release more than is reserved.
void unreserve(Product& p, std::int64_t quantity) {
    if (quantity <= 0 || p.reserved < quantity) throw std::invalid_argument("more released than reserved");
    p.reserved -= quantity;
}

}  // namespace

std::string normalize_sku(std::string_view sku) {
    return text::lower_ascii(text::trim(sku));
}

void evolve(Product& p, const RecordedEvent& e) {
    const auto o = json::parse_object(e.payload);
    const std::string_view type = e.type;
    if (type == events::kProductCreated) {
        p = Product{};
        p.id = json::int_at(o, "id");
        apply_fields(p, o);
        p.created_us = e.time_us;
    } else if (type == events::kProductUpdated) {
        apply_fields(p, json::object_at(o, "changes"));
    } else if (type == events::kProductDeactivated) {
        p.is_active = false;
    } else if (type == events::kStockSet) {
        // By what the decision changed (quantity - previous), not to `quantity`: an order's dispatch or restock
        // takes no product lock and may land between a stock command's decision and its append, and its move
        // must stay counted (the append's `quantity` is what the decision saw it leave).
        p.stock_quantity += json::int_at(o, "quantity") - json::int_at(o, "previous");
    } else if (type == events::kStockAdjusted) {
        p.stock_quantity += json::int_at(o, "delta");
    } else if (type == events::kStockReserved) {
        p.reserved += json::int_at(o, "quantity");
    } else if (type == events::kStockReleased) {
        unreserve(p, json::int_at(o, "quantity"));
    } else if (type == events::kStockConsumed) {
        const std::int64_t q = json::int_at(o, "quantity");
        unreserve(p, q);
        p.stock_quantity -= q;
    } else if (type == events::kStockRestocked) {
        p.stock_quantity += json::int_at(o, "quantity");
    }
    p.version = e.version.value();
    p.updated_us = e.time_us;
}

void evolve(SkuReservation& r, const RecordedEvent& e) {
    const auto o = json::parse_object(e.payload);
    if (e.type == events::kSkuReserved) {
        r.reserved = true;
        r.product_id = json::int_at(o, "productId");
    } else if (e.type == events::kSkuReleased) {
        r.reserved = false;
    }
}

}  // namespace codd::engine::catalog

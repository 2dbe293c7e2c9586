#include "engine/catalog/catalog_events.hpp"

#include <charconv>

#include "engine/catalog/catalog_service.hpp"
#include "engine/json_codec.hpp"

namespace codd::engine::catalog::events {
namespace json = engine::json;
namespace {

boost::json::value dimensions_value(const std::string& dimensions_json) {
    if (dimensions_json.empty()) return nullptr;
    return json::parse_object(dimensions_json);
}

boost::json::object movement(ProductId id, OrderId order, std::int64_t quantity) {
    return {{"id", id}, {"orderId", order}, {"quantity", quantity}};
}

}  // namespace

namespace {
constexpr std::string_view kProductStreamPrefix = "product-";
}  // namespace

std::string product_stream(ProductId id) {
    return std::string(kProductStreamPrefix) + std::to_string(id);
}

std::optional<ProductId> product_of_stream(std::string_view stream) {
    if (!stream.starts_with(kProductStreamPrefix)) return std::nullopt;
    const std::string_view digits = stream.substr(kProductStreamPrefix.size());
    // As std::to_string writes an id: digits only, no sign, no leading zero.
    if (digits.empty() || digits.front() < '1' || digits.front() > '9') return std::nullopt;
    ProductId id = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return id;
}

std::string sku_stream(std::string_view normalized_sku) {
    return "product-sku-" + std::string(normalized_sku);
}

NewEvent product_created(const Product& p) {
    boost::json::object o{
        {"id", p.id},
        {"sku", p.sku},
        {"name", p.name},
        {"description", p.description},
        {"category", p.category},
        {"price", p.price.minor},
        {"costPrice", p.cost_price.minor},
        {"stockQuantity", p.stock_quantity},
        {"lowStockThreshold", p.low_stock_threshold},
        {"imageUrl", p.image_url},
        {"isActive", p.is_active},
    };
    o["weight"] = p.weight ? boost::json::value(*p.weight) : boost::json::value(nullptr);
    o["dimensions"] = dimensions_value(p.dimensions_json);
    return json::make_event(kProductCreated, o);
}

NewEvent product_updated(ProductId id, const ProductPatch& c) {
    boost::json::object changes;
    if (c.sku) changes["sku"] = *c.sku;
    if (c.name) changes["name"] = *c.name;
    if (c.description) changes["description"] = *c.description;
    if (c.category) changes["category"] = *c.category;
    if (c.price) changes["price"] = c.price->minor;
    if (c.cost_price) changes["costPrice"] = c.cost_price->minor;
    if (c.low_stock_threshold) changes["lowStockThreshold"] = *c.low_stock_threshold;
    if (c.image_url) changes["imageUrl"] = *c.image_url;
    if (c.weight) changes["weight"] = *c.weight ? boost::json::value(**c.weight) : boost::json::value(nullptr);
    if (c.dimensions_json) changes["dimensions"] = dimensions_value(*c.dimensions_json);
    if (c.is_active && *c.is_active) changes["isActive"] = true;
    return json::make_event(kProductUpdated, {{"id", id}, {"changes", std::move(changes)}});
}

NewEvent product_deactivated(ProductId id) {
    return json::make_event(kProductDeactivated, {{"id", id}});
}

NewEvent stock_set(ProductId id, std::int64_t quantity, std::int64_t previous, std::string_view reason) {
    return json::make_event(kStockSet, {{"id", id}, {"quantity", quantity}, {"previous", previous}, {"reason", reason}});
}

NewEvent stock_adjusted(ProductId id, std::int64_t delta, std::int64_t quantity, std::string_view reason) {
    return json::make_event(kStockAdjusted, {{"id", id}, {"delta", delta}, {"quantity", quantity}, {"reason", reason}});
}

NewEvent stock_reserved(ProductId id, OrderId order, std::int64_t quantity) {
    return json::make_event(kStockReserved, movement(id, order, quantity));
}

NewEvent stock_released(ProductId id, OrderId order, std::int64_t quantity) {
    return json::make_event(kStockReleased, movement(id, order, quantity));
}

NewEvent stock_consumed(ProductId id, OrderId order, std::int64_t quantity) {
    return json::make_event(kStockConsumed, movement(id, order, quantity));
}

NewEvent stock_restocked(ProductId id, OrderId order, std::int64_t quantity) {
    return json::make_event(kStockRestocked, movement(id, order, quantity));
}

NewEvent sku_reserved(std::string_view normalized_sku, ProductId id) {
    return json::make_event(kSkuReserved, {{"sku", normalized_sku}, {"productId", id}});
}

NewEvent sku_released(std::string_view normalized_sku, ProductId id) {
    return json::make_event(kSkuReleased, {{"sku", normalized_sku}, {"productId", id}});
}

}  // namespace codd::engine::catalog::events

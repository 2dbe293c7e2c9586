#pragma once
// The catalog events: stream names, type names and payload encoders. Payloads are JSON objects with the
// REST API's camelCase keys, schema version 1, money in minor units.

#include <optional>
#include <string>
#include <string_view>

#include "engine/catalog/product.hpp"
#include "engine/envelope.hpp"

namespace codd::engine::catalog {
struct ProductPatch;
}

namespace codd::engine::catalog::events {

inline constexpr std::string_view kProductCreated = "ProductCreated";
inline constexpr std::string_view kProductUpdated = "ProductUpdated";
inline constexpr std::string_view kProductDeactivated = "ProductDeactivated";
inline constexpr std::string_view kStockSet = "StockSet";
inline constexpr std::string_view kStockAdjusted = "StockAdjusted";
inline constexpr std::string_view kStockReserved = "StockReserved";
inline constexpr std::string_view kStockReleased = "StockReleased";
inline constexpr std::string_view kStockConsumed = "StockConsumed";
inline constexpr std::string_view kStockRestocked = "StockRestocked";
inline constexpr std::string_view kSkuReserved = "SkuReserved";
inline constexpr std::string_view kSkuReleased = "SkuReleased";

inline constexpr std::string_view kProductSequence = "product";

std::string product_stream(ProductId id);
// The product a stream name is the stream of (product_stream's inverse); nullopt for any other stream, the SKU
// streams among them.
std::optional<ProductId> product_of_stream(std::string_view stream);
std::string sku_stream(std::string_view normalized_sku);

NewEvent product_created(const Product& p);
// The fields set in `changes`; isActive only when true (reactivation: deactivation is its own event).
NewEvent product_updated(ProductId id, const ProductPatch& changes);
NewEvent product_deactivated(ProductId id);
NewEvent stock_set(ProductId id, std::int64_t quantity, std::int64_t previous, std::string_view reason);
NewEvent stock_adjusted(ProductId id, std::int64_t delta, std::int64_t quantity, std::string_view reason);
NewEvent stock_reserved(ProductId id, OrderId order, std::int64_t quantity);
NewEvent stock_released(ProductId id, OrderId order, std::int64_t quantity);
NewEvent stock_consumed(ProductId id, OrderId order, std::int64_t quantity);
NewEvent stock_restocked(ProductId id, OrderId order, std::int64_t quantity);
NewEvent sku_reserved(std::string_view normalized_sku, ProductId id);
NewEvent sku_released(std::string_view normalized_sku, ProductId id);

}  // namespace codd::engine::catalog::events

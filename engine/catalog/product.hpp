#pragma once
// A product as its events leave it (reference §1 Product), and the SKU reservation that keeps SKUs unique.
// Both are folded from their streams by `evolve`; nothing here reads the log or the clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/envelope.hpp"
#include "engine/types.hpp"

namespace codd::engine::catalog {

using ProductId = std::int64_t;
using OrderId = std::int64_t;

inline constexpr std::int64_t kDefaultLowStockThreshold = 10;

struct Product {
    ProductId id = 0;
    std::string sku;  // as entered (trimmed); uniqueness is on normalize_sku(sku)
    std::string name, description, category;
    Money price, cost_price;
    std::int64_t stock_quantity = 0;  // on hand, reserved included
    std::int64_t reserved = 0;        // held for orders not yet dispatched
    std::int64_t low_stock_threshold = kDefaultLowStockThreshold;
    std::string image_url;
    std::optional<double> weight;
    std::string dimensions_json;  // canonical JSON object text; empty: none
    bool is_active = true;
    // Which order holds or took away what is the order's to know (its StockStage and items, decided on the
    // order stream), not the product's: a per-order map here grew by an entry per order for ever and was
    // held by the StockBook's cache of every product. The product keeps totals only.
    std::int64_t version = -1;
    std::int64_t created_us = 0, updated_us = 0;

    [[nodiscard]] std::int64_t available() const { return stock_quantity - reserved; }
    [[nodiscard]] bool low_stock() const { return stock_quantity <= low_stock_threshold; }
    bool operator==(const Product&) const = default;
};

// The product-sku-<normalized> stream: which product holds a SKU, if any.
struct SkuReservation {
    bool reserved = false;
    ProductId product_id = 0;
};

// Trimmed and lower-cased: "  Tee-01 " and "TEE-01" are the same SKU.
std::string normalize_sku(std::string_view sku);

// Applies one event of a product-<id> stream. Throws std::invalid_argument on a malformed payload.
void evolve(Product& p, const RecordedEvent& e);
// Applies one event of a product-sku-<sku> stream.
void evolve(SkuReservation& r, const RecordedEvent& e);

}  // namespace codd::engine::catalog

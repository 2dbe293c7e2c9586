#pragma once
// Input checks of the product commands, with field-level rejections named as the REST API names fields
// (sku, name, description, category, price, costPrice, stockQuantity, lowStockThreshold, imageUrl, weight,
// dimensions, reason). Each normalizer trims what it is given and returns the first problem it finds.

#include <optional>
#include <string>

#include "engine/catalog/catalog_service.hpp"

namespace codd::engine::catalog {

inline constexpr std::size_t kMaxSkuChars = 64;
inline constexpr std::size_t kMaxProductNameChars = 200;
inline constexpr std::size_t kMaxCategoryChars = 100;
inline constexpr std::size_t kMaxDescriptionBytes = 10 * 1024;
inline constexpr std::size_t kMaxImageUrlBytes = 2048;
inline constexpr std::size_t kMaxDimensionsBytes = 4 * 1024;
inline constexpr std::size_t kMaxReasonChars = 500;
// 10^13 minor units: far above any price, far below an overflow when multiplied by a quantity.
inline constexpr std::int64_t kMaxPriceMinor = 10'000'000'000'000LL;

std::optional<Rejection> normalize(NewProduct& p);
std::optional<Rejection> normalize(ProductPatch& p);
// Trims; `required` refuses an empty reason.
std::optional<Rejection> normalize_reason(std::string& reason, bool required);

}  // namespace codd::engine::catalog

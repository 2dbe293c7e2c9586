#pragma once
// The stock deciders: pure functions from loaded products and an order's lines to the appends that move
// stock, one stream per product at its loaded version, so several products change in one atomic append
// (and an order's own stream can join it).

#include <functional>
#include <string>
#include <vector>

#include "engine/aggregate.hpp"
#include "engine/catalog/product.hpp"

namespace codd::engine::catalog {

struct StockLine {
    ProductId product_id = 0;
    std::int64_t quantity = 0;
};

// Lines merged by product (quantities summed), in product order; refused when empty, when a quantity is
// not positive ("quantity") or a sum overflows.
Result<std::vector<StockLine>> merge_lines(const std::vector<StockLine>& lines);

// `products[i]` is the loaded product of `lines[i]` (lines as merge_lines returns them).
using StockDecider = std::function<Result<std::vector<StreamAppend>>(const std::vector<Loaded<Product>>& products,
                                                                     const std::vector<StockLine>& lines)>;

// Refused when a product is missing or inactive, or has less available than asked.
Result<std::vector<StreamAppend>> decide_reserve(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines);
// Release and consume are refused when a product has fewer units reserved in all than asked; restock only
// needs the product. Which order holds or took away which units is the order aggregate's (its StockStage,
// decided on the order stream in the same append), so these check product totals only.
Result<std::vector<StreamAppend>> decide_release(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines);
Result<std::vector<StreamAppend>> decide_consume(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines);
Result<std::vector<StreamAppend>> decide_restock(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines);

// Stock set to `quantity` / moved by `delta`: refused below the reserved units or out of range.
Result<std::vector<StreamAppend>> decide_set_stock(const Loaded<Product>& p, std::int64_t quantity,
                                                   const std::string& reason);
Result<std::vector<StreamAppend>> decide_adjust_stock(const Loaded<Product>& p, std::int64_t delta,
                                                      const std::string& reason);

}  // namespace codd::engine::catalog

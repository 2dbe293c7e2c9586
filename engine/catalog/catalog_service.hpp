#pragma once
// CatalogService: the product commands (DESIGN §4 "Catalog", "Stock"), each decided on the product as the
// StockBook caches it, under the book's lock for the product (stock_book.hpp); reads come from the same
// cache (the list and low-stock views are the projections' job).
//
// Streams: product-<id> (ids from the log sequence "product", 1001…) and product-sku-<normalized sku>
// (SkuReserved / SkuReleased: a new reservation expects the stream absent or at its released version, so
// a SKU is unique through the log's expected-version check, whatever its case).
//
// Stock: stockQuantity is on hand, reserved is held for orders; 0 <= reserved <= stockQuantity always.
// An order reserves (several products in one append), releases on cancel, consumes on dispatch (on hand
// and reserved both drop), and a return restocks. OrderService puts these moves in the order's own append
// through the same StockBook (stock_book()); reserve/release/consume/restock here are the direct form, each
// appended while the products stay locked, for units no OrderService order holds (an order's own moves
// must stay the ones its status implies, or a later move of it would take more than the product holds).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/aggregate.hpp"
#include "engine/catalog/product.hpp"
#include "engine/catalog/stock.hpp"
#include "engine/catalog/stock_book.hpp"

namespace codd::engine::catalog {

struct NewProduct {
    std::string sku, name, description, category;
    Money price, cost_price;
    std::int64_t stock_quantity = 0;
    std::int64_t low_stock_threshold = kDefaultLowStockThreshold;
    std::string image_url;
    std::optional<double> weight;
    std::string dimensions_json;  // a JSON object, or empty
    bool is_active = true;        // false: created inactive, in the same event
};

// A partial update: only the fields that are set change. is_active false deactivates, true reactivates. A weight
// set to an empty optional clears it, as an empty dimensions_json clears the dimensions. stock_quantity sets the
// units on hand as set_stock does (with stock_reason), in the same append: a refused stock refuses the whole
// update.
struct ProductPatch {
    std::optional<std::string> sku, name, description, category, image_url, dimensions_json;
    std::optional<Money> price, cost_price;
    std::optional<std::int64_t> low_stock_threshold;
    std::optional<std::optional<double>> weight;
    std::optional<bool> is_active;
    std::optional<std::int64_t> stock_quantity;
    std::string stock_reason;
};

class CatalogService {
  public:
    // With a StockBook of its own.
    CatalogService(EventLog& log, std::shared_ptr<Clock> clock);
    // Sharing `book`: there must be one book per log in a process.
    CatalogService(EventLog& log, std::shared_ptr<Clock> clock, std::shared_ptr<StockBook> book);

    Result<Product> create(const NewProduct& p, const CommandContext& ctx);
    Result<Product> update(ProductId id, const ProductPatch& p, const CommandContext& ctx);
    Result<Product> deactivate(ProductId id, const CommandContext& ctx);
    // Sets on hand; refused below what is reserved. `reason` is optional here (the REST PATCH has none).
    Result<Product> set_stock(ProductId id, std::int64_t quantity, const std::string& reason,
                              const CommandContext& ctx);
    // Adds `delta` (negative: removes) to on hand, with a required reason; refused below what is reserved.
    Result<Product> adjust_stock(ProductId id, std::int64_t delta, const std::string& reason,
                                 const CommandContext& ctx);

    // All lines or none, in one append over every product's stream. Refused (conflict, "insufficient
    // stock", details productId/available/requested) when a product has less available than asked.
    Result<AppendResult> reserve(OrderId order, const std::vector<StockLine>& lines, const CommandContext& ctx);
    // Releases units reserved for the order; refused when the product has fewer reserved in all. (That the
    // order holds them is the order stream's to decide: OrderService moves stock only as its stage allows.)
    Result<AppendResult> release(OrderId order, const std::vector<StockLine>& lines, const CommandContext& ctx);
    // Dispatch: the order's reserved units leave the warehouse.
    Result<AppendResult> consume(OrderId order, const std::vector<StockLine>& lines, const CommandContext& ctx);
    // Return: units of a dispatched order come back on hand.
    Result<AppendResult> restock(OrderId order, const std::vector<StockLine>& lines, const CommandContext& ctx);

    [[nodiscard]] std::optional<Product> find(ProductId id) const;
    [[nodiscard]] std::optional<Product> find_by_sku(std::string_view sku) const;

    // The book every other stock mover (OrderService) must share with this service.
    [[nodiscard]] StockBook& stock_book() const { return *book_; }

  private:
    Result<Product> run(ProductId id, const CommandContext& ctx,
                        const std::function<Result<AppendRequest>(const Loaded<Product>&, TimePoint)>& decide);
    Result<AppendResult> run_lines(const std::vector<StockLine>& lines, const CommandContext& ctx,
                                   const StockDecider& decide);

    EventLog& log_;
    std::shared_ptr<Clock> clock_;
    std::shared_ptr<StockBook> book_;
};

}  // namespace codd::engine::catalog

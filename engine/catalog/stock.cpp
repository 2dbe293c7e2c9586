#include "engine/catalog/stock.hpp"

#include <map>

#include "engine/catalog/catalog_events.hpp"

namespace codd::engine::catalog {
namespace {

// On-hand and per-line quantities stay far below this, so sums of them never overflow.
constexpr std::int64_t kMaxQuantity = 1'000'000'000;

std::string product_name(ProductId id) {
    return "product " + std::to_string(id);
}

Rejection shortage(const Product& p, std::int64_t requested) {
    Rejection r =
        conflict("insufficient stock for product " + std::to_string(p.id) + " (" + p.sku +
                     "): " + std::to_string(p.available()) + " available, " + std::to_string(requested) + " requested",
                 "items");
    r.details = {{"productId", p.id}, {"available", p.available()}, {"requested", requested}};
    return r;
}

// One event per line, each on its product's stream at the version it was loaded at.
using LineCheck = std::function<std::optional<Rejection>(const Product&, std::int64_t quantity)>;
using LineEvent = std::function<NewEvent(ProductId, std::int64_t quantity)>;

Result<std::vector<StreamAppend>> decide_lines(const std::vector<Loaded<Product>>& products,
                                               const std::vector<StockLine>& lines, const LineCheck& check,
                                               const LineEvent& event) {
    std::vector<StreamAppend> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const Loaded<Product>& p = products.at(i);
        if (!p.exists()) return not_found(product_name(lines[i].product_id));
        if (auto r = check(p.state, lines[i].quantity)) return *r;
        out.push_back({events::product_stream(p.state.id), expect(p.version), {event(p.state.id, lines[i].quantity)}});
    }
    return out;
}

// The product-level bound of a release or a dispatch: no more than is reserved in all. That the order
// itself holds these units is its own stream's decision (the order's StockStage), taken in the same append.
std::optional<Rejection> check_reserved(const Product& p, OrderId order, std::int64_t quantity, const char* what) {
    if (p.reserved >= quantity) return std::nullopt;
    Rejection r = conflict("product " + std::to_string(p.id) + " has " + std::to_string(p.reserved) +
                               " units reserved, cannot " + what + " " + std::to_string(quantity) + " for order " +
                               std::to_string(order),
                           "items");
    r.details = {{"productId", p.id}, {"reserved", p.reserved}, {"requested", quantity}};
    return r;
}

}  // namespace

Result<std::vector<StockLine>> merge_lines(const std::vector<StockLine>& lines) {
    if (lines.empty()) return invalid("items", "at least one item is required");
    std::map<ProductId, std::int64_t> merged;
    for (const auto& l : lines) {
        if (l.quantity <= 0) return invalid("quantity", "quantity must be a positive integer");
        if (l.quantity > kMaxQuantity) return invalid("quantity", "quantity is too large");
        std::int64_t& q = merged[l.product_id];
        q += l.quantity;
        if (q > kMaxQuantity) return invalid("quantity", "quantity is too large");
    }
    std::vector<StockLine> out;
    for (const auto& [id, q] : merged) out.push_back({id, q});
    return out;
}

Result<std::vector<StreamAppend>> decide_reserve(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines) {
    return decide_lines(
        products, lines,
        [](const Product& p, std::int64_t q) -> std::optional<Rejection> {
            if (!p.is_active) return conflict("product " + std::to_string(p.id) + " is not active", "items");
            if (p.available() < q) return shortage(p, q);
            return std::nullopt;
        },
        [order](ProductId id, std::int64_t q) { return events::stock_reserved(id, order, q); });
}

Result<std::vector<StreamAppend>> decide_release(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines) {
    return decide_lines(
        products, lines, [order](const Product& p, std::int64_t q) { return check_reserved(p, order, q, "release"); },
        [order](ProductId id, std::int64_t q) { return events::stock_released(id, order, q); });
}

Result<std::vector<StreamAppend>> decide_consume(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines) {
    return decide_lines(
        products, lines, [order](const Product& p, std::int64_t q) { return check_reserved(p, order, q, "consume"); },
        [order](ProductId id, std::int64_t q) { return events::stock_consumed(id, order, q); });
}

Result<std::vector<StreamAppend>> decide_restock(OrderId order, const std::vector<Loaded<Product>>& products,
                                                 const std::vector<StockLine>& lines) {
    // Units coming back need no product-level bound; that they left with this order is the order's stage.
    return decide_lines(
        products, lines, [](const Product&, std::int64_t) -> std::optional<Rejection> { return std::nullopt; },
        [order](ProductId id, std::int64_t q) { return events::stock_restocked(id, order, q); });
}

Result<std::vector<StreamAppend>> decide_set_stock(const Loaded<Product>& p, std::int64_t quantity,
                                                   const std::string& reason) {
    if (!p.exists()) return not_found("product");
    if (quantity < 0 || quantity > kMaxQuantity) {
        return invalid("stockQuantity", "stockQuantity must be between 0 and 1000000000");
    }
    if (quantity < p.state.reserved) {
        Rejection r = conflict(
            "stockQuantity cannot go below the " + std::to_string(p.state.reserved) + " units reserved for orders",
            "stockQuantity");
        r.details = {{"productId", p.state.id}, {"reserved", p.state.reserved}};
        return r;
    }
    if (quantity == p.state.stock_quantity) return std::vector<StreamAppend>{};
    return std::vector<StreamAppend>{{events::product_stream(p.state.id),
                                      expect(p.version),
                                      {events::stock_set(p.state.id, quantity, p.state.stock_quantity, reason)}}};
}

Result<std::vector<StreamAppend>> decide_adjust_stock(const Loaded<Product>& p, std::int64_t delta,
                                                      const std::string& reason) {
    if (!p.exists()) return not_found("product");
    if (delta == 0 || delta > kMaxQuantity || delta < -kMaxQuantity) {
        return invalid("delta", "delta must be a non-zero integer of at most 1000000000");
    }
    const std::int64_t quantity = p.state.stock_quantity + delta;
    if (quantity > kMaxQuantity) return invalid("delta", "stockQuantity would exceed 1000000000");
    if (quantity < p.state.reserved) {
        Rejection r = conflict(
            "stockQuantity cannot go below the " + std::to_string(p.state.reserved) + " units reserved for orders",
            "delta");
        r.details = {
            {"productId", p.state.id}, {"reserved", p.state.reserved}, {"stockQuantity", p.state.stock_quantity}};
        return r;
    }
    return std::vector<StreamAppend>{{events::product_stream(p.state.id),
                                      expect(p.version),
                                      {events::stock_adjusted(p.state.id, delta, quantity, reason)}}};
}

}  // namespace codd::engine::catalog

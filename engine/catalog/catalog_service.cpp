// CatalogService: each command locks the product in the StockBook, decides with a pure function of its
// cached state (and the SKU reservations it touches), and appends while still holding the lock.
#include "engine/catalog/catalog_service.hpp"

#include <algorithm>
#include <iterator>

#include "engine/catalog/catalog_events.hpp"
#include "engine/catalog/validation.hpp"
#include "engine/patch.hpp"

namespace codd::engine::catalog {
namespace {

// The patch reduced to what differs from `p`; a SKU that only changes case stays a change of the text.
ProductPatch changed_fields(ProductPatch c, const Product& p) {
    keep_if_changed(c.sku, p.sku);
    keep_if_changed(c.name, p.name);
    keep_if_changed(c.description, p.description);
    keep_if_changed(c.category, p.category);
    keep_if_changed(c.image_url, p.image_url);
    keep_if_changed(c.dimensions_json, p.dimensions_json);
    keep_if_changed(c.price, p.price);
    keep_if_changed(c.cost_price, p.cost_price);
    keep_if_changed(c.low_stock_threshold, p.low_stock_threshold);
    keep_if_changed(c.weight, p.weight);
    keep_if_changed(c.is_active, p.is_active);
    return c;
}

bool has_field_changes(const ProductPatch& c) {
    return c.sku || c.name || c.description || c.category || c.image_url || c.dimensions_json || c.price ||
           c.cost_price || c.low_stock_threshold || c.weight || (c.is_active && *c.is_active);
}

Product from_new(const NewProduct& n, ProductId id) {
    Product p;
    p.id = id;
    p.sku = n.sku;
    p.name = n.name;
    p.description = n.description;
    p.category = n.category;
    p.price = n.price;
    p.cost_price = n.cost_price;
    p.stock_quantity = n.stock_quantity;
    p.low_stock_threshold = n.low_stock_threshold;
    p.image_url = n.image_url;
    p.weight = n.weight;
    p.dimensions_json = n.dimensions_json;
    p.is_active = n.is_active;
    return p;
}

Rejection sku_taken() {
    return conflict("sku is already in use", "sku");
}

// The products' streams take `any`: the book's lock and holds, not their versions, keep stock consistent
// (stock_book.hpp); other streams of the request (SKU reservations) keep their expected versions.
AppendRequest on_any_product_version(std::vector<StreamAppend> streams) {
    for (auto& s : streams) {
        if (s.stream.starts_with("product-") && !s.stream.starts_with("product-sku-")) {
            s.expected = ExpectedVersion::any();
        }
    }
    return append_of(std::move(streams));
}

// The product with the units held by in-flight reservations counted as reserved: what a stock decrease
// or a new reservation must leave room for.
Loaded<Product> net_of_holds(const StockBook::Locked& locked, ProductId id) {
    Loaded<Product> p = locked.product(id);
    p.state.reserved += locked.held(id);
    return p;
}

}  // namespace

CatalogService::CatalogService(EventLog& log, std::shared_ptr<Clock> clock)
    : CatalogService(log, clock, std::make_shared<StockBook>(log, clock)) {}

CatalogService::CatalogService(EventLog& log, std::shared_ptr<Clock> clock, std::shared_ptr<StockBook> book)
    : log_(log), clock_(std::move(clock)), book_(std::move(book)) {}

std::optional<Product> CatalogService::find(ProductId id) const {
    return book_->find(id);
}

std::optional<Product> CatalogService::find_by_sku(std::string_view sku) const {
    auto r = load<SkuReservation>(log_, events::sku_stream(normalize_sku(sku)),
                                  [](SkuReservation& s, const RecordedEvent& e) { evolve(s, e); });
    if (!r.state.reserved) return std::nullopt;
    return find(r.state.product_id);
}

Result<Product> CatalogService::create(const NewProduct& input, const CommandContext& ctx) {
    NewProduct n = input;
    if (auto r = normalize(n)) return *r;
    const std::string sku = normalize_sku(n.sku);
    auto attempt = [&](TimePoint) -> Result<AppendRequest> {
        auto reservation = load<SkuReservation>(log_, events::sku_stream(sku),
                                                [](SkuReservation& s, const RecordedEvent& e) { evolve(s, e); });
        if (reservation.state.reserved) return sku_taken();
        AppendRequest req;
        req.sequences = {std::string(events::kProductSequence)};
        // The id comes from the sequence, in the batch that writes the product: refusals leave no gaps.
        req.build = [n, sku, sku_version = reservation.version](SequenceValues ids) {
            const Product p = from_new(n, ids[0]);
            return std::vector<StreamAppend>{
                {events::product_stream(p.id), ExpectedVersion::no_stream(), {events::product_created(p)}},
                {events::sku_stream(sku), expect(sku_version), {events::sku_reserved(sku, p.id)}},
            };
        };
        return req;
    };
    auto result = execute(log_, *clock_, ctx, attempt);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    const ProductId id = std::get<AppendResult>(result).sequence_values.at(0);
    if (auto p = find(id)) return *p;
    return not_found("product " + std::to_string(id));
}

Result<Product> CatalogService::run(
    ProductId id, const CommandContext& ctx,
    const std::function<Result<AppendRequest>(const Loaded<Product>&, TimePoint)>& decide) {
    auto result = book_->in_lock({id}, ctx, [&](StockBook::Locked& locked) -> Result<AppendRequest> {
        const Loaded<Product> p = net_of_holds(locked, id);
        if (!p.exists()) return not_found("product " + std::to_string(id));
        auto decided = decide(p, clock_->now());
        if (auto* r = std::get_if<Rejection>(&decided)) return *r;
        // An edit of what orders read (active, price, ...): orders decided on the product as it was, not yet
        // appended, decide again behind this lock. Stock moves leave them be: their holds cover availability.
        auto& streams = std::get<AppendRequest>(decided).streams;
        const bool edits = std::any_of(streams.begin(), streams.end(), [](const StreamAppend& s) {
            return std::any_of(s.events.begin(), s.events.end(), [](const NewEvent& e) {
                return e.type == events::kProductUpdated || e.type == events::kProductDeactivated;
            });
        });
        if (edits) locked.revise(id);
        return on_any_product_version(std::move(streams));
    });
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    if (auto p = find(id)) return *p;
    return not_found("product " + std::to_string(id));
}

Result<Product> CatalogService::update(ProductId id, const ProductPatch& patch, const CommandContext& ctx) {
    ProductPatch input = patch;
    // Fields sent back as they are need no check: a product written under older rules (a control character in
    // its description) stays editable through the admin UI's form, which sends every field.
    if (const auto current = find(id)) input = changed_fields(std::move(input), *current);
    if (auto r = normalize(input)) return *r;
    if (input.stock_quantity) {
        if (auto r = normalize_reason(input.stock_reason, false)) return *r;
    }
    return run(id, ctx, [&](const Loaded<Product>& p, TimePoint) -> Result<AppendRequest> {
        const ProductPatch c = changed_fields(input, p.state);
        std::vector<StreamAppend> streams;
        const std::string old_sku = normalize_sku(p.state.sku);
        if (c.sku && normalize_sku(*c.sku) != old_sku) {
            // The new SKU is reserved and the old one released in the same append as the change.
            const std::string new_sku = normalize_sku(*c.sku);
            auto wanted = load<SkuReservation>(log_, events::sku_stream(new_sku),
                                               [](SkuReservation& s, const RecordedEvent& e) { evolve(s, e); });
            if (wanted.state.reserved) return sku_taken();
            auto held = load<SkuReservation>(log_, events::sku_stream(old_sku),
                                             [](SkuReservation& s, const RecordedEvent& e) { evolve(s, e); });
            streams.push_back(
                {events::sku_stream(new_sku), expect(wanted.version), {events::sku_reserved(new_sku, id)}});
            if (held.state.reserved && held.state.product_id == id) {
                streams.push_back(
                    {events::sku_stream(old_sku), expect(held.version), {events::sku_released(old_sku, id)}});
            }
        }
        std::vector<NewEvent> product_events;
        if (has_field_changes(c)) product_events.push_back(events::product_updated(id, c));
        if (input.stock_quantity) {
            auto stock = decide_set_stock(p, *input.stock_quantity, input.stock_reason);
            if (auto* r = std::get_if<Rejection>(&stock)) return *r;
            for (auto& s : std::get<std::vector<StreamAppend>>(stock)) {
                std::move(s.events.begin(), s.events.end(), std::back_inserter(product_events));
            }
        }
        if (c.is_active && !*c.is_active) product_events.push_back(events::product_deactivated(id));
        if (product_events.empty()) return AppendRequest{};
        streams.insert(streams.begin(),
                       StreamAppend{events::product_stream(id), expect(p.version), std::move(product_events)});
        return append_of(std::move(streams));
    });
}

Result<Product> CatalogService::deactivate(ProductId id, const CommandContext& ctx) {
    return run(id, ctx, [&](const Loaded<Product>& p, TimePoint) -> Result<AppendRequest> {
        if (!p.state.is_active) return conflict("product is already deactivated");
        return append_of({{events::product_stream(id), expect(p.version), {events::product_deactivated(id)}}});
    });
}

Result<Product> CatalogService::set_stock(ProductId id, std::int64_t quantity, const std::string& reason_in,
                                          const CommandContext& ctx) {
    std::string reason = reason_in;
    if (auto r = normalize_reason(reason, false)) return *r;
    return run(id, ctx, [&](const Loaded<Product>& p, TimePoint) -> Result<AppendRequest> {
        auto streams = decide_set_stock(p, quantity, reason);
        if (auto* r = std::get_if<Rejection>(&streams)) return *r;
        return append_of(std::move(std::get<std::vector<StreamAppend>>(streams)));
    });
}

Result<Product> CatalogService::adjust_stock(ProductId id, std::int64_t delta, const std::string& reason_in,
                                             const CommandContext& ctx) {
    std::string reason = reason_in;
    if (auto r = normalize_reason(reason, true)) return *r;
    return run(id, ctx, [&](const Loaded<Product>& p, TimePoint) -> Result<AppendRequest> {
        auto streams = decide_adjust_stock(p, delta, reason);
        if (auto* r = std::get_if<Rejection>(&streams)) return *r;
        return append_of(std::move(std::get<std::vector<StreamAppend>>(streams)));
    });
}

Result<AppendResult> CatalogService::run_lines(const std::vector<StockLine>& input, const CommandContext& ctx,
                                               const StockDecider& decide) {
    auto merged = merge_lines(input);
    if (auto* r = std::get_if<Rejection>(&merged)) return *r;
    const auto& lines = std::get<std::vector<StockLine>>(merged);
    std::vector<ProductId> ids;
    for (const auto& l : lines) ids.push_back(l.product_id);
    return book_->in_lock(ids, ctx, [&](StockBook::Locked& locked) -> Result<AppendRequest> {
        std::vector<Loaded<Product>> products;
        products.reserve(lines.size());
        for (const auto& l : lines) products.push_back(net_of_holds(locked, l.product_id));
        auto streams = decide(products, lines);
        if (auto* r = std::get_if<Rejection>(&streams)) return *r;
        return on_any_product_version(std::move(std::get<std::vector<StreamAppend>>(streams)));
    });
}

Result<AppendResult> CatalogService::reserve(OrderId order, const std::vector<StockLine>& lines,
                                             const CommandContext& ctx) {
    return run_lines(lines, ctx, [order](const auto& p, const auto& l) { return decide_reserve(order, p, l); });
}

Result<AppendResult> CatalogService::release(OrderId order, const std::vector<StockLine>& lines,
                                             const CommandContext& ctx) {
    return run_lines(lines, ctx, [order](const auto& p, const auto& l) { return decide_release(order, p, l); });
}

Result<AppendResult> CatalogService::consume(OrderId order, const std::vector<StockLine>& lines,
                                             const CommandContext& ctx) {
    return run_lines(lines, ctx, [order](const auto& p, const auto& l) { return decide_consume(order, p, l); });
}

Result<AppendResult> CatalogService::restock(OrderId order, const std::vector<StockLine>& lines,
                                             const CommandContext& ctx) {
    return run_lines(lines, ctx, [order](const auto& p, const auto& l) { return decide_restock(order, p, l); });
}

}  // namespace codd::engine::catalog

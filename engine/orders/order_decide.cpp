#include "engine/orders/order_decide.hpp"

#include <algorithm>
#include <tuple>

#include "engine/catalog/catalog_events.hpp"
#include "engine/customers/validation.hpp"
#include "engine/json_codec.hpp"
#include "engine/orders/order_events.hpp"
#include "engine/patch.hpp"
#include "engine/text.hpp"

namespace codd::engine::orders {
namespace {

using catalog::StockLine;

// Per line; with prices below catalog::kMaxPriceMinor (10^13) a line total stays at most 10^18.
constexpr std::int64_t kMaxItemQuantity = 100'000;
constexpr std::size_t kMaxItems = 200;
constexpr std::int64_t kMaxMoneyMinor = 1'000'000'000'000'000LL;
// An order's subtotal and total: the largest amount the API takes in a body (1000000000000.00), so that an
// order's own amounts sent back (the edit form sends the whole order) are never refused as too large.
constexpr std::int64_t kMaxOrderMinor = 100'000'000'000'000LL;

// Free text of delivery and cash commands; reasons and notes share an order's notes' 4 KiB.
constexpr std::size_t kMaxUrlChars = 2048;
constexpr std::size_t kMaxProofDataBytes = 128 * 1024;  // a signature image, base64
constexpr std::size_t kMaxPhoneChars = 32;
constexpr std::size_t kMaxCategoryChars = 100;
constexpr std::size_t kMaxReferenceChars = 200;

const char* const kSources[] = {"manual", "bulk_import", "webhook", "checkout_form"};

std::string item_field(std::size_t i, const char* name) {
    return "items[" + std::to_string(i) + "]." + name;
}

std::string name_of(OrderStatus s) {
    return std::string(to_string(s));
}

Rejection refused(std::string message, std::string field = {}) {
    return Rejection{Rejection::Kind::refused, std::move(message), std::move(field)};
}

std::optional<Rejection> check_money(const Money& m, const char* field) {
    if (m.minor < 0 || m.minor > kMaxMoneyMinor)
        return invalid(field, std::string(field) + " must be between 0 and 10^18");
    return std::nullopt;
}

bool is_json_object(const std::string& text) {
    try {
        json::parse_object(text);
        return true;
    } catch (const std::invalid_argument&) {
        return false;
    }
}

// Whether one of the order's items is `product` at `price`.
bool sold_at(const std::vector<OrderItem>& items, ProductId product, Money price) {
    return std::any_of(items.begin(), items.end(),
                       [&](const OrderItem& i) { return i.product_id == product && i.unit_price == price; });
}

// A price the order has `product` at, other than the catalog's `price` (for a refusal's message).
std::optional<Money> other_order_price(const std::vector<OrderItem>& items, ProductId product, Money price) {
    for (const auto& i : items) {
        if (i.product_id == product && i.unit_price != price) return i.unit_price;
    }
    return std::nullopt;
}

// Items numbered from `first_id` on: a replacement never reuses an id the order had. A line is priced from the
// catalog; a unitPrice sent with it must be the catalog price, or, for a product already on the order (`kept`,
// an edit's items), the price the order has it at: changing an item's quantity after a price change keeps the
// price it was sold at, as the admin UI's edit form sends it back.
Result<std::vector<OrderItem>> price_items(const std::vector<NewOrderItem>& input, const ProductViews& products,
                                           std::int64_t first_id = 1, const std::vector<OrderItem>& kept = {}) {
    if (input.empty()) return invalid("items", "at least one item is required");
    if (input.size() > kMaxItems) return invalid("items", "at most 200 items");
    std::vector<OrderItem> items;
    for (std::size_t i = 0; i < input.size(); ++i) {
        const NewOrderItem& n = input[i];
        if (n.quantity <= 0) return invalid(item_field(i, "quantity"), "quantity must be a positive integer");
        if (n.quantity > kMaxItemQuantity) return invalid(item_field(i, "quantity"), "quantity is too large");
        auto it = products.find(n.product_id);
        if (it == products.end() || !it->second.product->exists()) {
            return invalid(item_field(i, "productId"), "product " + std::to_string(n.product_id) + " does not exist");
        }
        const catalog::Product& p = it->second.product->state;
        if (!p.is_active)
            return invalid(item_field(i, "productId"), "product " + std::to_string(p.id) + " is not active");
        Money price = p.price;
        if (n.unit_price && *n.unit_price != p.price) {
            if (!sold_at(kept, p.id, *n.unit_price)) {
                const auto other = other_order_price(kept, p.id, p.price);
                return invalid(item_field(i, "unitPrice"),
                               "unitPrice is " + to_string(p.price) + " (the catalog price" +
                                   (other ? ") or " + to_string(*other) + " (the order's price)" : ")") + ", not " +
                                   to_string(*n.unit_price));
            }
            price = *n.unit_price;
        }
        if (n.item_type != "package" && n.item_type != "upsell") {
            return invalid(item_field(i, "itemType"), "itemType must be package or upsell");
        }
        if (!n.metadata_json.empty() && !is_json_object(n.metadata_json)) {
            return invalid(item_field(i, "metadata"), "metadata must be a JSON object");
        }
        OrderItem item;
        item.id = first_id + static_cast<std::int64_t>(i);
        item.product_id = p.id;
        item.quantity = n.quantity;
        item.unit_price = price;
        item.total_price = Money{price.minor * n.quantity};
        item.item_type = n.item_type;
        item.metadata_json =
            n.metadata_json.empty() ? std::string() : json::serialize(json::parse_object(n.metadata_json));
        items.push_back(std::move(item));
    }
    return items;
}

// Items a client sent that are the order's own as it lists them (product, quantity, type and metadata in the
// same order; a unitPrice, when sent, the price the order was decided at): an edit form that sends the whole
// order back, unchanged items included, changes no item and reprices nothing.
bool same_as_order(const std::vector<NewOrderItem>& sent, const std::vector<OrderItem>& items) {
    return std::equal(sent.begin(), sent.end(), items.begin(), items.end(),
                      [](const NewOrderItem& n, const OrderItem& i) {
                          if (n.product_id != i.product_id || n.quantity != i.quantity || n.item_type != i.item_type)
                              return false;
                          if (n.unit_price && *n.unit_price != i.unit_price) return false;
                          if (n.metadata_json.empty() || i.metadata_json.empty())
                              return n.metadata_json.empty() && i.metadata_json.empty();
                          return is_json_object(n.metadata_json) &&
                                 json::parse_object(n.metadata_json) == json::parse_object(i.metadata_json);
                      });
}

// The same items but for their ids: replacing them changes nothing.
bool same_items(const std::vector<OrderItem>& a, const std::vector<OrderItem>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](OrderItem x, OrderItem y) {
        x.id = y.id;
        return x == y;
    });
}

struct Totals {
    Money subtotal, total;
};

// codd's totals; the client's claims must agree with them.
// `current`: the order an edit changes, whose own amounts are kept even above today's limit (an order created
// before it must stay editable through a form that sends its amounts back).
Result<Totals> compute_totals(const std::vector<OrderItem>& items, Money shipping, Money discount,
                              const std::optional<Money>& claimed_subtotal, const std::optional<Money>& claimed_total,
                              const Order* current = nullptr) {
    if (auto r = check_money(shipping, "shippingCost")) return *r;
    if (auto r = check_money(discount, "discount")) return *r;
    Totals t;
    for (const auto& i : items) {
        // Each line is at most 10^18 (catalog prices below 10^13, quantities at most 10^5): no overflow.
        t.subtotal.minor += i.total_price.minor;
        if (t.subtotal.minor > kMaxMoneyMinor) return invalid("subtotal", "the order total is too large");
    }
    t.total = Money{t.subtotal.minor + shipping.minor - discount.minor};
    if (t.total.minor < 0) return invalid("discount", "discount exceeds subtotal plus shipping");
    const Money kept_subtotal = current ? current->subtotal : Money{};
    const Money kept_total = current ? current->total_amount : Money{};
    for (const auto& [amount, field, kept] :
         {std::tuple{t.subtotal, "subtotal", kept_subtotal}, std::tuple{t.total, "totalAmount", kept_total}}) {
        if (amount.minor > kMaxOrderMinor && amount != kept) {
            return invalid(field, std::string(field) + " would be " + to_string(amount) + ", more than " +
                                      to_string(Money{kMaxOrderMinor}) + ", the largest amount an order takes");
        }
    }
    if (claimed_subtotal && *claimed_subtotal != t.subtotal) {
        return invalid("subtotal", "subtotal is " + to_string(t.subtotal) + ", the sum of the items");
    }
    if (claimed_total && *claimed_total != t.total) {
        return invalid("totalAmount", "totalAmount is " + to_string(t.total) + " (subtotal + shippingCost - discount)");
    }
    return t;
}

std::vector<std::string> clean_tags(const std::vector<std::string>& tags) {
    std::vector<std::string> out;
    for (const auto& t : tags) {
        std::string s = text::trim(t);
        if (!text::is_blank(s) && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return out;
}

// An order's free text keeps the limits of the customer's fields it copies (engine/customers/validation.hpp):
// an address, region or tag is one line of at most so many characters; notes are at most 4 KiB.
std::optional<Rejection> check_line(std::string_view v, const char* field, std::size_t max_chars) {
    if (text::utf8_length(v) > max_chars) {
        return invalid(field, std::string(field) + " must be at most " + std::to_string(max_chars) + " characters");
    }
    if (text::has_control(v)) return invalid(field, std::string(field) + " must not contain control characters");
    return std::nullopt;
}

std::optional<Rejection> check_notes(std::string_view v, const char* field) {
    if (v.size() > customers::kMaxNotesBytes) {
        return invalid(field,
                       std::string(field) + " must be at most " + std::to_string(customers::kMaxNotesBytes) + " bytes");
    }
    if (text::has_control_in_text(v)) {
        return invalid(field,
                       std::string(field) + " must not contain control characters other than tabs and line breaks");
    }
    return std::nullopt;
}

// A link the admin UI shows (a receipt, a proof photo): one line, http or https only (never javascript: or
// data:).
std::optional<Rejection> check_url(std::string_view v, const char* field) {
    if (auto r = check_line(v, field, kMaxUrlChars)) return r;
    if (std::any_of(v.begin(), v.end(), text::is_space)) {
        return invalid(field, std::string(field) + " must not contain spaces (a URL writes them as %20)");
    }
    const auto scheme = [&](std::string_view s) {
        return v.size() > s.size() && std::equal(s.begin(), s.end(), v.begin(), [](char a, char b) {
                   return a == std::tolower(static_cast<unsigned char>(b));
               });
    };
    if (!v.empty() && !scheme("http://") && !scheme("https://")) {
        return invalid(field, std::string(field) + " must be an http or https URL");
    }
    return std::nullopt;
}

std::optional<Rejection> check_tags(const std::vector<std::string>& tags) {
    if (tags.size() > customers::kMaxTags) {
        return invalid("tags", "at most " + std::to_string(customers::kMaxTags) + " tags");
    }
    for (const auto& t : tags) {
        if (auto r = check_line(t, "tags", customers::kMaxTagChars)) return r;
    }
    return std::nullopt;
}

// The free text of an order as it would be stored, checked field by field (each optional: unchanged).
std::optional<Rejection> check_texts(const std::optional<std::string>& address, const std::optional<std::string>& state,
                                     const std::optional<std::string>& area, const std::optional<std::string>& notes,
                                     const std::optional<std::string>& internal_notes,
                                     const std::optional<std::vector<std::string>>& tags) {
    if (address) {
        if (auto r = check_line(*address, "deliveryAddress", customers::kMaxAddressChars)) return r;
    }
    if (state) {
        if (auto r = check_line(*state, "deliveryState", customers::kMaxRegionChars)) return r;
    }
    if (area) {
        if (auto r = check_line(*area, "deliveryArea", customers::kMaxRegionChars)) return r;
    }
    if (notes) {
        if (auto r = check_notes(*notes, "notes")) return r;
    }
    if (internal_notes) {
        if (auto r = check_notes(*internal_notes, "internalNotes")) return r;
    }
    return tags ? check_tags(*tags) : std::nullopt;
}

std::string or_default(const std::string& value, const std::string& fallback) {
    std::string v = text::trim(value);
    return text::is_blank(v) ? fallback : v;
}

bool payment_pending(const Order& o) {
    return o.payment_status == PaymentStatus::pending;
}

// A status change with its stock move (none when the stage stays).
Decision status_change(const Order& o, OrderStatus to, bool forced, const std::string& reason,
                       const std::string& notes) {
    Decision d;
    d.events.push_back(events::order_status_changed(o.id, o.status, to, forced, reason, notes));
    const StockStage from_stage = stock_stage(o.status), to_stage = stock_stage(to);
    if (from_stage != to_stage) {
        const auto lines = lines_of(o.items);
        d.stock = StockMove{from_stage, to_stage, lines, lines};
    }
    return d;
}

std::int64_t quantity_of(const std::vector<StockLine>& lines, ProductId id) {
    for (const auto& l : lines) {
        if (l.product_id == id) return l.quantity;
    }
    return 0;
}

std::vector<ProductId> products_of(const StockMove& m) {
    std::vector<ProductId> ids;
    for (const auto& l : m.from_lines) ids.push_back(l.product_id);
    for (const auto& l : m.to_lines) ids.push_back(l.product_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

}  // namespace

std::vector<StockLine> lines_of(const std::vector<OrderItem>& items) {
    std::map<ProductId, std::int64_t> merged;
    for (const auto& i : items) merged[i.product_id] += i.quantity;
    std::vector<StockLine> out;
    for (const auto& [id, q] : merged) out.push_back({id, q});
    return out;
}

std::vector<StockLine> units_taken(const StockMove& m) {
    std::vector<StockLine> out;
    if (m.to == StockStage::none) return out;
    for (ProductId id : products_of(m)) {
        const std::int64_t before = quantity_of(m.from_lines, id), after = quantity_of(m.to_lines, id);
        // From none every unit is new. Otherwise the order's own units come back first (released or restocked)
        // and only what the new lines hold beyond them is taken: items replaced while reserved, or replaced and
        // dispatched in one edit.
        const std::int64_t need = m.from == StockStage::none ? after : after - before;
        if (need > 0) out.push_back({id, need});
    }
    return out;
}

std::vector<StreamAppend> stock_streams(OrderId order, const StockMove& m) {
    namespace ce = catalog::events;
    using S = StockStage;
    std::vector<StreamAppend> out;
    for (ProductId id : products_of(m)) {
        const std::int64_t before = quantity_of(m.from_lines, id), after = quantity_of(m.to_lines, id);
        std::vector<NewEvent> moves;
        auto release = [&] {
            if (before > 0) moves.push_back(ce::stock_released(id, order, before));
        };
        auto restock = [&] {
            if (before > 0) moves.push_back(ce::stock_restocked(id, order, before));
        };
        auto reserve = [&] {
            if (after > 0) moves.push_back(ce::stock_reserved(id, order, after));
        };
        auto consume = [&](std::int64_t q) {
            if (q > 0) moves.push_back(ce::stock_consumed(id, order, q));
        };
        if (m.from == S::reserved && m.to == S::reserved && before != after) {
            release();
            reserve();
        } else if (m.from == S::reserved && m.to == S::dispatched) {
            // The lines dispatched are those after the move (an edit may replace the items as it dispatches).
            if (before != after) {
                release();
                reserve();
            }
            consume(after);
        } else if (m.from == S::reserved && m.to == S::none) {
            release();
        } else if (m.from == S::dispatched && m.to == S::none) {
            restock();
        } else if (m.from == S::dispatched && m.to == S::reserved) {
            restock();
            reserve();
        } else if (m.from == S::none && m.to == S::reserved) {
            reserve();
        } else if (m.from == S::none && m.to == S::dispatched) {
            reserve();
            consume(after);
        }
        if (!moves.empty()) out.push_back({ce::product_stream(id), ExpectedVersion::any(), std::move(moves)});
    }
    return out;
}

std::optional<Rejection> check_available(const std::vector<StockLine>& taken, const ProductViews& products) {
    for (const auto& t : taken) {
        const auto it = products.find(t.product_id);
        const std::int64_t available = it == products.end() ? 0 : it->second.available;
        if (available >= t.quantity) continue;
        Rejection r =
            conflict("insufficient stock for product " + std::to_string(t.product_id) + ": " +
                         std::to_string(available) + " available, " + std::to_string(t.quantity) + " requested",
                     "items");
        r.details = {{"productId", t.product_id}, {"available", available}, {"requested", t.quantity}};
        return r;
    }
    return std::nullopt;
}

Result<Order> decide_create(const NewOrder& n, const customers::Customer& customer, const ProductViews& products,
                            std::int64_t now_us) {
    auto items = price_items(n.items, products);
    if (auto* r = std::get_if<Rejection>(&items)) return *r;
    auto totals = compute_totals(std::get<std::vector<OrderItem>>(items), n.shipping_cost, n.discount, n.subtotal,
                                 n.total_amount);
    if (auto* r = std::get_if<Rejection>(&totals)) return *r;
    if (std::find(std::begin(kSources), std::end(kSources), n.source) == std::end(kSources)) {
        return invalid("source", "source must be manual, bulk_import, webhook or checkout_form");
    }
    Order o;
    o.customer_id = customer.id;
    o.customer_rep_id = n.customer_rep_id;
    o.created_by = n.created_by;
    o.items = std::move(std::get<std::vector<OrderItem>>(items));
    o.subtotal = std::get<Totals>(totals).subtotal;
    o.shipping_cost = n.shipping_cost;
    o.discount = n.discount;
    o.total_amount = o.cod_amount = std::get<Totals>(totals).total;
    o.notes = text::trim(n.notes);
    o.internal_notes = text::trim(n.internal_notes);
    o.delivery_address = or_default(n.delivery_address, customer.address);
    o.delivery_state = or_default(n.delivery_state, customer.state);
    o.delivery_area = or_default(n.delivery_area, customer.area);
    if (text::is_blank(o.delivery_address)) return invalid("deliveryAddress", "deliveryAddress is required");
    o.estimated_delivery_us = n.estimated_delivery_us;
    o.priority = n.priority;
    o.tags = clean_tags(n.tags);
    if (auto r =
            check_texts(o.delivery_address, o.delivery_state, o.delivery_area, o.notes, o.internal_notes, o.tags)) {
        return *r;
    }
    o.source = n.source;
    o.external_order_id = text::trim(n.external_order_id);
    if (auto r = check_line(o.external_order_id, "externalOrderId", 200)) return *r;
    o.stock = StockStage::reserved;
    o.created_us = o.updated_us = now_us;
    return o;
}

StockMove reservation_of(const Order& o) {
    return StockMove{StockStage::none, StockStage::reserved, {}, lines_of(o.items)};
}

Result<Decision> decide_update(const Order& o, const OrderPatch& p, const ProductViews& products) {
    events::OrderChanges c;
    c.notes = p.notes;
    c.internal_notes = p.internal_notes;
    if (p.delivery_address) c.delivery_address = text::trim(*p.delivery_address);
    if (p.delivery_state) c.delivery_state = text::trim(*p.delivery_state);
    if (p.delivery_area) c.delivery_area = text::trim(*p.delivery_area);
    if (c.delivery_address && text::is_blank(*c.delivery_address)) {
        return invalid("deliveryAddress", "deliveryAddress cannot be empty");
    }
    c.estimated_delivery_us = p.estimated_delivery_us;
    c.priority = p.priority;
    if (p.tags) c.tags = clean_tags(*p.tags);
    keep_if_changed(c.notes, o.notes);
    keep_if_changed(c.internal_notes, o.internal_notes);
    keep_if_changed(c.delivery_address, o.delivery_address);
    keep_if_changed(c.delivery_state, o.delivery_state);
    keep_if_changed(c.delivery_area, o.delivery_area);
    if (c.estimated_delivery_us && *c.estimated_delivery_us == o.estimated_delivery_us) c.estimated_delivery_us.reset();
    keep_if_changed(c.priority, o.priority);
    keep_if_changed(c.tags, o.tags);
    // What changes (an order from before these limits keeps its longer text while it stays as it is).
    if (auto r =
            check_texts(c.delivery_address, c.delivery_state, c.delivery_area, c.notes, c.internal_notes, c.tags)) {
        return *r;
    }

    // What the request changes, not what it sends: the admin UI's edit form sends every field back.
    const bool new_items = p.items && !same_as_order(*p.items, o.items);
    const Money shipping = p.shipping_cost.value_or(o.shipping_cost), discount = p.discount.value_or(o.discount);
    const bool money_changes = new_items || shipping != o.shipping_cost || discount != o.discount ||
                               (p.subtotal && *p.subtotal != o.subtotal) ||
                               (p.total_amount && *p.total_amount != o.total_amount);
    if (money_changes && !payment_pending(o))
        return refused("the order's payment was collected: its amounts stay", "items");
    if (new_items && o.stock == StockStage::dispatched) {
        return refused("items cannot change once the order is dispatched", "items");
    }
    std::vector<OrderItem> items = o.items;
    if (new_items) {
        std::int64_t last_id = 0;
        for (const auto& i : o.items) last_id = std::max(last_id, i.id);
        auto priced = price_items(*p.items, products, last_id + 1, o.items);
        if (auto* r = std::get_if<Rejection>(&priced)) return *r;
        items = std::move(std::get<std::vector<OrderItem>>(priced));
    }
    auto totals = compute_totals(items, shipping, discount, p.subtotal, p.total_amount, &o);
    if (auto* r = std::get_if<Rejection>(&totals)) return *r;
    const Totals& t = std::get<Totals>(totals);

    Decision d;
    if (new_items && !same_items(items, o.items)) {
        Order after = o;
        after.items = items;
        after.subtotal = t.subtotal;
        after.shipping_cost = shipping;
        after.discount = discount;
        after.total_amount = after.cod_amount = t.total;
        d.events.push_back(events::order_items_replaced(after));
        if (o.stock == StockStage::reserved) {
            d.stock = StockMove{StockStage::reserved, StockStage::reserved, lines_of(o.items), lines_of(items)};
        }
    } else {
        c.shipping_cost = shipping;
        c.discount = discount;
        c.subtotal = t.subtotal;
        c.total_amount = t.total;
        c.cod_amount = t.total;
        keep_if_changed(c.shipping_cost, o.shipping_cost);
        keep_if_changed(c.discount, o.discount);
        keep_if_changed(c.subtotal, o.subtotal);
        keep_if_changed(c.total_amount, o.total_amount);
        keep_if_changed(c.cod_amount, o.cod_amount);
    }
    const bool changed = c.notes || c.internal_notes || c.delivery_address || c.delivery_state || c.delivery_area ||
                         c.estimated_delivery_us || c.priority || c.tags || c.shipping_cost || c.discount ||
                         c.subtotal || c.total_amount || c.cod_amount;
    if (changed) d.events.insert(d.events.begin(), events::order_updated(o.id, c));
    return d;
}

namespace {

// Cancel is refused once delivered (DESIGN §4), also when a delivered order went back out for delivery or failed
// it after all: its payment was collected, so it is returned (which keeps the sale counted), never cancelled.
std::optional<Rejection> refuse_cancel_when_paid(const Order& o) {
    if (!payment_pending(o)) {
        return refused("the order's payment is " + std::string(to_string(o.payment_status)) +
                           ": it cannot be cancelled (return it instead)",
                       "status");
    }
    // Not even forced: the goods were handed over (an order delivered before every delivery collected its COD
    // amount may still show its payment pending).
    if (o.status == OrderStatus::delivered) {
        return refused("a delivered order cannot be cancelled (return it instead)", "status");
    }
    return std::nullopt;
}

// Delivering an order whose payment is pending is its COD collection, whichever way it reaches delivered (a
// delivery's completion, a status change along the map or forced, an edit): its agent now holds `amount` in
// cash. Refused without an agent, since nobody would hold the cash and the payment could never be collected.
std::optional<Rejection> collect_on_delivery(Decision& d, const Order& o, Money amount, std::int64_t now_us) {
    if (!o.delivery_agent_id) {
        return refused("the order has no delivery agent: delivering it collects its COD amount into the agent's cash",
                       "deliveryAgentId");
    }
    if (auto r = check_money(amount, "codAmount")) return *r;
    const UserId agent = *o.delivery_agent_id;
    d.events.push_back(events::payment_collected(o.id, agent, amount, now_us));
    // Collections only add to cash in hand: `any` lets an agent's deliveries commit side by side.
    d.others.push_back({events::agent_cash_stream(agent),
                        ExpectedVersion::any(),
                        {events::cash_collected(agent, o.id, amount, now_us)}});
    return std::nullopt;
}

}  // namespace

Result<Decision> decide_status(const Order& o, const StatusChange& c, std::int64_t now_us) {
    const std::string reason = text::trim(c.reason);
    if (auto r = check_notes(reason, "reason")) return *r;
    if (auto r = check_notes(c.notes, "notes")) return *r;
    if (c.to == o.status) return Decision{};
    if (c.to == OrderStatus::cancelled) {
        if (auto r = refuse_cancel_when_paid(o)) return *r;
    }
    const bool forced = !transition_allowed(o.status, c.to);
    if (forced && !c.may_force) {
        return refused("status cannot change from " + name_of(o.status) + " to " + name_of(c.to), "status");
    }
    if (forced && text::is_blank(reason)) return invalid("reason", "a forced status change needs a reason");
    Decision d = status_change(o, c.to, forced, reason, text::trim(c.notes));
    if (c.to == OrderStatus::delivered && payment_pending(o)) {
        if (auto r = collect_on_delivery(d, o, o.cod_amount, now_us)) return *r;
    }
    return d;
}

Result<Decision> decide_cancel(const Order& o, const std::string& reason) {
    // Along the map: never from delivered, cancelled or returned.
    if (!transition_allowed(o.status, OrderStatus::cancelled)) {
        return refused("an order that is " + name_of(o.status) + " cannot be cancelled", "status");
    }
    if (auto r = refuse_cancel_when_paid(o)) return *r;
    if (auto r = check_notes(reason, "reason")) return *r;
    return status_change(o, OrderStatus::cancelled, false, text::trim(reason), {});
}

Result<Decision> decide_assign_rep(const Order& o, UserId rep_id, const std::optional<users::User>& rep) {
    if (!rep || rep->role != users::Role::sales_rep) {
        return invalid("customerRepId", "user " + std::to_string(rep_id) + " is not a sales rep");
    }
    if (!rep->is_active) return refused("sales rep " + std::to_string(rep_id) + " is not active", "customerRepId");
    if (o.customer_rep_id == rep_id) return Decision{};
    Decision d;
    d.events.push_back(events::order_rep_assigned(o.id, rep_id, o.customer_rep_id));
    return d;
}

Result<Decision> decide_assign_agent(const Order& o, UserId agent_id, const std::optional<users::User>& agent) {
    if (!agent || agent->role != users::Role::delivery_agent) {
        return invalid("deliveryAgentId", "user " + std::to_string(agent_id) + " is not a delivery agent");
    }
    if (!agent->is_active || !agent->is_available) {
        return refused("delivery agent " + std::to_string(agent_id) + " is not active and available",
                       "deliveryAgentId");
    }
    if (o.delivery_agent_id == agent_id) return Decision{};
    if (!payment_pending(o)) return refused("the order's payment was collected by its agent", "deliveryAgentId");
    Decision d;
    d.events.push_back(events::order_agent_assigned(o.id, agent_id, o.delivery_agent_id));
    return d;
}

Result<Decision> decide_schedule(const Order& o, std::int64_t at_us, const std::string& notes) {
    if (at_us <= 0) return invalid("scheduledTime", "scheduledTime is required");
    if (auto r = check_notes(notes, "notes")) return *r;
    if (o.status == OrderStatus::delivered || o.status == OrderStatus::cancelled || o.status == OrderStatus::returned) {
        return refused("an order that is " + name_of(o.status) + " cannot be scheduled", "status");
    }
    Decision d;
    d.events.push_back(events::delivery_scheduled(o.id, at_us, text::trim(notes)));
    return d;
}

Result<Decision> decide_attempt(const Order& o, const std::string& notes) {
    if (auto r = check_notes(notes, "notes")) return *r;
    if (o.status != OrderStatus::out_for_delivery) {
        return refused("a delivery attempt needs the order out_for_delivery", "status");
    }
    Decision d;
    d.events.push_back(events::delivery_attempted(o.id, o.delivery_attempts + 1, text::trim(notes)));
    return d;
}

Result<Decision> decide_proof(const Order& o, const DeliveryProof& proof) {
    if (o.status != OrderStatus::out_for_delivery && o.status != OrderStatus::delivered) {
        return refused("proof of delivery needs the order out_for_delivery or delivered", "status");
    }
    DeliveryProof p = proof;
    p.data = text::trim(p.data);
    p.recipient_name = text::trim(p.recipient_name);
    p.recipient_phone = text::trim(p.recipient_phone);
    p.image_url = text::trim(p.image_url);
    if (p.data.size() > kMaxProofDataBytes) {
        return invalid("proofData", "proofData must be at most " + std::to_string(kMaxProofDataBytes) + " bytes");
    }
    if (auto r = check_line(p.recipient_name, "recipientName", customers::kMaxCustomerNameChars)) return *r;
    if (auto r = check_line(p.recipient_phone, "recipientPhone", kMaxPhoneChars)) return *r;
    if (auto r = check_url(p.image_url, "proofImageUrl")) return *r;
    if (o.proof == p) return Decision{};
    Decision d;
    d.events.push_back(events::delivery_proof_recorded(o.id, p));
    return d;
}

Result<Decision> decide_complete(const Order& o, const DeliveryCompletion& c, std::int64_t now_us) {
    if (o.status != OrderStatus::out_for_delivery) {
        return refused("only an order out_for_delivery can be delivered", "status");
    }
    if (!payment_pending(o)) return refused("the order's payment was already collected", "paymentStatus");
    if (!c.may_change_amount && c.cod_amount && *c.cod_amount != o.cod_amount) {
        return Rejection{Rejection::Kind::forbidden,
                         "codAmount differs from the order's COD amount (" + to_string(o.cod_amount) +
                             "): a delivery agent collects the order's amount",
                         "codAmount"};
    }
    // Staff may record less than the order's amount (what the customer paid at the door), never more: a
    // mistyped amount would become the agent's cash, a deposit and revenue.
    if (c.cod_amount && *c.cod_amount > o.total_amount) {
        return refused(
            "codAmount " + to_string(*c.cod_amount) + " is more than the order's total " + to_string(o.total_amount),
            "codAmount");
    }
    Decision d;
    if (c.proof) {
        auto proof = decide_proof(o, *c.proof);
        if (auto* r = std::get_if<Rejection>(&proof)) return *r;
        d.events = std::move(std::get<Decision>(proof).events);
    }
    d.events.push_back(events::order_status_changed(o.id, o.status, OrderStatus::delivered, false, {}, {}));
    if (auto r = collect_on_delivery(d, o, c.cod_amount.value_or(o.cod_amount), now_us)) return *r;
    return d;
}

Result<Decision> decide_fail(const Order& o, const std::string& reason_in, std::optional<std::int64_t> reschedule_us) {
    const std::string reason = text::trim(reason_in);
    if (text::is_blank(reason)) return invalid("reason", "a failed delivery needs a reason");
    if (auto r = check_notes(reason, "reason")) return *r;
    if (o.status != OrderStatus::out_for_delivery) {
        return refused("only an order out_for_delivery can fail delivery", "status");
    }
    if (reschedule_us && *reschedule_us <= 0) return invalid("rescheduleTime", "rescheduleTime must be a time");
    Decision d;
    d.events.push_back(events::delivery_failed(o.id, reason, o.delivery_attempts + 1));
    d.events.push_back(events::order_status_changed(o.id, o.status, OrderStatus::failed_delivery, false, reason, {}));
    if (reschedule_us) d.events.push_back(events::delivery_scheduled(o.id, *reschedule_us, "rescheduled: " + reason));
    return d;
}

Result<Decision> decide_return(const Order& o, const std::string& reason_in) {
    const std::string reason = text::trim(reason_in);
    if (text::is_blank(reason)) return invalid("reason", "a return needs a reason");
    if (auto r = check_notes(reason, "reason")) return *r;
    if (o.status != OrderStatus::delivered && o.status != OrderStatus::failed_delivery &&
        o.status != OrderStatus::out_for_delivery) {
        return refused("only a dispatched order can be returned", "status");
    }
    return status_change(o, OrderStatus::returned, false, reason, {});
}

Result<std::vector<OpenCollection>> allocate_deposit(const AgentCash& cash, UserId agent_id,
                                                     const std::optional<users::User>& agent, Money amount) {
    if (cash.collected.minor == 0 && (!agent || agent->role != users::Role::delivery_agent)) {
        return invalid("agentId", "user " + std::to_string(agent_id) + " is not a delivery agent");
    }
    if (amount.minor <= 0) return refused("a deposit must be a positive amount", "amount");
    if (amount > cash.cash_in_hand()) {
        Rejection r =
            refused("the agent holds " + to_string(cash.cash_in_hand()) + ", less than the deposit", "amount");
        r.details = {{"cashInHand", cash.cash_in_hand().minor, true}, {"amount", amount.minor, true}};
        return r;
    }
    std::vector<OpenCollection> out;
    std::int64_t left = amount.minor;
    for (const auto& c : cash.open) {
        // A collection of 0 right after the last one the deposit takes goes with it: nothing else would ever
        // deposit it once the agent's cash in hand is 0.
        if (left == 0 && c.amount.minor > 0) break;
        const std::int64_t part = std::min(left, c.amount.minor);
        out.push_back({c.order_id, Money{part}, c.collected_us});
        left -= part;
    }
    return out;
}

std::optional<Rejection> check_note_text(std::string& text, const char* field) {
    text = text::trim(text);
    return check_notes(text, field);
}

std::optional<Rejection> check_deposit_text(std::string& reference, std::string& notes) {
    reference = text::trim(reference);
    if (text::is_blank(reference)) return invalid("reference", "reference is required");
    if (auto r = check_line(reference, "reference", kMaxReferenceChars)) return r;
    return check_note_text(notes, "notes");
}

Result<NewExpense> decide_expense(const NewExpense& input, std::int64_t now_us) {
    NewExpense e = input;
    e.category = text::trim(e.category);
    e.description = text::trim(e.description);
    e.receipt_url = text::trim(e.receipt_url);
    if (text::is_blank(e.category)) return invalid("category", "category is required");
    if (auto r = check_line(e.category, "category", kMaxCategoryChars)) return *r;
    if (auto r = check_notes(e.description, "description")) return *r;
    if (auto r = check_url(e.receipt_url, "receiptUrl")) return *r;
    if (e.amount.minor <= 0 || e.amount.minor > kMaxMoneyMinor) return invalid("amount", "amount must be positive");
    if (text::is_blank(e.description)) return invalid("description", "description is required");
    if (e.expense_date_us == 0) e.expense_date_us = now_us;
    return e;
}

}  // namespace codd::engine::orders

#include "projections/orders_view_sql.hpp"

#include <algorithm>
#include <charconv>

#include "projections/case_fold.hpp"

namespace codd::projections::orders_view {

std::string iso(std::string_view us) {
    const std::string x(us);
    return "(strftime('%Y-%m-%dT%H:%M:%S', (" + x + ") / 1000000, 'unixepoch') || printf('.%03dZ', (" + x +
           ") / 1000 % 1000))";
}

std::string money(std::string_view minor) {
    return "((" + std::string(minor) + ") / 100.0)";
}

namespace {

std::string build_order_fields() {
    return R"sql(
        'id', o.id,
        'orderNumber', CAST(o.id AS TEXT),
        'customerId', o.customer_id,
        'customer', json_object('id', o.customer_id, 'firstName', o.customer_first_name,
                                'lastName', o.customer_last_name, 'email', c.email, 'phoneNumber', o.customer_phone,
                                'alternatePhone', c.alternate_phone),
        'customerRepId', o.customer_rep_id,
        'customerRep', CASE WHEN o.customer_rep_id IS NOT NULL THEN json_object('id', o.customer_rep_id,
                       'firstName', o.rep_first_name, 'lastName', o.rep_last_name) END,
        'deliveryAgentId', o.delivery_agent_id,
        'deliveryAgent', CASE WHEN o.delivery_agent_id IS NOT NULL THEN json_object('id', o.delivery_agent_id,
                         'firstName', o.agent_first_name, 'lastName', o.agent_last_name) END,
        'createdById', o.created_by,
        'status', o.status,
        'paymentStatus', o.payment_status,
        'paymentMethod', 'cod',
        'subtotal', )sql" +
           money("o.subtotal") + ", 'shippingCost', " + money("o.shipping_cost") + ", 'discount', " +
           money("o.discount") + ", 'totalAmount', " + money("o.total_amount") + ", 'codAmount', " +
           money("o.cod_amount") + R"sql(,
        'notes', o.notes,
        'internalNotes', o.internal_notes,
        'deliveryAddress', o.delivery_address,
        'deliveryState', o.delivery_state,
        'deliveryArea', o.delivery_area,
        'estimatedDelivery', )sql" +
           iso("o.estimated_delivery_us") + R"sql(,
        'priority', o.priority,
        'tags', json(o.tags),
        'source', o.source,
        'externalOrderId', o.external_order_id,
        'createdAt', )sql" +
           iso("o.created_us") + ", 'updatedAt', " + iso("o.updated_us") + R"sql(,
        'orderItems', json((SELECT json_group_array(json_object(
            'id', i.item_id, 'orderId', i.order_id, 'productId', i.product_id, 'quantity', i.quantity,
            'unitPrice', )sql" +
           money("i.unit_price") + ", 'totalPrice', " + money("i.total_price") + R"sql(,
            'itemType', i.item_type, 'metadata', json(i.metadata),
            'product', json_object('id', i.product_id, 'name', p.name, 'sku', p.sku)))
            FROM order_items i LEFT JOIN products p ON p.id = i.product_id WHERE i.order_id = o.id)))sql";
}

std::string build_detail_fields() {
    return order_object_fields() + R"sql(,
        'history', json((SELECT json_group_array(json_object(
            'id', h.position, 'status', h.status, 'notes', h.notes,
            'changedBy', CASE WHEN h.actor_id GLOB '[0-9]*' AND h.actor_id NOT GLOB '*[^0-9]*'
                         THEN CAST(h.actor_id AS INTEGER) END,
            'changedByName', (SELECT first_name || ' ' || last_name FROM users WHERE id = h.actor_id),
            'metadata', json_object('type', h.type, 'changes', json_remove(h.payload, '$.orderId')),
            'createdAt', )sql" +
           iso("h.time_us") + R"sql())
            FROM (SELECT * FROM order_history WHERE order_id = o.id ORDER BY version DESC) h)),
        'delivery', (SELECT json_object('id', d.order_id, 'orderId', d.order_id, 'agentId', d.agent_id,
            'scheduledTime', )sql" +
           iso("d.scheduled_us") + ", 'actualDeliveryTime', " + iso("d.delivered_us") + R"sql(,
            'proofType', d.proof_type, 'proofData', d.proof_data, 'proofImageUrl', d.proof_image_url,
            'recipientName', d.recipient_name, 'recipientPhone', d.recipient_phone, 'notes', d.notes,
            'deliveryAttempts', d.attempts, 'failureReason', d.failure_reason,
            'createdAt', )sql" +
           iso("d.created_us") + ", 'updatedAt', " + iso("d.updated_us") + R"sql()
            FROM deliveries d WHERE d.order_id = o.id),
        'transaction', (SELECT json_object('id', t.id, 'orderId', t.order_id, 'type', t.type,
            'amount', )sql" +
           money("t.amount") + R"sql(, 'paymentMethod', t.payment_method, 'status', t.status,
            'reference', t.reference, 'agentId', t.agent_id, 'depositId', t.deposit_id,
            'createdAt', )sql" +
           iso("t.created_us") + ", 'updatedAt', " + iso("t.updated_us") + R"sql()
            FROM transactions t WHERE t.order_id = o.id),
        'version', o.version)sql";
}

std::string build_customer_object() {
    return R"sql(json_object('id', c.id, 'firstName', c.first_name, 'lastName', c.last_name, 'email', c.email,
        'phoneNumber', c.phone_number, 'alternatePhone', c.alternate_phone, 'address', c.address, 'state', c.state,
        'area', c.area, 'landmark', c.landmark, 'tags', json(c.tags), 'notes', c.notes,
        'totalOrders', c.total_orders, 'totalSpent', )sql" +
           money("c.total_spent") + ", 'isActive', json(iif(c.is_active, 'true', 'false')), 'createdAt', " +
           iso("c.created_us") + ", 'updatedAt', " + iso("c.updated_us") + ")";
}

std::string build_product_object() {
    return R"sql(json_object('id', p.id, 'sku', p.sku, 'name', p.name, 'description', p.description,
        'category', p.category, 'price', )sql" +
           money("p.price") + ", 'costPrice', " + money("p.cost_price") + R"sql(,
        'stockQuantity', p.stock, 'stock', p.stock, 'reserved', p.reserved, 'available', p.stock - p.reserved,
        'lowStockThreshold', p.low_stock_threshold, 'imageUrl', p.image_url, 'weight', p.weight,
        'dimensions', json(p.dimensions), 'isActive', json(iif(p.is_active, 'true', 'false')),
        'createdAt', )sql" +
           iso("p.created_us") + ", 'updatedAt', " + iso("p.updated_us") + ")";
}

}  // namespace

const std::string& order_object_fields() {
    static const std::string s = build_order_fields();
    return s;
}

const std::string& order_detail_fields() {
    static const std::string s = build_detail_fields();
    return s;
}

const std::string& customer_object() {
    static const std::string s = build_customer_object();
    return s;
}

const std::string& product_object() {
    static const std::string s = build_product_object();
    return s;
}

// --- Where ---

Where& Where::add_all(std::string_view condition, std::vector<Value> values) {
    if (!clauses_.empty()) clauses_ += " AND ";
    clauses_.append("(").append(condition).append(")");
    for (auto& v : values) values_.push_back(std::move(v));
    return *this;
}

Where& Where::append(const Where& other) {
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    return *this;
}

int Where::bind(Statement& s, int first) const {
    int i = first;
    for (const auto& v : values_) {
        std::visit([&](const auto& x) { s.bind(i, x); }, v);
        ++i;
    }
    return i;
}

// --- search ---

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// The separators normalize_phone (engine/customers/customer.hpp) removes.
bool is_phone_separator(char c) {
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

std::optional<std::string> as_phone(std::string_view s) {
    std::string digits;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (is_digit(c) || (c == '+' && i == 0)) {
            digits += c;
        } else if (!is_phone_separator(c)) {
            return std::nullopt;
        }
    }
    if (std::none_of(digits.begin(), digits.end(), is_digit)) return std::nullopt;
    return digits;
}

}  // namespace

Search classify_search(std::string_view text) {
    Search s;
    const auto t = trim(text);
    if (t.empty()) return s;
    if (std::all_of(t.begin(), t.end(), is_digit)) {
        std::int64_t id = 0;
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), id);
        if (ec == std::errc() && end == t.data() + t.size()) s.id = id;
    }
    s.phone = as_phone(t);
    if (s.phone) return s;
    s.pattern = contains_pattern(t);
    return s;
}

std::string contains_pattern(std::string_view text) {
    std::string pattern = "%";
    for (const char c : trim(text)) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += c;
    }
    pattern += '%';
    return pattern;
}

std::string phone_upper_bound(std::string_view prefix) {
    // Every character of a normalized phone sorts below 0x7f, so prefix + "\x7f" bounds all its extensions.
    return std::string(prefix) + '\x7f';
}

namespace {

// LIKE patterns above SQLite's limit (SQLITE_MAX_LIKE_PATTERN_LENGTH, 50,000 bytes) are an error there; a
// "contains" that long cannot match a stored name or e-mail anyway.
constexpr std::size_t kMaxLikePatternBytes = 50'000;

}  // namespace

void add_customer_search(Where& w, const Search& s, std::string_view order_id_column,
                         std::string_view customer_id_column, bool with_email) {
    std::string in = std::string(customer_id_column) + " IN (SELECT id FROM customers WHERE ";
    if (s.phone) {
        // The phones that begin, or end, with the digits (a '+' only ever begins one). Digits without the '+'
        // also find the phones they begin after it: "23324" is how "+23324..." is often typed. A whole national
        // number (a trunk '0', then 7 digits or more) also finds the phones that end with it without its '0':
        // "0241234567" is "+233241234567" dialled at home.
        const bool by_id = s.id && !order_id_column.empty();
        const bool ending = s.phone->front() != '+';
        const bool national = ending && s.phone->size() >= 8 && s.phone->front() == '0';
        std::string condition = in + "(phone_number >= ? AND phone_number < ?)";
        if (ending) {
            condition += " OR (phone_number >= ? AND phone_number < ?) OR (phone_reversed >= ? AND phone_reversed < ?)";
        }
        if (national) condition += " OR (phone_reversed >= ? AND phone_reversed < ?)";
        condition += ")";
        if (by_id) condition = std::string(order_id_column) + " = ? OR " + condition;
        std::vector<Where::Value> values;
        if (by_id) values.emplace_back(*s.id);
        values.emplace_back(*s.phone);
        values.emplace_back(phone_upper_bound(*s.phone));
        if (ending) {
            const std::string international = "+" + *s.phone;
            values.emplace_back(international);
            values.emplace_back(phone_upper_bound(international));
            const std::string backwards(s.phone->rbegin(), s.phone->rend());
            values.emplace_back(backwards);
            values.emplace_back(phone_upper_bound(backwards));
        }
        if (national) {
            const std::string backwards(s.phone->rbegin(), s.phone->rend() - 1);  // without the trunk '0'
            values.emplace_back(backwards);
            values.emplace_back(phone_upper_bound(backwards));
        }
        w.add_all(condition, std::move(values));
    } else if (with_email) {
        add_contains(w, {"first_name", "last_name", "email"}, *s.pattern, in, ")");
    } else {
        add_contains(w, {"first_name", "last_name"}, *s.pattern, in, ")");
    }
}

void add_contains(Where& w, std::initializer_list<std::string_view> columns, const std::string& pattern,
                  std::string_view prefix, std::string_view suffix) {
    if (pattern.size() > kMaxLikePatternBytes) {
        w.add("0");
        return;
    }
    // LIKE folds ASCII letters; a pattern with other characters compares the case-folded column to the folded
    // pattern (codd_fold, projections/case_fold.hpp), so "émilie" finds "Émilie".
    const bool ascii = is_ascii(pattern);
    const std::string folded = ascii ? pattern : fold_case(pattern);
    std::string condition(prefix);
    std::vector<Where::Value> values;
    for (const auto column : columns) {
        if (!values.empty()) condition += " OR ";
        if (ascii) {
            condition.append(column);
        } else {
            condition.append("codd_fold(").append(column).append(")");
        }
        condition.append(R"( LIKE ? ESCAPE '\')");
        values.emplace_back(folded);
    }
    w.add_all(condition.append(suffix), std::move(values));
}

// --- pages ---

PageWindow window(const Page& p) {
    PageWindow w;
    w.limit = std::clamp<std::int64_t>(p.limit, 1, 100);
    w.page = std::max<std::int64_t>(p.page, 1);
    if (w.page - 1 > (INT64_MAX / w.limit)) {
        w.beyond = true;
    } else {
        w.offset = (w.page - 1) * w.limit;
    }
    return w;
}

Pagination pagination(const PageWindow& w, std::int64_t total) {
    return {w.page, w.limit, total, (total + w.limit - 1) / w.limit};
}

std::string json_array(Statement& s) {
    std::string out = "[";
    while (s.step()) {
        if (out.size() > 1) out += ',';
        out += s.column_text(0);
    }
    s.reset();
    out += ']';
    return out;
}

std::optional<std::string> json_value(Statement& s) {
    std::optional<std::string> out;
    if (s.step() && !s.is_null(0)) out = std::string(s.column_text(0));
    s.reset();
    return out;
}

}  // namespace codd::projections::orders_view

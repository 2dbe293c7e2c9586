// order_summary_json from a decided order: the SQL of build_order_fields (orders_view_sql.cpp), in C++.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include <sqlite3.h>

#include "engine/json_codec.hpp"
#include "projections/order_summary.hpp"

namespace codd::projections {

namespace {

using engine::orders::Order;

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_key(std::string& out, std::string_view key) {
    out += '"';
    out += key;
    out += "\":";
}

// SQLite's dates run from 0000-01-01 to 9999-12-31; outside them its strftime gives NULL.
constexpr std::int64_t kMinUs = -62'167'219'200'000'000;  // 0000-01-01T00:00:00Z
constexpr std::int64_t kMaxUs = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z

// minor / 100.0 as SQLite prints a real inside json_object ("%!.15g": 3000 -> 30.0, 7 -> 0.07).
void append_money(std::string& out, std::int64_t minor) {
    // Below 10^15 minor units the decimal has at most 15 significant digits, so "%!.15g" of the double nearest
    // to it prints it exactly: the whole part, then the cents without trailing zeros but at least one digit.
    constexpr std::int64_t kExact = 1'000'000'000'000'000;
    if (minor <= -kExact || minor >= kExact) {
        char* s = sqlite3_mprintf("%!.15g", static_cast<double>(minor) / 100.0);
        out += s;
        sqlite3_free(s);
        return;
    }
    if (minor < 0) out += '-';
    const std::int64_t v = minor < 0 ? -minor : minor;
    append_int(out, v / 100);
    const auto cents = static_cast<int>(v % 100);
    out += '.';
    out += static_cast<char>('0' + cents / 10);
    if (cents % 10 != 0) out += static_cast<char>('0' + cents % 10);
}

// "2025-11-25T10:00:00.000Z", as the view's iso() SQL renders a time in microseconds.
void append_iso_time(std::string& out, std::int64_t us) {
    // As (strftime('%Y-%m-%dT%H:%M:%S', us / 1000000, 'unixepoch') || printf('.%03dZ', us / 1000 % 1000)):
    // integer divisions that truncate toward zero, as C++'s do.
    const auto seconds = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[48];
    const int n = std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ\"", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                static_cast<long long>(us / 1000 % 1000));
    out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::optional<std::string> order_summary_json(const Order& o, const engine::orders::CreatedOrder::Decided& names) {
    if (o.delivery_agent_id) return std::nullopt;  // a create names no agent; the view has the agent's name
    if (o.customer_rep_id && (!names.rep || names.rep->id != *o.customer_rep_id)) return std::nullopt;
    if (o.customer_id != names.customer.id) return std::nullopt;
    for (const auto t : {o.estimated_delivery_us.value_or(0), o.created_us, o.updated_us}) {
        if (t < kMinUs || t > kMaxUs) return std::nullopt;
    }
    const auto product = [&](engine::orders::ProductId id) -> const engine::catalog::Product* {
        const auto it = std::find_if(names.products.begin(), names.products.end(),
                                     [id](const engine::catalog::Product& p) { return p.id == id; });
        return it == names.products.end() ? nullptr : &*it;
    };
    for (const auto& i : o.items) {
        if (product(i.product_id) == nullptr) return std::nullopt;
    }

    const auto& c = names.customer;
    std::string out;
    out.reserve(1024 + 256 * o.items.size());
    // Each member is written as "key":value followed by a comma; `close` turns the last comma into the brace
    // or bracket that ends the object or array.
    const auto key = [&out](std::string_view k) { append_key(out, k); };
    const auto close = [&out](char end) {
        if (out.back() == ',') {
            out.back() = end;
        } else {
            out += end;
        }
        out += ',';
    };
    const auto integer = [&](std::string_view k, std::int64_t v) {
        key(k);
        append_int(out, v);
        out += ',';
    };
    const auto optional_integer = [&](std::string_view k, const std::optional<std::int64_t>& v) {
        key(k);
        if (v) {
            append_int(out, *v);
        } else {
            out += "null";
        }
        out += ',';
    };
    const auto text = [&](std::string_view k, std::string_view v) {
        key(k);
        engine::json::append_quoted(out, v);
        out += ',';
    };
    const auto money = [&](std::string_view k, engine::Money m) {
        key(k);
        append_money(out, m.minor);
        out += ',';
    };
    const auto time = [&](std::string_view k, std::int64_t us) {
        key(k);
        append_iso_time(out, us);
        out += ',';
    };

    out += '{';
    integer("id", o.id);
    text("orderNumber", std::to_string(o.id));
    integer("customerId", o.customer_id);
    key("customer");
    out += '{';
    integer("id", o.customer_id);
    text("firstName", c.first_name);
    text("lastName", c.last_name);
    text("email", c.email);
    text("phoneNumber", c.phone_number);
    text("alternatePhone", c.alternate_phone);
    close('}');
    optional_integer("customerRepId", o.customer_rep_id);
    key("customerRep");
    if (o.customer_rep_id) {
        out += '{';
        integer("id", *o.customer_rep_id);
        text("firstName", names.rep->first_name);
        text("lastName", names.rep->last_name);
        close('}');
    } else {
        out += "null,";
    }
    out += R"("deliveryAgentId":null,"deliveryAgent":null,)";  // a create names no agent (checked above)
    optional_integer("createdById", o.created_by);
    text("status", engine::orders::to_string(o.status));
    text("paymentStatus", engine::orders::to_string(o.payment_status));
    text("paymentMethod", "cod");
    money("subtotal", o.subtotal);
    money("shippingCost", o.shipping_cost);
    money("discount", o.discount);
    money("totalAmount", o.total_amount);
    money("codAmount", o.cod_amount);
    text("notes", o.notes);
    text("internalNotes", o.internal_notes);
    text("deliveryAddress", o.delivery_address);
    text("deliveryState", o.delivery_state);
    text("deliveryArea", o.delivery_area);
    if (o.estimated_delivery_us) {
        time("estimatedDelivery", *o.estimated_delivery_us);
    } else {
        out += R"("estimatedDelivery":null,)";
    }
    integer("priority", o.priority);
    key("tags");
    out += '[';
    for (const auto& tag : o.tags) {
        engine::json::append_quoted(out, tag);
        out += ',';
    }
    close(']');
    text("source", o.source);
    text("externalOrderId", o.external_order_id);
    time("createdAt", o.created_us);
    time("updatedAt", o.updated_us);
    key("orderItems");
    out += '[';
    for (const auto& i : o.items) {
        const auto* p = product(i.product_id);
        out += '{';
        integer("id", i.id);
        integer("orderId", o.id);
        integer("productId", i.product_id);
        integer("quantity", i.quantity);
        money("unitPrice", i.unit_price);
        money("totalPrice", i.total_price);
        text("itemType", i.item_type);
        key("metadata");
        out += i.metadata_json.empty() ? std::string_view("null") : std::string_view(i.metadata_json);
        out += ',';
        key("product");
        out += '{';
        integer("id", i.product_id);
        text("name", p->name);
        text("sku", p->sku);
        close('}');
        close('}');
    }
    close(']');
    integer("version", o.version);
    out.back() = '}';
    return out;
}

}  // namespace codd::projections

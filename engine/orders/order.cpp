#include "engine/orders/order.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "engine/json_codec.hpp"
#include "engine/orders/order_events.hpp"

namespace codd::engine::orders {
namespace json = engine::json;
namespace {

constexpr std::pair<OrderStatus, std::string_view> kStatusNames[] = {
    {OrderStatus::pending_confirmation, "pending_confirmation"},
    {OrderStatus::confirmed, "confirmed"},
    {OrderStatus::preparing, "preparing"},
    {OrderStatus::ready_for_pickup, "ready_for_pickup"},
    {OrderStatus::out_for_delivery, "out_for_delivery"},
    {OrderStatus::delivered, "delivered"},
    {OrderStatus::cancelled, "cancelled"},
    {OrderStatus::returned, "returned"},
    {OrderStatus::failed_delivery, "failed_delivery"},
};

constexpr std::pair<PaymentStatus, std::string_view> kPaymentNames[] = {
    {PaymentStatus::pending, "pending"},
    {PaymentStatus::collected, "collected"},
    {PaymentStatus::deposited, "deposited"},
    {PaymentStatus::reconciled, "reconciled"},
};

constexpr std::pair<ProofType, std::string_view> kProofNames[] = {
    {ProofType::signature, "signature"},
    {ProofType::photo, "photo"},
    {ProofType::otp, "otp"},
};

template <typename E, std::size_t N>
std::string_view name_of(const std::pair<E, std::string_view> (&names)[N], E value) {
    for (const auto& [v, n] : names) {
        if (v == value) return n;
    }
    return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const std::pair<E, std::string_view> (&names)[N], std::string_view name) {
    for (const auto& [v, n] : names) {
        if (n == name) return v;
    }
    return std::nullopt;
}

template <typename T>
T parsed(std::optional<T> v, std::string_view what) {
    if (!v) throw std::invalid_argument("unknown " + std::string(what));
    return *v;
}

std::optional<std::int64_t> optional_int(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return json::int_at(o, key);
}

std::vector<std::string> strings_at(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_array()) throw std::invalid_argument("field " + std::string(key) + " must be an array");
    std::vector<std::string> out;
    for (const auto& s : v->get_array()) {
        if (!s.is_string()) throw std::invalid_argument("field " + std::string(key) + " must hold strings");
        out.emplace_back(s.get_string());
    }
    return out;
}

std::vector<OrderItem> items_at(const boost::json::object& o) {
    const auto* v = o.if_contains("items");
    if (v == nullptr || !v->is_array()) throw std::invalid_argument("field items must be an array");
    std::vector<OrderItem> items;
    for (const auto& entry : v->get_array()) {
        if (!entry.is_object()) throw std::invalid_argument("an item must be an object");
        const auto& i = entry.get_object();
        OrderItem item;
        item.id = json::int_at(i, "id");
        item.product_id = json::int_at(i, "productId");
        item.quantity = json::int_at(i, "quantity");
        item.unit_price = Money{json::int_at(i, "unitPrice")};
        item.total_price = Money{json::int_at(i, "totalPrice")};
        item.item_type = json::string_at(i, "itemType");
        const auto* m = i.if_contains("metadata");
        item.metadata_json =
            (m == nullptr || m->is_null()) ? std::string() : json::serialize(json::object_at(i, "metadata"));
        items.push_back(std::move(item));
    }
    return items;
}

void apply_totals(Order& o, const boost::json::object& p) {
    if (p.contains("subtotal")) o.subtotal = Money{json::int_at(p, "subtotal")};
    if (p.contains("shippingCost")) o.shipping_cost = Money{json::int_at(p, "shippingCost")};
    if (p.contains("discount")) o.discount = Money{json::int_at(p, "discount")};
    if (p.contains("totalAmount")) o.total_amount = Money{json::int_at(p, "totalAmount")};
    if (p.contains("codAmount")) o.cod_amount = Money{json::int_at(p, "codAmount")};
}

// The fields OrderCreated and OrderUpdated's changes share; absent keys leave `o` as it is.
void apply_fields(Order& o, const boost::json::object& p) {
    if (p.contains("customerId")) o.customer_id = json::int_at(p, "customerId");
    if (p.contains("notes")) o.notes = json::string_at(p, "notes");
    if (p.contains("internalNotes")) o.internal_notes = json::string_at(p, "internalNotes");
    if (p.contains("deliveryAddress")) o.delivery_address = json::string_at(p, "deliveryAddress");
    if (p.contains("deliveryState")) o.delivery_state = json::string_at(p, "deliveryState");
    if (p.contains("deliveryArea")) o.delivery_area = json::string_at(p, "deliveryArea");
    if (p.contains("estimatedDeliveryUs")) o.estimated_delivery_us = optional_int(p, "estimatedDeliveryUs");
    if (p.contains("priority")) o.priority = json::int_at(p, "priority");
    if (p.contains("tags")) o.tags = strings_at(p, "tags");
    apply_totals(o, p);
}

void apply_created(Order& o, const boost::json::object& p) {
    o = Order{};
    o.id = json::int_at(p, "orderId");
    apply_fields(o, p);
    o.customer_rep_id = optional_int(p, "customerRepId");
    o.delivery_agent_id = optional_int(p, "deliveryAgentId");
    o.created_by = optional_int(p, "createdBy");
    o.status = parsed(parse_order_status(json::string_at(p, "status")), "status");
    o.payment_status = parsed(parse_payment_status(json::string_at(p, "paymentStatus")), "paymentStatus");
    o.items = items_at(p);
    o.source = json::string_at(p, "source");
    o.external_order_id = json::string_at(p, "externalOrderId");
}

void apply_proof(Order& o, const boost::json::object& p) {
    DeliveryProof proof;
    proof.type = parsed(parse_proof_type(json::string_at(p, "proofType")), "proofType");
    proof.data = json::string_at(p, "proofData");
    proof.image_url = json::string_at(p, "proofImageUrl");
    proof.recipient_name = json::string_at(p, "recipientName");
    proof.recipient_phone = json::string_at(p, "recipientPhone");
    o.proof = std::move(proof);
}

}  // namespace

std::string_view to_string(OrderStatus s) {
    return name_of(kStatusNames, s);
}

std::string_view to_string(PaymentStatus s) {
    return name_of(kPaymentNames, s);
}

std::string_view to_string(ProofType p) {
    return name_of(kProofNames, p);
}

std::optional<OrderStatus> parse_order_status(std::string_view s) {
    return value_of(kStatusNames, s);
}

std::optional<PaymentStatus> parse_payment_status(std::string_view s) {
    return value_of(kPaymentNames, s);
}

std::optional<ProofType> parse_proof_type(std::string_view s) {
    return value_of(kProofNames, s);
}

bool transition_allowed(OrderStatus from, OrderStatus to) {
    using S = OrderStatus;
    auto any_of = [to](std::initializer_list<S> allowed) {
        for (S s : allowed) {
            if (s == to) return true;
        }
        return false;
    };
    switch (from) {
        case S::pending_confirmation:
            return any_of({S::confirmed, S::cancelled});
        case S::confirmed:
            return any_of({S::pending_confirmation, S::preparing, S::cancelled});
        case S::preparing:
            return any_of({S::pending_confirmation, S::confirmed, S::ready_for_pickup, S::cancelled});
        case S::ready_for_pickup:
            return any_of({S::confirmed, S::preparing, S::out_for_delivery, S::cancelled});
        case S::out_for_delivery:
            return any_of({S::ready_for_pickup, S::preparing, S::delivered, S::failed_delivery, S::cancelled});
        case S::delivered:
            return any_of({S::out_for_delivery, S::returned});
        case S::cancelled:
            return any_of({S::pending_confirmation, S::confirmed, S::preparing, S::ready_for_pickup});
        case S::returned:
            return any_of({S::delivered, S::out_for_delivery});
        case S::failed_delivery:
            return any_of({S::out_for_delivery, S::returned, S::cancelled});
    }
    return false;
}

StockStage stock_stage(OrderStatus s) {
    switch (s) {
        case OrderStatus::pending_confirmation:
        case OrderStatus::confirmed:
        case OrderStatus::preparing:
        case OrderStatus::ready_for_pickup:
            return StockStage::reserved;
        case OrderStatus::out_for_delivery:
        case OrderStatus::delivered:
        case OrderStatus::failed_delivery:
            return StockStage::dispatched;
        case OrderStatus::cancelled:
        case OrderStatus::returned:
            return StockStage::none;
    }
    return StockStage::none;
}

void evolve(Order& o, const RecordedEvent& e) {
    const auto p = json::parse_object(e.payload);
    const std::string_view type = e.type;
    if (type == events::kOrderCreated) {
        apply_created(o, p);
        o.created_us = e.time_us;
    } else if (type == events::kOrderUpdated) {
        apply_fields(o, json::object_at(p, "changes"));
    } else if (type == events::kOrderItemsReplaced) {
        o.items = items_at(p);
        apply_totals(o, p);
    } else if (type == events::kOrderStatusChanged) {
        o.status = parsed(parse_order_status(json::string_at(p, "to")), "status");
    } else if (type == events::kOrderRepAssigned) {
        o.customer_rep_id = optional_int(p, "customerRepId");
    } else if (type == events::kOrderAgentAssigned) {
        o.delivery_agent_id = optional_int(p, "deliveryAgentId");
    } else if (type == events::kDeliveryScheduled) {
        o.scheduled_us = json::int_at(p, "scheduledUs");
    } else if (type == events::kDeliveryAttempted) {
        o.delivery_attempts = json::int_at(p, "attempt");
    } else if (type == events::kDeliveryProofRecorded) {
        apply_proof(o, p);
    } else if (type == events::kDeliveryFailed) {
        o.failure_reason = json::string_at(p, "reason");
        o.delivery_attempts = json::int_at(p, "attempt");
    } else if (type == events::kPaymentCollected) {
        o.payment_status = PaymentStatus::collected;
        o.cod_amount = Money{json::int_at(p, "amount")};
        o.delivered_us = json::int_at(p, "collectedUs");
    } else if (type == events::kPaymentDeposited) {
        o.payment_status = PaymentStatus::deposited;
        o.deposit_id = json::int_at(p, "depositId");
    } else if (type == events::kPaymentReconciled) {
        o.payment_status = PaymentStatus::reconciled;
    }
    o.stock = stock_stage(o.status);
    o.version = e.version.value();
    o.updated_us = e.time_us;
}

void evolve(AgentCash& a, const RecordedEvent& e) {
    const auto p = json::parse_object(e.payload);
    if (e.type == events::kCashCollected) {
        a.agent_id = json::int_at(p, "agentId");
        const Money amount{json::int_at(p, "amount")};
        a.collected.minor += amount.minor;
        a.open.push_back({json::int_at(p, "orderId"), amount, json::int_at(p, "collectedUs")});
    } else if (e.type == events::kCashDeposited) {
        a.agent_id = json::int_at(p, "agentId");
        a.deposited.minor += json::int_at(p, "amount");
        const auto* allocations = p.if_contains("allocations");
        if (allocations == nullptr || !allocations->is_array()) throw std::invalid_argument("allocations missing");
        for (const auto& v : allocations->get_array()) {
            const auto& alloc = v.as_object();
            const OrderId order = json::int_at(alloc, "orderId");
            const std::int64_t amount = json::int_at(alloc, "amount");
            auto it = std::find_if(a.open.begin(), a.open.end(), [&](const auto& c) { return c.order_id == order; });
            if (it == a.open.end() || it->amount.minor < amount) throw std::invalid_argument("deposit over collection");
            if ((it->amount.minor -= amount) == 0) a.open.erase(it);
        }
    }
    a.version = e.version.value();
}

}  // namespace codd::engine::orders

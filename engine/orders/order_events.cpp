#include "engine/orders/order_events.hpp"

#include <boost/json/array.hpp>
#include <charconv>

#include "engine/json_codec.hpp"

namespace codd::engine::orders::events {
namespace json = engine::json;
namespace {

boost::json::value id_or_null(const std::optional<std::int64_t>& id) {
    return id ? boost::json::value(*id) : boost::json::value(nullptr);
}

boost::json::value metadata_value(const std::string& metadata_json) {
    if (metadata_json.empty()) return nullptr;
    return json::parse_object(metadata_json);
}

boost::json::array strings(const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

boost::json::array items(const std::vector<OrderItem>& items) {
    boost::json::array a;
    for (const auto& i : items) {
        a.emplace_back(boost::json::object{
            {"id", i.id},
            {"productId", i.product_id},
            {"quantity", i.quantity},
            {"unitPrice", i.unit_price.minor},
            {"totalPrice", i.total_price.minor},
            {"itemType", i.item_type},
            {"metadata", metadata_value(i.metadata_json)},
        });
    }
    return a;
}

boost::json::array allocations(const std::vector<OpenCollection>& allocations) {
    boost::json::array a;
    for (const auto& c : allocations)
        a.emplace_back(
            boost::json::object{{"orderId", c.order_id}, {"amount", c.amount.minor}, {"collectedUs", c.collected_us}});
    return a;
}

void put_totals(boost::json::object& p, const Order& o) {
    p["subtotal"] = o.subtotal.minor;
    p["shippingCost"] = o.shipping_cost.minor;
    p["discount"] = o.discount.minor;
    p["totalAmount"] = o.total_amount.minor;
    p["codAmount"] = o.cod_amount.minor;
}

void put_money(boost::json::object& p, std::string_view key, const std::optional<Money>& m) {
    if (m) p[key] = m->minor;
}

}  // namespace

std::string order_stream(OrderId id) {
    return "order-" + std::to_string(id);
}

std::string agent_cash_stream(UserId agent) {
    return "agent-cash-" + std::to_string(agent);
}

std::string deposit_stream(std::int64_t deposit_id) {
    return "deposit-" + std::to_string(deposit_id);
}

std::string expense_stream(std::int64_t expense_id) {
    return "expense-" + std::to_string(expense_id);
}

NewEvent order_created(const Order& o) {
    return PendingOrderCreated(o).with_id(o.id);
}

namespace {

// The pieces of PendingOrderCreated's text. Keys are plain ASCII: nothing to escape.
class Writer {
  public:
    explicit Writer(std::string& out) : out_(out) {}
    Writer& key(std::string_view k) {
        if (!first_) out_.push_back(',');
        first_ = false;
        out_.push_back('"');
        out_.append(k);
        out_.append("\":");
        return *this;
    }
    Writer& number(std::int64_t n) {
        char buf[24];
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
        out_.append(buf, end);
        return *this;
    }
    Writer& id_or_null(const std::optional<std::int64_t>& id) { return id ? number(*id) : raw("null"); }
    Writer& text(std::string_view s) {
        json::append_quoted(out_, s);
        return *this;
    }
    Writer& raw(std::string_view s) {
        out_.append(s);
        return *this;
    }

  private:
    std::string& out_;
    bool first_ = true;
};

}  // namespace

PendingOrderCreated::PendingOrderCreated(const Order& o) {
    // Written field by field rather than built as a JSON object and serialized (on the thread that decides orders):
    // the same fields in the same order, every field but the id, which comes first. A test pins the bytes, and that
    // the items are those order_items_replaced writes.
    rest_.reserve(512);
    Writer w(rest_);
    w.key("customerId").number(o.customer_id);
    w.key("customerRepId").id_or_null(o.customer_rep_id);
    w.key("deliveryAgentId").id_or_null(o.delivery_agent_id);
    w.key("createdBy").id_or_null(o.created_by);
    w.key("status").text(to_string(o.status));
    w.key("paymentStatus").text(to_string(o.payment_status));
    w.key("items").raw("[");
    for (std::size_t n = 0; n < o.items.size(); ++n) {
        const OrderItem& i = o.items[n];
        if (n > 0) w.raw(",");
        Writer item(rest_);
        w.raw("{");
        item.key("id").number(i.id);
        item.key("productId").number(i.product_id);
        item.key("quantity").number(i.quantity);
        item.key("unitPrice").number(i.unit_price.minor);
        item.key("totalPrice").number(i.total_price.minor);
        item.key("itemType").text(i.item_type);
        // Metadata as the event always had it: parsed and written back in compact form.
        item.key("metadata").raw(i.metadata_json.empty() ? "null" : json::serialize(metadata_value(i.metadata_json)));
        w.raw("}");
    }
    w.raw("]");
    w.key("notes").text(o.notes);
    w.key("internalNotes").text(o.internal_notes);
    w.key("deliveryAddress").text(o.delivery_address);
    w.key("deliveryState").text(o.delivery_state);
    w.key("deliveryArea").text(o.delivery_area);
    w.key("estimatedDeliveryUs").id_or_null(o.estimated_delivery_us);
    w.key("priority").number(o.priority);
    w.key("tags").raw("[");
    for (std::size_t n = 0; n < o.tags.size(); ++n) {
        if (n > 0) w.raw(",");
        w.text(o.tags[n]);
    }
    w.raw("]");
    w.key("source").text(o.source);
    w.key("externalOrderId").text(o.external_order_id);
    w.key("subtotal").number(o.subtotal.minor);
    w.key("shippingCost").number(o.shipping_cost.minor);
    w.key("discount").number(o.discount.minor);
    w.key("totalAmount").number(o.total_amount.minor);
    w.key("codAmount").number(o.cod_amount.minor);
    w.raw("}");
}

NewEvent PendingOrderCreated::with_id(OrderId id) const {
    NewEvent e;
    e.type = std::string(kOrderCreated);
    e.schema_version = 1;
    e.payload.reserve(rest_.size() + 32);
    e.payload = "{\"orderId\":";
    e.payload += std::to_string(id);
    e.payload.push_back(',');
    e.payload += rest_;
    return e;
}

NewEvent order_updated(OrderId id, const OrderChanges& c) {
    boost::json::object changes;
    json::put_if(changes, "customerId", c.customer_id);
    json::put_if(changes, "notes", c.notes);
    json::put_if(changes, "internalNotes", c.internal_notes);
    json::put_if(changes, "deliveryAddress", c.delivery_address);
    json::put_if(changes, "deliveryState", c.delivery_state);
    json::put_if(changes, "deliveryArea", c.delivery_area);
    if (c.estimated_delivery_us) changes["estimatedDeliveryUs"] = id_or_null(*c.estimated_delivery_us);
    json::put_if(changes, "priority", c.priority);
    if (c.tags) changes["tags"] = strings(*c.tags);
    put_money(changes, "shippingCost", c.shipping_cost);
    put_money(changes, "discount", c.discount);
    put_money(changes, "subtotal", c.subtotal);
    put_money(changes, "totalAmount", c.total_amount);
    put_money(changes, "codAmount", c.cod_amount);
    return json::make_event(kOrderUpdated, {{"orderId", id}, {"changes", std::move(changes)}});
}

NewEvent order_items_replaced(const Order& o) {
    boost::json::object p{{"orderId", o.id}, {"items", items(o.items)}};
    put_totals(p, o);
    return json::make_event(kOrderItemsReplaced, p);
}

NewEvent order_status_changed(OrderId id, OrderStatus from, OrderStatus to, bool forced, std::string_view reason,
                              std::string_view notes) {
    return json::make_event(kOrderStatusChanged, {{"orderId", id},
                                                  {"from", to_string(from)},
                                                  {"to", to_string(to)},
                                                  {"forced", forced},
                                                  {"reason", reason},
                                                  {"notes", notes}});
}

NewEvent order_rep_assigned(OrderId id, UserId rep, std::optional<UserId> previous) {
    return json::make_event(kOrderRepAssigned,
                            {{"orderId", id}, {"customerRepId", rep}, {"previousRepId", id_or_null(previous)}});
}

NewEvent order_agent_assigned(OrderId id, UserId agent, std::optional<UserId> previous) {
    return json::make_event(kOrderAgentAssigned,
                            {{"orderId", id}, {"deliveryAgentId", agent}, {"previousAgentId", id_or_null(previous)}});
}

NewEvent delivery_scheduled(OrderId id, std::int64_t scheduled_us, std::string_view notes) {
    return json::make_event(kDeliveryScheduled, {{"orderId", id}, {"scheduledUs", scheduled_us}, {"notes", notes}});
}

NewEvent delivery_attempted(OrderId id, std::int64_t attempt, std::string_view notes) {
    return json::make_event(kDeliveryAttempted, {{"orderId", id}, {"attempt", attempt}, {"notes", notes}});
}

NewEvent delivery_proof_recorded(OrderId id, const DeliveryProof& p) {
    return json::make_event(kDeliveryProofRecorded, {{"orderId", id},
                                                     {"proofType", to_string(p.type)},
                                                     {"proofData", p.data},
                                                     {"proofImageUrl", p.image_url},
                                                     {"recipientName", p.recipient_name},
                                                     {"recipientPhone", p.recipient_phone}});
}

NewEvent delivery_failed(OrderId id, std::string_view reason, std::int64_t attempt) {
    return json::make_event(kDeliveryFailed, {{"orderId", id}, {"reason", reason}, {"attempt", attempt}});
}

NewEvent payment_collected(OrderId id, UserId agent, Money amount, std::int64_t collected_us) {
    return json::make_event(
        kPaymentCollected,
        {{"orderId", id}, {"agentId", agent}, {"amount", amount.minor}, {"collectedUs", collected_us}});
}

NewEvent payment_deposited(OrderId id, std::int64_t deposit_id, Money amount) {
    return json::make_event(kPaymentDeposited, {{"orderId", id}, {"depositId", deposit_id}, {"amount", amount.minor}});
}

NewEvent payment_reconciled(OrderId id, std::int64_t deposit_id) {
    return json::make_event(kPaymentReconciled, {{"orderId", id}, {"depositId", deposit_id}});
}

NewEvent cash_collected(UserId agent, OrderId order, Money amount, std::int64_t collected_us) {
    return json::make_event(
        kCashCollected,
        {{"agentId", agent}, {"orderId", order}, {"amount", amount.minor}, {"collectedUs", collected_us}});
}

NewEvent cash_deposited(UserId agent, std::int64_t deposit_id, Money amount, std::string_view reference,
                        const std::vector<OpenCollection>& allocated) {
    return json::make_event(kCashDeposited, {{"agentId", agent},
                                             {"depositId", deposit_id},
                                             {"amount", amount.minor},
                                             {"reference", reference},
                                             {"allocations", allocations(allocated)}});
}

NewEvent deposit_recorded(std::int64_t deposit_id, UserId agent, Money amount, std::string_view reference,
                          std::string_view notes, std::optional<UserId> recorded_by,
                          const std::vector<OpenCollection>& allocated) {
    return json::make_event(kDepositRecorded, {{"depositId", deposit_id},
                                               {"agentId", agent},
                                               {"amount", amount.minor},
                                               {"reference", reference},
                                               {"notes", notes},
                                               {"recordedBy", id_or_null(recorded_by)},
                                               {"allocations", allocations(allocated)}});
}

NewEvent deposit_reconciled(std::int64_t deposit_id, std::string_view notes, std::optional<UserId> reconciled_by) {
    return json::make_event(kDepositReconciled,
                            {{"depositId", deposit_id}, {"notes", notes}, {"reconciledBy", id_or_null(reconciled_by)}});
}

NewEvent expense_recorded(std::int64_t expense_id, std::string_view category, Money amount,
                          std::string_view description, std::string_view receipt_url, std::int64_t expense_date_us,
                          std::optional<UserId> recorded_by) {
    return json::make_event(kExpenseRecorded, {{"expenseId", expense_id},
                                               {"category", category},
                                               {"amount", amount.minor},
                                               {"description", description},
                                               {"receiptUrl", receipt_url},
                                               {"expenseDateUs", expense_date_us},
                                               {"recordedBy", id_or_null(recorded_by)}});
}

}  // namespace codd::engine::orders::events

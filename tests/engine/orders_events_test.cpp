// The payload contract of order_events.hpp, key by key: the orders view and every later reader rely on it.
#include <doctest/doctest.h>

#include <set>

#include <boost/json/parse.hpp>

#include "engine/orders/order_events.hpp"

using namespace codd::engine;
using namespace codd::engine::orders;

namespace {

std::set<std::string> keys(const NewEvent& e) {
    const boost::json::value v = boost::json::parse(e.payload);
    std::set<std::string> out;
    for (const auto& kv : v.as_object()) out.emplace(kv.key());
    return out;
}

Order sample() {
    Order o;
    o.id = 1001;
    o.customer_id = 17;
    OrderItem i;
    i.id = 1;
    i.product_id = 5;
    i.quantity = 2;
    i.unit_price = Money{4500};
    i.total_price = Money{9000};
    i.metadata_json = R"({"color":"red"})";
    o.items = {i};
    return o;
}

}  // namespace

TEST_CASE("orders events: payload keys are exactly the documented ones") {
    const Order o = sample();
    CHECK(keys(events::order_created(o)) == std::set<std::string>{"orderId",
                                                                  "customerId",
                                                                  "customerRepId",
                                                                  "deliveryAgentId",
                                                                  "createdBy",
                                                                  "status",
                                                                  "paymentStatus",
                                                                  "items",
                                                                  "subtotal",
                                                                  "shippingCost",
                                                                  "discount",
                                                                  "totalAmount",
                                                                  "codAmount",
                                                                  "notes",
                                                                  "internalNotes",
                                                                  "deliveryAddress",
                                                                  "deliveryState",
                                                                  "deliveryArea",
                                                                  "estimatedDeliveryUs",
                                                                  "priority",
                                                                  "tags",
                                                                  "source",
                                                                  "externalOrderId"});
    const auto item = boost::json::parse(events::order_created(o).payload).at("items").at(0).as_object();
    std::set<std::string> item_keys;
    for (const auto& kv : item) item_keys.emplace(kv.key());
    CHECK(item_keys ==
          std::set<std::string>{"id", "productId", "quantity", "unitPrice", "totalPrice", "itemType", "metadata"});
    CHECK(item.at("metadata").at("color").as_string() == "red");
    CHECK(keys(events::order_items_replaced(o)) == std::set<std::string>{"orderId", "items", "subtotal", "shippingCost",
                                                                         "discount", "totalAmount", "codAmount"});
    events::OrderChanges c;
    c.notes = "n";
    c.estimated_delivery_us = std::optional<std::int64_t>{};
    const auto updated = boost::json::parse(events::order_updated(1001, c).payload).as_object();
    CHECK(updated.at("changes").as_object().size() == 2);
    CHECK(updated.at("changes").at("estimatedDeliveryUs").is_null());
    CHECK(keys(events::order_status_changed(1001, OrderStatus::confirmed, OrderStatus::cancelled, false, "", "")) ==
          std::set<std::string>{"orderId", "from", "to", "forced", "reason", "notes"});
    CHECK(keys(events::order_rep_assigned(1001, 3, std::nullopt)) ==
          std::set<std::string>{"orderId", "customerRepId", "previousRepId"});
    CHECK(keys(events::order_agent_assigned(1001, 4, 3)) ==
          std::set<std::string>{"orderId", "deliveryAgentId", "previousAgentId"});
    CHECK(keys(events::delivery_scheduled(1001, 1, "")) == std::set<std::string>{"orderId", "scheduledUs", "notes"});
    CHECK(keys(events::delivery_attempted(1001, 1, "")) == std::set<std::string>{"orderId", "attempt", "notes"});
    CHECK(
        keys(events::delivery_proof_recorded(1001, DeliveryProof{})) ==
        std::set<std::string>{"orderId", "proofType", "proofData", "proofImageUrl", "recipientName", "recipientPhone"});
    CHECK(keys(events::delivery_failed(1001, "r", 1)) == std::set<std::string>{"orderId", "reason", "attempt"});
    CHECK(keys(events::payment_collected(1001, 4, Money{1}, 2)) ==
          std::set<std::string>{"orderId", "agentId", "amount", "collectedUs"});
    CHECK(keys(events::payment_deposited(1001, 1001, Money{1})) ==
          std::set<std::string>{"orderId", "depositId", "amount"});
    CHECK(keys(events::payment_reconciled(1001, 1001)) == std::set<std::string>{"orderId", "depositId"});
    CHECK(keys(events::cash_collected(4, 1001, Money{1}, 2)) ==
          std::set<std::string>{"agentId", "orderId", "amount", "collectedUs"});
    const std::vector<OpenCollection> allocations{{1001, Money{1}, 0}};
    CHECK(keys(events::cash_deposited(4, 1001, Money{1}, "ref", allocations)) ==
          std::set<std::string>{"agentId", "depositId", "amount", "reference", "allocations"});
    CHECK(keys(events::deposit_recorded(1001, 4, Money{1}, "ref", "", std::nullopt, allocations)) ==
          std::set<std::string>{"depositId", "agentId", "amount", "reference", "notes", "recordedBy", "allocations"});
    CHECK(keys(events::deposit_reconciled(1001, "", 2)) == std::set<std::string>{"depositId", "notes", "reconciledBy"});
    CHECK(keys(events::expense_recorded(1001, "fuel", Money{1}, "d", "", 0, std::nullopt)) ==
          std::set<std::string>{"expenseId", "category", "amount", "description", "receiptUrl", "expenseDateUs",
                                "recordedBy"});
}

// The log's writer only puts the id in front of a payload rendered before it (OrderService's create): the bytes
// must be those the event always had, since they are hashed into the chain. The text below is what order_created
// wrote before PendingOrderCreated existed, for an order whose notes and item metadata mimic the id's key.
TEST_CASE("orders events: an OrderCreated rendered before its id is known is the same bytes once the id is in") {
    Order o = sample();
    o.items[0].metadata_json = R"({"orderId":0,"note":"say \"hi\""})";
    o.notes = "\"orderId\":0, \xC3\xA9";
    o.tags = {"vip"};
    const std::string rest =
        R"("customerId":17,"customerRepId":null,"deliveryAgentId":null,"createdBy":null,"status":"pending_confirmation",)"
        R"("paymentStatus":"pending","items":[{"id":1,"productId":5,"quantity":2,"unitPrice":4500,"totalPrice":9000,)"
        R"("itemType":"package","metadata":{"orderId":0,"note":"say \"hi\""}}],"notes":"\"orderId\":0, )"
        "\xC3\xA9"
        R"(","internalNotes":"","deliveryAddress":"","deliveryState":"","deliveryArea":"","estimatedDeliveryUs":null,)"
        R"("priority":0,"tags":["vip"],"source":"manual","externalOrderId":"","subtotal":0,"shippingCost":0,)"
        R"("discount":0,"totalAmount":0,"codAmount":0})";
    const events::PendingOrderCreated pending(o);  // o.id is not used
    for (const OrderId id : {OrderId{1001}, OrderId{98765432101}}) {
        CAPTURE(id);
        const NewEvent e = pending.with_id(id);
        CHECK(e.type == "OrderCreated");
        CHECK(e.schema_version == 1);
        CHECK(e.payload == R"({"orderId":)" + std::to_string(id) + "," + rest);
        o.id = id;
        CHECK(events::order_created(o).payload == e.payload);
    }
}

TEST_CASE("orders events: evolve folds what the encoders write") {
    Order o = sample();
    o.tags = {"vip"};
    o.estimated_delivery_us = 42;
    RecordedEvent e;
    const NewEvent created = events::order_created(o);
    e.type = created.type;
    e.payload = created.payload;
    e.time_us = 7;
    Order folded;
    evolve(folded, e);
    o.version = 0;
    o.created_us = o.updated_us = 7;
    o.stock = StockStage::reserved;
    CHECK(folded == o);
}

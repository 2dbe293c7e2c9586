// The payload contract of order_events.hpp, key by key: the orders view and every later reader rely on it.
#include <doctest/doctest.h>

#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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

// Written field by field, the payload is the JSON object the event always was (whose bytes the chain hashed): every
// field set, escapes, item metadata written back compact, several items and tags, and an order with nothing set.
TEST_CASE("orders events: OrderCreated's payload is byte for byte the serialized JSON object it always was") {
    Order o;
    o.id = 5;
    o.customer_id = 17;
    o.customer_rep_id = 3;
    o.delivery_agent_id = 4;
    o.created_by = 1;
    o.estimated_delivery_us = 1700000000000000;
    o.status = OrderStatus::confirmed;
    o.payment_status = PaymentStatus::collected;
    o.priority = -2;
    OrderItem i = sample().items[0];
    i.metadata_json = R"( { "b" : [1, 2.5, "x\u0001"], "a": {"n": null, "t": true} } )";
    OrderItem j;
    j.id = 2;
    j.product_id = 6;
    j.quantity = 1;
    j.unit_price = Money{-1};
    j.total_price = Money{0};
    j.item_type = "upsell";
    o.items = {i, j};
    o.notes = "line\nbreak\t\"q\" \\ \x01";
    o.internal_notes = "\xC3\xBC";
    o.delivery_address = "12 Ring Rd";
    o.delivery_state = "GA";
    o.delivery_area = "Osu";
    o.tags = {"vip", "", "x\"y"};
    o.source = "webhook";
    o.external_order_id = "EXT-1";
    o.subtotal = Money{9000};
    o.shipping_cost = Money{500};
    o.discount = Money{100};
    o.total_amount = Money{9400};
    o.cod_amount = Money{9400};
    const std::string rich =
        R"({"orderId":5,"customerId":17,"customerRepId":3,"deliveryAgentId":4,"createdBy":1,"status":"confi)"
        R"(rmed","paymentStatus":"collected","items":[{"id":1,"productId":5,"quantity":2,"unitPrice":4500,")"
        R"(totalPrice":9000,"itemType":"package","metadata":{"b":[1,2.5,"x\u0001"],"a":{"n":null,"t":true}})"
        R"(},{"id":2,"productId":6,"quantity":1,"unitPrice":-1,"totalPrice":0,"itemType":"upsell","metadata)"
        R"(":null}],"notes":"line\nbreak\t\"q\" \\ \u0001","internalNotes":"ü","deliveryAddress":"12 Ring R)"
        R"(d","deliveryState":"GA","deliveryArea":"Osu","estimatedDeliveryUs":1700000000000000,"priority":-)"
        R"(2,"tags":["vip","","x\"y"],"source":"webhook","externalOrderId":"EXT-1","subtotal":9000,"shippin)"
        R"(gCost":500,"discount":100,"totalAmount":9400,"codAmount":9400})";
    CHECK(events::order_created(o).payload == rich);
    // The items are encoded twice (here field by field, in OrderItemsReplaced as a JSON object): the same.
    CHECK(boost::json::parse(events::order_created(o).payload).at("items") ==
          boost::json::parse(events::order_items_replaced(o).payload).at("items"));
    CHECK(boost::json::serialize(boost::json::parse(events::order_created(o).payload).at("items")) ==
          boost::json::serialize(boost::json::parse(events::order_items_replaced(o).payload).at("items")));
    const std::string empty =
        R"({"orderId":0,"customerId":0,"customerRepId":null,"deliveryAgentId":null,"createdBy":null,"status)"
        R"(":"pending_confirmation","paymentStatus":"pending","items":[],"notes":"","internalNotes":"","del)"
        R"(iveryAddress":"","deliveryState":"","deliveryArea":"","estimatedDeliveryUs":null,"priority":0,"t)"
        R"(ags":[],"source":"manual","externalOrderId":"","subtotal":0,"shippingCost":0,"discount":0,"total)"
        R"(Amount":0,"codAmount":0})";
    CHECK(events::order_created(Order{}).payload == empty);
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

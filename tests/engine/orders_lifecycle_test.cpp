// The order commands, given/when/then: create (priced by codd, stock reserved in the same append), the status
// map (every transition outside it refused, forced ones recorded with their reason), cancel, and the stock
// that follows the status stage.
#include <doctest/doctest.h>

#include <thread>

#include <boost/json/parse.hpp>

#include "engine/orders/order_decide.hpp"
#include "engine/orders/order_events.hpp"
#include "tests/engine/orders_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::orders;
using namespace codd::test;

namespace {

boost::json::object payload(const RecordedEvent& e) {
    return boost::json::parse(e.payload).as_object();
}

StatusChange to(OrderStatus s, std::string reason = {}, bool may_force = false) {
    StatusChange c;
    c.to = s;
    c.reason = std::move(reason);
    c.may_force = may_force;
    return c;
}

// A new order of one unit of `product` with the fixture's agent, walked along the map to `target` (all of the 9
// statuses are reachable without forcing; its payment is collected once it was delivered).
Order order_in(OrdersFixture& f, catalog::ProductId product, OrderStatus target) {
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(product, 1)}));
    using S = OrderStatus;
    std::vector<S> path;
    switch (target) {
        case S::pending_confirmation:
            break;
        case S::confirmed:
            path = {S::confirmed};
            break;
        case S::preparing:
            path = {S::confirmed, S::preparing};
            break;
        case S::ready_for_pickup:
            path = {S::confirmed, S::preparing, S::ready_for_pickup};
            break;
        case S::out_for_delivery:
            path = {S::confirmed, S::preparing, S::ready_for_pickup, S::out_for_delivery};
            break;
        case S::delivered:
            path = {S::confirmed, S::preparing, S::ready_for_pickup, S::out_for_delivery, S::delivered};
            break;
        case S::cancelled:
            path = {S::cancelled};
            break;
        case S::returned:
            path = {S::confirmed, S::preparing, S::ready_for_pickup, S::out_for_delivery, S::delivered, S::returned};
            break;
        case S::failed_delivery:
            path = {S::confirmed, S::preparing, S::ready_for_pickup, S::out_for_delivery, S::failed_delivery};
            break;
    }
    Order current = accepted(f.orders->assign_agent(o.id, f.agent, ctx())).value;
    for (S s : path) current = accepted(f.orders->change_status(o.id, to(s), std::nullopt, ctx())).value;
    REQUIRE(current.status == target);
    return current;
}

// The payload of the order's last OrderStatusChanged (a delivery's PaymentCollected may follow it).
boost::json::object last_status_change(OrdersFixture& f, OrderId id) {
    const auto stream = f.stream("order-" + std::to_string(id));
    for (auto it = stream.rbegin(); it != stream.rend(); ++it) {
        if (it->type == events::kOrderStatusChanged) return payload(*it);
    }
    FAIL("no OrderStatusChanged in order " << id);
    return {};
}

}  // namespace

TEST_CASE(
    "orders: create prices from the catalog, reserves stock and appends OrderCreated with the stock in one append") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const auto cap = f.product("CAP", 2000, 5);
    auto n = OrdersFixture::new_order({OrdersFixture::item(tee, 2), OrdersFixture::item(cap, 1)});
    n.discount = Money{500};
    n.total_amount = Money{9000 + 2000 + 1000 - 500};
    n.customer_rep_id = f.rep;
    const auto answer = accepted(f.orders->create(n, ctx("create-1")));
    const Order& o = answer.order.value;
    CHECK(o.id == 1001);
    CHECK(o == *f.orders->find(o.id));  // as folding its stream gives it, though not read back
    // What the decision read, for the answer's names.
    REQUIRE(answer.decided.has_value());
    CHECK(answer.decided->customer.id == o.customer_id);
    CHECK(answer.decided->customer.phone_number == "+233241234567");
    REQUIRE(answer.decided->products.size() == 2);
    CHECK(answer.decided->products[0].sku == "TEE");
    CHECK(answer.decided->products[1].id == cap);
    REQUIRE(answer.decided->rep.has_value());
    CHECK(answer.decided->rep->id == f.rep);
    CHECK(o.status == OrderStatus::pending_confirmation);
    CHECK(o.payment_status == PaymentStatus::pending);
    CHECK(o.subtotal == Money{11000});
    CHECK(o.total_amount == Money{11500});
    CHECK(o.cod_amount == Money{11500});
    CHECK(o.customer_rep_id == f.rep);
    CHECK(o.delivery_address == "12 Ring Road");
    CHECK(o.stock == StockStage::reserved);
    REQUIRE(o.items.size() == 2);
    CHECK(o.items[0].unit_price == Money{4500});
    CHECK(o.items[0].total_price == Money{9000});
    CHECK(f.stock(tee).reserved == 2);
    CHECK(f.stock(cap).reserved == 1);
    const auto created = f.stream("order-1001");
    REQUIRE(created.size() == 1);
    CHECK(created[0].type == "OrderCreated");
    CHECK(created[0].metadata == ctx().metadata);
    CHECK(answer.order.position == f.log->head());
    const auto p = payload(created[0]);
    CHECK(p.at("totalAmount").as_int64() == 11500);
    CHECK(p.at("items").as_array().at(0).at("productId").as_int64() == tee);
    CHECK(p.at("deliveryAgentId").is_null());
    const auto reserved = f.stream("product-" + std::to_string(tee)).back();
    CHECK(reserved.type == "StockReserved");
    CHECK(reserved.position.value() > created[0].position.value());
    CHECK(reserved.position.value() <= answer.order.position.value());
}

TEST_CASE("orders: create validation names the REST field") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const auto old = f.product("OLD", 100, 10);
    accepted(f.catalog->deactivate(old, ctx()));
    auto check = [&](NewOrder n, const std::string& field, Rejection::Kind kind = Rejection::Kind::invalid) {
        const Rejection r = refused(f.orders->create(n, ctx()));
        CHECK(r.kind == kind);
        CHECK(r.field == field);
    };
    check(OrdersFixture::new_order({OrdersFixture::item(9999, 1)}), "items[0].productId");
    check(OrdersFixture::new_order({OrdersFixture::item(tee, 1), OrdersFixture::item(old, 1)}), "items[1].productId");
    check(OrdersFixture::new_order({OrdersFixture::item(tee, 0)}), "items[0].quantity");
    check(OrdersFixture::new_order({OrdersFixture::item(tee, -3)}), "items[0].quantity");
    check(OrdersFixture::new_order({}), "items");
    auto wrong_total = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    wrong_total.total_amount = Money{4500};
    check(wrong_total, "totalAmount");
    auto wrong_subtotal = OrdersFixture::new_order({OrdersFixture::item(tee, 2)});
    wrong_subtotal.subtotal = Money{4500};
    check(wrong_subtotal, "subtotal");
    auto wrong_price = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    wrong_price.items[0].unit_price = Money{4000};
    check(wrong_price, "items[0].unitPrice");
    auto negative = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    negative.discount = Money{6000};
    check(negative, "discount");
    auto no_address = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    no_address.customer.address.clear();
    check(no_address, "deliveryAddress");
    auto invisible_address = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    invisible_address.customer.address = "\ufeff\u200b";
    check(invisible_address, "deliveryAddress");
    auto bad_phone = OrdersFixture::new_order({OrdersFixture::item(tee, 1)}, "12");
    check(bad_phone, "customerPhone");
    // Named as the client named it, in the message too.
    CHECK(refused(f.orders->create(bad_phone, ctx())).message.starts_with("customerPhone must be"));
    auto unknown_customer = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    unknown_customer.customer_id = 4242;
    check(unknown_customer, "customerId");
    auto not_a_rep = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    not_a_rep.customer_rep_id = f.agent;
    check(not_a_rep, "customerRepId");
    check(OrdersFixture::new_order({OrdersFixture::item(tee, 11)}), "items", Rejection::Kind::conflict);
    // Free text keeps the customer fields' limits.
    auto long_address = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    long_address.delivery_address = std::string(501, 'a');
    check(long_address, "deliveryAddress");
    auto control_area = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    control_area.delivery_area = "Osu\x01";
    check(control_area, "deliveryArea");
    auto long_notes = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    long_notes.notes = std::string(4097, 'n');
    check(long_notes, "notes");
    auto long_internal = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    long_internal.internal_notes = std::string(4097, 'n');
    check(long_internal, "internalNotes");
    auto many_tags = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    for (int i = 0; i < 51; ++i) many_tags.tags.push_back("t" + std::to_string(i));
    check(many_tags, "tags");
    auto long_tag = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    long_tag.tags = {std::string(51, 't')};
    check(long_tag, "tags");
    // Nothing was created: no order, no customer, no id consumed, no stock held.
    CHECK(f.log->stream_version("order-1001") == std::nullopt);
    CHECK(f.log->sequence_next("order") == 1001);
    CHECK(f.customers->find_by_phone("+233241234567") == std::nullopt);
    CHECK(f.stock(tee).reserved == 0);
}

TEST_CASE("orders: a deactivated customer is refused by id, and active again with an order by their phone") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order first = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 1)}, "+233241119999"));
    accepted(f.customers->deactivate(first.customer_id, ctx()));
    auto by_id = OrdersFixture::new_order({OrdersFixture::item(tee, 1)});
    by_id.customer_id = first.customer_id;
    CHECK(refused(f.orders->create(by_id, ctx())).field == "customerId");
    // An order by phone that is refused leaves the customer as it was: one append or nothing.
    const Rejection short_stock =
        refused(f.orders->create(OrdersFixture::new_order({OrdersFixture::item(tee, 50)}, "+233241119999"), ctx()));
    CHECK(short_stock.kind == Rejection::Kind::conflict);
    CHECK_FALSE(f.customers->find(first.customer_id)->is_active);
    const Order again = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 1)}, "+233241119999"));
    CHECK(again.customer_id == first.customer_id);
    CHECK(f.customers->find(first.customer_id)->is_active);
    CHECK(f.stock(tee).reserved == 2);
}

TEST_CASE("orders: an order's own amounts above today's limit are kept by an edit that sends them back") {
    // 1,100,000,000,000.00: an order created before the limit of 1,000,000,000,000.00 stays editable through the
    // edit form, which sends its amounts back; an edit that raises an amount past the limit is refused.
    Order o;
    o.id = 1001;
    o.version = 3;
    o.items = {OrderItem{1, 2001, 11, Money{10'000'000'000'000}, Money{110'000'000'000'000}}};
    o.subtotal = o.total_amount = o.cod_amount = Money{110'000'000'000'000};
    OrderPatch form;
    form.notes = "call first";
    form.subtotal = form.total_amount = o.total_amount;
    const auto kept = decide_update(o, form, {});
    CHECK(std::holds_alternative<Decision>(kept));
    form.shipping_cost = Money{100};
    form.subtotal.reset();
    form.total_amount.reset();
    const auto raised = decide_update(o, form, {});
    REQUIRE(std::holds_alternative<Rejection>(raised));
    CHECK(std::get<Rejection>(raised).field == "totalAmount");
}

TEST_CASE("orders: insufficient stock is a conflict with productId, available and requested") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 3);
    f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 2)}));
    const Rejection r = refused(f.orders->create(OrdersFixture::new_order({OrdersFixture::item(tee, 2)}), ctx()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(r.message.find("insufficient stock") != std::string::npos);
    CHECK(detail(r, "productId") == tee);
    CHECK(detail(r, "available") == 1);
    CHECK(detail(r, "requested") == 2);
}

TEST_CASE(
    "orders: every transition of the map is allowed, every other one refused without may_force and recorded as forced "
    "with it") {
    using S = OrderStatus;
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 1000);
    for (S from : kAllStatuses) {
        for (S target : kAllStatuses) {
            if (from == target) continue;
            CAPTURE(to_string(from));
            CAPTURE(to_string(target));
            const Order o = order_in(f, tee, from);
            auto result = f.orders->change_status(o.id, to(target), std::nullopt, ctx());
            if (transition_allowed(from, target)) {
                CHECK(accepted(result).value.status == target);
                CHECK(last_status_change(f, o.id).at("forced").as_bool() == false);
            } else {
                const Rejection r = refused(result);
                CHECK(r.kind == Rejection::Kind::refused);
                CHECK(r.field == "status");
                CHECK(f.orders->find(o.id)->version == o.version);
                // Not even forced: cancelling an order delivered, or whose payment was collected.
                if (target == S::cancelled && (from == S::delivered || o.payment_status != PaymentStatus::pending)) {
                    CHECK(refused(f.orders->change_status(o.id, to(target, "admin fix", true), std::nullopt, ctx()))
                              .field == "status");
                    continue;
                }
                // An admin may force it with a reason, which the event keeps.
                const Order forced =
                    accepted(f.orders->change_status(o.id, to(target, "admin fix", true), std::nullopt, ctx())).value;
                CHECK(forced.status == target);
                CHECK(forced.stock == stock_stage(target));
                const auto last = last_status_change(f, o.id);
                CHECK(last.at("forced").as_bool());
                CHECK(last.at("reason").as_string() == "admin fix");
            }
        }
    }
    // Whatever the path, the product holds what the orders' stages say.
    std::int64_t reserved = 0, consumed = 0;
    for (OrderId id = 1001; id < f.log->sequence_next("order"); ++id) {
        const Order o = *f.orders->find(id);
        if (o.stock == StockStage::reserved) reserved += 1;
        if (o.stock == StockStage::dispatched) consumed += 1;
    }
    CHECK(f.stock(tee).reserved == reserved);
    CHECK(f.stock(tee).stock_quantity == 1000 - consumed);
}

TEST_CASE("orders: forced transitions need may_force and a reason, which the event records") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order o = order_in(f, tee, OrderStatus::pending_confirmation);
    const Rejection no_reason =
        refused(f.orders->change_status(o.id, to(OrderStatus::delivered, " ", true), std::nullopt, ctx()));
    CHECK(no_reason.kind == Rejection::Kind::invalid);
    CHECK(no_reason.field == "reason");
    CHECK(refused(f.orders->change_status(o.id, to(OrderStatus::delivered, "\u200e\u3000", true), std::nullopt, ctx()))
              .field == "reason");
    const Order after =
        accepted(f.orders->change_status(o.id, to(OrderStatus::delivered, "customer picked it up", true), std::nullopt,
                                         ctx()))
            .value;
    CHECK(after.status == OrderStatus::delivered);
    CHECK(after.stock == StockStage::dispatched);
    const auto last = last_status_change(f, o.id);
    CHECK(last.at("forced").as_bool());
    CHECK(last.at("reason").as_string() == "customer picked it up");
    CHECK(last.at("from").as_string() == "pending_confirmation");
    CHECK(last.at("to").as_string() == "delivered");
    CHECK(f.stock(tee).stock_quantity == 9);
    CHECK(f.stock(tee).reserved == 0);
    // Delivered, even forced, is the COD collection: the agent holds the cash.
    CHECK(after.payment_status == PaymentStatus::collected);
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == after.cod_amount);
}

TEST_CASE("orders: every way into delivered collects the COD amount, and without an agent it is refused") {
    using S = OrderStatus;
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    // A plain status change out_for_delivery -> delivered with no agent: nobody would hold the cash.
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 1)}));
    for (S s : {S::confirmed, S::preparing, S::ready_for_pickup, S::out_for_delivery}) {
        accepted(f.orders->change_status(o.id, to(s), std::nullopt, ctx()));
    }
    const Rejection none = refused(f.orders->change_status(o.id, to(S::delivered), std::nullopt, ctx()));
    CHECK(none.kind == Rejection::Kind::refused);
    CHECK(none.field == "deliveryAgentId");
    CHECK(refused(f.orders->change_status(o.id, to(S::delivered, "picked up", true), std::nullopt, ctx())).field ==
          "deliveryAgentId");
    OrderEdit edit;
    edit.status = to(S::delivered);
    CHECK(refused(f.orders->edit(o.id, edit, std::nullopt, ctx())).field == "deliveryAgentId");
    CHECK(f.orders->find(o.id)->status == S::out_for_delivery);
    // Returned before any delivery, then delivered along the map (returned -> delivered): collected then.
    accepted(f.orders->assign_agent(o.id, f.agent, ctx()));
    accepted(f.orders->return_order(o.id, "nobody home", ctx()));
    const Order delivered = accepted(f.orders->change_status(o.id, to(S::delivered), std::nullopt, ctx())).value;
    CHECK(delivered.payment_status == PaymentStatus::collected);
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == delivered.cod_amount);
    CHECK(f.stock(tee).stock_quantity == 9);
    // Returned again and delivered again: collected once only.
    accepted(f.orders->return_order(o.id, "wrong size", ctx()));
    accepted(f.orders->change_status(o.id, to(S::delivered), std::nullopt, ctx()));
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == delivered.cod_amount);
    // Through an edit (PUT /orders): the same collection.
    const Order p = order_in(f, tee, S::out_for_delivery);
    CHECK(accepted(f.orders->edit(p.id, edit, std::nullopt, ctx())).value.payment_status == PaymentStatus::collected);
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand().minor == delivered.cod_amount.minor + p.cod_amount.minor);
}

TEST_CASE("orders: If-Match is compared with the order stream's version") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order o = order_in(f, tee, OrderStatus::pending_confirmation);
    const Rejection stale = refused(f.orders->change_status(o.id, to(OrderStatus::confirmed), o.version + 1, ctx()));
    CHECK(stale.kind == Rejection::Kind::conflict);
    CHECK(accepted(f.orders->change_status(o.id, to(OrderStatus::confirmed), o.version, ctx())).value.version ==
          o.version + 1);
}

TEST_CASE("orders: stock follows the stage: dispatch consumes, cancel releases, return restocks, re-open reserves") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 3)}));
    CHECK(f.stock(tee).reserved == 3);
    accepted(f.orders->cancel(o.id, "customer changed their mind", ctx()));
    CHECK(f.stock(tee).reserved == 0);
    CHECK(f.stock(tee).stock_quantity == 10);
    const Rejection twice = refused(f.orders->cancel(o.id, "", ctx()));
    CHECK(twice.kind == Rejection::Kind::refused);
    accepted(f.orders->change_status(o.id, to(OrderStatus::confirmed), std::nullopt, ctx()));
    CHECK(f.stock(tee).reserved == 3);
    for (auto s : {OrderStatus::preparing, OrderStatus::ready_for_pickup, OrderStatus::out_for_delivery}) {
        accepted(f.orders->change_status(o.id, to(s), std::nullopt, ctx()));
    }
    CHECK(f.stock(tee).reserved == 0);
    CHECK(f.stock(tee).stock_quantity == 7);
    accepted(f.orders->change_status(o.id, to(OrderStatus::ready_for_pickup), std::nullopt, ctx()));
    CHECK(f.stock(tee).reserved == 3);
    CHECK(f.stock(tee).stock_quantity == 10);
    accepted(f.orders->change_status(o.id, to(OrderStatus::out_for_delivery), std::nullopt, ctx()));
    // A return needs a reason, as a failed delivery does: blanks are none.
    const Rejection blank = refused(f.orders->return_order(o.id, " \t ", ctx()));
    CHECK(blank.kind == Rejection::Kind::invalid);
    CHECK(blank.field == "reason");
    CHECK(refused(f.orders->return_order(o.id, "\u2066\u2069", ctx())).field == "reason");
    const Order returned = accepted(f.orders->return_order(o.id, "refused at the door", ctx())).value;
    CHECK(returned.status == OrderStatus::returned);
    CHECK(f.stock(tee).reserved == 0);
    CHECK(f.stock(tee).stock_quantity == 10);
    // returned -> out_for_delivery takes the units again (reserve + consume in one append).
    accepted(f.orders->change_status(o.id, to(OrderStatus::out_for_delivery), std::nullopt, ctx()));
    CHECK(f.stock(tee).stock_quantity == 7);
    CHECK(f.stock(tee).reserved == 0);
}

TEST_CASE("orders: cancel is refused once delivered") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order o = order_in(f, tee, OrderStatus::delivered);
    const Rejection r = refused(f.orders->cancel(o.id, "", ctx()));
    CHECK(r.kind == Rejection::Kind::refused);
}

TEST_CASE("orders: re-opening a cancelled order is refused when its stock is gone") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 3);
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 3)}));
    accepted(f.orders->cancel(o.id, "", ctx()));
    f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 2)}, "+233241234568"));
    const Rejection r = refused(f.orders->change_status(o.id, to(OrderStatus::confirmed), std::nullopt, ctx()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(detail(r, "available") == 1);
    CHECK(detail(r, "requested") == 3);
    CHECK(f.orders->find(o.id)->status == OrderStatus::cancelled);
}

TEST_CASE("orders: a retried create (same command id) answers with the same order, also after a reopen") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const auto n = OrdersFixture::new_order({OrdersFixture::item(tee, 2)});
    const auto first = accepted(f.orders->create(n, ctx("create-once"))).order;
    const auto again = accepted(f.orders->create(n, ctx("create-once"))).order;
    CHECK(again.value.id == first.value.id);
    CHECK(again.position == first.position);
    CHECK(again.value == first.value);
    CHECK(accepted(f.orders->create(n, ctx("create-once"))).repeated);  // the original's answer
    f.reopen();
    const auto after_reopen = accepted(f.orders->create(n, ctx("create-once"))).order;
    CHECK(after_reopen.value.id == first.value.id);
    CHECK(after_reopen.position == first.position);
    CHECK(f.log->sequence_next("order") == 1002);
    CHECK(f.log->sequence_next("customer") == 1002);
    CHECK(f.stock(tee).reserved == 2);
    // Concurrent retries of one command id still make one order.
    std::vector<std::thread> threads;
    std::vector<OrderId> ids(8);
    const auto n2 = OrdersFixture::new_order({OrdersFixture::item(tee, 1)}, "+233209999999");
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] { ids[t] = accepted(f.orders->create(n2, ctx("create-twice"))).order.value.id; });
    }
    for (auto& th : threads) th.join();
    for (OrderId id : ids) CHECK(id == ids[0]);
    CHECK(f.log->sequence_next("order") == 1003);
    CHECK(f.log->sequence_next("customer") == 1003);
    CHECK(f.stock(tee).reserved == 3);
}

TEST_CASE("orders: a retried create answers with the order as that create made it, after the order moved on") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const auto n = OrdersFixture::new_order({OrdersFixture::item(tee, 2)});
    const auto first = accepted(f.orders->create(n, ctx("create-then-confirm")));
    REQUIRE_FALSE(first.repeated);
    accepted(f.orders->change_status(first.order.value.id, to(OrderStatus::confirmed), std::nullopt, ctx()));
    REQUIRE(f.orders->find(first.order.value.id)->status == OrderStatus::confirmed);
    const auto again = accepted(f.orders->create(n, ctx("create-then-confirm")));
    CHECK(again.repeated);
    CHECK(again.order.value == first.order.value);  // version 0, pending_confirmation: the first answer's order
    CHECK(again.order.position == first.order.position);
    // With the names the answer shows, as they are now.
    REQUIRE(again.decided.has_value());
    CHECK(again.decided->customer.id == first.order.value.customer_id);
    REQUIRE(again.decided->products.size() == 1);
    CHECK(again.decided->products[0].sku == "TEE");
    // Also when the retry is refused now (the product has no units left): the original's answer, not the refusal.
    accepted(f.catalog->set_stock(tee, 2, "counted", ctx()));
    const auto refused_now = accepted(f.orders->create(n, ctx("create-then-confirm")));
    CHECK(refused_now.order.value == first.order.value);
    CHECK(f.stock(tee).reserved == 2);
}

TEST_CASE("orders: an order from another system is created once per source and externalOrderId") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    auto n = OrdersFixture::new_order({OrdersFixture::item(tee, 2)});
    n.source = "bulk_import";
    n.external_order_id = " SHOP-77 ";
    const auto first = accepted(f.orders->create(n, ctx("import-1")));
    CHECK(first.decided.has_value());
    CHECK(first.order.value.external_order_id == "SHOP-77");
    // Another request (another command id, even none) with the same external order: the first order, nothing new.
    n.items = {OrdersFixture::item(tee, 5)};
    const auto again = accepted(f.orders->create(n, ctx("import-2")));
    CHECK_FALSE(again.decided.has_value());
    CHECK(again.order.value.id == first.order.value.id);
    CHECK(again.order.position == first.order.position);
    CHECK(accepted(f.orders->create(n, ctx())).order.value.id == first.order.value.id);
    CHECK(f.stock(tee).reserved == 2);
    // Also with another phone: still the first order, and no customer for the new phone.
    const auto customers_before = f.log->sequence_next("customer");
    n.customer.phone_number = "+233201110000";
    CHECK(accepted(f.orders->create(n, ctx())).order.value.id == first.order.value.id);
    CHECK(f.log->sequence_next("customer") == customers_before);
    n.customer.phone_number = "+233241234567";
    // Also when deciding it again would now be refused (5 more would exceed the stock).
    n.items = {OrdersFixture::item(tee, 50)};
    CHECK(accepted(f.orders->create(n, ctx())).order.value.id == first.order.value.id);
    // The same external id from another source, or another external id, is another order.
    n.items = {OrdersFixture::item(tee, 1)};
    n.source = "webhook";
    CHECK(accepted(f.orders->create(n, ctx())).order.value.id != first.order.value.id);
    n.source = "bulk_import";
    n.external_order_id = "SHOP-78";
    CHECK(accepted(f.orders->create(n, ctx())).order.value.id != first.order.value.id);
    CHECK(f.stock(tee).reserved == 4);
    // Without an external id, creates stay independent.
    n.external_order_id.clear();
    const auto a = accepted(f.orders->create(n, ctx())).order.value.id;
    CHECK(accepted(f.orders->create(n, ctx())).order.value.id != a);
}

TEST_CASE("orders: no command id a create derives names another command, also its customer's") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    // Each create below has a new customer, whose find-or-create runs under a command id derived from the order's.
    auto n = OrdersFixture::new_order({OrdersFixture::item(tee, 1)}, "+233200000001");
    const auto a = accepted(f.orders->create(n, ctx("k1")));
    n.customer.phone_number = "+233200000002";
    const auto b = accepted(f.orders->create(n, ctx("k1/customer")));
    CHECK(b.decided.has_value());  // a new order, not the answer of a's customer
    CHECK(b.order.value.id != a.order.value.id);
    CHECK(b.order.value.customer_id != a.order.value.customer_id);
    n.source = "bulk_import";
    n.external_order_id = "X";
    n.customer.phone_number = "+233200000003";
    const auto x = accepted(f.orders->create(n, ctx()));
    for (const char* external : {"X/customer", "X customer +233200000003", "1:X"}) {
        INFO(external);
        n.external_order_id = external;
        n.customer.phone_number = "+2332000001" + std::to_string(std::string(external).size());
        const auto other = accepted(f.orders->create(n, ctx()));
        CHECK(other.decided.has_value());
        CHECK(other.order.value.id != x.order.value.id);
    }
    CHECK(f.stock(tee).reserved == 6);
}

TEST_CASE("orders: update replaces items before dispatch with stock re-reserved in the same append") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const auto cap = f.product("CAP", 2000, 2);
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 2)}));
    OrderPatch p;
    p.items = std::vector<NewOrderItem>{OrdersFixture::item(tee, 5), OrdersFixture::item(cap, 2)};
    p.notes = "leave at the gate";
    p.total_amount = Money{5 * 4500 + 2 * 2000 + 1000};
    const auto updated = accepted(f.orders->update(o.id, p, o.version, ctx()));
    REQUIRE(updated.value.items.size() == 2);
    CHECK(updated.value.items[0].id == 2);  // ids are never reused within an order
    CHECK(updated.value.total_amount == Money{27500});
    CHECK(updated.value.cod_amount == Money{27500});
    CHECK(updated.value.notes == "leave at the gate");
    CHECK(f.stock(tee).reserved == 5);
    CHECK(f.stock(cap).reserved == 2);
    const auto events = f.stream("order-" + std::to_string(o.id));
    CHECK(events[events.size() - 2].type == "OrderUpdated");
    CHECK(events.back().type == "OrderItemsReplaced");
    // The same items again change nothing.
    OrderPatch same;
    same.items = p.items;
    const auto head = f.log->head();
    CHECK(accepted(f.orders->update(o.id, same, std::nullopt, ctx())).position == events.back().position);
    CHECK(f.log->head() == head);
    // More than is there: refused, nothing moves.
    OrderPatch more;
    more.items = std::vector<NewOrderItem>{OrdersFixture::item(cap, 3)};
    CHECK(refused(f.orders->update(o.id, more, std::nullopt, ctx())).kind == Rejection::Kind::conflict);
    CHECK(f.stock(tee).reserved == 5);
    OrderPatch long_address;
    long_address.delivery_address = std::string(501, 'a');
    CHECK(refused(f.orders->update(o.id, long_address, std::nullopt, ctx())).field == "deliveryAddress");
    OrderPatch invisible_address;
    invisible_address.delivery_address = "\ufeff";
    CHECK(refused(f.orders->update(o.id, invisible_address, std::nullopt, ctx())).field == "deliveryAddress");
    OrderPatch long_notes;
    long_notes.notes = std::string(4097, 'n');
    CHECK(refused(f.orders->update(o.id, long_notes, std::nullopt, ctx())).field == "notes");
    // Shipping alone: the totals move in OrderUpdated.
    OrderPatch shipping;
    shipping.shipping_cost = Money{0};
    CHECK(accepted(f.orders->update(o.id, shipping, std::nullopt, ctx())).value.total_amount == Money{26500});
    // After dispatch the items stay.
    StatusChange forced;
    forced.to = OrderStatus::out_for_delivery;
    forced.may_force = true;
    forced.reason = "rush";
    accepted(f.orders->change_status(o.id, forced, std::nullopt, ctx()));
    CHECK(refused(f.orders->update(o.id, more, std::nullopt, ctx())).kind == Rejection::Kind::refused);
}

TEST_CASE("orders: an edit keeps the price an item was sold at or takes the catalog's, no other") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 1675, 20);
    const auto cap = f.product("CAP", 2000, 20);
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 1)}));
    catalog::ProductPatch raise;
    raise.price = Money{1700};
    accepted(f.catalog->update(tee, raise, ctx()));
    const auto priced = [&](std::int64_t product, std::int64_t quantity, std::int64_t price) {
        auto i = OrdersFixture::item(product, quantity);
        i.unit_price = Money{price};
        return i;
    };
    // The edit form sends the item back at the price it was sold at, with a new quantity.
    OrderPatch more;
    more.items = std::vector<NewOrderItem>{priced(tee, 4, 1675)};
    const auto kept = accepted(f.orders->update(o.id, more, std::nullopt, ctx())).value;
    REQUIRE(kept.items.size() == 1);
    CHECK(kept.items[0].unit_price == Money{1675});
    CHECK(kept.total_amount == Money{4 * 1675 + 1000});
    // Any other price is refused.
    OrderPatch other;
    other.items = std::vector<NewOrderItem>{priced(tee, 4, 1600)};
    const Rejection r = refused(f.orders->update(o.id, other, std::nullopt, ctx()));
    CHECK(r.field == "items[0].unitPrice");
    CHECK(r.message == "unitPrice is 17.00 (the catalog price) or 16.75 (the order's price), not 16.00");
    // A line more at the catalog's price: the order then has the product at two prices, and keeps both.
    OrderPatch two;
    two.items = std::vector<NewOrderItem>{priced(tee, 4, 1675), priced(tee, 1, 1700)};
    accepted(f.orders->update(o.id, two, std::nullopt, ctx()));
    two.items = std::vector<NewOrderItem>{priced(tee, 2, 1675), priced(tee, 3, 1700)};
    const auto both = accepted(f.orders->update(o.id, two, std::nullopt, ctx())).value;
    REQUIRE(both.items.size() == 2);
    CHECK(both.total_amount == Money{2 * 1675 + 3 * 1700 + 1000});
    // The catalog's price is taken when sent; the sold-at price of a product the order did not have is not.
    OrderPatch now;
    now.items = std::vector<NewOrderItem>{priced(tee, 4, 1700)};
    CHECK(accepted(f.orders->update(o.id, now, std::nullopt, ctx())).value.items[0].unit_price == Money{1700});
    OrderPatch new_line;
    new_line.items = std::vector<NewOrderItem>{priced(tee, 4, 1700), priced(cap, 1, 1675)};
    CHECK(refused(f.orders->update(o.id, new_line, std::nullopt, ctx())).message ==
          "unitPrice is 20.00 (the catalog price), not 16.75");
    // A new order is priced from the catalog alone.
    auto fresh = OrdersFixture::new_order({priced(tee, 1, 1675)}, "+233241234568");
    CHECK(refused(f.orders->create(fresh, ctx())).field == "items[0].unitPrice");
}

TEST_CASE("orders: edit decides details, status and the customer together and appends them at once") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const auto cap = f.product("CAP", 2000, 10);
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 2)}));
    f.create(OrdersFixture::new_order({OrdersFixture::item(cap, 1)}, "+233241230000"));  // holds that phone
    const std::string stream = "order-" + std::to_string(o.id);

    // A phone another customer holds refuses the whole edit: neither the notes nor the status is appended.
    OrderEdit bad;
    bad.patch.notes = "leave at the gate";
    bad.status = to(OrderStatus::confirmed);
    bad.customer = customers::CustomerPatch{};
    bad.customer->phone_number = "+233241230000";
    const auto head = f.log->head();
    const Rejection taken = refused(f.orders->edit(o.id, bad, std::nullopt, ctx()));
    CHECK(taken.kind == Rejection::Kind::conflict);
    CHECK(taken.field == "phoneNumber");
    CHECK(f.log->head() == head);

    // Details, items, status and customer: one append, one position range, one command id.
    OrderEdit good;
    good.patch.notes = "leave at the gate";
    good.patch.items = std::vector<NewOrderItem>{OrdersFixture::item(cap, 3)};
    good.status = to(OrderStatus::cancelled);
    good.customer = customers::CustomerPatch{};
    good.customer->first_name = "Akosua";
    good.customer->phone_number = "0241239999";
    const auto done = accepted(f.orders->edit(o.id, good, o.version, ctx("edit-1")));
    CHECK(done.value.status == OrderStatus::cancelled);
    CHECK(done.value.notes == "leave at the gate");
    REQUIRE(done.value.items.size() == 1);
    CHECK(done.value.items[0].product_id == cap);
    // The items were replaced, then the order cancelled: nothing of either product stays reserved.
    CHECK(f.stock(tee).reserved == 0);
    CHECK(f.stock(cap).reserved == 1);  // the other order's unit
    const auto customer = f.customers->find(o.customer_id);
    REQUIRE(customer.has_value());
    CHECK(customer->first_name == "Akosua");
    CHECK(customer->phone_number == customers::normalize_phone("0241239999").value_or("?"));
    const auto events = f.stream(stream);
    REQUIRE(events.size() >= 4);
    const auto customer_events = f.stream("customer-" + std::to_string(o.customer_id));
    // Every event of the edit in one batch: the order's and the customer's positions are one contiguous run.
    const auto first = events[events.size() - 3].position.value();
    CHECK(events[events.size() - 3].type == "OrderUpdated");
    CHECK(events[events.size() - 2].type == "OrderItemsReplaced");
    CHECK(events.back().type == "OrderStatusChanged");
    CHECK(customer_events.back().position.value() > first);
    CHECK(customer_events.back().position.value() <= done.position.value());
    CHECK(done.position == f.log->head());
    // Only the customer changes: the order's stream is not appended to, the answer is the order as it is. The
    // stream is in the append as a condition at the version the edit decided on, so an order that moved
    // between the load and the append makes it a conflict (retried, then refused by If-Match), never an edit
    // decided on a stale order.
    OrderEdit rename;
    rename.patch.notes = "leave at the gate";
    rename.customer = customers::CustomerPatch{};
    rename.customer->first_name = "Adwoa";
    const auto renamed = accepted(f.orders->edit(o.id, rename, std::nullopt, ctx("rename-1")));
    CHECK(renamed.value.version == done.value.version);
    CHECK(renamed.position == f.log->head());
    CHECK(f.customers->find(o.customer_id)->first_name == "Adwoa");
    const auto record = f.log->command_result("rename-1");
    REQUIRE(record.has_value());
    const auto order_stream = "order-" + std::to_string(o.id);
    const auto condition = std::find_if(record->streams.begin(), record->streams.end(),
                                        [&](const StreamResult& s) { return s.stream == order_stream; });
    REQUIRE(condition != record->streams.end());
    CHECK(condition->last_version.value() == done.value.version);
    CHECK(f.stream(order_stream).back().version.value() == done.value.version);
    // The same command id again appends nothing; a stale If-Match is a conflict.
    const auto after = f.log->head();
    CHECK(accepted(f.orders->edit(o.id, good, o.version, ctx("edit-1"))).value.status == OrderStatus::cancelled);
    CHECK(f.log->head() == after);
    CHECK(refused(f.orders->edit(o.id, good, o.version, ctx())).field == "If-Match");
}

TEST_CASE("orders: edit to delivered from out_for_delivery is the delivery: the agent collects the COD amount") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order o = order_in(f, tee, OrderStatus::out_for_delivery);
    accepted(f.orders->assign_agent(o.id, f.agent, ctx()));
    OrderEdit e;
    e.patch.notes = "handed to the gate keeper";
    e.status = to(OrderStatus::delivered);
    const auto done = accepted(f.orders->edit(o.id, e, std::nullopt, ctx()));
    CHECK(done.value.status == OrderStatus::delivered);
    CHECK(done.value.payment_status == PaymentStatus::collected);
    CHECK(done.value.notes == "handed to the gate keeper");
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == done.value.cod_amount);
    // Forcing is never part of an edit, whatever the change asks for.
    OrderEdit forced;
    forced.status = to(OrderStatus::pending_confirmation, "mistake", true);
    CHECK(refused(f.orders->edit(o.id, forced, std::nullopt, ctx())).field == "status");
}

TEST_CASE("orders: an edit that replaces the items as it dispatches takes the new lines, not the old ones") {
    using S = OrderStatus;
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 20);
    const auto cap = f.product("CAP", 2000, 20);
    const auto dispatch_with = [&](OrderId id, std::vector<NewOrderItem> items) {
        OrderEdit edit;
        edit.patch.items = std::move(items);
        edit.status = to(S::out_for_delivery);
        return f.orders->edit(id, edit, std::nullopt, ctx());
    };
    // Same product, 1 -> 5 units: 5 leave the shelf, and a cancel puts back 5.
    const Order more = order_in(f, tee, S::ready_for_pickup);
    REQUIRE(f.stock(tee).reserved == 1);
    CHECK(accepted(dispatch_with(more.id, {OrdersFixture::item(tee, 5)})).value.stock == StockStage::dispatched);
    CHECK(f.stock(tee).stock_quantity == 15);
    CHECK(f.stock(tee).reserved == 0);
    accepted(f.orders->change_status(more.id, to(S::cancelled), std::nullopt, ctx()));
    CHECK(f.stock(tee).stock_quantity == 20);
    // Another product: the old units are released, the new ones leave the shelf; a return restocks the new ones.
    const Order swap = order_in(f, tee, S::ready_for_pickup);
    accepted(dispatch_with(swap.id, {OrdersFixture::item(cap, 4)}));
    CHECK(f.stock(tee).stock_quantity == 20);
    CHECK(f.stock(tee).reserved == 0);
    CHECK(f.stock(cap).stock_quantity == 16);
    CHECK(f.stock(cap).reserved == 0);
    accepted(f.orders->return_order(swap.id, "refused at the door", ctx()));
    CHECK(f.stock(cap).stock_quantity == 20);
    CHECK(f.stock(tee).stock_quantity == 20);
    // The new lines must be available: 21 caps are refused, and nothing moves.
    const Order short_of = order_in(f, tee, S::ready_for_pickup);
    const Rejection r = refused(dispatch_with(short_of.id, {OrdersFixture::item(cap, 21)}));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(detail(r, "productId") == cap);
    CHECK(f.stock(tee).reserved == 1);
    CHECK(f.stock(cap).stock_quantity == 20);
}

TEST_CASE("orders: an order goes out and is delivered only in an active delivery agent's hands") {
    using S = OrderStatus;
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    // Returned before any delivery: no longer open, so its agent may be moved to another role meanwhile.
    const Order o = order_in(f, tee, S::out_for_delivery);
    accepted(f.orders->return_order(o.id, "nobody home", ctx()));
    users::UserPatch to_rep;
    to_rep.role = users::Role::sales_rep;
    ok(f.users->update_user(f.agent, to_rep, admin_meta()));
    const Rejection r = refused(f.orders->change_status(o.id, to(S::delivered), std::nullopt, ctx()));
    CHECK(r.kind == Rejection::Kind::refused);
    CHECK(r.field == "deliveryAgentId");
    OrderEdit edit;
    edit.status = to(S::delivered);
    CHECK(refused(f.orders->edit(o.id, edit, std::nullopt, ctx())).field == "deliveryAgentId");
    CHECK(f.orders->find(o.id)->payment_status == PaymentStatus::pending);
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == Money{0});
    // Nor is it sent out again with them.
    const Rejection out = refused(f.orders->change_status(o.id, to(S::out_for_delivery), std::nullopt, ctx()));
    CHECK(out.field == "deliveryAgentId");
    CHECK(out.message.find("sending the order out") != std::string::npos);
    CHECK(f.orders->find(o.id)->status == S::returned);
    // Back in the role, the same change delivers and collects.
    users::UserPatch back;
    back.role = users::Role::delivery_agent;
    ok(f.users->update_user(f.agent, back, admin_meta()));
    CHECK(accepted(f.orders->change_status(o.id, to(S::delivered), std::nullopt, ctx())).value.payment_status ==
          PaymentStatus::collected);
}

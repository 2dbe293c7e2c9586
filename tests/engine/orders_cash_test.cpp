// Delivery and cash, given/when/then: assignment rules, delivery completion (status, payment and the agent's
// cash in one append), failure and return, deposits allocated oldest first with a partial last one,
// reconciliation, expenses; and the cash invariant collected - deposited = cash in hand under concurrency.
#include <doctest/doctest.h>

#include <thread>

#include <boost/json/parse.hpp>

#include "engine/orders/order_events.hpp"
#include "tests/engine/orders_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::orders;
using namespace codd::test;

namespace {

boost::json::object payload(const RecordedEvent& e) {
    return boost::json::parse(e.payload).as_object();
}

// A new order of `quantity` units of `product`, assigned to the fixture's agent and out for delivery.
Order out_for_delivery(OrdersFixture& f, catalog::ProductId product, std::int64_t quantity, std::string phone) {
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(product, quantity)}, std::move(phone)));
    accepted(f.orders->assign_agent(o.id, f.agent, ctx()));
    Order current = o;
    for (auto s : {OrderStatus::confirmed, OrderStatus::preparing, OrderStatus::ready_for_pickup,
                   OrderStatus::out_for_delivery}) {
        StatusChange c;
        c.to = s;
        current = accepted(f.orders->change_status(o.id, c, std::nullopt, ctx())).value;
    }
    return current;
}

Order delivered(OrdersFixture& f, catalog::ProductId product, std::int64_t quantity, std::string phone) {
    const Order o = out_for_delivery(f, product, quantity, std::move(phone));
    return accepted(f.orders->complete_delivery(o.id, {}, ctx())).value;
}

}  // namespace

TEST_CASE("orders cash: assigning a rep needs an active sales rep, an agent an active and available one") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 1)}));
    CHECK(refused(f.orders->assign_rep(o.id, f.agent, ctx())).field == "customerRepId");
    CHECK(refused(f.orders->assign_agent(o.id, f.rep, ctx())).field == "deliveryAgentId");
    CHECK(refused(f.orders->assign_agent(o.id, 4242, ctx())).kind == Rejection::Kind::invalid);
    const Order with_rep = accepted(f.orders->assign_rep(o.id, f.rep, ctx())).value;
    CHECK(with_rep.customer_rep_id == f.rep);
    const auto assigned = payload(f.stream("order-" + std::to_string(o.id)).back());
    CHECK(assigned.at("customerRepId").as_int64() == f.rep);
    CHECK(assigned.at("previousRepId").is_null());

    ok(f.users->set_availability(f.agent, false, admin_meta()));
    const Rejection busy = refused(f.orders->assign_agent(o.id, f.agent, ctx()));
    CHECK(busy.kind == Rejection::Kind::refused);
    CHECK(busy.field == "deliveryAgentId");
    ok(f.users->set_availability(f.agent, true, admin_meta()));
    CHECK(accepted(f.orders->assign_agent(o.id, f.agent, ctx())).value.delivery_agent_id == f.agent);
    // Assigning the same agent again changes nothing and answers with the order's last position.
    const auto head = f.log->head();
    const auto again = accepted(f.orders->assign_agent(o.id, f.agent, ctx()));
    CHECK(f.log->head() == head);
    CHECK(again.position == head);
}

TEST_CASE("orders cash: complete delivery appends delivered, PaymentCollected and CashCollected in one append") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order unassigned = f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 1)}, "+233200000001"));
    StatusChange forced;
    forced.to = OrderStatus::out_for_delivery;
    forced.may_force = true;
    forced.reason = "walk-in dispatch";
    accepted(f.orders->change_status(unassigned.id, forced, std::nullopt, ctx()));
    CHECK(refused(f.orders->complete_delivery(unassigned.id, {}, ctx())).field == "deliveryAgentId");

    const Order o = out_for_delivery(f, tee, 2, "+233200000002");
    CHECK(refused(f.orders->complete_delivery(
                      f.create(OrdersFixture::new_order({OrdersFixture::item(tee, 1)}, "+233200000003")).id, {}, ctx()))
              .kind == Rejection::Kind::refused);
    DeliveryCompletion d;
    d.proof = DeliveryProof{ProofType::signature, "sig-data", "", "Esi Owusu", "+233241234567"};
    const auto done = accepted(f.orders->complete_delivery(o.id, d, ctx()));
    CHECK(done.value.status == OrderStatus::delivered);
    CHECK(done.value.payment_status == PaymentStatus::collected);
    CHECK(done.value.proof->recipient_name == "Esi Owusu");
    const auto events = f.stream("order-" + std::to_string(o.id));
    REQUIRE(events.size() >= 3);
    CHECK(events[events.size() - 3].type == "DeliveryProofRecorded");
    CHECK(events[events.size() - 2].type == "OrderStatusChanged");
    CHECK(events.back().type == "PaymentCollected");
    CHECK(payload(events.back()).at("amount").as_int64() == 10000);
    const auto cash = f.stream("agent-cash-" + std::to_string(f.agent));
    REQUIRE(cash.size() == 1);
    CHECK(cash[0].type == "CashCollected");
    CHECK(cash[0].position == done.position);
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == Money{10000});
    CHECK(refused(f.orders->complete_delivery(o.id, d, ctx())).kind == Rejection::Kind::refused);
    CHECK(refused(f.orders->cancel(o.id, "", ctx())).kind == Rejection::Kind::refused);
}

// The admin UI's edit form sends the whole order back (reference §14 row 10: PUT as POST): its unchanged items
// and amounts are no change, so a dispatched or paid order still takes an edit of its notes or address.
OrderPatch whole_form(const Order& o) {
    OrderPatch p;
    std::vector<NewOrderItem> items;
    for (const auto& i : o.items) {
        NewOrderItem n = OrdersFixture::item(i.product_id, i.quantity);
        n.unit_price = i.unit_price;
        items.push_back(n);
    }
    p.items = std::move(items);
    p.subtotal = o.subtotal;
    p.total_amount = o.total_amount;
    p.delivery_address = o.delivery_address;
    return p;
}

TEST_CASE("orders cash: the whole edit form back changes only what differs, also once dispatched or paid") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order out = out_for_delivery(f, tee, 2, "+233241110001");
    OrderPatch edit = whole_form(out);
    edit.notes = "call before arriving";
    const auto noted = accepted(f.orders->update(out.id, edit, out.version, ctx())).value;
    CHECK(noted.notes == "call before arriving");
    CHECK(noted.total_amount == out.total_amount);
    CHECK(f.stream("order-" + std::to_string(out.id)).back().type == "OrderUpdated");
    // A real change of the items is still refused once dispatched; of an amount once paid.
    OrderPatch more = whole_form(noted);
    more.items->at(0).quantity = 3;
    more.subtotal.reset();
    more.total_amount.reset();
    CHECK(refused(f.orders->update(out.id, more, std::nullopt, ctx())).field == "items");

    const Order paid = accepted(f.orders->complete_delivery(out.id, {}, ctx())).value;
    OrderPatch address = whole_form(paid);
    address.delivery_address = "14 Oxford Street";
    CHECK(accepted(f.orders->update(out.id, address, std::nullopt, ctx())).value.delivery_address ==
          "14 Oxford Street");
    OrderPatch shipping = whole_form(paid);
    shipping.shipping_cost = Money{0};
    shipping.total_amount.reset();
    CHECK(refused(f.orders->update(out.id, shipping, std::nullopt, ctx())).kind == Rejection::Kind::refused);
    OrderPatch wrong_total = whole_form(paid);
    wrong_total.total_amount = Money{paid.total_amount.minor + 1};
    CHECK(refused(f.orders->update(out.id, wrong_total, std::nullopt, ctx())).kind == Rejection::Kind::refused);
}

TEST_CASE("orders cash: back to delivered after a round trip is a status change, not a second collection") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order done = delivered(f, tee, 1, "+233241110002");
    const Money in_hand = f.orders->agent_cash(f.agent).cash_in_hand();
    StatusChange back;
    back.to = OrderStatus::out_for_delivery;
    back.may_force = true;
    back.reason = "customer disputes the delivery";
    accepted(f.orders->change_status(done.id, back, std::nullopt, ctx()));
    StatusChange again;
    again.to = OrderStatus::delivered;
    const Order redelivered = accepted(f.orders->change_status(done.id, again, std::nullopt, ctx())).value;
    CHECK(redelivered.status == OrderStatus::delivered);
    CHECK(redelivered.payment_status == PaymentStatus::collected);
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == in_hand);  // collected once
    CHECK(f.stream("agent-cash-" + std::to_string(f.agent)).size() == 1);
}

TEST_CASE("orders cash: an order whose payment was collected is never cancelled, forced or not, but returned") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order done = delivered(f, tee, 1, "+233241110003");
    REQUIRE(done.payment_status == PaymentStatus::collected);
    const auto status_to = [](OrderStatus s, bool force = false) {
        StatusChange c;
        c.to = s;
        c.may_force = force;
        if (force) c.reason = "admin correction";
        return c;
    };
    const auto refused_cancel = [&](const Result<Committed<Order>>& r) {
        const Rejection why = refused(r);
        CHECK(why.kind == Rejection::Kind::refused);
        CHECK(why.field == "status");
        CHECK(why.message.find("collected") != std::string::npos);
    };
    // An admin forcing delivered -> cancelled, with a reason.
    refused_cancel(f.orders->change_status(done.id, status_to(OrderStatus::cancelled, true), std::nullopt, ctx()));
    // Back out for delivery (on the map), then cancelled along the map, by a status change or a cancel.
    accepted(f.orders->change_status(done.id, status_to(OrderStatus::out_for_delivery), std::nullopt, ctx()));
    refused_cancel(f.orders->change_status(done.id, status_to(OrderStatus::cancelled), std::nullopt, ctx()));
    refused_cancel(f.orders->cancel(done.id, "customer changed their mind", ctx()));
    // The delivery fails after all: failed_delivery -> returned is on the map, and the units come back.
    accepted(f.orders->change_status(done.id, status_to(OrderStatus::failed_delivery), std::nullopt, ctx()));
    refused_cancel(f.orders->change_status(done.id, status_to(OrderStatus::cancelled), std::nullopt, ctx()));
    const Order returned =
        accepted(f.orders->change_status(done.id, status_to(OrderStatus::returned), std::nullopt, ctx())).value;
    CHECK(returned.status == OrderStatus::returned);
    CHECK(f.stock(tee).stock_quantity == 10);
    CHECK(f.stock(tee).reserved == 0);
    CHECK(f.orders->find(done.id)->version == returned.version);
}

TEST_CASE("orders cash: a failed delivery needs a reason, counts the attempt and may reschedule") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 4500, 10);
    const Order o = out_for_delivery(f, tee, 1, "+233200000001");
    accepted(f.orders->record_attempt(o.id, "nobody home", ctx()));
    CHECK(refused(f.orders->fail_delivery(o.id, "  ", std::nullopt, ctx())).field == "reason");
    CHECK(refused(f.orders->fail_delivery(o.id, "\u00a0\u200d", std::nullopt, ctx())).field == "reason");
    const Order failed =
        accepted(f.orders->fail_delivery(o.id, "customer unreachable", 1'760'000'000'000'000, ctx())).value;
    CHECK(failed.status == OrderStatus::failed_delivery);
    CHECK(failed.delivery_attempts == 2);
    CHECK(failed.failure_reason == "customer unreachable");
    CHECK(failed.scheduled_us == 1'760'000'000'000'000);
    CHECK(failed.stock == StockStage::dispatched);
    const Order returned = accepted(f.orders->return_order(o.id, "back to the shelf", ctx())).value;
    CHECK(returned.status == OrderStatus::returned);
    CHECK(f.stock(tee).stock_quantity == 10);
    CHECK(f.stock(tee).reserved == 0);
}

TEST_CASE("orders cash: deposits cover the oldest collections first, the last one partially, and reconcile") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 1000, 100);
    // Only a delivery agent deposits: a sales rep or an unknown user is the wrong agentId, not too little cash.
    for (const UserId who : {f.rep, UserId{4242}}) {
        const Rejection wrong = refused(f.orders->record_deposit(who, Money{100}, "r0", "", ctx()));
        CHECK(wrong.kind == Rejection::Kind::invalid);
        CHECK(wrong.field == "agentId");
    }
    const Rejection empty_handed = refused(f.orders->record_deposit(f.agent, Money{100}, "r0", "", ctx()));
    CHECK(empty_handed.kind == Rejection::Kind::refused);
    CHECK(empty_handed.field == "amount");
    // Three deliveries of 1000 + 1000 shipping = 2000, 3000 and 4000 (1, 2 and 3 units).
    const Order first = delivered(f, tee, 1, "+233200000001");
    f.clock->advance(std::chrono::seconds(1));
    const Order second = delivered(f, tee, 2, "+233200000002");
    f.clock->advance(std::chrono::seconds(1));
    const Order third = delivered(f, tee, 3, "+233200000003");
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == Money{9000});

    CHECK(refused(f.orders->record_deposit(f.agent, Money{0}, "r0", "", ctx())).kind == Rejection::Kind::refused);
    CHECK(refused(f.orders->record_deposit(f.agent, Money{100}, "\u200b", "", ctx())).field == "reference");
    CHECK(refused(f.orders->record_deposit(f.agent, Money{9001}, "r0", "", ctx())).kind == Rejection::Kind::refused);

    // An agent moved to another role still deposits the cash they collected.
    users::UserPatch to_rep;
    to_rep.role = users::Role::sales_rep;
    ok(f.users->update_user(f.agent, to_rep, admin_meta()));
    const auto deposit = accepted(f.orders->record_deposit(f.agent, Money{3500}, "bank-1", "", ctx()));
    REQUIRE(deposit.value.allocations.size() == 2);
    CHECK(deposit.value.allocations[0].order_id == first.id);
    CHECK(deposit.value.allocations[0].amount == Money{2000});
    CHECK(deposit.value.allocations[1].order_id == second.id);
    CHECK(deposit.value.allocations[1].amount == Money{1500});
    CHECK(f.orders->find(first.id)->payment_status == PaymentStatus::deposited);
    CHECK(f.orders->find(second.id)->payment_status == PaymentStatus::collected);
    const AgentCash cash = f.orders->agent_cash(f.agent);
    CHECK(cash.cash_in_hand() == Money{5500});
    REQUIRE(cash.open.size() == 2);
    CHECK(cash.open[0] == OpenCollection{second.id, Money{1500}, cash.open[0].collected_us});
    CHECK(cash.open[1].order_id == third.id);

    const auto rest = accepted(f.orders->record_deposit(f.agent, Money{5500}, "bank-2", "", ctx()));
    CHECK(f.orders->find(second.id)->deposit_id == rest.value.id);
    CHECK(f.orders->agent_cash(f.agent).cash_in_hand() == Money{0});
    CHECK(f.orders->agent_cash(f.agent).open.empty());

    const auto reconciled = accepted(f.orders->reconcile_deposit(deposit.value.id, "matched", ctx()));
    CHECK(reconciled.value.reconciled);
    CHECK(f.orders->find(first.id)->payment_status == PaymentStatus::reconciled);
    CHECK(f.orders->find(second.id)->payment_status == PaymentStatus::deposited);
    CHECK(refused(f.orders->reconcile_deposit(deposit.value.id, "", ctx())).kind == Rejection::Kind::refused);
    accepted(f.orders->reconcile_deposit(rest.value.id, "", ctx()));
    CHECK(f.orders->find(second.id)->payment_status == PaymentStatus::reconciled);
    CHECK(f.orders->find(third.id)->payment_status == PaymentStatus::reconciled);
}

TEST_CASE("orders cash: expenses need a category, a positive amount and a description") {
    OrdersFixture f;
    NewExpense e;
    e.category = "fuel";
    e.amount = Money{5000};
    e.description = "Motorbike fuel";
    CHECK(refused(f.orders->record_expense(NewExpense{"", "x", "", Money{1}, 0}, ctx())).field == "category");
    CHECK(refused(f.orders->record_expense(NewExpense{"fuel", "x", "", Money{0}, 0}, ctx())).field == "amount");
    CHECK(refused(f.orders->record_expense(NewExpense{"fuel", " ", "", Money{1}, 0}, ctx())).field == "description");
    CHECK(refused(f.orders->record_expense(NewExpense{"\u200b", "x", "", Money{1}, 0}, ctx())).field == "category");
    CHECK(refused(f.orders->record_expense(NewExpense{"fuel", "\ufeff", "", Money{1}, 0}, ctx())).field ==
          "description");
    const auto recorded = accepted(f.orders->record_expense(e, ctx()));
    CHECK(recorded.value.id == 1001);
    CHECK(recorded.value.recorded_by == 1001);
    const auto events = f.stream("expense-1001");
    REQUIRE(events.size() == 1);
    CHECK(payload(events[0]).at("amount").as_int64() == 5000);
    CHECK(payload(events[0]).at("expenseDateUs").as_int64() > 0);
}

TEST_CASE("orders cash: concurrent deliveries and deposits keep collected - deposited = cash in hand") {
    OrdersFixture f;
    const auto tee = f.product("TEE", 1000, 10'000);
    constexpr int kThreads = 8, kOrders = 10;
    std::vector<Order> ready;
    for (int t = 0; t < kThreads * kOrders; ++t)
        ready.push_back(out_for_delivery(f, tee, 1, "+2332000" + std::to_string(10000 + t)));
    std::atomic<std::int64_t> deposited{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kOrders; ++i) {
                accepted(f.orders->complete_delivery(ready[t * kOrders + i].id, {}, ctx()));
                auto r = f.orders->record_deposit(f.agent, Money{700}, "r", "", ctx());
                if (std::holds_alternative<Committed<Deposit>>(r)) deposited.fetch_add(700);
            }
        });
    }
    for (auto& th : threads) th.join();
    const AgentCash cash = f.orders->agent_cash(f.agent);
    CHECK(cash.collected == Money{2000 * kThreads * kOrders});
    CHECK(deposited.load() > 0);
    CHECK(cash.deposited == Money{deposited.load()});
    std::int64_t open = 0;
    for (const auto& c : cash.open) open += c.amount.minor;
    CHECK(cash.cash_in_hand() == Money{open});
    // Every order is deposited exactly when nothing of its collection is open.
    for (const auto& o : ready) {
        const bool still_open =
            std::any_of(cash.open.begin(), cash.open.end(), [&](const auto& c) { return c.order_id == o.id; });
        CHECK(f.orders->find(o.id)->payment_status ==
              (still_open ? PaymentStatus::collected : PaymentStatus::deposited));
    }
}

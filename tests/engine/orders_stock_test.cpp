// Stock under many concurrent orders through the StockBook: reserved never above on hand and never
// negative, cancellations and returns restore exactly, every create that fits succeeds (no spurious
// conflicts), and a fresh fold of the log equals the live cache.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "engine/catalog/catalog_events.hpp"
#include "engine/catalog/stock.hpp"
#include "engine/catalog/stock_book.hpp"
#include "engine/customers/customer_events.hpp"
#include "tests/engine/orders_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::orders;
using namespace codd::test;

namespace {

StatusChange to(OrderStatus s) {
    StatusChange c;
    c.to = s;
    return c;
}

catalog::Product folded(const EventLog& log, catalog::ProductId id) {
    return load<catalog::Product>(log, catalog::events::product_stream(id),
                                  [](catalog::Product& p, const RecordedEvent& e) { catalog::evolve(p, e); })
        .state;
}

std::string phone_of(int thread, int i) {
    return "+23324" + std::to_string(1000000 + thread * 1000 + i);
}

}  // namespace

TEST_CASE("orders stock: 16 threads create, cancel, dispatch and return orders on 3 shared products") {
    OrdersFixture f;
    constexpr std::int64_t kStock = 100'000;
    const std::vector<catalog::ProductId> products{f.product("A", 1000, kStock), f.product("B", 2500, kStock),
                                                   f.product("C", 700, kStock)};
    constexpr int kThreads = 16, kOps = 50;
    std::atomic<int> failures{0};
    std::atomic<bool> done{false};
    // A reader samples the live cache while the writers run.
    std::thread sampler([&] {
        while (!done.load()) {
            for (auto id : products) {
                const auto p = f.stock(id);
                if (p.reserved < 0 || p.reserved > p.stock_quantity || p.stock_quantity < 0) failures.fetch_add(1);
            }
        }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
            std::vector<OrderId> open, dispatched;
            auto ok = [&](const auto& r) {
                if (std::holds_alternative<Rejection>(r)) {
                    failures.fetch_add(1);
                    MESSAGE("rejected: " << std::get<Rejection>(r).message);
                    return false;
                }
                return true;
            };
            for (int i = 0; i < kOps; ++i) {
                const int op = static_cast<int>(rng() % 10);
                if (op < 5 || open.empty()) {
                    std::vector<NewOrderItem> items;
                    for (auto id : products) {
                        if (rng() % 2 == 0) items.push_back(OrdersFixture::item(id, 1 + static_cast<int>(rng() % 3)));
                    }
                    if (items.empty()) items.push_back(OrdersFixture::item(products[rng() % 3], 1));
                    auto r = f.orders->create(OrdersFixture::new_order(items, phone_of(t, i)), ctx());
                    if (ok(r)) open.push_back(std::get<CreatedOrder>(r).order.value.id);
                } else if (op < 7) {
                    const OrderId id = open.back();
                    open.pop_back();
                    ok(f.orders->cancel(id, "changed their mind", ctx()));
                } else if (op < 9) {
                    const OrderId id = open.back();
                    open.pop_back();
                    bool all = true;
                    for (auto s : {OrderStatus::confirmed, OrderStatus::preparing, OrderStatus::ready_for_pickup,
                                   OrderStatus::out_for_delivery}) {
                        all = all && ok(f.orders->change_status(id, to(s), std::nullopt, ctx()));
                    }
                    if (all) dispatched.push_back(id);
                } else if (!dispatched.empty()) {
                    ok(f.orders->return_order(dispatched.back(), "refused at the door", ctx()));
                    dispatched.pop_back();
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    done.store(true);
    sampler.join();
    CHECK(failures.load() == 0);

    // What the orders say each product must hold, from the orders' own streams.
    std::map<catalog::ProductId, std::int64_t> reserved, consumed;
    for (OrderId id = 1001; id < f.log->sequence_next("order"); ++id) {
        const auto o = f.orders->find(id);
        REQUIRE(o.has_value());
        for (const auto& item : o->items) {
            if (o->stock == StockStage::reserved) reserved[item.product_id] += item.quantity;
            if (o->stock == StockStage::dispatched) consumed[item.product_id] += item.quantity;
        }
    }
    catalog::StockBook fresh(*f.log);
    for (auto id : products) {
        CAPTURE(id);
        const auto live = f.stock(id);
        CHECK(live.reserved == reserved[id]);
        CHECK(live.stock_quantity == kStock - consumed[id]);
        CHECK(live == folded(*f.log, id));
        CHECK(live == *fresh.find(id));
    }
}

TEST_CASE("orders stock: scarce stock is sold exactly, and only shortages are refused") {
    OrdersFixture f;
    constexpr std::int64_t kStock = 60;
    const auto a = f.product("A", 1000, kStock);
    const auto b = f.product("B", 1000, kStock);
    constexpr int kThreads = 16, kCreates = 10;
    std::atomic<int> created{0}, short_of_stock{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kCreates; ++i) {
                auto r = f.orders->create(
                    OrdersFixture::new_order({OrdersFixture::item(a, 1), OrdersFixture::item(b, 1)}, phone_of(t, i)),
                    ctx());
                if (std::holds_alternative<CreatedOrder>(r)) {
                    created.fetch_add(1);
                } else if (std::get<Rejection>(r).message.find("insufficient stock") != std::string::npos) {
                    short_of_stock.fetch_add(1);
                } else {
                    other.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(created.load() == kStock);
    CHECK(short_of_stock.load() == kThreads * kCreates - kStock);
    CHECK(other.load() == 0);
    CHECK(f.stock(a).reserved == kStock);
    CHECK(f.stock(b).reserved == kStock);
}

TEST_CASE("orders stock: stock decreases wait for in-flight reservations and never go below them") {
    OrdersFixture f;
    const auto a = f.product("A", 1000, 1000);
    std::atomic<bool> stop{false};
    std::atomic<int> created{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; !stop.load() && i < 200; ++i) {
                auto r = f.orders->create(OrdersFixture::new_order({OrdersFixture::item(a, 2)}, phone_of(t, i)), ctx());
                if (std::holds_alternative<CreatedOrder>(r)) created.fetch_add(1);
            }
        });
    }
    // Keep pulling on hand down close to what is reserved while orders land; a refusal must be a conflict
    // about the reserved units (in flight ones included), never an oversell. At least 60 times, and on until
    // some orders landed (on a loaded machine the creating threads may not have started yet), for 10 s at most.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int i = 0; i < 60 || (created.load() < 20 && std::chrono::steady_clock::now() < give_up); ++i) {
        const auto p = f.stock(a);
        auto r = f.catalog->set_stock(a, p.reserved + (i % 2 == 0 ? 6 : 60), "count", ctx());
        if (const auto* rej = std::get_if<Rejection>(&r)) CHECK(rej->field == "stockQuantity");
        const auto after = f.stock(a);
        CHECK(after.reserved <= after.stock_quantity);
    }
    stop.store(true);
    for (auto& th : threads) th.join();
    const auto p = f.stock(a);
    CHECK(p.reserved == 2 * created.load());
    CHECK(p.reserved <= p.stock_quantity);
    CHECK(p == folded(*f.log, a));
    CHECK(created.load() > 0);
}

TEST_CASE("orders stock: a stock set or adjustment moves on hand by what it decided, past order moves landed since") {
    // An order's dispatch or restock takes no product lock, so it may land between a stock command's decision
    // and its append (both append the product stream with `any`). Log order: the command's event comes after
    // the move it did not see; its `quantity` is what it decided from the stale figure.
    namespace ce = catalog::events;
    OrdersFixture f;
    const auto a = f.product("A", 1000, 10);
    const auto any = ExpectedVersion::any();
    const auto product = ce::product_stream(a);
    f.log->append(request({to_stream(product, any, {ce::stock_reserved(a, 5001, 2)})}));
    f.log->append(request({to_stream(product, any, {ce::stock_consumed(a, 5001, 2)})}));            // on hand 8
    f.log->append(request({to_stream(product, any, {ce::stock_adjusted(a, 5, 15, "delivery")})}));  // saw 10
    f.log->append(request({to_stream(product, any, {ce::stock_restocked(a, 5001, 2)})}));           // 15
    f.log->append(request({to_stream(product, any, {ce::stock_set(a, 20, 13, "count")})}));         // saw 13
    const auto p = folded(*f.log, a);
    CHECK(p.stock_quantity == 22);
    CHECK(p.reserved == 0);
    CHECK(f.stock(a) == p);
    catalog::StockBook fresh(*f.log);
    CHECK(*fresh.find(a) == p);
}

TEST_CASE("orders stock: stock adjustments racing dispatches and restocks lose none of either") {
    OrdersFixture f;
    constexpr std::int64_t kStock = 1000;
    const auto a = f.product("A", 1000, kStock);
    constexpr int kOrders = 32;
    std::vector<OrderId> orders;
    for (int i = 0; i < kOrders; ++i) {
        const Order o = f.create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, phone_of(9, i)));
        for (auto s : {OrderStatus::confirmed, OrderStatus::preparing, OrderStatus::ready_for_pickup}) {
            accepted(f.orders->change_status(o.id, to(s), std::nullopt, ctx()));
        }
        orders.push_back(o.id);
    }
    std::atomic<std::int64_t> adjusted{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    // Movers send their orders out and back (consume, restock) while adjusters add and take units.
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 6; ++round) {
                for (int i = t; i < kOrders; i += 4) {
                    const auto next = round % 2 == 0 ? OrderStatus::out_for_delivery : OrderStatus::ready_for_pickup;
                    if (std::holds_alternative<Rejection>(
                            f.orders->change_status(orders[i], to(next), std::nullopt, ctx()))) {
                        failures.fetch_add(1);
                    }
                }
            }
        });
    }
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 40; ++i) {
                const std::int64_t delta = (i + t) % 3 == 0 ? -1 : 1 + (i % 2);
                auto r = f.catalog->adjust_stock(a, delta, "recount", ctx());
                if (std::holds_alternative<Rejection>(r)) {
                    failures.fetch_add(1);
                } else {
                    adjusted.fetch_add(delta);
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
    // Every order ends back at ready_for_pickup (an even number of moves): nothing consumed.
    const auto p = f.stock(a);
    CHECK(p.stock_quantity == kStock + adjusted.load());
    CHECK(p.reserved == kOrders);
    CHECK(p == folded(*f.log, a));
}

TEST_CASE("orders stock: a product's cache folds only the tail after the first load") {
    OrdersFixture f;
    const auto a = f.product("A", 1000, 1000);
    for (int i = 0; i < 20; ++i) f.create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, phone_of(0, i)));
    auto& book = f.catalog->stock_book();
    auto locked = book.lock({a});
    CHECK(locked.product(a).version == f.log->stream_version("product-" + std::to_string(a))->value());
    CHECK(locked.product(a).state.reserved == 20);
    CHECK(locked.held(a) == 0);
}

TEST_CASE(
    "orders stock: the book folds the stock moves the log delivers, reading a product's stream only when first "
    "locked") {
    OrdersFixture f;
    const auto a = f.product("A", 1000, 1000);
    const auto b = f.product("B", 500, 1000);
    auto& book = f.catalog->stock_book();
    f.create(OrdersFixture::new_order({OrdersFixture::item(a, 2), OrdersFixture::item(b, 1)}));
    const auto reads = book.tail_reads();
    for (int i = 0; i < 20; ++i) {
        f.create(OrdersFixture::new_order({OrdersFixture::item(a, 1), OrdersFixture::item(b, 3)}, phone_of(0, i)));
    }
    // A stock move appended past the book (as an order's releases are: no lock) is delivered as well.
    REQUIRE(f.log
                ->append(request({to_stream(catalog::events::product_stream(a), ExpectedVersion::any(),
                                            {catalog::events::stock_adjusted(a, 5, 1005, "found in the back")})}))
                .committed());
    CHECK(*book.find(a) == folded(*f.log, a));
    CHECK(*book.find(b) == folded(*f.log, b));
    CHECK(book.find(a)->reserved == 22);
    CHECK(book.find(a)->stock_quantity == 1005);
    CHECK(book.find(b)->reserved == 61);
    CHECK(book.tail_reads() == reads);

    // More deliveries than the book keeps for a product nobody locks: dropped, and the next lock reads the tail.
    std::vector<NewEvent> many;
    for (int i = 1; i <= 5000; ++i) many.push_back(catalog::events::stock_adjusted(b, 1, 1000 + i, "recount"));
    REQUIRE(f.log->append(request({to_stream(catalog::events::product_stream(b), ExpectedVersion::any(), many)}))
                .committed());
    CHECK(*book.find(b) == folded(*f.log, b));
    CHECK(book.find(b)->stock_quantity == 6000);
    CHECK(book.tail_reads() == reads + 1);
    f.create(OrdersFixture::new_order({OrdersFixture::item(b, 4)}, phone_of(1, 0)));
    CHECK(*book.find(b) == folded(*f.log, b));
    CHECK(book.tail_reads() == reads + 1);
}

TEST_CASE("orders stock: orders naming product ids that do not exist are refused and leave the cache as it was") {
    OrdersFixture f;
    const auto a = f.product("A", 1000, 1000);
    f.create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, phone_of(0, 0)));
    auto& book = f.catalog->stock_book();
    const std::size_t cached = book.cached_products();
    for (int i = 0; i < 500; ++i) {
        const auto unknown = a + 1000 + i;
        auto r = f.orders->create(
            OrdersFixture::new_order({OrdersFixture::item(a, 1), OrdersFixture::item(unknown, 1)}, phone_of(1, i)),
            ctx());
        REQUIRE(std::holds_alternative<Rejection>(r));
    }
    CHECK(book.cached_products() == cached);  // no entry per unknown id: random ids cannot grow the book
    {
        auto locked = book.lock({a, a + 5000});
        CHECK(locked.product(a + 5000).version == -1);
        CHECK(locked.available(a + 5000) == 0);
        CHECK(locked.available(a) == 999);
    }
    // A product created after its id was looked up as unknown is found from then on.
    const auto b = f.product("B", 500, 7);
    auto locked = book.lock({b});
    CHECK(locked.product(b).state.stock_quantity == 7);
    CHECK(book.cached_products() == cached + 1);
}

TEST_CASE("orders stock: no order lands after an edit of its product on the product as it was") {
    // Orders decide under the product locks and append after them; a deactivation or a new price decided
    // meanwhile must not land before an order decided on the product as it was (StockBook: revisions).
    namespace ce = catalog::events;
    OrdersFixture f;
    int late_orders = 0;
    for (int trial = 0; trial < 40; ++trial) {
        const bool deactivate = trial % 2 == 0;
        const auto a = f.product("EDIT-" + std::to_string(trial), 1000, 1000);
        std::atomic<bool> go{false};
        std::mutex mu;
        std::vector<Committed<Order>> created;
        std::vector<std::thread> threads;
        for (int t = 0; t < 6; ++t) {
            threads.emplace_back([&, t] {
                while (!go.load()) std::this_thread::yield();
                auto r =
                    f.orders->create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, phone_of(trial, t)), ctx());
                if (auto* c = std::get_if<CreatedOrder>(&r)) {
                    std::lock_guard lock(mu);
                    created.push_back(c->order);
                }
            });
        }
        go.store(true);
        if (deactivate) {
            REQUIRE(std::holds_alternative<catalog::Product>(f.catalog->deactivate(a, ctx())));
        } else {
            catalog::ProductPatch price;
            price.price = Money{2000};
            REQUIRE(std::holds_alternative<catalog::Product>(f.catalog->update(a, price, ctx())));
        }
        for (auto& th : threads) th.join();
        std::optional<GlobalPosition> edited;
        for (const auto& e : f.log->read_stream(ce::product_stream(a), StreamVersion{0}, 10'000)) {
            if (e.type == ce::kProductUpdated || e.type == ce::kProductDeactivated) edited = e.position;
        }
        REQUIRE(edited.has_value());
        for (const auto& o : created) {
            if (o.position < *edited) continue;
            ++late_orders;
            INFO("trial " << trial << ": order " << o.value.id << " at " << o.position.value() << ", edit at "
                          << edited->value());
            CHECK_FALSE(deactivate);  // an order after the deactivation was decided on an inactive product
            CHECK(o.value.items.at(0).unit_price.minor == 2000);
        }
    }
    MESSAGE("orders decided after the edit: " << late_orders);
}

TEST_CASE("orders stock: an append decided on a product edited since is refused as a conflict, stock moves are not") {
    OrdersFixture f;
    const auto a = f.product("REV-1", 1000, 10);
    const auto b = f.product("REV-2", 1000, 10);
    auto& book = f.catalog->stock_book();
    const auto decided_on = [&](std::vector<catalog::ProductId> ids) {
        auto locked = book.lock(std::move(ids));
        return locked.revisions();  // the locks go here, as an order's do before its append
    };
    const auto append_checking = [&](const catalog::StockBook::Revisions& revisions) {
        auto req = request({to_stream("probe", ExpectedVersion::any(), {event("Probe")})});
        req.build = [revisions](SequenceValues) {
            revisions.check();
            return std::vector<StreamAppend>{};
        };
        return f.log->append(std::move(req));
    };
    // A stock move in between leaves the decision standing: holds cover availability.
    auto seen = decided_on({a, b});
    REQUIRE(std::holds_alternative<catalog::Product>(f.catalog->adjust_stock(a, 5, "delivery", ctx())));
    REQUIRE(std::holds_alternative<catalog::Product>(f.catalog->set_stock(b, 30, "count", ctx())));
    CHECK(append_checking(seen).status == AppendStatus::ok);
    // An edit of either product (its price, its deactivation) refuses it as a conflict; nothing is written.
    seen = decided_on({a, b});
    catalog::ProductPatch price;
    price.price = Money{1500};
    REQUIRE(std::holds_alternative<catalog::Product>(f.catalog->update(b, price, ctx())));
    const auto head = f.log->head();
    const auto refused = append_checking(seen);
    CHECK(refused.status == AppendStatus::conflict);
    CHECK(f.log->head() == head);
    seen = decided_on({a});
    REQUIRE(std::holds_alternative<catalog::Product>(f.catalog->deactivate(a, ctx())));
    CHECK(append_checking(seen).status == AppendStatus::conflict);
    // Decided after the edit: stands.
    CHECK(append_checking(decided_on({a, b})).status == AppendStatus::ok);
}

TEST_CASE("orders: an order by phone never lands on a customer after its phone changed away") {
    // The create finds the customer by phone, then appends on the condition that the customer did not change.
    namespace cue = codd::engine::customers::events;
    OrdersFixture f;
    const auto a = f.product("PH-1", 1000, 1000);
    int moved = 0;
    int refused = 0;
    for (int trial = 0; trial < 30; ++trial) {
        const std::string old_phone = "+2332400" + std::to_string(10000 + trial);
        const Order first = f.create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, old_phone));
        const auto customer = first.customer_id;
        std::atomic<bool> go{false};
        std::mutex mu;
        std::vector<Committed<Order>> created;
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                while (!go.load()) std::this_thread::yield();
                for (int i = 0; i < 3; ++i) {
                    auto r = f.orders->create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, old_phone), ctx());
                    std::lock_guard lock(mu);
                    if (auto* c = std::get_if<CreatedOrder>(&r)) {
                        created.push_back(c->order);
                    } else {
                        ++refused;  // the phone is looked up again: none is refused
                    }
                }
            });
        }
        go.store(true);
        std::this_thread::sleep_for(std::chrono::microseconds(200 * (trial % 4)));
        customers::CustomerPatch phone;
        phone.phone_number = "+2335500" + std::to_string(10000 + trial);
        REQUIRE(std::holds_alternative<customers::Customer>(f.customers->update(customer, phone, ctx())));
        for (auto& th : threads) th.join();
        std::optional<GlobalPosition> changed;
        for (const auto& e : f.log->read_stream(cue::customer_stream(customer), StreamVersion{0}, 100)) {
            if (e.type == cue::kCustomerUpdated) changed = e.position;
        }
        REQUIRE(changed.has_value());
        for (const auto& o : created) {
            if (o.position < *changed) {
                CHECK(o.value.customer_id == customer);
                continue;
            }
            ++moved;
            INFO("trial " << trial << ": order " << o.value.id << " at " << o.position.value());
            CHECK(o.value.customer_id != customer);  // the old phone now names a new customer
        }
    }
    CHECK(refused == 0);
    MESSAGE("orders placed after the phone moved: " << moved);
}

TEST_CASE("orders: create_async takes only a known customer's plain order and gives what create gives") {
    OrdersFixture f;
    const auto a = f.product("A", 1000, 10);
    const auto b = f.product("B", 250, 10);
    const auto first = f.create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "+233245550199"));

    using Outcome = std::optional<Result<CreatedOrder>>;
    const auto run = [&](const NewOrder& n, const CommandContext& c) -> std::optional<Outcome> {
        std::promise<Outcome> got;
        auto future = got.get_future();
        if (!f.orders->create_async(n, c, [&](Outcome o) { got.set_value(std::move(o)); })) return std::nullopt;
        return future.get();
    };
    // Not taken, nothing called: a new phone, a customer by id, a rep, an Idempotency-Key, an externalOrderId.
    CHECK_FALSE(run(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "+233245550100"), ctx()).has_value());
    auto by_id = OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "+233245550199");
    by_id.customer_id = first.customer_id;
    CHECK_FALSE(run(by_id, ctx()).has_value());
    auto with_rep = OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "+233245550199");
    with_rep.customer_rep_id = f.rep;
    CHECK_FALSE(run(with_rep, ctx()).has_value());
    auto keyed = ctx();
    keyed.command_id = "idem:1:POST /orders:k";
    CHECK_FALSE(run(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "+233245550199"), keyed).has_value());
    auto external = OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "+233245550199");
    external.external_order_id = "shop-1";
    CHECK_FALSE(run(external, ctx()).has_value());
    CHECK(f.stock(a).reserved == 1);
    // The national spelling of the number is another customer, not known yet: not taken either.
    CHECK_FALSE(run(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "0245550199"), ctx()).has_value());

    // Taken (the number spelt with spaces is the same customer): the order as folding its stream gives it, its
    // names, the stock reserved.
    const auto done = run(
        OrdersFixture::new_order({OrdersFixture::item(a, 2), OrdersFixture::item(b, 3)}, "+233 24 555 0199"), ctx());
    REQUIRE(done.has_value());
    REQUIRE(done->has_value());
    const auto& created = std::get<CreatedOrder>(**done);
    const auto folded = f.orders->find(created.order.value.id);
    REQUIRE(folded.has_value());
    CHECK(created.order.value == *folded);
    CHECK(created.order.value.customer_id == first.customer_id);
    REQUIRE(created.decided.has_value());
    CHECK(created.decided->customer.id == first.customer_id);
    CHECK(created.decided->products.size() == 2);
    CHECK(created.order.position == f.log->head());
    CHECK(f.stock(a).reserved == 3);
    CHECK(f.stock(b).reserved == 3);

    // Refused decisions are answered before create_async returns, and reserve nothing.
    const auto unknown = run(OrdersFixture::new_order({OrdersFixture::item(999999, 1)}, "+233245550199"), ctx());
    REQUIRE(unknown.has_value());
    REQUIRE(unknown->has_value());
    CHECK(std::holds_alternative<Rejection>(**unknown));
    const auto too_many = run(OrdersFixture::new_order({OrdersFixture::item(b, 8)}, "+233245550199"), ctx());
    REQUIRE(too_many.has_value());
    REQUIRE(too_many->has_value());
    REQUIRE(std::holds_alternative<Rejection>(**too_many));
    CHECK(std::get<Rejection>(**too_many).kind == Rejection::Kind::conflict);
    CHECK(f.stock(b).reserved == 3);
}

TEST_CASE("orders: creates answered by the log's thread while products are edited and restocked under their locks") {
    // A stock set or product edit holds the product's lock until its own append is answered; the creates' holds
    // are released on the thread that answers appends. That thread must never wait for a product's lock, or the
    // whole log stops answering (it did, once).
    OrdersFixture f;
    const auto a = f.product("A", 1000, 1'000'000);
    const auto b = f.product("B", 250, 1'000'000);
    f.create(OrdersFixture::new_order({OrdersFixture::item(a, 1)}, "+233245550177"));
    std::atomic<bool> stop{false};
    std::atomic<int> created{0}, refused{0}, edits{0};
    auto done = std::make_shared<std::promise<void>>();
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&] {
            // Until the edits are done and one create got through (most meet an edit's locks or revision).
            while (!stop.load() || created.load() == 0) {
                std::promise<void> answered;
                const bool taken = f.orders->create_async(
                    OrdersFixture::new_order({OrdersFixture::item(a, 1), OrdersFixture::item(b, 1)}, "+233245550177"),
                    ctx(), [&](std::optional<Result<CreatedOrder>> r) {
                        if (r && r->index() == 0) {
                            created.fetch_add(1);
                        } else {
                            refused.fetch_add(1);  // a conflict with an edit: create() decides it again
                        }
                        answered.set_value();
                    });
                if (!taken) {  // an edit holds the products' locks: the pool's create() would take it
                    refused.fetch_add(1);
                    std::this_thread::yield();
                    continue;
                }
                answered.get_future().wait();
            }
        });
    }
    threads.emplace_back([&] {
        for (int i = 0; i < 60; ++i) {
            catalog::ProductPatch price;
            price.price = Money{1000 + i};
            (void)f.catalog->update(a, price, ctx());
            (void)f.catalog->set_stock(b, 1'000'000 + i, "recount", ctx());
            edits.fetch_add(1);
        }
        stop.store(true);
    });
    std::thread watchdog([&, done] {
        for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
             std::chrono::steady_clock::now() < until;) {
            if (edits.load() == 60 && stop.load() && created.load() > 0) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::fprintf(stderr, "the log stopped answering: %d edits, %d creates\n", edits.load(), created.load());
        std::abort();  // the threads are stuck in the log: nothing to join
    });
    for (auto& th : threads) th.join();
    watchdog.join();
    CHECK(edits.load() == 60);
    CHECK(created.load() > 0);  // the async path ran (during the edits or right after them)
    // Every hold went: the units reserved are exactly those of the orders made.
    const std::int64_t orders_made = f.log->sequence_next("order") - 1001;
    CHECK(f.catalog->stock_book().find(a)->reserved == orders_made);
    CHECK(f.catalog->stock_book().find(b)->reserved == orders_made - 1);
    auto locked = f.catalog->stock_book().lock({a, b});
    CHECK(locked.held(a) == 0);
    CHECK(locked.held(b) == 0);
}

TEST_CASE("orders stock: holds released on the log's answering thread while in_lock holds their product") {
    // in_lock keeps the product's lock until its own append is answered; an append queued before it whose answer
    // releases a hold on that product must not wait for that lock on the answering thread, or neither is answered.
    OrdersFixture f;
    const auto a = f.product("A", 1000, 100);
    auto& book = f.catalog->stock_book();
    auto holds = std::make_unique<catalog::StockHolds>();
    {
        auto locked = book.lock({a});
        locked.hold(a, 5, *holds);
    }
    std::atomic<bool> finished{false};
    std::thread watchdog([&] {
        for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
             std::chrono::steady_clock::now() < until;) {
            if (finished.load()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::fprintf(stderr, "the log stopped answering: a hold's release waits for in_lock's product lock\n");
        std::abort();  // the log's threads are stuck: nothing to join
    });
    const auto result = book.in_lock({a}, ctx(), [&](catalog::StockBook::Locked& locked) -> Result<AppendRequest> {
        CHECK(locked.held(a) == 5);
        // Queued before this command's own append, answered first: its answer destroys the holds.
        auto owned = std::make_shared<std::unique_ptr<catalog::StockHolds>>(std::move(holds));
        f.log->append_async(request({to_stream("elsewhere", ExpectedVersion::any(), {event("E")})}),
                            [owned](AppendResult) { owned->reset(); });
        auto decided = catalog::decide_set_stock(locked.product(a), 150, "recount");
        REQUIRE(std::holds_alternative<std::vector<StreamAppend>>(decided));
        AppendRequest req;
        req.streams = std::move(std::get<std::vector<StreamAppend>>(decided));
        return req;
    });
    finished.store(true);
    watchdog.join();
    REQUIRE(std::holds_alternative<AppendResult>(result));
    auto locked = book.lock({a});
    CHECK(locked.held(a) == 0);  // the release was noted, and erased by this lock
    CHECK(locked.product(a).state.stock_quantity == 150);
}

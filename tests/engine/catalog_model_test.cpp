// Random stock commands against the catalog and against a plain in-memory model of the stock rules; the
// two must agree on every accept/refuse and on the state, also across reopens (STYLE practice 9).
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "engine/catalog/catalog_service.hpp"
#include "tests/engine/domain_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::catalog;
using namespace codd::test;

namespace {

// Product totals only: which order holds what is the order aggregate's (tests/engine/orders_stock_test.cpp).
struct ModelProduct {
    std::int64_t on_hand = 0;
    std::int64_t reserved_units = 0;

    std::int64_t reserved() const { return reserved_units; }
};

}  // namespace

TEST_CASE("catalog model: random stock commands agree with a plain model, across reopens") {
    constexpr int kProducts = 3;
    constexpr int kSteps = 400;
    LogFixture f;
    auto catalog = std::make_unique<CatalogService>(*f.log, f.clock);
    std::map<ProductId, ModelProduct> model;
    for (int i = 0; i < kProducts; ++i) {
        NewProduct n;
        n.sku = "M-" + std::to_string(i);
        n.name = "Model product";
        n.category = "Test";
        n.stock_quantity = 10;
        const Product p = accepted(catalog->create(n, ctx()));
        model[p.id].on_hand = 10;
    }
    std::mt19937 rng(20261125);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    for (int step = 0; step < kSteps; ++step) {
        const ProductId id = 1001 + pick(kProducts);
        const OrderId order = 1 + pick(5);
        const std::int64_t q = 1 + pick(4);
        ModelProduct& m = model[id];
        const int op = pick(6);
        CAPTURE(step);
        CAPTURE(op);
        bool ok = false, expected = false;
        switch (op) {
            case 0:
                expected = m.on_hand - m.reserved() >= q;
                ok = std::holds_alternative<AppendResult>(catalog->reserve(order, {{id, q}}, ctx()));
                if (expected) m.reserved_units += q;
                break;
            case 1:
                expected = m.reserved() >= q;
                ok = std::holds_alternative<AppendResult>(catalog->release(order, {{id, q}}, ctx()));
                if (expected) m.reserved_units -= q;
                break;
            case 2:
                expected = m.reserved() >= q;
                ok = std::holds_alternative<AppendResult>(catalog->consume(order, {{id, q}}, ctx()));
                if (expected) {
                    m.reserved_units -= q;
                    m.on_hand -= q;
                }
                break;
            case 3:
                expected = true;
                ok = std::holds_alternative<AppendResult>(catalog->restock(order, {{id, q}}, ctx()));
                if (expected) m.on_hand += q;
                break;
            case 4: {
                const std::int64_t delta = pick(2) == 0 ? q : -q;
                expected = m.on_hand + delta >= m.reserved();
                ok = std::holds_alternative<Product>(catalog->adjust_stock(id, delta, "count", ctx()));
                if (expected) m.on_hand += delta;
                break;
            }
            default: {
                const std::int64_t to = pick(15);
                expected = to >= m.reserved();
                ok = std::holds_alternative<Product>(catalog->set_stock(id, to, "", ctx()));
                if (expected) m.on_hand = to;
                break;
            }
        }
        REQUIRE(ok == expected);
        if (step % 50 == 49) {
            catalog.reset();
            f.reopen();
            catalog = std::make_unique<CatalogService>(*f.log, f.clock);
        }
        const Product p = *catalog->find(id);
        REQUIRE(p.stock_quantity == m.on_hand);
        REQUIRE(p.reserved == m.reserved());
        REQUIRE(p.reserved <= p.stock_quantity);
    }
}

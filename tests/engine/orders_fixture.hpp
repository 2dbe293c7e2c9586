#pragma once
// The orders tests' world: a real log with the catalog (and its StockBook), customers, users and orders on
// it, a few products, a sales rep and a delivery agent; rebuilt after a reopen.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "engine/catalog/catalog_service.hpp"
#include "engine/customers/customer_service.hpp"
#include "engine/orders/order_service.hpp"
#include "engine/users/user_service.hpp"
#include "tests/engine/domain_fixture.hpp"
#include "tests/engine/users_fixture.hpp"

namespace codd::test {

class OrdersFixture : public LogFixture {
  public:
    OrdersFixture() {
        opened();
        rep = ok(users->create_user(new_user("rep@example.com", users::Role::sales_rep), admin_meta())).id;
        agent = ok(users->create_user(new_user("agent@example.com", users::Role::delivery_agent), admin_meta())).id;
    }

    std::unique_ptr<engine::catalog::CatalogService> catalog;
    std::unique_ptr<engine::customers::CustomerService> customers;
    std::unique_ptr<users::UserService> users;
    std::unique_ptr<engine::orders::OrderService> orders;
    engine::orders::UserId rep = 0, agent = 0;

    engine::catalog::ProductId product(std::string sku, std::int64_t price_minor, std::int64_t stock) {
        engine::catalog::NewProduct p;
        p.sku = std::move(sku);
        p.name = "Product " + p.sku;
        p.category = "General";
        p.price = engine::Money{price_minor};
        p.cost_price = engine::Money{price_minor / 2};
        p.stock_quantity = stock;
        return accepted(catalog->create(p, ctx())).id;
    }

    engine::catalog::Product stock(engine::catalog::ProductId id) const {
        auto p = catalog->find(id);
        REQUIRE(p.has_value());
        return *p;
    }

    // An order for a new customer with one phone per test unless told otherwise.
    static engine::orders::NewOrder new_order(std::vector<engine::orders::NewOrderItem> items,
                                              std::string phone = "+233241234567") {
        engine::orders::NewOrder o;
        o.customer.first_name = "Esi";
        o.customer.last_name = "Owusu";
        o.customer.phone_number = std::move(phone);
        o.customer.address = "12 Ring Road";
        o.customer.state = "Greater Accra";
        o.customer.area = "Osu";
        o.items = std::move(items);
        o.shipping_cost = engine::Money{1000};
        return o;
    }

    static engine::orders::NewOrderItem item(engine::catalog::ProductId id, std::int64_t quantity) {
        engine::orders::NewOrderItem i;
        i.product_id = id;
        i.quantity = quantity;
        return i;
    }

    // Also checks that the order the create answers with (not read back from the log) is the one folding its
    // stream gives.
    engine::orders::Order create(const engine::orders::NewOrder& o, const engine::CommandContext& c = ctx()) {
        const auto created = accepted(orders->create(o, c));
        const auto folded = orders->find(created.order.value.id);
        REQUIRE(folded.has_value());
        CHECK(created.order.value == *folded);
        return created.order.value;
    }

  protected:
    void opened() override {
        catalog = std::make_unique<engine::catalog::CatalogService>(*log, clock);
        customers = std::make_unique<engine::customers::CustomerService>(*log, clock);
        users = std::make_unique<users::UserService>(*log, clock);
        orders = std::make_unique<engine::orders::OrderService>(*log, clock, catalog->stock_book(), *customers, *users);
    }
    void closing() override {
        orders.reset();
        users.reset();
        customers.reset();
        catalog.reset();
    }
};

}  // namespace codd::test

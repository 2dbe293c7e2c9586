#pragma once
// Test support for the orders tests: a running `codd serve` (IdentityServer) plus helpers that make products,
// users and orders through the REST API, as the admin UI does.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/functional/identity_fixture.hpp"

namespace codd::test {

namespace json = boost::json;

struct Line {
    std::int64_t product_id = 0;
    std::int64_t quantity = 1;
};

class OrdersServer : public IdentityServer {
  public:
    explicit OrdersServer(Env env = {}, std::shared_ptr<TempDir> dir = std::make_shared<TempDir>("codd-orders"))
        : IdentityServer(std::move(env), std::move(dir)) {
        root = access_token(login(kAdminEmail, kAdminPassword));
    }

    // A product priced `price` (major units) with `stock` on hand; its id.
    std::int64_t product(const std::string& sku, double price, std::int64_t stock) {
        const HttpResponse r = call("POST", "/api/products", root,
                                    json::object{{"name", "Product " + sku},
                                                 {"sku", sku},
                                                 {"price", price},
                                                 {"costPrice", price / 2},
                                                 {"stockQuantity", stock},
                                                 {"category", "test"}});
        INFO("create product " << sku << ": " << r.body);
        REQUIRE(r.status == 201);
        return r.json().at("product").at("id").as_int64();
    }

    // The body of an order for `phone` the way the admin UI sends it (no customerId).
    static json::object order_body(const std::string& phone, const std::vector<Line>& lines) {
        json::array items;
        for (const Line& l : lines) items.push_back(json::object{{"productId", l.product_id}, {"quantity", l.quantity}});
        return json::object{{"customerName", "Ama Mensah"},
                            {"customerPhone", phone},
                            {"customerEmail", "ama@example.com"},
                            {"orderItems", std::move(items)},
                            {"deliveryAddress", "12 Ring Road"},
                            {"deliveryState", "Greater Accra"},
                            {"deliveryArea", "Osu"}};
    }

    HttpResponse create_order(const std::string& token, const json::object& body, const HeaderList& extra = {}) {
        HeaderList headers = extra;
        headers.emplace_back("Authorization", "Bearer " + token);
        headers.emplace_back("Content-Type", "application/json");
        return request("POST", "/api/orders", headers, json::serialize(body));
    }

    // Creates an order and returns it (the `order` object); fails the test unless 201.
    json::object order(const std::string& phone, const std::vector<Line>& lines) {
        const HttpResponse r = create_order(root, order_body(phone, lines));
        INFO("create order: " << r.body);
        REQUIRE(r.status == 201);
        return r.json().at("order").as_object();
    }

    HttpResponse status(std::int64_t order, const std::string& status, const std::string& token = {},
                        json::object extra = {}) {
        extra["status"] = status;
        return call("PATCH", "/api/orders/" + std::to_string(order) + "/status", token.empty() ? root : token, extra);
    }

    std::string root;
};

inline std::int64_t id_of(const json::value& v) {
    return v.at("id").as_int64();
}

inline double number(const json::value& v) {
    return v.is_double() ? v.as_double() : static_cast<double>(v.as_int64());
}

}  // namespace codd::test

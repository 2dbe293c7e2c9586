// Black-box tests of /products and /customers (issue 4): the real `codd serve`, over HTTP. The happy paths
// check the exact fields the admin UI reads (reference §14 rows 13-22), numbers as JSON numbers; the rest
// checks that bad input is a 4xx with a message, never a 500.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <cctype>
#include <string_view>
#include <tuple>

#include "tests/functional/identity_fixture.hpp"

namespace {

using namespace codd::test;
namespace json = boost::json;

double number(const json::value& v) {
    REQUIRE(v.is_number());
    return v.to_number<double>();
}

// The fields of `errors[]` of a validation problem.
std::vector<std::string> error_fields(const HttpResponse& r) {
    std::vector<std::string> out;
    const json::value body = r.json();
    if (const auto* e = body.as_object().if_contains("errors")) {
        for (const json::value& x : e->as_array()) out.emplace_back(x.at("field").as_string());
    }
    return out;
}

bool has(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// A 4xx problem with a message the UI can show.
void check_problem(const HttpResponse& r, int status) {
    INFO(r.status << " " << r.body);
    CHECK(r.status == status);
    CHECK(r.header("Content-Type").value_or("").starts_with("application/problem+json"));
    CHECK(!r.json().at("message").as_string().empty());
}

json::object product_body(const std::string& sku) {
    return {{"name", "Shea Butter 250g"},
            {"description", "Raw, unrefined"},
            {"sku", sku},
            {"price", 12.5},
            {"costPrice", 7.25},
            {"stockQuantity", 30},
            {"lowStockThreshold", 5},
            {"category", "Beauty"},
            {"imageUrl", "https://cdn.example.com/shea.png"},
            {"weight", 0.25},
            {"dimensions", {{"w", 10}, {"h", 8}}},
            {"isActive", true}};
}

json::object customer_body(const std::string& phone) {
    return {{"firstName", "Ama"},          {"lastName", "Mensah"},
            {"email", "ama@example.com"},  {"phoneNumber", phone},
            {"alternatePhone", ""},        {"address", "12 Ring Road"},
            {"state", "Greater Accra"},    {"area", "Osu"},
            {"landmark", "Near the mall"}, {"notes", "Prefers mornings"},
            {"tags", json::array{"vip"}}};
}

struct Session {
    IdentityServer s;
    std::string token = IdentityServer::access_token(s.login(kAdminEmail, kAdminPassword));

    HttpResponse call(const std::string& method, const std::string& target,
                      const std::optional<json::value>& body = std::nullopt) {
        return s.call(method, target, token, body);
    }
    HttpResponse call_with_key(const std::string& method, const std::string& target, const json::value& body,
                               const std::string& key) {
        return s.request(
            method, target,
            {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}, {"Idempotency-Key", key}},
            json::serialize(body));
    }
    json::object ok(const std::string& method, const std::string& target, int status,
                    const std::optional<json::value>& body = std::nullopt) {
        const HttpResponse r = call(method, target, body);
        INFO(method << " " << target << " -> " << r.status << " " << r.body);
        REQUIRE(r.status == status);
        return r.json().as_object();
    }
};

void check_product_fields(const json::object& p) {
    CHECK(p.at("id").is_int64());
    for (const char* k : {"name", "description", "sku", "category", "imageUrl"}) CHECK(p.at(k).is_string());
    for (const char* k : {"price", "costPrice", "stockQuantity", "stock", "lowStockThreshold"}) {
        CHECK(p.at(k).is_number());
    }
    CHECK(p.at("isActive").is_bool());
}

void check_customer_fields(const json::object& c) {
    CHECK(c.at("id").is_int64());
    for (const char* k : {"firstName", "lastName", "email", "phoneNumber", "address", "state", "createdAt"}) {
        CHECK(c.at(k).is_string());
    }
    CHECK(c.contains("alternatePhone"));
    CHECK(c.at("totalOrders").is_number());
    CHECK(c.at("totalSpent").is_number());
}

// Percent-encodes every byte of `text` outside unreserved ASCII, as a browser does a query value.
std::string query_encoded(std::string_view text) {
    std::string out;
    for (const char ch : text) {
        const auto b = static_cast<unsigned char>(ch);
        if (std::isalnum(b) != 0 && b < 0x80) {
            out += ch;
        } else {
            out += fmt::format("%{:02X}", b);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("products: create, read, list, update, stock and deactivate answer what the UI reads") {
    Session t;
    const HttpResponse created = t.call("POST", "/api/products", product_body("SHEA-250"));
    INFO(created.body);
    REQUIRE(created.status == 201);
    CHECK(created.header("X-Codd-Position").has_value());
    const json::object p = created.json().at("product").as_object();
    check_product_fields(p);
    const std::string id = std::to_string(p.at("id").as_int64());
    CHECK(number(p.at("price")) == 12.5);
    CHECK(number(p.at("costPrice")) == 7.25);
    CHECK(number(p.at("stockQuantity")) == 30);
    CHECK(number(p.at("lowStockThreshold")) == 5);
    CHECK(p.at("sku") == "SHEA-250");
    CHECK(p.at("isActive") == true);

    // The UI sends no page or limit: the first 20.
    const json::object list = t.ok("GET", "/api/products", 200);
    REQUIRE(list.at("products").as_array().size() == 1);
    check_product_fields(list.at("products").as_array()[0].as_object());
    CHECK(list.at("pagination").at("total") == 1);
    CHECK(list.at("pagination").at("limit") == 20);
    CHECK(t.ok("GET", "/api/products?search=shea", 200).at("products").as_array().size() == 1);
    CHECK(t.ok("GET", "/api/products?search=SHEA-2", 200).at("products").as_array().size() == 1);
    CHECK(t.ok("GET", "/api/products?category=Beauty", 200).at("products").as_array().size() == 1);
    CHECK(t.ok("GET", "/api/products?category=Food", 200).at("products").as_array().empty());

    const json::object one = t.ok("GET", "/api/v1/products/" + id, 200).at("product").as_object();
    check_product_fields(one);
    CHECK(one.at("name") == "Shea Butter 250g");

    // Partial update: only price changes.
    const json::object updated =
        t.ok("PUT", "/api/products/" + id, 200, json::object{{"price", 15}}).at("product").as_object();
    CHECK(number(updated.at("price")) == 15);
    CHECK(updated.at("name") == "Shea Butter 250g");
    // null clears the weight and the dimensions; leaving them out keeps them.
    CHECK(number(t.ok("PUT", "/api/products/" + id, 200, json::object{{"name", "Shea Butter"}})
                     .at("product")
                     .at("weight")) == 0.25);
    const json::object cleared =
        t.ok("PUT", "/api/products/" + id, 200, json::object{{"weight", nullptr}, {"dimensions", nullptr}})
            .at("product")
            .as_object();
    CHECK(cleared.at("weight").is_null());
    CHECK(cleared.at("dimensions").is_null());
    CHECK(cleared.at("name") == "Shea Butter");
    // The edit form sends the stock too.
    json::object form = product_body("SHEA-250");
    form["stockQuantity"] = 40;
    CHECK(number(t.ok("PUT", "/api/products/" + id, 200, form).at("product").at("stockQuantity")) == 40);

    const json::object set = t.ok("PATCH", "/api/products/" + id + "/stock", 200, json::object{{"stockQuantity", 3}});
    CHECK(number(set.at("product").at("stockQuantity")) == 3);
    const json::array low = t.ok("GET", "/api/products/low-stock", 200).at("products").as_array();
    REQUIRE(low.size() == 1);
    CHECK(low[0].at("id") == p.at("id"));

    const json::object adjusted = t.ok("POST", "/api/products/" + id + "/stock-adjustments", 200,
                                       json::object{{"delta", 10}, {"reason", "recount"}});
    CHECK(number(adjusted.at("product").at("stockQuantity")) == 13);
    CHECK(t.ok("GET", "/api/products/low-stock", 200).at("products").as_array().empty());
    const json::object removed = t.ok("POST", "/api/products/" + id + "/stock-adjustments", 200,
                                      json::object{{"delta", -4}, {"reason", "damaged"}});
    CHECK(number(removed.at("product").at("stockQuantity")) == 9);

    const json::object gone = t.ok("DELETE", "/api/products/" + id, 200);
    CHECK(gone.at("message").is_string());
    CHECK(gone.at("product").at("isActive") == false);
    CHECK(t.ok("GET", "/api/products?isActive=false", 200).at("products").as_array().size() == 1);
    CHECK(t.ok("GET", "/api/products?isActive=true", 200).at("products").as_array().empty());
    check_problem(t.call("DELETE", "/api/products/" + id), 409);  // already deactivated

    // Created inactive; a retry with the same Idempotency-Key answers the same product and creates nothing.
    json::object hidden = product_body("HIDDEN-1");
    hidden["isActive"] = false;
    const HttpResponse first = t.call_with_key("POST", "/api/products", hidden, "create-hidden");
    const HttpResponse again = t.call_with_key("POST", "/api/products", hidden, "create-hidden");
    REQUIRE(first.status == 201);
    REQUIRE(again.status == 201);
    CHECK(first.json().at("product").at("isActive") == false);
    CHECK(again.json().at("product").at("id") == first.json().at("product").at("id"));
    CHECK(t.ok("GET", "/api/products", 200).at("pagination").at("total") == 2);
}

// Reference §2/§3: an admin edits products but by default has no products:update_stock. The edit form sends the
// whole product: unchanged stock is allowed, a changed one needs the stock permission, as PATCH /stock does.
TEST_CASE("products: PUT changes stock only for callers with products:update_stock") {
    Session t;
    const std::int64_t id =
        t.ok("POST", "/api/products", 201, product_body("STOCK-RULE")).at("product").at("id").as_int64();
    const std::string password = "Admin#Passw0rd!";
    t.s.create_user(t.token, "plain-admin@example.com", password, "admin");
    t.s.create_user(t.token, "stock@example.com", password, "inventory_manager");
    const std::string admin = IdentityServer::access_token(t.s.login("plain-admin@example.com", password));
    const std::string stock = IdentityServer::access_token(t.s.login("stock@example.com", password));
    const std::string target = "/api/products/" + std::to_string(id);

    json::object edit = product_body("STOCK-RULE");
    edit["name"] = "Renamed by the admin";
    CHECK(t.s.call("PUT", target, admin, edit).status == 200);  // the stock sent back as it is
    CHECK(t.s.call("PATCH", target + "/stock", admin, json::object{{"stockQuantity", 31}}).status == 403);
    edit["name"] = "Renamed with a new stock";
    edit["stockQuantity"] = 31;
    const HttpResponse refused = t.s.call("PUT", target, admin, edit);
    check_problem(refused, 403);
    CHECK(refused.json().at("required") == "products:update_stock");
    const json::object kept = t.ok("GET", target, 200).at("product").as_object();
    CHECK(kept.at("name") == "Renamed by the admin");  // nothing of the refused edit
    CHECK(kept.at("stockQuantity") == 30);

    const HttpResponse allowed = t.s.call("PUT", target, stock, edit);
    INFO(allowed.body);
    CHECK(allowed.status == 200);
    CHECK(allowed.json().at("product").at("stockQuantity") == 31);
    CHECK(allowed.json().at("product").at("name") == "Renamed with a new stock");

    // An order holds 5 units: an edit with a stock below that is refused whole, its rename included.
    t.ok("POST", "/api/orders", 201,
         json::object{{"customerName", "Yaw Boateng"},
                      {"customerPhone", "+233241110000"},
                      {"orderItems", json::array{json::object{{"productId", id}, {"quantity", 5}}}},
                      {"deliveryAddress", "3 Palm Street"},
                      {"deliveryState", "Ashanti"},
                      {"deliveryArea", "Adum"}});
    edit["name"] = "Renamed below the reserved";
    edit["stockQuantity"] = 4;
    const HttpResponse below = t.s.call("PUT", target, stock, edit);
    check_problem(below, 409);
    const json::object unchanged = t.ok("GET", target, 200).at("product").as_object();
    CHECK(unchanged.at("name") == "Renamed with a new stock");
    CHECK(unchanged.at("stockQuantity") == 31);
}

TEST_CASE("products: bad input is a 4xx with a message") {
    Session t;
    const std::string id =
        std::to_string(t.ok("POST", "/api/products", 201, product_body("TEE-01")).at("product").at("id").as_int64());

    SUBCASE("missing fields are all named") {
        const HttpResponse r = t.call("POST", "/api/products", json::object{});
        check_problem(r, 400);
        for (const char* f : {"name", "sku", "price"}) CHECK(has(error_fields(r), f));
        CHECK_FALSE(has(error_fields(r), "category"));  // optional: the admin UI sends "" when left empty
        json::object no_category = product_body("NOCAT-01");
        no_category["category"] = "  ";
        CHECK(t.ok("POST", "/api/products", 201, no_category).at("product").at("category") == "");
    }
    SUBCASE("wrong types and negative numbers") {
        for (const auto& item : std::vector<std::pair<std::string, json::value>>{
                 {"price", "12.50"},
                 {"price", -1},
                 {"price", 0.001},  // rounds to nothing: no free product by accident
                 {"costPrice", 0.004},
                 {"costPrice", -0.01},
                 {"stockQuantity", 1.5},
                 {"stockQuantity", -3},
                 {"lowStockThreshold", "5"},
                 {"isActive", "yes"},
                 {"weight", "heavy"},
                 {"dimensions", "10x8"},
                 {"name", 42},
             }) {
            const auto& field = item.first;
            const auto& value = item.second;
            json::object body = product_body("OTHER-1");
            body[field] = value;
            const HttpResponse r = t.call("POST", "/api/products", body);
            INFO(field << " = " << json::serialize(value));
            check_problem(r, 400);
            CHECK(has(error_fields(r), field));
        }
        const HttpResponse put = t.call("PUT", "/api/products/" + id, json::object{{"price", -5}});
        check_problem(put, 400);
        CHECK(has(error_fields(put), "price"));
        const HttpResponse sub_cent = t.call("PUT", "/api/products/" + id, json::object{{"price", 0.001}});
        check_problem(sub_cent, 400);
        CHECK(sub_cent.json().at("errors").as_array().at(0).at("message") ==
              "price is more than 0 but less than 0.01 (amounts are kept to the cent)");
        // A client's floating-point residue of a computed 0 is 0.
        CHECK(t.ok("PUT", "/api/products/" + id, 200, json::object{{"costPrice", 0.1 + 0.2 - 0.3}})
                  .at("product")
                  .at("costPrice")
                  .to_number<double>() == 0.0);
        // Half a cent rounds up to one, and 0 is a price (a free product, on purpose).
        CHECK(t.ok("PUT", "/api/products/" + id, 200, json::object{{"price", 0.005}}).at("product").at("price") ==
              0.01);
        CHECK(t.ok("PUT", "/api/products/" + id, 200, json::object{{"price", 0}})
                  .at("product")
                  .at("price")
                  .to_number<double>() == 0.0);
    }
    SUBCASE("a name of invisible characters is no name, on create and on update") {
        json::object body = product_body("BLANK-1");
        body["name"] = "\u202e\ufeff";
        const HttpResponse created = t.call("POST", "/api/products", body);
        check_problem(created, 400);
        CHECK(has(error_fields(created), "name"));
        const HttpResponse put = t.call("PUT", "/api/products/" + id, json::object{{"name", "\u00a0\u200b"}});
        check_problem(put, 400);
        CHECK(has(error_fields(put), "name"));
        CHECK(t.ok("GET", "/api/products/" + id, 200).at("product").at("name") != "\u00a0\u200b");
    }
    SUBCASE("a duplicate SKU, whatever its case, is a 409 on sku") {
        const HttpResponse r = t.call("POST", "/api/products", product_body(" tee-01 "));
        check_problem(r, 409);
        CHECK(has(error_fields(r), "sku"));
        const std::string other = std::to_string(
            t.ok("POST", "/api/products", 201, product_body("TEE-02")).at("product").at("id").as_int64());
        const HttpResponse moved = t.call("PUT", "/api/products/" + other, json::object{{"sku", "TEE-01"}});
        check_problem(moved, 409);
        CHECK(has(error_fields(moved), "sku"));
    }
    SUBCASE("unknown and non-numeric ids are 404") {
        for (const std::string bad : {"999999", "abc", "1e3", "-1", "99999999999999999999"}) {
            INFO(bad);
            check_problem(t.call("GET", "/api/products/" + bad), 404);
            check_problem(t.call("PUT", "/api/products/" + bad, json::object{{"price", 1}}), 404);
            check_problem(t.call("DELETE", "/api/products/" + bad), 404);
            check_problem(t.call("PATCH", "/api/products/" + bad + "/stock", json::object{{"stockQuantity", 1}}), 404);
            check_problem(t.call("POST", "/api/products/" + bad + "/stock-adjustments",
                                 json::object{{"delta", 1}, {"reason", "x"}}),
                          404);
        }
        // The message the admin UI toasts names what was not found.
        CHECK(t.call("DELETE", "/api/products/999999").json().at("message") == "Product 999999 not found");
    }
    SUBCASE("stock commands check their fields") {
        check_problem(t.call("PATCH", "/api/products/" + id + "/stock", json::object{}), 400);
        check_problem(t.call("PATCH", "/api/products/" + id + "/stock", json::object{{"stockQuantity", -1}}), 400);
        check_problem(t.call("PATCH", "/api/products/" + id + "/stock", json::object{{"stockQuantity", "7"}}), 400);
        const std::string adj = "/api/products/" + id + "/stock-adjustments";
        check_problem(t.call("POST", adj, json::object{{"delta", 0}, {"reason", "none"}}), 400);
        check_problem(t.call("POST", adj, json::object{{"delta", 2.5}, {"reason", "half"}}), 400);
        const HttpResponse no_reason = t.call("POST", adj, json::object{{"delta", 2}});
        check_problem(no_reason, 400);
        CHECK(has(error_fields(no_reason), "reason"));
        // Below zero on hand.
        check_problem(t.call("POST", adj, json::object{{"delta", -31}, {"reason", "lost"}}), 409);
    }
    SUBCASE("paging: past the end is an empty page, nonsense is a 400") {
        const json::object past = t.ok("GET", "/api/products?page=50&limit=10", 200);
        CHECK(past.at("products").as_array().empty());
        CHECK(past.at("pagination").at("page") == 50);
        CHECK(past.at("pagination").at("total") == 1);
        CHECK(past.at("pagination").at("pages") == 1);
        for (const char* q : {"page=0", "page=x", "limit=0", "limit=101", "limit=-5", "isActive=maybe", "page=%zz"}) {
            INFO(q);
            check_problem(t.call("GET", std::string("/api/products?") + q), 400);
        }
    }
    SUBCASE("SQL metacharacters and a 5,000-character search are only text") {
        for (const char* q :
             {"%27%3B%20DROP%20TABLE%20products%3B%20--", "%25", "_", "%5C", "%22%29%20OR%201%3D1%20--"}) {
            INFO(q);
            const json::object r = t.ok("GET", std::string("/api/products?search=") + q, 200);
            CHECK(r.at("products").as_array().empty());
        }
        const json::object r = t.ok("GET", "/api/products?search=" + std::string(5000, 'a'), 200);
        CHECK(r.at("products").as_array().empty());
        CHECK(t.ok("GET", "/api/products", 200).at("products").as_array().size() == 1);
    }
    SUBCASE("malformed bodies") {
        check_problem(
            t.s.request("POST", "/api/products",
                        {{"Authorization", "Bearer " + t.token}, {"Content-Type", "application/json"}}, "{\"name\":"),
            400);
        check_problem(t.call("POST", "/api/products", json::array{1, 2}), 400);
        check_problem(t.s.request("POST", "/api/products", {{"Authorization", "Bearer " + t.token}}, "name=x"), 415);
    }
}

TEST_CASE("customers and products: a search finds names whatever the case of their accented and African letters") {
    Session t;
    json::object emilie = customer_body("0244310001");
    emilie["firstName"] = "Émilie";
    emilie["lastName"] = "Ɔdɔ";
    t.ok("POST", "/api/customers", 201, emilie);
    t.ok("POST", "/api/customers", 201, customer_body("0244310002"));  // Ama Mensah
    for (const std::string q : {"émilie", "ÉMILIE", "Émi", "ɔdɔ", "ƆDƆ", "milie"}) {
        const json::object r = t.ok("GET", "/api/customers?search=" + query_encoded(q), 200);
        INFO(q);
        REQUIRE(r.at("customers").as_array().size() == 1);
        CHECK(r.at("customers").at(0).at("firstName") == "Émilie");
    }
    for (const std::string q : {"emilie", "ödö", "odo"}) {  // an accent is a different letter
        INFO(q);
        CHECK(t.ok("GET", "/api/customers?search=" + query_encoded(q), 200).at("customers").as_array().empty());
    }
    json::object creme = product_body("CRM-1");
    creme["name"] = "Crème Ɛkuaba";
    t.ok("POST", "/api/products", 201, creme);
    CHECK(t.ok("GET", "/api/products?search=" + query_encoded("CRÈME"), 200).at("pagination").at("total") == 1);
    CHECK(t.ok("GET", "/api/products?search=" + query_encoded("ɛkuaba"), 200).at("pagination").at("total") == 1);
    CHECK(t.ok("GET", "/api/products?search=" + query_encoded("crême"), 200).at("pagination").at("total") == 0);
}

TEST_CASE("products and customers: If-Match, which only order commands read, is a 400 and changes nothing") {
    Session t;
    const auto product = t.ok("POST", "/api/products", 201, product_body("IFM-01")).at("product").as_object();
    const auto customer = t.ok("POST", "/api/customers", 201, customer_body("0244300001")).at("customer").as_object();
    const std::string product_path = "/api/products/" + std::to_string(product.at("id").as_int64());
    const std::string customer_path = "/api/customers/" + std::to_string(customer.at("id").as_int64());
    const HeaderList conditional{
        {"Authorization", "Bearer " + t.token}, {"Content-Type", "application/json"}, {"If-Match", "\"999\""}};
    for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"PUT", product_path, R"({"name":"Renamed"})"},
             {"PATCH", product_path + "/stock", R"({"stockQuantity":5})"},
             {"PUT", customer_path, R"({"firstName":"Renamed"})"},
             {"POST", "/api/products", json::serialize(product_body("IFM-02"))}}) {
        const HttpResponse r = t.s.request(method, path, conditional, body);
        INFO(method << " " << path << " -> " << r.body);
        check_problem(r, 400);
        CHECK(r.json().at("message") == "If-Match not supported here");
    }
    CHECK(t.ok("GET", product_path, 200).at("product").at("name") == product.at("name"));
    CHECK(t.ok("GET", customer_path, 200).at("customer").at("firstName") == customer.at("firstName"));
    CHECK(t.ok("GET", "/api/products?search=IFM-02", 200).at("pagination").at("total") == 0);
}

TEST_CASE("customers: create, read, list, update, tags, analytics and deactivate answer what the UI reads") {
    Session t;
    const HttpResponse created = t.call("POST", "/api/customers", customer_body("+233 24 123 4567"));
    INFO(created.body);
    REQUIRE(created.status == 201);
    const json::object c = created.json().at("customer").as_object();
    check_customer_fields(c);
    const std::string id = std::to_string(c.at("id").as_int64());
    CHECK(c.at("phoneNumber") == "+233241234567");
    CHECK(number(c.at("totalOrders")) == 0);
    CHECK(number(c.at("totalSpent")) == 0);
    CHECK(c.at("tags") == json::array{"vip"});
    // A retry with the same Idempotency-Key answers the same customer, not a duplicate phone.
    json::object kofi = customer_body("0201112222");
    kofi["firstName"] = "Kofi";
    kofi["area"] = "Tema";
    const HttpResponse first = t.call_with_key("POST", "/api/customers", kofi, "create-kofi");
    const HttpResponse again = t.call_with_key("POST", "/api/customers", kofi, "create-kofi");
    REQUIRE(first.status == 201);
    REQUIRE(again.status == 201);
    CHECK(again.json().at("customer").at("id") == first.json().at("customer").at("id"));

    const json::object list = t.ok("GET", "/api/customers", 200);
    CHECK(list.at("customers").as_array().size() == 2);
    check_customer_fields(list.at("customers").as_array()[0].as_object());
    CHECK(list.at("pagination").at("limit") == 20);
    CHECK(list.at("pagination").at("total") == 2);
    CHECK(list.at("pagination").at("pages") == 1);
    CHECK(t.ok("GET", "/api/customers?search=Kofi", 200).at("customers").as_array().size() == 1);
    CHECK(t.ok("GET", "/api/customers?search=0201112", 200).at("customers").as_array().size() == 1);
    CHECK(t.ok("GET", "/api/customers?search=112222", 200).at("customers").as_array().size() == 1);  // its ending
    CHECK(t.ok("GET", "/api/customers?area=Osu", 200).at("customers").as_array().size() == 1);
    const json::object paged = t.ok("GET", "/api/customers?page=2&limit=1", 200);
    CHECK(paged.at("customers").as_array().size() == 1);
    CHECK(paged.at("pagination").at("pages") == 2);

    check_customer_fields(t.ok("GET", "/api/v1/customers/" + id, 200).at("customer").as_object());
    const json::object updated =
        t.ok("PUT", "/api/customers/" + id, 200, json::object{{"address", "14 Ring Road"}}).at("customer").as_object();
    CHECK(updated.at("address") == "14 Ring Road");
    CHECK(updated.at("firstName") == "Ama");

    const json::object tagged = t.ok("PATCH", "/api/customers/" + id + "/tags", 200,
                                     json::object{{"tags", json::array{"repeat", " vip ", "repeat"}}});
    CHECK(tagged.at("customer").at("tags") == json::array{"repeat", "vip"});

    const json::object analytics = t.ok("GET", "/api/customers/" + id + "/analytics", 200).at("analytics").as_object();
    CHECK(number(analytics.at("totalOrders")) == 0);
    CHECK(number(analytics.at("totalSpent")) == 0);
    CHECK(analytics.at("averageOrderValue").is_number());

    const json::object gone = t.ok("DELETE", "/api/customers/" + id, 200);
    CHECK(gone.at("message").is_string());
    CHECK(gone.at("customer").at("isActive") == false);
    CHECK(t.ok("GET", "/api/customers", 200).at("customers").as_array().size() == 1);
    CHECK(t.ok("GET", "/api/customers?includeInactive=true", 200).at("customers").as_array().size() == 2);
}

TEST_CASE("customers: bad input is a 4xx with a message") {
    Session t;
    const std::string id = std::to_string(
        t.ok("POST", "/api/customers", 201, customer_body("0241234567")).at("customer").at("id").as_int64());

    SUBCASE("missing fields are all named") {
        const HttpResponse r = t.call("POST", "/api/customers", json::object{});
        check_problem(r, 400);
        for (const char* f : {"firstName", "lastName", "phoneNumber", "address", "state", "area"}) {
            CHECK(has(error_fields(r), f));
        }
    }
    SUBCASE("wrong types and invalid values") {
        for (const auto& item : std::vector<std::pair<std::string, json::value>>{
                 {"firstName", 7},
                 {"phoneNumber", 241234567},
                 {"phoneNumber", "not a phone"},
                 {"email", "nobody@"},
                 {"tags", "vip"},
                 {"tags", json::array{1}},
             }) {
            const auto& field = item.first;
            const auto& value = item.second;
            json::object body = customer_body("0509998888");
            body[field] = value;
            const HttpResponse r = t.call("POST", "/api/customers", body);
            INFO(field << " = " << json::serialize(value));
            check_problem(r, 400);
            CHECK(has(error_fields(r), field));
        }
        check_problem(t.call("PATCH", "/api/customers/" + id + "/tags", json::object{}), 400);
        check_problem(t.call("PUT", "/api/customers/" + id, json::object{{"isActive", "no"}}), 400);
    }
    SUBCASE("a duplicate phone, however written, is a 409 on phoneNumber") {
        const HttpResponse r = t.call("POST", "/api/customers", customer_body("024-123-4567"));
        check_problem(r, 409);
        CHECK(has(error_fields(r), "phoneNumber"));
        const std::string other = std::to_string(
            t.ok("POST", "/api/customers", 201, customer_body("0557776666")).at("customer").at("id").as_int64());
        const HttpResponse moved =
            t.call("PUT", "/api/customers/" + other, json::object{{"phoneNumber", "0241234567"}});
        check_problem(moved, 409);
        CHECK(has(error_fields(moved), "phoneNumber"));
    }
    SUBCASE("unknown and non-numeric ids are 404") {
        for (const std::string bad : {"999999", "abc", "0", "12abc"}) {
            INFO(bad);
            check_problem(t.call("GET", "/api/customers/" + bad), 404);
            check_problem(t.call("GET", "/api/customers/" + bad + "/analytics"), 404);
            check_problem(t.call("PUT", "/api/customers/" + bad, json::object{{"notes", "x"}}), 404);
            check_problem(t.call("DELETE", "/api/customers/" + bad), 404);
            check_problem(t.call("PATCH", "/api/customers/" + bad + "/tags", json::object{{"tags", json::array{}}}),
                          404);
        }
        CHECK(t.call("PUT", "/api/customers/999999", json::object{{"notes", "x"}}).json().at("message") ==
              "Customer 999999 not found");
    }
    SUBCASE("paging, SQL metacharacters and a 5,000-character search") {
        const json::object past = t.ok("GET", "/api/customers?page=9", 200);
        CHECK(past.at("customers").as_array().empty());
        CHECK(past.at("pagination").at("total") == 1);
        for (const char* q : {"page=-1", "limit=1000", "includeInactive=perhaps"}) {
            INFO(q);
            check_problem(t.call("GET", std::string("/api/customers?") + q), 400);
        }
        for (const char* q :
             {"%27%20OR%20%271%27%3D%271", "%25%25", "Robert%27%29%3B%20DROP%20TABLE%20customers%3B--"}) {
            INFO(q);
            CHECK(t.ok("GET", std::string("/api/customers?search=") + q, 200).at("customers").as_array().empty());
        }
        CHECK(t.ok("GET", "/api/customers?search=" + std::string(5000, '9'), 200).at("customers").as_array().empty());
        CHECK(t.ok("GET", "/api/customers", 200).at("customers").as_array().size() == 1);
    }
}

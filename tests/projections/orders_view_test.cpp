// The orders view: a scripted history (users, catalog, customers, orders through their lifecycle, delivery,
// cash, deposit, reconciliation, expenses) applied by a real runner on a real log, then every query's JSON.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "engine/catalog/catalog_events.hpp"
#include "engine/catalog/catalog_service.hpp"
#include "engine/customers/customer_events.hpp"
#include "engine/customers/customer_service.hpp"
#include "engine/orders/order_events.hpp"
#include "engine/users/user_events.hpp"
#include "projections/digest.hpp"
#include "projections/order_summary.hpp"
#include "projections/orders_view.hpp"
#include "projections/rebuild.hpp"
#include "projections/runner.hpp"
#include "tests/projections/projection_fixture.hpp"

using namespace codd;
using namespace codd::projections;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// 2025-11-25T10:00:00Z; every append of the script is one minute later than the previous one.
constexpr std::int64_t kStartUs = 1'764'064'800'000'000;
constexpr std::int64_t kMinuteUs = 60'000'000;

std::string iso_minute(int minutes) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "2025-11-25T%02d:%02d:00.000Z", 10 + minutes / 60, minutes % 60);
    return buf;
}

engine::NewEvent make(std::string type, const json::object& payload) {
    engine::NewEvent e;
    e.type = std::move(type);
    e.payload = json::serialize(payload);
    return e;
}

// --- order events, by hand per the payloads of engine/orders/order_events.hpp ---

json::object item(std::int64_t id, std::int64_t product, std::int64_t quantity, std::int64_t unit_price) {
    return {{"id", id},
            {"productId", product},
            {"quantity", quantity},
            {"unitPrice", unit_price},
            {"totalPrice", quantity * unit_price},
            {"itemType", "package"},
            {"metadata", nullptr}};
}

struct NewOrder {
    std::int64_t id = 0, customer = 0;
    std::optional<std::int64_t> rep, agent;
    json::array items;
    std::int64_t shipping = 0;
    std::string area = "East Legon";
};

engine::NewEvent order_created(const NewOrder& o) {
    std::int64_t subtotal = 0;
    for (const auto& i : o.items) subtotal += i.as_object().at("totalPrice").as_int64();
    const auto total = subtotal + o.shipping;
    json::object p{{"orderId", o.id},
                   {"customerId", o.customer},
                   {"createdBy", 1},
                   {"status", "pending_confirmation"},
                   {"paymentStatus", "pending"},
                   {"items", o.items},
                   {"subtotal", subtotal},
                   {"shippingCost", o.shipping},
                   {"discount", 0},
                   {"totalAmount", total},
                   {"codAmount", total},
                   {"notes", "leave at the gate"},
                   {"internalNotes", ""},
                   {"deliveryAddress", "House 14"},
                   {"deliveryState", "Greater Accra"},
                   {"deliveryArea", o.area},
                   {"estimatedDeliveryUs", nullptr},
                   {"priority", 0},
                   {"tags", json::array{"web"}},
                   {"source", "manual"},
                   {"externalOrderId", nullptr}};
    p["customerRepId"] = o.rep ? json::value(*o.rep) : json::value(nullptr);
    p["deliveryAgentId"] = o.agent ? json::value(*o.agent) : json::value(nullptr);
    return make("OrderCreated", p);
}

engine::NewEvent status_changed(std::int64_t order, std::string_view from, std::string_view to) {
    return make("OrderStatusChanged",
                {{"orderId", order}, {"from", from}, {"to", to}, {"forced", false}, {"reason", ""}, {"notes", ""}});
}

engine::NewEvent stock(std::string type, std::int64_t product, std::int64_t order, std::int64_t quantity) {
    return make(std::move(type), {{"id", product}, {"orderId", order}, {"quantity", quantity}});
}

std::string order_stream(std::int64_t id) {
    return "order-" + std::to_string(id);
}
std::string product_stream(std::int64_t id) {
    return "product-" + std::to_string(id);
}

// --- the script ---

class Script {
  public:
    explicit Script(const std::filesystem::path& dir) : clock_(std::make_shared<engine::ManualClock>()) {
        clock_->set(engine::TimePoint{std::chrono::microseconds{kStartUs}});
        auto o = test::options_for(dir);
        o.clock = clock_;
        log_ = engine::EventLog::open(o);
    }

    // One atomic append, one minute after the previous one, by `actor` (user 1, the admin, by default).
    engine::GlobalPosition append(std::vector<engine::StreamAppend> streams,
                                  engine::Actor actor = {"1", "super_admin"}) {
        clock_->set(engine::TimePoint{std::chrono::microseconds{kStartUs + minute_++ * kMinuteUs}});
        engine::AppendRequest r;
        r.metadata.actor = std::move(actor);
        r.metadata.request_id = "req-" + std::to_string(minute_);
        r.streams = std::move(streams);
        auto result = log_->append(std::move(r));
        REQUIRE(result.committed());
        return result.last_position;
    }
    engine::GlobalPosition append(std::string stream, engine::NewEvent e, engine::Actor actor = {"1", "super_admin"}) {
        return append({test::to_stream(std::move(stream), engine::ExpectedVersion::any(), {std::move(e)})}, actor);
    }
    [[nodiscard]] int minute() const { return minute_; }
    // Moves the clock of the next appends `minutes` further on.
    void skip(int minutes) { minute_ += minutes; }
    engine::EventLog& log() { return *log_; }

  private:
    std::shared_ptr<engine::ManualClock> clock_;
    std::unique_ptr<engine::EventLog> log_;
    int minute_ = 0;
};

engine::users::User user(std::int64_t id, std::string first, std::string last, engine::users::Role role) {
    engine::users::User u;
    u.id = id;
    u.email = first + "@shop.test";
    u.first_name = std::move(first);
    u.last_name = std::move(last);
    u.role = role;
    if (role == engine::users::Role::sales_rep) u.commission_minor = 500;
    if (role == engine::users::Role::delivery_agent) u.delivery_rate_minor = 300;
    return u;
}

engine::customers::Customer customer(std::int64_t id, std::string first, std::string last, std::string phone,
                                     std::string area) {
    engine::customers::Customer c;
    c.id = id;
    c.first_name = std::move(first);
    c.last_name = std::move(last);
    c.phone_number = std::move(phone);
    c.address = "Main Street";
    c.state = "Greater Accra";
    c.area = std::move(area);
    return c;
}

engine::catalog::Product product(std::int64_t id, std::string sku, std::string name, std::int64_t price,
                                 std::int64_t stock) {
    engine::catalog::Product p;
    p.id = id;
    p.sku = std::move(sku);
    p.name = std::move(name);
    p.category = "beauty";
    p.price = engine::Money{price};
    p.cost_price = engine::Money{price / 2};
    p.stock_quantity = stock;
    return p;
}

// Users 1 (admin), 2 (rep), 3 and 4 (agents); products 11 and 12; customers 21, 22, 23; orders 1001 (delivered,
// deposited, reconciled), 1002 (cancelled, then reopened), 1003 (failed delivery, items replaced), 1004
// (cancelled); an expense; then customer 21 and agent 3 renamed.
void write_history(Script& s) {
    namespace ue = engine::users::events;
    namespace ce = engine::customers::events;
    namespace pe = engine::catalog::events;
    using engine::users::Role;
    s.append(ue::user_stream(1), ue::user_created(user(1, "Ada", "Admin", Role::super_admin)));
    s.append(ue::user_stream(2), ue::user_created(user(2, "Rita", "Rep", Role::sales_rep)));
    s.append(ue::user_stream(3), ue::user_created(user(3, "Abe", "Agent", Role::delivery_agent)));
    s.append(ue::user_stream(4), ue::user_created(user(4, "Bo", "Courier", Role::delivery_agent)));
    s.append(pe::product_stream(11), pe::product_created(product(11, "SB-1", "Shea Butter", 4500, 100)));
    s.append(pe::product_stream(12), pe::product_created(product(12, "BS-1", "Black Soap", 12000, 5)));
    s.append(ce::customer_stream(21),
             ce::customer_created(customer(21, "Kofi", "Mensah", "+233241234567", "East Legon")));
    s.append(ce::customer_stream(22), ce::customer_created(customer(22, "Ama_Serwaa", "O'Neil%", "0201112222", "Osu")));
    s.append(ce::customer_stream(23), ce::customer_created(customer(23, "Yaw", "Boateng", "+233551230000", "Osu")));
    // minute 9: order 1001, 2 x 45.00 + 1 x 120.00 + 15.00 shipping = 225.00, rep 2.
    const auto any = engine::ExpectedVersion::any();
    s.append({test::to_stream(order_stream(1001), any,
                              {order_created({1001, 21, 2, std::nullopt,
                                              json::array{item(1, 11, 2, 4500), item(2, 12, 1, 12000)}, 1500})}),
              test::to_stream(product_stream(11), any, {stock("StockReserved", 11, 1001, 2)}),
              test::to_stream(product_stream(12), any, {stock("StockReserved", 12, 1001, 1)})});
    // minute 10: order 1002, 1 x 45.00, area Osu, by the rep.
    s.append({test::to_stream(
                  order_stream(1002), any,
                  {order_created({1002, 22, std::nullopt, std::nullopt, json::array{item(1, 11, 1, 4500)}, 0, "Osu"})}),
              test::to_stream(product_stream(11), any, {stock("StockReserved", 11, 1002, 1)})},
             {"2", "sales_rep"});
    // minute 11: order 1003 for customer 21, agent 4, 1 x 45.00 + 5.00.
    s.append({test::to_stream(order_stream(1003), any,
                              {order_created({1003, 21, std::nullopt, 4, json::array{item(1, 11, 1, 4500)}, 500})}),
              test::to_stream(product_stream(11), any, {stock("StockReserved", 11, 1003, 1)})});
    // minute 12: order 1004 for customer 23.
    s.append({test::to_stream(order_stream(1004), any,
                              {order_created({1004, 23, std::nullopt, std::nullopt, json::array{item(1, 12, 1, 12000)},
                                              0, "Osu"})}),
              test::to_stream(product_stream(12), any, {stock("StockReserved", 12, 1004, 1)})});

    // 1001 through its lifecycle.
    s.append(order_stream(1001), status_changed(1001, "pending_confirmation", "confirmed"));
    s.append(order_stream(1001), status_changed(1001, "confirmed", "preparing"));
    s.append(order_stream(1001), status_changed(1001, "preparing", "ready_for_pickup"));
    s.append(order_stream(1001),
             make("OrderAgentAssigned", {{"orderId", 1001}, {"deliveryAgentId", 3}, {"previousAgentId", nullptr}}));
    s.append(order_stream(1001),
             make("DeliveryScheduled",
                  {{"orderId", 1001}, {"scheduledUs", kStartUs + 120 * kMinuteUs}, {"notes", "afternoon"}}));
    s.append({test::to_stream(order_stream(1001), any, {status_changed(1001, "ready_for_pickup", "out_for_delivery")}),
              test::to_stream(product_stream(11), any, {stock("StockConsumed", 11, 1001, 2)}),
              test::to_stream(product_stream(12), any, {stock("StockConsumed", 12, 1001, 1)})});
    s.append(order_stream(1001), make("DeliveryAttempted", {{"orderId", 1001}, {"attempt", 1}, {"notes", nullptr}}),
             {"3", "delivery_agent"});
    s.append(order_stream(1001),
             make("DeliveryProofRecorded", {{"orderId", 1001},
                                            {"proofType", "otp"},
                                            {"proofData", "4821"},
                                            {"proofImageUrl", ""},
                                            {"recipientName", "Kofi"},
                                            {"recipientPhone", "+233241234567"}}),
             {"3", "delivery_agent"});
    const std::int64_t collected_us = kStartUs + 21 * kMinuteUs;  // minute 21
    s.append(
        {test::to_stream(order_stream(1001), any,
                         {make("PaymentCollected",
                               {{"orderId", 1001}, {"agentId", 3}, {"amount", 22500}, {"collectedUs", collected_us}}),
                          status_changed(1001, "out_for_delivery", "delivered")}),
         test::to_stream(
             "agent-cash-3", any,
             {make("CashCollected",
                   {{"agentId", 3}, {"orderId", 1001}, {"amount", 22500}, {"collectedUs", collected_us}})})},
        {"3", "delivery_agent"});
    // minute 22: the accountant (user 1) records agent 3's deposit; minute 23 reconciles it.
    const json::array allocations{json::object{{"orderId", 1001}, {"amount", 22500}}};
    s.append({test::to_stream("deposit-1", any,
                              {make("DepositRecorded", {{"depositId", 1},
                                                        {"agentId", 3},
                                                        {"amount", 22500},
                                                        {"reference", "DEP-1"},
                                                        {"notes", ""},
                                                        {"recordedBy", 1},
                                                        {"allocations", allocations}})}),
              test::to_stream("agent-cash-3", any,
                              {make("CashDeposited", {{"agentId", 3},
                                                      {"depositId", 1},
                                                      {"amount", 22500},
                                                      {"reference", "DEP-1"},
                                                      {"allocations", allocations}})}),
              test::to_stream(order_stream(1001), any,
                              {make("PaymentDeposited", {{"orderId", 1001}, {"depositId", 1}, {"amount", 22500}})})});
    s.append(
        {test::to_stream("deposit-1", any,
                         {make("DepositReconciled", {{"depositId", 1}, {"notes", "bank ok"}, {"reconciledBy", 1}})}),
         test::to_stream(order_stream(1001), any, {make("PaymentReconciled", {{"orderId", 1001}, {"depositId", 1}})})});

    // 1002 cancelled (stock released), then reopened (reserved again): counted again.
    s.append({test::to_stream(order_stream(1002), any, {status_changed(1002, "pending_confirmation", "cancelled")}),
              test::to_stream(product_stream(11), any, {stock("StockReleased", 11, 1002, 1)})});
    s.append({test::to_stream(order_stream(1002), any, {status_changed(1002, "cancelled", "pending_confirmation")}),
              test::to_stream(product_stream(11), any, {stock("StockReserved", 11, 1002, 1)})});

    // 1003: dispatched, failed; items replaced (2 x 45.00 + 5.00 = 95.00) and updated.
    s.append(
        {test::to_stream(order_stream(1003), any, {status_changed(1003, "pending_confirmation", "out_for_delivery")}),
         test::to_stream(product_stream(11), any, {stock("StockConsumed", 11, 1003, 1)})});
    s.append(order_stream(1003), make("DeliveryFailed", {{"orderId", 1003}, {"reason", "not home"}, {"attempt", 1}}),
             {"4", "delivery_agent"});
    s.append(order_stream(1003), status_changed(1003, "out_for_delivery", "failed_delivery"), {"4", "delivery_agent"});
    s.append(order_stream(1003), make("OrderItemsReplaced", {{"orderId", 1003},
                                                             {"items", json::array{item(1, 11, 2, 4500)}},
                                                             {"subtotal", 9000},
                                                             {"shippingCost", 500},
                                                             {"discount", 0},
                                                             {"totalAmount", 9500},
                                                             {"codAmount", 9500}}));
    s.append(order_stream(1003),
             make("OrderUpdated", {{"orderId", 1003}, {"changes", {{"priority", 2}, {"notes", "call first"}}}}));

    // 1004 cancelled: customer 23 has nothing counted.
    s.append({test::to_stream(order_stream(1004), any, {status_changed(1004, "pending_confirmation", "cancelled")}),
              test::to_stream(product_stream(12), any, {stock("StockReleased", 12, 1004, 1)})});

    s.append("expense-1", make("ExpenseRecorded", {{"expenseId", 1},
                                                   {"category", "fuel"},
                                                   {"amount", 3000},
                                                   {"description", "agent fuel"},
                                                   {"receiptUrl", nullptr},
                                                   {"expenseDateUs", kStartUs},
                                                   {"recordedBy", 1}}));

    // Renames follow onto the orders.
    engine::customers::CustomerPatch rename_customer;
    rename_customer.first_name = "Kwame";
    s.append(ce::customer_stream(21), ce::customer_updated(21, rename_customer));
    engine::users::UserPatch rename_agent;
    rename_agent.last_name = "Agentson";
    s.append(ue::user_stream(3), ue::user_updated(3, rename_agent));
    // Events of other modules the view ignores.
    s.append(ue::email_stream("x@shop.test"), ue::email_reserved("x@shop.test", 9));
}

// A live view of the scripted history, and queries over it.
struct Fixture {
    test::TempDir dir;
    Script script{dir / "log"};
    OrdersView view;
    std::unique_ptr<ProjectionRunner> runner;
    std::unique_ptr<ReaderPool> pool;
    std::unique_ptr<OrdersQueries> q;

    Fixture() {
        write_history(script);
        runner = std::make_unique<ProjectionRunner>(script.log(), dir / "orders.db", view);
        REQUIRE(runner->wait_for(script.log().head(), 10s));
        REQUIRE(runner->error().empty());
        pool = std::make_unique<ReaderPool>(dir / "orders.db", 2);
        q = std::make_unique<OrdersQueries>(*pool);
    }

    std::vector<std::int64_t> ids(const OrderFilter& f, Page p = {}) const {
        const auto r = q->list_orders(f, p);
        std::vector<std::int64_t> out;
        const auto orders = json::parse(r.items_json);
        for (const auto& o : orders.as_array()) out.push_back(o.at("id").as_int64());
        return out;
    }
    std::vector<std::int64_t> search(std::string text) const {
        OrderFilter f;
        f.search = std::move(text);
        return ids(f);
    }
};

using Ids = std::vector<std::int64_t>;

double number(const json::value& v) {
    return v.is_double() ? v.as_double() : static_cast<double>(v.as_int64());
}

}  // namespace

TEST_CASE("orders view: the list shape of an order, newest first") {
    Fixture fx;
    const auto r = fx.q->list_orders({}, {});
    CHECK(r.pagination.total == 4);
    CHECK(r.pagination.pages == 1);
    CHECK(r.pagination.page == 1);
    CHECK(r.pagination.limit == 50);
    const auto orders = json::parse(r.items_json).as_array();
    REQUIRE(orders.size() == 4);
    CHECK(fx.ids({}) == Ids{1004, 1003, 1002, 1001});
    const auto& o = orders[3].as_object();
    CHECK(o.at("id").as_int64() == 1001);
    CHECK(o.at("orderNumber").as_string() == "1001");
    CHECK(o.at("status").as_string() == "delivered");
    CHECK(o.at("paymentStatus").as_string() == "reconciled");
    CHECK(number(o.at("totalAmount")) == 225.0);
    CHECK(number(o.at("subtotal")) == 210.0);
    CHECK(number(o.at("shippingCost")) == 15.0);
    CHECK(number(o.at("codAmount")) == 225.0);
    CHECK(o.at("createdAt").as_string() == iso_minute(9));
    CHECK(o.at("updatedAt").as_string() == iso_minute(23));
    CHECK(o.at("estimatedDelivery").is_null());
    CHECK(o.at("tags").as_array() == json::array{"web"});
    const auto& c = o.at("customer").as_object();
    CHECK(c.at("id").as_int64() == 21);
    CHECK(c.at("firstName").as_string() == "Kwame");  // renamed after the order
    CHECK(c.at("lastName").as_string() == "Mensah");
    CHECK(c.at("phoneNumber").as_string() == "+233241234567");
    CHECK(c.at("email").as_string() == "");
    CHECK(o.at("customerRep").at("firstName").as_string() == "Rita");
    CHECK(o.at("customerRepId").as_int64() == 2);
    CHECK(o.at("deliveryAgent").at("lastName").as_string() == "Agentson");  // renamed after the assignment
    const auto& items = o.at("orderItems").as_array();
    REQUIRE(items.size() == 2);
    CHECK(items[0].at("productId").as_int64() == 11);
    CHECK(items[0].at("quantity").as_int64() == 2);
    CHECK(number(items[0].at("unitPrice")) == 45.0);
    CHECK(number(items[0].at("totalPrice")) == 90.0);
    CHECK(items[0].at("itemType").as_string() == "package");
    CHECK(items[0].at("metadata").is_null());
    CHECK(items[0].at("product").at("name").as_string() == "Shea Butter");
    CHECK(items[1].at("product").at("sku").as_string() == "BS-1");
    // No rep, no agent: null objects.
    const auto& o1002 = orders[2].as_object();
    CHECK(o1002.at("customerRep").is_null());
    CHECK(o1002.at("deliveryAgent").is_null());
}

TEST_CASE("orders view: order detail with history, delivery and transaction") {
    Fixture fx;
    CHECK_FALSE(fx.q->order_json(999).has_value());
    const auto text = fx.q->order_json(1001);
    REQUIRE(text.has_value());
    const auto o = json::parse(*text).as_object();
    CHECK(o.at("version").as_int64() == 12);  // 13 events on order-1001
    const auto& history = o.at("history").as_array();
    REQUIRE(history.size() == 13);
    CHECK(history[0].at("metadata").at("type").as_string() == "PaymentReconciled");  // newest first
    CHECK(history[12].at("metadata").at("type").as_string() == "OrderCreated");
    CHECK(history[12].at("status").as_string() == "pending_confirmation");
    CHECK(history[12].at("changedBy").as_int64() == 1);
    CHECK(history[12].at("changedByName").as_string() == "Ada Admin");
    CHECK(history[12].at("notes").as_string() == "leave at the gate");
    CHECK(history[12].at("createdAt").as_string() == iso_minute(9));
    CHECK(history[3].at("metadata").at("type").as_string() == "PaymentCollected");
    CHECK(history[3].at("changedBy").as_int64() == 3);
    const auto& d = o.at("delivery").as_object();
    CHECK(d.at("agentId").as_int64() == 3);
    CHECK(d.at("deliveryAttempts").as_int64() == 1);
    CHECK(d.at("proofType").as_string() == "otp");
    CHECK(d.at("recipientName").as_string() == "Kofi");
    CHECK(d.at("scheduledTime").as_string() == iso_minute(120));
    CHECK(d.at("actualDeliveryTime").as_string() == iso_minute(21));
    CHECK(d.at("notes").as_string() == "afternoon");
    const auto& t = o.at("transaction").as_object();
    CHECK(t.at("type").as_string() == "cod_collection");
    CHECK(t.at("status").as_string() == "reconciled");
    CHECK(number(t.at("amount")) == 225.0);
    CHECK(t.at("reference").as_string() == "DEP-1");
    CHECK(t.at("depositId").as_int64() == 1);
    CHECK(t.at("agentId").as_int64() == 3);

    const auto d1003 = json::parse(*fx.q->order_json(1003)).as_object();
    CHECK(d1003.at("delivery").at("failureReason").as_string() == "not home");
    CHECK(d1003.at("delivery").at("agentId").as_int64() == 4);
    CHECK(d1003.at("transaction").is_null());
    CHECK(d1003.at("priority").as_int64() == 2);
    CHECK(d1003.at("notes").as_string() == "call first");
    CHECK(number(d1003.at("totalAmount")) == 95.0);
    CHECK(d1003.at("orderItems").as_array().size() == 1);
    CHECK(d1003.at("orderItems").at(0).at("quantity").as_int64() == 2);
    CHECK(json::parse(*fx.q->order_json(1002)).at("delivery").is_null());

    const auto ref = fx.q->order_ref(1003);
    REQUIRE(ref.has_value());
    CHECK(ref->version == 5);
    CHECK_FALSE(ref->customer_rep_id.has_value());
    CHECK(ref->delivery_agent_id == 4);
    CHECK_FALSE(fx.q->order_ref(999).has_value());
}

TEST_CASE("orders view: a command's answer is the list shape with the version") {
    Fixture fx;
    CHECK_FALSE(fx.q->order_summary_json(999).has_value());
    const auto summary = json::parse(*fx.q->order_summary_json(1001)).as_object();
    const auto detail = json::parse(*fx.q->order_json(1001)).as_object();
    CHECK(summary.at("version").as_int64() == detail.at("version").as_int64());
    CHECK_FALSE(summary.contains("history"));
    for (const auto& [key, value] : summary) {
        INFO(std::string(key));
        CHECK(detail.at(key) == value);  // the same fields as the detail, where it has them
    }
}

TEST_CASE("orders view: a create's answer rendered from the decided order is the view's JSON, byte for byte") {
    namespace oe = engine::orders::events;
    namespace ce = engine::customers::events;
    namespace pe = engine::catalog::events;
    namespace ue = engine::users::events;
    Fixture fx;
    // Names and texts with everything SQLite's json_object escapes or passes through as is.
    const std::string odd = "q\"uote \\back/slash\b\f\n\r\t\x01\x1f\x7f caf\xc3\xa9 \xf0\x9f\x9a\x9a %_'";
    auto rep = user(31, "R\"ita " + odd, "Rep\\", engine::users::Role::sales_rep);
    fx.script.append(ue::user_stream(31), ue::user_created(rep));
    auto shopper = customer(41, "Ama " + odd, "O'Neil\n", "+233209990000", "Osu");
    shopper.email = "ama@shop.test";
    shopper.alternate_phone = "+233209990001";
    fx.script.append(ce::customer_stream(41), ce::customer_created(shopper));
    const auto cream = product(51, "SKU\"51\\", "Cream " + odd, 4550, 1000);
    const auto soap = product(52, "BS-52", "Soap", 7, 1000);
    fx.script.append(pe::product_stream(51), pe::product_created(cream));
    fx.script.append(pe::product_stream(52), pe::product_created(soap));

    struct Case {
        std::int64_t unit_price, quantity, shipping, discount;
        std::optional<std::int64_t> estimated_us;
        bool with_rep;
        std::string metadata, text;
    };
    const std::vector<Case> cases{
        {4550, 2, 1000, 0, std::nullopt, true, R"({"packageName":"Trio","n":1.5,"s":"\u001fé\"x"})", odd},
        {7, 1, 0, 7, kStartUs + 123'456, false, "", ""},
        {1, 3, 9, 0, -1'500'000, true, R"({"nested":{"a":[1,2,{"b":null}]}})", "plain"},
        {10, 1, 90, 10, -62'167'219'200'000'000, false, "", "first day"},
        {2900, 1, 100, 0, 253'402'300'799'999'999, true, "", "last day"},
        {99'999'999'999'999, 1, 0, 0, kStartUs, false, "", "large"},
        {123'456'789'012'345'678, 1, 0, 0, std::nullopt, false, "", "beyond exact"},
    };
    std::int64_t id = 3001;
    for (const auto& k : cases) {
        CAPTURE(id);
        engine::orders::Order o;
        o.id = id;
        o.customer_id = 41;
        if (k.with_rep) o.customer_rep_id = 31;
        o.created_by = 1;
        engine::orders::OrderItem first;
        first.id = 1;
        first.product_id = 51;
        first.quantity = k.quantity;
        first.unit_price = engine::Money{k.unit_price};
        first.total_price = engine::Money{k.unit_price * k.quantity};
        first.metadata_json = k.metadata;
        engine::orders::OrderItem second;
        second.id = 2;
        second.product_id = 52;
        second.quantity = 1;
        second.unit_price = engine::Money{7};
        second.total_price = engine::Money{7};
        second.item_type = "upsell";
        o.items = {first, second};
        o.subtotal = engine::Money{first.total_price.minor + 7};
        o.shipping_cost = engine::Money{k.shipping};
        o.discount = engine::Money{k.discount};
        o.total_amount = o.cod_amount = engine::Money{o.subtotal.minor + k.shipping - k.discount};
        o.notes = k.text;
        o.internal_notes = k.text + "!";
        o.delivery_address = "House " + k.text;
        o.delivery_state = "Greater Accra";
        o.delivery_area = k.text.empty() ? "Osu" : k.text;
        o.estimated_delivery_us = k.estimated_us;
        o.priority = id % 3;
        o.tags = k.text.empty() ? std::vector<std::string>{} : std::vector<std::string>{"vip", k.text};
        o.source = "checkout_form";
        o.external_order_id = k.text;
        fx.script.append(oe::order_stream(id), oe::order_created(o), {"1", "super_admin"});
        REQUIRE(fx.runner->wait_for(fx.script.log().head(), 10s));
        REQUIRE(fx.runner->error().empty());

        // The order as a create answers with it: its stream folded (what OrderService::create returns).
        engine::orders::Order folded;
        for (const auto& e : fx.script.log().read_stream(oe::order_stream(id), engine::StreamVersion{0}, 10)) {
            engine::orders::evolve(folded, e);
        }
        engine::orders::CreatedOrder::Decided names{shopper, {cream, soap}, std::nullopt};
        if (k.with_rep) names.rep = rep;
        const auto rendered = order_summary_json(folded, names);
        REQUIRE(rendered.has_value());
        const auto viewed = fx.q->order_summary_json(id);
        REQUIRE(viewed.has_value());
        CHECK(*rendered == *viewed);
        ++id;
    }

    // Names the create did not read: no rendering, the caller reads the view.
    engine::orders::Order folded;
    for (const auto& e : fx.script.log().read_stream(oe::order_stream(3001), engine::StreamVersion{0}, 10)) {
        engine::orders::evolve(folded, e);
    }
    CHECK_FALSE(order_summary_json(folded, {shopper, {cream, soap}, std::nullopt}).has_value());  // its rep
    CHECK_FALSE(order_summary_json(folded, {shopper, {cream}, rep}).has_value());                 // a product
    auto other = shopper;
    other.id = 42;
    CHECK_FALSE(order_summary_json(folded, {other, {cream, soap}, rep}).has_value());  // its customer
    folded.delivery_agent_id = 4;
    CHECK_FALSE(order_summary_json(folded, {shopper, {cream, soap}, rep}).has_value());  // an agent
}

TEST_CASE("orders view: history for auditors, oldest first") {
    Fixture fx;
    CHECK_FALSE(fx.q->history_json(999).has_value());
    const auto h = json::parse(*fx.q->history_json(1002)).as_array();
    REQUIRE(h.size() == 3);
    const auto& created = h[0].as_object();
    CHECK(created.at("type").as_string() == "OrderCreated");
    CHECK(created.at("time").as_string() == iso_minute(10));
    CHECK(created.at("actor").at("id").as_string() == "2");
    CHECK(created.at("actor").at("name").as_string() == "Rita Rep");
    CHECK(created.at("actor").at("role").as_string() == "sales_rep");
    CHECK(created.at("requestId").as_string() == "req-11");
    CHECK_FALSE(created.at("changes").as_object().contains("orderId"));
    CHECK(created.at("changes").at("totalAmount").as_int64() == 4500);
    CHECK(h[1].at("changes").at("to").as_string() == "cancelled");
    CHECK(h[2].at("changes").at("to").as_string() == "pending_confirmation");
    CHECK(h[0].at("position").as_int64() < h[1].at("position").as_int64());
}

TEST_CASE("orders view: every list filter") {
    Fixture fx;
    OrderFilter f;
    f.statuses = {"delivered"};
    CHECK(fx.ids(f) == Ids{1001});
    f.statuses = {"cancelled", "failed_delivery"};
    CHECK(fx.ids(f) == Ids{1004, 1003});
    f = {};
    f.customer_id = 21;
    CHECK(fx.ids(f) == Ids{1003, 1001});
    f = {};
    f.customer_rep_id = 2;
    CHECK(fx.ids(f) == Ids{1001});
    f = {};
    f.delivery_agent_id = 4;
    CHECK(fx.ids(f) == Ids{1003});
    f = {};
    f.area = "osu";  // case-insensitive
    CHECK(fx.ids(f) == Ids{1004, 1002});
    f = {};
    f.created_from_us = kStartUs + 10 * kMinuteUs;  // inclusive on both ends
    f.created_to_us = kStartUs + 11 * kMinuteUs;
    CHECK(fx.ids(f) == Ids{1003, 1002});
    f = {};
    f.payment_status = "reconciled";
    CHECK(fx.ids(f) == Ids{1001});
    f.payment_status = "pending";
    CHECK(fx.ids(f) == Ids{1004, 1003, 1002});
    f = {};
    f.customer_id = 21;
    f.statuses = {"delivered", "failed_delivery"};
    f.area = "East Legon";
    CHECK(fx.ids(f) == Ids{1003, 1001});
    f.sort = OrderSort::created_asc;
    CHECK(fx.ids(f) == Ids{1001, 1003});
    f = {};
    f.sort = OrderSort::total_desc;
    CHECK(fx.ids(f) == Ids{1001, 1004, 1003, 1002});
    f.sort = OrderSort::total_asc;
    CHECK(fx.ids(f) == Ids{1002, 1003, 1004, 1001});
    f.sort = OrderSort::priority_desc;
    CHECK(fx.ids(f).front() == 1003);
    f.sort = OrderSort::updated_desc;
    CHECK(fx.ids(f) == Ids{1004, 1003, 1002, 1001});
}

TEST_CASE("orders view: search by order id, phone prefix and name") {
    Fixture fx;
    CHECK(fx.search("1002") == Ids{1002});
    CHECK(fx.search(" 1003 ") == Ids{1003});
    CHECK(fx.search("+23324") == Ids{1003, 1001});
    CHECK(fx.search("+233 24 123") == Ids{1003, 1001});  // separators as normalize_phone strips them
    CHECK(fx.search("0201") == Ids{1002});               // digits: an id or a phone prefix
    CHECK(fx.search("+23355") == Ids{1004});
    CHECK(fx.search("23324") == Ids{1003, 1001});  // the country code typed without its '+'
    CHECK(fx.search("233 55 123") == Ids{1004});
    CHECK(fx.search("kwame") == Ids{1003, 1001});  // case-insensitive, the renamed first name
    CHECK(fx.search("ENSA") == Ids{1003, 1001});
    CHECK(fx.search("kofi").empty());  // the old name is gone
    CHECK(fx.search("boat") == Ids{1004});
    CHECK(fx.search("").size() == 4);  // no filter
}

TEST_CASE("orders view: search by the digits a phone ends with, also after the phone changes") {
    Fixture fx;
    CHECK(fx.search("4567") == Ids{1003, 1001});        // +233241234567
    CHECK(fx.search("241234567") == Ids{1003, 1001});   // typed without the country code
    CHECK(fx.search("0241234567") == Ids{1003, 1001});  // the national number: a trunk '0' for the country code
    CHECK(fx.search("020 111 2222") == Ids{1002});      // 0201112222, stored as dialled at home
    CHECK(fx.search("0551230000") == Ids{1004});        // +233551230000
    CHECK(fx.search("0241230000").empty());
    CHECK(fx.search("111 2222") == Ids{1002});  // 0201112222, separators stripped
    CHECK(fx.search("30000") == Ids{1004});     // +233551230000
    CHECK(fx.search("99999").empty());
    // A customer's new phone is found by its ending; the old one no longer is.
    namespace ce = engine::customers::events;
    engine::customers::CustomerPatch new_phone;
    new_phone.phone_number = "+233207778888";
    fx.script.append(ce::customer_stream(23), ce::customer_updated(23, new_phone));
    REQUIRE(fx.runner->wait_for(fx.script.log().head(), 10s));
    CHECK(fx.search("7778888") == Ids{1004});
    CHECK(fx.search("30000").empty());
}

TEST_CASE("orders view: search text is data, never SQL or a pattern") {
    Fixture fx;
    CHECK(fx.search("' OR 1=1 --").empty());
    CHECK(fx.search("\" OR \"\"=\"").empty());
    CHECK(fx.search("%") == Ids{1002});  // only the name with a literal %
    CHECK(fx.search("_") == Ids{1002});  // only the name with a literal _
    CHECK(fx.search("a_s") == Ids{1002});
    CHECK(fx.search("a%s").empty());
    CHECK(fx.search("\\").empty());
    CHECK(fx.search("O'Neil") == Ids{1002});
    CHECK(fx.search(std::string(10'000, 'x')).empty());
    CHECK(fx.search(std::string(10'000, '%')).empty());
    CHECK(fx.search(std::string(60'000, 'y')).empty());  // beyond SQLite's LIKE pattern limit
    CHECK(fx.search(std::string(10'000, '5')).empty());  // digits, too many for an id
    CustomerFilter c;
    c.search = "' OR 1=1 --";
    CHECK(fx.q->list_customers(c, {}).pagination.total == 0);
    c.search = std::string(10'000, '_');
    CHECK(fx.q->list_customers(c, {}).pagination.total == 0);
    ProductFilter p;
    p.search = "%";
    CHECK(fx.q->list_products(p, {}).pagination.total == 0);
}

TEST_CASE("orders view: pages, and a page past the end") {
    Fixture fx;
    auto r = fx.q->list_orders({}, {2, 3});
    CHECK(r.pagination.total == 4);
    CHECK(r.pagination.pages == 2);
    CHECK(r.pagination.page == 2);
    CHECK(r.pagination.limit == 3);
    CHECK(fx.ids({}, {2, 3}) == Ids{1001});
    CHECK(fx.ids({}, {1, 3}) == Ids{1004, 1003, 1002});
    r = fx.q->list_orders({}, {5, 3});
    CHECK(r.items_json == "[]");
    CHECK(r.pagination.total == 4);
    CHECK(r.pagination.pages == 2);
    r = fx.q->list_orders({}, {INT64_MAX, 100});
    CHECK(r.items_json == "[]");
    CHECK(r.pagination.total == 4);
    r = fx.q->list_orders({}, {0, 1000});  // clamped to page 1, limit 100
    CHECK(r.pagination.page == 1);
    CHECK(r.pagination.limit == 100);
    OrderFilter none;
    none.statuses = {"returned"};
    r = fx.q->list_orders(none, {});
    CHECK(r.items_json == "[]");
    CHECK(r.pagination.total == 0);
    CHECK(r.pagination.pages == 0);
}

TEST_CASE("orders view: kanban and stats") {
    Fixture fx;
    const auto board = json::parse(fx.q->kanban_json({}, 10)).as_object();
    CHECK(board.size() == 9);
    CHECK(board.at("pending_confirmation").as_array().size() == 1);
    CHECK(board.at("delivered").at(0).at("id").as_int64() == 1001);
    CHECK(board.at("returned").as_array().empty());
    OrderFilter osu;
    osu.area = "Osu";
    const auto osu_board = json::parse(fx.q->kanban_json(osu, 10)).as_object();
    CHECK(osu_board.at("cancelled").as_array().size() == 1);
    CHECK(osu_board.at("failed_delivery").as_array().empty());
    CHECK(json::parse(fx.q->kanban_json({}, 0)).at("delivered").as_array().empty());
    // A status filter fills only its columns; every column stays on the board.
    OrderFilter two;
    two.statuses = {"delivered", "cancelled"};
    const auto filtered = json::parse(fx.q->kanban_json(two, 10)).as_object();
    CHECK(filtered.size() == 9);
    CHECK(filtered.at("delivered").as_array().size() == 1);
    CHECK(filtered.at("cancelled").as_array().size() == 1);
    CHECK(filtered.at("pending_confirmation").as_array().empty());
    CHECK(filtered.at("failed_delivery").as_array().empty());
    // A column in another order reads the status's index for that order.
    CHECK(fx.q->explain_kanban({}, OrderSort::created_desc).find("orders_status_created") != std::string::npos);

    const auto stats = json::parse(fx.q->stats_json({})).as_object();
    CHECK(stats.at("totalOrders").as_int64() == 4);
    CHECK(stats.at("ordersByStatus").at("cancelled").as_int64() == 1);
    CHECK(stats.at("ordersByStatus").at("returned").as_int64() == 0);
    CHECK(number(stats.at("totalRevenue")) == 225.0);
    CHECK(number(stats.at("avgOrderValue")) == 225.0);
}

TEST_CASE("orders view: customers with lifetime counters, renamed") {
    Fixture fx;
    const auto c21 = json::parse(*fx.q->customer_json(21)).as_object();
    CHECK(c21.at("firstName").as_string() == "Kwame");
    CHECK(c21.at("totalOrders").as_int64() == 2);
    CHECK(number(c21.at("totalSpent")) == 320.0);  // 225.00 + 95.00 (after the items were replaced)
    CHECK(c21.at("isActive").as_bool());
    CHECK(c21.at("createdAt").as_string() == iso_minute(6));
    CHECK(c21.at("updatedAt").as_string() == iso_minute(33));
    const auto c22 = json::parse(*fx.q->customer_json(22)).as_object();
    CHECK(c22.at("totalOrders").as_int64() == 1);  // cancelled, then reopened
    CHECK(number(c22.at("totalSpent")) == 45.0);
    const auto c23 = json::parse(*fx.q->customer_json(23)).as_object();
    CHECK(c23.at("totalOrders").as_int64() == 0);  // its only order cancelled
    CHECK(number(c23.at("totalSpent")) == 0.0);
    CHECK_FALSE(fx.q->customer_json(99).has_value());

    const auto all = fx.q->list_customers({}, {});
    CHECK(all.pagination.total == 3);
    const auto rows = json::parse(all.items_json).as_array();
    CHECK(rows.at(0).at("id").as_int64() == 23);  // newest first
    CustomerFilter f;
    f.search = "+23324";
    CHECK(fx.q->list_customers(f, {}).pagination.total == 1);
    f.search = "serwaa";
    CHECK(json::parse(fx.q->list_customers(f, {}).items_json).at(0).at("id").as_int64() == 22);
    f.search = "kwame@";
    CHECK(fx.q->list_customers(f, {}).pagination.total == 0);
    f = {};
    f.area = "OSU";
    CHECK(fx.q->list_customers(f, {}).pagination.total == 2);
    CHECK(fx.q->list_customers({}, {2, 2}).pagination.pages == 2);

    const auto a = json::parse(*fx.q->customer_analytics_json(21)).as_object();
    CHECK(a.at("totalOrders").as_int64() == 2);
    CHECK(number(a.at("averageOrderValue")) == 160.0);
    CHECK(a.at("ordersByStatus").at("delivered").as_int64() == 1);
    CHECK(a.at("ordersByStatus").at("failed_delivery").as_int64() == 1);
    CHECK(a.at("firstOrderDate").as_string() == iso_minute(9));
    CHECK(a.at("lastOrderDate").as_string() == iso_minute(11));
    // Scoped to a rep's or an agent's own orders: the status counts and dates; the totals stay the customer's.
    const auto rep = json::parse(*fx.q->customer_analytics_json(21, 2, std::nullopt)).as_object();
    CHECK(rep.at("totalOrders").as_int64() == 2);
    CHECK(rep.at("ordersByStatus").at("delivered").as_int64() == 1);
    CHECK(rep.at("ordersByStatus").at("failed_delivery").as_int64() == 0);
    CHECK(rep.at("lastOrderDate").as_string() == iso_minute(9));
    const auto agent = json::parse(*fx.q->customer_analytics_json(21, std::nullopt, 4)).as_object();
    CHECK(agent.at("ordersByStatus").at("delivered").as_int64() == 0);
    CHECK(agent.at("ordersByStatus").at("failed_delivery").as_int64() == 1);
    CHECK(agent.at("firstOrderDate").as_string() == iso_minute(11));
    const auto agent3 = json::parse(*fx.q->customer_analytics_json(21, std::nullopt, 3)).as_object();
    CHECK(agent3.at("ordersByStatus").at("delivered").as_int64() == 1);  // agent 3 delivered 1001
    CHECK(json::parse(*fx.q->customer_analytics_json(22, 2, std::nullopt)).at("firstOrderDate").is_null());
    const auto none = json::parse(*fx.q->customer_analytics_json(23)).as_object();
    CHECK(number(none.at("averageOrderValue")) == 0.0);
    CHECK_FALSE(fx.q->customer_analytics_json(99).has_value());
}

TEST_CASE("orders view: products with stock and reservations") {
    Fixture fx;
    // SB-1: 100 on hand; reserved 2 (1001) + 1 (1002) + 1 (1003), 1002 released and reserved again;
    // 1001's 2 and 1003's 1 consumed: on hand 97, reserved 1.
    const auto sb = json::parse(*fx.q->product_json(11)).as_object();
    CHECK(sb.at("stockQuantity").as_int64() == 97);
    CHECK(sb.at("stock").as_int64() == 97);
    CHECK(sb.at("reserved").as_int64() == 1);
    CHECK(sb.at("available").as_int64() == 96);
    CHECK(number(sb.at("price")) == 45.0);
    CHECK(number(sb.at("costPrice")) == 22.5);
    CHECK(sb.at("isActive").as_bool());
    CHECK(sb.at("dimensions").is_null());
    // BS-1: 5 on hand; 1001 consumed 1, 1004 reserved and released: 4 on hand, nothing reserved.
    const auto bs = json::parse(*fx.q->product_json(12)).as_object();
    CHECK(bs.at("stockQuantity").as_int64() == 4);
    CHECK(bs.at("reserved").as_int64() == 0);
    CHECK_FALSE(fx.q->product_json(99).has_value());

    const auto low = json::parse(fx.q->low_stock_json()).as_array();
    REQUIRE(low.size() == 1);
    CHECK(low[0].at("sku").as_string() == "BS-1");
    ProductFilter f;
    f.search = "soap";
    CHECK(fx.q->list_products(f, {}).pagination.total == 1);
    f.search = "sb-";
    CHECK(fx.q->list_products(f, {}).pagination.total == 1);
    f = {};
    f.category = "Beauty";
    CHECK(fx.q->list_products(f, {}).pagination.total == 2);
    f.is_active = false;
    CHECK(fx.q->list_products(f, {}).pagination.total == 0);
}

TEST_CASE("orders view: a stock set or adjustment moves on hand by what it decided, as the engine folds it") {
    namespace pe = engine::catalog::events;
    Fixture fx;
    // SB-1 holds 97 on hand, 1 reserved (order 1002). An order's move lands between a stock command's decision
    // and its append: the command's `quantity` is what it saw it leave (engine/catalog/product.cpp).
    const auto any = engine::ExpectedVersion::any();
    fx.script.append({test::to_stream(product_stream(11), any, {stock("StockConsumed", 11, 1002, 1)})});   // 96
    fx.script.append(pe::product_stream(11), pe::stock_adjusted(11, 5, 102, "delivery"));                  // saw 97
    fx.script.append({test::to_stream(product_stream(11), any, {stock("StockRestocked", 11, 1002, 1)})});  // 102
    fx.script.append(pe::product_stream(11), pe::stock_set(11, 120, 101, "count"));                        // saw 101
    REQUIRE(fx.runner->wait_for(fx.script.log().head(), 10s));
    REQUIRE(fx.runner->error().empty());
    const auto sb = json::parse(*fx.q->product_json(11)).as_object();
    CHECK(sb.at("stockQuantity").as_int64() == 121);
    CHECK(sb.at("reserved").as_int64() == 0);
}

TEST_CASE("orders view: COD transactions, summary, reports and agent balances") {
    Fixture fx;
    const auto all = fx.q->list_transactions({}, {});
    CHECK(all.pagination.total == 1);
    const auto t = json::parse(all.items_json).at(0).as_object();
    CHECK(t.at("orderId").as_int64() == 1001);
    CHECK(t.at("type").as_string() == "cod_collection");
    CHECK(t.at("paymentMethod").as_string() == "cash");
    CHECK(t.at("status").as_string() == "reconciled");
    CHECK(number(t.at("amount")) == 225.0);
    CHECK(t.at("reference").as_string() == "DEP-1");
    CHECK(t.at("createdAt").as_string() == iso_minute(21));
    CHECK(t.at("order").at("orderNumber").as_string() == "1001");
    CHECK(t.at("order").at("customer").at("firstName").as_string() == "Kwame");
    CHECK(t.at("order").at("deliveryAgent").at("lastName").as_string() == "Agentson");
    TransactionFilter f;
    f.status = "collected";
    CHECK(fx.q->list_transactions(f, {}).pagination.total == 0);
    f.status = "reconciled";
    f.agent_id = 3;
    f.type = "cod_collection";
    CHECK(fx.q->list_transactions(f, {}).pagination.total == 1);
    f.agent_id = 4;
    CHECK(fx.q->list_transactions(f, {}).items_json == "[]");
    f = {};
    f.from_us = kStartUs + 22 * kMinuteUs;
    CHECK(fx.q->list_transactions(f, {}).pagination.total == 0);
    CHECK(fx.q->list_transactions({}, {2, 50}).items_json == "[]");

    const auto summary = json::parse(fx.q->financial_summary_json(std::nullopt, std::nullopt)).as_object();
    CHECK(number(summary.at("totalRevenue")) == 225.0);
    CHECK(number(summary.at("totalExpenses")) == 30.0);
    CHECK(number(summary.at("profit")) == 195.0);
    CHECK(number(summary.at("codCollected")) == 225.0);
    CHECK(number(summary.at("codPending")) == 0.0);
    CHECK(number(summary.at("profitMargin")) == doctest::Approx(86.67));
    const auto later = json::parse(fx.q->financial_summary_json(kStartUs + 60 * kMinuteUs, std::nullopt)).as_object();
    CHECK(number(later.at("totalRevenue")) == 0.0);
    CHECK(number(later.at("profitMargin")) == 0.0);

    const auto daily = json::parse(fx.q->financial_report_json(false, std::nullopt, std::nullopt)).as_array();
    REQUIRE(daily.size() == 1);
    CHECK(daily[0].at("date").as_string() == "2025-11-25");
    CHECK(number(daily[0].at("revenue")) == 225.0);
    CHECK(number(daily[0].at("expenses")) == 30.0);
    CHECK(number(daily[0].at("profit")) == 195.0);
    CHECK(daily[0].at("orders").as_int64() == 4);
    const auto monthly = json::parse(fx.q->financial_report_json(true, kStartUs, kStartUs + 10 * kMinuteUs)).as_array();
    REQUIRE(monthly.size() == 1);
    CHECK(monthly[0].at("date").as_string() == "2025-11");
    CHECK(number(monthly[0].at("revenue")) == 0.0);  // collected at minute 21
    CHECK(monthly[0].at("orders").as_int64() == 2);  // 1001 and 1002

    const auto balances = json::parse(fx.q->agent_balances_json()).as_array();
    REQUIRE(balances.size() == 1);
    CHECK(balances[0].at("agentId").as_int64() == 3);
    CHECK(balances[0].at("agentName").as_string() == "Abe Agentson");
    CHECK(number(balances[0].at("collected")) == 225.0);
    CHECK(number(balances[0].at("cashInHand")) == 0.0);
    CHECK(balances[0].at("openCollections").as_int64() == 0);
    CHECK(balances[0].at("oldestOpenAt").is_null());
}

TEST_CASE("orders view: rep and agent rollups") {
    Fixture fx;
    const auto reps = json::parse(fx.q->rep_performance_json("2025-12")).as_array();
    REQUIRE(reps.size() == 1);
    CHECK(reps[0].at("repId").as_int64() == 2);
    CHECK(reps[0].at("repName").as_string() == "Rita Rep");
    const auto& m = reps[0].at("metrics").as_object();
    CHECK(m.at("totalAssigned").as_int64() == 1);
    CHECK(m.at("activeOrders").as_int64() == 0);  // 1001 is delivered
    CHECK(m.at("deliveredCount").as_int64() == 1);
    CHECK(number(m.at("successRate")) == 100.0);
    CHECK(number(m.at("totalEarnings")) == 5.0);    // commission 5.00 per delivered order
    CHECK(number(m.at("monthlyEarnings")) == 0.0);  // delivered in 2025-11, not in the month asked for
    CHECK(reps[0].at("ordersByStatus").at("delivered").as_int64() == 1);
    CHECK(reps[0].at("ordersByStatus").at("pending_confirmation").as_int64() == 0);
    const auto november = json::parse(fx.q->rep_performance_json("2025-11")).as_array();
    CHECK(number(november.at(0).at("metrics").at("monthlyEarnings")) == 5.0);
    // The workload: 1002 (reopened) assigned to the rep is active; 1001 (delivered) and 1004 (cancelled) are not.
    namespace oe = engine::orders::events;
    fx.script.append(order_stream(1002), oe::order_rep_assigned(1002, 2, std::nullopt));
    fx.script.append(order_stream(1004), oe::order_rep_assigned(1004, 2, std::nullopt));
    REQUIRE(fx.runner->wait_for(fx.script.log().head(), 10s));
    const auto later = json::parse(fx.q->rep_performance_json("2025-12")).as_array();
    CHECK(later.at(0).at("metrics").at("totalAssigned").as_int64() == 3);
    CHECK(later.at(0).at("metrics").at("activeOrders").as_int64() == 1);
    CHECK(fx.q->open_orders_of(2) == 1);

    const auto agents = json::parse(fx.q->agent_performance_json("2025-12")).as_array();
    REQUIRE(agents.size() == 2);
    CHECK(agents[0].at("userId").as_int64() == 3);
    CHECK(agents[0].at("userName").as_string() == "Abe Agentson");
    CHECK(agents[0].at("totalAssigned").as_int64() == 1);
    CHECK(agents[0].at("completed").as_int64() == 1);
    CHECK(number(agents[0].at("collectedAmount")) == 225.0);
    CHECK(agents[1].at("userId").as_int64() == 4);
    CHECK(agents[1].at("failed").as_int64() == 1);
    CHECK(agents[1].at("completed").as_int64() == 0);
    CHECK(number(agents[1].at("successRate")) == 0.0);
    // Agent 3 delivered one order, in 2025-11, at 3.00 a delivery: its earnings count in that month only.
    CHECK(number(agents[0].at("totalEarnings")) == 3.0);
    CHECK(number(agents[0].at("monthlyEarnings")) == 0.0);
    const auto in_november = json::parse(fx.q->agent_performance_json("2025-11")).as_array();
    CHECK(number(in_november.at(0).at("monthlyEarnings")) == number(agents[0].at("totalEarnings")));
}

TEST_CASE("orders view: utc_month") {
    CHECK(utc_month(0) == "1970-01");
    CHECK(utc_month(1'764'547'199'999'999) == "2025-11");  // 2025-11-30T23:59:59.999999Z
    CHECK(utc_month(1'764'547'200'000'000) == "2025-12");  // 2025-12-01T00:00:00Z
    CHECK(utc_month(-1) == "1969-12");
}

TEST_CASE("orders view: events from the engine's own order encoders") {
    namespace oe = engine::orders::events;
    using engine::orders::OrderStatus;
    Fixture fx;
    engine::orders::Order o;
    o.id = 1005;
    o.customer_id = 22;
    o.customer_rep_id = 2;
    o.created_by = 2;
    engine::orders::OrderItem i;
    i.id = 1;
    i.product_id = 11;
    i.quantity = 3;
    i.unit_price = engine::Money{4500};
    i.total_price = engine::Money{13500};
    i.metadata_json = R"({"packageName":"Trio"})";
    o.items = {i};
    o.subtotal = o.total_amount = o.cod_amount = engine::Money{13500};
    o.delivery_address = "House 2";
    o.delivery_state = "Greater Accra";
    o.delivery_area = "Osu";
    o.tags = {"vip"};
    fx.script.append(oe::order_stream(1005), oe::order_created(o), {"2", "sales_rep"});
    oe::OrderChanges changes;
    changes.priority = 5;
    changes.estimated_delivery_us = kStartUs;
    fx.script.append(oe::order_stream(1005), oe::order_updated(1005, changes));
    fx.script.append(oe::order_stream(1005), oe::order_status_changed(1005, OrderStatus::pending_confirmation,
                                                                      OrderStatus::confirmed, false, "", "ok"));
    fx.script.append(oe::order_stream(1005), oe::order_agent_assigned(1005, 4, std::nullopt));
    fx.script.append(oe::order_stream(1005), oe::order_status_changed(1005, OrderStatus::confirmed,
                                                                      OrderStatus::out_for_delivery, false, "", ""));
    const auto any = engine::ExpectedVersion::any();
    fx.script.append({test::to_stream(oe::order_stream(1005), any,
                                      {oe::payment_collected(1005, 4, engine::Money{13500}, kStartUs),
                                       oe::order_status_changed(1005, OrderStatus::out_for_delivery,
                                                                OrderStatus::delivered, false, "", "")}),
                      test::to_stream(oe::agent_cash_stream(4), any,
                                      {oe::cash_collected(4, 1005, engine::Money{13500}, kStartUs)})});
    REQUIRE(fx.runner->wait_for(fx.script.log().head(), 10s));
    REQUIRE(fx.runner->error().empty());
    const auto d = json::parse(*fx.q->order_json(1005)).as_object();
    CHECK(d.at("status").as_string() == "delivered");
    CHECK(d.at("paymentStatus").as_string() == "collected");
    CHECK(d.at("priority").as_int64() == 5);
    CHECK(d.at("estimatedDelivery").as_string() == iso_minute(0));
    CHECK(d.at("deliveryAgent").at("firstName").as_string() == "Bo");
    CHECK(d.at("orderItems").at(0).at("metadata").at("packageName").as_string() == "Trio");
    CHECK(d.at("tags").as_array() == json::array{"vip"});
    CHECK(d.at("transaction").at("agentId").as_int64() == 4);
    CHECK(d.at("history").as_array().size() == 7);
    CHECK(d.at("history").at(4).at("notes").as_string() == "ok");
    const auto c22 = json::parse(*fx.q->customer_json(22)).as_object();
    CHECK(c22.at("totalOrders").as_int64() == 2);
    CHECK(number(c22.at("totalSpent")) == 180.0);
    const auto agents = json::parse(fx.q->agent_performance_json("2025-11")).as_array();
    CHECK(agents.at(1).at("completed").as_int64() == 1);
    CHECK(json::parse(fx.q->agent_balances_json()).as_array().size() == 2);
}

TEST_CASE("orders view: a rebuilt view equals the live one") {
    Fixture fx;
    // More renames, around an order created between them: a rebuild notes renames and applies them at the end
    // (rename_after_load), which must leave every order with what the live view's renames, one by one, left.
    {
        namespace ce = engine::customers::events;
        namespace ue = engine::users::events;
        engine::users::UserPatch rep;
        rep.first_name = "Rita-Mae";
        fx.script.append(ue::user_stream(2), ue::user_updated(2, rep));
        engine::customers::CustomerPatch moved;
        moved.phone_number = "0209998888";
        moved.last_name = "Owusu";
        fx.script.append(ce::customer_stream(22), ce::customer_updated(22, moved));
        const auto any = engine::ExpectedVersion::any();
        fx.script.append({test::to_stream(order_stream(1005), any,
                                          {order_created({1005, 21, 2, 4, json::array{item(1, 11, 1, 4500)}, 0})}),
                          test::to_stream(product_stream(11), any, {stock("StockReserved", 11, 1005, 1)})});
        engine::customers::CustomerPatch again;
        again.first_name = "Kwabena";
        fx.script.append(ce::customer_stream(21), ce::customer_updated(21, again));
        REQUIRE(fx.runner->wait_for(fx.script.log().head(), 10s));
        const auto o = json::parse(*fx.q->order_summary_json(1005));
        CHECK(o.at("customer").at("firstName") == "Kwabena");
        CHECK(o.at("customerRep").at("firstName") == "Rita-Mae");
        CHECK(json::parse(*fx.q->order_summary_json(1002)).at("customer").at("phoneNumber") == "0209998888");
    }
    const auto live = [&] {
        auto db = Database::open(fx.dir / "orders.db", {OpenMode::read_only});
        return view_digest(db, fx.view);
    }();
    rebuild_view(fx.script.log(), fx.view, fx.dir / "fresh.db", 7);  // small batches: many transactions
    auto fresh = Database::open(fx.dir / "fresh.db", {OpenMode::read_only});
    CHECK(view_digest(fresh, fx.view) == live);
    // And the runner's own rebuild (in place) leaves it unchanged.
    fx.runner->rebuild();
    auto again = Database::open(fx.dir / "orders.db", {OpenMode::read_only});
    CHECK(view_digest(again, fx.view) == live);
}

namespace {

std::int64_t count_of(const std::filesystem::path& file, const std::string& sql) {
    auto db = Database::open(file, {OpenMode::read_only});
    auto q = db.prepare(sql);
    REQUIRE(q.step());
    return q.column_int(0);
}

}  // namespace

// A rebuild loads the orders without moving any counter and derives them all at the end (derive_counters):
// random histories of many orders (statuses back and forth, cancels, reps and agents reassigned, customers and
// totals changed, deliveries over several months) must end with the counters the live runner moved event by
// event, down to the rows (a rollup that reaches 0 is deleted in both).
TEST_CASE("orders view: counters derived after a rebuild's load equal those moved event by event") {
    namespace oe = engine::orders::events;
    namespace ue = engine::users::events;
    namespace ce = engine::customers::events;
    using engine::orders::OrderStatus;
    using engine::users::Role;
    for (const std::uint32_t seed : {1u, 2u, 3u}) {
        CAPTURE(seed);
        test::TempDir dir;
        Script s{dir / "log"};
        s.append(ue::user_stream(1), ue::user_created(user(1, "Ada", "Admin", Role::super_admin)));
        for (std::int64_t rep : {2, 5}) {
            s.append(ue::user_stream(rep), ue::user_created(user(rep, "R", "Rep", Role::sales_rep)));
        }
        for (std::int64_t agent : {3, 4}) {
            s.append(ue::user_stream(agent), ue::user_created(user(agent, "A", "Agent", Role::delivery_agent)));
        }
        for (std::int64_t c = 21; c <= 24; ++c) {
            const auto phone = "+23324100000" + std::to_string(c - 20);
            s.append(ce::customer_stream(c), ce::customer_created(customer(c, "C", "Ustomer", phone, "Osu")));
        }
        std::mt19937 rng(seed);
        const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
        std::vector<engine::orders::Order> orders;
        for (int step = 0; step < 400; ++step) {
            const int action = orders.empty() ? 0 : pick(20);
            if (action < 4) {
                engine::orders::Order o;
                o.id = 1001 + static_cast<std::int64_t>(orders.size());
                o.customer_id = 21 + pick(4);
                if (pick(3) != 0) o.customer_rep_id = 2 + 3 * pick(2);
                if (pick(3) == 0) o.delivery_agent_id = 3 + pick(2);
                engine::orders::OrderItem i;
                i.id = 1;
                i.product_id = 11;
                i.quantity = 1 + pick(3);
                i.unit_price = engine::Money{1000 + 500 * pick(5)};
                i.total_price = engine::Money{i.quantity * i.unit_price.minor};
                o.items = {i};
                o.subtotal = o.total_amount = o.cod_amount = i.total_price;
                o.delivery_address = "House 2";
                o.delivery_state = "Greater Accra";
                o.delivery_area = "Osu";
                s.append(oe::order_stream(o.id), oe::order_created(o));
                orders.push_back(o);
                continue;
            }
            auto& o = orders[static_cast<std::size_t>(pick(static_cast<int>(orders.size())))];
            if (action < 12) {
                const auto to = engine::orders::kAllStatuses[pick(std::size(engine::orders::kAllStatuses))];
                if (to == o.status) continue;
                s.append(oe::order_stream(o.id), oe::order_status_changed(o.id, o.status, to, true, "test", ""));
                o.status = to;
            } else if (action < 14) {
                const std::int64_t agent = 3 + pick(2);
                s.append(oe::order_stream(o.id), oe::order_agent_assigned(o.id, agent, o.delivery_agent_id));
                o.delivery_agent_id = agent;
            } else if (action < 16) {
                const std::int64_t rep = 2 + 3 * pick(2);
                s.append(oe::order_stream(o.id), oe::order_rep_assigned(o.id, rep, o.customer_rep_id));
                o.customer_rep_id = rep;
            } else if (action < 17) {
                oe::OrderChanges c;
                c.customer_id = o.customer_id = 21 + pick(4);
                s.append(oe::order_stream(o.id), oe::order_updated(o.id, c));
            } else if (action < 18) {
                oe::OrderChanges c;
                c.total_amount = c.cod_amount = o.total_amount = engine::Money{500 + 250 * pick(8)};
                s.append(oe::order_stream(o.id), oe::order_updated(o.id, c));
            } else {
                s.skip(pick(40'000));  // up to ~4 weeks: deliveries and creations over several months and days
            }
        }
        OrdersView view;
        {
            ProjectionRunner runner(s.log(), dir / "orders.db", view);
            REQUIRE(runner.wait_for(s.log().head(), 10s));
            REQUIRE(runner.error().empty());
        }
        const auto live = [&] {
            auto db = Database::open(dir / "orders.db", {OpenMode::read_only});
            return view_digest(db, view);
        }();
        rebuild_view(s.log(), view, dir / "fresh.db", 13);
        auto fresh = Database::open(dir / "fresh.db", {OpenMode::read_only});
        CHECK(view_digest(fresh, view) == live);
        for (const auto* table : {"user_status_counts", "user_delivered_months", "order_day_counts"}) {
            const auto rows = count_of(dir / "orders.db", std::string("SELECT count(*) FROM ") + table);
            CHECK(rows >= 4);  // the history reaches every kind of counter row
            CHECK(count_of(dir / "orders.db", std::string("SELECT count(*) FROM ") + table + " WHERE orders = 0") == 0);
        }
        CHECK(count_of(dir / "orders.db", "SELECT count(DISTINCT month) FROM user_delivered_months") > 1);
        CHECK(count_of(dir / "orders.db", "SELECT count(*) FROM customers WHERE total_orders > 0") == 4);
    }
}

namespace {

// The orders view as an older build had it: its first `steps` schema steps.
class OrdersViewUpTo final : public Projection {
  public:
    explicit OrdersViewUpTo(std::size_t steps) : steps_(steps) {}
    [[nodiscard]] std::string name() const override { return view_.name(); }
    [[nodiscard]] std::vector<Migration> migrations() const override {
        auto all = view_.migrations();
        all.resize(steps_);
        return all;
    }
    [[nodiscard]] std::vector<ViewTable> tables() const override { return view_.tables(); }
    void apply(Transaction&, std::span<const RecordedEvent>) override {}

  private:
    OrdersView view_;
    std::size_t steps_;
};

}  // namespace

TEST_CASE("orders view: schema v4 deletes the rollup rows a file at v3 kept at 0 orders") {
    test::TempDir dir;
    auto db = Database::open(dir / "orders.db");
    REQUIRE(migrate(db, OrdersViewUpTo(3), 0) == 3);
    db.exec(R"sql(
        INSERT INTO user_status_counts VALUES
            (2, 'rep', 'pending_confirmation', 0, 0), (2, 'rep', 'delivered', 3, 4500);
        INSERT INTO user_delivered_months VALUES (3, 'agent', '2025-11', 0, 0), (3, 'agent', '2025-12', 1, 1500);
    )sql");
    CHECK(migrate(db, OrdersView(), 0) == 2);  // v4 and v5
    const auto rows = [&db](const char* sql) {
        std::vector<std::string> out;
        auto q = db.prepare(sql);
        while (q.step()) out.emplace_back(q.column_text(0));
        return out;
    };
    CHECK(rows("SELECT status || ':' || orders FROM user_status_counts") == std::vector<std::string>{"delivered:3"});
    CHECK(rows("SELECT month || ':' || orders FROM user_delivered_months") == std::vector<std::string>{"2025-12:1"});
}

TEST_CASE("orders view: schema v5 keeps the phones of a file at v4 reversed, for searches by their ending") {
    test::TempDir dir;
    auto db = Database::open(dir / "orders.db");
    REQUIRE(migrate(db, OrdersViewUpTo(4), 0) == 4);
    db.exec(R"sql(
        INSERT INTO customers (id, first_name, last_name, email, phone_number, alternate_phone, address, state, area,
                               landmark, tags, notes, is_active, created_us, updated_us)
        VALUES (21, 'Kofi', 'Mensah', '', '+233241234567', '', 'a', 's', 'x', '', '[]', '', 1, 0, 0),
               (22, 'Ama', 'Owusu', '', '0201112222', '', 'a', 's', 'x', '', '[]', '', 1, 0, 0);
    )sql");
    CHECK(migrate(db, OrdersView(), 0) == 1);
    auto q = db.prepare("SELECT phone_reversed FROM customers ORDER BY id");
    std::vector<std::string> reversed;
    while (q.step()) reversed.emplace_back(q.column_text(0));
    CHECK(reversed == std::vector<std::string>{"765432142332+", "2222111020"});
}

namespace {

// Every table and index of a file with its definition, and each table's indexes in the order the planner
// sees them: a rebuild that loads its file without the query indexes must end with the same schema.
std::vector<std::string> schema_of(const std::filesystem::path& file) {
    auto db = Database::open(file, {OpenMode::read_only});
    std::vector<std::string> out;
    auto q = db.prepare(
        "SELECT s.type || ' ' || s.name || ' ' || coalesce(s.sql, ''), "
        "(SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_list(s.tbl_name) ORDER BY seq)) "
        "FROM sqlite_schema s ORDER BY s.type, s.name");
    while (q.step()) out.push_back(std::string(q.column_text(0)) + " | " + std::string(q.column_text(1)));
    return out;
}

}  // namespace

TEST_CASE("orders view: a rebuild defers the query indexes and ends with the live schema and plans") {
    Fixture fx;
    const auto deferred = fx.view.query_indexes();
    REQUIRE_FALSE(deferred.empty());
    const auto live = schema_of(fx.dir / "orders.db");
    for (const auto& name : deferred) {
        INFO(name);
        CHECK(std::count_if(live.begin(), live.end(),
                            [&](const std::string& row) { return row.starts_with("index " + name + " "); }) == 1);
    }
    rebuild_view(fx.script.log(), fx.view, fx.dir / "fresh.db", 7);
    CHECK(schema_of(fx.dir / "fresh.db") == live);

    OrderFilter f;
    f.statuses = {"delivered"};
    f.created_from_us = kStartUs;
    f.created_to_us = kStartUs + 60 * kMinuteUs;
    ReaderPool fresh_pool(fx.dir / "fresh.db", 1);
    const OrdersQueries fresh(fresh_pool);
    CHECK(fresh.explain_list_orders(f) == fx.q->explain_list_orders(f));
    f = {};
    f.search = "+23324";
    CHECK(fresh.explain_list_orders(f) == fx.q->explain_list_orders(f));

    // The runner's in-place rebuild too.
    fx.runner->rebuild();
    CHECK(schema_of(fx.dir / "orders.db") == live);
}

TEST_CASE("orders view: deferring an index the schema does not have is an error") {
    test::TempDir dir;
    OrdersView view;
    ViewWriter writer(dir / "v.db", view);
    CHECK_THROWS_AS(DeferredIndexes::drop(writer.db(), {"orders_created", "no_such_index"}), ProjectionError);
    auto indexes = DeferredIndexes::drop(writer.db(), {"orders_created"});
    CHECK_FALSE(indexes.empty());
    indexes.create(writer.db());
    CHECK(indexes.empty());
    auto& q = writer.db().cached("SELECT count(*) FROM sqlite_schema WHERE name = 'orders_created'");
    REQUIRE(q.step());
    CHECK(q.column_int(0) == 1);
    q.reset();
}

TEST_CASE("orders view: a list's total by status and days equals counting its orders") {
    Fixture fx;
    // Orders over five more days (at 10:00 + n minutes), some moved on: a pending order alone on its day
    // confirmed (its pending count reaches 0), others cancelled.
    constexpr int kDayMinutes = 24 * 60;
    std::int64_t id = 3000;
    for (int day = 1; day <= 5; ++day) {
        fx.script.skip(day * kDayMinutes - fx.script.minute() + (day == 3 ? 13 * 60 : 0));  // day 3 ends the range
        for (int k = 0; k < day; ++k) {
            ++id;
            fx.script.append(order_stream(id),
                             order_created({id, 21, 2, std::nullopt, json::array{item(1, 11, 1, 4500)}}));
            if (day == 1) fx.script.append(order_stream(id), status_changed(id, "pending_confirmation", "confirmed"));
            if (day >= 4 && k % 2 == 0) {
                fx.script.append(order_stream(id), status_changed(id, "pending_confirmation", "cancelled"));
            }
        }
    }
    REQUIRE(fx.runner->wait_for(fx.script.log().head(), 10s));
    REQUIRE(fx.runner->error().empty());
    auto db = Database::open(fx.dir / "orders.db", {OpenMode::read_only});
    const auto rows = [&](const std::string& sql) {
        std::vector<std::string> out;
        auto q = db.prepare(sql);
        while (q.step()) {
            out.push_back(std::string(q.column_text(0)) + "/" + std::to_string(q.column_int(1)) + "/" +
                          std::to_string(q.column_int(2)));
        }
        return out;
    };
    CHECK(rows("SELECT status, day, orders FROM order_day_counts ORDER BY 1, 2") ==
          rows("SELECT status, created_us / 86400000000, count(*) FROM orders GROUP BY 1, 2 ORDER BY 1, 2"));
    CHECK(rows("SELECT status, day, orders FROM order_day_counts WHERE orders <= 0").empty());

    const auto counted = [&](const OrderFilter& f) {
        std::string sql = "SELECT count(*), 0, 0 FROM orders WHERE created_us BETWEEN ?1 AND ?2";
        if (!f.statuses.empty()) sql += " AND status IN ('" + f.statuses[0] + "', '" + f.statuses.back() + "')";
        auto q = db.prepare(sql);
        q.bind(1, *f.created_from_us).bind(2, *f.created_to_us);
        q.step();
        return q.column_int(0);
    };
    constexpr std::int64_t kDayUs = 24 * 60 * kMinuteUs;
    const std::int64_t day0 = kStartUs / kDayUs * kDayUs;  // midnight before the fixture's first order
    const std::vector<std::vector<std::string>> statuses = {
        {}, {"pending_confirmation"}, {"cancelled", "confirmed"}, {"delivered"}};
    int by_days = 0;
    for (const auto& st : statuses) {
        for (const std::int64_t from : {kStartUs, day0, day0 + kDayUs - 1, day0 + kDayUs, day0 + kDayUs + 1}) {
            for (const std::int64_t to : {day0 + 3 * kDayUs - 1, day0 + 3 * kDayUs, day0 + 4 * kDayUs + 36 * kMinuteUs,
                                          day0 + 6 * kDayUs, day0 + 40 * kDayUs}) {
                OrderFilter f;
                f.statuses = st;
                f.created_from_us = from;
                f.created_to_us = to;
                INFO(from, " ", to, " ", st.size());
                CHECK(fx.q->list_orders(f, {}).pagination.total == counted(f));
                if (fx.q->explain_list_orders(f).find("day>?") != std::string::npos) ++by_days;
            }
        }
    }
    CHECK(by_days > 50);  // most of these ranges hold a whole day
}

TEST_CASE("orders view: a malformed event of a known type stops the runner there") {
    Fixture fx;
    const auto before = fx.runner->position();
    fx.script.append(order_stream(1005), make("OrderCreated", {{"orderId", 1005}, {"customerId", 21}}));
    CHECK_FALSE(fx.runner->wait_for(fx.script.log().head(), 5s));
    CHECK(fx.runner->position() == before);
    CHECK(fx.runner->error().find("OrderCreated") != std::string::npos);
    CHECK(fx.runner->error().find("missing field") != std::string::npos);
}

TEST_CASE("orders view: an event about an order the view does not have stops the runner") {
    Fixture fx;
    fx.script.append(order_stream(4242), status_changed(4242, "confirmed", "preparing"));
    CHECK_FALSE(fx.runner->wait_for(fx.script.log().head(), 5s));
    CHECK(fx.runner->error().find("no orders row 4242") != std::string::npos);
}

TEST_CASE("orders view: applying a deposit finds its collections by index, not by scanning transactions") {
    Fixture fx;
    auto db = Database::open(fx.dir / "orders.db", {OpenMode::read_only});
    std::string plan;
    auto s = db.prepare("EXPLAIN QUERY PLAN UPDATE transactions SET reference = ?2 WHERE deposit_id = ?1");
    while (s.step()) plan.append(s.column_text(3)).append("\n");
    CHECK(plan.find("transactions_deposit") != std::string::npos);
    CHECK(plan.find("SCAN") == std::string::npos);
}

TEST_CASE("orders view: the hot queries use indexes") {
    Fixture fx;
    const auto plan = [&](const OrderFilter& f) { return fx.q->explain_list_orders(f); };
    OrderFilter f;
    f.statuses = {"delivered"};
    f.created_from_us = kStartUs;
    f.created_to_us = kStartUs + 60 * kMinuteUs;
    CHECK(plan(f).find("orders_status_created") != std::string::npos);
    f = {};
    CHECK(plan(f).find("orders_created") != std::string::npos);
    f.search = "+23324";
    CHECK(plan(f).find("customers_phone") != std::string::npos);
    CHECK(plan(f).find("orders_customer_created") != std::string::npos);
    f = {};
    f.customer_rep_id = 2;
    CHECK(plan(f).find("orders_rep_created") != std::string::npos);
    f = {};
    f.delivery_agent_id = 3;
    CHECK(plan(f).find("orders_agent_created") != std::string::npos);
    f = {};
    f.customer_id = 21;
    CHECK(plan(f).find("orders_customer_created") != std::string::npos);
    f = {};
    f.area = "Osu";
    CHECK(plan(f).find("orders_area_created") != std::string::npos);
    f = {};
    f.payment_status = "pending";
    CHECK(plan(f).find("orders_payment_created") != std::string::npos);
    for (const auto& p : {plan({}), plan(f)}) {
        CHECK(p.find("SCAN o\n") == std::string::npos);  // never a full scan of the orders table
        CHECK(p.find("USE TEMP B-TREE") == std::string::npos);
    }
    const std::string kanban = fx.q->explain_kanban({});
    CHECK(kanban.find("orders_status_priority") != std::string::npos);
    CHECK(kanban.find("USE TEMP B-TREE") == std::string::npos);  // a column reads its first rows, no sort
}

// The catalog commands, given/when/then: what each appends, the state the product is then in, the
// refusals; SKU uniqueness under concurrency; stock invariants under concurrent reserve/release.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include <boost/json/parse.hpp>

#include "engine/catalog/catalog_events.hpp"
#include "engine/catalog/catalog_service.hpp"
#include "engine/catalog/validation.hpp"
#include "engine/json_codec.hpp"
#include "tests/engine/domain_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::catalog;
using namespace codd::test;

namespace {

NewProduct tee(std::string sku = "TEE-01", std::int64_t stock = 20) {
    NewProduct p;
    p.sku = std::move(sku);
    p.name = "Cotton tee";
    p.description = "A plain tee";
    p.category = "Apparel";
    p.price = Money{4500};
    p.cost_price = Money{2000};
    p.stock_quantity = stock;
    return p;
}

class CatalogFixture : public LogFixture {
  public:
    CatalogFixture() { opened(); }
    std::unique_ptr<CatalogService> catalog;

    Product product(ProductId id) {
        auto p = catalog->find(id);
        REQUIRE(p.has_value());
        return *p;
    }

  protected:
    void opened() override { catalog = std::make_unique<CatalogService>(*log, clock); }
    void closing() override { catalog.reset(); }
};

boost::json::object payload(const RecordedEvent& e) {
    return boost::json::parse(e.payload).as_object();
}

}  // namespace

TEST_CASE("catalog: create appends ProductCreated and SkuReserved atomically, ids from 1001") {
    CatalogFixture f;
    NewProduct n = tee("  Tee-01 ");
    n.dimensions_json = R"({ "w": 30, "h": 40 })";
    n.weight = 0.25;
    const Product p = accepted(f.catalog->create(n, ctx()));
    CHECK(p.id == 1001);
    CHECK(p.sku == "Tee-01");
    CHECK(p.price == Money{4500});
    CHECK(p.cost_price == Money{2000});
    CHECK(p.stock_quantity == 20);
    CHECK(p.reserved == 0);
    CHECK(p.low_stock_threshold == 10);
    CHECK(p.is_active);
    CHECK(p.dimensions_json == R"({"w":30,"h":40})");
    CHECK(p.weight == 0.25);
    CHECK(p.version == 0);
    const auto created = f.stream("product-1001");
    REQUIRE(created.size() == 1);
    CHECK(created[0].type == "ProductCreated");
    CHECK(payload(created[0]).at("costPrice").as_int64() == 2000);
    const auto sku = f.stream("product-sku-tee-01");
    REQUIRE(sku.size() == 1);
    CHECK(sku[0].type == "SkuReserved");
    CHECK(sku[0].position.value() == created[0].position.value() + 1);
    CHECK(accepted(f.catalog->create(tee("MUG-01"), ctx())).id == 1002);
    CHECK(f.catalog->find_by_sku("tee-01")->id == 1001);
    CHECK_FALSE(f.catalog->find(999).has_value());
    // Created inactive: the same one event says so.
    NewProduct hidden = tee("CAP-01");
    hidden.is_active = false;
    CHECK_FALSE(accepted(f.catalog->create(hidden, ctx())).is_active);
    const auto hidden_events = f.stream("product-1003");
    REQUIRE(hidden_events.size() == 1);
    CHECK(payload(hidden_events[0]).at("isActive") == false);
}

TEST_CASE("catalog: a duplicate SKU is refused whatever its case or spacing, nothing appended, no id used") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01"), ctx()));
    const auto head = f.log->head();
    const Rejection r = refused(f.catalog->create(tee(" tee-01"), ctx()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(r.field == "sku");
    CHECK(f.log->head() == head);
    CHECK(accepted(f.catalog->create(tee("MUG-01"), ctx())).id == 1002);
}

TEST_CASE("catalog: create validates every field with the REST API's field names") {
    CatalogFixture f;
    struct Case {
        const char* name;
        std::function<void(NewProduct&)> spoil;
        const char* field;
    };
    const Case cases[] = {
        {"no sku", [](NewProduct& p) { p.sku = " "; }, "sku"},
        {"sku with a space", [](NewProduct& p) { p.sku = "TEE 01"; }, "sku"},
        {"sku with a slash", [](NewProduct& p) { p.sku = "TEE/01"; }, "sku"},
        {"long sku", [](NewProduct& p) { p.sku = std::string(65, 'A'); }, "sku"},
        {"no name", [](NewProduct& p) { p.name = ""; }, "name"},
        {"a name of invisible characters", [](NewProduct& p) { p.name = "\u202e\ufeff"; }, "name"},
        {"a name of Unicode spaces", [](NewProduct& p) { p.name = " \u00a0\u3000\u200b "; }, "name"},
        {"long name", [](NewProduct& p) { p.name = std::string(201, 'a'); }, "name"},
        {"control in name", [](NewProduct& p) { p.name = "a\x01b"; }, "name"},
        {"control in category", [](NewProduct& p) { p.category = "a\x01b"; }, "category"},
        {"C1 control in name", [](NewProduct& p) { p.name = "Tee\u0085Shirt"; }, "name"},
        {"C1 control in description", [](NewProduct& p) { p.description = "soft\u009bcotton"; }, "description"},
        {"negative price", [](NewProduct& p) { p.price = Money{-1}; }, "price"},
        {"huge price", [](NewProduct& p) { p.price = Money{kMaxPriceMinor + 1}; }, "price"},
        {"negative cost", [](NewProduct& p) { p.cost_price = Money{-5}; }, "costPrice"},
        {"negative stock", [](NewProduct& p) { p.stock_quantity = -1; }, "stockQuantity"},
        {"negative threshold", [](NewProduct& p) { p.low_stock_threshold = -1; }, "lowStockThreshold"},
        {"negative weight", [](NewProduct& p) { p.weight = -0.5; }, "weight"},
        {"huge weight", [](NewProduct& p) { p.weight = 1e308; }, "weight"},
        {"dimensions not an object", [](NewProduct& p) { p.dimensions_json = "[1,2]"; }, "dimensions"},
        {"image url with spaces", [](NewProduct& p) { p.image_url = "http://x/a b.png"; }, "imageUrl"},
        {"javascript: image url", [](NewProduct& p) { p.image_url = "javascript:alert(1)"; }, "imageUrl"},
        {"data: image url", [](NewProduct& p) { p.image_url = "DATA:image/png;base64,AAAA"; }, "imageUrl"},
        {"NUL in description", [](NewProduct& p) { p.description = std::string("a\0b", 3); }, "description"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        NewProduct p = tee();
        c.spoil(p);
        const Rejection r = refused(f.catalog->create(p, ctx()));
        CHECK(r.kind == Rejection::Kind::invalid);
        CHECK(r.field == c.field);
    }
    CHECK(f.log->head().value() == 0);
}

TEST_CASE("catalog: a name with visible text keeps its invisible marks, a name of marks alone is no name") {
    CatalogFixture f;
    NewProduct rtl = tee("COFFEE-01");
    rtl.name = "\u200f\u0642\u0647\u0648\u0629";  // a right-to-left mark, then an Arabic word
    CHECK(accepted(f.catalog->create(rtl, ctx())).name == rtl.name);
    NewProduct marks = tee("COFFEE-02");
    marks.name = "\u200f\u200e";
    CHECK(refused(f.catalog->create(marks, ctx())).field == "name");
    // Not ASCII white space alone: a control character stays refused as such.
    NewProduct control = tee("COFFEE-03");
    control.name = "\u00a0\x01";
    const Rejection r = refused(f.catalog->create(control, ctx()));
    CHECK(r.field == "name");
    CHECK(r.message.find("control characters") != std::string::npos);
}

TEST_CASE("catalog: an image is a web link or a path, in any case of its scheme") {
    CatalogFixture f;
    int n = 0;
    for (const char* url : {"/uploads/shea.png", "shea.png", "HTTPS://cdn.example.com/a.png", "http://x/y.png?s=1:2"}) {
        CAPTURE(url);
        NewProduct p = tee();
        p.sku = "IMG-" + std::to_string(++n);
        p.image_url = url;
        CHECK(accepted(f.catalog->create(p, ctx())).image_url == url);
    }
}

TEST_CASE("catalog: fields written under older rules and sent back unchanged do not refuse an edit") {
    // The admin UI's form sends every field: a description or image written before today's checks stays
    // editable, while a change to them is checked.
    CatalogFixture f;
    const Product p = accepted(f.catalog->create(tee(), ctx()));
    ProductPatch old_rules;
    old_rules.description = std::string("soft\vcotton");
    old_rules.image_url = "data:image/png;base64,AAAA";
    f.log->append(request(
        {to_stream(events::product_stream(p.id), ExpectedVersion::any(), {events::product_updated(p.id, old_rules)})}));
    ProductPatch form = old_rules;
    form.price = Money{5100};
    const Product edited = accepted(f.catalog->update(p.id, form, ctx()));
    CHECK(edited.price == Money{5100});
    CHECK(edited.description == *old_rules.description);
    form.description = std::string("new\vtext");
    CHECK(refused(f.catalog->update(p.id, form, ctx())).field == "description");
}

TEST_CASE("catalog: update records only the changed fields, an unchanged patch appends nothing") {
    CatalogFixture f;
    accepted(f.catalog->create(tee(), ctx()));
    ProductPatch patch;
    patch.name = "Organic tee";
    patch.price = Money{5000};
    patch.category = "Apparel";  // unchanged
    const Product p = accepted(f.catalog->update(1001, patch, ctx()));
    CHECK(p.name == "Organic tee");
    CHECK(p.price == Money{5000});
    CHECK(p.version == 1);
    const auto events = f.stream("product-1001");
    REQUIRE(events.size() == 2);
    CHECK(events[1].type == "ProductUpdated");
    const auto changes = payload(events[1]).at("changes").as_object();
    CHECK(changes.size() == 2);
    CHECK(changes.at("price").as_int64() == 5000);
    const auto head = f.log->head();
    CHECK(accepted(f.catalog->update(1001, patch, ctx())).version == 1);
    CHECK(f.log->head() == head);
    // A weight and dimensions set, then cleared (an empty inner optional, an empty text); clearing again is no change.
    ProductPatch measured;
    measured.weight = 0.5;
    measured.dimensions_json = R"({"w":2})";
    CHECK(accepted(f.catalog->update(1001, measured, ctx())).weight == 0.5);
    ProductPatch cleared;
    cleared.weight.emplace();
    cleared.dimensions_json = "";
    const Product plain = accepted(f.catalog->update(1001, cleared, ctx()));
    CHECK_FALSE(plain.weight.has_value());
    CHECK(plain.dimensions_json.empty());
    const auto clearing = payload(f.stream("product-1001").back()).at("changes").as_object();
    CHECK(clearing.at("weight").is_null());
    CHECK(clearing.at("dimensions").is_null());
    const auto before_again = f.log->head();
    accepted(f.catalog->update(1001, cleared, ctx()));
    CHECK(f.log->head() == before_again);
    ProductPatch bad;
    bad.cost_price = Money{-1};
    CHECK(refused(f.catalog->update(1001, bad, ctx())).field == "costPrice");
    CHECK(refused(f.catalog->update(4242, patch, ctx())).kind == Rejection::Kind::not_found);
}

TEST_CASE("catalog: a SKU change moves the reservation in the same append, a taken SKU is refused") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01"), ctx()));
    accepted(f.catalog->create(tee("MUG-01"), ctx()));
    ProductPatch to_taken;
    to_taken.sku = "mug-01";
    CHECK(refused(f.catalog->update(1001, to_taken, ctx())).field == "sku");
    ProductPatch move;
    move.sku = "TEE-02";
    CHECK(accepted(f.catalog->update(1001, move, ctx())).sku == "TEE-02");
    CHECK(f.stream("product-sku-tee-01").back().type == "SkuReleased");
    CHECK(f.stream("product-sku-tee-02").back().type == "SkuReserved");
    CHECK_FALSE(f.catalog->find_by_sku("TEE-01").has_value());
    CHECK(f.catalog->find_by_sku("tee-02")->id == 1001);
    // The released SKU can be taken again.
    CHECK(accepted(f.catalog->create(tee("Tee-01"), ctx())).id == 1003);
    // A change of case only keeps the reservation.
    ProductPatch recase;
    recase.sku = "tee-02";
    CHECK(accepted(f.catalog->update(1001, recase, ctx())).sku == "tee-02");
    CHECK(f.stream("product-sku-tee-02").size() == 1);
}

TEST_CASE("catalog: deactivate once, a second time is a conflict, isActive true reactivates") {
    CatalogFixture f;
    accepted(f.catalog->create(tee(), ctx()));
    CHECK_FALSE(accepted(f.catalog->deactivate(1001, ctx())).is_active);
    CHECK(f.stream("product-1001").back().type == "ProductDeactivated");
    CHECK(refused(f.catalog->deactivate(1001, ctx())).kind == Rejection::Kind::conflict);
    CHECK(refused(f.catalog->deactivate(5555, ctx())).kind == Rejection::Kind::not_found);
    ProductPatch on;
    on.is_active = true;
    CHECK(accepted(f.catalog->update(1001, on, ctx())).is_active);
    ProductPatch off;
    off.is_active = false;
    CHECK_FALSE(accepted(f.catalog->update(1001, off, ctx())).is_active);
}

TEST_CASE("catalog: set_stock and adjust_stock keep on hand at or above what is reserved") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01", 10), ctx()));
    accepted(f.catalog->reserve(5001, {{1001, 4}}, ctx()));
    // given 10 on hand, 4 reserved
    CHECK(accepted(f.catalog->set_stock(1001, 12, "count", ctx())).stock_quantity == 12);
    const auto set = payload(f.stream("product-1001").back());
    CHECK(set.at("previous").as_int64() == 10);
    CHECK(set.at("reason").as_string() == "count");
    const Rejection below = refused(f.catalog->set_stock(1001, 3, "", ctx()));
    CHECK(below.kind == Rejection::Kind::conflict);
    CHECK(below.field == "stockQuantity");
    CHECK(detail(below, "reserved") == 4);
    CHECK(refused(f.catalog->set_stock(1001, -1, "", ctx())).field == "stockQuantity");
    const auto head = f.log->head();
    accepted(f.catalog->set_stock(1001, 12, "", ctx()));  // unchanged: nothing appended
    CHECK(f.log->head() == head);

    const Product p = accepted(f.catalog->adjust_stock(1001, -8, "damaged", ctx()));
    CHECK(p.stock_quantity == 4);
    CHECK(p.available() == 0);
    CHECK(payload(f.stream("product-1001").back()).at("delta").as_int64() == -8);
    CHECK(refused(f.catalog->adjust_stock(1001, -1, "lost", ctx())).kind == Rejection::Kind::conflict);
    CHECK(refused(f.catalog->adjust_stock(1001, 5, "  ", ctx())).field == "reason");
    CHECK(refused(f.catalog->adjust_stock(1001, 0, "noop", ctx())).field == "delta");
    CHECK(accepted(f.catalog->adjust_stock(1001, 6, "delivery", ctx())).stock_quantity == 10);
    CHECK(refused(f.catalog->adjust_stock(77, 6, "delivery", ctx())).kind == Rejection::Kind::not_found);
}

TEST_CASE("catalog: an update that also sets the stock is one append, refused whole below what is reserved") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01", 10), ctx()));
    accepted(f.catalog->reserve(5001, {{1001, 4}}, ctx()));
    // given 10 on hand, 4 reserved: a rename with a stock of 3 changes nothing
    ProductPatch edit;
    edit.name = "Renamed tee";
    edit.stock_quantity = 3;
    edit.stock_reason = "edited with the product";
    const auto head = f.log->head();
    const Rejection below = refused(f.catalog->update(1001, edit, ctx()));
    CHECK(below.kind == Rejection::Kind::conflict);
    CHECK(below.field == "stockQuantity");
    CHECK(f.log->head() == head);
    CHECK(f.catalog->find(1001)->name != "Renamed tee");
    // a stock of 12: the rename and the stock in one append, at the product's next two versions
    edit.stock_quantity = 12;
    const Product p = accepted(f.catalog->update(1001, edit, ctx()));
    CHECK(p.name == "Renamed tee");
    CHECK(p.stock_quantity == 12);
    const auto events = f.stream("product-1001");
    REQUIRE(events.size() == 4);
    CHECK(events[2].type == "ProductUpdated");
    CHECK(events[3].type == "StockSet");
    CHECK(events[3].position.value() == events[2].position.value() + 1);
    CHECK(payload(events[3]).at("reason").as_string() == "edited with the product");
    // the stock alone, unchanged: nothing appended
    ProductPatch same;
    same.stock_quantity = 12;
    const auto after = f.log->head();
    accepted(f.catalog->update(1001, same, ctx()));
    CHECK(f.log->head() == after);
}

TEST_CASE("catalog: reserve takes several products in one append, or none when one falls short") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01", 5), ctx()));
    accepted(f.catalog->create(tee("MUG-01", 3), ctx()));
    // when: duplicate lines of a product are merged
    const AppendResult r = accepted(f.catalog->reserve(5001, {{1001, 2}, {1002, 3}, {1001, 1}}, ctx()));
    // then
    CHECK(r.streams.size() == 2);
    CHECK(r.last_position.value() == r.first_position.value() + 1);
    CHECK(f.product(1001).reserved == 3);
    CHECK(f.stream("product-1001").back().payload.find(R"("quantity":3)") != std::string::npos);
    CHECK(f.product(1002).available() == 0);
    const auto head = f.log->head();
    const Rejection shortage = refused(f.catalog->reserve(5002, {{1001, 1}, {1002, 1}}, ctx()));
    CHECK(shortage.kind == Rejection::Kind::conflict);
    CHECK(shortage.message.find("insufficient stock") != std::string::npos);
    CHECK(detail(shortage, "productId") == 1002);
    CHECK(detail(shortage, "available") == 0);
    CHECK(detail(shortage, "requested") == 1);
    CHECK(f.log->head() == head);  // nothing reserved of product 1001 either
    CHECK(refused(f.catalog->reserve(5002, {{9999, 1}}, ctx())).kind == Rejection::Kind::not_found);
    CHECK(refused(f.catalog->reserve(5002, {{1001, 0}}, ctx())).field == "quantity");
    CHECK(refused(f.catalog->reserve(5002, {}, ctx())).field == "items");
    accepted(f.catalog->deactivate(1001, ctx()));
    CHECK(refused(f.catalog->reserve(5002, {{1001, 1}}, ctx())).kind == Rejection::Kind::conflict);
}

TEST_CASE("catalog: release returns reserved units and never more than the product has reserved") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01", 10), ctx()));
    accepted(f.catalog->reserve(5001, {{1001, 3}}, ctx()));
    accepted(f.catalog->reserve(5002, {{1001, 2}}, ctx()));
    const Rejection r = refused(f.catalog->release(5001, {{1001, 6}}, ctx()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(detail(r, "reserved") == 5);
    CHECK(detail(r, "requested") == 6);
    accepted(f.catalog->release(5001, {{1001, 3}}, ctx()));
    const Product p = f.product(1001);
    CHECK(p.reserved == 2);
    CHECK(p.stock_quantity == 10);
    CHECK(f.stream("product-1001").back().type == "StockReleased");
}

TEST_CASE("catalog: dispatch consumes reserved units off the shelf, a return puts them back") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01", 10), ctx()));
    accepted(f.catalog->reserve(5001, {{1001, 4}}, ctx()));
    CHECK(refused(f.catalog->consume(5001, {{1001, 5}}, ctx())).kind == Rejection::Kind::conflict);
    accepted(f.catalog->consume(5001, {{1001, 4}}, ctx()));
    Product p = f.product(1001);
    CHECK(p.stock_quantity == 6);
    CHECK(p.reserved == 0);
    CHECK(f.stream("product-1001").back().type == "StockConsumed");
    accepted(f.catalog->restock(5001, {{1001, 4}}, ctx()));
    p = f.product(1001);
    CHECK(p.stock_quantity == 10);
    CHECK(f.stream("product-1001").back().type == "StockRestocked");
    CHECK(refused(f.catalog->restock(5001, {{9999, 1}}, ctx())).kind == Rejection::Kind::not_found);
}

TEST_CASE("catalog: a retried command id reserves once and returns the original result") {
    CatalogFixture f;
    accepted(f.catalog->create(tee("TEE-01", 3), ctx()));
    const AppendResult first = accepted(f.catalog->reserve(5001, {{1001, 3}}, ctx("order-5001-reserve")));
    const AppendResult again = accepted(f.catalog->reserve(5001, {{1001, 3}}, ctx("order-5001-reserve")));
    CHECK(again.status == AppendStatus::duplicate);
    CHECK(again.last_position == first.last_position);
    CHECK(f.product(1001).reserved == 3);
    const Product created = accepted(f.catalog->create(tee("MUG-01"), ctx("create-mug")));
    f.reopen();
    CHECK(accepted(f.catalog->create(tee("MUG-01"), ctx("create-mug"))).id == created.id);
    CHECK(f.stream("product-" + std::to_string(created.id)).size() == 1);
}

TEST_CASE("catalog: the state after a reopen is the state before") {
    CatalogFixture f;
    NewProduct n = tee("TEE-01", 10);
    n.dimensions_json = R"({"w":1})";
    accepted(f.catalog->create(n, ctx()));
    accepted(f.catalog->reserve(5001, {{1001, 4}}, ctx()));
    accepted(f.catalog->consume(5001, {{1001, 1}}, ctx()));
    accepted(f.catalog->adjust_stock(1001, 2, "found", ctx()));
    ProductPatch patch;
    patch.sku = "TEE-09";
    patch.weight = 1.5;
    accepted(f.catalog->update(1001, patch, ctx()));
    const Product before = f.product(1001);
    f.reopen();
    CHECK(f.product(1001) == before);
    CHECK(f.catalog->find_by_sku("TEE-09")->id == 1001);
}

TEST_CASE("catalog: concurrent creates of one SKU in different cases: exactly one wins") {
    CatalogFixture f;
    constexpr int kThreads = 8;
    std::atomic<int> wins{0}, taken{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            const auto r = f.catalog->create(tee(i % 2 == 0 ? "RACE-1" : "race-1"), ctx());
            if (std::holds_alternative<Product>(r))
                ++wins;
            else if (std::get<Rejection>(r).field == "sku")
                ++taken;
        });
    }
    for (auto& t : threads) t.join();
    CHECK(wins == 1);
    CHECK(taken == kThreads - 1);
    CHECK(f.stream("product-sku-race-1").size() == 1);
    CHECK(f.log->sequence_next("product") == 1002);
}

TEST_CASE("catalog: concurrent reserves and releases keep 0 <= reserved <= on hand and add up exactly") {
    CatalogFixture f;
    constexpr int kProducts = 3;
    constexpr int kThreads = 6;
    constexpr int kOrdersPerThread = 25;
    for (int i = 0; i < kProducts; ++i) accepted(f.catalog->create(tee("P-" + std::to_string(i), 30), ctx()));
    std::mutex mu;
    std::map<ProductId, std::int64_t> expected_reserved;  // sum of successful reserves minus releases
    std::map<std::pair<OrderId, ProductId>, std::int64_t> expected_held;
    std::atomic<int> reserved_ok{0}, short_refused{0}, released_ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(t));
            for (int k = 0; k < kOrdersPerThread; ++k) {
                const OrderId order = 10'000 + t * 1000 + k;
                std::vector<StockLine> lines;
                for (int p = 0; p < kProducts; ++p) {
                    if (rng() % 2 == 0 || p == kProducts - 1)
                        lines.push_back({1001 + p, 1 + static_cast<int>(rng() % 4)});
                }
                const auto r = f.catalog->reserve(order, lines, ctx());
                if (const auto* rej = std::get_if<Rejection>(&r)) {
                    if (rej->message.find("insufficient") != std::string::npos) ++short_refused;
                    continue;
                }
                ++reserved_ok;
                {
                    std::lock_guard lock(mu);
                    for (const auto& l : lines) {
                        expected_reserved[l.product_id] += l.quantity;
                        expected_held[{order, l.product_id}] += l.quantity;
                    }
                }
                if (rng() % 3 == 0) continue;  // this order keeps its stock
                // A cancel: release everything the order holds, retried while other threads keep winning.
                for (;;) {
                    const auto rel = f.catalog->release(order, lines, ctx());
                    if (std::holds_alternative<AppendResult>(rel)) break;
                    REQUIRE(std::get<Rejection>(rel).message.find("concurrently") != std::string::npos);
                }
                ++released_ok;
                std::lock_guard lock(mu);
                for (const auto& l : lines) {
                    expected_reserved[l.product_id] -= l.quantity;
                    expected_held[{order, l.product_id}] -= l.quantity;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(reserved_ok > 0);
    CHECK(released_ok > 0);
    CHECK(short_refused > 0);  // the stock ran out: refusals were exercised too
    for (int i = 0; i < kProducts; ++i) {
        const ProductId id = 1001 + i;
        // Every intermediate state the stream passes through keeps the invariants.
        // Each order's share, from the stream's events: exactly what that order reserved and did not release.
        Product folded;
        std::map<OrderId, std::int64_t> held;
        for (const auto& e : f.stream("product-" + std::to_string(id))) {
            evolve(folded, e);
            REQUIRE(folded.reserved >= 0);
            REQUIRE(folded.reserved <= folded.stock_quantity);
            if (e.type != "StockReserved" && e.type != "StockReleased") continue;
            const auto o = codd::engine::json::parse_object(e.payload);
            const std::int64_t q = codd::engine::json::int_at(o, "quantity");
            held[codd::engine::json::int_at(o, "orderId")] += e.type == "StockReserved" ? q : -q;
        }
        CHECK(folded.stock_quantity == 30);
        CHECK(folded.reserved == expected_reserved[id]);
        for (const auto& [order, qty] : held) CHECK(expected_held[{order, id}] == qty);
    }
    CHECK(f.product(1001).reserved == expected_reserved[1001]);
}

TEST_CASE("catalog: a product's stream name gives back its id, and no other stream gives one") {
    for (const ProductId id : {ProductId{1}, ProductId{1001}, ProductId{9'223'372'036'854'775'807}}) {
        CAPTURE(id);
        CHECK(events::product_of_stream(events::product_stream(id)) == id);
    }
    for (const std::string_view other :
         {"product-", "product-0", "product-012", "product--5", "product-+5", "product-12x", "product-1 ",
          "product-99999999999999999999", "product-sku-abc", "product-sku-12", "order-12", "products-12", ""}) {
        CAPTURE(other);
        CHECK_FALSE(events::product_of_stream(other).has_value());
    }
}

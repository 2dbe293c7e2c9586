// The event contract (DESIGN §2, §3): schemas/events/<Type>.v<N>.schema.json for every event type the
// engine writes. Checks that (a) each encoder's payloads, with optional fields set and unset, validate
// against the schema of their type and version; (b) each example in schemas/events/examples/ validates;
// (c) the event types declared in engine/**/*_events.hpp, the schema files and the encoders tested here
// are the same set; (d) file names, $id and title agree, and the schemas stay within the validator's
// subset with every object closed or deliberately open.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "engine/catalog/catalog_events.hpp"
#include "engine/catalog/catalog_service.hpp"
#include "engine/customers/customer_events.hpp"
#include "engine/customers/customer_service.hpp"
#include "engine/orders/order_events.hpp"
#include "engine/users/user_events.hpp"
#include "tests/schemas/json_schema.hpp"

namespace bj = boost::json;
namespace fs = std::filesystem;
using codd::engine::Money;
using codd::engine::NewEvent;

namespace {

const fs::path kSourceDir = CODD_SOURCE_DIR;
const fs::path kSchemaDir = kSourceDir / "schemas" / "events";
const fs::path kExampleDir = kSchemaDir / "examples";

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE_MESSAGE(in, "cannot read " << p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bj::value read_json(const fs::path& p) {
    try {
        return bj::parse(read_text(p));
    } catch (const std::exception& e) {
        FAIL(p.string() << ": " << e.what());
    }
    return nullptr;
}

std::string schema_file(std::string_view type, std::uint32_t version) {
    return std::string(type) + ".v" + std::to_string(version) + ".schema.json";
}

// <Type>.v<N>.schema.json -> (Type, N)
const std::regex kSchemaName(R"(([A-Z][A-Za-z]*)\.v([1-9][0-9]*)\.schema\.json)");
const std::regex kExampleName(R"(([A-Z][A-Za-z]*)\.v([1-9][0-9]*)\.json)");

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_regular_file()) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::set<std::string> schema_types() {
    std::set<std::string> types;
    std::smatch m;
    for (const auto& p : files_in(kSchemaDir)) {
        const std::string name = p.filename().string();
        if (std::regex_match(name, m, kSchemaName)) types.insert(m[1]);
    }
    return types;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += "\n  " + l;
    return out;
}

// Validates the payload of `e` against the schema of its type and version.
void check_payload(const NewEvent& e) {
    CAPTURE(e.type);
    CAPTURE(e.payload);
    const fs::path schema = kSchemaDir / schema_file(e.type, e.schema_version);
    REQUIRE_MESSAGE(fs::exists(schema), "no schema " << schema);
    const auto errors = codd::tests::schema::validate(read_json(schema), bj::parse(e.payload));
    CHECK_MESSAGE(errors.empty(),
                  e.type << " v" << e.schema_version << " payload violates its schema:" << joined(errors));
}

// --- representative encoder inputs: every optional field set, and unset ---

std::vector<NewEvent> user_events() {
    namespace u = codd::engine::users;
    namespace ev = codd::engine::users::events;
    std::vector<NewEvent> out;
    u::User full;
    full.id = 1001;
    full.email = "ama@example.com";
    full.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    full.first_name = "Ama";
    full.last_name = "Mensah";
    full.phone_number = "+233241234567";
    full.commission_minor = 500;
    full.delivery_rate_minor = 1500;
    full.country = "GH";
    full.vehicle_type = "motorbike";
    full.vehicle_id = "GR-1";
    full.location = "Accra";
    for (const auto role : u::kAllRoles) {
        full.role = role;
        out.push_back(ev::user_created(full));
        out.push_back(ev::user_role_changed(full.id, role, u::Role::sales_rep));
    }
    u::User bare;
    bare.id = 1002;
    bare.email = "kofi@example.com";
    bare.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    out.push_back(ev::user_created(bare));

    u::UserPatch all{
        "new@example.com", "A", "B", "+233200000000", "TG", "van", "V-2", "Tema", u::Role::admin, true, 700, 1800};
    out.push_back(ev::user_updated(1001, all));
    out.push_back(ev::user_updated(1001, u::UserPatch{}));
    u::UserPatch deactivate;
    deactivate.is_active = false;
    out.push_back(ev::user_updated(1001, deactivate));

    out.push_back(ev::user_deactivated(1001));
    out.push_back(ev::user_password_reset(1001, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$bmV3"));
    out.push_back(ev::user_availability_changed(1001, false));
    out.push_back(ev::user_availability_changed(1001, true));
    out.push_back(ev::user_preferences_changed(1001, "{}"));
    out.push_back(ev::user_preferences_changed(1001, R"({"theme":"dark","nested":{"a":[1,2]}})"));
    out.push_back(ev::user_logged_in(1001));
    out.push_back(ev::email_reserved("ama@example.com", 1001));
    out.push_back(ev::email_released("ama@example.com", 1001));

    u::Session s;
    s.family = "f3a9c1d27b8e4f60";
    s.user_id = 1001;
    s.current_jti_digest = std::string(64, 'a');
    s.expires_us = 1'767'225'600'000'000;
    s.user_version = 0;
    out.push_back(ev::session_started(s));
    out.push_back(ev::session_rotated(s.family, std::string(64, 'b'), s.expires_us + 1));
    for (const auto reason : {u::RevokeReason::logout, u::RevokeReason::reuse_detected,
                              u::RevokeReason::user_deactivated, u::RevokeReason::password_reset}) {
        out.push_back(ev::session_revoked(s.family, 1001, reason));
    }
    out.push_back(ev::permissions_updated(u::default_permissions()));
    out.push_back(ev::permissions_updated(u::PermissionMatrix{}));
    out.push_back(ev::settings_updated("{}"));
    out.push_back(ev::settings_updated(R"({"currency":"GHS","limits":{"perDay":3}})"));
    return out;
}

std::vector<NewEvent> catalog_events() {
    namespace c = codd::engine::catalog;
    namespace ev = codd::engine::catalog::events;
    std::vector<NewEvent> out;
    c::Product full;
    full.id = 5;
    full.sku = "TEE-01";
    full.name = "Cotton tee";
    full.description = "Plain";
    full.category = "apparel";
    full.price = Money{12500};
    full.cost_price = Money{6000};
    full.stock_quantity = 40;
    full.image_url = "https://cdn.example.com/tee.jpg";
    full.weight = 0.25;
    full.dimensions_json = R"({"length":30,"unit":"cm"})";
    out.push_back(ev::product_created(full));
    c::Product bare;
    bare.id = 6;
    bare.sku = "MUG";
    bare.name = "Mug";
    out.push_back(ev::product_created(bare));

    c::ProductPatch all;
    all.sku = "TEE-02";
    all.name = "Tee";
    all.description = "d";
    all.category = "c";
    all.image_url = "u";
    all.dimensions_json = R"({"w":1})";
    all.price = Money{1};
    all.cost_price = Money{0};
    all.low_stock_threshold = 3;
    all.weight = 2.0;
    all.is_active = true;
    out.push_back(ev::product_updated(5, all));
    all.dimensions_json = "";  // clears the dimensions: null
    all.is_active = false;
    out.push_back(ev::product_updated(5, all));
    out.push_back(ev::product_updated(5, c::ProductPatch{}));

    out.push_back(ev::product_deactivated(5));
    out.push_back(ev::stock_set(5, 50, 40, "count"));
    out.push_back(ev::stock_adjusted(5, -2, 48, "damaged"));
    out.push_back(ev::stock_adjusted(5, 3, 51, ""));
    out.push_back(ev::stock_reserved(5, 1001, 2));
    out.push_back(ev::stock_released(5, 1001, 2));
    out.push_back(ev::stock_consumed(5, 1001, 2));
    out.push_back(ev::stock_restocked(5, 1001, 1));
    out.push_back(ev::sku_reserved("tee-01", 5));
    out.push_back(ev::sku_released("tee-01", 5));
    return out;
}

std::vector<NewEvent> customer_events() {
    namespace c = codd::engine::customers;
    namespace ev = codd::engine::customers::events;
    std::vector<NewEvent> out;
    c::Customer full;
    full.id = 17;
    full.first_name = "Kofi";
    full.last_name = "Boateng";
    full.email = "kofi@example.com";
    full.phone_number = "+233241234567";
    full.alternate_phone = "+233201112222";
    full.address = "12 Ring Road";
    full.state = "Greater Accra";
    full.area = "Osu";
    full.landmark = "mall";
    full.tags = {"vip", "repeat"};
    full.notes = "call first";
    out.push_back(ev::customer_created(full));
    c::Customer bare;
    bare.id = 18;
    bare.phone_number = "0241234567";
    out.push_back(ev::customer_created(bare));

    c::CustomerPatch all{"A", "B", "a@b.c", "+233200000000", "+233200000001", "addr", "st", "ar", "lm", "n", true};
    out.push_back(ev::customer_updated(17, all));
    all.is_active = false;
    out.push_back(ev::customer_updated(17, all));
    out.push_back(ev::customer_updated(17, c::CustomerPatch{}));
    out.push_back(ev::customer_deactivated(17));
    out.push_back(ev::customer_tags_changed(17, {"a", "b"}));
    out.push_back(ev::customer_tags_changed(17, {}));
    out.push_back(ev::phone_reserved("+233241234567", 17));
    out.push_back(ev::phone_released("+233241234567", 17));
    return out;
}

std::vector<NewEvent> order_events() {
    namespace o = codd::engine::orders;
    namespace ev = codd::engine::orders::events;
    std::vector<NewEvent> out;
    o::Order full;
    full.id = 1001;
    full.customer_id = 17;
    full.customer_rep_id = 1002;
    full.delivery_agent_id = 1003;
    full.created_by = 1004;
    full.items = {{1, 5, 2, Money{12500}, Money{25000}, "package", R"({"color":"red"})"},
                  {2, 9, 1, Money{3000}, Money{3000}, "upsell", ""}};
    full.subtotal = Money{28000};
    full.shipping_cost = Money{2000};
    full.discount = Money{1000};
    full.total_amount = Money{29000};
    full.cod_amount = Money{29000};
    full.notes = "n";
    full.internal_notes = "i";
    full.delivery_address = "12 Ring Road";
    full.delivery_state = "Greater Accra";
    full.delivery_area = "Osu";
    full.estimated_delivery_us = 1'767'225'600'000'000;
    full.priority = 2;
    full.tags = {"rush"};
    full.source = "webhook";
    full.external_order_id = "shop-77";
    for (const auto ps : {o::PaymentStatus::pending, o::PaymentStatus::collected, o::PaymentStatus::deposited,
                          o::PaymentStatus::reconciled}) {
        full.payment_status = ps;
        out.push_back(ev::order_created(full));
    }
    for (const auto status : o::kAllStatuses) {
        full.status = status;
        out.push_back(ev::order_created(full));
    }
    o::Order bare;
    bare.id = 1002;
    bare.customer_id = 18;
    out.push_back(ev::order_created(bare));
    for (const char* source : {"manual", "bulk_import", "checkout_form"}) {
        bare.source = source;
        out.push_back(ev::order_created(bare));
    }
    out.push_back(ev::order_items_replaced(full));
    out.push_back(ev::order_items_replaced(bare));

    ev::OrderChanges all;
    all.customer_id = 18;
    all.notes = "n";
    all.internal_notes = "i";
    all.delivery_address = "a";
    all.delivery_state = "s";
    all.delivery_area = "r";
    all.estimated_delivery_us = std::optional<std::int64_t>{1'767'225'600'000'000};
    all.priority = 1;
    all.tags = std::vector<std::string>{"x"};
    all.shipping_cost = Money{1};
    all.discount = Money{2};
    all.subtotal = Money{3};
    all.total_amount = Money{4};
    all.cod_amount = Money{5};
    out.push_back(ev::order_updated(1001, all));
    all.estimated_delivery_us = std::optional<std::int64_t>{};  // cleared: null
    out.push_back(ev::order_updated(1001, all));
    out.push_back(ev::order_updated(1001, ev::OrderChanges{}));

    for (const auto from : o::kAllStatuses) {
        for (const auto to : o::kAllStatuses)
            out.push_back(ev::order_status_changed(1001, from, to, from != to, "", ""));
    }
    out.push_back(ev::order_status_changed(1001, o::OrderStatus::delivered, o::OrderStatus::cancelled, true,
                                           "customer refused", "notes"));
    out.push_back(ev::order_rep_assigned(1001, 1002, std::nullopt));
    out.push_back(ev::order_rep_assigned(1001, 1002, 1005));
    out.push_back(ev::order_agent_assigned(1001, 1003, std::nullopt));
    out.push_back(ev::order_agent_assigned(1001, 1003, 1006));
    out.push_back(ev::delivery_scheduled(1001, 1'767'225'600'000'000, ""));
    out.push_back(ev::delivery_attempted(1001, 1, "gate closed"));
    for (const auto type : {o::ProofType::signature, o::ProofType::photo, o::ProofType::otp}) {
        out.push_back(
            ev::delivery_proof_recorded(1001, o::DeliveryProof{type, "data", "https://x/y.jpg", "Kofi", "+233"}));
    }
    out.push_back(ev::delivery_proof_recorded(1001, o::DeliveryProof{}));
    out.push_back(ev::delivery_failed(1001, "not home", 2));
    out.push_back(ev::payment_collected(1001, 1003, Money{29000}, 1'767'225'600'000'000));
    out.push_back(ev::payment_deposited(1001, 3, Money{29000}));
    out.push_back(ev::payment_reconciled(1001, 3));
    out.push_back(ev::cash_collected(1003, 1001, Money{29000}, 1'767'225'600'000'000));
    const std::vector<o::OpenCollection> allocations{{1001, Money{29000}, 1}, {1005, Money{6000}, 2}};
    out.push_back(ev::cash_deposited(1003, 3, Money{35000}, "MOMO-1", allocations));
    out.push_back(ev::cash_deposited(1003, 4, Money{0}, "", {}));
    out.push_back(ev::deposit_recorded(3, 1003, Money{35000}, "MOMO-1", "n", 1007, allocations));
    out.push_back(ev::deposit_recorded(4, 1003, Money{0}, "", "", std::nullopt, {}));
    out.push_back(ev::deposit_reconciled(3, "ok", 1007));
    out.push_back(ev::deposit_reconciled(3, "", std::nullopt));
    out.push_back(ev::expense_recorded(7, "fuel", Money{15000}, "d", "https://x/r.jpg", 1'767'225'600'000'000, 1007));
    out.push_back(ev::expense_recorded(8, "misc", Money{1}, "", "", 0, std::nullopt));
    return out;
}

// Schema policy beyond the subset: an object either lists its properties and closes itself
// (additionalProperties: false), or says what else it takes (a schema, or true for free-form JSON); a
// required property is a declared one.
void lint(const bj::value& node, const std::string& path, std::vector<std::string>& problems) {
    const auto& s = node.get_object();
    const auto* type = s.if_contains("type");
    bool is_object = false;
    if (type && type->is_string()) is_object = type->get_string() == "object";
    if (type && type->is_array()) {
        for (const auto& t : type->get_array()) is_object = is_object || t.get_string() == "object";
    }
    if (!type) problems.push_back(path + ": no type");
    if (is_object && !s.contains("additionalProperties"))
        problems.push_back(path + ": object without additionalProperties");
    const bj::object* properties = nullptr;
    if (const auto* p = s.if_contains("properties")) properties = &p->get_object();
    if (const auto* required = s.if_contains("required")) {
        for (const auto& key : required->get_array()) {
            if (!properties || !properties->contains(key.get_string())) {
                problems.push_back(path + ": required " + std::string(key.get_string()) + " is not a property");
            }
        }
    }
    if (properties) {
        for (const auto& [key, sub] : *properties) lint(sub, path + "/properties/" + std::string(key), problems);
    }
    if (const auto* extra = s.if_contains("additionalProperties"); extra && extra->is_object()) {
        lint(*extra, path + "/additionalProperties", problems);
    }
    if (const auto* items = s.if_contains("items")) lint(*items, path + "/items", problems);
}

}  // namespace

TEST_CASE("schemas: the encoders' payloads validate against their schemas") {
    SUBCASE("users, sessions, settings") {
        for (const auto& e : user_events()) check_payload(e);
    }
    SUBCASE("catalog, SKU reservations") {
        for (const auto& e : catalog_events()) check_payload(e);
    }
    SUBCASE("customers, phone reservations") {
        for (const auto& e : customer_events()) check_payload(e);
    }
    SUBCASE("orders, delivery, payments, agent cash, deposits, expenses") {
        for (const auto& e : order_events()) check_payload(e);
    }
}

TEST_CASE("schemas: every schema is exercised by an encoder above") {
    std::set<std::string> encoded;
    for (const auto& list : {user_events(), catalog_events(), customer_events(), order_events()}) {
        for (const auto& e : list) encoded.insert(e.type);
    }
    CHECK(encoded == schema_types());
}

TEST_CASE("schemas: every example validates against its schema, and every schema has one") {
    std::set<std::string> examples;
    std::smatch m;
    for (const auto& p : files_in(kExampleDir)) {
        const std::string name = p.filename().string();
        CAPTURE(name);
        REQUIRE(std::regex_match(name, m, kExampleName));
        const fs::path schema = kSchemaDir / (std::string(m[1]) + ".v" + std::string(m[2]) + ".schema.json");
        REQUIRE_MESSAGE(fs::exists(schema), "an example without a schema");
        const auto errors = codd::tests::schema::validate(read_json(schema), read_json(p));
        CHECK_MESSAGE(errors.empty(), name << " violates its schema:" << joined(errors));
        examples.insert(schema.filename().string());
    }
    std::set<std::string> schemas;
    for (const auto& p : files_in(kSchemaDir)) schemas.insert(p.filename().string());
    CHECK(examples == schemas);
}

TEST_CASE("schemas: the event types of the engine headers and the schema files are the same set") {
    // inline constexpr std::string_view kOrderCreated = "OrderCreated"; (stream and sequence names aside)
    const std::regex constant(R"re(inline\s+constexpr\s+std::string_view\s+(k\w+)\s*=\s*"([^"]*)")re");
    std::set<std::string> declared;
    std::vector<std::string> headers;
    for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / "engine")) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || !name.ends_with("_events.hpp")) continue;
        headers.push_back(name);
        const std::string text = read_text(entry.path());
        for (auto it = std::sregex_iterator(text.begin(), text.end(), constant); it != std::sregex_iterator(); ++it) {
            const std::string id = (*it)[1];
            if (id.ends_with("Sequence") || id.ends_with("Stream")) continue;
            declared.insert((*it)[2]);
        }
    }
    CAPTURE(joined(headers));
    REQUIRE(headers.size() >= 4);
    CHECK(declared.contains("UserCreated"));
    CHECK(declared.contains("ProductCreated"));
    CHECK(declared.contains("CustomerCreated"));
    CHECK(declared.contains("OrderCreated"));
    const auto files = schema_types();
    for (const auto& t : declared) CHECK_MESSAGE(files.contains(t), "event type " << t << " has no schema file");
    for (const auto& t : files) CHECK_MESSAGE(declared.contains(t), "schema file for an undeclared event type " << t);
}

TEST_CASE("schemas: file names, $id and title agree, and every schema is within the subset") {
    std::smatch m;
    const auto files = files_in(kSchemaDir);
    REQUIRE_FALSE(files.empty());
    for (const auto& p : files) {
        const std::string name = p.filename().string();
        CAPTURE(name);
        REQUIRE_MESSAGE(std::regex_match(name, m, kSchemaName), "not named <Type>.v<N>.schema.json");
        const std::string type = m[1], version = m[2];
        const bj::value schema = read_json(p);
        REQUIRE(schema.is_object());
        const auto& s = schema.get_object();
        CHECK(s.contains("$schema"));
        if (s.contains("$schema")) CHECK(s.at("$schema") == bj::value("https://json-schema.org/draft/2020-12/schema"));
        CHECK(s.contains("$id"));
        if (s.contains("$id")) CHECK(s.at("$id") == bj::value("urn:codd:events:" + type + ":v" + version));
        CHECK(s.contains("title"));
        if (s.contains("title")) CHECK(s.at("title") == bj::value(type + " v" + version));
        CHECK(s.contains("description"));
        CHECK(s.contains("type"));
        if (s.contains("type")) CHECK(s.at("type") == bj::value("object"));
        CHECK_NOTHROW(codd::tests::schema::check_schema(schema));
        std::vector<std::string> problems;
        lint(schema, "#", problems);
        CHECK_MESSAGE(problems.empty(), joined(problems));
    }
}

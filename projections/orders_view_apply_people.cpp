// The orders view's handlers of user, customer and catalog events (engine/users, engine/customers,
// engine/catalog). Renaming a customer or a user rewrites the names denormalized on their orders.
#include "engine/catalog/catalog_events.hpp"
#include "engine/customers/customer_events.hpp"
#include "engine/users/user_events.hpp"
#include "projections/orders_view_apply.hpp"

namespace codd::projections::orders_view {
namespace {

namespace user_events = engine::users::events;
namespace customer_events = engine::customers::events;
namespace catalog_events = engine::catalog::events;

// --- users ---

constexpr Column kUserColumns[] = {
    {"email", "email", Kind::text},
    {"firstName", "first_name", Kind::text},
    {"lastName", "last_name", Kind::text},
    {"phoneNumber", "phone_number", Kind::text},
    {"country", "country", Kind::text},
    {"vehicleType", "vehicle_type", Kind::text},
    {"vehicleId", "vehicle_id", Kind::text},
    {"location", "location", Kind::text},
    {"commissionMinor", "commission_minor", Kind::optional_integer},
    {"deliveryRateMinor", "delivery_rate_minor", Kind::optional_integer},
    {"isActive", "is_active", Kind::boolean},
};

void user_created(Database& db, const RecordedEvent& e, const Fields& f) {
    db.cached(R"sql(
        INSERT INTO users (id, email, first_name, last_name, phone_number, role, is_active, is_available,
                           commission_minor, delivery_rate_minor, country, vehicle_type, vehicle_id, location,
                           created_us, updated_us)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15))sql")
        .bind(1, f.integer("id"))
        .bind(2, f.text("email"))
        .bind(3, f.text("firstName"))
        .bind(4, f.text("lastName"))
        .bind(5, f.text("phoneNumber"))
        .bind(6, f.text("role"))
        .bind(7, f.boolean("isActive") ? 1 : 0)
        .bind(8, f.boolean("isAvailable") ? 1 : 0)
        .bind(9, f.optional_integer("commissionMinor"))
        .bind(10, f.optional_integer("deliveryRateMinor"))
        .bind(11, f.text("country"))
        .bind(12, f.text("vehicleType"))
        .bind(13, f.text("vehicleId"))
        .bind(14, f.text("location"))
        .bind(15, e.time_us)
        .run();
}

// While a rebuild loads the file, who was renamed (kind 'customer' or 'user'), for rename_after_load: a temporary
// table of the loading connection, made at the first rename.
void note_renamed(Database& db, std::string_view kind, std::int64_t id) {
    db.exec(
        "CREATE TEMP TABLE IF NOT EXISTS renamed_while_loading (kind TEXT NOT NULL, id INTEGER NOT NULL, "
        "PRIMARY KEY (kind, id)) WITHOUT ROWID");
    db.cached("INSERT OR IGNORE INTO temp.renamed_while_loading (kind, id) VALUES (?1, ?2)")
        .bind(1, kind)
        .bind(2, id)
        .run();
}

// The rep and agent names on the user's orders follow a rename (orders_rep_created / orders_agent_created).
void rename_on_orders(Database& db, std::int64_t user_id) {
    if (db.loading()) return note_renamed(db, "user", user_id);
    db.cached(R"sql(
        UPDATE orders SET (rep_first_name, rep_last_name) = (SELECT first_name, last_name FROM users WHERE id = ?1)
        WHERE customer_rep_id = ?1)sql")
        .bind(1, user_id)
        .run();
    db.cached(R"sql(
        UPDATE orders SET (agent_first_name, agent_last_name) = (SELECT first_name, last_name FROM users WHERE id = ?1)
        WHERE delivery_agent_id = ?1)sql")
        .bind(1, user_id)
        .run();
}

void user_updated(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    const auto changes = f.object("changes");
    update_columns(db, "users", id, changes, kUserColumns, e.time_us);
    if (changes.has("firstName") || changes.has("lastName")) rename_on_orders(db, id);
}

void user_role_changed(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    db.cached("UPDATE users SET role = ?1, updated_us = ?2 WHERE id = ?3")
        .bind(1, f.text("role"))
        .bind(2, e.time_us)
        .bind(3, id)
        .run();
    expect_one_row(db, "users", id);
}

void user_deactivated(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    db.cached("UPDATE users SET is_active = 0, updated_us = ?1 WHERE id = ?2").bind(1, e.time_us).bind(2, id).run();
    expect_one_row(db, "users", id);
}

void user_availability_changed(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    db.cached("UPDATE users SET is_available = ?1, updated_us = ?2 WHERE id = ?3")
        .bind(1, f.boolean("isAvailable") ? 1 : 0)
        .bind(2, e.time_us)
        .bind(3, id)
        .run();
    expect_one_row(db, "users", id);
}

// --- customers ---

constexpr Column kCustomerColumns[] = {
    {"firstName", "first_name", Kind::text},
    {"lastName", "last_name", Kind::text},
    {"email", "email", Kind::text},
    {"phoneNumber", "phone_number", Kind::text},
    {"alternatePhone", "alternate_phone", Kind::text},
    {"address", "address", Kind::text},
    {"state", "state", Kind::text},
    {"area", "area", Kind::text},
    {"landmark", "landmark", Kind::text},
    {"notes", "notes", Kind::text},
    {"isActive", "is_active", Kind::boolean},
};

// The phone as customers.phone_reversed keeps it, for searches by the digits it ends with.
std::string reversed(std::string_view phone) {
    return {phone.rbegin(), phone.rend()};
}

void customer_created(Database& db, const RecordedEvent& e, const Fields& f) {
    db.cached(R"sql(
        INSERT INTO customers (id, first_name, last_name, email, phone_number, alternate_phone, address, state, area,
                               landmark, tags, notes, is_active, created_us, updated_us, phone_reversed)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15))sql")
        .bind(1, f.integer("id"))
        .bind(2, f.text("firstName"))
        .bind(3, f.text("lastName"))
        .bind(4, f.text("email"))
        .bind(5, f.text("phoneNumber"))
        .bind(6, f.text("alternatePhone"))
        .bind(7, f.text("address"))
        .bind(8, f.text("state"))
        .bind(9, f.text("area"))
        .bind(10, f.text("landmark"))
        .bind(11, f.array_json("tags"))
        .bind(12, f.text("notes"))
        .bind(13, f.boolean("isActive") ? 1 : 0)
        .bind(14, e.time_us)
        .bind(15, reversed(f.text("phoneNumber")))
        .run();
}

void customer_updated(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    const auto changes = f.object("changes");
    update_columns(db, "customers", id, changes, kCustomerColumns, e.time_us);
    if (changes.has("phoneNumber")) {
        db.cached("UPDATE customers SET phone_reversed = ?2 WHERE id = ?1")
            .bind(1, id)
            .bind(2, reversed(changes.text("phoneNumber")))
            .run();
    }
    if (!changes.has("firstName") && !changes.has("lastName") && !changes.has("phoneNumber")) return;
    if (db.loading()) {
        note_renamed(db, "customer", id);
    } else {
        db.cached(R"sql(
            UPDATE orders SET (customer_first_name, customer_last_name, customer_phone) =
                (SELECT first_name, last_name, phone_number FROM customers WHERE id = ?1)
            WHERE customer_id = ?1)sql")
            .bind(1, id)
            .run();
    }
}

void customer_deactivated(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    db.cached("UPDATE customers SET is_active = 0, updated_us = ?1 WHERE id = ?2").bind(1, e.time_us).bind(2, id).run();
    expect_one_row(db, "customers", id);
}

void customer_tags_changed(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    db.cached("UPDATE customers SET tags = ?1, updated_us = ?2 WHERE id = ?3")
        .bind(1, f.array_json("tags"))
        .bind(2, e.time_us)
        .bind(3, id)
        .run();
    expect_one_row(db, "customers", id);
}

// --- catalog ---

constexpr Column kProductColumns[] = {
    {"sku", "sku", Kind::text},
    {"name", "name", Kind::text},
    {"description", "description", Kind::text},
    {"category", "category", Kind::text},
    {"price", "price", Kind::integer},
    {"costPrice", "cost_price", Kind::integer},
    {"lowStockThreshold", "low_stock_threshold", Kind::integer},
    {"imageUrl", "image_url", Kind::text},
    {"weight", "weight", Kind::number},
    {"dimensions", "dimensions", Kind::json},
    {"isActive", "is_active", Kind::boolean},
};

void product_created(Database& db, const RecordedEvent& e, const Fields& f) {
    db.cached(R"sql(
        INSERT INTO products (id, sku, name, description, category, price, cost_price, stock, low_stock_threshold,
                              image_url, weight, dimensions, is_active, created_us, updated_us)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14))sql")
        .bind(1, f.integer("id"))
        .bind(2, f.text("sku"))
        .bind(3, f.text("name"))
        .bind(4, f.text("description"))
        .bind(5, f.text("category"))
        .bind(6, f.integer("price"))
        .bind(7, f.integer("costPrice"))
        .bind(8, f.integer("stockQuantity"))
        .bind(9, f.integer("lowStockThreshold"))
        .bind(10, f.text("imageUrl"))
        .bind(11, f.optional_number("weight"))
        .bind(12, f.optional_json("dimensions"))
        .bind(13, f.boolean("isActive") ? 1 : 0)
        .bind(14, e.time_us)
        .run();
}

void product_updated(Database& db, const RecordedEvent& e, const Fields& f) {
    update_columns(db, "products", f.integer("id"), f.object("changes"), kProductColumns, e.time_us);
}

void product_deactivated(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto id = f.integer("id");
    db.cached("UPDATE products SET is_active = 0, updated_us = ?1 WHERE id = ?2").bind(1, e.time_us).bind(2, id).run();
    expect_one_row(db, "products", id);
}

// Stock moves: `stock` is on hand (reserved units included), as in engine/catalog/product.hpp.
void stock_move(Database& db, const RecordedEvent& e, std::int64_t id, std::int64_t stock_delta,
                std::int64_t reserved_delta) {
    db.cached("UPDATE products SET stock = stock + ?1, reserved = reserved + ?2, updated_us = ?3 WHERE id = ?4")
        .bind(1, stock_delta)
        .bind(2, reserved_delta)
        .bind(3, e.time_us)
        .bind(4, id)
        .run();
    expect_one_row(db, "products", id);
}

// A stock set or adjustment moves the units on hand by what its decision changed, as the engine folds it
// (engine/catalog/product.cpp): an order's stock move appended meanwhile stays counted.
void stock_set(Database& db, const RecordedEvent& e, const Fields& f) {
    stock_move(db, e, f.integer("id"), f.integer("quantity") - f.integer("previous"), 0);
}

void stock_adjusted(Database& db, const RecordedEvent& e, const Fields& f) {
    stock_move(db, e, f.integer("id"), f.integer("delta"), 0);
}

void stock_reserved(Database& db, const RecordedEvent& e, const Fields& f) {
    stock_move(db, e, f.integer("id"), 0, f.integer("quantity"));
}

void stock_released(Database& db, const RecordedEvent& e, const Fields& f) {
    stock_move(db, e, f.integer("id"), 0, -f.integer("quantity"));
}

void stock_consumed(Database& db, const RecordedEvent& e, const Fields& f) {
    const auto q = f.integer("quantity");
    stock_move(db, e, f.integer("id"), -q, -q);
}

void stock_restocked(Database& db, const RecordedEvent& e, const Fields& f) {
    stock_move(db, e, f.integer("id"), f.integer("quantity"), 0);
}

}  // namespace

void rename_after_load(Database& db) {
    {
        auto noted =
            db.prepare("SELECT 1 FROM sqlite_temp_schema WHERE type = 'table' AND name = 'renamed_while_loading'");
        if (!noted.step()) return;  // nobody was renamed
    }
    const auto renamed = [&db](std::string_view kind) {
        auto q = db.prepare("SELECT EXISTS (SELECT 1 FROM temp.renamed_while_loading WHERE kind = ?1)");
        q.bind(1, kind);
        return q.step() && q.column_int(0) != 0;
    };
    // Without the indexes on the people's ids (created after this), each is one pass over the orders.
    if (renamed("customer")) {
        db.exec(R"sql(
            UPDATE orders SET (customer_first_name, customer_last_name, customer_phone) =
                (SELECT first_name, last_name, phone_number FROM customers c WHERE c.id = orders.customer_id)
            WHERE customer_id IN (SELECT id FROM temp.renamed_while_loading WHERE kind = 'customer'))sql");
    }
    if (renamed("user")) {
        db.exec(R"sql(
            UPDATE orders SET (rep_first_name, rep_last_name) =
                (SELECT first_name, last_name FROM users u WHERE u.id = orders.customer_rep_id)
            WHERE customer_rep_id IN (SELECT id FROM temp.renamed_while_loading WHERE kind = 'user'))sql");
        db.exec(R"sql(
            UPDATE orders SET (agent_first_name, agent_last_name) =
                (SELECT first_name, last_name FROM users u WHERE u.id = orders.delivery_agent_id)
            WHERE delivery_agent_id IN (SELECT id FROM temp.renamed_while_loading WHERE kind = 'user'))sql");
    }
    db.exec("DROP TABLE temp.renamed_while_loading");
}

std::vector<HandlerEntry> people_handlers() {
    return {
        {user_events::kUserCreated, user_created},
        {user_events::kUserUpdated, user_updated},
        {user_events::kUserRoleChanged, user_role_changed},
        {user_events::kUserDeactivated, user_deactivated},
        {user_events::kUserAvailabilityChanged, user_availability_changed},
        {customer_events::kCustomerCreated, customer_created},
        {customer_events::kCustomerUpdated, customer_updated},
        {customer_events::kCustomerDeactivated, customer_deactivated},
        {customer_events::kCustomerTagsChanged, customer_tags_changed},
        {catalog_events::kProductCreated, product_created},
        {catalog_events::kProductUpdated, product_updated},
        {catalog_events::kProductDeactivated, product_deactivated},
        {catalog_events::kStockSet, stock_set},
        {catalog_events::kStockAdjusted, stock_adjusted},
        {catalog_events::kStockReserved, stock_reserved},
        {catalog_events::kStockReleased, stock_released},
        {catalog_events::kStockConsumed, stock_consumed},
        {catalog_events::kStockRestocked, stock_restocked},
    };
}

}  // namespace codd::projections::orders_view

// OrdersView::apply: dispatch by event type, and the helpers the handlers share.
#include <string>
#include <unordered_map>

#include "projections/orders_view.hpp"
#include "projections/orders_view_apply.hpp"

namespace codd::projections {

using namespace orders_view;

namespace {

using HandlerMap = std::unordered_map<std::string_view, Handler>;

HandlerMap all_handlers() {
    HandlerMap map;
    for (auto&& list : {people_handlers(), order_handlers()}) {
        for (const auto& [type, handler] : list) map.emplace(type, handler);
    }
    return map;
}

}  // namespace

void OrdersView::apply(Transaction& tx, std::span<const RecordedEvent> events) {
    static const HandlerMap handlers = all_handlers();
    for (const auto& e : events) {
        const auto it = handlers.find(e.type);
        // Sessions, settings, SKU, phone and e-mail reservations: nothing of this view.
        if (it == handlers.end()) continue;
        try {
            const Payload payload(e.payload);
            it->second(tx.db(), e, payload.fields());
        } catch (const PayloadError& err) {
            throw ProjectionError("orders view: " + e.type + " at position " + std::to_string(e.position.value()) +
                                  " (" + e.stream + "): " + err.what());
        }
    }
}

namespace orders_view {

void expect_one_row(Database& db, std::string_view table, std::int64_t id) {
    if (db.changes() != 1) throw PayloadError("no " + std::string(table) + " row " + std::to_string(id));
}

namespace {

void bind_field(Statement& s, int index, const Fields& f, const Column& c) {
    switch (c.kind) {
        case Kind::text:
            s.bind(index, f.text(c.key));
            break;
        case Kind::optional_text:
            s.bind(index, f.optional_text(c.key));
            break;
        case Kind::integer:
            s.bind(index, f.integer(c.key));
            break;
        case Kind::optional_integer:
            s.bind(index, f.optional_integer(c.key));
            break;
        case Kind::boolean:
            s.bind(index, f.boolean(c.key) ? 1 : 0);
            break;
        case Kind::number:
            s.bind(index, f.optional_number(c.key));
            break;
        case Kind::json:
            s.bind(index, f.optional_json(c.key));
            break;
        case Kind::array:
            s.bind(index, f.array_json(c.key));
            break;
    }
}

}  // namespace

void update_columns(Database& db, std::string_view table, std::int64_t id, const Fields& changes,
                    std::span<const Column> columns, std::int64_t time_us) {
    for (const auto& field : changes.raw()) {
        const std::string_view key = field.key();
        const Column* column = nullptr;
        for (const auto& c : columns) {
            if (c.key == key) column = &c;
        }
        if (column == nullptr) throw PayloadError("unknown field changes." + std::string(key));
        std::string sql = "UPDATE ";
        sql.append(table).append(" SET ").append(column->column).append(" = ?1, updated_us = ?2 WHERE id = ?3");
        auto& s = db.cached(sql);
        bind_field(s, 1, changes, *column);
        s.bind(2, time_us).bind(3, id).run();
        expect_one_row(db, table, id);
    }
}

}  // namespace orders_view

void OrdersView::derive_after_load(Database& db) {
    rename_after_load(db);
    derive_counters(db);
}

}  // namespace codd::projections

// /financial (reference §2 financial, §7, §14 rows 47-49): summary, transactions, COD collections, reports and
// agent balances read from the orders view; expenses and deposits go to the OrderService and answer with
// what it recorded, once the view has applied it.
#include <algorithm>
#include <chrono>
#include <limits>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/commerce_common.hpp"
#include "api/health.hpp"
#include "api/user_json.hpp"
#include "engine/json_codec.hpp"
#include "engine/orders/order_service.hpp"

namespace codd::api {
namespace {

namespace json = boost::json;
namespace orders = engine::orders;
using namespace commerce;

constexpr std::int64_t kDefaultLimit = 10;
constexpr std::int64_t kMaxLimit = 100;
constexpr std::string_view kTransactionTypes[] = {"cod_collection"};

json::string time_json(std::int64_t us) {
    return json::string(iso8601_utc_us(us));
}

json::value text_or_null(const std::string& s) {
    if (s.empty()) return nullptr;
    return json::string(s);
}

std::string deposit_json(const orders::Deposit& d) {
    json::array allocations;
    for (const orders::OpenCollection& a : d.allocations) {
        allocations.push_back(json::object{
            {"orderId", a.order_id},
            {"amount", major(a.amount)},
            // Unknown (0) in deposits recorded before allocations carried it.
            {"collectedAt", a.collected_us != 0 ? json::value(time_json(a.collected_us)) : json::value(nullptr)}});
    }
    return engine::json::serialize(json::object{
        {"id", d.id},
        {"agentId", d.agent_id},
        {"amount", major(d.amount)},
        {"reference", d.reference},
        {"notes", text_or_null(d.notes)},
        {"status", d.reconciled ? "reconciled" : "deposited"},
        {"reconciled", d.reconciled},
        {"allocations", std::move(allocations)},
        {"reconciledBy", d.reconciled_by ? json::value(*d.reconciled_by) : json::value(nullptr)},
        {"reconciledAt", d.reconciled ? json::value(time_json(d.reconciled_us)) : json::value(nullptr)},
        {"reconcileNotes", d.reconciled ? text_or_null(d.reconcile_notes) : json::value(nullptr)},
        {"createdAt", time_json(d.created_us)},
    });
}

std::string expense_json(const orders::Expense& e) {
    return engine::json::serialize(json::object{
        {"id", e.id},
        {"category", e.expense.category},
        {"amount", major(e.expense.amount)},
        {"description", e.expense.description},
        {"receiptUrl", text_or_null(e.expense.receipt_url)},
        {"expenseDate", time_json(e.expense.expense_date_us)},
        {"recordedBy", e.recorded_by ? json::value(*e.recorded_by) : json::value(nullptr)},
        {"createdAt", time_json(e.created_us)},
    });
}

// Answers an OrderService command with `key`: its rejection, or the recorded value once the view has it.
template <typename T>
Response answer(const Commerce& c, const engine::Result<orders::Committed<T>>& result, int status, std::string_view key,
                std::string (*to_json)(const T&)) {
    if (const auto* r = std::get_if<engine::Rejection>(&result)) return rejection(*r);
    const auto& done = std::get<orders::Committed<T>>(result);
    return after_commit(c, done.position, status, [&] { return wrap(key, to_json(done.value)); });
}

// GET /transactions and /cod-collections: the same rows; collections are the cod_collection ones and may be
// narrowed to one agent (in the query, so pagination counts only that agent's rows).
Response transactions(const Commerce& c, const Request& r, bool collections) {
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();
    auto page = read_page(*q, kDefaultLimit, kMaxLimit);
    if (auto* e = std::get_if<Response>(&page)) return std::move(*e);
    projections::TransactionFilter f;
    std::vector<FieldError> errors;
    // `status` or `status[]`, one payment status: a second one is refused, not ignored.
    if (auto statuses = query_values(*q, "status"); statuses.size() > 1) {
        errors.push_back({"status", "status takes one payment status"});
    } else if (!statuses.empty() && !statuses[0].empty()) {
        if (orders::parse_payment_status(statuses[0])) {
            f.status = std::move(statuses[0]);
        } else {
            errors.push_back({"status", "status must be one of pending, collected, deposited, reconciled"});
        }
    }
    if (collections) {
        f.type = std::string(kTransactionTypes[0]);
        if (const auto v = query_value(*q, "agentId"); v && !v->empty()) {
            f.agent_id = parse_int(*v, 1, std::numeric_limits<std::int64_t>::max());
            if (!f.agent_id) errors.push_back({"agentId", "agentId must be a user id (a whole number from 1)"});
        }
    } else if (auto v = query_value(*q, "type"); v && !v->empty()) {
        if (std::find(std::begin(kTransactionTypes), std::end(kTransactionTypes), *v) != std::end(kTransactionTypes)) {
            f.type = std::move(*v);
        } else {
            errors.push_back({"type", "type must be cod_collection"});
        }
    }
    const DateRange range = read_date_range(*q, errors);
    f.from_us = range.from_us;
    f.to_us = range.to_us;
    if (!errors.empty()) return validation_problem(std::move(errors));
    const auto result = c.queries.list_transactions(f, std::get<projections::Page>(page));
    return json_text(200, page_json(collections ? "collections" : "transactions", result));
}

Response summary(const Commerce& c, const Request& r) {
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();
    std::vector<FieldError> errors;
    const DateRange d = read_date_range(*q, errors);
    if (!errors.empty()) return validation_problem(std::move(errors));
    return json_text(200, wrap("summary", c.queries.financial_summary_json(d.from_us, d.to_us)));
}

Response report(const Commerce& c, const Request& r) {
    const auto q = parse_query(r.query);
    if (!q) return malformed_query();
    std::vector<FieldError> errors;
    std::string period = query_value(*q, "period").value_or("");
    if (period.empty()) period = "daily";
    if (period != "daily" && period != "monthly") errors.push_back({"period", "period must be daily or monthly"});
    const DateRange d = read_date_range(*q, errors);
    if (!errors.empty()) return validation_problem(std::move(errors));
    return json_text(200, wrap("report", c.queries.financial_report_json(period == "monthly", d.from_us, d.to_us)));
}

Response record_expense(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    FieldReader in(std::get<json::object>(body));
    orders::NewExpense e;
    e.category = in.required_text("category");
    e.description = in.required_text("description");
    e.receipt_url = in.text("receiptUrl").value_or("");
    const std::size_t before = in.errors().size();
    const auto amount = in.money("amount");
    if (in.errors().size() == before && amount.value_or(0) <= 0) {
        in.errors().push_back(
            {"amount", amount ? "amount must be at least 0.01" : "amount is required (a number above 0)"});
    }
    e.amount = engine::Money{amount.value_or(0)};
    if (const auto date = in.text("expenseDate"); date && !date->empty()) {
        const auto us = parse_recorded_time_us(*date);
        if (!us) {
            in.errors().push_back({"expenseDate",
                                   "expenseDate must be a date (YYYY-MM-DD) or an ISO-8601 time after "
                                   "1970-01-01T00:00:00Z, within year 9999"});
        }
        e.expense_date_us = us.value_or(0);
    }
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    auto ctx = command_context(c, r, caller, "POST /financial/expenses");
    if (auto* err = std::get_if<Response>(&ctx)) return std::move(*err);
    return answer(c, c.orders.record_expense(e, std::get<engine::CommandContext>(ctx)), 201, "expense", expense_json);
}

Response record_deposit(const Commerce& c, const Request& r, const Authenticated& caller) {
    auto body = json_object_body(r);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    FieldReader in(std::get<json::object>(body));
    std::size_t before = in.errors().size();
    const auto agent = in.integer("agentId", 1, std::numeric_limits<std::int64_t>::max());
    if (in.errors().size() == before && !agent) in.errors().push_back({"agentId", "agentId is required"});
    before = in.errors().size();
    const auto amount = in.money("amount");
    if (in.errors().size() == before && amount.value_or(0) <= 0) {
        in.errors().push_back(
            {"amount", amount ? "amount must be at least 0.01" : "amount is required (a number above 0)"});
    }
    const std::string reference = in.required_text("reference");
    const std::string notes = in.text("notes").value_or("");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    auto ctx = command_context(c, r, caller, "POST /financial/deposits");
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c,
                  c.orders.record_deposit(*agent, engine::Money{*amount}, reference, notes,
                                          std::get<engine::CommandContext>(ctx)),
                  201, "deposit", deposit_json);
}

Response get_deposit(const Commerce& c, const Request& r) {
    const auto id = id_param(r);
    if (!id) return not_found("deposit");
    const auto d = c.orders.find_deposit(*id);
    if (!d) return not_found("deposit");
    return json_text(200, wrap("deposit", deposit_json(*d)));
}

Response reconcile_deposit(const Commerce& c, const Request& r, const Authenticated& caller) {
    const auto id = id_param(r);
    if (!id) return not_found("deposit");
    auto body = json_object_body(r, true);
    if (auto* e = std::get_if<Response>(&body)) return std::move(*e);
    FieldReader in(std::get<json::object>(body));
    const std::string notes = in.text("notes").value_or("");
    if (!in.ok()) return validation_problem(std::move(in.errors()));
    auto ctx = command_context(c, r, caller, fmt::format("PATCH /financial/deposits/{}/reconcile", *id));
    if (auto* e = std::get_if<Response>(&ctx)) return std::move(*e);
    return answer(c, c.orders.reconcile_deposit(*id, notes, std::get<engine::CommandContext>(ctx)), 200, "deposit",
                  deposit_json);
}

}  // namespace

void add_financial_routes(Router& router, const Commerce& c) {
    auto query = [&](std::string_view path, std::function<Response(const Request&)> run) {
        add(router, c, "GET", path, [&c, run = std::move(run)](const Request& r, const Authenticated&) {
            return read_after_min_position(c, r, [&] { return run(r); });
        });
    };
    query("/financial/summary", [&c](const Request& r) { return summary(c, r); });
    query("/financial/transactions", [&c](const Request& r) { return transactions(c, r, false); });
    query("/financial/cod-collections", [&c](const Request& r) { return transactions(c, r, true); });
    query("/financial/reports", [&c](const Request& r) { return report(c, r); });
    query("/financial/agent-balances",
          [&c](const Request&) { return json_text(200, wrap("balances", c.queries.agent_balances_json())); });
    // A deposit is read from its stream: the view has no deposit detail to offer.
    query("/financial/deposits/:id", [&c](const Request& r) { return get_deposit(c, r); });
    add(router, c, "POST", "/financial/expenses",
        [&c](const Request& r, const Authenticated& a) { return record_expense(c, r, a); });
    add(router, c, "POST", "/financial/deposits",
        [&c](const Request& r, const Authenticated& a) { return record_deposit(c, r, a); });
    add(router, c, "PATCH", "/financial/deposits/:id/reconcile",
        [&c](const Request& r, const Authenticated& a) { return reconcile_deposit(c, r, a); });
}

}  // namespace codd::api

// OrderService: each command folds the order's stream, decides with a pure function (order_decide.hpp),
// and appends the order's events at the version it decided on, together with the stock moves (through the
// StockBook's holds) and the other streams the decision touches, through execute(), which retries on
// version conflicts.
#include "engine/orders/order_service.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

#include "engine/catalog/stock_book.hpp"
#include "engine/customers/customer_events.hpp"
#include "engine/json_codec.hpp"
#include "engine/orders/order_decide.hpp"
#include "engine/orders/order_events.hpp"
#include "engine/text.hpp"
#include "engine/users/user_service.hpp"

namespace codd::engine::orders {
namespace {

using catalog::StockBook;
using catalog::StockHolds;

Loaded<Order> load_order(const EventLog& log, OrderId id) {
    return load<Order>(log, events::order_stream(id), [](Order& o, const RecordedEvent& e) { evolve(o, e); });
}

Loaded<AgentCash> load_cash(const EventLog& log, UserId agent) {
    auto cash = load<AgentCash>(log, events::agent_cash_stream(agent),
                                [](AgentCash& a, const RecordedEvent& e) { evolve(a, e); });
    cash.state.agent_id = agent;
    return cash;
}

void evolve_deposit(Deposit& d, const RecordedEvent& e) {
    const auto p = json::parse_object(e.payload);
    if (e.type == events::kDepositRecorded) {
        d.id = json::int_at(p, "depositId");
        d.agent_id = json::int_at(p, "agentId");
        d.amount = Money{json::int_at(p, "amount")};
        d.reference = json::string_at(p, "reference");
        d.notes = json::string_at(p, "notes");
        d.created_us = e.time_us;
        const auto* allocations = p.if_contains("allocations");
        if (allocations == nullptr || !allocations->is_array()) throw std::invalid_argument("allocations missing");
        for (const auto& v : allocations->get_array()) {
            const auto& a = v.as_object();
            // collectedUs since 2026-11-27; 0 (unknown) in deposits recorded before.
            const auto* collected = a.if_contains("collectedUs");
            d.allocations.push_back({json::int_at(a, "orderId"), Money{json::int_at(a, "amount")},
                                     collected != nullptr ? collected->to_number<std::int64_t>() : 0});
        }
    } else if (e.type == events::kDepositReconciled) {
        d.reconciled = true;
        d.reconciled_us = e.time_us;
        d.reconcile_notes = json::string_at(p, "notes");
        if (const auto* by = p.if_contains("reconciledBy"); by != nullptr && !by->is_null()) {
            d.reconciled_by = by->to_number<UserId>();
        }
    }
    d.version = e.version.value();
}

// The expense an ExpenseRecorded records.
Expense expense_recorded(const RecordedEvent& e) {
    const auto p = json::parse_object(e.payload);
    Expense x;
    x.id = json::int_at(p, "expenseId");
    x.expense.category = json::string_at(p, "category");
    x.expense.amount = Money{json::int_at(p, "amount")};
    x.expense.description = json::string_at(p, "description");
    x.expense.receipt_url = json::string_at(p, "receiptUrl");
    x.expense.expense_date_us = json::int_at(p, "expenseDateUs");
    if (const auto* by = p.if_contains("recordedBy"); by != nullptr && !by->is_null()) {
        x.recorded_by = by->to_number<UserId>();
    }
    x.created_us = e.time_us;
    return x;
}

Loaded<Deposit> load_deposit(const EventLog& log, std::int64_t id) {
    return load<Deposit>(log, events::deposit_stream(id), evolve_deposit);
}

// The deposits that took part of the collection of each order `d` allocates to (`d` among them), read from
// the CashDeposited events of its agent's cash stream.
std::map<OrderId, std::vector<std::int64_t>> deposits_holding(const EventLog& log, const Deposit& d) {
    using Holders = std::map<OrderId, std::vector<std::int64_t>>;
    Loaded<Holders> holders;
    for (const auto& a : d.allocations) holders.state[a.order_id];
    fold_tail(log, events::agent_cash_stream(d.agent_id), holders, [](Holders& h, const RecordedEvent& e) {
        if (e.type != events::kCashDeposited) return;
        const auto p = json::parse_object(e.payload);
        const std::int64_t deposit = json::int_at(p, "depositId");
        for (const auto& v : p.at("allocations").as_array()) {
            const auto it = h.find(json::int_at(v.as_object(), "orderId"));
            if (it != h.end()) it->second.push_back(deposit);
        }
    });
    return std::move(holders.state);
}

// The numeric user id of the actor, if the actor is a user.
std::optional<UserId> actor_user(const CommandContext& ctx) {
    const std::string& id = ctx.metadata.actor.id;
    UserId v = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
    if (ec != std::errc() || end != id.data() + id.size() || id.empty()) return std::nullopt;
    return v;
}

GlobalPosition last_position(const EventLog& log, const std::string& stream) {
    const auto last =
        log.read_stream(stream, StreamVersion{std::numeric_limits<std::int64_t>::max()}, 1, Direction::backward);
    return last.empty() ? GlobalPosition{0} : last.front().position;
}

// The order as `r` left it: folded up to the version the append wrote (a concurrent command may have moved it
// on since). For an append that wrote nothing to it (a duplicate: an earlier command's result, found by its command
// id; no change): as it is now, or, `as_appended`, as that earlier append wrote it (its events up to the append's
// last position, whatever came after).
std::optional<Committed<Order>> committed_order(const EventLog& log, OrderId id, const AppendResult& r,
                                                bool as_appended = false) {
    const std::string stream = events::order_stream(id);
    std::size_t count = std::numeric_limits<std::size_t>::max();
    if (r.status == AppendStatus::ok || as_appended) {
        for (const auto& s : r.streams) {
            if (s.stream == stream) count = static_cast<std::size_t>(s.last_version.value()) + 1;
        }
    }
    Order o;
    for (const auto& e : log.read_stream(stream, StreamVersion{0}, count)) {
        if (as_appended && e.position > r.last_position) break;
        evolve(o, e);
    }
    if (o.version < 0) return std::nullopt;
    const bool at_append = as_appended || !r.streams.empty();
    return Committed<Order>{std::move(o), at_append ? r.last_position : last_position(log, stream)};
}

// Whether `products` holds the product `id` (the names of an order's answer list each product once).
bool has_product(const std::vector<catalog::Product>& products, ProductId id) {
    return std::any_of(products.begin(), products.end(), [id](const catalog::Product& p) { return p.id == id; });
}

ProductViews views_of(const StockBook::Locked& locked, const std::vector<ProductId>& ids) {
    ProductViews views;
    for (ProductId id : ids) views[id] = ProductView{&locked.product(id), locked.available(id)};
    return views;
}

std::vector<ProductId> product_ids(const std::vector<NewOrderItem>& items) {
    std::vector<ProductId> ids;
    for (const auto& i : items) ids.push_back(i.product_id);
    return ids;
}

std::vector<ProductId> product_ids(const std::vector<catalog::StockLine>& lines) {
    std::vector<ProductId> ids;
    for (const auto& l : lines) ids.push_back(l.product_id);
    return ids;
}

// Takes the units of `taken` from availability for `holds`, or refuses when they are not there.
std::optional<Rejection> hold_units(StockBook::Locked& locked, const std::vector<catalog::StockLine>& taken,
                                    const ProductViews& views, StockHolds& holds) {
    if (auto r = check_available(taken, views)) return r;
    for (const auto& t : taken) locked.hold(t.product_id, t.quantity, holds);
    return std::nullopt;
}

using Decide = std::function<Result<Decision>(const Order&, const ProductViews&, std::int64_t now_us)>;
// A user's assigning() gate (users::UserService), held by a command that puts an order in the user's hands.
using UserGate = std::shared_lock<std::shared_mutex>;

// The decider loop of a command on an existing order. `lock_first`: products (the order's and `extra`) the
// decision reads, locked before deciding; otherwise only a move that takes units locks its products.
Result<Committed<Order>> run(EventLog& log, const Clock& clock, StockBook& book, OrderId id, IfMatch if_match,
                             const CommandContext& ctx, const Decide& decide, bool lock_first = false,
                             const std::vector<ProductId>& extra = {}) {
    std::unique_ptr<StockHolds> holds;
    const std::string stream = events::order_stream(id);
    auto attempt = [&](TimePoint now) -> Result<AppendRequest> {
        holds = std::make_unique<StockHolds>();  // the previous attempt's append failed: its holds go
        const auto o = load_order(log, id);
        if (!o.exists()) return not_found("order " + std::to_string(id));
        if (if_match && *if_match != o.version) {
            return conflict(
                "the order is at version " + std::to_string(o.version) + ", not " + std::to_string(*if_match),
                "If-Match");
        }
        std::optional<StockBook::Locked> locked;
        ProductViews views;
        if (lock_first) {
            std::vector<ProductId> ids = extra;
            for (const auto& l : lines_of(o.state.items)) ids.push_back(l.product_id);
            locked.emplace(book.lock(ids));
            views = views_of(*locked, ids);
        }
        auto decided = decide(o.state, views, to_us(now));
        if (auto* r = std::get_if<Rejection>(&decided)) return *r;
        Decision& d = std::get<Decision>(decided);
        if (d.empty()) return AppendRequest{};
        // An edit may change only the order's customer: then the order's stream has no events and is a
        // condition (StreamAppend): the append still fails if the order moved since it was loaded, so the
        // If-Match above and the decision hold at the append.
        std::vector<StreamAppend> streams;
        streams.push_back({stream, expect(o.version), std::move(d.events)});
        if (d.stock) {
            const auto taken = units_taken(*d.stock);
            if (!taken.empty()) {
                if (!locked) {
                    locked.emplace(book.lock(product_ids(taken)));
                    views = views_of(*locked, product_ids(taken));
                }
                if (auto r = hold_units(*locked, taken, views, *holds)) return *r;
                holds->set_order(id);
            }
            for (auto& s : stock_streams(id, *d.stock)) streams.push_back(std::move(s));
        }
        for (auto& s : d.others) streams.push_back(std::move(s));
        // Conditions alone (a customer edit that changes nothing) append nothing.
        if (std::all_of(streams.begin(), streams.end(), [](const StreamAppend& s) { return s.events.empty(); })) {
            return AppendRequest{};
        }
        AppendRequest req = append_of(std::move(streams));
        if (locked) {
            // Decided on products (prices, active, units): none may be edited before this lands (StockBook).
            req.build = [revisions = locked->revisions()](SequenceValues) {
                revisions.check();
                return std::vector<StreamAppend>{};
            };
        }
        return req;
    };
    auto result = execute(log, clock, ctx, attempt);
    holds.reset();
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    if (auto o = committed_order(log, id, std::get<AppendResult>(result))) return *o;
    return not_found("order " + std::to_string(id));
}

// `o` as it will be once `decided` (not yet appended) is, to decide a further change on.
Order after(Order o, const std::vector<NewEvent>& decided, std::int64_t now_us) {
    for (const auto& n : decided) {
        RecordedEvent e;
        e.type = n.type;
        e.payload = n.payload;
        e.version = StreamVersion{o.version + 1};
        e.time_us = now_us;
        evolve(o, e);
    }
    return o;
}

// `first`, then `second` decided on the order as `first` leaves it: one decision for one append.
void then(Decision& first, Decision second) {
    for (auto& e : second.events) first.events.push_back(std::move(e));
    for (auto& s : second.others) first.others.push_back(std::move(s));
    if (!second.stock) return;
    if (!first.stock) {
        first.stock = std::move(second.stock);
        return;
    }
    // The second move starts where the first ends (the same stage, the order's items after the first): the
    // two together move the stock from where the first starts to where the second ends.
    first.stock->to = second.stock->to;
    first.stock->to_lines = std::move(second.stock->to_lines);
}

// A decision that moves `o` to status `to` and sends it out for delivery, or delivers it and so collects its cash,
// puts it in the hands of its agent: refused when that user is no longer an active delivery agent (deactivated or
// given another role since the order was assigned; the guard on those changes counts only open orders, and a
// returned order can be sent out and delivered again). An order with no agent yet may still go out; only its
// delivery needs one.
// `gate` then holds the agent's assigning() gate: keep it until the append has answered.
Result<Decision> carried_by_active_agent(const users::UserService& users, const Order& o, OrderStatus to,
                                         Result<Decision> decided, UserGate& gate) {
    const auto* d = std::get_if<Decision>(&decided);
    if (d == nullptr || !o.delivery_agent_id) return decided;
    const bool collects = std::any_of(d->events.begin(), d->events.end(),
                                      [](const NewEvent& e) { return e.type == events::kPaymentCollected; });
    const bool dispatches = to == OrderStatus::out_for_delivery && o.status != OrderStatus::out_for_delivery;
    if (!collects && !dispatches) return decided;
    if (gate.owns_lock()) gate.unlock();  // an earlier attempt's (a retry may carry another agent's order state)
    gate = users.assigning(*o.delivery_agent_id);
    const auto agent = users.find(*o.delivery_agent_id);
    if (!agent || !agent->is_active || agent->role != users::Role::delivery_agent) {
        return Rejection{Rejection::Kind::refused,
                         "user " + std::to_string(*o.delivery_agent_id) + " is no longer an active delivery agent: " +
                             "assign one before " + (collects ? "delivering" : "sending the order out"),
                         "deliveryAgentId"};
    }
    return decided;
}

// The rejection of a field the client named `to` (the customer's phoneNumber is an order's customerPhone), in
// its field and in the message that begins with the field's name.
Rejection renamed(Rejection r, const std::string& from, const std::string& to) {
    if (r.field != from) return r;
    r.field = to;
    if (r.message.starts_with(from + " ")) r.message.replace(0, from.size(), to);
    return r;
}

}  // namespace

OrderService::OrderService(EventLog& log, std::shared_ptr<Clock> clock, catalog::StockBook& stock,
                           customers::CustomerService& customers, const users::UserService& users)
    : log_(log), clock_(std::move(clock)), stock_(stock), customers_(customers), users_(users) {}

Result<CreatedOrder> OrderService::create(const NewOrder& n, const CommandContext& ctx) {
    // The customer the order's phone named changed that phone before the order was appended: the phone is
    // looked up (or its customer made) again, a few times at most.
    constexpr int kPhoneLookups = 3;
    for (int i = 1;; ++i) {
        auto r = create_once(n, ctx);
        const auto* refused = std::get_if<Rejection>(&r);
        const bool phone_moved =
            refused != nullptr && refused->kind == Rejection::Kind::conflict && refused->field == "customerPhone";
        if (!phone_moved || i == kPhoneLookups) return r;
    }
}

Result<CreatedOrder> OrderService::create_once(const NewOrder& n, const CommandContext& request_ctx) {
    // An order from another system is created once: (source, externalOrderId) is the command id, so creating it
    // again (a re-imported row, a redelivered webhook) answers with the first order and writes nothing. The id's
    // length goes before it, so that no external id, however spelt, names another command (e.g. this one's
    // customer, below). An Idempotency-Key that came with it is recorded too, as the append's second name, so
    // that the key used again for another request is refused as everywhere else.
    CommandContext ctx = request_ctx;
    if (std::string external = text::trim(n.external_order_id); !external.empty()) {
        ctx.command_id = "order:" + n.source + ":" + std::to_string(external.size()) + ":" + external;
        ctx.fingerprint.clear();  // whatever else the row or webhook says now
        ctx.also_command_id = request_ctx.command_id;
        ctx.also_fingerprint = request_ctx.fingerprint;
    }
    // A retry of a create that committed answers as the original did, whatever the checks now say: under the
    // request's own Idempotency-Key with the order as that create appended it (the names as they are now); as a
    // repeat of another request's externalOrderId with the order as it is now. No product may be locked here.
    auto repeat = [&](const AppendResult& r) -> std::optional<CreatedOrder> {
        if (r.sequence_values.empty()) return std::nullopt;
        const OrderId id = r.sequence_values[0];
        const bool same_key = !request_ctx.command_id.empty() && (ctx.command_id == request_ctx.command_id ||
                                                                  committed_result(log_, request_ctx).has_value());
        if (!same_key) {
            auto o = committed_order(log_, id, r);
            if (!o) return std::nullopt;
            return CreatedOrder{std::move(*o), std::nullopt, true};
        }
        auto o = committed_order(log_, id, r, true);
        if (!o) return std::nullopt;
        auto names = names_of(o->value);
        return CreatedOrder{std::move(*o), std::move(names), true, true};
    };
    auto original = [&]() -> std::optional<CreatedOrder> {
        const auto r = committed_result(log_, ctx);
        return r ? repeat(*r) : std::nullopt;
    };
    auto refuse = [&](Rejection r) -> Result<CreatedOrder> {
        if (auto o = original()) return std::move(*o);
        return r;
    };

    std::optional<users::User> rep;
    UserGate rep_gate;  // the rep stays as checked until the order's append has answered
    if (n.customer_rep_id) {
        rep_gate = users_.assigning(*n.customer_rep_id);
        rep = users_.find(*n.customer_rep_id);
        auto assigned = decide_assign_rep(Order{}, *n.customer_rep_id, rep);
        if (auto* r = std::get_if<Rejection>(&assigned)) return refuse(*r);
    }
    customers::Customer customer;
    if (n.customer_id) {
        auto c = customers_.find(*n.customer_id);
        if (!c) return refuse(invalid("customerId", "customer " + std::to_string(*n.customer_id) + " does not exist"));
        if (!c->is_active) {
            return refuse(Rejection{Rejection::Kind::refused, "customer " + std::to_string(c->id) + " is not active",
                                    "customerId"});
        }
        customer = *c;
    } else {
        customer.address = n.customer.address;
        customer.state = n.customer.state;
        customer.area = n.customer.area;
    }
    // A phone that already names a customer needs nothing created: the order is decided once, below.
    std::optional<customers::Customer> known;
    if (!n.customer_id) known = customers_.find_by_phone(n.customer.phone_number);
    // A deactivated customer named by phone (a returning customer whose record was deleted) is active again
    // with the order, in its append: the order must not go to a record hidden from the lists, and the admin UI,
    // which names customers by phone only, has no other way back to them. Named by id, they are refused.
    if (known) {
        customer = std::move(*known);
    } else if (!n.customer_id) {
        // Refuse a bad order before its customer is created (the products unlocked before a refusal looks for
        // the original).
        std::optional<Rejection> bad;
        {
            const auto ids = product_ids(n.items);
            auto locked = stock_.lock(ids);
            const ProductViews views = views_of(locked, ids);
            auto checked = decide_create(n, customer, views, to_us(clock_->now()));
            if (auto* r = std::get_if<Rejection>(&checked)) {
                bad = *r;
            } else {
                bad = check_available(units_taken(reservation_of(std::get<Order>(checked))), views);
            }
        }
        if (bad) return refuse(*bad);
        // A repeat of a committed create (e.g. with another phone) creates no customer.
        if (auto o = original()) return std::move(*o);
        // The customer's own command id names the phone: a retry that corrects the phone (after this create was
        // refused once its customer existed) finds or creates the customer of the new phone, not the first one.
        // Neither an Idempotency-Key (no spaces) nor an external id (length first) ends in " customer ".
        CommandContext customer_ctx = ctx;
        if (!ctx.command_id.empty()) {
            customer_ctx.command_id = ctx.command_id + " customer " + text::trim(n.customer.phone_number);
        }
        customer_ctx.also_command_id.clear();  // the key names the order's append, not its customer's
        customer_ctx.also_fingerprint.clear();
        auto found = customers_.find_or_create(n.customer, customer_ctx);
        if (auto* r = std::get_if<Rejection>(&found)) return refuse(renamed(*r, "phoneNumber", "customerPhone"));
        customer = std::get<customers::FoundOrCreated>(found).customer;
    }

    NewOrderDecision d;
    d.customer = std::move(customer);
    auto attempt = [&](TimePoint now) { return decide_new(n, now, d); };
    auto result = execute(log_, *clock_, ctx, attempt);
    d.holds.reset();
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    const AppendResult& appended = std::get<AppendResult>(result);
    if (appended.status == AppendStatus::ok && d.order) return created(std::move(d), appended, std::move(rep));
    if (auto o = repeat(appended)) return std::move(*o);
    return not_found("order " + std::to_string(appended.sequence_values.at(0)));
}

Result<AppendRequest> OrderService::decide_new(const NewOrder& n, TimePoint now, NewOrderDecision& d) {
    d.holds = std::make_shared<StockHolds>();
    d.order.reset();
    // The customer as it is now: the append is conditional on it, so one changed meanwhile (its phone given to no
    // one or another, deactivated) is decided on again, never given the order as it was.
    const auto current = customers_.load(d.customer.id);
    if (!current.exists()) return not_found("customer " + std::to_string(d.customer.id));
    const bool reactivate = !current.state.is_active;
    if (reactivate && n.customer_id) {
        return Rejection{Rejection::Kind::refused, "customer " + std::to_string(d.customer.id) + " is not active",
                         "customerId"};
    }
    if (!n.customer_id &&
        current.state.phone_number != customers::normalize_phone(n.customer.phone_number).value_or("")) {
        return conflict("the customer with this phone changed it while the order was placed; send the order again",
                        "customerPhone");
    }
    d.customer = current.state;
    d.customer.is_active = true;
    const auto ids = product_ids(n.items);
    std::optional<catalog::StockBook::Locked> locked(stock_.lock(ids));
    const ProductViews views = views_of(*locked, ids);
    const auto revisions = locked->revisions();
    auto decided = decide_create(n, d.customer, views, to_us(now));
    if (auto* r = std::get_if<Rejection>(&decided)) return *r;
    Order order = std::get<Order>(decided);
    const StockMove move = reservation_of(order);
    if (auto r = hold_units(*locked, units_taken(move), views, *d.holds)) return *r;
    d.order = order;
    d.products.clear();
    for (const ProductId id : ids) {
        if (!has_product(d.products, id)) d.products.push_back(locked->product(id).state);
    }
    locked.reset();  // the holds are taken: building the append needs no product's lock
    AppendRequest req;
    req.sequences = {std::string(events::kOrderSequence)};
    // The id comes from the sequence, in the batch that writes the order: a refusal leaves no gap.
    req.streams.push_back({customers::events::customer_stream(d.customer.id), expect(current.version), {}});
    if (reactivate) {
        customers::CustomerPatch active;
        active.is_active = true;
        req.streams.back().events.push_back(customers::events::customer_updated(d.customer.id, active));
    }
    // The payload is rendered here rather than on the log's single writer thread, which only puts the id in.
    req.build = [created = events::PendingOrderCreated(order), move, h = d.holds.get(),
                 revisions](SequenceValues values) {
        revisions.check();  // no product edited since the decision (else StaleDecision: decided again)
        const OrderId id = values[0];
        h->set_order(id);
        std::vector<StreamAppend> streams{
            {events::order_stream(id), ExpectedVersion::no_stream(), {created.with_id(id)}}};
        for (auto& s : stock_streams(id, move)) streams.push_back(std::move(s));
        return streams;
    };
    return req;
}

CreatedOrder OrderService::created(NewOrderDecision d, const AppendResult& appended, std::optional<users::User> rep) {
    // The stream is the one OrderCreated of the decision: folding it sets what the append chose (the id, version 0,
    // the event's time) on the decided order, and nothing else.
    Order o = std::move(*d.order);
    o.id = appended.sequence_values.at(0);
    o.version = 0;
    o.created_us = o.updated_us = appended.time_us;
    o.stock = stock_stage(o.status);
    return CreatedOrder{{std::move(o), appended.last_position},
                        CreatedOrder::Decided{std::move(d.customer), std::move(d.products), std::move(rep)}};
}

bool OrderService::create_async(const NewOrder& n, const CommandContext& ctx,
                                std::function<void(std::optional<Result<CreatedOrder>>)> done) {
    // The common create only: everything else needs what create() does around the decision (finding or making the
    // customer, the rep's gate, a command id's original answer, deciding again).
    if (n.customer_id || n.customer_rep_id || !ctx.command_id.empty() || !ctx.also_command_id.empty() ||
        !text::trim(n.external_order_id).empty()) {
        return false;
    }
    // A product edit or stock change holds its products' locks until its append is answered: the caller (an HTTP
    // thread) would wait that long.
    if (stock_.changing()) return false;
    auto known = customers_.find_by_phone(n.customer.phone_number);
    if (!known) return false;
    auto d = std::make_shared<NewOrderDecision>();
    d->customer = std::move(*known);
    auto decided = decide_new(n, clock_->now(), *d);
    if (auto* r = std::get_if<Rejection>(&decided)) {
        if (r->kind == Rejection::Kind::conflict && r->field == "customerPhone") return false;  // looked up again
        done(Result<CreatedOrder>(std::move(*r)));
        return true;
    }
    AppendRequest request = std::move(std::get<AppendRequest>(decided));
    request.metadata = ctx.metadata;
    log_.append_async(std::move(request), [d, done = std::move(done)](AppendResult appended) {
        d->holds.reset();  // before the answer, as create() does once its append has returned
        // A conflict is decided again, and a log that refused is reported, by create().
        if (appended.status != AppendStatus::ok || !d->order) return done(std::nullopt);
        done(created(std::move(*d), appended, std::nullopt));
    });
    return true;
}

CreatedOrder::Decided OrderService::names_of(const Order& o) {
    CreatedOrder::Decided names;
    if (auto c = customers_.find(o.customer_id)) names.customer = std::move(*c);
    for (const auto& item : o.items) {
        if (has_product(names.products, item.product_id)) continue;
        if (auto p = stock_.find(item.product_id)) names.products.push_back(std::move(*p));
    }
    if (o.customer_rep_id) names.rep = users_.find(*o.customer_rep_id);
    return names;
}

Result<Committed<Order>> OrderService::update(OrderId id, const OrderPatch& p, IfMatch if_match,
                                              const CommandContext& ctx) {
    const auto extra = p.items ? product_ids(*p.items) : std::vector<ProductId>{};
    return run(
        log_, *clock_, stock_, id, if_match, ctx,
        [&](const Order& o, const ProductViews& views, std::int64_t) { return decide_update(o, p, views); },
        p.items.has_value(), extra);
}

Result<Committed<Order>> OrderService::change_status(OrderId id, const StatusChange& c, IfMatch if_match,
                                                     const CommandContext& ctx) {
    UserGate agent_gate;
    return run(log_, *clock_, stock_, id, if_match, ctx, [&](const Order& o, const ProductViews&, std::int64_t now_us) {
        return carried_by_active_agent(users_, o, c.to, decide_status(o, c, now_us), agent_gate);
    });
}

Result<Committed<Order>> OrderService::edit(OrderId id, const OrderEdit& e, IfMatch if_match,
                                            const CommandContext& ctx) {
    const auto extra = e.patch.items ? product_ids(*e.patch.items) : std::vector<ProductId>{};
    UserGate agent_gate;
    std::optional<StatusChange> status = e.status;
    if (status) status->may_force = false;
    const auto decide = [&](const Order& o, const ProductViews& views, std::int64_t now_us) -> Result<Decision> {
        auto decided = decide_update(o, e.patch, views);
        if (std::holds_alternative<Rejection>(decided)) return decided;
        Decision& d = std::get<Decision>(decided);
        // The order as the details leave it: what the agent's limit compares and the status change starts from.
        const Order updated = after(o, d.events, now_us);
        if (!e.may_change_amounts) {
            if (updated.items != o.items || updated.total_amount != o.total_amount ||
                updated.cod_amount != o.cod_amount || updated.shipping_cost != o.shipping_cost ||
                updated.discount != o.discount) {
                return Rejection{Rejection::Kind::forbidden,
                                 "A delivery agent cannot change an order's items or amounts", "orderItems"};
            }
        }
        if (status) {
            if (status->to != updated.status) {
                auto changed = carried_by_active_agent(users_, updated, status->to,
                                                       decide_status(updated, *status, now_us), agent_gate);
                if (auto* r = std::get_if<Rejection>(&changed)) return *r;
                then(d, std::move(std::get<Decision>(changed)));
            }
        }
        if (e.customer) {
            auto customer = customers_.decide_update(o.customer_id, *e.customer);
            if (auto* r = std::get_if<Rejection>(&customer)) return *r;
            auto& streams = std::get<std::vector<StreamAppend>>(customer);
            const bool changes =
                std::any_of(streams.begin(), streams.end(), [](const StreamAppend& s) { return !s.events.empty(); });
            if (changes && !e.may_edit_customer) {
                return Rejection{Rejection::Kind::forbidden,
                                 "Changing the customer needs the customers:update permission", "customer"};
            }
            for (auto& s : streams) d.others.push_back(std::move(s));
        }
        return decided;
    };
    return run(log_, *clock_, stock_, id, if_match, ctx, decide, e.patch.items.has_value(), extra);
}

Result<Committed<Order>> OrderService::cancel(OrderId id, const std::string& reason, const CommandContext& ctx,
                                              IfMatch if_match) {
    return run(log_, *clock_, stock_, id, if_match, ctx,
               [&](const Order& o, const ProductViews&, std::int64_t) { return decide_cancel(o, reason); });
}

Result<Committed<Order>> OrderService::assign_rep(OrderId id, UserId rep, const CommandContext& ctx, IfMatch if_match) {
    const UserGate gate = users_.assigning(rep);  // the rep stays as checked until the append has answered
    const auto user = users_.find(rep);
    return run(log_, *clock_, stock_, id, if_match, ctx,
               [&](const Order& o, const ProductViews&, std::int64_t) { return decide_assign_rep(o, rep, user); });
}

Result<Committed<Order>> OrderService::assign_agent(OrderId id, UserId agent, const CommandContext& ctx,
                                                    IfMatch if_match) {
    const UserGate gate = users_.assigning(agent);  // the agent stays as checked until the append has answered
    const auto user = users_.find(agent);
    return run(log_, *clock_, stock_, id, if_match, ctx,
               [&](const Order& o, const ProductViews&, std::int64_t) { return decide_assign_agent(o, agent, user); });
}

Result<Committed<Order>> OrderService::schedule_delivery(OrderId id, std::int64_t at_us, const std::string& notes,
                                                         const CommandContext& ctx, IfMatch if_match) {
    return run(log_, *clock_, stock_, id, if_match, ctx,
               [&](const Order& o, const ProductViews&, std::int64_t) { return decide_schedule(o, at_us, notes); });
}

Result<Committed<Order>> OrderService::record_attempt(OrderId id, const std::string& notes, const CommandContext& ctx,
                                                      IfMatch if_match) {
    return run(log_, *clock_, stock_, id, if_match, ctx,
               [&](const Order& o, const ProductViews&, std::int64_t) { return decide_attempt(o, notes); });
}

Result<Committed<Order>> OrderService::record_proof(OrderId id, const DeliveryProof& proof, const CommandContext& ctx,
                                                    IfMatch if_match) {
    return run(log_, *clock_, stock_, id, if_match, ctx,
               [&](const Order& o, const ProductViews&, std::int64_t) { return decide_proof(o, proof); });
}

Result<Committed<Order>> OrderService::complete_delivery(OrderId id, const DeliveryCompletion& d,
                                                         const CommandContext& ctx, IfMatch if_match) {
    UserGate agent_gate;
    return run(log_, *clock_, stock_, id, if_match, ctx, [&](const Order& o, const ProductViews&, std::int64_t now_us) {
        return carried_by_active_agent(users_, o, OrderStatus::delivered, decide_complete(o, d, now_us), agent_gate);
    });
}

Result<Committed<Order>> OrderService::fail_delivery(OrderId id, const std::string& reason,
                                                     std::optional<std::int64_t> reschedule_us,
                                                     const CommandContext& ctx, IfMatch if_match) {
    return run(log_, *clock_, stock_, id, if_match, ctx, [&](const Order& o, const ProductViews&, std::int64_t) {
        return decide_fail(o, reason, reschedule_us);
    });
}

Result<Committed<Order>> OrderService::return_order(OrderId id, const std::string& reason, const CommandContext& ctx,
                                                    IfMatch if_match) {
    return run(log_, *clock_, stock_, id, if_match, ctx,
               [&](const Order& o, const ProductViews&, std::int64_t) { return decide_return(o, reason); });
}

Result<Committed<Deposit>> OrderService::record_deposit(UserId agent, Money amount, std::string reference,
                                                        std::string notes, const CommandContext& ctx) {
    if (auto r = check_deposit_text(reference, notes)) return *r;
    const auto recorded_by = actor_user(ctx);
    const auto agent_user = users_.find(agent);
    auto attempt = [&](TimePoint) -> Result<AppendRequest> {
        const auto cash = load_cash(log_, agent);
        auto allocated = allocate_deposit(cash.state, agent, agent_user, amount);
        if (auto* r = std::get_if<Rejection>(&allocated)) return *r;
        auto allocations = std::get<std::vector<OpenCollection>>(allocated);
        // An allocation that takes all that is open of a collection completes the order's deposit.
        std::vector<Loaded<Order>> completed;
        for (std::size_t i = 0; i < allocations.size(); ++i) {
            if (allocations[i].amount == cash.state.open[i].amount) {
                completed.push_back(load_order(log_, allocations[i].order_id));
            }
        }
        AppendRequest req;
        req.sequences = {std::string(events::kDepositSequence)};
        req.build = [=, cash_version = cash.version](SequenceValues ids) {
            const std::int64_t deposit = ids[0];
            std::vector<StreamAppend> streams{
                {events::agent_cash_stream(agent),
                 expect(cash_version),
                 {events::cash_deposited(agent, deposit, amount, reference, allocations)}},
                {events::deposit_stream(deposit),
                 ExpectedVersion::no_stream(),
                 {events::deposit_recorded(deposit, agent, amount, reference, notes, recorded_by, allocations)}},
            };
            for (const auto& o : completed) {
                streams.push_back({events::order_stream(o.state.id),
                                   expect(o.version),
                                   {events::payment_deposited(o.state.id, deposit, o.state.cod_amount)}});
            }
            return streams;
        };
        return req;
    };
    auto result = execute(log_, *clock_, ctx, attempt);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    const AppendResult& appended = std::get<AppendResult>(result);
    auto d = find_deposit(appended.sequence_values.at(0));
    if (!d) return not_found("deposit");
    return Committed<Deposit>{*d, appended.last_position};
}

Result<Committed<Deposit>> OrderService::reconcile_deposit(std::int64_t deposit_id, std::string notes,
                                                           const CommandContext& ctx) {
    if (auto r = check_note_text(notes, "notes")) return *r;
    const auto reconciled_by = actor_user(ctx);
    auto attempt = [&](TimePoint) -> Result<AppendRequest> {
        const auto d = load_deposit(log_, deposit_id);
        if (!d.exists()) return not_found("deposit " + std::to_string(deposit_id));
        if (d.state.reconciled) {
            return Rejection{Rejection::Kind::refused, "the deposit is already reconciled", "depositId"};
        }
        std::vector<StreamAppend> streams{{events::deposit_stream(deposit_id),
                                           expect(d.version),
                                           {events::deposit_reconciled(deposit_id, notes, reconciled_by)}}};
        // An order is reconciled once every deposit that took part of its collection is: this one and those
        // its other parts went to. Those others, and the orders left as they are, are conditions of the append:
        // two deposits of one order reconciled at the same time (or one reconciled while another completes the
        // order) cannot both leave it deposited. The orders are read before the agent's cash stream: an order
        // read as deposited was completed by a deposit that stream then holds (none can follow it), and one
        // that changes after it was read fails its condition.
        std::vector<Loaded<Order>> orders;
        for (const auto& a : d.state.allocations) orders.push_back(load_order(log_, a.order_id));
        const auto holders = deposits_holding(log_, d.state);
        std::map<std::int64_t, std::int64_t> conditions;  // deposit -> the version it was seen at
        for (std::size_t i = 0; i < orders.size(); ++i) {
            const auto& a = d.state.allocations[i];
            const auto& o = orders[i];
            bool all_reconciled = o.state.payment_status == PaymentStatus::deposited;
            for (const std::int64_t other : holders.at(a.order_id)) {
                if (other == deposit_id || !all_reconciled) continue;
                const auto h = load_deposit(log_, other);
                conditions[other] = h.version;
                all_reconciled = h.state.reconciled;
            }
            std::vector<NewEvent> reconciled;
            if (all_reconciled) {
                reconciled.push_back(events::payment_reconciled(a.order_id, o.state.deposit_id.value_or(deposit_id)));
            }
            streams.push_back({events::order_stream(a.order_id), expect(o.version), std::move(reconciled)});
        }
        for (const auto& [other, version] : conditions) {
            streams.push_back({events::deposit_stream(other), expect(version), {}});
        }
        return append_of(std::move(streams));
    };
    auto result = execute(log_, *clock_, ctx, attempt);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    auto d = find_deposit(deposit_id);
    if (!d) return not_found("deposit");
    return Committed<Deposit>{*d, std::get<AppendResult>(result).last_position};
}

Result<Committed<Expense>> OrderService::record_expense(const NewExpense& input, const CommandContext& ctx) {
    auto decided = decide_expense(input, to_us(clock_->now()));
    if (auto* r = std::get_if<Rejection>(&decided)) return *r;
    const NewExpense e = std::get<NewExpense>(decided);
    const auto recorded_by = actor_user(ctx);
    auto attempt = [&](TimePoint) -> Result<AppendRequest> {
        AppendRequest req;
        req.sequences = {std::string(events::kExpenseSequence)};
        req.build = [e, recorded_by](SequenceValues ids) {
            return std::vector<StreamAppend>{
                {events::expense_stream(ids[0]),
                 ExpectedVersion::no_stream(),
                 {events::expense_recorded(ids[0], e.category, e.amount, e.description, e.receipt_url,
                                           e.expense_date_us, recorded_by)}}};
        };
        return req;
    };
    auto result = execute(log_, *clock_, ctx, attempt);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    const AppendResult& appended = std::get<AppendResult>(result);
    // The expense as the log has it: a retry with the same Idempotency-Key answers the first request's expense,
    // not the retried body's fields.
    const auto recorded = log_.read_stream(events::expense_stream(appended.sequence_values.at(0)), StreamVersion{0}, 1);
    if (recorded.empty()) throw std::logic_error("expense stream empty after its append");
    return Committed<Expense>{expense_recorded(recorded.front()), appended.last_position};
}

std::optional<Order> OrderService::find(OrderId id) const {
    auto o = load_order(log_, id);
    if (!o.exists()) return std::nullopt;
    return o.state;
}

AgentCash OrderService::agent_cash(UserId agent) const {
    return load_cash(log_, agent).state;
}

std::optional<Deposit> OrderService::find_deposit(std::int64_t id) const {
    auto d = load_deposit(log_, id);
    if (!d.exists()) return std::nullopt;
    return d.state;
}

}  // namespace codd::engine::orders

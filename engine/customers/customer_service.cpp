// CustomerService: each command loads the customer (and the phone reservations it touches), decides, and
// appends through execute(), which retries on version conflicts.
#include "engine/customers/customer_service.hpp"

#include "engine/customers/customer_events.hpp"
#include "engine/customers/validation.hpp"
#include "engine/patch.hpp"

namespace codd::engine::customers {
namespace {

CustomerPatch changed_fields(CustomerPatch p, const Customer& c) {
    keep_if_changed(p.first_name, c.first_name);
    keep_if_changed(p.last_name, c.last_name);
    keep_if_changed(p.email, c.email);
    keep_if_changed(p.phone_number, c.phone_number);
    keep_if_changed(p.alternate_phone, c.alternate_phone);
    keep_if_changed(p.address, c.address);
    keep_if_changed(p.state, c.state);
    keep_if_changed(p.area, c.area);
    keep_if_changed(p.landmark, c.landmark);
    keep_if_changed(p.notes, c.notes);
    if (p.is_active && *p.is_active == c.is_active) p.is_active.reset();
    return p;
}

bool has_field_changes(const CustomerPatch& p) {
    return p.first_name || p.last_name || p.email || p.phone_number || p.alternate_phone || p.address || p.state ||
           p.area || p.landmark || p.notes || (p.is_active && *p.is_active);
}

Customer from_new(const NewCustomer& n, CustomerId id) {
    Customer c;
    c.id = id;
    c.first_name = n.first_name;
    c.last_name = n.last_name;
    c.email = n.email;
    c.phone_number = n.phone_number;
    c.alternate_phone = n.alternate_phone;
    c.address = n.address;
    c.state = n.state;
    c.area = n.area;
    c.landmark = n.landmark;
    c.tags = n.tags;
    c.notes = n.notes;
    return c;
}

Rejection phone_taken() {
    return conflict("phoneNumber belongs to another customer", "phoneNumber");
}

}  // namespace

Loaded<Customer> CustomerService::load_customer(CustomerId id) const {
    return customers_.load(log_, events::customer_stream(id),
                           [](Customer& s, const RecordedEvent& e) { evolve(s, e); });
}

CustomerService::CustomerService(EventLog& log, std::shared_ptr<Clock> clock) : log_(log), clock_(std::move(clock)) {}

Loaded<PhoneReservation> CustomerService::phone(const std::string& normalized) const {
    return phones_.load(log_, events::phone_stream(normalized),
                        [](PhoneReservation& s, const RecordedEvent& e) { evolve(s, e); });
}

std::optional<Customer> CustomerService::find(CustomerId id) const {
    auto c = load_customer(id);
    if (!c.exists()) return std::nullopt;
    return c.state;
}

std::optional<Customer> CustomerService::find_by_phone(std::string_view raw) const {
    const auto normalized = normalize_phone(raw);
    if (!normalized) return std::nullopt;
    const auto r = phone(*normalized);
    if (!r.state.reserved) return std::nullopt;
    return find(r.state.customer_id);
}

Result<Customer> CustomerService::create(const NewCustomer& input, const CommandContext& ctx) {
    NewCustomer n = input;
    if (auto r = normalize(n)) return *r;
    auto attempt = [&](TimePoint) -> Result<AppendRequest> {
        const auto reservation = phone(n.phone_number);
        if (reservation.state.reserved) return phone_taken();
        AppendRequest req;
        req.sequences = {std::string(events::kCustomerSequence)};
        // The id comes from the sequence, in the batch that writes the customer: refusals leave no gaps.
        req.build = [n, phone_version = reservation.version](SequenceValues ids) {
            const Customer c = from_new(n, ids[0]);
            return std::vector<StreamAppend>{
                {events::customer_stream(c.id), ExpectedVersion::no_stream(), {events::customer_created(c)}},
                {events::phone_stream(c.phone_number),
                 expect(phone_version),
                 {events::phone_reserved(c.phone_number, c.id)}},
            };
        };
        return req;
    };
    auto result = execute(log_, *clock_, ctx, attempt);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    const CustomerId id = std::get<AppendResult>(result).sequence_values.at(0);
    if (auto c = find(id)) return *c;
    return not_found("customer " + std::to_string(id));
}

Result<FoundOrCreated> CustomerService::find_or_create(const NewCustomer& input, const CommandContext& ctx) {
    const auto normalized = normalize_phone(input.phone_number);
    // A creator that loses the race for the phone finds the winner's reservation on the next look.
    for (int i = 0; i < kMaxDecideAttempts; ++i) {
        if (normalized) {
            const auto r = phone(*normalized);
            if (r.state.reserved) {
                // A retry of the command that created this customer answers as the original did.
                const auto original = committed_result(log_, ctx);
                const bool created = original && !original->sequence_values.empty() &&
                                     original->sequence_values[0] == r.state.customer_id;
                if (auto c = find(r.state.customer_id)) return FoundOrCreated{*c, created};
                return not_found("customer " + std::to_string(r.state.customer_id));
            }
        }
        auto created = create(input, ctx);
        if (auto* c = std::get_if<Customer>(&created)) return FoundOrCreated{std::move(*c), true};
        const Rejection& rej = std::get<Rejection>(created);
        if (rej.kind != Rejection::Kind::conflict || rej.field != "phoneNumber") return rej;
    }
    return conflict("the customer was changed concurrently; try again");
}

Result<Customer> CustomerService::run(CustomerId id, const CommandContext& ctx,
                                      const std::function<Result<AppendRequest>(const Loaded<Customer>&)>& decide) {
    auto attempt = [&](TimePoint) -> Result<AppendRequest> {
        auto c = load_customer(id);
        if (!c.exists()) return not_found("customer " + std::to_string(id));
        return decide(c);
    };
    auto result = execute(log_, *clock_, ctx, attempt);
    if (auto* r = std::get_if<Rejection>(&result)) return *r;
    if (auto c = find(id)) return *c;
    return not_found("customer " + std::to_string(id));
}

Result<AppendRequest> CustomerService::decide_update(const Loaded<Customer>& c, const CustomerPatch& input) const {
    const CustomerPatch p = changed_fields(input, c.state);
    std::vector<StreamAppend> streams;
    if (p.phone_number) {
        // The new phone is reserved and the old one released in the same append as the change.
        const auto wanted = phone(*p.phone_number);
        if (wanted.state.reserved) return phone_taken();
        const auto held = phone(c.state.phone_number);
        streams.push_back({events::phone_stream(*p.phone_number),
                           expect(wanted.version),
                           {events::phone_reserved(*p.phone_number, c.state.id)}});
        if (held.state.reserved && held.state.customer_id == c.state.id) {
            streams.push_back({events::phone_stream(c.state.phone_number),
                               expect(held.version),
                               {events::phone_released(c.state.phone_number, c.state.id)}});
        }
    }
    std::vector<NewEvent> own;
    if (has_field_changes(p)) own.push_back(events::customer_updated(c.state.id, p));
    if (p.is_active && !*p.is_active) own.push_back(events::customer_deactivated(c.state.id));
    if (own.empty()) return AppendRequest{};
    streams.insert(streams.begin(),
                   StreamAppend{events::customer_stream(c.state.id), expect(c.version), std::move(own)});
    return append_of(std::move(streams));
}

Result<Customer> CustomerService::update(CustomerId id, const CustomerPatch& patch, const CommandContext& ctx) {
    CustomerPatch input = patch;
    // Fields sent back as they are need no check: a customer written under older rules stays editable through
    // a form that sends every field.
    if (const auto current = find(id)) input = changed_fields(std::move(input), *current);
    if (auto r = normalize(input)) return *r;
    return run(id, ctx, [&](const Loaded<Customer>& c) { return decide_update(c, input); });
}

Result<std::vector<StreamAppend>> CustomerService::decide_update(CustomerId id, const CustomerPatch& patch) const {
    const auto c = load_customer(id);
    if (!c.exists()) return not_found("customer " + std::to_string(id));
    CustomerPatch input = changed_fields(patch, c.state);  // as update(): unchanged fields need no check
    if (auto r = normalize(input)) return *r;
    auto decided = decide_update(c, input);
    if (auto* r = std::get_if<Rejection>(&decided)) return *r;
    return std::move(std::get<AppendRequest>(decided).streams);
}

Result<Customer> CustomerService::deactivate(CustomerId id, const CommandContext& ctx) {
    return run(id, ctx, [&](const Loaded<Customer>& c) -> Result<AppendRequest> {
        if (!c.state.is_active) return conflict("customer is already deactivated");
        return append_of({{events::customer_stream(id), expect(c.version), {events::customer_deactivated(id)}}});
    });
}

Result<Customer> CustomerService::set_tags(CustomerId id, const std::vector<std::string>& input,
                                           const CommandContext& ctx) {
    std::vector<std::string> tags = input;
    if (auto r = normalize_tags(tags)) return *r;
    return run(id, ctx, [&](const Loaded<Customer>& c) -> Result<AppendRequest> {
        if (c.state.tags == tags) return AppendRequest{};
        return append_of({{events::customer_stream(id), expect(c.version), {events::customer_tags_changed(id, tags)}}});
    });
}

}  // namespace codd::engine::customers

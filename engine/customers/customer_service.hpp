#pragma once
// CustomerService: the customer commands (DESIGN §4 "Catalog and customers"), each loaded from the
// customer's stream, decided, and appended with its expected version.
//
// Streams: customer-<id> (ids from the log sequence "customer", 1001…) and customer-phone-<normalized>
// (PhoneReserved / PhoneReleased: a new reservation expects the stream absent or at its released version,
// so a phone number is unique through the log's expected-version check, whatever its formatting).
// find_or_create is how an order names its customer by phone.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/aggregate.hpp"
#include "engine/customers/customer.hpp"

namespace codd::engine::customers {

struct NewCustomer {
    std::string first_name, last_name, email, phone_number, alternate_phone;
    std::string address, state, area, landmark, notes;
    std::vector<std::string> tags;
};

// A partial update: only the fields that are set change; an empty email, alternate phone, landmark or
// notes clears it. is_active false deactivates, true reactivates. Tags change through set_tags.
struct CustomerPatch {
    std::optional<std::string> first_name, last_name, email, phone_number, alternate_phone;
    std::optional<std::string> address, state, area, landmark, notes;
    std::optional<bool> is_active;
};

struct FoundOrCreated {
    Customer customer;
    bool created = false;
};

class CustomerService {
  public:
    CustomerService(EventLog& log, std::shared_ptr<Clock> clock);

    // Refused (conflict, field phoneNumber) when the phone belongs to a customer already.
    Result<Customer> create(const NewCustomer& c, const CommandContext& ctx);
    Result<Customer> update(CustomerId id, const CustomerPatch& p, const CommandContext& ctx);
    // What update() would append to customer `id` as it is now (its own stream at the loaded version and the
    // phone reservations it moves; none when nothing changes), for a command that changes the customer in
    // the same atomic append as its own streams (OrderService::edit). The caller's append expects those
    // versions, so a concurrent change is a conflict and the caller decides again.
    [[nodiscard]] Result<std::vector<StreamAppend>> decide_update(CustomerId id, const CustomerPatch& p) const;
    Result<Customer> deactivate(CustomerId id, const CommandContext& ctx);
    // Replaces the tags (trimmed, empty ones dropped, duplicates kept once, in order).
    Result<Customer> set_tags(CustomerId id, const std::vector<std::string>& tags, const CommandContext& ctx);
    // The customer holding `c.phone_number` (active or not, unchanged), or a new one made from `c`. With a
    // command id, a retry answers as the original did (created stays true).
    Result<FoundOrCreated> find_or_create(const NewCustomer& c, const CommandContext& ctx);

    [[nodiscard]] std::optional<Customer> find(CustomerId id) const;
    // The customer as the log has it now, with its stream's version (-1: none), for a command of another
    // module that decides on the customer and appends on the condition that it did not change meanwhile.
    [[nodiscard]] Loaded<Customer> load(CustomerId id) const { return load_customer(id); }
    [[nodiscard]] std::optional<Customer> find_by_phone(std::string_view phone) const;  // normalizes first

  private:
    Result<Customer> run(CustomerId id, const CommandContext& ctx,
                         const std::function<Result<AppendRequest>(const Loaded<Customer>&)>& decide);
    Result<AppendRequest> decide_update(const Loaded<Customer>& c, const CustomerPatch& normalized) const;
    Loaded<PhoneReservation> phone(const std::string& normalized) const;
    Loaded<Customer> load_customer(CustomerId id) const;

    EventLog& log_;
    std::shared_ptr<Clock> clock_;
    // Every order placed by phone looks its customer up: these turn two stream reads into two point lookups.
    mutable StreamCache<Customer> customers_;
    mutable StreamCache<PhoneReservation> phones_;
};

}  // namespace codd::engine::customers

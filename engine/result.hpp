#pragma once
// Expected outcomes of commands, as values (STYLE practice 4): a command either yields its result or a
// Rejection; exceptions are kept for the unexpected (a storage failure).

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace codd::engine {

// An expected refusal. `field` names the offending input for validation errors, with the names of the REST
// API (email, sku, phoneNumber, stockQuantity, ...).
//   invalid: bad input (400); not_found (404); conflict: a duplicate, a state that forbids the command
//   (already deactivated, insufficient stock), or concurrent changes that kept winning (409); forbidden
//   (403); unauthorized: a session that cannot be used (401); refused: a domain rule forbids it in the
//   current state (an illegal status transition, cancel after delivery, an unavailable agent) (422).
// `details` carries named numbers a client needs to act on the refusal (e.g. productId and available for
// insufficient stock), so the API edge can put them in its problem response without parsing `message`.
struct RejectionDetail {
    std::string name;
    std::int64_t value = 0;
    bool money = false;  // minor units, which the API shows in major units as it shows every amount
};

struct Rejection {
    enum class Kind { invalid, not_found, conflict, forbidden, unauthorized, refused };
    Kind kind = Kind::invalid;
    std::string message;
    std::string field;
    std::vector<RejectionDetail> details = {};
};

template <typename T>
using Result = std::variant<T, Rejection>;

}  // namespace codd::engine

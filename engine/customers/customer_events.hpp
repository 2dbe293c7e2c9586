#pragma once
// The customer events: stream names, type names and payload encoders (camelCase keys, schema version 1).

#include <string>
#include <string_view>
#include <vector>

#include "engine/customers/customer.hpp"
#include "engine/envelope.hpp"

namespace codd::engine::customers {
struct CustomerPatch;
}

namespace codd::engine::customers::events {

inline constexpr std::string_view kCustomerCreated = "CustomerCreated";
inline constexpr std::string_view kCustomerUpdated = "CustomerUpdated";
inline constexpr std::string_view kCustomerDeactivated = "CustomerDeactivated";
inline constexpr std::string_view kCustomerTagsChanged = "CustomerTagsChanged";
inline constexpr std::string_view kPhoneReserved = "PhoneReserved";
inline constexpr std::string_view kPhoneReleased = "PhoneReleased";

inline constexpr std::string_view kCustomerSequence = "customer";

std::string customer_stream(CustomerId id);
std::string phone_stream(std::string_view normalized_phone);

NewEvent customer_created(const Customer& c);
// The fields set in `changes`; isActive only when true (reactivation: deactivation is its own event).
NewEvent customer_updated(CustomerId id, const CustomerPatch& changes);
NewEvent customer_deactivated(CustomerId id);
NewEvent customer_tags_changed(CustomerId id, const std::vector<std::string>& tags);
NewEvent phone_reserved(std::string_view normalized_phone, CustomerId id);
NewEvent phone_released(std::string_view normalized_phone, CustomerId id);

}  // namespace codd::engine::customers::events

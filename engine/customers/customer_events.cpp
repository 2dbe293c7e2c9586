#include "engine/customers/customer_events.hpp"

#include "engine/customers/customer_service.hpp"
#include "engine/json_codec.hpp"

namespace codd::engine::customers::events {
namespace json = engine::json;
namespace {

boost::json::array tags_array(const std::vector<std::string>& tags) {
    boost::json::array a;
    for (const auto& t : tags) a.emplace_back(t);
    return a;
}

}  // namespace

std::string customer_stream(CustomerId id) {
    return "customer-" + std::to_string(id);
}

std::string phone_stream(std::string_view normalized_phone) {
    return "customer-phone-" + std::string(normalized_phone);
}

NewEvent customer_created(const Customer& c) {
    return json::make_event(kCustomerCreated, {
                                      {"id", c.id},
                                      {"firstName", c.first_name},
                                      {"lastName", c.last_name},
                                      {"email", c.email},
                                      {"phoneNumber", c.phone_number},
                                      {"alternatePhone", c.alternate_phone},
                                      {"address", c.address},
                                      {"state", c.state},
                                      {"area", c.area},
                                      {"landmark", c.landmark},
                                      {"tags", tags_array(c.tags)},
                                      {"notes", c.notes},
                                      {"isActive", true},
                                  });
}

NewEvent customer_updated(CustomerId id, const CustomerPatch& c) {
    boost::json::object changes;
    const std::pair<const char*, const std::optional<std::string>*> fields[] = {
        {"firstName", &c.first_name},
        {"lastName", &c.last_name},
        {"email", &c.email},
        {"phoneNumber", &c.phone_number},
        {"alternatePhone", &c.alternate_phone},
        {"address", &c.address},
        {"state", &c.state},
        {"area", &c.area},
        {"landmark", &c.landmark},
        {"notes", &c.notes},
    };
    for (const auto& [key, value] : fields) {
        if (*value) changes[key] = **value;
    }
    if (c.is_active && *c.is_active) changes["isActive"] = true;
    return json::make_event(kCustomerUpdated, {{"id", id}, {"changes", std::move(changes)}});
}

NewEvent customer_deactivated(CustomerId id) {
    return json::make_event(kCustomerDeactivated, {{"id", id}});
}

NewEvent customer_tags_changed(CustomerId id, const std::vector<std::string>& tags) {
    return json::make_event(kCustomerTagsChanged, {{"id", id}, {"tags", tags_array(tags)}});
}

NewEvent phone_reserved(std::string_view normalized_phone, CustomerId id) {
    return json::make_event(kPhoneReserved, {{"phoneNumber", normalized_phone}, {"customerId", id}});
}

NewEvent phone_released(std::string_view normalized_phone, CustomerId id) {
    return json::make_event(kPhoneReleased, {{"phoneNumber", normalized_phone}, {"customerId", id}});
}

}  // namespace codd::engine::customers::events

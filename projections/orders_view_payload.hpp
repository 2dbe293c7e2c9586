#pragma once
// Private to the orders view: typed access to event payloads. A field of the wrong type or missing is a
// malformed event, which the view never skips: PayloadError stops the runner at that event.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "projections/projection.hpp"

namespace codd::projections::orders_view {

class PayloadError : public ProjectionError {
  public:
    using ProjectionError::ProjectionError;
};

// One JSON object of a payload (the payload itself, its "changes", an item). Nullable fields read as
// nullopt when null or absent; required fields throw when absent.
class Fields {
  public:
    explicit Fields(const boost::json::object& o) : o_(&o) {}

    [[nodiscard]] bool has(std::string_view key) const { return o_->contains(key); }
    [[nodiscard]] std::int64_t integer(std::string_view key) const;
    [[nodiscard]] std::optional<std::int64_t> optional_integer(std::string_view key) const;
    [[nodiscard]] std::string_view text(std::string_view key) const;
    [[nodiscard]] std::optional<std::string_view> optional_text(std::string_view key) const;
    [[nodiscard]] bool boolean(std::string_view key) const;
    [[nodiscard]] std::optional<double> optional_number(std::string_view key) const;
    [[nodiscard]] Fields object(std::string_view key) const;
    [[nodiscard]] const boost::json::array& array(std::string_view key) const;
    // The field serialized as JSON text; nullopt when null or absent.
    [[nodiscard]] std::optional<std::string> optional_json(std::string_view key) const;
    // The field, which must be an array, serialized as JSON text.
    [[nodiscard]] std::string array_json(std::string_view key) const;
    [[nodiscard]] const boost::json::object& raw() const { return *o_; }

  private:
    [[nodiscard]] const boost::json::value& at(std::string_view key) const;
    [[noreturn]] static void wrong(std::string_view key, const char* expected);

    const boost::json::object* o_;
};

// Fields of the array element `v`, which must be an object.
Fields element(const boost::json::value& v, std::string_view array_name);

// The parsed payload of an event; owns the JSON.
class Payload {
  public:
    explicit Payload(std::string_view json);
    Payload(const Payload&) = delete;  // fields_ points into object_
    Payload& operator=(const Payload&) = delete;
    [[nodiscard]] const Fields& fields() const { return fields_; }

  private:
    // Payloads of this size parse without a heap allocation: most do, once per event of a rebuild.
    unsigned char buffer_[4096];
    boost::json::monotonic_resource resource_{buffer_, sizeof buffer_};
    boost::json::object object_;
    Fields fields_{object_};
};

}  // namespace codd::projections::orders_view

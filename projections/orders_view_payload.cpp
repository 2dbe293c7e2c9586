#include "projections/orders_view_payload.hpp"

#include <boost/json/parse.hpp>

#include "engine/json_codec.hpp"

namespace codd::projections::orders_view {

void Fields::wrong(std::string_view key, const char* expected) {
    throw PayloadError("field " + std::string(key) + " must be " + expected);
}

const boost::json::value& Fields::at(std::string_view key) const {
    const auto* v = o_->if_contains(key);
    if (v == nullptr) throw PayloadError("missing field " + std::string(key));
    return *v;
}

std::int64_t Fields::integer(std::string_view key) const {
    const auto& v = at(key);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    wrong(key, "an integer");
}

std::optional<std::int64_t> Fields::optional_integer(std::string_view key) const {
    const auto* v = o_->if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return integer(key);
}

std::string_view Fields::text(std::string_view key) const {
    const auto& v = at(key);
    if (!v.is_string()) wrong(key, "a string");
    return v.get_string();
}

std::optional<std::string_view> Fields::optional_text(std::string_view key) const {
    const auto* v = o_->if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return text(key);
}

bool Fields::boolean(std::string_view key) const {
    const auto& v = at(key);
    if (!v.is_bool()) wrong(key, "a boolean");
    return v.get_bool();
}

std::optional<double> Fields::optional_number(std::string_view key) const {
    const auto* v = o_->if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_number()) wrong(key, "a number");
    return v->to_number<double>();
}

Fields Fields::object(std::string_view key) const {
    const auto& v = at(key);
    if (!v.is_object()) wrong(key, "an object");
    return Fields(v.get_object());
}

const boost::json::array& Fields::array(std::string_view key) const {
    const auto& v = at(key);
    if (!v.is_array()) wrong(key, "an array");
    return v.get_array();
}

std::optional<std::string> Fields::optional_json(std::string_view key) const {
    const auto* v = o_->if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return engine::json::serialize(*v);
}

std::string Fields::array_json(std::string_view key) const {
    return engine::json::serialize(array(key));
}

Fields element(const boost::json::value& v, std::string_view array_name) {
    if (!v.is_object()) throw PayloadError("elements of " + std::string(array_name) + " must be objects");
    return Fields(v.get_object());
}

namespace {

boost::json::object parse(std::string_view json, boost::json::storage_ptr storage) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(json, ec, std::move(storage));
    if (ec) throw PayloadError("malformed JSON: " + ec.message());
    if (!v.is_object()) throw PayloadError("the payload must be a JSON object");
    return std::move(v.get_object());
}

}  // namespace

Payload::Payload(std::string_view json) : object_(parse(json, &resource_)) {}

}  // namespace codd::projections::orders_view

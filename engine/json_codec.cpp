#include "engine/json_codec.hpp"

#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace codd::engine::json {

boost::json::object parse_object(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec) throw std::invalid_argument("malformed JSON: " + ec.message());
    if (!v.is_object()) throw std::invalid_argument("expected a JSON object");
    return std::move(v.get_object());
}

std::string serialize(const boost::json::value& v) {
    return boost::json::serialize(v);
}

namespace {

const boost::json::value& at(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) throw std::invalid_argument("missing field " + std::string(key));
    return *v;
}

[[noreturn]] void wrong_type(std::string_view key, const char* expected) {
    throw std::invalid_argument("field " + std::string(key) + " must be " + expected);
}

}  // namespace

std::string string_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (!v.is_string()) wrong_type(key, "a string");
    return std::string(v.get_string());
}

std::int64_t int_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    wrong_type(key, "an integer");
}

bool bool_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (!v.is_bool()) wrong_type(key, "a boolean");
    return v.get_bool();
}

const boost::json::object& object_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (!v.is_object()) wrong_type(key, "an object");
    return v.get_object();
}

NewEvent make_event(std::string_view type, const boost::json::object& payload) {
    NewEvent e;
    e.type = std::string(type);
    e.schema_version = 1;
    e.payload = serialize(payload);
    return e;
}

}  // namespace codd::engine::json

#include "tests/schemas/json_schema.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include <boost/json/serialize.hpp>

namespace codd::tests::schema {
namespace {

namespace bj = boost::json;

constexpr std::string_view kTypeNames[] = {"object", "array", "string", "integer", "number", "boolean", "null"};
constexpr std::string_view kKeywords[] = {"$schema", "$id",      "$ref",       "title",
                                          "description", "type", "required", "properties",
                                          "additionalProperties", "items", "enum", "minimum",
                                          "maximum", "minLength", "maxLength"};

bool is_identifier(std::string_view key) {
    if (key.empty()) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
    });
}

// $.a.b, $.items[0], $["odd key"]
std::string member_path(const std::string& path, std::string_view key) {
    if (is_identifier(key)) return path + "." + std::string(key);
    return path + "[" + bj::serialize(bj::value(bj::string_view(key.data(), key.size()))) + "]";
}

std::string index_path(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

template <typename Range>
bool contains(const Range& r, std::string_view v) {
    return std::find(std::begin(r), std::end(r), v) != std::end(r);
}

[[noreturn]] void bad(const std::string& path, const std::string& what) {
    throw SchemaError(path + ": " + what);
}

void check_type_name(const std::string& path, const bj::value& v) {
    if (!v.is_string() || !contains(kTypeNames, std::string_view(v.get_string()))) {
        bad(path, "type must name one of object, array, string, integer, number, boolean, null");
    }
}

void check_node(const bj::value& schema, const std::string& path) {
    if (!schema.is_object()) bad(path, "a schema must be an object");
    const auto& s = schema.get_object();
    for (const auto& [key, value] : s) {
        const std::string at = path + "/" + std::string(key);
        if (!contains(kKeywords, std::string_view(key))) bad(at, "keyword outside the supported subset");
        if (key == "$schema" || key == "$id" || key == "title" || key == "description") {
            if (!value.is_string()) bad(at, "must be a string");
        } else if (key == "type") {
            if (value.is_array()) {
                if (value.get_array().empty()) bad(at, "type union must not be empty");
                for (const auto& t : value.get_array()) check_type_name(at, t);
            } else {
                check_type_name(at, value);
            }
        } else if (key == "required") {
            if (!value.is_array()) bad(at, "must be an array of strings");
            for (const auto& r : value.get_array()) {
                if (!r.is_string()) bad(at, "must be an array of strings");
            }
        } else if (key == "properties") {
            if (!value.is_object()) bad(at, "must be an object of schemas");
            for (const auto& [name, sub] : value.get_object()) check_node(sub, at + "/" + std::string(name));
        } else if (key == "additionalProperties") {
            if (!value.is_bool()) check_node(value, at);
        } else if (key == "items") {
            check_node(value, at);
        } else if (key == "enum") {
            if (!value.is_array() || value.get_array().empty()) bad(at, "must be a non-empty array");
        } else if (key == "minimum" || key == "maximum") {
            if (!value.is_number()) bad(at, "must be a number");
        } else if (key == "minLength" || key == "maxLength") {
            if (!value.is_int64() || value.get_int64() < 0) bad(at, "must be a non-negative integer");
        } else if (key == "$ref") {
            if (!value.is_string() || !value.get_string().starts_with("#/")) {
                bad(at, "must be a local reference \"#/...\"");
            }
            if (s.size() != 1) bad(at, "a reference stands alone (no sibling keywords)");
        }
    }
}

bool has_type(const bj::value& v, std::string_view type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_int64() || v.is_uint64();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_bool();
    return v.is_null();
}

std::string type_list(const bj::value& type) {
    if (type.is_string()) return std::string(type.get_string());
    std::string out;
    for (const auto& t : type.get_array()) {
        if (!out.empty()) out += " or ";
        out += std::string(t.get_string());
    }
    return out;
}

bool matches_type(const bj::value& instance, const bj::value& type) {
    if (type.is_string()) return has_type(instance, type.get_string());
    const auto& names = type.get_array();
    return std::any_of(names.begin(), names.end(),
                       [&](const bj::value& t) { return has_type(instance, t.get_string()); });
}

// a < b, for any mix of int64, uint64 and double.
bool below(const bj::value& a, const bj::value& b) {
    if (a.is_int64() && b.is_int64()) return a.get_int64() < b.get_int64();
    if (a.is_uint64() && b.is_int64()) return false;  // uint64 values above INT64_MAX
    if (a.is_int64() && b.is_uint64()) return true;
    return a.to_number<double>() < b.to_number<double>();
}

// Length in Unicode code points, as JSON Schema counts it (UTF-8 continuation bytes do not count).
std::size_t code_points(bj::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string enum_list(const bj::array& values) {
    std::string out;
    for (const auto& v : values) {
        if (!out.empty()) out += ", ";
        out += bj::serialize(v);
    }
    return out;
}

void validate_node(const bj::object& s, const bj::value& instance, const std::string& path,
                   std::vector<std::string>& errors, const bj::value& root) {
    if (const auto* ref = s.if_contains("$ref")) {
        const bj::value* target = resolve(root, ref->get_string());
        if (target == nullptr) {
            errors.push_back(path + ": unresolved reference " + std::string(ref->get_string()));
            return;
        }
        check_node(*target, std::string(ref->get_string()));
        validate_node(target->get_object(), instance, path, errors, root);
        return;
    }
    if (const auto* type = s.if_contains("type"); type && !matches_type(instance, *type)) {
        errors.push_back(path + ": expected " + type_list(*type));
        return;  // the other keywords would only repeat the type error
    }
    if (const auto* values = s.if_contains("enum")) {
        const auto& list = values->get_array();
        if (std::find(list.begin(), list.end(), instance) == list.end()) {
            errors.push_back(path + ": " + bj::serialize(instance) + " is not one of " + enum_list(list));
        }
    }
    if (const auto* minimum = s.if_contains("minimum"); minimum && instance.is_number() && below(instance, *minimum)) {
        errors.push_back(path + ": " + bj::serialize(instance) + " is less than the minimum " +
                         bj::serialize(*minimum));
    }
    if (const auto* maximum = s.if_contains("maximum"); maximum && instance.is_number() && below(*maximum, instance)) {
        errors.push_back(path + ": " + bj::serialize(instance) + " is more than the maximum " +
                         bj::serialize(*maximum));
    }
    if (const auto* min_length = s.if_contains("minLength"); min_length && instance.is_string()) {
        if (code_points(instance.get_string()) < static_cast<std::size_t>(min_length->get_int64())) {
            errors.push_back(path + ": shorter than minLength " + std::to_string(min_length->get_int64()));
        }
    }
    if (const auto* max_length = s.if_contains("maxLength"); max_length && instance.is_string()) {
        if (code_points(instance.get_string()) > static_cast<std::size_t>(max_length->get_int64())) {
            errors.push_back(path + ": longer than maxLength " + std::to_string(max_length->get_int64()));
        }
    }
    if (const auto* items = s.if_contains("items"); items && instance.is_array()) {
        const auto& a = instance.get_array();
        for (std::size_t i = 0; i < a.size(); ++i)
            validate_node(items->get_object(), a[i], index_path(path, i), errors, root);
    }
    if (!instance.is_object()) return;
    const auto& o = instance.get_object();
    if (const auto* required = s.if_contains("required")) {
        for (const auto& key : required->get_array()) {
            if (!o.contains(key.get_string()))
                errors.push_back(member_path(path, key.get_string()) + ": missing required property");
        }
    }
    const bj::object* properties = nullptr;
    if (const auto* p = s.if_contains("properties")) properties = &p->get_object();
    const bj::value* additional = s.if_contains("additionalProperties");
    for (const auto& [key, value] : o) {
        const std::string at = member_path(path, key);
        if (const auto* sub = properties ? properties->if_contains(key) : nullptr) {
            validate_node(sub->get_object(), value, at, errors, root);
        } else if (additional && additional->is_bool()) {
            if (!additional->get_bool()) errors.push_back(at + ": unexpected property");
        } else if (additional) {
            validate_node(additional->get_object(), value, at, errors, root);
        }
    }
}

}  // namespace

void check_schema(const boost::json::value& schema) {
    check_node(schema, "#");
}

std::vector<std::string> validate(const boost::json::value& schema, const boost::json::value& instance,
                                  const boost::json::value* root) {
    check_schema(schema);
    std::vector<std::string> errors;
    validate_node(schema.get_object(), instance, "$", errors, root != nullptr ? *root : schema);
    return errors;
}

const boost::json::value* resolve(const boost::json::value& root, std::string_view ref) {
    if (!ref.starts_with("#")) return nullptr;
    ref.remove_prefix(1);
    if (ref.empty()) return &root;
    boost::system::error_code ec;
    const boost::json::value* found = root.find_pointer(bj::string_view(ref.data(), ref.size()), ec);
    return ec ? nullptr : found;
}

const boost::json::object& deref(const boost::json::value& root, const boost::json::value& v) {
    if (const auto* ref = v.get_object().if_contains("$ref")) {
        const bj::value* target = resolve(root, ref->get_string());
        if (target == nullptr) throw SchemaError("unresolved reference " + std::string(ref->get_string()));
        return target->get_object();
    }
    return v.get_object();
}

}  // namespace codd::tests::schema

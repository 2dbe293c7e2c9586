#pragma once
// JSON helpers shared by the identity sources (private to engine/users: Boost.JSON stays out of the
// public headers).

#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "engine/users/user.hpp"

namespace codd::engine::users::json {

// {"<role>": {"<resource>": ["<action>", ...]}}
boost::json::object permissions_to_json(const PermissionMatrix& m);
// Throws std::invalid_argument naming what is wrong (unknown role, non-string action, ...).
PermissionMatrix permissions_from_json(const boost::json::value& v);

// Parses text that must be one JSON object; throws std::invalid_argument otherwise.
boost::json::object parse_object(std::string_view text);
std::string serialize(const boost::json::value& v);

// Typed access to a payload field; throws std::invalid_argument when missing or of another type.
std::string string_at(const boost::json::object& o, std::string_view key);
std::int64_t int_at(const boost::json::object& o, std::string_view key);
bool bool_at(const boost::json::object& o, std::string_view key);
const boost::json::object& object_at(const boost::json::object& o, std::string_view key);

}  // namespace codd::engine::users::json

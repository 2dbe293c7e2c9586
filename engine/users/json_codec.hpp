#pragma once
// The identity module's JSON: the permission matrix codec, plus the generic helpers of engine/json_codec.hpp.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "engine/json_codec.hpp"
#include "engine/users/user.hpp"

namespace codd::engine::users::json {

// {"<role>": {"<resource>": ["<action>", ...]}}
boost::json::object permissions_to_json(const PermissionMatrix& m);
// Throws std::invalid_argument naming what is wrong (unknown role, non-string action, ...).
PermissionMatrix permissions_from_json(const boost::json::value& v);

// The generic helpers, under the names the identity sources use.
using engine::json::bool_at;
using engine::json::int_at;
using engine::json::make_event;
using engine::json::object_at;
using engine::json::parse_object;
using engine::json::put_if;
using engine::json::serialize;
using engine::json::string_at;

}  // namespace codd::engine::users::json

#include "engine/users/json_codec.hpp"

#include <stdexcept>


namespace codd::engine::users::json {

boost::json::object permissions_to_json(const PermissionMatrix& m) {
    boost::json::object out;
    for (const auto& [role, resources] : m) {
        boost::json::object by_resource;
        for (const auto& [resource, actions] : resources) {
            boost::json::array list;
            for (const auto& a : actions) list.emplace_back(a);
            by_resource[resource] = std::move(list);
        }
        out[to_string(role)] = std::move(by_resource);
    }
    return out;
}

PermissionMatrix permissions_from_json(const boost::json::value& v) {
    if (!v.is_object()) throw std::invalid_argument("permissions must be an object of roles");
    PermissionMatrix m;
    for (const auto& [role_name, resources] : v.get_object()) {
        const auto role = parse_role(role_name);
        if (!role) throw std::invalid_argument("unknown role " + std::string(role_name));
        if (!resources.is_object()) throw std::invalid_argument("permissions of a role must be an object");
        RoleMatrix& rm = m[*role];
        for (const auto& [resource, actions] : resources.get_object()) {
            if (!actions.is_array()) throw std::invalid_argument("actions must be an array of strings");
            Actions& set = rm[std::string(resource)];
            for (const auto& a : actions.get_array()) {
                if (!a.is_string()) throw std::invalid_argument("actions must be an array of strings");
                set.insert(std::string(a.get_string()));
            }
        }
    }
    return m;
}

}  // namespace codd::engine::users::json

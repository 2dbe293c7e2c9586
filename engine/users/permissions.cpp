// The default permission matrix, transcribed from reference §3 (seed-system.md), row by row. A resource a
// role has no action on is absent, so listing a role's matrix shows only what it may do.
#include "engine/users/user.hpp"

namespace codd::engine::users {
namespace {

const Actions kCrud{"create", "view", "update", "delete"};

Actions with(Actions base, std::initializer_list<const char*> more) {
    for (const char* a : more) base.insert(a);
    return base;
}

PermissionMatrix build_defaults() {
    const Actions orders_all = with(kCrud, {"bulk_import", "assign"});
    const Actions workflows_all = with(kCrud, {"execute"});
    PermissionMatrix m;
    m[Role::super_admin] = {
        {"users", kCrud},
        {"orders", orders_all},
        {"customers", kCrud},
        {"products", with(kCrud, {"update_stock"})},
        {"financial", {"view", "create", "update", "delete"}},
        {"analytics", {"view"}},
        {"workflows", workflows_all},
        {"settings", {"view", "update"}},
    };
    m[Role::admin] = {
        {"users", kCrud},
        {"orders", orders_all},
        {"customers", kCrud},
        {"products", kCrud},
        {"financial", {"view", "create"}},
        {"analytics", {"view"}},
        {"workflows", workflows_all},
        {"settings", {"view"}},
    };
    m[Role::manager] = {
        {"orders", {"view", "update", "bulk_import", "assign"}},
        {"customers", kCrud},
        {"products", {"view"}},
        {"financial", {"view"}},
        {"analytics", {"view"}},
        {"workflows", {"view", "execute"}},
    };
    m[Role::sales_rep] = {
        {"orders", {"create", "view", "update"}},
        {"customers", kCrud},
        {"products", {"view"}},
    };
    m[Role::inventory_manager] = {
        {"orders", {"view"}},
        {"customers", {"view"}},
        {"products", with(kCrud, {"update_stock"})},
        {"analytics", {"view"}},
    };
    m[Role::delivery_agent] = {
        {"orders", {"view", "update"}}, {"customers", {"view"}}, {"products", {"view"}},
        {"financial", {"create"}},      {"analytics", {"view"}},
    };
    m[Role::accountant] = {
        {"orders", {"view"}},    {"customers", {"view"}}, {"products", {"view"}}, {"financial", {"view", "create"}},
        {"analytics", {"view"}},
    };
    return m;
}

}  // namespace

const PermissionMatrix& default_permissions() {
    static const PermissionMatrix kDefaults = build_defaults();
    return kDefaults;
}

}  // namespace codd::engine::users

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "api/rbac.hpp"

using namespace codd::api;
using codd::engine::users::default_permissions;
using codd::engine::users::kAllRoles;

TEST_CASE("the table has one entry per endpoint, each findable") {
    std::set<std::string> seen;
    for (const EndpointAccess& e : endpoint_table()) {
        const std::string key = std::string(e.method) + " " + std::string(e.path);
        INFO(key);
        CHECK(seen.insert(key).second);
        CHECK(e.path.starts_with('/'));
        CHECK(find_endpoint(e.method, e.path) == &e);
        if (e.access.rule == AccessRule::self_or_roles) CHECK(e.path.find(":id") != std::string_view::npos);
    }
    CHECK(find_endpoint("GET", "/nope") == nullptr);
    CHECK(find_endpoint("POST", "/auth/login")->access.rule == AccessRule::public_access);
}

TEST_CASE("super_admin passes every rule, nobody else passes super_admin rules") {
    const auto& m = default_permissions();
    for (const EndpointAccess& e : endpoint_table()) {
        CHECK(decide_access(e.access, {1, Role::super_admin}, m, std::nullopt).allowed);
    }
    const Access sa{AccessRule::super_admin, {}, {}};
    for (const Role r : kAllRoles) {
        CHECK(decide_access(sa, {1, r}, m, std::nullopt).allowed == (r == Role::super_admin));
    }
    CHECK(decide_access(sa, {1, Role::admin}, m, std::nullopt).required == "role: super_admin");
}

TEST_CASE("role lists, self and the permission matrix") {
    const auto& m = default_permissions();
    const Access admins{AccessRule::roles, {}, {Role::admin, Role::manager}};
    CHECK(decide_access(admins, {5, Role::manager}, m, std::nullopt).allowed);
    const AccessDecision refused = decide_access(admins, {5, Role::sales_rep}, m, std::nullopt);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.required == "role: super_admin, admin, manager");

    const Access self{AccessRule::self_or_roles, {}, {Role::admin}};
    CHECK(decide_access(self, {5, Role::delivery_agent}, m, 5).allowed);
    CHECK_FALSE(decide_access(self, {5, Role::delivery_agent}, m, 6).allowed);
    CHECK_FALSE(decide_access(self, {5, Role::delivery_agent}, m, std::nullopt).allowed);
    CHECK(decide_access(self, {5, Role::admin}, m, 6).allowed);

    const Access stock{AccessRule::permission, {{"products", "update_stock"}}, {}};
    CHECK(decide_access(stock, {5, Role::inventory_manager}, m, std::nullopt).allowed);
    CHECK_FALSE(decide_access(stock, {5, Role::admin}, m, std::nullopt).allowed);  // reference §3: no update_stock
    CHECK(decide_access(stock, {5, Role::admin}, m, std::nullopt).required == "products:update_stock");

    // The matrix is read at decision time: an edited matrix applies at once.
    auto edited = m;
    edited[Role::admin]["products"].insert("update_stock");
    CHECK(decide_access(stock, {5, Role::admin}, edited, std::nullopt).allowed);

    const Access any{AccessRule::authenticated, {}, {}};
    for (const Role r : kAllRoles) CHECK(decide_access(any, {5, r}, m, std::nullopt).allowed);
}

TEST_CASE("GET /products: products:view or orders:create (reference §2: the order form lists the products)") {
    const Access& list = find_endpoint("GET", "/products")->access;
    auto matrix = default_permissions();
    matrix[Role::sales_rep]["products"].erase("view");
    REQUIRE(codd::engine::users::allows(matrix, Role::sales_rep, "orders", "create"));
    CHECK(decide_access(list, {5, Role::sales_rep}, matrix, std::nullopt).allowed);
    matrix[Role::sales_rep]["orders"].erase("create");
    const AccessDecision refused = decide_access(list, {5, Role::sales_rep}, matrix, std::nullopt);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.required == "products:view or orders:create");
    CHECK(describe_access(list) == "permission products:view or orders:create (the runtime permission matrix)");
    // The product detail stays products:view alone.
    CHECK(describe_access(find_endpoint("GET", "/products/:id")->access) ==
          "permission products:view (the runtime permission matrix)");
}

TEST_CASE("row-level scope of orders") {
    CHECK(order_scope({1, Role::sales_rep}) == Scope::own_as_rep);
    CHECK(order_scope({1, Role::delivery_agent}) == Scope::own_as_agent);
    CHECK(order_scope({1, Role::manager}) == Scope::all);
    CHECK(in_scope({7, Role::sales_rep}, 7, std::nullopt));
    CHECK_FALSE(in_scope({7, Role::sales_rep}, 8, 7));
    CHECK(in_scope({7, Role::delivery_agent}, 8, 7));
    CHECK_FALSE(in_scope({7, Role::delivery_agent}, std::nullopt, std::nullopt));
    CHECK(in_scope({7, Role::accountant}, std::nullopt, std::nullopt));
}

TEST_CASE("effective permissions: the role's row, or everything for super_admin") {
    const auto& m = default_permissions();
    CHECK(effective_permissions(m, Role::sales_rep) == m.at(Role::sales_rep));
    const auto all = effective_permissions(m, Role::super_admin);
    for (const auto& [role, row] : m) {
        for (const auto& [resource, actions] : row) {
            for (const auto& a : actions) CHECK(all.at(resource).contains(a));
        }
    }
}

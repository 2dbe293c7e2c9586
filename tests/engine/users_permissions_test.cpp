// The permission matrix (defaults of reference §3, updates), system settings, and the first admin.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "engine/users/bootstrap.hpp"
#include "tests/engine/users_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::users;
using namespace codd::test;

namespace {

const Actions kCrud{"create", "view", "update", "delete"};

const RoleMatrix& row(Role r) {
    return default_permissions().at(r);
}

}  // namespace

TEST_CASE("users: the default matrix is reference §3, row by row") {
    const auto& m = default_permissions();
    CHECK(m.size() == 7);
    const Actions orders_all{"create", "view", "update", "delete", "bulk_import", "assign"};
    const Actions workflows_all{"create", "view", "update", "delete", "execute"};
    const Actions crud_stock{"create", "view", "update", "delete", "update_stock"};

    CHECK(row(Role::super_admin) == RoleMatrix{{"users", kCrud},
                                               {"orders", orders_all},
                                               {"customers", kCrud},
                                               {"products", crud_stock},
                                               {"financial", {"view", "create", "update", "delete"}},
                                               {"analytics", {"view"}},
                                               {"workflows", workflows_all},
                                               {"settings", {"view", "update"}}});
    CHECK(row(Role::admin) == RoleMatrix{{"users", kCrud},
                                         {"orders", orders_all},
                                         {"customers", kCrud},
                                         {"products", kCrud},
                                         {"financial", {"view", "create"}},
                                         {"analytics", {"view"}},
                                         {"workflows", workflows_all},
                                         {"settings", {"view"}}});
    CHECK(row(Role::manager) == RoleMatrix{{"orders", {"view", "update", "bulk_import", "assign"}},
                                           {"customers", kCrud},
                                           {"products", {"view"}},
                                           {"financial", {"view"}},
                                           {"analytics", {"view"}},
                                           {"workflows", {"view", "execute"}}});
    CHECK(row(Role::sales_rep) ==
          RoleMatrix{{"orders", {"create", "view", "update"}}, {"customers", kCrud}, {"products", {"view"}}});
    CHECK(row(Role::inventory_manager) ==
          RoleMatrix{{"orders", {"view"}}, {"customers", {"view"}}, {"products", crud_stock}, {"analytics", {"view"}}});
    CHECK(row(Role::delivery_agent) == RoleMatrix{{"orders", {"view", "update"}},
                                                  {"customers", {"view"}},
                                                  {"products", {"view"}},
                                                  {"financial", {"create"}},
                                                  {"analytics", {"view"}}});
    CHECK(row(Role::accountant) == RoleMatrix{{"orders", {"view"}},
                                              {"customers", {"view"}},
                                              {"products", {"view"}},
                                              {"financial", {"view", "create"}},
                                              {"analytics", {"view"}}});
}

TEST_CASE("users: allows() reads the matrix, super_admin passes everything") {
    const auto& m = default_permissions();
    CHECK(allows(m, Role::admin, "orders", "bulk_import"));
    CHECK_FALSE(allows(m, Role::admin, "products", "update_stock"));
    CHECK(allows(m, Role::inventory_manager, "products", "update_stock"));
    CHECK_FALSE(allows(m, Role::sales_rep, "analytics", "view"));
    CHECK_FALSE(allows(m, Role::manager, "users", "view"));
    CHECK_FALSE(allows(m, Role::delivery_agent, "financial", "view"));
    CHECK(allows(m, Role::delivery_agent, "financial", "create"));
    CHECK(allows(m, Role::super_admin, "anything", "at_all"));
    CHECK(allows(PermissionMatrix{}, Role::super_admin, "settings", "update"));
    CHECK_FALSE(allows(PermissionMatrix{}, Role::admin, "orders", "view"));
}

TEST_CASE("users: set_permissions stores the whole matrix, effective at once and after a restart") {
    UsersFixture f;
    CHECK(f.service->permissions() == default_permissions());
    PermissionMatrix m = default_permissions();
    m[Role::sales_rep]["analytics"] = {"view"};
    m.erase(Role::accountant);
    CHECK(ok(f.service->set_permissions(m, admin_meta())) == m);
    CHECK(allows(f.service->permissions(), Role::sales_rep, "analytics", "view"));
    CHECK_FALSE(allows(f.service->permissions(), Role::accountant, "orders", "view"));
    CHECK(f.stream("settings-permissions").size() == 1);
    ok(f.service->set_permissions(m, admin_meta()));  // the same matrix: nothing to record
    CHECK(f.stream("settings-permissions").size() == 1);
    f.reopen();
    CHECK(f.service->permissions() == m);
}

TEST_CASE("users: set_permissions refuses empty or malformed resource and action names") {
    UsersFixture f;
    PermissionMatrix empty_resource{{Role::admin, {{"", {"view"}}}}};
    PermissionMatrix empty_action{{Role::admin, {{"orders", {""}}}}};
    PermissionMatrix spaced{{Role::admin, {{"orders", {"vi ew"}}}}};
    for (const auto* m : {&empty_resource, &empty_action, &spaced}) {
        const Rejection r = rejected(f.service->set_permissions(*m, admin_meta()));
        CHECK(r.kind == Rejection::Kind::invalid);
        CHECK(r.field == "permissions");
    }
    CHECK(f.service->permissions() == default_permissions());
}

TEST_CASE("users: settings default to the SystemConfig fields and merge by top-level key") {
    UsersFixture f;
    const auto defaults = boost::json::parse(f.service->settings_json()).as_object();
    CHECK(defaults.at("currency").as_string() == "USD");
    CHECK(defaults.at("businessName").as_string() == "");
    for (const char* key : {"businessEmail", "businessPhone", "businessAddress", "taxId", "operatingHours",
                            "smsProvider", "emailProvider", "notificationTemplates"}) {
        CHECK(defaults.contains(key));
    }
    const std::string merged = ok(f.service->merge_settings(
        R"({"businessName":"Accra Goods","currency":"GHS","smsProvider":{"name":"twilio"}})", admin_meta()));
    const auto after = boost::json::parse(merged).as_object();
    CHECK(after.at("businessName").as_string() == "Accra Goods");
    CHECK(after.at("currency").as_string() == "GHS");
    CHECK(after.at("smsProvider").as_object().at("name").as_string() == "twilio");
    CHECK(after.at("taxId").as_string() == "");  // untouched keys stay
    const auto event = f.stream("settings-system").at(0);
    CHECK(boost::json::parse(event.payload).at("changes").as_object().size() == 3);
    // Only what changes is recorded.
    ok(f.service->merge_settings(R"({"businessName":"Accra Goods","taxId":"T-1"})", admin_meta()));
    CHECK(boost::json::parse(f.stream("settings-system").at(1).payload).at("changes").as_object().size() == 1);
    ok(f.service->merge_settings(R"({"taxId":"T-1"})", admin_meta()));
    CHECK(f.stream("settings-system").size() == 2);
}

TEST_CASE("users: merge_settings refuses non-objects and known keys of the wrong type") {
    UsersFixture f;
    CHECK(rejected(f.service->merge_settings("[]", admin_meta())).field == "settings");
    CHECK(rejected(f.service->merge_settings("{", admin_meta())).field == "settings");
    CHECK(rejected(f.service->merge_settings(R"({"businessName":5})", admin_meta())).field == "businessName");
    CHECK(rejected(f.service->merge_settings(R"({"currency":"cedi"})", admin_meta())).field == "currency");
    CHECK(rejected(f.service->merge_settings(R"({"rolePermissions":{}})", admin_meta())).field == "rolePermissions");
    CHECK(f.log->head().value() == 0);
}

TEST_CASE("users: ensure_first_admin creates a super_admin only while there are no users") {
    UsersFixture f;
    // Bad input first: no hashing, no user.
    CHECK(rejected(ensure_first_admin(*f.service, "root@example.com", "weak", admin_meta())).field == "password");
    CHECK(rejected(ensure_first_admin(*f.service, "root", "Str0ng!pass", admin_meta())).field == "email");
    CHECK(f.service->user_count() == 0);

    const User admin = ok(ensure_first_admin(*f.service, "Root@Example.com", "Str0ng!pass", admin_meta()));
    CHECK(admin.role == Role::super_admin);
    CHECK(admin.email == "root@example.com");
    CHECK(verify_password("Str0ng!pass", admin.password_hash));

    const Rejection again = rejected(ensure_first_admin(*f.service, "other@example.com", "Str0ng!pass", admin_meta()));
    CHECK(again.kind == Rejection::Kind::conflict);
    CHECK(again.message.find("users exist") != std::string::npos);
    CHECK(f.service->user_count() == 1);

    // create_admin is the explicit, unconditional form (`codd admin create`).
    AdminSpec spec;
    spec.email = "second@example.com";
    spec.password = "An0ther!pass";
    spec.first_name = "Efua";
    CHECK(ok(create_admin(*f.service, spec, admin_meta())).role == Role::super_admin);
    CHECK(f.service->user_count() == 2);
}

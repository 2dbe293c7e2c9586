// The OpenAPI document (schemas/openapi.json) as a document: every schema in the validator's subset, every
// reference resolving, every example a valid instance of its schema, path parameters declared, and the
// operations under /api/v1 exactly the RBAC table's endpoints (public ones without security). That the server's
// answers match it is checked against the running binary by the functional tests (openapi_check).
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "api/openapi.hpp"
#include "api/rbac.hpp"
#include "engine/text.hpp"
#include "tests/schemas/json_schema.hpp"

namespace bj = boost::json;
using codd::tests::schema::check_schema;
using codd::tests::schema::resolve;
using codd::tests::schema::validate;

namespace {

constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "patch"};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const bj::value& document() {
    static const bj::value doc = bj::parse(read_file(CODD_SOURCE_DIR "/schemas/openapi.json"));
    return doc;
}

// The object `v` is, or the one its $ref names in the document.
const bj::object& deref(const bj::value& v) {
    return codd::tests::schema::deref(document(), v);
}

// Calls `f(where, schema)` for every schema the document holds outside components.schemas (parameters, bodies,
// responses, headers), and for each component schema.
void each_schema(const std::function<void(const std::string&, const bj::value&)>& f) {
    const auto& doc = document().get_object();
    const auto& components = doc.at("components").get_object();
    for (const auto& [name, s] : components.at("schemas").get_object())
        f("#/components/schemas/" + std::string(name), s);
    const auto content_schemas = [&](const std::string& where, const bj::object& holder) {
        if (const auto* content = holder.if_contains("content")) {
            for (const auto& [type, media] : content->get_object()) {
                if (const auto* s = media.get_object().if_contains("schema")) f(where + " " + std::string(type), *s);
            }
        }
        if (const auto* headers = holder.if_contains("headers")) {
            for (const auto& [name, h] : headers->get_object()) {
                if (const auto* s = deref(h).if_contains("schema")) f(where + " header " + std::string(name), *s);
            }
        }
    };
    for (const auto& [name, p] : components.at("parameters").get_object())
        f("parameter " + std::string(name), p.at("schema"));
    for (const auto& [name, r] : components.at("responses").get_object())
        content_schemas("response " + std::string(name), r.get_object());
    for (const auto& [path, item] : doc.at("paths").get_object()) {
        for (const auto& [method, op] : item.get_object()) {
            const std::string where = std::string(method) + " " + std::string(path);
            if (const auto* params = op.get_object().if_contains("parameters")) {
                for (const auto& p : params->get_array()) {
                    const auto& param = deref(p);
                    f(where + " parameter " + std::string(param.at("name").get_string()), param.at("schema"));
                }
            }
            if (const auto* body = op.get_object().if_contains("requestBody"))
                content_schemas(where + " body", body->get_object());
            for (const auto& [status, r] : op.at("responses").get_object()) {
                content_schemas(where + " " + std::string(status), deref(r));
            }
        }
    }
}

void each_ref(const bj::value& v, const std::string& where, std::vector<std::string>& out) {
    if (v.is_object()) {
        for (const auto& [k, sub] : v.get_object()) {
            if (k == "$ref" && sub.is_string()) out.push_back(std::string(sub.get_string()));
            each_ref(sub, where + "/" + std::string(k), out);
        }
    } else if (v.is_array()) {
        for (const auto& sub : v.get_array()) each_ref(sub, where, out);
    }
}

}  // namespace

TEST_CASE("openapi: the document is OpenAPI 3.1 and every schema in it is within the validator's subset") {
    const auto& doc = document().get_object();
    CHECK(doc.at("openapi") == "3.1.0");
    CHECK(doc.at("info").at("title").is_string());
    CHECK(doc.at("info").at("version").is_string());
    CHECK(doc.at("components").at("securitySchemes").at("bearerAuth").at("scheme") == "bearer");
    int schemas = 0;
    each_schema([&](const std::string& where, const bj::value& s) {
        INFO(where);
        CHECK_NOTHROW(check_schema(s));
        ++schemas;
    });
    CHECK(schemas > 100);
}

TEST_CASE("openapi: every reference resolves") {
    std::vector<std::string> refs;
    each_ref(document(), "#", refs);
    CHECK(refs.size() > 100);
    for (const auto& ref : refs) {
        INFO(ref);
        CHECK(resolve(document(), ref) != nullptr);
    }
}

TEST_CASE("openapi: operations have ids, summaries, responses and their path parameters") {
    std::set<std::string> ids;
    int operations = 0;
    for (const auto& [path, item] : document().at("paths").get_object()) {
        std::set<std::string> in_path;
        for (std::size_t at = path.find('{'); at != bj::string_view::npos; at = path.find('{', at + 1)) {
            in_path.insert(std::string(path.substr(at + 1, path.find('}', at) - at - 1)));
        }
        for (const auto& [method, op] : item.get_object()) {
            INFO(method << " " << path);
            ++operations;
            CHECK(std::find(std::begin(kMethods), std::end(kMethods), std::string_view(method)) != std::end(kMethods));
            const auto& o = op.get_object();
            REQUIRE(o.contains("operationId"));
            CHECK(ids.insert(std::string(o.at("operationId").get_string())).second);
            CHECK(!o.at("summary").get_string().empty());
            CHECK(!o.at("responses").get_object().empty());
            CHECK(!o.contains("x-codd-access"));  // the server adds it from the RBAC table
            std::set<std::string> declared;
            if (const auto* params = o.if_contains("parameters")) {
                for (const auto& p : params->get_array()) {
                    const auto& param = deref(p);
                    if (param.at("in") == "path") {
                        CHECK(param.at("required") == true);
                        declared.insert(std::string(param.at("name").get_string()));
                    }
                }
            }
            CHECK(declared == in_path);
        }
    }
    CHECK(operations > 70);
}

TEST_CASE("openapi: every example is a valid instance of its schema") {
    int examples = 0;
    for (const auto& [path, item] : document().at("paths").get_object()) {
        for (const auto& [method, op] : item.get_object()) {
            const auto* body = op.get_object().if_contains("requestBody");
            if (body == nullptr) continue;
            for (const auto& [type, media] : body->get_object().at("content").get_object()) {
                const auto* example = media.get_object().if_contains("example");
                if (example == nullptr) continue;
                INFO(method << " " << path << " " << type);
                const auto errors = validate(media.at("schema"), *example, &document());
                CHECK_MESSAGE(errors.empty(), errors.front());
                ++examples;
            }
        }
    }
    CHECK(examples > 30);
}

TEST_CASE("openapi: the /api/v1 operations are the RBAC table's endpoints, and exactly the public ones need no token") {
    std::set<std::pair<std::string, std::string>> documented;
    for (const auto& [path, item] : document().at("paths").get_object()) {
        if (!path.starts_with("/api/v1/")) continue;
        for (const auto& [method, op] : item.get_object()) {
            const std::string m = codd::engine::text::upper_ascii(method);
            const std::string p = *codd::api::rbac_path(path);
            INFO(m << " " << path);
            documented.emplace(m, p);
            const auto* entry = codd::api::find_endpoint(m, p);
            REQUIRE_MESSAGE(entry != nullptr, "documented but not an endpoint");
            const auto* security = op.get_object().if_contains("security");
            const bool open = security != nullptr && security->get_array().empty();
            CHECK(open == (entry->access.rule == codd::api::AccessRule::public_access));
        }
    }
    for (const auto& e : codd::api::endpoint_table()) {
        INFO(e.method << " " << e.path);
        CHECK(documented.contains({std::string(e.method), std::string(e.path)}));
    }
}

TEST_CASE("openapi: the server serves the document it was built with, each operation's access rule added") {
    CHECK(codd::api::openapi_source() == read_file(CODD_SOURCE_DIR "/schemas/openapi.json"));
    const bj::value served = bj::parse(codd::api::openapi_document());
    bj::value expected = document();
    for (auto& [path, item] : expected.at("paths").as_object()) {
        if (!path.starts_with("/api/v1/")) continue;
        for (auto& [method, op] : item.as_object()) {
            const auto* entry =
                codd::api::find_endpoint(codd::engine::text::upper_ascii(method), *codd::api::rbac_path(path));
            REQUIRE(entry != nullptr);
            op.as_object()["x-codd-access"] = codd::api::describe_access(entry->access);
        }
    }
    CHECK(served == expected);
    CHECK(served.at("paths").at("/api/v1/orders").at("post").at("x-codd-access") ==
          "permission orders:create (the runtime permission matrix)");
    CHECK(served.at("paths").at("/api/v1/auth/login").at("post").at("x-codd-access") == "public (no token)");
}

#include "tests/functional/openapi_check.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "engine/text.hpp"
#include "tests/schemas/json_schema.hpp"

namespace codd::test::openapi {
namespace {

namespace bj = boost::json;

const bj::value& document() {
    static const bj::value doc = [] {
        std::ifstream in(CODD_SOURCE_DIR "/schemas/openapi.json", std::ios::binary);
        if (!in) throw std::runtime_error("cannot read schemas/openapi.json");
        std::stringstream s;
        s << in.rdbuf();
        return bj::parse(s.str());
    }();
    return doc;
}

// The object `v` is, or the one its $ref names in the document.
const bj::object& deref(const bj::value& v) {
    return tests::schema::deref(document(), v);
}

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path.front() == '/') path.remove_prefix(1);
        const auto end = path.find('/');
        out.push_back(path.substr(0, end));
        path = end == std::string_view::npos ? std::string_view{} : path.substr(end);
    }
    return out;
}

// The documented path template `path` matches, the most literal one segment by segment from the left (as the
// router chooses); nullptr when none does.
const bj::key_value_pair* find_path(std::string_view path) {
    const auto want = segments(path);
    const bj::key_value_pair* best = nullptr;
    std::vector<bool> best_literal;
    for (const auto& entry : document().at("paths").get_object()) {
        const auto have = segments(entry.key());
        if (have.size() != want.size()) continue;
        std::vector<bool> literal;
        bool match = true;
        for (std::size_t i = 0; i < have.size() && match; ++i) {
            const bool param = have[i].starts_with('{');
            match = param ? !want[i].empty() : have[i] == want[i];
            literal.push_back(!param);
        }
        if (match && (best == nullptr || literal > best_literal)) {
            best = &entry;
            best_literal = std::move(literal);
        }
    }
    return best;
}

bool is_json(std::string_view media_type) {
    return media_type == "application/json" || media_type.ends_with("+json");
}

// Statuses the edge may answer for any operation (limits, auth, method, deadlines, failures), with a Problem.
constexpr int kAnyOperation[] = {401, 405, 408, 413, 415, 429, 431, 500, 503};

void check_json(const bj::value& schema, const std::string& text, const std::string& what,
                std::vector<std::string>& out) {
    bj::value instance;
    try {
        instance = bj::parse(text);
    } catch (const std::exception& e) {
        out.push_back(what + ": not JSON (" + e.what() + "): " + text.substr(0, 300));
        return;
    }
    for (auto& v : tests::schema::validate(schema, instance, &document())) out.push_back(what + " " + v);
}

}  // namespace

std::vector<std::string> check(std::string_view method, std::string_view target, const std::string& request_body,
                               const HttpResponse& response) {
    std::string path(target.substr(0, target.find('?')));
    if (path.size() > 1 && path.back() == '/') path.pop_back();  // the router ignores one trailing slash
    if (path.starts_with("/api/") && !path.starts_with("/api/v1/")) path.insert(4, "/v1");
    const std::string op_name = std::string(method) + " " + path;
    std::vector<std::string> out;
    const bj::key_value_pair* item = find_path(path);
    if (item == nullptr) {
        if (response.status != 404) {
            out.push_back(op_name + ": no documented path, answered " + std::to_string(response.status));
        }
        return out;
    }
    const std::string m = engine::text::lower_ascii(method == "HEAD" ? "GET" : method);
    const auto* op = item->value().get_object().if_contains(m);
    if (op == nullptr) {
        if (response.status != 405) out.push_back(op_name + ": method not documented for " + std::string(item->key()));
        return out;
    }
    const std::string where =
        std::string(method) + " " + std::string(item->key()) + " " + std::to_string(response.status);
    if (const char* coverage = std::getenv("CODD_OPENAPI_COVERAGE")) {
        std::ofstream(coverage, std::ios::app) << where << '\n';
    }
    const auto& responses = op->get_object().at("responses").get_object();
    const bj::object* documented = nullptr;
    if (const auto* r = responses.if_contains(std::to_string(response.status))) {
        documented = &deref(*r);
    } else if (const auto* d = responses.if_contains("default")) {
        documented = &deref(*d);
    } else if (std::find(std::begin(kAnyOperation), std::end(kAnyOperation), response.status) !=
               std::end(kAnyOperation)) {
        static const bj::value problem = bj::parse(R"({"$ref": "#/components/schemas/Problem"})");
        if (method != "HEAD") check_json(problem, response.body, where, out);
        return out;
    } else {
        out.push_back(where + ": status not documented (body " + response.body.substr(0, 300) + ")");
        return out;
    }
    const std::string content_type = response.header("Content-Type").value_or("");
    const std::string type =
        engine::text::lower_ascii(std::string_view(content_type).substr(0, content_type.find(';')));
    const auto* content = documented->if_contains("content");
    if (content == nullptr) {
        if (!response.body.empty() && method != "HEAD") out.push_back(where + ": a body where none is documented");
    } else if (const auto* media = content->get_object().if_contains(type)) {
        if (const auto* schema = media->get_object().if_contains("schema");
            schema && is_json(type) && method != "HEAD") {
            check_json(*schema, response.body, where, out);
        }
    } else {
        out.push_back(where + ": Content-Type '" + type + "' not documented");
    }
    if (response.status >= 200 && response.status < 300 && !request_body.empty()) {
        if (const auto* body = op->get_object().if_contains("requestBody")) {
            const auto* media = body->get_object().at("content").get_object().if_contains("application/json");
            if (media != nullptr) check_json(media->at("schema"), request_body, where + " request", out);
        } else if (request_body != "{}") {  // an empty object says nothing to an operation that reads no body
            out.push_back(where + ": accepted a request body the document does not describe");
        }
    }
    return out;
}

}  // namespace codd::test::openapi

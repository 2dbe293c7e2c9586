#include "api/request_body.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json/parser.hpp>

#include "api/router.hpp"
#include "engine/text.hpp"

namespace codd::api {
namespace {

bool is_json_content_type(std::string_view v) {
    const std::size_t semi = v.find(';');
    std::string_view type = v.substr(0, semi);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
    if (type.size() != 16) return false;
    for (std::size_t i = 0; i < type.size(); ++i) {
        const char c = type[i] >= 'A' && type[i] <= 'Z' ? static_cast<char>(type[i] - 'A' + 'a') : type[i];
        if (c != "application/json"[i]) return false;
    }
    return true;
}

// The charset parameter of a media type, lower-cased and unquoted ("" without one).
std::string charset_of(std::string_view content_type) {
    const std::string lowered = engine::text::lower_ascii(content_type);
    std::string_view rest(lowered);
    // The parameters after the media type: "; name=value" each.
    for (std::size_t semi = rest.find(';'); semi != std::string_view::npos; semi = rest.find(';')) {
        rest.remove_prefix(semi + 1);
        const std::string param = engine::text::trim(rest.substr(0, rest.find(';')));
        const std::size_t eq = param.find('=');
        if (eq == std::string::npos || engine::text::trim(std::string_view(param).substr(0, eq)) != "charset") continue;
        std::string value = engine::text::trim(std::string_view(param).substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        return value;
    }
    return {};
}

// Line and column (from 1) of byte `offset` of `text`.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

Response malformed(std::string_view text, std::size_t offset, std::string_view what) {
    const auto [line, column] = line_and_column(text, offset);
    return bad_request(fmt::format("Malformed JSON at line {}, column {} (byte {}): {}.", line, column, offset, what),
                       fmt::format("The request body is not valid JSON (line {}, column {}).", line, column));
}

}  // namespace

Response bad_request(std::string detail, std::string message) {
    return problem_response({ProblemType::bad_request, std::move(detail), std::move(message), {}});
}

Response if_match_unsupported() {
    return bad_request(
        "If-Match is supported on the commands on one order only (its version); send this request "
        "without it",
        "If-Match not supported here");
}

Response validation_problem(std::vector<FieldError> errors) {
    std::string message = errors.empty() ? "Validation failed" : errors.front().message;
    return problem_response(
        {ProblemType::validation, "The request has invalid fields.", std::move(message), std::move(errors)});
}

std::variant<boost::json::object, Response> json_object_body(const Request& request, bool allow_empty) {
    const std::string& text = request.body;
    if (text.empty() && allow_empty) return boost::json::object{};
    const auto content_type = request.header("Content-Type");
    if (!content_type || !is_json_content_type(*content_type)) {
        return problem_response({ProblemType::unsupported_media_type,
                                 fmt::format("The body must be sent as application/json, not '{}'.",
                                             content_type ? std::string(*content_type) : std::string("(none)")),
                                 "The request body must be JSON (Content-Type: application/json).",
                                 {}});
    }
    // The body is read as UTF-8 JSON as sent: a compressed body or another charset would be read as garbage.
    if (const auto encoding = request.header("Content-Encoding");
        encoding && !encoding->empty() && engine::text::lower_ascii(engine::text::trim(*encoding)) != "identity") {
        return problem_response(
            {ProblemType::unsupported_media_type,
             fmt::format("Content-Encoding '{}' is not supported; send the body uncompressed.", std::string(*encoding)),
             "The request body must not be compressed.",
             {}});
    }
    if (const auto charset = charset_of(*content_type); !charset.empty() && charset != "utf-8" && charset != "utf8") {
        return problem_response({ProblemType::unsupported_media_type,
                                 fmt::format("The body must be UTF-8 JSON, not charset '{}'.", charset),
                                 "The request body must be UTF-8.",
                                 {}});
    }
    if (text.empty()) return bad_request("The request body is empty; a JSON object is expected.");
    boost::json::parser parser;
    boost::json::error_code ec;
    const std::size_t used = parser.write_some(text.data(), text.size(), ec);
    if (ec) return malformed(text, used, ec.message());
    for (std::size_t i = used; i < text.size(); ++i) {
        const char c = text[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return malformed(text, i, "unexpected data after the JSON value");
    }
    boost::json::value v = parser.release();
    if (!v.is_object()) return bad_request("The request body must be a JSON object.");
    return std::move(v.as_object());
}

std::optional<QueryParams> parse_query(std::string_view query) {
    QueryParams out;
    std::string key;
    std::string value;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        std::string pair(query.substr(0, amp));
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        for (char& c : pair) {
            if (c == '+') c = ' ';
        }
        const std::size_t eq = pair.find('=');
        if (!percent_decode(std::string_view(pair).substr(0, eq), key)) return std::nullopt;
        if (eq == std::string::npos) {
            value.clear();
        } else if (!percent_decode(std::string_view(pair).substr(eq + 1), value)) {
            return std::nullopt;
        }
        // A parameter given twice would be read as its first value and the second never checked: only the
        // status filter takes several values (status=a&status=b or status[]=a&status[]=b).
        if (key != "status" && key != "status[]" &&
            std::any_of(out.begin(), out.end(), [&](const auto& kv) { return kv.first == key; })) {
            return std::nullopt;
        }
        out.emplace_back(key, value);
    }
    return out;
}

std::optional<std::string> query_value(const QueryParams& q, std::string_view key) {
    for (const auto& [k, v] : q) {
        if (k == key) return v;
    }
    return std::nullopt;
}

Response malformed_query() {
    return bad_request(
        "The query string is malformed: a bad percent escape, an escaped NUL, or a parameter given twice (only "
        "status may repeat).");
}

std::optional<bool> parse_bool_value(std::string_view v) {
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    return std::nullopt;
}

}  // namespace codd::api

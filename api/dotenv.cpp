#include "api/dotenv.hpp"

#include <fmt/format.h>

namespace codd::api {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool is_key(std::string_view k) {
    if (k.empty()) return false;
    for (std::size_t i = 0; i < k.size(); ++i) {
        const char c = k[i];
        const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0)) return false;
    }
    return true;
}

[[noreturn]] void fail(std::size_t line_no, std::string_view what) {
    throw DotenvError(fmt::format(".env line {}: {}", line_no, what));
}

// After a closing quote only blanks and a comment may follow.
void expect_rest_is_comment(std::string_view rest, std::size_t line_no) {
    rest = trim(rest);
    if (!rest.empty() && rest.front() != '#') fail(line_no, "unexpected text after the closing quote");
}

std::string parse_double_quoted(std::string_view v, std::size_t line_no) {
    std::string out;
    for (std::size_t i = 1; i < v.size(); ++i) {
        const char c = v[i];
        if (c == '"') {
            expect_rest_is_comment(v.substr(i + 1), line_no);
            return out;
        }
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (++i == v.size()) break;
        switch (v[i]) {
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case '"':
                out.push_back('"');
                break;
            case '\\':
                out.push_back('\\');
                break;
            default:
                out.push_back('\\'), out.push_back(v[i]);
        }
    }
    fail(line_no, "unterminated double-quoted value");
}

std::string parse_single_quoted(std::string_view v, std::size_t line_no) {
    const std::size_t close = v.find('\'', 1);
    if (close == std::string_view::npos) fail(line_no, "unterminated single-quoted value");
    expect_rest_is_comment(v.substr(close + 1), line_no);
    return std::string(v.substr(1, close - 1));
}

std::string parse_unquoted(std::string_view v) {
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '#' && (i == 0 || is_blank(v[i - 1]))) return std::string(trim(v.substr(0, i)));
    }
    return std::string(v);
}

std::string parse_value(std::string_view v, std::size_t line_no) {
    if (v.empty()) return {};
    if (v.front() == '"') return parse_double_quoted(v, line_no);
    if (v.front() == '\'') return parse_single_quoted(v, line_no);
    return parse_unquoted(v);
}

}  // namespace

EnvMap parse_dotenv(std::string_view text) {
    EnvMap out;
    std::size_t line_no = 0;
    while (!text.empty() || line_no == 0) {
        ++line_no;
        const std::size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        if (line.starts_with("export") && line.size() > 6 && is_blank(line[6])) line = trim(line.substr(7));
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) fail(line_no, "expected KEY=VALUE");
        const std::string_view key = trim(line.substr(0, eq));
        if (!is_key(key)) fail(line_no, fmt::format("invalid key '{}'", key));
        out.insert_or_assign(std::string(key), parse_value(trim(line.substr(eq + 1)), line_no));
    }
    return out;
}

}  // namespace codd::api

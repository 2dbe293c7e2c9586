#include "engine/json_codec.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include <boost/json/parse.hpp>

namespace codd::engine::json {

boost::json::object parse_object(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec) throw std::invalid_argument("malformed JSON: " + ec.message());
    if (!v.is_object()) throw std::invalid_argument("expected a JSON object");
    return std::move(v.get_object());
}

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (a lead byte >= 0x80), or 0 when it is not one: a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate or a code point above U+10FFFF
// (RFC 3629's table).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
    const auto cont = [](unsigned c, unsigned lo = 0x80, unsigned hi = 0xBF) { return c >= lo && c <= hi; };
    const unsigned c = at(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(at(1)) ? 2 : 0;
    if (c == 0xE0) return cont(at(1), 0xA0) && cont(at(2)) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(at(1)) && cont(at(2)) ? 3 : 0;
    if (c == 0xED) return cont(at(1), 0x80, 0x9F) && cont(at(2)) ? 3 : 0;
    if (c == 0xF0) return cont(at(1), 0x90) && cont(at(2)) && cont(at(3)) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) return cont(at(1)) && cont(at(2)) && cont(at(3)) ? 4 : 0;
    if (c == 0xF4) return cont(at(1), 0x80, 0x8F) && cont(at(2)) && cont(at(3)) ? 4 : 0;
    return 0;
}

}  // namespace

void append_quoted(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0;  // start of the characters not yet copied, none of which needs escaping
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') continue;
        if (c >= 0x80) {
            if (const std::size_t n = utf8_sequence(s, i); n > 0) {
                i += n - 1;
                continue;
            }
        }
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c >= 0x80) {
                out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not part of well-formed UTF-8
                break;
            }
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

namespace {

template <typename T>
void append_number(std::string& out, T n) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, end);
}

void append_double(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";  // JSON has no infinities or NaN
        return;
    }
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // the shortest text that reads back as d
    const std::string_view text(buf, static_cast<std::size_t>(end - buf));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos) out += ".0";  // still a double: 15.0, as SQLite writes it
}

void append_value(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: append_number(out, v.get_int64()); break;
    case boost::json::kind::uint64: append_number(out, v.get_uint64()); break;
    case boost::json::kind::double_: append_double(out, v.get_double()); break;
    case boost::json::kind::string: append_quoted(out, v.get_string()); break;
    case boost::json::kind::array: {
        out.push_back('[');
        bool first = true;
        for (const auto& e : v.get_array()) {
            if (!first) out.push_back(',');
            first = false;
            append_value(out, e);
        }
        out.push_back(']');
        break;
    }
    case boost::json::kind::object: {
        out.push_back('{');
        bool first = true;
        for (const auto& [key, e] : v.get_object()) {
            if (!first) out.push_back(',');
            first = false;
            append_quoted(out, key);
            out.push_back(':');
            append_value(out, e);
        }
        out.push_back('}');
        break;
    }
    }
}

}  // namespace

std::string serialize(const boost::json::value& v) {
    std::string out;
    append_value(out, v);
    return out;
}

namespace {

const boost::json::value& at(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) throw std::invalid_argument("missing field " + std::string(key));
    return *v;
}

[[noreturn]] void wrong_type(std::string_view key, const char* expected) {
    throw std::invalid_argument("field " + std::string(key) + " must be " + expected);
}

}  // namespace

std::string string_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (!v.is_string()) wrong_type(key, "a string");
    return std::string(v.get_string());
}

std::int64_t int_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    wrong_type(key, "an integer");
}

bool bool_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (!v.is_bool()) wrong_type(key, "a boolean");
    return v.get_bool();
}

const boost::json::object& object_at(const boost::json::object& o, std::string_view key) {
    const auto& v = at(o, key);
    if (!v.is_object()) wrong_type(key, "an object");
    return v.get_object();
}

NewEvent make_event(std::string_view type, const boost::json::object& payload) {
    NewEvent e;
    e.type = std::string(type);
    e.schema_version = 1;
    e.payload = serialize(payload);
    return e;
}

}  // namespace codd::engine::json

#pragma once
// Small text checks shared by the domain modules' input validation.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace codd::engine::text {

inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline std::string trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return std::string(s);
}

// Code points of valid UTF-8 (continuation bytes are not counted).
inline std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if there is none (overlong forms, surrogates
// and code points above U+10FFFF are not well-formed); its code point goes to `code_point` when given.
inline std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t* code_point = nullptr) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    char32_t min = 0;
    char32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2, min = 0x80, cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3, min = 0x800, cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4, min = 0x10000, cp = b0 & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    if (code_point != nullptr) *code_point = cp;
    return len;
}

// Whether `s` is well-formed UTF-8 throughout (ASCII included).
inline bool is_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = decode_utf8(s, i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

// Whether a code point beyond ASCII shows nothing on its own: the C1 controls, Unicode's white space without a
// glyph (no-break, en to hair, narrow, medium mathematical and ideographic spaces, line and paragraph
// separators) and the default-ignorable code points (soft hyphen, combining grapheme joiner, Arabic letter
// mark, Hangul and Khmer fillers, Mongolian selectors and vowel separator, zero-width space and joiners,
// bidirectional marks, embeddings and isolates, word joiner and invisible operators, variation selectors,
// byte order mark, interlinear annotation, musical formatting, tags).
inline bool is_invisible(char32_t cp) {
    return (cp >= 0x0080 && cp <= 0x00A0) || cp == 0x00AD || cp == 0x034F || cp == 0x061C || cp == 0x115F ||
           cp == 0x1160 || cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) ||
           cp == 0x3000 || cp == 0x3164 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 ||
           (cp >= 0xFFF0 && cp <= 0xFFFB) || (cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A) ||
           (cp >= 0xE0000 && cp <= 0xE0FFF);
}

// Whether `s` shows nothing: empty, or only spaces and invisible characters (a name of "\u202e\ufeff" is no
// name). A required field that is blank is missing. trim() strips ASCII white space only.
inline bool is_blank(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            if (!is_space(s[i])) return false;
            ++i;
            continue;
        }
        char32_t cp = 0;
        const std::size_t len = decode_utf8(s, i, &cp);
        if (len == 0 || !is_invisible(cp)) return false;
        i += len;
    }
    return true;
}

// Whether s[i] starts a control character: C0 (NUL, tab, line breaks...), DEL, or C1 (U+0080-U+009F, UTF-8 C2 80
// to C2 9F; U+0085 is a line break).
inline bool control_at(std::string_view s, std::size_t i) {
    const auto u = static_cast<unsigned char>(s[i]);
    return u < 0x20 || u == 0x7f ||
           (u == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F &&
            static_cast<unsigned char>(s[i + 1]) >= 0x80);
}

// Control characters in one line of text (a name, an address, a reason).
inline bool has_control(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (control_at(s, i)) return true;
    }
    return false;
}

// Control characters in free text of several lines (notes, descriptions): any but tab, line feed and carriage
// return (NUL among them: text that C strings, CSV exports or terminals downstream would cut or garble).
inline bool has_control_in_text(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (control_at(s, i) && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return true;
    }
    return false;
}

inline std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// The scheme of a URL, lower-cased ("https" of "HTTPS://x"), or "" for a reference without one ("/uploads/a.png",
// "a.png"). RFC 3986 §3.1: a letter, then letters, digits, '+', '-' or '.', up to the first ':' before any '/',
// '?' or '#'.
inline std::string url_scheme(std::string_view url) {
    const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    const std::size_t colon = url.find(':');
    if (colon == std::string_view::npos || colon == 0 || !is_alpha(url[0])) return {};
    const std::string_view scheme = url.substr(0, colon);
    const bool valid = std::all_of(scheme.begin(), scheme.end(), [&](char c) {
        return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    });
    return valid ? lower_ascii(scheme) : std::string();
}

inline std::string upper_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

}  // namespace codd::engine::text

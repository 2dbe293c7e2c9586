#include "projections/case_fold.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <utility>

#include "engine/text.hpp"
#include "projections/sqlite.hpp"

namespace codd::projections {
namespace {

bool between(char32_t c, char32_t first, char32_t last) {
    return c >= first && c <= last;
}

// Blocks where capital and small letters alternate: the capital on even code points (or odd, `odd_capital`).
bool alternating_capital(char32_t c, char32_t first, char32_t last, bool odd_capital = false) {
    return between(c, first, last) && ((c % 2 == 1) == odd_capital);
}

// Latin Extended-B capitals whose small letters are not the next code point: Ɓ Ɔ Ɖ Ɗ Ǝ Ə Ɛ Ƒ Ɠ Ɣ Ɩ Ɨ Ƙ Ɯ Ɲ Ƥ Ʊ Ʋ Ƴ
// Ƶ Ʒ and the digraphs Ǆ ǅ Ǉ ǈ Ǌ ǋ Ǳ ǲ Ǵ.
constexpr std::pair<char32_t, char32_t> kIrregularCapitals[] = {
    {0x181, 0x253}, {0x186, 0x254}, {0x189, 0x256}, {0x18A, 0x257}, {0x18E, 0x1DD}, {0x18F, 0x259},
    {0x190, 0x25B}, {0x191, 0x192}, {0x193, 0x260}, {0x194, 0x263}, {0x196, 0x269}, {0x197, 0x268},
    {0x198, 0x199}, {0x19C, 0x26F}, {0x19D, 0x272}, {0x1A4, 0x1A5}, {0x1B1, 0x28A}, {0x1B2, 0x28B},
    {0x1B3, 0x1B4}, {0x1B5, 0x1B6}, {0x1B7, 0x292}, {0x1C4, 0x1C6}, {0x1C5, 0x1C6}, {0x1C7, 0x1C9},
    {0x1C8, 0x1C9}, {0x1CA, 0x1CC}, {0x1CB, 0x1CC}, {0x1F1, 0x1F3}, {0x1F2, 0x1F3}, {0x1F4, 0x1F5},
};

void encode(char32_t c, std::string& out) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

void sql_fold(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    if (text == nullptr) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    const std::string folded =
        fold_case(std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
    sqlite3_result_text(ctx, folded.data(), static_cast<int>(folded.size()), SQLITE_TRANSIENT);
}

}  // namespace

char32_t lower_code_point(char32_t c) {
    if (c < 0x80) return between(c, 'A', 'Z') ? c + 32 : c;
    // Latin-1 Supplement (À-Þ but ×).
    if (between(c, 0xC0, 0xDE) && c != 0xD7) return c + 32;
    // Latin Extended-A.
    if (c == 0x130) return 'i';   // İ
    if (c == 0x178) return 0xFF;  // Ÿ
    if (alternating_capital(c, 0x100, 0x12F) || alternating_capital(c, 0x132, 0x137) ||
        alternating_capital(c, 0x139, 0x148, true) || alternating_capital(c, 0x14A, 0x177) ||
        alternating_capital(c, 0x179, 0x17E, true)) {
        return c + 1;
    }
    // Latin Extended-B: the letters of African and other orthographies whose small forms are elsewhere.
    for (const auto& [capital, small] : kIrregularCapitals) {
        if (c == capital) return small;
    }
    if (alternating_capital(c, 0x1CD, 0x1DC, true) || alternating_capital(c, 0x1DE, 0x1EF) ||
        alternating_capital(c, 0x1F8, 0x21F) || alternating_capital(c, 0x222, 0x233)) {
        return c + 1;
    }
    // Greek.
    if (c == 0x386) return 0x3AC;
    if (between(c, 0x388, 0x38A)) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (between(c, 0x38E, 0x38F)) return c + 63;
    if (between(c, 0x391, 0x3AB) && c != 0x3A2) return c + 32;
    if (c == 0x3C2) return 0x3C3;  // final ς folds to σ (Unicode's case folding), as its capital Σ does
    // Cyrillic.
    if (between(c, 0x400, 0x40F)) return c + 80;
    if (between(c, 0x410, 0x42F)) return c + 32;
    if (c == 0x4C0) return 0x4CF;
    if (alternating_capital(c, 0x460, 0x481) || alternating_capital(c, 0x48A, 0x4BF) ||
        alternating_capital(c, 0x4C1, 0x4CE, true) || alternating_capital(c, 0x4D0, 0x52F)) {
        return c + 1;
    }
    // Armenian.
    if (between(c, 0x531, 0x556)) return c + 48;
    // Latin Extended Additional (Vietnamese, Yoruba's dotted letters, ...).
    if (c == 0x1E9E) return 0xDF;  // ẞ
    if (alternating_capital(c, 0x1E00, 0x1E95) || alternating_capital(c, 0x1EA0, 0x1EFF)) return c + 1;
    // Fullwidth Latin.
    if (between(c, 0xFF21, 0xFF3A)) return c + 32;
    return c;
}

std::string fold_case(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        const auto b = static_cast<unsigned char>(utf8[i]);
        if (b < 0x80) {
            out += static_cast<char>(between(b, 'A', 'Z') ? b + 32 : b);
            ++i;
            continue;
        }
        char32_t c = 0;
        const std::size_t len = engine::text::decode_utf8(utf8, i, &c);
        if (len == 0) {
            out += utf8[i++];  // not UTF-8: the byte as it is
            continue;
        }
        i += len;
        encode(lower_code_point(c), out);
    }
    return out;
}

void register_case_fold(sqlite3* db) {
    const int rc = sqlite3_create_function_v2(db, "codd_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                              nullptr, sql_fold, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throw SqliteError(rc, sqlite3_errmsg(db), "codd_fold");
}

}  // namespace codd::projections

#pragma once
// Case folding for "contains" searches over names. SQLite's LIKE folds ASCII letters only, so "émilie" would not
// find "Émilie", nor "ɔdɔ" an "Ɔdɔ". fold_case lowercases UTF-8 text for the scripts a shop's customers and
// products are written in (Latin with its extensions, including the African letters Ɛ Ɔ Ɖ Ɓ Ɗ Ƙ Ŋ, Greek,
// Cyrillic, Armenian); everything else, and bytes that are not valid UTF-8, pass through unchanged.
#include <string>
#include <string_view>

struct sqlite3;

namespace codd::projections {

// The simple lowercase mapping (Unicode's UnicodeData.txt, one code point to one) of the blocks above, and the
// final sigma folded to σ as Unicode's case folding does, so "ΣΩΚΡΆΤΗΣ" finds "Σωκράτης".
[[nodiscard]] char32_t lower_code_point(char32_t c);

[[nodiscard]] std::string fold_case(std::string_view utf8);

[[nodiscard]] inline bool is_ascii(std::string_view s) {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

// Registers the SQL function codd_fold(text) (fold_case; NULL stays NULL) on `db`. Database::open does it for
// every connection.
void register_case_fold(sqlite3* db);

}  // namespace codd::projections

#include "projections/digest.hpp"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace codd::projections {

namespace {

class Sha256 {
  public:
    Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
            throw std::runtime_error("SHA-256 unavailable");
        }
    }
    void add(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
    void add_u64(std::uint64_t v) {
        char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
        add(std::string_view(b, 8));
    }
    // A length prefix keeps ("ab","c") and ("a","bc") apart.
    void add_sized(std::string_view bytes) {
        add_u64(bytes.size());
        add(bytes);
    }
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_.get(), md.data(), &n);
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out;
        for (unsigned int i = 0; i < n; ++i) out += kHex[md[i] >> 4], out += kHex[md[i] & 0xf];
        return out;
    }

  private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

char type_tag(int type) {
    switch (type) {
        case SQLITE_INTEGER:
            return 'i';
        case SQLITE_FLOAT:
            return 'f';
        case SQLITE_TEXT:
            return 't';
        case SQLITE_BLOB:
            return 'b';
        default:
            return 'n';
    }
}

void add_value(Sha256& h, const Statement& row, int col) {
    const int type = row.column_type(col);
    const char tag = type_tag(type);
    h.add(std::string_view(&tag, 1));
    switch (type) {
        case SQLITE_INTEGER:
            h.add_u64(static_cast<std::uint64_t>(row.column_int(col)));
            break;
        case SQLITE_FLOAT: {
            const double d = row.column_double(col);
            std::uint64_t bits = 0;
            std::memcpy(&bits, &d, sizeof bits);
            h.add_u64(bits);
            break;
        }
        case SQLITE_TEXT:
            h.add_sized(row.column_text(col));
            break;
        case SQLITE_BLOB:
            h.add_sized(row.column_blob(col));
            break;
        default:
            break;
    }
}

}  // namespace

std::string table_digest(Database& db, std::string_view table, std::string_view order_by) {
    std::string sql = "SELECT * FROM \"" + std::string(table) + "\"";
    if (!order_by.empty()) sql += " ORDER BY " + std::string(order_by);
    auto rows = db.prepare(sql);
    Sha256 h;
    for (int c = 0; c < rows.column_count(); ++c) h.add_sized(rows.column_name(c));
    std::uint64_t n = 0;
    while (rows.step()) {
        h.add("r");
        for (int c = 0; c < rows.column_count(); ++c) add_value(h, rows, c);
        ++n;
    }
    h.add_u64(n);
    return h.hex();
}

std::string view_digest(Database& db, const Projection& projection) {
    Sha256 h;
    for (const auto& t : projection.tables()) {
        h.add_sized(t.name);
        h.add_sized(table_digest(db, t.name, t.order_by));
    }
    return h.hex();
}

}  // namespace codd::projections

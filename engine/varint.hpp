#pragma once
// LEB128 varints and big-endian fixed integers: the byte-level pieces of the log's keys and values.

#include <cstdint>
#include <string>
#include <string_view>

namespace codd::engine::varint {

inline void put(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

// Big-endian, so byte order equals numeric order and RocksDB range scans walk positions in sequence.
inline void put_be64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

inline std::uint64_t get_be64(std::string_view s) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[i]);
    return v;
}

// Bounds-checked sequential reader; every method returns false instead of reading past the end.
class Reader {
public:
    explicit Reader(std::string_view s) : s_(s) {}

    bool byte(std::uint8_t& b) {
        if (pos_ >= s_.size()) return false;
        b = static_cast<std::uint8_t>(s_[pos_++]);
        return true;
    }
    bool u64(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift <= 63; shift += 7) {
            std::uint8_t b = 0;
            if (!byte(b)) return false;
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
    bool str(std::string& out) {
        std::uint64_t n = 0;
        if (!u64(n) || n > s_.size() - pos_) return false;
        out.assign(s_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    [[nodiscard]] bool done() const { return pos_ == s_.size(); }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace codd::engine::varint

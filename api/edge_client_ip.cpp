#include "api/edge_client_ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

namespace codd::api {
namespace {

// Forwarded-For lists longer than this are cut: enough for any real chain of proxies, and a bound on the
// work a crafted header can cause.
constexpr std::size_t kMaxForwardedEntries = 32;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Some proxies add a port: "203.0.113.7:4711" or "[2001:db8::1]:4711".
std::string_view strip_port(std::string_view s) {
    if (s.starts_with('[')) {
        const std::size_t close = s.find(']');
        return close == std::string_view::npos ? s : s.substr(1, close - 1);
    }
    const std::size_t colon = s.find(':');
    if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) return s.substr(0, colon);
    return s;
}

void split_entries(std::string_view value, std::vector<std::string_view>& out) {
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        out.push_back(trim(value.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (const std::size_t zone = text.find('%'); zone != std::string_view::npos) text = text.substr(0, zone);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN] = {};
    text.copy(buf, text.size());
    IpAddress out;
    std::array<std::uint8_t, 4> v4{};
    if (inet_pton(AF_INET, buf, v4.data()) == 1) {
        out.v4 = true;
    } else if (inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
        const bool mapped = std::all_of(out.bytes.begin(), out.bytes.begin() + 10, [](auto b) { return b == 0; }) &&
                            out.bytes[10] == 0xff && out.bytes[11] == 0xff;
        if (!mapped) return out;
        out.v4 = true;
        std::copy(out.bytes.begin() + 12, out.bytes.end(), v4.begin());
    } else {
        return std::nullopt;
    }
    out.bytes = {};
    out.bytes[10] = 0xff;
    out.bytes[11] = 0xff;
    std::copy(v4.begin(), v4.end(), out.bytes.begin() + 12);
    return out;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (v4) {
        inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    }
    return buf;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
    const std::size_t slash = text.find('/');
    const auto address = IpAddress::parse(text.substr(0, slash));
    if (!address || (slash == std::string_view::npos && text.find('%') != std::string_view::npos)) return std::nullopt;
    IpNetwork out{*address, 128};
    if (slash != std::string_view::npos) {
        const std::string_view bits = text.substr(slash + 1);
        const int max = address->v4 ? 32 : 128;
        int n = 0;
        if (bits.empty() || bits.size() > 3) return std::nullopt;
        for (const char c : bits) {
            if (c < '0' || c > '9') return std::nullopt;
            n = n * 10 + (c - '0');
        }
        if (n > max) return std::nullopt;
        out.prefix = address->v4 ? 96 + n : n;
    }
    for (int i = out.prefix; i < 128; ++i) out.base.bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
    return out;
}

bool IpNetwork::contains(const IpAddress& a) const {
    if (a.v4 != base.v4) return false;
    const int full = prefix / 8;
    for (int i = 0; i < full; ++i) {
        if (a.bytes[i] != base.bytes[i]) return false;
    }
    if (const int rest = prefix % 8; rest != 0) {
        const auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
        if ((a.bytes[full] & mask) != base.bytes[full]) return false;
    }
    return true;
}

TrustedProxies TrustedProxies::parse(std::string_view csv) {
    TrustedProxies out;
    std::vector<std::string_view> entries;
    split_entries(csv, entries);
    for (const std::string_view e : entries) {
        if (e.empty()) continue;
        const auto network = IpNetwork::parse(e);
        if (!network) throw std::invalid_argument("'" + std::string(e) + "' is not an IP address or CIDR network");
        out.networks_.push_back(*network);
    }
    return out;
}

bool TrustedProxies::contains(const IpAddress& a) const {
    return std::any_of(networks_.begin(), networks_.end(), [&](const IpNetwork& n) { return n.contains(a); });
}

std::string client_ip(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                      const TrustedProxies& trusted) {
    // The server reports the peer in canonical form already; parse only when proxies may change the answer.
    if (trusted.empty()) return std::string(peer);
    const auto peer_address = IpAddress::parse(peer);
    if (!peer_address) return std::string(peer);
    if (trusted.empty() || forwarded_for.empty() || !trusted.contains(*peer_address)) return peer_address->to_string();
    std::vector<std::string_view> entries;
    for (const std::string_view v : forwarded_for) split_entries(v, entries);
    IpAddress client = *peer_address;
    std::size_t walked = 0;
    for (auto it = entries.rbegin(); it != entries.rend() && walked < kMaxForwardedEntries; ++it, ++walked) {
        const auto hop = IpAddress::parse(strip_port(*it));
        if (!hop) break;
        client = *hop;
        if (!trusted.contains(*hop)) break;
    }
    return client.to_string();
}

}  // namespace codd::api

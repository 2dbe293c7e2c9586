#pragma once
// Who the client is, for rate limits and logs: the TCP peer, unless the peer is one of our own reverse
// proxies (CODD_TRUSTED_PROXIES), in which case X-Forwarded-For says. Only the entries our proxies appended
// can be believed, so the list is read from the right and the first address that is not a trusted proxy is
// the client; anything to its left was written by the client itself.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codd::api {

// An IPv4 or IPv6 address. IPv4 (and IPv4-mapped IPv6, as a dual-stack socket reports IPv4 peers) is kept
// as ::ffff:a.b.c.d so that one comparison serves both.
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;

    // A literal address; an IPv6 zone ("%eth0") is ignored. nullopt for anything else (no host names).
    [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text);
    // The canonical text ("203.0.113.7", "2001:db8::1").
    [[nodiscard]] std::string to_string() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct IpNetwork {
    IpAddress base;  // host bits cleared
    int prefix = 0;  // in the 128-bit space (an IPv4 /8 is stored as /104)

    // "10.0.0.0/8", "fd00::/8", or a single address. nullopt if malformed.
    [[nodiscard]] static std::optional<IpNetwork> parse(std::string_view text);
    [[nodiscard]] bool contains(const IpAddress& a) const;
};

class TrustedProxies {
  public:
    TrustedProxies() = default;
    // Comma-separated addresses and CIDR networks; blanks around entries are ignored. Throws
    // std::invalid_argument naming the first entry that is neither.
    [[nodiscard]] static TrustedProxies parse(std::string_view csv);

    [[nodiscard]] bool contains(const IpAddress& a) const;
    [[nodiscard]] bool empty() const { return networks_.empty(); }

  private:
    std::vector<IpNetwork> networks_;
};

// The client address of a request from `peer` (the TCP peer address as text) with the X-Forwarded-For
// header values `forwarded_for` (in the order received; each may hold a comma-separated list). Returns the
// canonical text of the address. An entry that is not an address (garbage, "unknown") ends the walk: the
// hop that forwarded it is the client as far as we can tell.
[[nodiscard]] std::string client_ip(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                                    const TrustedProxies& trusted);

}  // namespace codd::api

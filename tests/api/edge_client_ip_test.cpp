#include <doctest/doctest.h>

#include <stdexcept>

#include "api/edge_client_ip.hpp"

using namespace codd::api;

TEST_CASE("addresses: IPv4, IPv6, IPv4-mapped, zones, nothing else") {
    CHECK(IpAddress::parse("203.0.113.7")->to_string() == "203.0.113.7");
    CHECK(IpAddress::parse("2001:DB8:0:0::1")->to_string() == "2001:db8::1");
    CHECK(IpAddress::parse("::ffff:203.0.113.7")->to_string() == "203.0.113.7");
    CHECK(*IpAddress::parse("::ffff:203.0.113.7") == *IpAddress::parse("203.0.113.7"));
    CHECK(IpAddress::parse("fe80::1%eth0")->to_string() == "fe80::1");
    for (const char* bad : {"", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:80", "unknown", " 1.2.3.4"}) {
        INFO(bad);
        CHECK_FALSE(IpAddress::parse(bad).has_value());
    }
}

TEST_CASE("networks") {
    const auto net = IpNetwork::parse("10.1.0.0/16");
    REQUIRE(net);
    CHECK(net->contains(*IpAddress::parse("10.1.255.3")));
    CHECK_FALSE(net->contains(*IpAddress::parse("10.2.0.1")));
    CHECK(IpNetwork::parse("10.1.2.3/8")->contains(*IpAddress::parse("10.200.0.1")));  // host bits ignored
    CHECK(IpNetwork::parse("0.0.0.0/0")->contains(*IpAddress::parse("8.8.8.8")));
    CHECK_FALSE(IpNetwork::parse("0.0.0.0/0")->contains(*IpAddress::parse("::1")));  // v4 never matches v6
    CHECK(IpNetwork::parse("fd00::/8")->contains(*IpAddress::parse("fd12::1")));
    CHECK_FALSE(IpNetwork::parse("fd00::/8")->contains(*IpAddress::parse("fe12::1")));
    CHECK(IpNetwork::parse("10.0.0.0/9")->contains(*IpAddress::parse("10.127.0.1")));
    CHECK_FALSE(IpNetwork::parse("10.0.0.0/9")->contains(*IpAddress::parse("10.128.0.1")));
    CHECK(IpNetwork::parse("127.0.0.1")->contains(*IpAddress::parse("::ffff:127.0.0.1")));
    for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "host/8"}) {
        INFO(bad);
        CHECK_FALSE(IpNetwork::parse(bad).has_value());
    }
}

TEST_CASE("trusted proxies parse from a comma-separated list and name a bad entry") {
    const TrustedProxies t = TrustedProxies::parse(" 127.0.0.1, 10.0.0.0/8 ,,::1");
    CHECK(t.contains(*IpAddress::parse("10.9.9.9")));
    CHECK(t.contains(*IpAddress::parse("::1")));
    CHECK_FALSE(t.contains(*IpAddress::parse("192.168.0.1")));
    CHECK(TrustedProxies::parse("").empty());
    CHECK_THROWS_WITH_AS(TrustedProxies::parse("10.0.0.1, proxy.local"), doctest::Contains("proxy.local"),
                         std::invalid_argument);
}

TEST_CASE("client_ip: X-Forwarded-For counts only behind a trusted proxy, read from the right") {
    const TrustedProxies trusted = TrustedProxies::parse("127.0.0.1,10.0.0.0/8");
    // Not from a proxy: whatever the client wrote is ignored.
    CHECK(client_ip("203.0.113.9", {"1.1.1.1"}, trusted) == "203.0.113.9");
    // No proxies configured: the header is never believed.
    CHECK(client_ip("127.0.0.1", {"1.1.1.1"}, TrustedProxies{}) == "127.0.0.1");
    // Through our proxy: the entry it appended.
    CHECK(client_ip("127.0.0.1", {"198.51.100.4"}, trusted) == "198.51.100.4");
    // The client forged entries to the left; the right-most untrusted one is the real peer of our proxy.
    CHECK(client_ip("127.0.0.1", {"6.6.6.6, 198.51.100.4"}, trusted) == "198.51.100.4");
    // Chains of our own proxies are skipped, across several header lines too.
    CHECK(client_ip("10.0.0.2", {"6.6.6.6, 198.51.100.4", "10.0.0.7"}, trusted) == "198.51.100.4");
    // Garbage stops the walk at the hop that forwarded it.
    CHECK(client_ip("127.0.0.1", {"198.51.100.4, garbage, 10.0.0.3"}, trusted) == "10.0.0.3");
    CHECK(client_ip("127.0.0.1", {"unknown"}, trusted) == "127.0.0.1");
    // Ports and brackets some proxies add; IPv4-mapped peers of dual-stack sockets.
    CHECK(client_ip("::ffff:127.0.0.1", {"198.51.100.4:5123"}, trusted) == "198.51.100.4");
    CHECK(client_ip("127.0.0.1", {"[2001:db8::7]:443"}, trusted) == "2001:db8::7");
    // Only proxies all the way: the left-most.
    CHECK(client_ip("127.0.0.1", {"10.0.0.5, 10.0.0.6"}, trusted) == "10.0.0.5");
    CHECK(client_ip("::ffff:203.0.113.1", {}, trusted) == "203.0.113.1");
}

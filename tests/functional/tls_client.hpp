#pragma once
// Test support: a small blocking HTTPS client that trusts exactly one CA file (the test's self-signed
// certificate) and checks the host name, like a careful real client. Every call has a timeout.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/functional/http_client.hpp"

namespace codd::test {

// One keep-alive TLS connection, opened (TCP connect + handshake) on first use and reopened after the server
// closes it. Throws std::runtime_error when the handshake or the certificate check fails.
class TlsClient {
  public:
    TlsClient(std::string host, std::uint16_t port, const std::filesystem::path& ca_file,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    HttpResponse request(const std::string& method, const std::string& target, const HeaderList& headers = {});
    HttpResponse get(const std::string& target, const HeaderList& headers = {}) {
        return request("GET", target, headers);
    }

    // How many connections (handshakes) this client has made so far.
    [[nodiscard]] int connections_opened() const;
    // True if the server sends close_notify or closes the connection within `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout);

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace codd::test

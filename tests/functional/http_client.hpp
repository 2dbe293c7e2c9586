#pragma once
// Test support: a small blocking HTTP/1.1 client (Beast, over codd_api's compiled Asio/Beast). Every call has
// a timeout, so a server that hangs fails the test with a clear error instead of hanging the suite.

#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace codd::test {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    int status = 0;
    HeaderList headers;
    std::string body;
    bool keep_alive = false;

    // Case-insensitive.
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    [[nodiscard]] boost::json::value json() const;  // throws if the body is not JSON
};

class TimeoutError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One keep-alive connection, opened on first use and reopened after the server closes it.
class HttpClient {
  public:
    HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse request(const std::string& method, const std::string& target, const HeaderList& headers = {},
                         const std::string& body = {});
    HttpResponse get(const std::string& target, const HeaderList& headers = {}) {
        return request("GET", target, headers);
    }

    // How many TCP connections this client has opened so far.
    [[nodiscard]] int connections_opened() const;
    void close();

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// True for the canonical 8-4-4-4-12 hex form of a UUID (the request ids codd generates).
inline bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-')) return false;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

// A raw TCP connection for sending slow, partial or malformed requests byte by byte.
class RawConnection {
  public:
    RawConnection(const std::string& host, std::uint16_t port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    void send(std::string_view bytes);
    // Reads one response. Throws TimeoutError after `timeout`, std::runtime_error if the peer closes first.
    HttpResponse read_response(std::chrono::milliseconds timeout);
    // True if the peer closes the connection (EOF or reset) within `timeout`; false if it stays open.
    bool wait_closed(std::chrono::milliseconds timeout);

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace codd::test

#include "tests/functional/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

namespace codd::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Runs one asynchronous operation on `ioc` to completion or until `timeout`, closing `socket` on timeout.
// Asio's blocking calls cannot time out, hence this.
template <typename Start>
beast::error_code run_for(asio::io_context& ioc, tcp::socket& socket, std::chrono::milliseconds timeout, Start start) {
    bool done = false;
    beast::error_code result;
    ioc.restart();
    start([&](beast::error_code ec, std::size_t = 0) {
        done = true;
        result = ec;
    });
    ioc.run_for(timeout);
    if (!done) {
        beast::error_code ignored;
        socket.close(ignored);
        ioc.restart();
        ioc.run();
        throw TimeoutError("no answer from the server within " + std::to_string(timeout.count()) + " ms");
    }
    return result;
}

HttpResponse to_response(http::response<http::string_body>&& res) {
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.keep_alive = res.keep_alive();
    out.body = std::move(res.body());
    return out;
}

HttpResponse read_one(asio::io_context& ioc, tcp::socket& socket, beast::flat_buffer& buffer,
                      std::chrono::milliseconds timeout, bool head) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head);
    const auto ec = run_for(ioc, socket, timeout,
                            [&](auto handler) { http::async_read(socket, buffer, parser, std::move(handler)); });
    if (ec) throw std::runtime_error("reading the response failed: " + ec.message());
    return to_response(parser.release());
}

void connect(asio::io_context& ioc, tcp::socket& socket, const std::string& host, std::uint16_t port,
             std::chrono::milliseconds timeout) {
    tcp::resolver resolver(ioc);
    const auto endpoints = resolver.resolve(host, std::to_string(port));
    const auto ec = run_for(ioc, socket, timeout, [&](auto handler) {
        asio::async_connect(socket, endpoints,
                            [h = std::move(handler)](beast::error_code e, const tcp::endpoint&) { h(e, 0); });
    });
    if (ec) throw std::runtime_error("connecting to the server failed: " + ec.message());
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, name)) return v;
    }
    return std::nullopt;
}

boost::json::value HttpResponse::json() const {
    return boost::json::parse(body);
}

class HttpClient::Impl {
  public:
    Impl(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
        : host_(std::move(host)), port_(port), timeout_(timeout), socket_(ioc_) {}

    HttpResponse request(const std::string& method, const std::string& target, const HeaderList& headers,
                         const std::string& body) {
        if (!socket_.is_open()) {
            buffer_.clear();
            connect(ioc_, socket_, host_, port_, timeout_);
            ++connections_;
        }
        http::request<http::string_body> req{http::string_to_verb(method), target, 11};
        if (req.method() == http::verb::unknown) req.method_string(method);
        req.set(http::field::host, host_ + ":" + std::to_string(port_));
        for (const auto& [k, v] : headers) req.set(k, v);
        req.body() = body;
        if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
        const auto ec = run_for(ioc_, socket_, timeout_,
                                [&](auto handler) { http::async_write(socket_, req, std::move(handler)); });
        if (ec) throw std::runtime_error("sending the request failed: " + ec.message());
        HttpResponse res = read_one(ioc_, socket_, buffer_, timeout_, method == "HEAD");
        if (!res.keep_alive) close();
        return res;
    }

    void close() {
        beast::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    [[nodiscard]] int connections() const { return connections_; }

  private:
    std::string host_;
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
    asio::io_context ioc_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
    int connections_ = 0;
};

HttpClient::HttpClient(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout)) {}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const HeaderList& headers,
                                 const std::string& body) {
    return impl_->request(method, target, headers, body);
}

int HttpClient::connections_opened() const {
    return impl_->connections();
}
void HttpClient::close() {
    impl_->close();
}

class RawConnection::Impl {
  public:
    Impl(const std::string& host, std::uint16_t port) : socket_(ioc_) {
        connect(ioc_, socket_, host, port, std::chrono::seconds(10));
    }

    void send(std::string_view bytes) {
        const auto ec = run_for(ioc_, socket_, std::chrono::seconds(10), [&](auto handler) {
            asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), std::move(handler));
        });
        if (ec) throw std::runtime_error("sending failed: " + ec.message());
    }

    HttpResponse read_response(std::chrono::milliseconds timeout) {
        return read_one(ioc_, socket_, buffer_, timeout, false);
    }

    bool wait_closed(std::chrono::milliseconds timeout) {
        std::array<char, 4096> scratch{};
        for (;;) {
            beast::error_code ec;
            try {
                ec = run_for(ioc_, socket_, timeout,
                             [&](auto handler) { socket_.async_read_some(asio::buffer(scratch), std::move(handler)); });
            } catch (const TimeoutError&) {
                return false;
            }
            if (ec) return true;  // EOF or reset
        }
    }

  private:
    asio::io_context ioc_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
};

RawConnection::RawConnection(const std::string& host, std::uint16_t port) : impl_(std::make_unique<Impl>(host, port)) {}
RawConnection::~RawConnection() = default;
void RawConnection::send(std::string_view bytes) {
    impl_->send(bytes);
}
HttpResponse RawConnection::read_response(std::chrono::milliseconds timeout) {
    return impl_->read_response(timeout);
}
bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
    return impl_->wait_closed(timeout);
}

}  // namespace codd::test

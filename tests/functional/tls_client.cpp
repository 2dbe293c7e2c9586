#include "tests/functional/tls_client.hpp"

#include <array>

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace codd::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// Runs one asynchronous operation to completion or until `timeout` (then closes the socket and throws).
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

}  // namespace

class TlsClient::Impl {
  public:
    Impl(std::string host, std::uint16_t port, const std::filesystem::path& ca_file, std::chrono::milliseconds timeout)
        : host_(std::move(host)), port_(port), timeout_(timeout), ctx_(ssl::context::tls_client) {
        ctx_.load_verify_file(ca_file.string());
        ctx_.set_verify_mode(ssl::verify_peer);
    }

    HttpResponse request(const std::string& method, const std::string& target, const HeaderList& headers) {
        if (!stream_ || !stream_->lowest_layer().is_open()) connect();
        http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
        req.set(http::field::host, "localhost:" + std::to_string(port_));
        for (const auto& [k, v] : headers) req.set(k, v);
        auto ec = run_for(ioc_, socket(), timeout_, [&](auto h) { http::async_write(*stream_, req, std::move(h)); });
        if (ec) throw std::runtime_error("sending the request failed: " + ec.message());
        http::response<http::string_body> res;
        ec = run_for(ioc_, socket(), timeout_, [&](auto h) { http::async_read(*stream_, buffer_, res, std::move(h)); });
        if (ec) throw std::runtime_error("reading the response failed: " + ec.message());
        HttpResponse out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        out.keep_alive = res.keep_alive();
        out.body = std::move(res.body());
        if (!out.keep_alive) socket().close();
        return out;
    }

    bool wait_closed(std::chrono::milliseconds timeout) {
        if (!stream_) connect();
        std::array<char, 1024> scratch{};
        for (;;) {
            beast::error_code ec;
            try {
                ec = run_for(ioc_, socket(), timeout,
                             [&](auto h) { stream_->async_read_some(asio::buffer(scratch), std::move(h)); });
            } catch (const TimeoutError&) {
                return false;
            }
            if (ec) return true;  // close_notify (eof), truncation or reset
        }
    }

    [[nodiscard]] int connections() const { return connections_; }

  private:
    tcp::socket& socket() { return stream_->next_layer(); }

    void connect() {
        stream_.emplace(ioc_, ctx_);
        buffer_.clear();
        // The certificate says CN=localhost; we connect to 127.0.0.1 but check the name a browser would.
        SSL_set_tlsext_host_name(stream_->native_handle(), "localhost");
        stream_->set_verify_callback(ssl::host_name_verification("localhost"));
        tcp::resolver resolver(ioc_);
        const auto endpoints = resolver.resolve(host_, std::to_string(port_));
        auto ec = run_for(ioc_, socket(), timeout_, [&](auto h) {
            asio::async_connect(socket(), endpoints,
                                [h = std::move(h)](beast::error_code e, const tcp::endpoint&) mutable { h(e, 0); });
        });
        if (ec) throw std::runtime_error("connecting to the server failed: " + ec.message());
        ec = run_for(ioc_, socket(), timeout_, [&](auto h) {
            stream_->async_handshake(ssl::stream_base::client,
                                     [h = std::move(h)](beast::error_code e) mutable { h(e, 0); });
        });
        if (ec) throw std::runtime_error("the TLS handshake failed: " + ec.message());
        ++connections_;
    }

    std::string host_;
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
    asio::io_context ioc_;
    ssl::context ctx_;
    std::optional<ssl::stream<tcp::socket>> stream_;
    beast::flat_buffer buffer_;
    int connections_ = 0;
};

TlsClient::TlsClient(std::string host, std::uint16_t port, const std::filesystem::path& ca_file,
                     std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, ca_file, timeout)) {}
TlsClient::~TlsClient() = default;

HttpResponse TlsClient::request(const std::string& method, const std::string& target, const HeaderList& headers) {
    return impl_->request(method, target, headers);
}
int TlsClient::connections_opened() const {
    return impl_->connections();
}
bool TlsClient::wait_closed(std::chrono::milliseconds timeout) {
    return impl_->wait_closed(timeout);
}

}  // namespace codd::test

#include "api/http_server.hpp"

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "api/logging.hpp"
#include "api/problem.hpp"
#include "engine/text.hpp"
#include "engine/thread_name.hpp"

namespace codd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// After refusing a request whose body is still arriving, keep reading (and discarding) for this long before
// closing, so the client reads our error response instead of a connection reset.
constexpr auto kLingerTimeout = std::chrono::seconds(1);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// How long a TLS connection waits for the client's close_notify after sending its own.
constexpr auto kTlsShutdownTimeout = std::chrono::milliseconds(1000);
// TLS 1.2 suites: forward-secret AEAD only (Mozilla's "intermediate" list, minus DHE: no DH parameters are
// configured). TLS 1.3 suites are all AEAD; OpenSSL's defaults stay.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

using PlainStream = tcp::socket;
using TlsStream = beast::ssl_stream<tcp::socket>;

// What stop() needs of a connection, whatever its stream.
class Connection {
  public:
    virtual ~Connection() = default;
    virtual void drain() = 0;  // an idle connection closes now, a busy one after its response
    virtual void cut() = 0;    // closes now
};

// The live connections, so that stop() can drain them and wait until they are gone.
class Registry {
  public:
    void add(Connection* s, std::weak_ptr<Connection> w) {
        std::lock_guard lk(mu_);
        sessions_.emplace(s, std::move(w));
    }
    void remove(Connection* s) {
        std::lock_guard lk(mu_);
        sessions_.erase(s);
        cv_.notify_all();
    }
    [[nodiscard]] std::vector<std::shared_ptr<Connection>> snapshot() const {
        std::lock_guard lk(mu_);
        std::vector<std::shared_ptr<Connection>> out;
        for (const auto& [_, w] : sessions_) {
            if (auto s = w.lock()) out.push_back(std::move(s));
        }
        return out;
    }
    bool wait_empty(SteadyClock::time_point deadline) {
        std::unique_lock lk(mu_);
        return cv_.wait_until(lk, deadline, [this] { return sessions_.empty(); });
    }
    [[nodiscard]] std::size_t size() const {
        std::lock_guard lk(mu_);
        return sessions_.size();
    }

  private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::unordered_map<Connection*, std::weak_ptr<Connection>> sessions_;
};

struct ServerState {
    ServerOptions options;
    Dispatcher dispatcher;
    Registry registry;
    std::atomic<bool> draining{false};
};

// One connection over a plain TCP socket or TLS; the HTTP logic is the same, the stream differs only in the
// handshake and the close (`kTls`). Every handler runs on the connection's strand (the socket's executor), so
// no member needs a lock. The connection's own timer bounds each read, write, handshake and TLS shutdown.
template <typename Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
    static constexpr bool kTls = !std::is_same_v<Stream, PlainStream>;
    using std::enable_shared_from_this<Session>::shared_from_this;
    using std::enable_shared_from_this<Session>::weak_from_this;

  public:
    Session(Stream stream, ServerState& state)
        : stream_(std::move(stream)), timer_(stream_.get_executor()), state_(state) {}
    ~Session() override { state_.registry.remove(this); }

    void start() {
        beast::error_code ec;
        const tcp::endpoint remote = socket().remote_endpoint(ec);
        if (!ec) peer_ = remote.address().to_string();
        state_.registry.add(this, weak_from_this());
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            if constexpr (kTls) {
                self->handshake();
            } else {
                self->read_header();
            }
        });
    }

    void drain() override {
        asio::post(stream_.get_executor(), [self = shared_from_this()] {
            if (!self->idle()) return;
            if constexpr (kTls) {
                // The pending read ends with operation_aborted and its handler closes: a TLS shutdown cannot
                // start while a read is in progress.
                beast::error_code ignored;
                self->socket().cancel(ignored);
            } else {
                self->close();
            }
        });
    }

    void cut() override {
        asio::post(stream_.get_executor(), [self = shared_from_this()] { self->abort(); });
    }

  private:
    tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

    // Bounded like a request, so a client that connects and never finishes the handshake is closed. A failed
    // handshake (a scanner, plain HTTP, an old protocol) is the client's problem: logged at debug, not louder.
    void handshake() {
        arm(state_.options.read_timeout);
        stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
            self->disarm();
            if (ec) {
                log::debug("TLS handshake failed",
                           {{"peer", self->peer_}, {"error", self->timed_out_ ? "timed out" : ec.message()}});
                return self->abort();
            }
            self->handshake_done_ = true;
            self->read_header();
        });
    }

    [[nodiscard]] bool idle() const { return !busy_ && buffer_.size() == 0 && (!parser_ || !parser_->got_some()); }

    // The id tells a stale expiry (already queued when the deadline was moved) from the current one.
    void arm(std::chrono::milliseconds after) {
        timed_out_ = false;
        const std::uint64_t id = ++deadline_id_;
        timer_.expires_after(after);
        timer_.async_wait([weak = weak_from_this(), id](beast::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->deadline_id_ != id) return;
            self->timed_out_ = true;
            beast::error_code ignored;
            self->socket().cancel(ignored);
        });
    }

    void disarm() {
        ++deadline_id_;
        timer_.cancel();
    }

    void read_header() {
        busy_ = false;
        if (state_.draining.load() && buffer_.size() == 0) return close();
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        // The body limit is applied once the header is in (on_header), so a 413 can name the method and path.
        parser_->body_limit(boost::none);
        arm(state_.options.read_timeout);
        auto self = shared_from_this();
        http::async_read_header(stream_, buffer_, *parser_,
                                [self](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        if (ec) return on_read_error(ec);
        busy_ = true;
        started_ = SteadyClock::now();
        const std::size_t limit = state_.options.max_body_bytes;
        if (const auto length = parser_->content_length(); length && *length > limit) {
            return on_read_error(http::error::body_limit);
        }
        const auto& msg = parser_->get();
        // A Transfer-Encoding whose final coding is not chunked leaves a request's body without a length: the
        // parser would read none and take the body's bytes for the next request (a desync a proxy in front
        // could be smuggled through). RFC 9112 §6.3: 400, and the connection closed.
        // Any coding before chunked (gzip, chunked) would be left undone and the body read as garbage: only
        // chunked alone is read.
        if (const auto te = msg.find(http::field::transfer_encoding); te != msg.end()) {
            if (!parser_->chunked() || !beast::iequals(engine::text::trim(te->value()), "chunked")) {
                return reject(ProblemType::bad_request,
                              "Transfer-Encoding must be chunked alone (the only transfer coding codd reads).",
                              "Unsupported Transfer-Encoding");
            }
        }
        parser_->body_limit(limit);        // for chunked bodies, whose size is known only while reading them
        arm(state_.options.read_timeout);  // the body gets its own period, whatever the idle time before
        if (!parser_->is_done() && msg.version() >= 11 && beast::iequals(msg[http::field::expect], "100-continue")) {
            // The client waits for this before sending the body; the limits were already checked on the header.
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, msg.version());
            http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
                if (wec) return self->on_read_error(wec);
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body() {
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
    }

    void on_read_error(beast::error_code ec) {
        disarm();
        if (ec == asio::error::operation_aborted && timed_out_) {
            if (busy_ || parser_->got_some()) {
                return reject(
                    ProblemType::request_timeout,
                    fmt::format("The request was not completed within {} ms.", state_.options.read_timeout.count()),
                    "The request took too long to arrive.");
            }
            return close();  // an idle keep-alive connection timed out
        }
        if (ec == http::error::body_limit) {
            return reject(ProblemType::payload_too_large,
                          fmt::format("The request body exceeds the limit of {} bytes.", state_.options.max_body_bytes),
                          "The request is too large.");
        }
        if (ec == http::error::header_limit) {
            return reject(ProblemType::header_too_large,
                          fmt::format("The request headers exceed the limit of {} bytes.", kHeaderLimit),
                          "The request headers are too large.");
        }
        // A malformed message (bad request line, header or chunk); not a client that simply went away.
        if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
            return reject(ProblemType::bad_request, fmt::format("Malformed HTTP request: {}.", ec.message()),
                          "The request could not be understood.");
        }
        close();
    }

    void on_request(beast::error_code ec) {
        if (ec) return on_read_error(ec);
        disarm();
        auto& msg = parser_->get();
        Request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        const std::size_t q = req.target.find('?');
        req.path = req.target.substr(0, q);
        if (q != std::string::npos) req.query = req.target.substr(q + 1);
        req.headers.reserve(8);
        for (const auto& f : msg) req.headers.push_back({std::string(f.name_string()), std::string(f.value())});
        req.body = std::move(msg.body());
        req.peer = peer_;
        req.secure = kTls;
        req.request_id = state_.dispatcher.request_id(req.header("X-Request-ID"));
        method_ = req.method;
        path_ = req.path;
        request_id_ = req.request_id;

        // The handler may answer from any thread; the answer is written on this connection's strand. The
        // sink keeps the connection alive until then (the owner drains handlers before destroying the server),
        // and no longer: a handler that still holds its responder after the deadline answered keeps nothing open.
        Responder respond(
            [self = shared_from_this()](Response res) mutable {
                auto session = std::move(self);
                asio::post(session->stream_.get_executor(),
                           [session, res = std::move(res)]() mutable { session->on_response(std::move(res)); });
            },
            req.request_id, req.method, req.path);
        pending_ = state_.dispatcher.dispatch(std::move(req), std::move(respond));
        await_answer();
    }

    // No handler holds a connection forever: once the request deadline passes, the client gets a 503.
    // The connection's timer is free meanwhile (no read or write is in progress); send() re-arms it.
    void await_answer() {
        if (pending_.answered()) return;
        const std::uint64_t id = ++deadline_id_;
        timer_.expires_after(state_.options.request_timeout);
        timer_.async_wait([weak = weak_from_this(), id](beast::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->deadline_id_ != id) return;
            self->pending_.expire(self->state_.options.request_timeout);
        });
    }

    void on_response(Response res) {
        pending_ = {};
        const auto& msg = parser_->get();
        send(std::move(res), request_id_, msg.version(), msg.keep_alive() && !state_.draining.load(), method_ == "HEAD",
             false);
    }

    // Answers a request that cannot be read to the end, then closes.
    void reject(ProblemType type, std::string detail, std::string message) {
        std::optional<std::string_view> incoming_id;
        method_.clear();
        path_.clear();
        Request head;  // what is known of the request, for the edge's response headers
        head.peer = peer_;
        head.secure = kTls;
        if (parser_->is_header_done()) {
            const auto& msg = parser_->get();
            if (const auto it = msg.find("X-Request-ID"); it != msg.end()) incoming_id = it->value();
            method_ = std::string(msg.method_string());
            path_ = std::string(msg.target().substr(0, msg.target().find('?')));
            head.method = method_;
            head.path = path_;
            for (const auto& f : msg) head.headers.push_back({std::string(f.name_string()), std::string(f.value())});
        }
        if (!busy_) started_ = SteadyClock::now();
        busy_ = true;
        const std::string request_id = state_.dispatcher.request_id(incoming_id);
        Response r = state_.dispatcher.finish_rejected(
            std::move(head), problem_response({type, std::move(detail), std::move(message), {}}));
        send(std::move(r), request_id, 11, false, false, true);
    }

    void send(Response r, const std::string& request_id, unsigned version, bool keep_alive, bool head, bool linger) {
        response_ = {static_cast<http::status>(r.status), version};
        response_.set(http::field::content_type, r.content_type);
        response_.set("X-Request-ID", request_id);
        for (const Header& h : r.headers) response_.insert(h.name, h.value);
        response_.keep_alive(keep_alive);
        bytes_ = r.body.size();
        if (head) {
            response_.content_length(r.body.size());  // what GET would send, without the body
        } else {
            response_.body() = std::move(r.body);
            response_.prepare_payload();
        }
        status_ = r.status;
        request_id_ = request_id;
        arm(state_.options.read_timeout);
        http::async_write(stream_, response_,
                          [self = shared_from_this(), keep_alive, linger](beast::error_code ec, std::size_t) {
                              self->on_write(ec, keep_alive, linger);
                          });
    }

    void on_write(beast::error_code ec, bool keep_alive, bool linger) {
        disarm();
        log_access();
        response_ = {};
        if (ec) return close();
        if (linger) return linger_close();
        if (!keep_alive) return close();
        read_header();
    }

    void log_access() const {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started_).count();
        log::info("http request", {{"request_id", request_id_},
                                   {"method", method_},
                                   {"path", path_},
                                   {"status", status_},
                                   {"duration_us", us},
                                   {"bytes", bytes_}});
    }

    void linger_close() {
        if constexpr (!kTls) {  // over TLS, a half-close would need close_notify first; the response said close
            beast::error_code ignored;
            socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
        arm(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTimeout));
        discard_input();
    }

    void discard_input() {
        stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->discard_input();
        });
    }

    // Call with no read or write in progress. Over TLS, after a handshake, first sends close_notify (so the
    // client can tell the end from a truncation) and waits a little for the client's.
    void close() {
        if constexpr (kTls) {
            if (handshake_done_ && !closing_) {
                closing_ = true;
                arm(kTlsShutdownTimeout);
                stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->abort(); });
                return;
            }
        }
        abort();
    }

    // Closes the socket now; what is in progress ends with an error.
    void abort() {
        closing_ = true;
        disarm();
        beast::error_code ignored;
        socket().shutdown(tcp::socket::shutdown_both, ignored);
        socket().close(ignored);
    }

    Stream stream_;
    asio::steady_timer timer_;
    ServerState& state_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    std::array<char, 4096> discard_{};
    bool busy_ = false;  // a request has started and is not answered yet
    bool timed_out_ = false;
    bool handshake_done_ = false;  // TLS only
    bool closing_ = false;
    std::uint64_t deadline_id_ = 0;
    SteadyClock::time_point started_{};
    std::string peer_;  // the remote address, for the edge (client IP, trusted proxies)
    // For the access log line of the current request.
    std::string method_;
    std::string path_;
    std::string request_id_;
    Responder::Watch pending_;  // the answer of the request in its handler
    int status_ = 0;
    std::size_t bytes_ = 0;
};

std::string openssl_error() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "unknown OpenSSL error";
    std::array<char, 256> text{};
    ERR_error_string_n(e, text.data(), text.size());
    return text.data();
}

void require_readable(const std::filesystem::path& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in || in.peek() == std::ifstream::traits_type::eof()) {
        throw std::runtime_error(fmt::format("cannot read the TLS {} file {}: {}", what, path.string(),
                                             in ? "empty file" : std::strerror(errno)));
    }
}

// Loaded once: every connection shares the context (certificate, key, protocol floor, ciphers).
asio::ssl::context make_tls_context(const TlsFiles& files) {
    namespace ssl = asio::ssl;
    require_readable(files.cert_chain, "certificate chain");
    require_readable(files.private_key, "private key");
    ssl::context ctx(ssl::context::tls_server);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                    ssl::context::single_dh_use);
    if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx.native_handle(), kTls12Ciphers) != 1) {
        throw std::runtime_error(fmt::format("cannot configure TLS: {}", openssl_error()));
    }
    beast::error_code ec;
    ctx.use_certificate_chain_file(files.cert_chain.string(), ec);
    if (ec) {
        throw std::runtime_error(fmt::format("cannot load the TLS certificate chain {} (PEM expected): {}",
                                             files.cert_chain.string(), ec.message()));
    }
    ctx.use_private_key_file(files.private_key.string(), ssl::context::pem, ec);
    if (ec) {
        throw std::runtime_error(fmt::format("cannot load the TLS private key {} (PEM expected): {}",
                                             files.private_key.string(), ec.message()));
    }
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        throw std::runtime_error(fmt::format("the TLS private key {} does not match the certificate {}: {}",
                                             files.private_key.string(), files.cert_chain.string(), openssl_error()));
    }
    return ctx;
}

}  // namespace

class HttpServer::Impl {
  public:
    Impl(ServerOptions options, Dispatcher dispatcher)
        : state_{std::move(options), std::move(dispatcher), {}, {}},
          ioc_(state_.options.threads),
          acceptor_(asio::make_strand(ioc_)),
          retry_timer_(acceptor_.get_executor()) {}

    ~Impl() { stop(std::chrono::milliseconds(0)); }

    void start() {
        const ListenAddress& want = state_.options.listen;
        if (state_.options.tls) tls_.emplace(make_tls_context(*state_.options.tls));
        const tcp::endpoint endpoint = resolve(want);
        beast::error_code ec;
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) throw std::runtime_error(fmt::format("cannot listen on {}: {}", want.to_string(), ec.message()));
        const tcp::endpoint local = acceptor_.local_endpoint();
        local_ = ListenAddress{local.address().to_string(), local.port()};
        accept();
        for (int i = 0; i < state_.options.threads; ++i) {
            engine::name_thread(threads_.emplace_back([this] { run(); }), "codd-http-io");
        }
    }

    [[nodiscard]] ListenAddress local_address() const { return local_; }

    std::size_t stop(std::chrono::milliseconds grace) {
        std::lock_guard lk(stop_mu_);
        if (stopped_) return 0;
        stopped_ = true;
        if (threads_.empty()) return 0;
        state_.draining.store(true);

        // On the acceptor's strand, so that every connection accepted before is registered by then.
        std::promise<void> closed;
        asio::post(acceptor_.get_executor(), [this, &closed] {
            beast::error_code ignored;
            acceptor_.close(ignored);
            retry_timer_.cancel();
            closed.set_value();
        });
        closed.get_future().wait();

        for (const auto& s : state_.registry.snapshot()) s->drain();
        std::size_t cut = 0;
        if (!state_.registry.wait_empty(SteadyClock::now() + grace)) {
            cut = state_.registry.size();
            for (const auto& s : state_.registry.snapshot()) s->cut();
            state_.registry.wait_empty(SteadyClock::now() + std::chrono::seconds(1));
        }
        ioc_.stop();
        for (auto& t : threads_) t.join();
        return cut;
    }

  private:
    tcp::endpoint resolve(const ListenAddress& want) {
        beast::error_code ec;
        tcp::resolver resolver(ioc_);
        const auto results = resolver.resolve(want.host, std::to_string(want.port),
                                              tcp::resolver::passive | tcp::resolver::numeric_service, ec);
        if (ec || results.empty()) {
            throw std::runtime_error(fmt::format("cannot resolve listen address {}: {}", want.to_string(),
                                                 ec ? ec.message() : "no addresses"));
        }
        return results.begin()->endpoint();
    }

    void accept() {
        acceptor_.async_accept(asio::make_strand(ioc_),
                               [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
    }

    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
        if (ec) {
            // E.g. out of file descriptors: back off instead of spinning, and keep serving the others.
            log::warn("accept failed", {{"error", ec.message()}});
            retry_timer_.expires_after(kAcceptRetryDelay);
            retry_timer_.async_wait([this](beast::error_code tec) {
                if (!tec && acceptor_.is_open()) accept();
            });
            return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls_) {
            std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *tls_), state_)->start();
        } else {
            std::make_shared<Session<PlainStream>>(std::move(socket), state_)->start();
        }
        accept();
    }

    void run() {
        for (;;) {
            try {
                ioc_.run();
                return;
            } catch (const std::exception& e) {
                log::error("unexpected exception on an io thread", {{"error", e.what()}});
            }
        }
    }

    // Declared first, destroyed last: sessions destroyed with the io_context still unregister themselves.
    ServerState state_;
    std::optional<asio::ssl::context> tls_;  // outlives the connections that use it
    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_timer_;
    std::vector<std::thread> threads_;
    ListenAddress local_;
    std::mutex stop_mu_;
    bool stopped_ = false;
};

HttpServer::HttpServer(ServerOptions options, Dispatcher dispatcher)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(dispatcher))) {}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
    impl_->start();
}

ListenAddress HttpServer::local_address() const {
    return impl_->local_address();
}

std::size_t HttpServer::stop(std::chrono::milliseconds grace) {
    return impl_->stop(grace);
}

}  // namespace codd::api

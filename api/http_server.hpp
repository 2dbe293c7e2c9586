#pragma once
// The HTTP/1.1 server: Boost.Beast, asynchronous, keep-alive, N io threads. It owns connections and bytes;
// what a request means is the Dispatcher's business, so this header carries no Beast.
//
// Limits that keep a misbehaving client from hurting others: a body limit (413), a header limit (431), and a
// read timeout (408 for a started request, a silent close for an idle keep-alive connection), and a request
// deadline (503 when a handler takes longer, so that no request hangs). With TLS files it speaks HTTPS only;
// the handshake is bounded by the read timeout.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "api/config.hpp"
#include "api/dispatcher.hpp"

namespace codd::api {

struct ServerOptions {
    ListenAddress listen{"127.0.0.1", 0};
    int threads = 2;
    std::size_t max_body_bytes = std::size_t{1} << 20;
    std::chrono::milliseconds read_timeout{30'000};
    // A handler that has not answered by then is answered 503 for it (Responder::Watch::expire).
    std::chrono::milliseconds request_timeout{30'000};
    // Set: HTTPS only (TLS 1.2 or later) on `listen`; start() reads the files and throws if it cannot.
    std::optional<TlsFiles> tls;
};

class HttpServer {
  public:
    HttpServer(ServerOptions options, Dispatcher dispatcher);
    ~HttpServer();  // stops without grace if stop() was not called
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Resolves and binds the address, listens, and starts the io threads. Throws std::runtime_error.
    void start();

    // The bound address; the real port when port 0 was asked for. Valid after start().
    [[nodiscard]] ListenAddress local_address() const;

    // Graceful stop: stop accepting, close idle connections, let requests in flight finish (their responses
    // say `Connection: close`) for at most `grace`, then cut what is left and join the io threads.
    // Returns the number of connections that had to be cut. Idempotent.
    std::size_t stop(std::chrono::milliseconds grace);

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace codd::api

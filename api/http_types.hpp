#pragma once
// The HTTP request and response as handlers see them: plain structs, no Beast, so handlers and their tests
// compile without the networking headers. The server converts at the edge.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

namespace codd::api {

// A command's answer names the log position of its last event; a query waits for the one it is given.
inline constexpr std::string_view kPositionHeader = "X-Codd-Position";
inline constexpr std::string_view kMinPositionHeader = "X-Codd-Min-Position";

struct Header {
    std::string name;
    std::string value;
};

// Values of the `:name` segments of the matched route pattern, percent-decoded, in pattern order.
using PathParams = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;  // as sent, e.g. "GET"
    std::string target;  // the raw request-target
    std::string path;    // target up to '?'
    std::string query;   // after '?', still percent-encoded
    std::vector<Header> headers;
    std::string body;
    std::string request_id;  // accepted from X-Request-ID or generated; never empty when a handler runs
    std::string peer;        // the TCP peer address, e.g. "203.0.113.7" (set by the server)
    std::string client_ip;   // the client: the peer, or X-Forwarded-For behind a trusted proxy (set by the edge)
    bool secure = false;     // arrived over the server's own TLS
    PathParams params;

    // Case-insensitive lookup of the first header with this name.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
    [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<Header> headers;  // extra headers; the server adds Content-Type, Content-Length and X-Request-ID

    static Response json(int status, const boost::json::value& body);
};

// The one way a handler answers: call it exactly once, from any thread (an io thread, the event log's
// writer, a worker pool). Copies share one answer: the first call wins, later calls are logged and dropped.
// If every copy is destroyed without a call (a lost callback, an exception on another thread), the request
// is answered with a 500 problem and the bug is logged, so that no request ever hangs.
class Responder {
    struct State;

  public:
    using Sink = std::function<void(Response)>;

    // `sink` receives the one response; it must be safe to call from any thread. The request fields are
    // kept for the log lines of a dropped, late or doubled answer only.
    Responder(Sink sink, std::string request_id, std::string method, std::string path);

    void operator()(Response response) const;
    [[nodiscard]] bool answered() const;
    // Answers, unless answered already, what a handler that threw `error` gets (failure_response).
    void fail(std::exception_ptr error) const;

    // A handle on the answer that does not keep the request open (a responder its handler drops still
    // answers 500). The server holds one while the handler runs, for the request deadline.
    class Watch {
      public:
        // Answers a request still unanswered with a 503 problem ("The request took too long") and logs it;
        // the handler's answer, if it ever comes, is then dropped and logged. Returns whether it answered.
        bool expire(std::chrono::milliseconds deadline) const;
        // Also true once every copy of the responder is gone (it answered 500 then).
        [[nodiscard]] bool answered() const;

      private:
        friend class Responder;
        std::weak_ptr<State> state_;
    };
    [[nodiscard]] Watch watch() const;

  private:
    std::shared_ptr<State> state_;
};

// A handler owns its request (move what outlives the call into the continuation) and answers through the
// responder, now or later. An exception thrown before it answers becomes a 500 problem.
using Handler = std::function<void(Request, Responder)>;
// The common synchronous shape (health, index, in-memory reads): the response is the return value.
using SyncHandler = std::function<Response(const Request&)>;

// Adapts a synchronous handler; it runs on the calling (io) thread, so keep it cheap and non-blocking.
[[nodiscard]] Handler sync_handler(SyncHandler handler);

}  // namespace codd::api

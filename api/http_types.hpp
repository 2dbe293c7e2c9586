#pragma once
// The HTTP request and response as handlers see them: plain structs, no Beast, so handlers and their tests
// compile without the networking headers. The server converts at the edge.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

namespace codd::api {

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

using Handler = std::function<Response(const Request&)>;

}  // namespace codd::api

#pragma once
// Routes (method, path pattern) to handlers. A pattern is a sequence of segments; a segment `:name` matches
// any one non-empty segment and binds it as a path parameter, e.g. `/api/v1/orders/:id`. When several
// patterns match, the most literal one wins, segment by segment from the left (`/orders/stats` beats
// `/orders/:id`). A path that matches only under other methods is a 405 with the allowed methods.

#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"

namespace codd::api {

class Router {
  public:
    enum class Outcome { found, not_found, method_not_allowed };

    struct Match {
        Outcome outcome = Outcome::not_found;
        const Handler* handler = nullptr;
        std::string_view pattern;  // of the matched route (found only); valid as long as the router
        PathParams params;
        std::vector<std::string> allowed;  // for method_not_allowed: the methods the path supports
    };

    struct RouteInfo {
        std::string method;
        std::string pattern;
    };

    // Throws std::invalid_argument for a malformed pattern or a duplicate (method, pattern).
    void add(std::string method, std::string_view pattern, Handler handler);
    // A synchronous handler, through sync_handler().
    void add(std::string method, std::string_view pattern, SyncHandler handler) {
        add(std::move(method), pattern, sync_handler(std::move(handler)));
    }

    // HEAD is served by the GET route of a path when there is no HEAD route. A single trailing slash is
    // ignored (`/health/` is `/health`), as in the Express server this replaces.
    [[nodiscard]] Match match(std::string_view method, std::string_view path) const;

    [[nodiscard]] std::vector<RouteInfo> routes() const;

  private:
    struct Segment {
        std::string text;
        bool param = false;
    };
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<Segment> segments;
        Handler handler;
    };

    std::vector<Route> routes_;
};

// Decodes %XX escapes; false if an escape is malformed or decodes to NUL.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace codd::api

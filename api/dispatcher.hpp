#pragma once
// Everything between "a complete request arrived" and "this is the response", without any networking:
// request id, routing (404/405), and turning a handler's exception into a 500 problem. The HTTP server owns
// the bytes and connections; this owns the semantics, and is unit-tested on plain structs.

#include <memory>

#include "api/http_types.hpp"
#include "api/router.hpp"
#include "engine/clock.hpp"

namespace codd::api {

class Edge;

class Dispatcher {
  public:
    // With an `edge`, every request passes its policies (edge.hpp) and every response gets its headers.
    Dispatcher(Router router, std::shared_ptr<engine::IdGenerator> ids, std::shared_ptr<const Edge> edge = nullptr);

    // Sets request.request_id (unless the caller already did, see request_id()) and request.params, and
    // hands the request to its handler, which answers through `respond`, now or later, from any thread.
    // Never throws: an exception escaping the handler before it answered is logged and answered with a 500
    // problem that names only the request id. Returns a watch on the answer for the server's request
    // deadline: expiring it answers 503 through the edge, like any other answer.
    Responder::Watch dispatch(Request request, Responder respond) const;

    // The id for a request whose X-Request-ID header is `incoming` (nullopt: no such header).
    [[nodiscard]] std::string request_id(std::optional<std::string_view> incoming) const;

    // A response the server made itself for a request it could not read to the end (413, 408, 431, 400):
    // `head` holds what is known of the request (method, path, headers, peer). Adds the edge's headers.
    [[nodiscard]] Response finish_rejected(Request head, Response response) const;

  private:
    // dispatch() without the watch; `respond` becomes the edge's responder once the request is admitted.
    void route(Request request, Responder& respond) const;

    Router router_;
    std::shared_ptr<engine::IdGenerator> ids_;
    std::shared_ptr<const Edge> edge_;
};

}  // namespace codd::api

#pragma once
// Everything between "a complete request arrived" and "this is the response", without any networking:
// request id, routing (404/405), and turning a handler's exception into a 500 problem. The HTTP server owns
// the bytes and connections; this owns the semantics, and is unit-tested on plain structs.

#include <memory>

#include "api/http_types.hpp"
#include "api/router.hpp"
#include "engine/clock.hpp"

namespace codd::api {

class Dispatcher {
  public:
    Dispatcher(Router router, std::shared_ptr<engine::IdGenerator> ids);

    // Sets request.request_id (unless the caller already did, see request_id()) and request.params, and
    // hands the request to its handler, which answers through `respond`, now or later, from any thread.
    // Never throws: an exception escaping the handler before it answered is logged and answered with a 500
    // problem that names only the request id.
    void dispatch(Request request, Responder respond) const;

    // The id for a request whose X-Request-ID header is `incoming` (nullopt: no such header).
    [[nodiscard]] std::string request_id(std::optional<std::string_view> incoming) const;

  private:
    Router router_;
    std::shared_ptr<engine::IdGenerator> ids_;
};

}  // namespace codd::api

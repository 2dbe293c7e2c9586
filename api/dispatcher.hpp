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

    // Sets request.request_id and request.params, runs the handler and returns its response. Never throws:
    // a failing handler is logged and answered with a 500 problem that names only the request id.
    [[nodiscard]] Response dispatch(Request& request) const;

    // The id for a request whose X-Request-ID header is `incoming` (nullopt: no such header).
    [[nodiscard]] std::string request_id(std::optional<std::string_view> incoming) const;

  private:
    Router router_;
    std::shared_ptr<engine::IdGenerator> ids_;
};

}  // namespace codd::api

// POST /admin/views/:name/rebuild: the online rebuild of DESIGN §5 ("views are disposable"). The runner
// replays the log into a new file while the live view keeps serving, then swaps the content in one SQLite
// transaction; readers see the old view or the new one, never a mix. `codd rebuild` is the offline form.
#include <fmt/format.h>

#include "api/commerce_common.hpp"
#include "api/health.hpp"
#include "projections/runner.hpp"

namespace codd::api {

void add_view_routes(Router& router, const Commerce& c) {
    commerce::add(router, c, "POST", "/admin/views/:name/rebuild", [&c](const Request& r, const Authenticated&) {
        if (r.param("name").value_or("") != "orders") return commerce::not_found("view");
        const projections::ReplayStats stats = c.view.rebuild();
        const double rate = stats.seconds > 0 ? static_cast<double>(stats.events) / stats.seconds : 0.0;
        return commerce::json_text(
            200, fmt::format(R"({{"message":"View rebuilt","view":"orders","events":{},"position":{},"seconds":{:.3f},"eventsPerSecond":{:.0f}}})",
                             stats.events, stats.position.value(), stats.seconds, rate));
    });
}

}  // namespace codd::api

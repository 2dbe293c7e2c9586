#pragma once
// Digests over a view's rows: the proof that a rebuilt view is identical to the live one (DESIGN §5).

#include <string>
#include <string_view>

#include "projections/projection.hpp"
#include "projections/sqlite.hpp"

namespace codd::projections {

// SHA-256 (lowercase hex) over the column names and every row of `table` in `order_by` order, each value
// tagged with its SQLite type, so 1, 1.0, '1' and x'31' differ. `table` and `order_by` are spliced into
// the SQL: pass identifiers from code, never from a request.
std::string table_digest(Database& db, std::string_view table, std::string_view order_by);

// SHA-256 over the names and table digests of every table the projection lists. The bookkeeping tables
// (codd_checkpoint, codd_migrations) are not part of it: they hold timestamps of when, not what.
std::string view_digest(Database& db, const Projection& projection);

}  // namespace codd::projections

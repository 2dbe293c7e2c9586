// Orders view benchmark (issue 4 part 2). Prints one JSON object per line.
//
//   fill                  the log: users, products, customers (one per 5 orders), then N orders through
//                         their lifecycles with the engine's own encoders (~8 events per order: creation and
//                         stock, confirmations, agent, dispatch, delivery and cash, or a cancel or a failure)
//   live_catch_up         a ProjectionRunner started on an empty view file, until it reaches the head
//   rebuild               rebuild_view from position 1 into a new file (the `codd rebuild` path); also per CPU
//                         second of the thread applying to SQLite and of the whole process (which also reads
//                         the log ahead on a second thread)
//   list_by_status_date   list_orders: one status, a 30-day created range, a page of 50 among the first 5
//   search_by_phone       list_orders by a customer's full phone number
//   search_by_phone_prefix  list_orders by a 10-character phone prefix (~1,000 customers), a page of 50
//   order_detail          order_json of a random order
//
// Query latencies are of one thread on one reader connection, after a warm-up.
//
// Usage: orders_view_bench [--orders N] [--queries N] [--dir DIR] [--no-rebuild] [--no-live] [--reuse-log]
//                          [--quick]
// --no-live skips live_catch_up and queries the rebuilt file; --reuse-log skips the fill when --dir holds the
// log of an earlier run with the same --orders (for profiling the rebuild).
#include <time.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "bench/bench_util.hpp"
#include "engine/allocator.hpp"
#include "engine/catalog/catalog_events.hpp"
#include "engine/customers/customer_events.hpp"
#include "engine/event_log.hpp"
#include "engine/huge_pages.hpp"
#include "engine/orders/order_events.hpp"
#include "engine/users/user_events.hpp"
#include "projections/orders_view.hpp"
#include "projections/rebuild.hpp"
#include "projections/runner.hpp"

using namespace codd::engine;
using namespace codd::projections;
using namespace codd::bench;
namespace oe = codd::engine::orders::events;
using codd::engine::orders::OrderStatus;

namespace {

struct Args {
    std::int64_t orders = 1'000'000;
    int queries = 2000;
    bool rebuild = true;     // also rebuild_view into a second file (the runner's catch-up builds the first)
    bool live = true;        // build the queried file with a ProjectionRunner (else: query the rebuilt file)
    bool reuse_log = false;  // keep a log a previous run with the same --orders filled in --dir
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "codd-orders-view-bench";
};

constexpr std::int64_t kStartUs = 1'735'689'600'000'000;  // 2025-01-01T00:00:00Z
constexpr std::int64_t kOrderSpacingUs = 30'000'000;      // one order every 30 s: 1M orders span a year
constexpr std::int64_t kDayUs = 86'400'000'000;
constexpr int kReps = 20, kAgents = 50, kProducts = 200;
constexpr std::int64_t kFirstRep = 2, kFirstAgent = 100, kFirstProduct = 1;
const char* const kAreas[] = {"East Legon", "Osu", "Airport", "Madina", "Spintex", "Tema", "Kasoa", "Adenta"};

std::int64_t customers_for(std::int64_t orders) {
    return std::max<std::int64_t>(1000, orders / 5);
}

std::string phone_of(std::int64_t customer) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+23324%07lld", static_cast<long long>(customer));
    return buf;
}

std::int64_t price_of(std::int64_t product) {
    return 1000 + product * 37;
}

// Appends requests with up to 64 in flight, the log's clock set to each request's time first.
class Filler {
  public:
    explicit Filler(const std::filesystem::path& dir) : clock_(std::make_shared<ManualClock>()) {
        LogOptions o;
        o.dir = dir;
        o.sync = false;  // filling is not what is measured
        o.clock = clock_;
        log_ = EventLog::open(o);
    }
    void append(std::int64_t time_us, std::vector<StreamAppend> streams) {
        clock_->set(TimePoint{std::chrono::microseconds{time_us}});
        AppendRequest r;
        r.metadata.actor = {"1", "super_admin"};
        r.metadata.request_id = "bench";
        r.streams = std::move(streams);
        outstanding_.fetch_add(1);
        log_->append_async(std::move(r), [this](AppendResult res) {
            if (!res.committed()) std::abort();
            outstanding_.fetch_sub(1);
        });
        while (outstanding_.load() > 64) std::this_thread::yield();
    }
    std::uint64_t finish() {
        while (outstanding_.load() > 0) std::this_thread::yield();
        const auto head = log_->head().value();
        log_->close();
        return head;
    }

  private:
    std::shared_ptr<ManualClock> clock_;
    std::unique_ptr<EventLog> log_;
    std::atomic<int> outstanding_{0};
};

StreamAppend to(std::string stream, std::vector<NewEvent> events) {
    return {std::move(stream), ExpectedVersion::any(), std::move(events)};
}

void fill_people(Filler& f, std::int64_t customers) {
    namespace ue = codd::engine::users::events;
    namespace ce = codd::engine::customers::events;
    namespace pe = codd::engine::catalog::events;
    std::vector<StreamAppend> batch;
    auto flush = [&] {
        if (!batch.empty()) f.append(kStartUs - kDayUs, std::move(batch));
        batch.clear();
    };
    for (int i = 0; i < kReps + kAgents; ++i) {
        users::User u;
        u.id = i < kReps ? kFirstRep + i : kFirstAgent + (i - kReps);
        u.email = "user" + std::to_string(u.id) + "@bench.test";
        u.first_name = "User";
        u.last_name = std::to_string(u.id);
        u.role = i < kReps ? users::Role::sales_rep : users::Role::delivery_agent;
        u.commission_minor = 500;
        batch.push_back(to(ue::user_stream(u.id), {ue::user_created(u)}));
    }
    flush();
    for (int i = 0; i < kProducts; ++i) {
        catalog::Product p;
        p.id = kFirstProduct + i;
        p.sku = "SKU-" + std::to_string(p.id);
        p.name = "Product " + std::to_string(p.id);
        p.category = "bench";
        p.price = Money{price_of(p.id)};
        p.cost_price = Money{price_of(p.id) / 2};
        p.stock_quantity = 100'000'000;
        batch.push_back(to(pe::product_stream(p.id), {pe::product_created(p)}));
    }
    flush();
    std::mt19937_64 rng(7);
    for (std::int64_t id = 1; id <= customers; ++id) {
        customers::Customer c;
        c.id = id;
        c.first_name = "Customer";
        c.last_name = "N" + std::to_string(rng() % 100000);
        c.phone_number = phone_of(id);
        c.address = "House " + std::to_string(id);
        c.state = "Greater Accra";
        c.area = kAreas[id % std::size(kAreas)];
        batch.push_back(to(ce::customer_stream(id), {ce::customer_created(c)}));
        if (batch.size() == 64) flush();
    }
    flush();
}

// One order's whole lifecycle, in one append at its creation time.
std::vector<StreamAppend> order_history(std::int64_t id, std::int64_t time_us, std::mt19937_64& rng,
                                        std::int64_t customers) {
    namespace pe = codd::engine::catalog::events;
    orders::Order o;
    o.id = id;
    o.customer_id = 1 + static_cast<std::int64_t>(rng() % customers);
    o.customer_rep_id = kFirstRep + static_cast<std::int64_t>(rng() % kReps);
    o.created_by = 1;
    const std::int64_t product = kFirstProduct + static_cast<std::int64_t>(rng() % kProducts);
    const std::int64_t quantity = 1 + static_cast<std::int64_t>(rng() % 3);
    orders::OrderItem item;
    item.id = 1;
    item.product_id = product;
    item.quantity = quantity;
    item.unit_price = Money{price_of(product)};
    item.total_price = Money{price_of(product) * quantity};
    o.items = {item};
    o.subtotal = item.total_price;
    o.shipping_cost = Money{1500};
    o.total_amount = Money{o.subtotal.minor + o.shipping_cost.minor};
    o.cod_amount = o.total_amount;
    o.delivery_address = "House 1";
    o.delivery_state = "Greater Accra";
    o.delivery_area = kAreas[rng() % std::size(kAreas)];

    std::vector<NewEvent> order{oe::order_created(o)};
    std::vector<NewEvent> stock{pe::stock_reserved(product, id, quantity)};
    std::vector<StreamAppend> out;
    auto status = [&](OrderStatus from, OrderStatus to) {
        order.push_back(oe::order_status_changed(id, from, to, false, "", ""));
    };
    const auto stage = rng() % 10;  // 0 pending, 1 confirmed, 2 cancelled, 3 out, 4 failed, 5-9 delivered
    if (stage == 2) {
        status(OrderStatus::pending_confirmation, OrderStatus::cancelled);
        stock.push_back(pe::stock_released(product, id, quantity));
    } else if (stage >= 1) {
        status(OrderStatus::pending_confirmation, OrderStatus::confirmed);
    }
    if (stage >= 3) {
        const std::int64_t agent = kFirstAgent + static_cast<std::int64_t>(rng() % kAgents);
        status(OrderStatus::confirmed, OrderStatus::preparing);
        status(OrderStatus::preparing, OrderStatus::ready_for_pickup);
        order.push_back(oe::order_agent_assigned(id, agent, std::nullopt));
        status(OrderStatus::ready_for_pickup, OrderStatus::out_for_delivery);
        stock.push_back(pe::stock_consumed(product, id, quantity));
        if (stage == 4) {
            order.push_back(oe::delivery_failed(id, "not home", 1));
            status(OrderStatus::out_for_delivery, OrderStatus::failed_delivery);
        } else if (stage >= 5) {
            order.push_back(oe::payment_collected(id, agent, o.total_amount, time_us));
            status(OrderStatus::out_for_delivery, OrderStatus::delivered);
            out.push_back(to(oe::agent_cash_stream(agent), {oe::cash_collected(agent, id, o.total_amount, time_us)}));
        }
    }
    out.push_back(to(oe::order_stream(id), std::move(order)));
    out.push_back(to(pe::product_stream(product), std::move(stock)));
    return out;
}

std::uint64_t fill(const Args& a) {
    std::filesystem::remove(a.dir / "log.orders");
    std::filesystem::remove_all(a.dir / "log");
    Filler f(a.dir / "log");
    const auto customers = customers_for(a.orders);
    fill_people(f, customers);
    std::mt19937_64 rng(11);
    for (std::int64_t i = 0; i < a.orders; ++i) {
        const std::int64_t time_us = kStartUs + i * kOrderSpacingUs;
        f.append(time_us, order_history(1001 + i, time_us, rng, customers));
    }
    const auto events = f.finish();
    if (std::FILE* out = std::fopen((a.dir / "log.orders").c_str(), "w")) {
        std::fprintf(out, "%lld\n", static_cast<long long>(a.orders));
        std::fclose(out);
    }
    return events;
}

// The events of the log an earlier run filled for the same --orders (--reuse-log); fills one when there is none.
std::uint64_t filled_events(const Args& a) {
    const auto marker = a.dir / "log.orders";
    std::int64_t orders = -1;
    if (std::FILE* in = std::fopen(marker.c_str(), "r")) {
        long long n = -1;
        if (std::fscanf(in, "%lld", &n) != 1) n = -1;
        std::fclose(in);
        orders = n;
    }
    if (orders == a.orders) {
        LogOptions o;
        o.dir = a.dir / "log";
        return EventLog::open(o)->head().value();
    }
    return fill(a);
}

double file_mb(const std::filesystem::path& file) {
    return static_cast<double>(std::filesystem::file_size(file)) / (1024.0 * 1024.0);
}

template <typename Query>
void measure(const std::string& name, const Args& a, Query&& query) {
    for (int i = 0; i < std::min(a.queries, 200); ++i) query(i);  // warm-up
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(a.queries));
    const auto start = SteadyClock::now();
    for (int i = 0; i < a.queries; ++i) {
        const auto t0 = SteadyClock::now();
        query(i);
        us.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
    }
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    JsonLine(name)
        .integer("orders", a.orders)
        .integer("queries", a.queries)
        .num("ops_per_s", a.queries / seconds)
        .num("p50_us", percentile(us, 0.5))
        .num("p99_us", percentile(us, 0.99))
        .print();
}

}  // namespace

int main(int argc, char** argv) {
    // As `codd rebuild` runs (tools/main.cpp): the rebuild measured here is the same code.
    codd::engine::reexec_with_huge_page_malloc(argv);
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (k == "--orders") {
            a.orders = std::stoll(next());
        } else if (k == "--queries") {
            a.queries = std::stoi(next());
        } else if (k == "--dir") {
            a.dir = next();
        } else if (k == "--no-rebuild") {
            a.rebuild = false;
        } else if (k == "--no-live") {
            a.live = false;
        } else if (k == "--reuse-log") {
            a.reuse_log = true;
        } else if (k == "--quick") {
            a.orders = 20'000, a.queries = 200;
        } else {
            std::fprintf(stderr,
                         "usage: orders_view_bench [--orders N] [--queries N] [--dir DIR] [--no-rebuild] "
                         "[--no-live] [--reuse-log] [--quick]\n");
            return 2;
        }
    }
    std::filesystem::create_directories(a.dir);
    auto t0 = SteadyClock::now();
    const auto events = a.reuse_log ? filled_events(a) : fill(a);
    JsonLine("fill")
        .integer("orders", a.orders)
        .integer("events", static_cast<std::int64_t>(events))
        .num("seconds", std::chrono::duration<double>(SteadyClock::now() - t0).count())
        .print();

    LogOptions opts;
    opts.dir = a.dir / "log";
    auto log = EventLog::open(opts);
    auto file = a.dir / "orders.db";
    remove_view_file(file);
    OrdersView view;
    if (a.live) {
        t0 = SteadyClock::now();
        ProjectionRunner runner(*log, file, view);
        if (!runner.wait_for(log->head(), std::chrono::hours(2))) {
            std::fprintf(stderr, "runner: %s\n", runner.error().c_str());
            return 1;
        }
        const double live_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
        JsonLine("live_catch_up")
            .integer("orders", a.orders)
            .integer("events", static_cast<std::int64_t>(events))
            .num("seconds", live_s)
            .num("ops_per_s", static_cast<double>(events) / live_s)
            .num("file_mb", file_mb(file))
            .print();
    }
    if (a.rebuild || !a.live) {
        const auto rebuilt_file = a.dir / "rebuilt.db";
        // The calling thread applies to SQLite; the process also reads the log ahead of it (and runs RocksDB's).
        const double cpu0 = thread_cpu_seconds();
        const double process0 = process_cpu_seconds();
        const auto rebuilt = rebuild_view(*log, view, rebuilt_file);
        const double cpu_s = thread_cpu_seconds() - cpu0;
        const double process_s = process_cpu_seconds() - process0;
        JsonLine("rebuild")
            .integer("orders", a.orders)
            .integer("events", static_cast<std::int64_t>(rebuilt.events))
            .num("seconds", rebuilt.seconds)
            .num("cpu_seconds", cpu_s)
            .num("ops_per_s", static_cast<double>(rebuilt.events) / rebuilt.seconds)
            .num("ops_per_cpu_s", static_cast<double>(rebuilt.events) / cpu_s)
            .num("process_cpu_seconds", process_s)
            .num("ops_per_process_cpu_s", static_cast<double>(rebuilt.events) / process_s)
            .num("file_mb", file_mb(rebuilt_file))
            .integer("huge_pages", codd::engine::huge_page_malloc() ? 1 : 0)
            .str("allocator", codd::engine::allocator_name())
            .print();
        if (a.live) {
            remove_view_file(rebuilt_file);
        } else {
            file = rebuilt_file;
        }
    }

    ReaderPool pool(file, 1);
    OrdersQueries q(pool);
    std::mt19937_64 rng(5);
    const std::int64_t span_us = a.orders * kOrderSpacingUs;
    const char* const statuses[] = {"pending_confirmation", "confirmed", "delivered", "cancelled", "out_for_delivery"};
    measure("list_by_status_date", a, [&](int) {
        OrderFilter f;
        f.statuses = {statuses[rng() % std::size(statuses)]};
        f.created_from_us = kStartUs + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(span_us));
        f.created_to_us = *f.created_from_us + 30 * kDayUs;
        (void)q.list_orders(f, {1 + static_cast<std::int64_t>(rng() % 5), 50});
    });
    const auto customers = customers_for(a.orders);
    measure("search_by_phone", a, [&](int) {
        OrderFilter f;
        f.search = phone_of(1 + static_cast<std::int64_t>(rng() % customers));
        (void)q.list_orders(f, {1, 50});
    });
    measure("search_by_phone_prefix", a, [&](int) {
        OrderFilter f;
        f.search = phone_of(1 + static_cast<std::int64_t>(rng() % customers)).substr(0, 10);
        (void)q.list_orders(f, {1, 50});
    });
    measure("order_detail", a, [&](int) {
        if (!q.order_json(1001 + static_cast<std::int64_t>(rng() % a.orders))) std::abort();
    });
    return 0;
}

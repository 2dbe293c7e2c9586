#pragma once
// StockBook: the process's view of product stock, shared by every command that reads or moves it (one per
// EventLog; CatalogService owns it, OrderService borrows it).
//
// Why: every order appends a stock event to each of its products' streams. Deciding on a product's
// expected version would make concurrent orders for the same products conflict with each other again and
// again, and folding product-<id> from version 0 for each decision costs a stream that grows by one event
// per order. So:
//   (a) Cache. Each product's state is kept in memory. The log delivers every durable event of a product
//       stream to the book (EventLog::listen_durable, on its answering thread, before the append is answered)
//       and a lock folds what was delivered, so a decision reads nothing from the log. The stream is read from
//       the log (its tail, from the cached version + 1) only on the product's first lock, after a gap in the
//       deliveries, when deliveries piled up for a product nobody locked, or on a log that does not append.
//   (b) Locks. Each product has a mutex; a decision locks all its products in product-id order (no deadlock)
//       and refreshes them under the lock.
//   (c) Holds. A reservation decided under the locks records a hold (order, quantity) per product, releases
//       the locks, and appends its product events with ExpectedVersion::any, so concurrent orders for the
//       same products group-commit instead of conflicting. The order's own stream keeps its exact expected
//       version: it serializes each order's stock moves.
//
// Invariant: 0 <= reserved <= on hand for every product, in the log and in the cache.
//
// Argument. Availability is only ever taken by (1) order reservations, which go through hold(), and (2)
// commands run in_lock() (stock set/adjust, the catalog's direct reserve), which keep the locks until their
// append is durable and folded. A decision under the locks sees C = the cached fold (with every event the log
// has delivered for that stream: each answered append's among them) and H = the holds of in-flight
// reservations. Every reservation not yet in C has its hold in H:
//   - a hold is recorded before its append is queued and erased either (i) when a refresh folds a
//     StockReserved for the hold's order — the hold's order id is known by then: set before the append
//     (status changes, item updates) or by the append's build on the writer thread (creates), which runs
//     before the batch is written — or (ii) by its owner once the append has returned (committed: it is
//     delivered, because the log delivers before it answers, and every decision folds the deliveries before
//     it looks; refused: it will never be). The owner only notes (ii) in the product's inbox, without its lock
//     (the owner may be the thread that answers appends, which must never wait for a product's lock: in_lock
//     holds one until its own append is answered); the next lock erases the noted holds before it looks.
//     Erasure happens under the product's lock, so no decision sees a reservation neither in C nor in H. A delivery the
//     book could not keep (out of memory, or too many piled up for a product nobody locked) marks the product, and one
//     it cannot fold in order (a gap) is seen there: the lock then reads the stream from the log up to head(), which
//     has passed every delivered event. A read or fold that throws also marks it, so the next lock reads what is
//     missing.
//   - (i) erases by order, so it may erase the wrong hold when two commands of one order hold the same
//     product at once. Both were decided on the same order version and the order stream's exact expected
//     version lets at most one commit: if the loser's hold went, the winner's stays until (ii) (counted
//     twice: conservative); if the winner's went, the winner is in C. Nothing uncounted can land.
// Hence C.available - sum(H) is a lower bound of what will be available once every in-flight reservation
// lands, and a reservation that fits it keeps reserved <= on hand. A command in_lock() checks against
// C.reserved + sum(H): reservations decided before it are in H, none can be decided while it holds the
// lock, and its own effect is in C before the lock goes. Releases, consumes and restocks never take
// availability; the order stream proves what the order holds (its stage follows its status), so they need
// no check and are safe with `any`. They take no lock either, so one may land between a command's decision
// in_lock() and its append: a stock set or adjustment therefore folds by what it changed (product.cpp), never
// to the absolute figure it computed, and the move stays counted. Both moves keep reserved <= on hand.
//
// Revisions. Holds keep availability, but an order also reads a product's active flag and price, and its
// append (product streams with `any`) lands after the locks went. A product edit revises the product under
// its lock before it appends (Locked::revise); an order's decision keeps the revisions it saw (Revisions) and
// its append's `build`, on the writer thread, throws StaleDecision when one moved: the order decides again,
// behind the edit's lock. An order whose build saw the old revision was taken off the writer's queue before
// the edit was queued, so it is before the edit in the log: no order lands after an edit on the product as it
// was before it.
//
// Only this process appends to the log (EventLog is single-writer), so no product event bypasses the book.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/aggregate.hpp"
#include "engine/catalog/product.hpp"

namespace codd::engine::catalog {

class StockBook;

// The holds of one decision, released (if a refresh did not already fold them) when destroyed. Keep it
// alive until the append that carries its reservations has returned.
class StockHolds {
  public:
    StockHolds() = default;
    ~StockHolds();
    StockHolds(const StockHolds&) = delete;
    StockHolds& operator=(const StockHolds&) = delete;

    // The order the reservations belong to; for a create, call it from the append's build with the
    // allocated id (it only stores an atomic).
    void set_order(OrderId order) const { order_->store(order); }

  private:
    friend class StockBook;
    StockBook* book_ = nullptr;
    std::shared_ptr<std::atomic<OrderId>> order_ = std::make_shared<std::atomic<OrderId>>(0);
    std::vector<std::pair<ProductId, std::uint64_t>> holds_;  // product, hold id
};

class StockBook {
    struct Entry;

  public:
    // The revisions of some products as a decision saw them (Locked::revisions).
    class Revisions {
      public:
        // Whether no product among them was revised since; throws StaleDecision otherwise.
        void check() const;

      private:
        friend class StockBook;
        std::vector<std::pair<const Entry*, std::uint64_t>> seen_;
    };

    explicit StockBook(EventLog& log, std::shared_ptr<Clock> clock = system_clock());
    ~StockBook();
    StockBook(const StockBook&) = delete;
    StockBook& operator=(const StockBook&) = delete;

    // Some products locked (in id order) and refreshed; unlocked when destroyed.
    class Locked {
      public:
        Locked(Locked&&) noexcept = default;
        ~Locked() = default;

        // The cached product (version -1: no such product). Only ids that were locked.
        [[nodiscard]] const Loaded<Product>& product(ProductId id) const;
        // Available to a new reservation: on hand - reserved - units held by in-flight reservations.
        [[nodiscard]] std::int64_t available(ProductId id) const;
        // Units held by in-flight reservations.
        [[nodiscard]] std::int64_t held(ProductId id) const;
        // Records a hold of `quantity` units of a locked product in `holds`.
        void hold(ProductId id, std::int64_t quantity, StockHolds& holds);
        // Folds what the log appended since (after an append made while locked).
        void refresh();
        // The locked products' revisions now, for an append decided on them to check (Revisions::check).
        [[nodiscard]] Revisions revisions() const;
        // Marks a locked product as edited (its active flag, price, ...): decisions made before on it are
        // refused at their append. Call before queuing the edit's append.
        void revise(ProductId id);

      private:
        friend class StockBook;
        explicit Locked(StockBook& book) : book_(&book) {}
        StockBook* book_;
        // Ids that name no product: not cached in the book. Declared before locks_, which lock their
        // mutexes and so must be destroyed first.
        std::vector<std::unique_ptr<Entry>> absent_;
        std::vector<std::pair<ProductId, Entry*>> entries_;
        std::vector<std::unique_lock<std::mutex>> locks_;
    };

    // Locks `ids` (duplicates allowed) in product-id order and refreshes them (folds what the log delivered, or
    // reads their stream tails: see (a)).
    [[nodiscard]] Locked lock(std::vector<ProductId> ids);

    // Products whose state the book caches (only ids whose product stream existed when first locked).
    [[nodiscard]] std::size_t cached_products();

    // Whether an in_lock() command (a product edit, a stock set or adjustment) is running: it holds product locks
    // until its append is answered, so a thread that must not wait (an HTTP thread) leaves orders to others.
    [[nodiscard]] bool changing() const;

    // How often a product's stream tail was read from the log (first locks, gaps, piled-up deliveries, or every
    // lock on a log that does not append); every other refresh folds what the log delivered.
    [[nodiscard]] std::uint64_t tail_reads() const;

    // A product as the log holds it now; nullopt when it does not exist.
    [[nodiscard]] std::optional<Product> find(ProductId id);

    // Runs `decide` with the products locked and, when it returns an append, appends it with the context's
    // metadata and command id while still holding the locks, then folds it; decides again (refreshed) when
    // another stream of the append conflicted. For commands that take availability away without a hold
    // (stock set/adjust), the catalog's direct stock moves, and product edits (their product stream is
    // appended with `any` too: only stock events, which leave the edited fields alone, land meanwhile).
    Result<AppendResult> in_lock(std::vector<ProductId> ids, const CommandContext& ctx,
                                 const std::function<Result<AppendRequest>(Locked&)>& decide);

  private:
    friend class StockHolds;
    struct Hold {
        std::uint64_t id = 0;
        std::shared_ptr<const std::atomic<OrderId>> order;
        std::int64_t quantity = 0;
    };
    struct Entry {
        std::mutex mu;
        Loaded<Product> cached;
        bool loaded = false;  // its stream read from the log once
        std::vector<Hold> holds;
        std::vector<RecordedEvent> folding;    // under mu: the deliveries being folded (kept for its capacity)
        std::vector<std::uint64_t> releasing;  // under mu: the released holds being erased
        // The inbox, filled without the product's lock. The log's deliveries of the stream's durable events, in
        // version order, not yet folded; `overflowed`: some were dropped (too many piled up), so the next refresh
        // reads the tail from the log. `released`: holds their owners released (StockHolds), not yet erased.
        std::mutex delivered_mu;
        std::vector<RecordedEvent> delivered;
        bool overflowed = false;
        std::vector<std::uint64_t> released;
        std::atomic<std::uint64_t> revision{0};  // written under mu, read anywhere
        // A stand-in for an id whose product stream did not exist when it was locked: it stays "no such
        // product" (never refreshed, so it never takes a hold), and it is not kept in the book, so requests
        // naming random product ids cannot make the book grow.
        bool absent = false;
    };

    static constexpr std::string_view kStreamPrefix = "product-";  // events::product_of_stream picks the products
    static constexpr std::size_t kMaxDelivered = 4096;
    static constexpr std::size_t kKeptCapacity = 256;  // a `folding` buffer larger than this is given back

    Entry& entry(ProductId id);
    // The book's entry for `id`, or nullptr when it has none and the log has no product-<id> stream.
    Entry* cached_entry(ProductId id);
    // Under the entry's lock: folds the deliveries, reading the tail from the log when they do not suffice.
    void refresh(Entry& e, ProductId id);
    void read_tail(Entry& e, ProductId id);
    static void fold(Entry& e, const RecordedEvent& ev);
    // The log's listener (its completer thread). A delivery it cannot keep sets `overflowed`.
    void on_durable(const DurableEvent& ev) noexcept;
    void release(const StockHolds& holds);

    EventLog& log_;
    std::shared_ptr<Clock> clock_;
    std::mutex entries_mu_;
    std::map<ProductId, std::unique_ptr<Entry>> entries_;
    std::atomic<std::uint64_t> next_hold_{1};
    std::atomic<std::uint64_t> tail_reads_{0};
    std::atomic<int> changing_{0};               // in_lock() calls running
    std::unique_ptr<DurableListener> listener_;  // last: set once the rest is built; the destructor resets it first
};

}  // namespace codd::engine::catalog

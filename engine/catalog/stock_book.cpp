#include "engine/catalog/stock_book.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "engine/catalog/catalog_events.hpp"
#include "engine/json_codec.hpp"

namespace codd::engine::catalog {

StockHolds::~StockHolds() {
    if (book_ != nullptr) book_->release(*this);
}

StockBook::StockBook(EventLog& log, std::shared_ptr<Clock> clock) : log_(log), clock_(std::move(clock)) {
    listener_ = log_.listen_durable(std::string(kStreamPrefix), [this](const DurableEvent& ev) { on_durable(ev); });
}

StockBook::~StockBook() {
    listener_.reset();  // waits for a delivery in progress, before the entries go
}

bool StockBook::changing() const {
    return changing_.load() > 0;
}

std::uint64_t StockBook::tail_reads() const {
    return tail_reads_.load(std::memory_order_relaxed);
}

StockBook::Entry& StockBook::entry(ProductId id) {
    std::lock_guard lock(entries_mu_);
    auto& e = entries_[id];
    if (!e) e = std::make_unique<Entry>();
    return *e;
}

StockBook::Entry* StockBook::cached_entry(ProductId id) {
    {
        std::lock_guard lock(entries_mu_);
        if (auto it = entries_.find(id); it != entries_.end()) return it->second.get();
    }
    if (!log_.stream_version(events::product_stream(id))) return nullptr;
    return &entry(id);
}

void StockBook::refresh(Entry& e, ProductId id) {
    if (e.absent) return;
    bool read = !listener_ || !e.loaded;
    {
        std::lock_guard lock(e.delivered_mu);
        e.folding.swap(e.delivered);
        e.releasing.swap(e.released);
        read = std::exchange(e.overflowed, false) || read;
    }
    // Holds their owners released (their appends answered: committed and delivered, or refused).
    for (const std::uint64_t id : e.releasing) std::erase_if(e.holds, [id](const Hold& h) { return h.id == id; });
    e.releasing.clear();
    try {
        if (read) read_tail(e, id);
        for (const RecordedEvent& ev : e.folding) {
            if (ev.version.value() <= e.cached.version) continue;  // the tail read had it
            // A gap (a delivery lost): the log has it, and head() has passed every delivered event.
            if (ev.version.value() != e.cached.version + 1) read_tail(e, id);
            if (ev.version.value() <= e.cached.version) continue;
            if (ev.version.value() != e.cached.version + 1) {
                throw std::logic_error("the stock book's deliveries for product " + std::to_string(id) +
                                       " skip versions the log does not have");
            }
            fold(e, ev);
            e.cached.version = ev.version.value();
        }
    } catch (...) {
        // What was folded stays (a prefix of the stream, at its version); the next lock reads the rest from the log.
        e.folding.clear();
        std::lock_guard lock(e.delivered_mu);
        e.overflowed = true;
        throw;
    }
    e.folding.clear();
    if (e.folding.capacity() > kKeptCapacity) std::vector<RecordedEvent>().swap(e.folding);
}

void StockBook::read_tail(Entry& e, ProductId id) {
    tail_reads_.fetch_add(1, std::memory_order_relaxed);
    const std::string stream = events::product_stream(id);
    // A lookup of the stream's version answers "nothing new" for a fraction of a stream read. The version may
    // include an append not yet durable, which the read below does not return yet.
    const auto current = log_.stream_version(stream);
    if (current && current->value() > e.cached.version) {
        fold_tail(log_, stream, e.cached, [&e](Product&, const RecordedEvent& ev) { fold(e, ev); });
    }
    e.loaded = true;  // only once read: a read that threw is read again
}

void StockBook::fold(Entry& e, const RecordedEvent& ev) {
    evolve(e.cached.state, ev);
    if (ev.type != events::kStockReserved) return;
    // The reservation is in the fold now: its hold no longer counts (see the header).
    const OrderId order = json::int_at(json::parse_object(ev.payload), "orderId");
    auto it = std::find_if(e.holds.begin(), e.holds.end(), [&](const Hold& h) { return h.order->load() == order; });
    if (it != e.holds.end()) e.holds.erase(it);
}

void StockBook::on_durable(const DurableEvent& ev) noexcept {
    // Only products the book caches: one it does not cache yet reads its whole stream when first locked, and the
    // log's head has passed this event by then.
    const auto id = events::product_of_stream(ev.stream);
    if (!id) return;
    Entry* e = nullptr;
    {
        std::lock_guard lock(entries_mu_);
        auto it = entries_.find(*id);
        if (it == entries_.end()) return;
        e = it->second.get();
    }
    std::lock_guard lock(e->delivered_mu);
    if (e->overflowed) return;  // the next refresh reads the tail, this event with it
    try {
        if (e->delivered.size() >= kMaxDelivered) {
            // Nobody has locked the product for a long while: read its tail when someone does.
            std::vector<RecordedEvent>().swap(e->delivered);
            e->overflowed = true;
            return;
        }
        RecordedEvent r;
        r.position = ev.position;
        r.stream = ev.stream;
        r.version = ev.version;
        r.type = ev.type;
        r.schema_version = ev.schema_version;
        r.payload = ev.payload;
        r.time_us = ev.time_us;
        e->delivered.push_back(std::move(r));
    } catch (...) {
        // Out of memory: this delivery is lost, so the next refresh reads the tail instead.
        e->overflowed = true;
    }
}

void StockBook::release(const StockHolds& holds) {
    // Noted, not erased: the product's lock may be held across an append (in_lock) that waits for the very thread
    // releasing here (the log's, for an order appended without waiting). The next lock erases them.
    for (const auto& [product, hold_id] : holds.holds_) {
        Entry& e = entry(product);
        std::lock_guard lock(e.delivered_mu);
        e.released.push_back(hold_id);
    }
}

StockBook::Locked StockBook::lock(std::vector<ProductId> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    Locked out(*this);
    for (ProductId id : ids) {
        Entry* e = cached_entry(id);
        if (e == nullptr) {
            e = out.absent_.emplace_back(std::make_unique<Entry>()).get();
            e->absent = true;
        }
        out.locks_.emplace_back(e->mu);
        refresh(*e, id);
        out.entries_.emplace_back(id, e);
    }
    return out;
}

std::size_t StockBook::cached_products() {
    std::lock_guard lock(entries_mu_);
    return entries_.size();
}

std::optional<Product> StockBook::find(ProductId id) {
    auto locked = lock({id});
    const auto& p = locked.product(id);
    if (!p.exists()) return std::nullopt;
    return p.state;
}

Result<AppendResult> StockBook::in_lock(std::vector<ProductId> ids, const CommandContext& ctx,
                                        const std::function<Result<AppendRequest>(Locked&)>& decide) {
    changing_.fetch_add(1);
    struct Done {
        std::atomic<int>& n;
        ~Done() { n.fetch_sub(1); }
    } done{changing_};
    auto locked = lock(std::move(ids));
    auto attempt = [&](TimePoint) {
        locked.refresh();
        return decide(locked);
    };
    auto result = execute(log_, *clock_, ctx, attempt);
    locked.refresh();
    return result;
}

const Loaded<Product>& StockBook::Locked::product(ProductId id) const {
    for (const auto& [pid, e] : entries_) {
        if (pid == id) return e->cached;
    }
    throw std::logic_error("product " + std::to_string(id) + " is not locked");
}

std::int64_t StockBook::Locked::held(ProductId id) const {
    for (const auto& [pid, e] : entries_) {
        if (pid != id) continue;
        std::int64_t sum = 0;
        for (const auto& h : e->holds) sum += h.quantity;
        return sum;
    }
    throw std::logic_error("product " + std::to_string(id) + " is not locked");
}

std::int64_t StockBook::Locked::available(ProductId id) const {
    return product(id).state.available() - held(id);
}

StockBook::Revisions StockBook::Locked::revisions() const {
    Revisions r;
    for (const auto& [pid, e] : entries_) {
        if (!e->absent) r.seen_.emplace_back(e, e->revision.load());
    }
    return r;
}

void StockBook::Locked::revise(ProductId id) {
    for (auto& [pid, e] : entries_) {
        if (pid == id) {
            e->revision.fetch_add(1);
            return;
        }
    }
    throw std::logic_error("product " + std::to_string(id) + " is not locked");
}

void StockBook::Revisions::check() const {
    for (const auto& [e, seen] : seen_) {
        if (e->revision.load() != seen) {
            throw StaleDecision("a product of the order was changed while it was decided; deciding again");
        }
    }
}

void StockBook::Locked::hold(ProductId id, std::int64_t quantity, StockHolds& holds) {
    for (auto& [pid, e] : entries_) {
        if (pid != id) continue;
        if (e->absent) throw std::logic_error("product " + std::to_string(id) + " does not exist: nothing to hold");
        const std::uint64_t hold_id = book_->next_hold_.fetch_add(1);
        e->holds.push_back({hold_id, holds.order_, quantity});
        holds.book_ = book_;
        holds.holds_.emplace_back(id, hold_id);
        return;
    }
    throw std::logic_error("product " + std::to_string(id) + " is not locked");
}

void StockBook::Locked::refresh() {
    for (auto& [pid, e] : entries_) book_->refresh(*e, pid);
}

}  // namespace codd::engine::catalog

#include "engine/durable_listeners.hpp"

#include <algorithm>

namespace codd::engine::detail {

class DurableListeners::Handle final : public DurableListener {
  public:
    Handle(std::shared_ptr<DurableListeners> owner, std::uint64_t id) : owner_(std::move(owner)), id_(id) {}
    ~Handle() override { owner_->remove(id_); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

  private:
    std::shared_ptr<DurableListeners> owner_;  // the log may close and go first
    std::uint64_t id_;
};

std::unique_ptr<DurableListener> DurableListeners::add(std::string prefix,
                                                       std::function<void(const DurableEvent&)> fn) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mu_);
        id = next_id_++;
    }
    // The handle first: should registering throw, the handle removes nothing and no listener is left behind.
    auto handle = std::make_unique<Handle>(shared_from_this(), id);
    {
        std::lock_guard lock(mu_);
        listeners_.push_back({id, std::move(prefix), std::move(fn)});
        count_.store(listeners_.size());
    }
    return handle;
}

void DurableListeners::remove(std::uint64_t id) {
    std::lock_guard lock(mu_);
    std::erase_if(listeners_, [id](const Listener& l) { return l.id == id; });
    count_.store(listeners_.size());
}

void DurableListeners::notify(const AppendRequest& request, const AppendResult& result) {
    if (count_.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard lock(mu_);
    // The writer wrote the streams in request order, each stream's events in order, at consecutive positions;
    // `result.streams` has one entry per stream of the request (conditions too) with its last version.
    std::uint64_t position = result.first_position.value();
    for (std::size_t i = 0; i < request.streams.size() && i < result.streams.size(); ++i) {
        const StreamAppend& s = request.streams[i];
        if (s.events.empty()) continue;
        const auto first_version =
            result.streams[i].last_version.value() - static_cast<std::int64_t>(s.events.size()) + 1;
        for (const Listener& l : listeners_) {
            if (!s.stream.starts_with(l.prefix)) continue;
            for (std::size_t k = 0; k < s.events.size(); ++k) {
                const NewEvent& e = s.events[k];
                try {
                    l.fn(DurableEvent{GlobalPosition{position + k}, s.stream,
                                      StreamVersion{first_version + static_cast<std::int64_t>(k)}, e.type,
                                      e.schema_version, e.payload, result.time_us});
                } catch (...) {
                    // The listener misses this event and the answers go on: a listener that must not miss one
                    // catches its own exceptions (the StockBook does, and reads the stream instead).
                }
            }
        }
        position += s.events.size();
    }
}

}  // namespace codd::engine::detail

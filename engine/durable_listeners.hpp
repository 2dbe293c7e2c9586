#pragma once
// DurableListeners: the listeners of EventLog::listen_durable, called by the log writer's completer with every
// accepted append of a durable round, before that round is answered.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/event_log.hpp"

namespace codd::engine::detail {

class DurableListeners : public std::enable_shared_from_this<DurableListeners> {
  public:
    // Registers `fn` for streams starting with `prefix`; the handle unregisters it.
    std::unique_ptr<DurableListener> add(std::string prefix, std::function<void(const DurableEvent&)> fn);

    // Hands each event `result` wrote for `request` to the listeners whose prefix its stream has. `request` is the
    // one the writer decided (its `build` already ran); `result` must be `ok`.
    void notify(const AppendRequest& request, const AppendResult& result);

  private:
    struct Listener {
        std::uint64_t id = 0;
        std::string prefix;
        std::function<void(const DurableEvent&)> fn;
    };
    class Handle;
    void remove(std::uint64_t id);

    std::mutex mu_;  // held while listeners are called, so removing one waits for its call
    std::vector<Listener> listeners_;
    std::atomic<std::size_t> count_{0};
    std::uint64_t next_id_ = 1;
};

}  // namespace codd::engine::detail

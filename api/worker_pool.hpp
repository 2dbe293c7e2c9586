#pragma once
// A small pool of threads for work that must not run on io threads: CPU-heavy (argon2id password hashing)
// or blocking (a command waiting for the event log's fsync). Handlers post a job that captures their
// Responder; the job answers when done. The Asio thread pool lives in the .cpp, so users need no Asio.

#include <functional>
#include <memory>
#include <string>

namespace codd::api {

class WorkerPool {
  public:
    // The threads are named `name` (for top -H and perf) before the constructor returns.
    explicit WorkerPool(int threads, const std::string& name = "codd-worker");
    ~WorkerPool();  // stop()
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `job`. An exception escaping it is logged and swallowed; the Responders it captured are then
    // destroyed unanswered, which answers their requests with a 500. After stop(), the job is destroyed
    // without running (its Responders answer 500 the same way).
    void post(std::function<void()> job);

    // Runs every queued job to completion, then joins the threads. Idempotent.
    void stop();

    [[nodiscard]] int threads() const { return threads_; }

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
    int threads_;
};

}  // namespace codd::api

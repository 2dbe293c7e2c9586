#include "api/worker_pool.hpp"

#include <atomic>
#include <exception>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/logging.hpp"
#include "engine/thread_name.hpp"

namespace codd::api {

class WorkerPool::Impl {
  public:
    explicit Impl(int threads) : pool_(static_cast<std::size_t>(threads)) {}

    void post(std::function<void()> job) {
        if (stopped_.load()) return;  // `job` dies here, answering its requests
        boost::asio::post(pool_, [job = std::move(job)] {
            // boost::asio::thread_pool starts its threads itself: each names itself on its first job.
            thread_local const bool named = (engine::name_this_thread("codd-command"), true);
            (void)named;
            try {
                job();
            } catch (const std::exception& e) {
                log::error("worker job failed", {{"error", e.what()}});
            } catch (...) {
                log::error("worker job failed", {{"error", "unknown exception"}});
            }
        });
    }

    void stop() {
        if (stopped_.exchange(true)) return;
        pool_.join();  // without stop(): queued jobs still run, then the threads exit
    }

  private:
    boost::asio::thread_pool pool_;
    std::atomic<bool> stopped_{false};
};

WorkerPool::WorkerPool(int threads) : impl_(std::make_unique<Impl>(threads)), threads_(threads) {}

WorkerPool::~WorkerPool() {
    stop();
}

void WorkerPool::post(std::function<void()> job) {
    impl_->post(std::move(job));
}

void WorkerPool::stop() {
    impl_->stop();
}

}  // namespace codd::api

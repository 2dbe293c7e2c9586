#include "api/worker_pool.hpp"

#include <atomic>
#include <exception>
#include <latch>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/logging.hpp"
#include "engine/thread_name.hpp"

namespace codd::api {

class WorkerPool::Impl {
  public:
    Impl(int threads, const std::string& name) : pool_(static_cast<std::size_t>(threads)) {
        // boost::asio::thread_pool starts its threads itself, so each names itself: one job per thread, each
        // holding its thread until every thread has taken one.
        auto started = std::make_shared<std::latch>(threads);
        for (int i = 0; i < threads; ++i) {
            boost::asio::post(pool_, [started, name] {
                engine::name_this_thread(name);
                started->arrive_and_wait();
            });
        }
        started->wait();
    }

    void post(std::function<void()> job) {
        if (stopped_.load()) return;  // `job` dies here, answering its requests
        boost::asio::post(pool_, [job = std::move(job)] {
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

WorkerPool::WorkerPool(int threads, const std::string& name)
    : impl_(std::make_unique<Impl>(threads, name)), threads_(threads) {}

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

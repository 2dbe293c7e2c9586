// A keep-alive HTTP/1.1 load generator: N connections, each with one request in flight (closed loop), for a
// fixed time, against a server it does not start. Prints one JSON line per run:
//   {"name","url","path","connections","seconds","requests","errors","non_2xx","ops_per_s","p50_us","p90_us",
//    "p99_us","p999_us","max_us"}
//
//   http_bench --url 127.0.0.1:3000 --path /health/live --connections 64 --seconds 5
//   http_bench --url 127.0.0.1:3000 --path /api/auth/me --header "Authorization: Bearer $TOKEN"
//
// The client is lean on purpose (a hand-rolled response reader, no Beast parser): on a small machine it
// shares the CPU with the server, and every cycle it spends is taken from the figure it reports.

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "bench/bench_util.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using codd::bench::SteadyClock;

struct Options {
    std::string host = "127.0.0.1";
    std::string port = "3000";
    std::string path = "/health/live";
    std::string method = "GET";
    std::string body;
    std::vector<std::string> headers;
    std::string name;
    int connections = 64;
    double seconds = 5;
    double warmup = 1;
    int threads = 1;
};

// Latencies in microseconds: exact below 65.536 ms, then by millisecond up to a minute.
class Histogram {
  public:
    void add(std::int64_t us) {
        ++count_;
        max_ = std::max(max_, us);
        if (us < static_cast<std::int64_t>(fine_.size())) {
            ++fine_[static_cast<std::size_t>(std::max<std::int64_t>(0, us))];
        } else {
            ++coarse_[static_cast<std::size_t>(std::min<std::int64_t>(us / 1000, coarse_.size() - 1))];
        }
    }
    void merge(const Histogram& o) {
        for (std::size_t i = 0; i < fine_.size(); ++i) fine_[i] += o.fine_[i];
        for (std::size_t i = 0; i < coarse_.size(); ++i) coarse_[i] += o.coarse_[i];
        count_ += o.count_;
        max_ = std::max(max_, o.max_);
    }
    [[nodiscard]] std::int64_t percentile(double p) const {
        if (count_ == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(count_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < fine_.size(); ++i) {
            if ((seen += fine_[i]) >= rank) return static_cast<std::int64_t>(i);
        }
        for (std::size_t i = 0; i < coarse_.size(); ++i) {
            if ((seen += coarse_[i]) >= rank) return static_cast<std::int64_t>(i * 1000);
        }
        return max_;
    }
    [[nodiscard]] std::uint64_t count() const { return count_; }
    [[nodiscard]] std::int64_t max() const { return max_; }

  private:
    std::vector<std::uint64_t> fine_ = std::vector<std::uint64_t>(65536);
    std::vector<std::uint64_t> coarse_ = std::vector<std::uint64_t>(60'000);
    std::uint64_t count_ = 0;
    std::int64_t max_ = 0;
};

struct Shared {
    std::string request;  // the bytes of one request, sent again and again
    tcp::resolver::results_type endpoints;
    std::atomic<bool> measuring{false};
    std::atomic<bool> stopping{false};
};

// Per io thread: its connections' statistics (no sharing, no atomics on the hot path).
struct Stats {
    Histogram latency;
    std::uint64_t errors = 0;
    std::uint64_t non_2xx = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(asio::io_context& ioc, Shared& shared, Stats& stats) : socket_(ioc), shared_(shared), stats_(stats) {}

    void start() {
        asio::async_connect(socket_, shared_.endpoints, [self = shared_from_this()](auto ec, const auto&) {
            if (ec) return self->fail();
            self->socket_.set_option(tcp::no_delay(true));
            self->send();
        });
    }

  private:
    void send() {
        if (shared_.stopping.load(std::memory_order_relaxed)) return;
        sent_ = SteadyClock::now();
        asio::async_write(socket_, asio::buffer(shared_.request), [self = shared_from_this()](auto ec, std::size_t) {
            if (ec) return self->fail();
            self->read();
        });
    }

    void read() {
        if (const auto need = complete_response(); need == 0) return done();
        socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](auto ec, std::size_t n) {
            if (ec) return self->fail();
            self->buffer_.append(self->chunk_.data(), n);
            self->read();
        });
    }

    // The size of the first complete response in the buffer, 0 if there is one (it is consumed into
    // status_), or a positive number while more is needed.
    std::size_t complete_response() {
        const std::size_t end = buffer_.find("\r\n\r\n");
        if (end == std::string::npos) return 1;
        const std::size_t length = content_length(std::string_view(buffer_).substr(0, end));
        if (buffer_.size() < end + 4 + length) return 1;
        status_ = buffer_.size() > 12 ? std::atoi(buffer_.c_str() + 9) : 0;
        buffer_.erase(0, end + 4 + length);
        return 0;
    }

    static std::size_t content_length(std::string_view head) {
        for (std::size_t pos = head.find("\r\n"); pos != std::string_view::npos; pos = head.find("\r\n", pos + 2)) {
            const std::string_view line = head.substr(pos + 2, head.find("\r\n", pos + 2) - pos - 2);
            if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
                std::string_view v = line.substr(15);
                while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
                std::size_t n = 0;
                std::from_chars(v.data(), v.data() + v.size(), n);
                return n;
            }
        }
        return 0;
    }

    void done() {
        if (shared_.measuring.load(std::memory_order_relaxed)) {
            stats_.latency.add(std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent_).count());
            if (status_ < 200 || status_ > 299) ++stats_.non_2xx;
        }
        send();
    }

    void fail() {
        if (shared_.stopping.load()) return;
        ++stats_.errors;
        // Reconnect after a pause, so a refused connection does not spin.
        auto timer = std::make_shared<asio::steady_timer>(socket_.get_executor(), std::chrono::milliseconds(100));
        timer->async_wait([self = shared_from_this(), timer](auto) {
            boost::system::error_code ignored;
            self->socket_.close(ignored);
            self->buffer_.clear();
            self->start();
        });
    }

    tcp::socket socket_;
    Shared& shared_;
    Stats& stats_;
    std::string buffer_;
    std::array<char, 16384> chunk_{};
    SteadyClock::time_point sent_{};
    int status_ = 0;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "http_bench: %s\nusage: http_bench --url HOST:PORT [--path /health/live] [--connections 64] "
                 "[--seconds 5] [--warmup 1] [--threads 1] [--method GET] [--body TEXT] "
                 "[--header 'Name: value']... [--name LABEL]\n",
                 why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    bool have_url = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) usage(("missing value for " + a).c_str());
        const std::string v = argv[++i];
        if (a == "--url") {
            std::string hp = v.starts_with("http://") ? v.substr(7) : v;
            const std::size_t colon = hp.rfind(':');
            if (colon == std::string::npos || colon == 0) usage("--url must be host:port");
            o.host = hp.substr(0, colon);
            o.port = hp.substr(colon + 1);
            if (o.host.front() == '[') o.host = o.host.substr(1, o.host.size() - 2);
            have_url = true;
        } else if (a == "--path") {
            o.path = v;
        } else if (a == "--connections") {
            o.connections = std::stoi(v);
        } else if (a == "--seconds") {
            o.seconds = std::stod(v);
        } else if (a == "--warmup") {
            o.warmup = std::stod(v);
        } else if (a == "--threads") {
            o.threads = std::stoi(v);
        } else if (a == "--method") {
            o.method = v;
        } else if (a == "--body") {
            o.body = v;
        } else if (a == "--header") {
            if (v.find(':') == std::string::npos) usage("--header must be 'Name: value'");
            o.headers.push_back(v);
        } else if (a == "--name") {
            o.name = v;
        } else {
            usage(("unknown option " + a).c_str());
        }
    }
    if (!have_url) usage("--url is required");
    if (o.connections < 1 || o.threads < 1 || o.seconds <= 0 || o.warmup < 0) usage("bad numbers");
    if (o.path.empty() || o.path.front() != '/') usage("--path must start with /");
    return o;
}

std::string build_request(const Options& o) {
    std::string r = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + o.port + "\r\n";
    for (const std::string& h : o.headers) r += h + "\r\n";
    if (!o.body.empty() || o.method == "POST" || o.method == "PUT" || o.method == "PATCH") {
        r += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
    }
    r += "\r\n" + o.body;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    Shared shared;
    shared.request = build_request(o);
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<Stats> stats(static_cast<std::size_t>(o.threads));
    try {
        asio::io_context resolver_ctx;
        tcp::resolver resolver(resolver_ctx);
        shared.endpoints = resolver.resolve(o.host, o.port);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "http_bench: cannot resolve %s:%s: %s\n", o.host.c_str(), o.port.c_str(), e.what());
        return 1;
    }
    for (int t = 0; t < o.threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
    for (int c = 0; c < o.connections; ++c) {
        const auto t = static_cast<std::size_t>(c % o.threads);
        std::make_shared<Connection>(*contexts[t], shared, stats[t])->start();
    }
    std::vector<std::thread> threads;
    for (auto& ctx : contexts) threads.emplace_back([&ctx] { ctx->run(); });

    std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
    shared.measuring.store(true);
    const auto t0 = SteadyClock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
    shared.measuring.store(false);
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    shared.stopping.store(true);
    for (auto& ctx : contexts) ctx->stop();
    for (auto& t : threads) t.join();

    Histogram all;
    std::uint64_t errors = 0;
    std::uint64_t non_2xx = 0;
    for (const Stats& s : stats) {
        all.merge(s.latency);
        errors += s.errors;
        non_2xx += s.non_2xx;
    }
    codd::bench::JsonLine(o.name.empty() ? "http" + o.path : o.name)
        .str("url", o.host + ":" + o.port)
        .str("path", o.path)
        .integer("connections", o.connections)
        .num("seconds", elapsed)
        .integer("requests", static_cast<std::int64_t>(all.count()))
        .integer("errors", static_cast<std::int64_t>(errors))
        .integer("non_2xx", static_cast<std::int64_t>(non_2xx))
        .num("ops_per_s", static_cast<double>(all.count()) / elapsed)
        .integer("p50_us", all.percentile(0.50))
        .integer("p90_us", all.percentile(0.90))
        .integer("p99_us", all.percentile(0.99))
        .integer("p999_us", all.percentile(0.999))
        .integer("max_us", all.max())
        .print();
    return errors > 0 && all.count() == 0 ? 1 : 0;
}

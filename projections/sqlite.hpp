#pragma once
// A thin RAII layer over SQLite for the read side (DESIGN §5): one writer connection per view file, a pool
// of read-only connections, prepared statements reused across calls.
//
// Every SQLite result code crosses into codd in one function (sqlite.cpp): anything but success becomes a
// SqliteError carrying the code, SQLite's message and the statement. A view is disposable and rebuilt from
// the log, so there is no expected SQLite outcome to model as a value: every failure is unexpected.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace codd::projections {

class SqliteError : public std::runtime_error {
  public:
    SqliteError(int code, std::string message, std::string sql);
    // The extended result code (SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_BUSY_SNAPSHOT, ...).
    [[nodiscard]] int code() const { return code_; }
    // The primary result code (SQLITE_CONSTRAINT, SQLITE_BUSY, ...).
    [[nodiscard]] int primary_code() const { return code_ & 0xff; }
    [[nodiscard]] const std::string& message() const { return message_; }
    [[nodiscard]] const std::string& sql() const { return sql_; }

  private:
    int code_;
    std::string message_;
    std::string sql_;
};

enum class OpenMode { read_write, read_only };

inline constexpr std::int64_t kWriterCacheKib = 32 * 1024;
inline constexpr std::int64_t kReaderCacheKib = 4 * 1024;

struct DatabaseOptions {
    OpenMode mode = OpenMode::read_write;
    // How long a statement waits on a lock held by another connection before SQLITE_BUSY.
    std::chrono::milliseconds busy_timeout{5000};
    // Page cache per connection, an upper bound filled on demand; 0: by mode. SQLite's own default (2 MiB)
    // makes a writer re-read the index pages of a large view from the OS on every batch; readers are many
    // and served well enough by the OS page cache, so they stay small for the server's resident memory.
    std::int64_t cache_kib = 0;
    // false: synchronous=OFF, for scratch files that are simply rebuilt after a crash (a rebuild in progress).
    bool durable = true;
};

class Database;

// A prepared statement. Prepare once, then bind / step / read columns / reset for each use.
// Parameters are 1-based as in SQLite; columns are 0-based.
class Statement {
  public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, std::uint64_t value);  // throws SqliteError above INT64_MAX
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }
    // By name, with its prefix: ":id", "@id" or "$id". Throws SqliteError for an unknown name.
    template <typename T>
    Statement& bind(std::string_view name, const T& value) {
        return bind(index_of(name), value);
    }
    [[nodiscard]] int index_of(std::string_view name) const;

    // Advances to the next row: true when a row is available, false when the statement is done.
    bool step();
    // Runs a statement that returns no rows of interest to completion, then resets it.
    void run();
    // Makes the statement ready to run again and clears its bindings.
    void reset();

    [[nodiscard]] int column_count() const;
    [[nodiscard]] std::string_view column_name(int col) const;
    [[nodiscard]] bool is_null(int col) const;
    [[nodiscard]] std::int64_t column_int(int col) const;
    [[nodiscard]] double column_double(int col) const;
    // Valid until the next step, reset or destruction of the statement.
    [[nodiscard]] std::string_view column_text(int col) const;
    [[nodiscard]] std::string_view column_blob(int col) const;
    [[nodiscard]] std::optional<std::int64_t> column_optional_int(int col) const;
    // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL.
    [[nodiscard]] int column_type(int col) const;

    [[nodiscard]] const std::string& sql() const { return sql_; }

  private:
    void check(int rc) const;

    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

// One connection. Not thread-safe: one thread uses it at a time (the runner's thread, or a pool lease).
class Database {
  public:
    // Opens (creating when read_write) `file`. Read-write connections switch the file to WAL with
    // synchronous=NORMAL: a commit is atomic and consistent after a crash, and the last commits before a
    // power loss may be lost, which a view survives by replaying from its checkpoint.
    static Database open(const std::filesystem::path& file, DatabaseOptions options = {});

    ~Database();
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more statements without results (DDL, pragmas, migration scripts).
    void exec(std::string_view sql);
    [[nodiscard]] Statement prepare(std::string_view sql) { return Statement(*this, sql); }
    // A statement prepared on first use and kept for the life of the connection, returned reset.
    // The hot path of a projection: no re-parsing per event.
    Statement& cached(std::string_view sql);
    // Finalizes every cached statement (needed before the file's content is replaced wholesale).
    void clear_cache();
    // Resets every cached statement, ending the read transactions of unfinished SELECTs.
    void reset_cache();

    [[nodiscard]] std::int64_t changes() const;
    [[nodiscard]] std::int64_t last_insert_rowid() const;
    [[nodiscard]] bool in_transaction() const;
    [[nodiscard]] bool table_exists(std::string_view table);
    [[nodiscard]] const std::filesystem::path& file() const { return file_; }
    [[nodiscard]] sqlite3* handle() const { return db_; }

    // Set while a rebuild loads a fresh file from the log: a projection may then leave out the rows it can
    // derive from its other tables and compute them once at the end (Projection::derive_after_load).
    [[nodiscard]] bool loading() const { return loading_; }
    void set_loading(bool on) { loading_ = on; }

    // Replaces the whole content of `to` with that of `from` (SQLite's online backup), in one write
    // transaction of `to`: its other connections see either the old content or the new one.
    friend void copy_database(Database& from, Database& to);

  private:
    Database(sqlite3* db, std::filesystem::path file) : db_(db), file_(std::move(file)) {}
    void close() noexcept;

    sqlite3* db_ = nullptr;
    std::filesystem::path file_;
    std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
    bool loading_ = false;
};

void copy_database(Database& from, Database& to);

// Moves the WAL checkpoints of a writer's file off the writer's thread. The writer's connection stops
// checkpointing (its commits only append to the WAL); a thread with its own connection copies the WAL back
// into the database file (PASSIVE: it never blocks the writer or a reader) once a commit of the writer has
// left `pages` pages in the WAL, as SQLite's own autocheckpoint does, and the writer starts the WAL over at
// its next commit after a complete one. A checkpoint writes those pages and fsyncs the database file: on a
// view runner's thread it held up every command waiting for the view.
class WalCheckpointer {
  public:
    // `writer` must outlive this object; its commits (on whichever thread) signal the checkpointer's thread.
    explicit WalCheckpointer(Database& writer, int pages = 1000);
    // Stops the thread and gives the writer back SQLite's autocheckpoint.
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Checkpoints run so far (complete or not).
    [[nodiscard]] std::uint64_t checkpoints() const { return checkpoints_.load(); }

  private:
    static int on_commit(void* self, sqlite3* db, const char* name, int pages);
    void run();

    Database& writer_;
    Database own_;
    int pages_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool due_ = false;
    bool stop_ = false;
    std::atomic<std::uint64_t> checkpoints_{0};
    std::thread thread_;
};

// RAII write transaction: rolls back unless committed. BEGIN IMMEDIATE takes the write lock up front so a
// transaction never fails half-way on a lock upgrade.
class Transaction {
  public:
    enum class Kind { deferred, immediate };
    explicit Transaction(Database& db, Kind kind = Kind::immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();
    void rollback();
    [[nodiscard]] bool active() const { return active_; }
    [[nodiscard]] Database& db() { return db_; }

  private:
    Database& db_;
    bool active_ = true;
};

// N read-only connections to one view file, lent out one at a time (DESIGN §5: one writer, many readers).
// In WAL mode readers never block the writer and see the last committed transaction when they start.
class ReaderPool {
  public:
    class Lease {
      public:
        Lease(ReaderPool* pool, std::unique_ptr<Database> db) : pool_(pool), db_(std::move(db)) {}
        ~Lease();
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Database& operator*() const { return *db_; }
        Database* operator->() const { return db_.get(); }

      private:
        ReaderPool* pool_;
        std::unique_ptr<Database> db_;
    };

    // Opens `size` read-only connections; the file must exist (a runner creates it).
    ReaderPool(const std::filesystem::path& file, std::size_t size, DatabaseOptions options = {});
    ReaderPool(const ReaderPool&) = delete;
    ReaderPool& operator=(const ReaderPool&) = delete;

    // Blocks until a connection is free.
    [[nodiscard]] Lease acquire();
    // Waits at most `timeout`; nullopt when every connection stayed busy.
    [[nodiscard]] std::optional<Lease> try_acquire(std::chrono::milliseconds timeout);
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] std::size_t available() const;

  private:
    void give_back(std::unique_ptr<Database> db);

    std::size_t size_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace codd::projections

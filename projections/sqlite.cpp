#include "projections/sqlite.hpp"

#include <sqlite3.h>

#include <limits>
#include <mutex>
#include <utility>

#include "engine/thread_name.hpp"
#include "projections/case_fold.hpp"

namespace codd::projections {

namespace {

// The one place an SQLite result code becomes codd's: success passes, anything else is a SqliteError.
void check(int rc, sqlite3* db, std::string_view sql) {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    // The connection's message describes its last failure; without a connection only the code is known.
    const int code = db ? sqlite3_extended_errcode(db) : rc;
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw SqliteError((code & 0xff) == (rc & 0xff) ? code : rc, std::move(message), std::string(sql));
}

std::string describe(int code, const std::string& message, const std::string& sql) {
    std::string s = "sqlite: " + message + " (" + sqlite3_errstr(code) + ", code " + std::to_string(code) + ")";
    if (!sql.empty()) s += " in: " + sql;
    return s;
}

}  // namespace

SqliteError::SqliteError(int code, std::string message, std::string sql)
    : std::runtime_error(describe(code, message, sql)),
      code_(code),
      message_(std::move(message)),
      sql_(std::move(sql)) {}

// --- Statement ---

Statement::Statement(Database& db, std::string_view sql) : db_(db.handle()), sql_(sql) {
    const char* tail = nullptr;
    check(
        sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, &tail));
    if (stmt_ == nullptr) throw SqliteError(SQLITE_MISUSE, "empty statement", sql_);
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), sql_(std::move(other.sql_)) {}

void Statement::check(int rc) const {
    projections::check(rc, db_, sql_);
}

Statement& Statement::bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
}

Statement& Statement::bind(int index, std::uint64_t value) {
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        throw SqliteError(SQLITE_RANGE, "unsigned value " + std::to_string(value) + " exceeds INTEGER", sql_);
    }
    return bind(index, static_cast<std::int64_t>(value));
}

Statement& Statement::bind(int index, double value) {
    check(sqlite3_bind_double(stmt_, index, value));
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
}

Statement& Statement::bind_null(int index) {
    check(sqlite3_bind_null(stmt_, index));
    return *this;
}

int Statement::index_of(std::string_view name) const {
    // SQLite wants a NUL-terminated name; names are short, so the hot path needs no allocation.
    char buf[64];
    int i = 0;
    if (name.size() < sizeof buf) {
        name.copy(buf, name.size());
        buf[name.size()] = '\0';
        i = sqlite3_bind_parameter_index(stmt_, buf);
    } else {
        i = sqlite3_bind_parameter_index(stmt_, std::string(name).c_str());
    }
    if (i == 0) throw SqliteError(SQLITE_RANGE, "no parameter named " + std::string(name), sql_);
    return i;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // The failing step's code is reported by reset in the legacy interface; v2 statements report it here.
    check(rc);
    return false;
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    // reset() repeats the last step's error code; that error was already raised by step().
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const {
    return sqlite3_column_count(stmt_);
}
std::string_view Statement::column_name(int col) const {
    return sqlite3_column_name(stmt_, col);
}
bool Statement::is_null(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
std::int64_t Statement::column_int(int col) const {
    return sqlite3_column_int64(stmt_, col);
}
double Statement::column_double(int col) const {
    return sqlite3_column_double(stmt_, col);
}
int Statement::column_type(int col) const {
    return sqlite3_column_type(stmt_, col);
}

std::string_view Statement::column_text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string_view();
}

std::string_view Statement::column_blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string_view();
}

std::optional<std::int64_t> Statement::column_optional_int(int col) const {
    if (is_null(col)) return std::nullopt;
    return column_int(col);
}

// --- Database ---

Database Database::open(const std::filesystem::path& file, DatabaseOptions options) {
    // Memory statistics take a global mutex on every allocation; codd never reads them. Only possible
    // before SQLite initializes, hence once, before the first connection of the process.
    static std::once_flag configured;
    std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
    // NOMUTEX: a connection is used by one thread at a time; the pool and the runner guarantee it.
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    flags |= options.mode == OpenMode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    Database db(raw, file);
    check(rc, raw, "open " + file.string());
    check(sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count())), raw, "busy_timeout");
    register_case_fold(raw);
    const auto cache_kib = options.cache_kib > 0                  ? options.cache_kib
                           : options.mode == OpenMode::read_write ? kWriterCacheKib
                                                                  : kReaderCacheKib;
    db.exec("PRAGMA cache_size=-" + std::to_string(cache_kib));
    if (options.mode == OpenMode::read_write) {
        auto mode = db.prepare("PRAGMA journal_mode=WAL");
        if (!mode.step() || mode.column_text(0) != "wal") {
            throw SqliteError(SQLITE_ERROR, "could not switch to WAL mode", "PRAGMA journal_mode=WAL");
        }
        db.exec(options.durable ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=OFF");
        // Statement journals in memory: every multi-row statement (INSERT ... SELECT, an upsert of VALUES)
        // inside a batch's transaction keeps one, and with the default they are temporary files, written
        // with a pwrite per page (a 20,000-order catch-up made 479,000 pwrites; 157,000 without them). Sorts
        // that outgrow the page cache (CREATE INDEX) still spill to temporary files.
        db.exec("PRAGMA temp_store=MEMORY");
        db.exec("PRAGMA foreign_keys=ON");
    } else {
        db.exec("PRAGMA foreign_keys=ON; PRAGMA query_only=ON;");
    }
    return db;
}

Database::~Database() {
    close();
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      file_(std::move(other.file_)),
      cache_(std::move(other.cache_)),
      loading_(other.loading_) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        file_ = std::move(other.file_);
        cache_ = std::move(other.cache_);
        loading_ = other.loading_;
    }
    return *this;
}

void Database::close() noexcept {
    cache_.clear();  // statements first: a connection with live statements does not close
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
}

void Database::exec(std::string_view sql) {
    const std::string text(sql);
    check(sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr), db_, text);
}

Statement& Database::cached(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        it = cache_.emplace(std::string(sql), std::make_unique<Statement>(*this, sql)).first;
    } else {
        it->second->reset();
    }
    return *it->second;
}

void Database::clear_cache() {
    cache_.clear();
}

void Database::reset_cache() {
    for (auto& [sql, stmt] : cache_) stmt->reset();
}

std::int64_t Database::changes() const {
    return sqlite3_changes64(db_);
}
std::int64_t Database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}
bool Database::in_transaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

bool Database::table_exists(std::string_view table) {
    auto& q = cached("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    q.bind(1, table);
    const bool found = q.step();
    q.reset();
    return found;
}

WalCheckpointer::WalCheckpointer(Database& writer, int pages)
    : writer_(writer),
      // Its own connection: a Database is used by one thread at a time. It only copies pages, so a small cache.
      own_(Database::open(writer.file(), DatabaseOptions{.cache_kib = 1024})),
      pages_(pages) {
    thread_ = std::thread([this] { run(); });
    engine::name_thread(thread_, "codd-checkpoint");
    // Replaces the writer's autocheckpoint, which is itself a WAL hook.
    sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
    sqlite3_wal_autocheckpoint(writer_.handle(), 1000);  // SQLite's default; removes our hook
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
    auto* c = static_cast<WalCheckpointer*>(self);
    if (pages < c->pages_) return SQLITE_OK;
    bool wake = false;
    {
        std::lock_guard lock(c->mu_);
        wake = !c->due_;
        c->due_ = true;
    }
    if (wake) c->cv_.notify_one();
    return SQLITE_OK;
}

void WalCheckpointer::run() {
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return due_ || stop_; });
            if (stop_) return;
            due_ = false;
        }
        // SQLITE_BUSY (another checkpoint, a rebuild's copy) or an I/O error: the next commit asks again, and
        // meanwhile the WAL only grows, as it does when a reader holds an old snapshot.
        sqlite3_wal_checkpoint_v2(own_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        checkpoints_.fetch_add(1);
    }
}

void copy_database(Database& from, Database& to) {
    // A busy statement on the destination would hold a read transaction and make the backup fail.
    to.clear_cache();
    from.clear_cache();
    sqlite3_backup* backup = sqlite3_backup_init(to.db_, "main", from.db_, "main");
    if (backup == nullptr) {
        const int code = sqlite3_errcode(to.db_);
        check(code == SQLITE_OK ? SQLITE_ERROR : code, to.db_, "backup");
    }
    const int step = sqlite3_backup_step(backup, -1);  // -1: every page in one step, one write transaction
    const int finish = sqlite3_backup_finish(backup);  // leaves the failure's message on the destination
    if (step != SQLITE_DONE) check(step == SQLITE_OK ? SQLITE_ERROR : step, to.db_, "backup");
    check(finish, to.db_, "backup");
}

// --- Transaction ---

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
    db_.cached(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED").run();
}

Transaction::~Transaction() {
    if (!active_) return;
    try {
        rollback();
    } catch (...) {
        // A failed rollback leaves SQLite to roll back when the connection closes; nothing better to do here.
    }
}

void Transaction::commit() {
    db_.cached("COMMIT").run();
    active_ = false;  // only now: a failed COMMIT leaves the destructor to roll back
}

void Transaction::rollback() {
    active_ = false;
    // SQLite may already have rolled back on its own (SQLITE_FULL, SQLITE_IOERR, ...).
    if (db_.in_transaction()) db_.cached("ROLLBACK").run();
}

// --- ReaderPool ---

ReaderPool::ReaderPool(const std::filesystem::path& file, std::size_t size, DatabaseOptions options)
    : size_(size == 0 ? 1 : size) {
    options.mode = OpenMode::read_only;
    for (std::size_t i = 0; i < size_; ++i) idle_.push_back(std::make_unique<Database>(Database::open(file, options)));
}

ReaderPool::Lease::~Lease() {
    if (db_) pool_->give_back(std::move(db_));
}

ReaderPool::Lease ReaderPool::acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty(); });
    auto db = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(db));
}

std::optional<ReaderPool::Lease> ReaderPool::try_acquire(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !idle_.empty(); })) return std::nullopt;
    auto db = std::move(idle_.back());
    idle_.pop_back();
    return std::optional<Lease>(std::in_place, this, std::move(db));
}

std::size_t ReaderPool::available() const {
    std::lock_guard lock(mu_);
    return idle_.size();
}

void ReaderPool::give_back(std::unique_ptr<Database> db) {
    // A lease may have left a read transaction open (an unfinished SELECT); the next user starts clean.
    db->reset_cache();
    if (db->in_transaction()) {
        try {
            db->exec("ROLLBACK");
        } catch (const SqliteError&) {
        }
    }
    {
        std::lock_guard lock(mu_);
        idle_.push_back(std::move(db));
    }
    cv_.notify_one();
}

}  // namespace codd::projections

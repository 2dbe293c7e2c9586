// Backups of the event log: POST /api/v1/admin/backups on a running server, `codd backup` offline, and
// `codd restore`, all on the real binary. What a backup holds comes back after a restore (the views rebuilt
// from it); what came after it does not; nothing of the data directory is deleted.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <csignal>

#include <boost/json.hpp>

#include "tests/functional/orders_fixture.hpp"

namespace {

using namespace codd::test;
using namespace std::chrono_literals;
namespace json = boost::json;

std::int64_t order_count(OrdersServer& s) {
    const HttpResponse r = s.call("GET", "/api/orders?limit=100", s.root);
    REQUIRE(r.status == 200);
    return r.json().at("pagination").at("total").as_int64();
}

}  // namespace

TEST_CASE("a backup taken while the server runs restores to exactly what it held") {
    const auto dir = std::make_shared<TempDir>("codd-backup");
    const std::filesystem::path backups = dir->path() / "backups";
    std::string backup_path;
    std::uint64_t position = 0;
    std::string head_hash;
    {
        OrdersServer s({{"CODD_BACKUP_DIR", backups.string()}}, dir);
        const std::int64_t p = s.product("BAK-1", 5.0, 100);
        for (int i = 0; i < 3; ++i) s.order("024490000" + std::to_string(i), {{p, 1}});

        // Only a super_admin may write one.
        const std::int64_t rep = s.create_user(s.root, "bak.rep@example.com", "Rep#Passw0rd!x", "sales_rep");
        (void)rep;
        const std::string rep_token = IdentityServer::access_token(s.login("bak.rep@example.com", "Rep#Passw0rd!x"));
        CHECK(s.call("POST", "/api/v1/admin/backups", rep_token).status == 403);

        const HttpResponse r = s.call("POST", "/api/v1/admin/backups", s.root);
        INFO(r.body);
        REQUIRE(r.status == 201);
        const json::object b = r.json().at("backup").as_object();
        backup_path = std::string(b.at("path").as_string());
        position = b.at("position").to_number<std::uint64_t>();
        head_hash = std::string(b.at("headHash").as_string());
        CHECK(std::filesystem::path(backup_path).parent_path() == backups);
        CHECK(std::string(b.at("name").as_string()).starts_with("codd-"));
        CHECK(position > 0);
        // A second one in the same second gets a name of its own.
        const HttpResponse again = s.call("POST", "/api/v1/admin/backups", s.root);
        REQUIRE(again.status == 201);
        CHECK(again.json().at("backup").at("path").as_string() != backup_path);

        // After the backup: not in it.
        s.order("0244909999", {{p, 1}});
        CHECK(order_count(s) == 4);

        // A running server's data directory cannot be restored over, nor backed up offline.
        const RunResult busy = run_codd({"restore", "--from", backup_path, "--data-dir", s.data_dir().string()});
        CHECK(busy.exit_code == 1);
        CHECK(busy.err.find("in use") != std::string::npos);
        const RunResult offline =
            run_codd({"backup", "--data-dir", s.data_dir().string(), "--to", (dir->path() / "offline").string()});
        CHECK(offline.exit_code == 1);
        CHECK(offline.err.find("POST /api/v1/admin/backups") != std::string::npos);
    }

    // The backup is a data directory of its own: it verifies, to the position and hash the server reported.
    const RunResult verified = run_codd({"verify", "--data-dir", backup_path});
    INFO(verified.err);
    REQUIRE(verified.exit_code == 0);
    const json::object v = json::parse(verified.out).as_object();
    CHECK(v.at("events").to_number<std::uint64_t>() == position);
    CHECK(v.at("head_hash").as_string() == head_hash);

    CHECK(run_codd({"restore", "--from", (dir->path() / "nothing-here").string(), "--data-dir",
                    (dir->path() / "data").string()})
              .exit_code == 2);
    // A data directory is no backup of itself: refused, its log left in place.
    const RunResult onto_itself =
        run_codd({"restore", "--from", (dir->path() / "data").string(), "--data-dir", (dir->path() / "data").string()});
    CHECK(onto_itself.exit_code == 2);
    CHECK(std::filesystem::is_directory(dir->path() / "data" / "log"));
    // What an interrupted restore left (a partial copy beside the log) is cleared by the next one.
    std::filesystem::create_directories(dir->path() / "data" / "log.restoring-20261127T000000Z" / "partial");
    const RunResult restored =
        run_codd({"restore", "--from", backup_path, "--data-dir", (dir->path() / "data").string()});
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(dir->path() / "data" / "log.restoring-20261127T000000Z"));
    const json::object out = json::parse(restored.out).as_object();
    CHECK(out.at("events").to_number<std::uint64_t>() == position);
    // The log and views it replaced are set aside, not deleted.
    REQUIRE(out.at("previous_log").is_string());
    CHECK(std::filesystem::is_directory(std::string(out.at("previous_log").as_string())));
    CHECK(out.at("previous_views").is_string());

    {
        OrdersServer s({{"CODD_BACKUP_DIR", backups.string()}}, dir);
        CHECK(order_count(s) == 3);  // the views rebuilt from the restored log
        // It takes commands again, numbering on from the backup.
        const std::int64_t p = s.call("GET", "/api/products", s.root).json().at("products").at(0).at("id").as_int64();
        const json::object o = s.order("0244908888", {{p, 1}});
        CHECK(o.at("id").as_int64() == 1004);
    }
    // Offline backup of a stopped server's data directory.
    const RunResult offline =
        run_codd({"backup", "--data-dir", (dir->path() / "data").string(), "--to", (dir->path() / "offline").string()});
    INFO(offline.err);
    CHECK(offline.exit_code == 0);
    CHECK(run_codd({"verify", "--data-dir", (dir->path() / "offline").string()}).exit_code == 0);
}

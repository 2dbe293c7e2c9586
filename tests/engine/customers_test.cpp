// The customer commands, given/when/then: what each appends, the customer it leaves, the refusals; phone
// normalization and uniqueness, also under concurrent creates; find-or-create by phone.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <thread>

#include <boost/json/parse.hpp>

#include "engine/customers/customer_events.hpp"
#include "engine/customers/customer_service.hpp"
#include "tests/engine/domain_fixture.hpp"

using namespace codd::engine;
using namespace codd::engine::customers;
using namespace codd::test;

namespace {

NewCustomer ama(std::string phone = "+233 (24) 123-4567") {
    NewCustomer c;
    c.first_name = "Ama";
    c.last_name = "Mensah";
    c.email = " Ama@Example.com ";
    c.phone_number = std::move(phone);
    c.address = "12 Ring Road";
    c.state = "Greater Accra";
    c.area = "Osu";
    c.tags = {"vip", " vip ", "", "repeat"};
    return c;
}

class CustomersFixture : public LogFixture {
  public:
    CustomersFixture() { opened(); }
    std::unique_ptr<CustomerService> customers;

  protected:
    void opened() override { customers = std::make_unique<CustomerService>(*log, clock); }
    void closing() override { customers.reset(); }
};

boost::json::object payload(const RecordedEvent& e) {
    return boost::json::parse(e.payload).as_object();
}

}  // namespace

TEST_CASE("customers: normalize_phone keeps digits and a leading +, 8 to 15 digits") {
    CHECK(normalize_phone(" +233 (24) 123-4567 ") == "+233241234567");
    CHECK(normalize_phone("024.123.4567") == "0241234567");
    CHECK(normalize_phone("12345678") == "12345678");
    CHECK(normalize_phone("123456789012345") == "123456789012345");
    CHECK_FALSE(normalize_phone("1234567").has_value());           // 7 digits
    CHECK_FALSE(normalize_phone("1234567890123456").has_value());  // 16 digits
    CHECK_FALSE(normalize_phone("233+241234567").has_value());     // + not leading
    CHECK_FALSE(normalize_phone("024 123 4567 ext 2").has_value());
    CHECK_FALSE(normalize_phone("").has_value());
}

TEST_CASE("customers: create appends CustomerCreated and PhoneReserved atomically, ids from 1001") {
    CustomersFixture f;
    const Customer c = accepted(f.customers->create(ama(), ctx()));
    CHECK(c.id == 1001);
    CHECK(c.phone_number == "+233241234567");
    CHECK(c.email == "ama@example.com");
    CHECK(c.tags == std::vector<std::string>{"vip", "repeat"});
    CHECK(c.is_active);
    CHECK(c.version == 0);
    const auto created = f.stream("customer-1001");
    REQUIRE(created.size() == 1);
    CHECK(created[0].type == "CustomerCreated");
    CHECK(payload(created[0]).at("area").as_string() == "Osu");
    const auto phone = f.stream("customer-phone-+233241234567");
    REQUIRE(phone.size() == 1);
    CHECK(phone[0].type == "PhoneReserved");
    CHECK(phone[0].position.value() == created[0].position.value() + 1);
    CHECK(f.customers->find_by_phone("+233-24-123-4567")->id == 1001);
    CHECK_FALSE(f.customers->find(2002).has_value());
}

TEST_CASE("customers: a phone in use is refused whatever its formatting, nothing appended, no id used") {
    CustomersFixture f;
    accepted(f.customers->create(ama("+233241234567"), ctx()));
    const auto head = f.log->head();
    const Rejection r = refused(f.customers->create(ama(" +233 24 123 4567"), ctx()));
    CHECK(r.kind == Rejection::Kind::conflict);
    CHECK(r.field == "phoneNumber");
    CHECK(f.log->head() == head);
    CHECK(accepted(f.customers->create(ama("0201112222"), ctx())).id == 1002);
}

TEST_CASE("customers: create validates every field with the REST API's field names") {
    CustomersFixture f;
    struct Case {
        const char* name;
        std::function<void(NewCustomer&)> spoil;
        const char* field;
    };
    const Case cases[] = {
        {"no first name", [](NewCustomer& c) { c.first_name = " "; }, "firstName"},
        {"an invisible first name", [](NewCustomer& c) { c.first_name = "\u200d\u2066"; }, "firstName"},
        {"an address of no-break spaces", [](NewCustomer& c) { c.address = "\u00a0\u00a0"; }, "address"},
        {"long last name", [](NewCustomer& c) { c.last_name = std::string(101, 'a'); }, "lastName"},
        {"bad email", [](NewCustomer& c) { c.email = "ama@"; }, "email"},
        {"no phone", [](NewCustomer& c) { c.phone_number = ""; }, "phoneNumber"},
        {"letters in phone", [](NewCustomer& c) { c.phone_number = "024-CALL-NOW"; }, "phoneNumber"},
        {"short phone", [](NewCustomer& c) { c.phone_number = "12 34 56"; }, "phoneNumber"},
        {"bad alternate phone", [](NewCustomer& c) { c.alternate_phone = "abc"; }, "alternatePhone"},
        {"no address", [](NewCustomer& c) { c.address = ""; }, "address"},
        {"no state", [](NewCustomer& c) { c.state = ""; }, "state"},
        {"no area", [](NewCustomer& c) { c.area = "\t"; }, "area"},
        {"long landmark", [](NewCustomer& c) { c.landmark = std::string(201, 'x'); }, "landmark"},
        {"long notes", [](NewCustomer& c) { c.notes = std::string(5000, 'x'); }, "notes"},
        {"NUL in notes", [](NewCustomer& c) { c.notes = std::string("call\0first", 10); }, "notes"},
        {"long tag", [](NewCustomer& c) { c.tags = {std::string(51, 't')}; }, "tags"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        NewCustomer n = ama();
        c.spoil(n);
        const Rejection r = refused(f.customers->create(n, ctx()));
        CHECK(r.kind == Rejection::Kind::invalid);
        CHECK(r.field == c.field);
    }
    CHECK(f.log->head().value() == 0);
}

TEST_CASE("customers: notes written under older rules and sent back unchanged do not refuse an edit") {
    CustomersFixture f;
    const Customer c = accepted(f.customers->create(ama("0241234567"), ctx()));
    CustomerPatch old_rules;
    old_rules.notes = std::string("gate\fcode");
    f.log->append(request({to_stream(customers::events::customer_stream(c.id), ExpectedVersion::any(),
                                     {customers::events::customer_updated(c.id, old_rules)})}));
    CustomerPatch form = old_rules;
    form.area = "Labone";
    CHECK(accepted(f.customers->update(c.id, form, ctx())).area == "Labone");
    CHECK(accepted(f.customers->decide_update(c.id, form)).empty());  // nothing left to change
    form.notes = std::string("new\fnote");
    CHECK(refused(f.customers->update(c.id, form, ctx())).field == "notes");
}

TEST_CASE("customers: update records only changed fields and moves the phone reservation") {
    CustomersFixture f;
    accepted(f.customers->create(ama("0241234567"), ctx()));
    accepted(f.customers->create(ama("0209999999"), ctx()));
    CustomerPatch p;
    p.area = "Labone";
    p.first_name = "Ama";  // unchanged
    p.phone_number = "024 555 6666";
    const Customer c = accepted(f.customers->update(1001, p, ctx()));
    CHECK(c.area == "Labone");
    CHECK(c.phone_number == "0245556666");
    const auto changes = payload(f.stream("customer-1001").back()).at("changes").as_object();
    CHECK(changes.size() == 2);
    CHECK(f.stream("customer-phone-0241234567").back().type == "PhoneReleased");
    CHECK(f.customers->find_by_phone("0245556666")->id == 1001);
    CHECK_FALSE(f.customers->find_by_phone("0241234567").has_value());
    // The released phone is free again; another customer's phone is not.
    CustomerPatch taken;
    taken.phone_number = "020-999-9999";
    CHECK(refused(f.customers->update(1001, taken, ctx())).field == "phoneNumber");
    CHECK(accepted(f.customers->create(ama("0241234567"), ctx())).id == 1003);
    // Unchanged: nothing appended. Clearing an optional field is a change.
    const auto head = f.log->head();
    CHECK(accepted(f.customers->update(1001, p, ctx())).version == c.version);
    CHECK(f.log->head() == head);
    CustomerPatch clear;
    clear.email = "";
    CHECK(accepted(f.customers->update(1001, clear, ctx())).email.empty());
    CustomerPatch bad;
    bad.email = "not-an-email";
    CHECK(refused(f.customers->update(1001, bad, ctx())).field == "email");
    CHECK(refused(f.customers->update(4040, p, ctx())).kind == Rejection::Kind::not_found);
}

TEST_CASE("customers: deactivate once, reactivate by update, tags are replaced, normalized") {
    CustomersFixture f;
    accepted(f.customers->create(ama(), ctx()));
    CHECK_FALSE(accepted(f.customers->deactivate(1001, ctx())).is_active);
    CHECK(f.stream("customer-1001").back().type == "CustomerDeactivated");
    CHECK(refused(f.customers->deactivate(1001, ctx())).kind == Rejection::Kind::conflict);
    CHECK(refused(f.customers->deactivate(9, ctx())).kind == Rejection::Kind::not_found);
    CustomerPatch on;
    on.is_active = true;
    CHECK(accepted(f.customers->update(1001, on, ctx())).is_active);

    const Customer tagged = accepted(f.customers->set_tags(1001, {" wholesale", "vip", "wholesale"}, ctx()));
    CHECK(tagged.tags == std::vector<std::string>{"wholesale", "vip"});
    CHECK(f.stream("customer-1001").back().type == "CustomerTagsChanged");
    const auto head = f.log->head();
    accepted(f.customers->set_tags(1001, {"wholesale", "vip"}, ctx()));
    CHECK(f.log->head() == head);
    CHECK(accepted(f.customers->set_tags(1001, {}, ctx())).tags.empty());
    std::vector<std::string> many;
    for (int i = 0; i < 51; ++i) many.push_back("tag-" + std::to_string(i));
    CHECK(refused(f.customers->set_tags(1001, many, ctx())).field == "tags");
    CHECK(refused(f.customers->set_tags(77, {"a"}, ctx())).kind == Rejection::Kind::not_found);
}

TEST_CASE("customers: find_or_create returns the holder of the phone, else creates") {
    CustomersFixture f;
    const FoundOrCreated first = accepted(f.customers->find_or_create(ama("024 123 4567"), ctx()));
    CHECK(first.created);
    CHECK(first.customer.id == 1001);
    NewCustomer other = ama("0241234567");
    other.first_name = "Someone";
    const auto head = f.log->head();
    const FoundOrCreated again = accepted(f.customers->find_or_create(other, ctx()));
    CHECK_FALSE(again.created);
    CHECK(again.customer.id == 1001);
    CHECK(again.customer.first_name == "Ama");  // found, not changed
    CHECK(f.log->head() == head);
    // A retried command id answers as the original did.
    const FoundOrCreated retried = accepted(f.customers->find_or_create(ama("0557778888"), ctx("foc-1")));
    CHECK(retried.created);
    const FoundOrCreated retried_again = accepted(f.customers->find_or_create(ama("0557778888"), ctx("foc-1")));
    CHECK(retried_again.created);
    CHECK(retried_again.customer.id == retried.customer.id);
    CHECK_FALSE(accepted(f.customers->find_or_create(ama("0557778888"), ctx("foc-2"))).created);
    other.phone_number = "bad";
    CHECK(refused(f.customers->find_or_create(other, ctx())).field == "phoneNumber");
}

TEST_CASE("customers: concurrent creates and find_or_creates of one phone: exactly one customer") {
    CustomersFixture f;
    constexpr int kThreads = 8;
    std::atomic<int> created{0}, create_ok{0}, taken{0};
    std::vector<CustomerId> found(kThreads, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            const std::string phone = i % 2 == 0 ? "+233 24 000 1111" : "+233-24-000-1111";
            if (i < kThreads / 2) {
                const auto r = f.customers->create(ama(phone), ctx());
                if (std::holds_alternative<Customer>(r)) {
                    ++created;
                    ++create_ok;
                } else if (std::get<Rejection>(r).field == "phoneNumber")
                    ++taken;
            } else {
                const auto r = f.customers->find_or_create(ama(phone), ctx());
                if (const auto* foc = std::get_if<FoundOrCreated>(&r)) {
                    found[i] = foc->customer.id;
                    if (foc->created) ++created;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(created == 1);
    CHECK(create_ok + taken == kThreads / 2);  // every plain create either won or was told the phone is taken
    CHECK(f.stream("customer-phone-+233240001111").size() == 1);
    CHECK(f.log->sequence_next("customer") == 1002);
    for (int i = kThreads / 2; i < kThreads; ++i) CHECK(found[i] == 1001);
}

TEST_CASE("customers: idempotent create by command id, the state after a reopen is the state before") {
    CustomersFixture f;
    const Customer c = accepted(f.customers->create(ama(), ctx("create-ama")));
    CHECK(accepted(f.customers->create(ama(), ctx("create-ama"))).id == c.id);
    CustomerPatch p;
    p.landmark = "Near the mall";
    p.alternate_phone = "020 111 2222";
    accepted(f.customers->update(c.id, p, ctx()));
    accepted(f.customers->set_tags(c.id, {"vip"}, ctx()));
    const Customer before = *f.customers->find(c.id);
    CHECK(before.alternate_phone == "0201112222");
    f.reopen();
    CHECK(*f.customers->find(c.id) == before);
    CHECK(accepted(f.customers->create(ama(), ctx("create-ama"))).id == c.id);
    CHECK(f.stream("customer-" + std::to_string(c.id)).size() == 3);
}

// The HTTP API tests' fixture: an in-process veild (daemon/service.h) with the real media
// processor on a scratch PostgreSQL database, driven over loopback with httplib::Client.
//
// The nursery: staff member "Sam Staff" is key person of Kit; Rose is another child whose
// parents said no to photos in other children's journals; both are enrolled from photos other
// than the ones uploaded. Accounts: manager "maria", senior "sol", staff "sam" (Sam Staff).
// The API's clock is the system clock plus `advance()`d time, so sessions can expire.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>

#include <nlohmann/json.hpp>

#include "accounts/account_admin.h"
#include "accounts/password.h"
#include "daemon/service.h"
#include "jobs/item_processor.h"
#include "tests/daemon/daemon_fixture.h"

namespace veil::test {

inline constexpr const char* kPassword = "Correct-horse-42";

// A logged-in client: the cookie and the CSRF token the login answered.
struct Login {
  std::string cookie;  // "veil_session=..."
  std::string csrf;
  std::string set_cookie;  // the Set-Cookie header as answered
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
    chmod(tmp_.path().c_str(), 0755);
    {
      pqxx::connection c(db_.url());
      apply_migrations(c);
    }
    nursery_ = make_nursery(db_.url(), tmp_.path());
    veil("children add Kit --key-person 'Sam Staff'");
    veil("children add Rose");
    veil("enrol Kit " + testdata("faces/Kit_Harington/john1.jpeg"));
    veil("enrol Kit " + testdata("faces/Kit_Harington/johnsnow_test1.jpg"));
    veil("enrol Rose " + testdata("faces/Rose_Leslie/img1.jpg"));
    veil("consent Rose --photos-in-others no --recorded-by 'Sam Staff' --evidence 'form 3'");
    kit_ = query_int(db_.url(), "SELECT id FROM children WHERE display_name = 'Kit'");
    rose_ = query_int(db_.url(), "SELECT id FROM children WHERE display_name = 'Rose'");
    pqxx::connection c(db_.url());
    pqxx::work tx(c);
    const auto rule = password_rule(AccountsConfig{});
    add_account(tx, "maria", Role::kManager, 0, kPassword, rule, "test", std::chrono::system_clock::now());
    add_account(tx, "sol", Role::kSenior, 0, kPassword, rule, "test", std::chrono::system_clock::now());
    add_account(tx, "sam", Role::kStaff, nursery_.staff, kPassword, rule, "test", std::chrono::system_clock::now());
    tx.commit();
  }

  void TearDown() override {
    if (service_) service_->stop();
  }

  test::CommandResult veil(const std::string& args) {
    auto r = run_command(binary_dir() + "/cli/veil --database-url '" + db_.url() + "' " + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out << r.err;
    return r;
  }

  Config config() {
    Config c;
    c.daemon.workers = 1;
    c.models.dir = model_dir();
    c.ingest.endpoint = "ipc://" + tmp_.path() + "/ingest.ipc";
    c.events.endpoint = "ipc://" + tmp_.path() + "/events.ipc";
    c.http.port = 0;
    c.http.web_dir = std::string(VEIL_SOURCE_DIR) + "/web";
    c.queue.poll_interval_s = 1;
    c.queue.retry_backoff_s = 0;
    c.accounts.lockout_failures = 3;
    return c;
  }

  void start(Config c) {
    ServiceOptions o{c, db_.url(), tmp_.path() + "/data", media_processor_factory(c), {}, std::nullopt,
                     [this] { return std::chrono::system_clock::now() + std::chrono::seconds(offset_s_.load()); }};
    service_ = std::make_unique<VeildService>(std::move(o));
    service_->start();
    http_ = std::make_unique<httplib::Client>("127.0.0.1", service_->http_port());
    http_->set_connection_timeout(5);
    http_->set_read_timeout(30);
  }
  void start() { start(config()); }

  void advance(std::chrono::seconds s) { offset_s_ += s.count(); }

  // Submits `photo` as a parent's upload to `journal_child`'s journal and waits (bounded)
  // until it is held; returns its media id.
  std::string submit_held(const std::string& photo, std::int64_t journal_child, const std::string& submission) {
    IngestClient client(client_for(service_->ingest_endpoint(), tmp_.path() + "/data", nursery_));
    SubmitRequest r = photo_request(nursery_, submission, std::filesystem::path(photo).filename());
    r.journal_child = journal_child;
    r.uploader = nursery_.parent;
    r.role = "parent";
    const SubmitReply reply = client.submit_bytes(r, read_file(photo));
    EXPECT_TRUE(reply.acked) << reply.code << ": " << reply.reason;
    EXPECT_TRUE(wait_state(reply.media_id, "held", 60)) << "state " << media_state(reply.media_id);
    return reply.media_id;
  }

  std::string media_state(const std::string& id) {
    return query_text(db_.url(), "SELECT state FROM media WHERE id = '" + id + "'");
  }
  bool wait_state(const std::string& id, const std::string& state, double seconds) {
    return wait_until([&] { return media_state(id) == state; }, seconds);
  }

  Login login(const std::string& name, const std::string& password = kPassword) {
    auto res = http_->Post("/api/session", nlohmann::json{{"name", name}, {"password", password}}.dump(),
                           "application/json");
    EXPECT_TRUE(res) << "no answer";
    if (!res || res->status != 200) {
      ADD_FAILURE() << "login " << name << ": " << (res ? std::to_string(res->status) + " " + res->body : "");
      return {};
    }
    Login l;
    l.set_cookie = res->get_header_value("Set-Cookie");
    l.cookie = l.set_cookie.substr(0, l.set_cookie.find(';'));
    l.csrf = nlohmann::json::parse(res->body)["csrf"];
    return l;
  }

  httplib::Result get(const Login& l, const std::string& path) {
    return http_->Get(path.c_str(), httplib::Headers{{"Cookie", l.cookie}});
  }

  // POST with the session's cookie and, unless `csrf` says otherwise, its CSRF token.
  httplib::Result post(const Login& l, const std::string& path, const nlohmann::json& body = nlohmann::json::object(),
                       const std::string* csrf = nullptr) {
    httplib::Headers h{{"Cookie", l.cookie}};
    const std::string token = csrf ? *csrf : l.csrf;
    if (!token.empty()) h.emplace("X-CSRF-Token", token);
    return http_->Post(path.c_str(), h, body.dump(), "application/json");
  }

  static nlohmann::json json_of(const httplib::Result& r) { return nlohmann::json::parse(r->body); }

  ScratchDatabase db_;
  TempDir tmp_;
  Nursery nursery_;
  std::int64_t kit_ = 0, rose_ = 0;
  std::atomic<std::int64_t> offset_s_{0};
  std::unique_ptr<VeildService> service_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace veil::test

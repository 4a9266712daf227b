// Issue 18 end to end through veild and the veil binary, on real PostgreSQL with the real
// models: a child kept in 50 other journals withdraws consent. When `veil consent` returns
// every one of the 50 items is withdrawn and out of the front end's view; veild announces each
// (media.withdrawn), renders them again with the child blurred (checked on the new renditions
// with the detector and the embedder), survives a SIGKILL in the middle and does no item twice;
// the items without the child keep their renditions byte for byte. Then `veil reprocess`
// follows an operator's batch to its summary.
#include <csignal>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <zmq_addon.hpp>

#include "policy/face_matcher.h"
#include "storage/children_repository.h"
#include "tests/daemon/daemon_fixture.h"
#include "tests/test_models.h"

namespace veil {
namespace {

using json = nlohmann::json;
using test::query_int;
using test::query_text;

constexpr int kJournals = 50;

// A CURVE subscriber to veild's events, topic "media.withdrawn".
class Withdrawals {
 public:
  Withdrawals(const std::string& endpoint, const IngestClientOptions& o) : sub_(ctx_, zmq::socket_type::sub) {
    sub_.set(zmq::sockopt::linger, 0);
    sub_.set(zmq::sockopt::curve_serverkey, o.server_public_key);
    sub_.set(zmq::sockopt::curve_publickey, o.public_key);
    sub_.set(zmq::sockopt::curve_secretkey, o.secret_key);
    sub_.set(zmq::sockopt::subscribe, "media.withdrawn");
    sub_.connect(endpoint);
  }
  // Media ids announced within `seconds`, until `n` have arrived.
  std::set<std::string> collect(std::size_t n, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (ids_.size() < n && std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{static_cast<void*>(sub_), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(200));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(sub_, std::back_inserter(frames)) || frames.size() != 2) continue;
      ids_.insert(json::parse(frames[1].to_string_view())["media_id"].get<std::string>());
    }
    return ids_;
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t sub_;
  std::set<std::string> ids_;
};

class WithdrawalE2E : public ::testing::Test {
 protected:
  void SetUp() override { chmod(tmp_.path().c_str(), 0755); }
  test::TempDir tmp_;
};

TEST_F(WithdrawalE2E, AChildIn50JournalsWithdrawsConsentAndEveryItemIsRenderedAgainBlurred) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  const std::string url = db.url(), data = tmp_.path() + "/data";
  {
    pqxx::connection c(url);
    apply_migrations(c);
  }
  const test::Nursery nursery = test::make_nursery(url, tmp_.path());
  const std::string sockets = tmp_.path() + "/sock";
  std::filesystem::create_directories(sockets);
  chmod(sockets.c_str(), 0777);
  const std::string conf = test::write_veild_config(tmp_.path() + "/veild.toml", url, sockets,
                                                    "[queue]\nlease_s = 2\nretry_backoff_s = 0\npoll_interval_s = 1\n"
                                                    "batch_per_second = 20\n");
  const std::string veil = test::veil_path() + " --config " + conf + " --data-dir " + data;
  auto run = [&](const std::string& args) {
    const auto r = test::run_command(veil + " " + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out << r.err;
    return r;
  };
  run("children add Kit");
  run("enrol Kit " + test::testdata("faces/Kit_Harington/john1.jpeg") + " " +
      test::testdata("faces/Kit_Harington/johnsnow_test1.jpg"));
  run("consent Kit --photos-in-others yes --recorded-by " + std::to_string(nursery.staff) + " --evidence 'form 1'");
  const auto kit = query_int(url, "SELECT id FROM children WHERE display_name = 'Kit'");
  std::vector<std::int64_t> journals;
  {
    pqxx::connection c(url);
    pqxx::work tx(c);
    for (int i = 0; i < kJournals; ++i)
      journals.push_back(tx.exec1("INSERT INTO children (display_name) VALUES ('Child " + std::to_string(i) +
                                  "') RETURNING id")[0]
                             .as<std::int64_t>());
    tx.commit();
  }

  test::VeildProcess d;
  d.start(conf, data, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready()) << d.log_text();
  const IngestClientOptions options = test::client_for(d.ingest, data, nursery);
  IngestClient client(options);
  const std::string kit_photo = test::read_file(test::testdata("faces/Kit_Harington/john2.jpeg"));
  std::vector<std::string> with_kit, without_kit;
  for (int i = 0; i < kJournals; ++i) {
    SubmitRequest r = test::photo_request(nursery, "kit-" + std::to_string(i), "kit.jpg");
    r.journal_child = journals[i];
    const SubmitReply reply = client.submit_bytes(r, kit_photo);
    ASSERT_TRUE(reply.acked) << reply.reason;
    with_kit.push_back(reply.media_id);
  }
  for (const char* f : {"robustness/orientation/hopper.jpg", "robustness/formats/camera.png"}) {
    const SubmitReply reply =
        client.submit_bytes(test::photo_request(nursery, f, "other.jpg"), test::read_file(test::testdata(f)));
    ASSERT_TRUE(reply.acked) << reply.reason;
    without_kit.push_back(reply.media_id);
  }
  const int total = kJournals + 2;
  ASSERT_TRUE(test::wait_until(
      [&] { return query_int(url, "SELECT count(*) FROM media WHERE state IN ('published', 'held', 'rejected', 'failed')") == total; },
      240))
      << d.log_text();
  // Kit is kept in every other journal: the situation the withdrawal must undo.
  ASSERT_EQ(query_int(url, "SELECT count(DISTINCT media_id) FROM faces WHERE decision = 'keep' AND matched_child_id = " +
                               std::to_string(kit)),
            kJournals);
  const std::string kit_items = "('" + [&] {
    std::string s;
    for (const auto& id : with_kit) s += (s.empty() ? "" : "','") + id;
    return s;
  }() + "')";
  ASSERT_EQ(query_int(url, "SELECT count(*) FROM media WHERE state = 'published' AND id IN " + kit_items), kJournals);
  const auto shown = query_int(url, "SELECT count(*) FROM media WHERE state = 'published'");
  ASSERT_EQ(query_int(url, "SELECT count(DISTINCT media_id) FROM journal_renditions"), shown);
  std::map<std::string, std::string> untouched;  // path -> sha256 of the items without Kit
  for (const auto& id : without_kit) {
    pqxx::connection c(url);
    pqxx::read_transaction tx(c);
    for (const auto& r : tx.exec_params("SELECT path, sha256 FROM renditions WHERE media_id = $1", id))
      untouched[r[0].as<std::string>()] = r[1].as<std::string>();
  }
  ASSERT_FALSE(untouched.empty());

  Withdrawals events(d.events, options);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the subscription reaches the publisher
  // veild paused: what `veil consent` has done by the time it returns is what the database shows.
  kill(d.pid, SIGSTOP);
  const auto consent = run("consent Kit --photos-in-others no --recorded-by " + std::to_string(nursery.staff) +
                           " --evidence 'email from Kit parent'");
  const json answer = json::parse(consent.out);
  const auto event = answer["event"].get<std::int64_t>();
  EXPECT_EQ(answer["withdrawn"], kJournals);
  EXPECT_EQ(query_int(url, "SELECT count(*) FROM media WHERE state = 'withdrawn'"), kJournals);
  EXPECT_EQ(query_int(url, "SELECT count(DISTINCT media_id) FROM journal_renditions"), shown - kJournals);
  EXPECT_EQ(query_int(url, "SELECT count(*) FROM journal_renditions r JOIN faces f ON f.media_id = r.media_id "
                           "WHERE f.matched_child_id = " + std::to_string(kit) + " AND f.decision = 'keep'"),
            0);
  EXPECT_EQ(query_int(url, "SELECT count(*) FROM jobs WHERE kind = 'reprocess' AND state = 'queued' AND priority = " +
                               std::to_string(kPriorityWithdrawal)),
            kJournals);
  kill(d.pid, SIGCONT);

  // Every withdrawal is announced; then a SIGKILL in the middle of the re-rendering.
  EXPECT_EQ(events.collect(kJournals, 30), std::set<std::string>(with_kit.begin(), with_kit.end()));
  const std::string done_sql = "SELECT count(*) FROM jobs WHERE kind = 'reprocess' AND state = 'done'";
  ASSERT_TRUE(test::wait_until([&] { return query_int(url, done_sql) >= 3; }, 120)) << d.log_text();
  d.kill_now();
  EXPECT_LT(query_int(url, done_sql), kJournals) << "every item was done before the kill";
  d.start(conf, data, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready(2)) << d.log_text();
  ASSERT_TRUE(test::wait_until([&] { return query_int(url, done_sql) == kJournals; }, 240)) << d.log_text();
  EXPECT_EQ(query_int(url, "SELECT count(*) FROM media WHERE state = 'published' AND id IN " + kit_items), kJournals);
  EXPECT_EQ(query_int(url, "SELECT count(DISTINCT media_id) FROM journal_renditions"), shown);

  // The new renditions: Kit blurred (no face in them is Kit), a new version, old files gone,
  // each item rendered again exactly once, citing the consent event.
  const auto templates = [&] {
    pqxx::connection c(url);
    pqxx::read_transaction tx(c);
    return child_templates(tx, kit);
  }();
  ASSERT_FALSE(templates.empty());
  for (const auto& id : with_kit) {
    SCOPED_TRACE(id);
    EXPECT_EQ(query_int(url, "SELECT count(*) FROM audit WHERE action = 'media.processed' AND detail->>'job' = "
                             "'reprocess' AND media_id = '" + id + "' AND detail->'causes' @> '[{\"kind\": \"consent\", "
                             "\"id\": " + std::to_string(event) + "}]'"),
              1);
    EXPECT_EQ(query_int(url, "SELECT count(*) FROM faces WHERE decision = 'keep' AND media_id = '" + id + "'"), 0);
    EXPECT_EQ(query_int(url, "SELECT min(version) FROM renditions WHERE media_id = '" + id + "'"), 2);
    EXPECT_FALSE(std::filesystem::exists(data + "/renditions/" + id + "/v1"));
    const std::string display =
        query_text(url, "SELECT path FROM renditions WHERE kind = 'display' AND media_id = '" + id + "'");
    const cv::Mat image = cv::imread(display, cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << display;
    for (const auto& face : test::detector().detect(image)) {
      const Embedding e = test::embedder().embed(image, face);
      for (const auto& t : templates) EXPECT_LT(cosine_similarity(e, t), 0.55f) << "Kit's face is still shown";
    }
  }
  for (const auto& [path, sha] : untouched) {
    EXPECT_EQ(sha256_hex_of(test::read_file(path)), sha) << path;
    EXPECT_EQ(query_text(url, "SELECT sha256 FROM renditions WHERE path = '" + path + "'"), sha);
  }

  // An operator's batch over everything: followed to its summary; nothing changes, so every
  // rendition stays.
  const auto before = query_text(url, "SELECT string_agg(sha256, ',' ORDER BY path) FROM renditions");
  const auto batch = run("reprocess --all");
  std::vector<json> lines;
  std::istringstream out(batch.out);
  for (std::string line; std::getline(out, line);) lines.push_back(json::parse(line));
  ASSERT_GE(lines.size(), 2u) << batch.out;
  EXPECT_EQ(lines.front()["items"], total);
  EXPECT_EQ(lines.back()["summary"], true);
  EXPECT_EQ(lines.back()["done"], total);
  EXPECT_EQ(lines.back()["failed"], 0);
  EXPECT_EQ(query_text(url, "SELECT string_agg(sha256, ',' ORDER BY path) FROM renditions"), before);
  const auto status = json::parse(run("reprocess --status").out);
  EXPECT_EQ(status["done"], total);
  EXPECT_EQ(d.terminate(), 0) << d.log_text();
}

}  // namespace
}  // namespace veil

// veild end to end with the real pipeline (MediaProcessor), real PostgreSQL and real
// sockets: the veil CLI (keygen, devices, submit --wait); SIGKILL in the middle of jobs then
// a restart (every acknowledged upload processed exactly once); two daemons on one database;
// corrupt files rejected while the daemon keeps serving; PostgreSQL restarted while uploads
// flow (retryable NACKs, nothing acknowledged lost), and killed with SIGKILL during a batch
// (nothing lost, nothing done twice).
#include <csignal>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "storage/embedded_postgres.h"
#include "tests/daemon/daemon_fixture.h"

namespace veil {
namespace {

using json = nlohmann::json;
using test::query_int;
using test::query_text;

std::vector<std::string> photos() {
  return {test::testdata("robustness/orientation/hopper.jpg"), test::testdata("robustness/formats/astronaut.png"),
          test::testdata("robustness/formats/pil_sample_rgb.jpg"), test::testdata("robustness/formats/camera.png")};
}

class VeildE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    chmod(tmp_.path().c_str(), 0755);  // veild runs as the service user when the tests run as root
    data_ = tmp_.path() + "/data";
  }

  // Prepares the database at `url`: migrations, nursery, device.
  void prepare(const std::string& url) {
    url_ = url;
    pqxx::connection c(url);
    apply_migrations(c);
    nursery_ = test::make_nursery(url, tmp_.path());
  }

  std::string config(const std::string& name, const std::string& extra = "") {
    const std::string sockets = tmp_.path() + "/sock-" + name;
    std::filesystem::create_directories(sockets);
    chmod(sockets.c_str(), 0777);
    return test::write_veild_config(tmp_.path() + "/" + name + ".toml", url_, sockets, extra);
  }

  IngestClientOptions client_options(const test::VeildProcess& d) { return test::client_for(d.ingest, data_, nursery_); }

  // Submits `n` photos (cycling through photos()) and returns the acknowledged media ids.
  std::vector<std::string> submit_batch(IngestClient& c, int n, const std::string& prefix) {
    std::vector<std::string> ids;
    const auto files = photos();
    for (int i = 0; i < n; ++i) {
      const std::string file = files[i % files.size()];
      const SubmitReply r =
          c.submit_bytes(test::photo_request(nursery_, prefix + std::to_string(i), std::filesystem::path(file).filename()),
                         test::read_file(file));
      EXPECT_TRUE(r.acked) << r.code << ": " << r.reason;
      if (r.acked) ids.push_back(r.media_id);
    }
    return ids;
  }

  // A private cluster in the test's directory: stopping or killing the shared test server
  // would disturb other tests.
  EmbeddedPostgresOptions private_cluster() {
    EmbeddedPostgresOptions options;
    options.cluster_dir = tmp_.path() + "/pg";
    if (const char* bin = std::getenv("VEIL_TEST_PG_BIN"); bin && *bin) options.bin_dir = bin;
    return options;
  }

  std::int64_t final_count() {
    return query_int(url_, "SELECT count(*) FROM media WHERE state IN ('published', 'held', 'rejected', 'failed')");
  }

  // Every item processed exactly once: one media.processed audit entry, faces as many as
  // that entry says, one rendition row per kind, and on disk exactly the rendition files
  // the rows name.
  void expect_processed_exactly_once(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      SCOPED_TRACE(id);
      const std::string where = " WHERE media_id = '" + id + "'";
      EXPECT_EQ(query_int(url_, "SELECT count(*) FROM audit WHERE action = 'media.processed' AND media_id = '" + id + "'"),
                1);
      EXPECT_EQ(query_int(url_, "SELECT count(*) FROM faces" + where),
                query_int(url_, "SELECT (detail->>'faces')::int FROM audit WHERE action = 'media.processed' AND "
                                "media_id = '" + id + "'"));
      EXPECT_EQ(query_int(url_, "SELECT count(*) - count(DISTINCT kind) FROM renditions" + where), 0);
      EXPECT_EQ(query_text(url_, "SELECT state FROM jobs" + where), "done");
      std::set<std::string> rows, files;
      pqxx::connection c(url_);
      pqxx::work tx(c);
      for (const auto& r : tx.exec("SELECT path FROM renditions" + where)) rows.insert(r[0].as<std::string>());
      const std::string dir = data_ + "/renditions/" + id;
      if (std::filesystem::exists(dir))
        for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
          if (e.is_regular_file()) files.insert(e.path().string());
      EXPECT_EQ(files, rows);
    }
  }

  test::TempDir tmp_;
  std::string data_, url_;
  test::Nursery nursery_;
};

TEST_F(VeildE2E, TheCliRegistersADeviceSubmitsAndWaitsForTheResult) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  prepare(db.url());
  test::VeildProcess d;
  const std::string conf = config("cli");
  d.start(conf, data_, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready()) << d.log_text();
  const std::string veil = test::veil_path() + " --config " + conf + " --data-dir " + data_;
  const std::string key = tmp_.path() + "/cli.key";
  auto r = test::run_command(veil + " keygen --out " + key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string public_key = r.out.substr(0, 40);
  EXPECT_EQ(read_key_file(key).public_key, public_key);
  struct stat st {};
  stat(key.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Not registered yet: refused, and said so.
  const std::string submit = veil + " submit --quiet --journal " + std::to_string(nursery_.child) + " --uploader " +
                             std::to_string(nursery_.staff) + " --key " + key + " ";
  r = test::run_command(submit + test::testdata("robustness/orientation/hopper.jpg"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"unauthorized\""), std::string::npos) << r.out << r.err;
  ASSERT_EQ(r.exit_code, 1) << r.err;
  r = test::run_command(veil + " devices register --key-file " + key + " --name 'Room 2 tablet'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto device = json::parse(r.out)["device"].get<std::int64_t>();
  r = test::run_command(veil + " devices list --json");
  EXPECT_NE(r.out.find("\"name\":\"Room 2 tablet\""), std::string::npos) << r.out;
  EXPECT_EQ(test::run_command(veil + " devices register NOT-A-KEY").exit_code, 2);

  r = test::run_command(submit + "--wait --wait-timeout 120 " + test::testdata("robustness/orientation/hopper.jpg") + " " +
                        test::testdata("robustness/corrupt/broken.png"));
  EXPECT_EQ(r.exit_code, 1) << "a rejected file makes the command fail\n" << r.out << r.err;
  std::vector<json> lines;
  std::istringstream out(r.out);
  for (std::string line; std::getline(out, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_TRUE(lines[0]["state"] == "published" || lines[0]["state"] == "held") << lines[0];
  EXPECT_EQ(lines[1]["state"], "rejected") << lines[1];
  EXPECT_FALSE(lines[1]["reason"].get<std::string>().empty());
  // Sending the same file again: the same media, nothing new.
  r = test::run_command(submit + test::testdata("robustness/orientation/hopper.jpg"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["media_id"], lines[0]["media_id"]);
  EXPECT_EQ(json::parse(r.out)["duplicate"], true);
  // Revoked, and SIGHUP makes it take effect at once.
  ASSERT_EQ(test::run_command(veil + " devices revoke " + std::to_string(device)).exit_code, 0);
  kill(d.pid, SIGHUP);
  ASSERT_TRUE(test::wait_until([&] { return d.log_text().find("SIGHUP: 1 active device") != std::string::npos; }, 10))
      << d.log_text();
  r = test::run_command(submit + test::testdata("robustness/formats/camera.png"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"unauthorized\""), std::string::npos) << r.out;
  EXPECT_EQ(d.terminate(), 0) << d.log_text();
}

// A submitted video goes through the video pipeline: an MP4 rendition, a poster, one face
// row per track, never published with a face the policy blurs (every track here is unknown).
TEST_F(VeildE2E, ASubmittedVideoIsProcessedIntoAnMp4WithAPoster) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  prepare(db.url());
  test::VeildProcess d;
  const std::string conf = config("video");
  d.start(conf, data_, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready()) << d.log_text();
  const std::string veil = test::veil_path() + " --config " + conf + " --data-dir " + data_;
  const std::string key = tmp_.path() + "/video.key";
  ASSERT_EQ(test::run_command(veil + " keygen --out " + key).exit_code, 0);
  ASSERT_EQ(test::run_command(veil + " devices register --key-file " + key + " --name camera").exit_code, 0);
  kill(d.pid, SIGHUP);
  ASSERT_TRUE(test::wait_until([&] { return d.log_text().find("SIGHUP: ") != std::string::npos; }, 10));
  const auto r = test::run_command(veil + " submit --quiet --wait --wait-timeout 120 --journal " + std::to_string(nursery_.child) +
                                   " --uploader " + std::to_string(nursery_.staff) + " --key " + key + " " +
                                   test::testdata("robustness/animated/faceapi_5frames_820x460.mp4"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.log_text();
  const auto line = json::parse(r.out);
  const std::string id = line["media_id"];
  EXPECT_TRUE(line["state"] == "published" || line["state"] == "held") << r.out;
  EXPECT_EQ(query_text(url_, "SELECT kind FROM media WHERE id = '" + id + "'"), "video");
  EXPECT_EQ(query_int(url_, "SELECT count(*) FROM renditions WHERE kind = 'video' AND mime = 'video/mp4' AND media_id = '" +
                                id + "'"),
            1);
  EXPECT_EQ(query_int(url_, "SELECT count(*) FROM renditions WHERE kind = 'poster' AND media_id = '" + id + "'"), 1);
  EXPECT_GE(query_int(url_, "SELECT count(*) FROM faces WHERE media_id = '" + id + "'"), 1);
  EXPECT_EQ(query_int(url_, "SELECT count(*) FROM faces WHERE decision <> 'blur' AND media_id = '" + id + "'"), 0);
  expect_processed_exactly_once({id});
  EXPECT_EQ(d.terminate(), 0) << d.log_text();
}

TEST_F(VeildE2E, SigkillInTheMiddleOfJobsThenRestartProcessesEveryAcknowledgedUploadExactlyOnce) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  prepare(db.url());
  const std::string conf = config("kill", "[queue]\nlease_s = 2\nretry_backoff_s = 0\npoll_interval_s = 1\n");
  test::VeildProcess d;
  d.start(conf, data_, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready()) << d.log_text();
  IngestClient c(client_options(d));
  constexpr int kItems = 16;
  const auto ids = submit_batch(c, kItems, "kill-");
  ASSERT_EQ(ids.size(), std::size_t{kItems});
  // Kill while jobs are running (some done, some not).
  ASSERT_TRUE(test::wait_until([&] { return query_int(url_, "SELECT count(*) FROM jobs WHERE state = 'running'") > 0; },
                               30));
  d.kill_now();
  const auto done_before = query_int(url_, "SELECT count(*) FROM jobs WHERE state = 'done'");
  EXPECT_LT(done_before, kItems) << "the daemon finished everything before it was killed";
  // Restart: the dead daemon's leases expire, the jobs are retried.
  d.start(conf, data_, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready(2)) << d.log_text();
  ASSERT_TRUE(test::wait_until([&] { return final_count() == kItems; }, 120)) << d.log_text();
  EXPECT_EQ(query_int(url_, "SELECT count(*) FROM media"), kItems);
  expect_processed_exactly_once(ids);
  EXPECT_GE(query_int(url_, "SELECT count(*) FROM jobs WHERE attempts = 2"), 1) << "no job was interrupted";
  EXPECT_EQ(d.terminate(), 0);
}

TEST_F(VeildE2E, TwoDaemonsOnOneDatabaseShareTheBatchAndDoNoItemTwice) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  prepare(db.url());
  // Same data directory: one store (originals, keys) and one database, as on a shared filesystem.
  test::VeildProcess a, b;
  a.start(config("a", "[queue]\npoll_interval_s = 1\n"), data_, tmp_.path() + "/a.log");
  ASSERT_TRUE(a.wait_ready()) << a.log_text();
  b.start(config("b", "[queue]\npoll_interval_s = 1\n"), data_, tmp_.path() + "/b.log");
  ASSERT_TRUE(b.wait_ready()) << b.log_text();
  IngestClient ca(client_options(a)), cb(client_options(b));
  constexpr int kItems = 24;
  std::vector<std::string> ids;
  for (int i = 0; i < kItems / 2; ++i) {
    for (auto* c : {&ca, &cb}) {
      const auto more = submit_batch(*c, 1, "two-" + std::to_string(ids.size()) + "-");
      ids.insert(ids.end(), more.begin(), more.end());
    }
  }
  ASSERT_EQ(ids.size(), std::size_t{kItems});
  ASSERT_TRUE(test::wait_until([&] { return final_count() == kItems; }, 120)) << a.log_text() << b.log_text();
  expect_processed_exactly_once(ids);
  EXPECT_EQ(query_int(url_, "SELECT count(*) FROM jobs WHERE attempts = 1"), kItems);
  const auto by_a = query_int(url_, "SELECT count(*) FROM jobs WHERE lease_owner LIKE '%:" + std::to_string(a.pid) + ":%'");
  const auto by_b = query_int(url_, "SELECT count(*) FROM jobs WHERE lease_owner LIKE '%:" + std::to_string(b.pid) + ":%'");
  EXPECT_EQ(by_a + by_b, kItems);
  EXPECT_GT(by_a, 0);
  EXPECT_GT(by_b, 0);
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
}

TEST_F(VeildE2E, CorruptFilesEndRejectedWithAReasonWhileTheDaemonKeepsServing) {
  test::ScratchDatabase db;
  REQUIRE_TEST_DB(db);
  prepare(db.url());
  test::VeildProcess d;
  d.start(config("corrupt"), data_, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready()) << d.log_text();
  IngestClient c(client_options(d));
  std::map<std::string, std::string> corrupt;  // media id -> file
  for (const char* f : {"robustness/corrupt/broken.png", "robustness/corrupt/skimage_truncated.jpg",
                        "robustness/corrupt/truncated_image.png"}) {
    const SubmitReply r = c.submit_bytes(test::photo_request(nursery_, f, std::filesystem::path(f).filename()),
                                         test::read_file(test::testdata(f)));
    ASSERT_TRUE(r.acked) << r.reason;
    corrupt[r.media_id] = f;
  }
  const SubmitReply junk = c.submit_bytes(test::photo_request(nursery_, "junk", "junk.jpg"),
                                          std::string(5000, '\x42'));
  ASSERT_TRUE(junk.acked);
  corrupt[junk.media_id] = "junk";
  const auto good = submit_batch(c, 2, "good-");
  ASSERT_TRUE(test::wait_until([&] { return final_count() == 6; }, 120)) << d.log_text();
  for (const auto& [id, file] : corrupt) {
    EXPECT_EQ(query_text(url_, "SELECT state FROM media WHERE id = '" + id + "'"), "rejected") << file;
    EXPECT_FALSE(query_text(url_, "SELECT reason FROM media WHERE id = '" + id + "'").empty()) << file;
  }
  for (const auto& id : good) EXPECT_NE(query_text(url_, "SELECT state FROM media WHERE id = '" + id + "'"), "rejected");
  EXPECT_TRUE(d.alive());
  EXPECT_EQ(test::http_get(d.http_port, "/readyz").first, 200);
  EXPECT_EQ(submit_batch(c, 1, "after-").size(), 1u);
  EXPECT_EQ(d.terminate(), 0);
}

TEST_F(VeildE2E, PostgresRestartedWhileUploadsFlowGivesRetryableNacksAndLosesNothing) {
  EmbeddedPostgres pg(private_cluster());
  pg.start();
  prepare(pg.url());
  test::VeildProcess d;
  d.start(config("pgrestart", "[queue]\npoll_interval_s = 1\nlease_s = 5\n"), data_, tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready()) << d.log_text();

  std::atomic<bool> producing{true};
  std::mutex m;
  std::map<std::string, std::string> acked;  // submission id -> media id
  std::map<std::string, int> nacks;          // code -> count
  int not_retryable = 0;
  std::thread producer([&] {
    auto o = client_options(d);
    o.timeout_ms = 3000;
    IngestClient c(o);
    const auto files = photos();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    for (int i = 0; i < 40 && std::chrono::steady_clock::now() < deadline; ++i) {
      const std::string sid = "flow-" + std::to_string(i);
      const std::string file = files[i % files.size()];
      // Retry each submission (same id) until acknowledged, as a client should.
      while (std::chrono::steady_clock::now() < deadline) {
        const SubmitReply r = c.submit_bytes(test::photo_request(nursery_, sid, std::filesystem::path(file).filename()),
                                             test::read_file(file));
        std::lock_guard<std::mutex> lock(m);
        if (r.acked) {
          acked[sid] = r.media_id;
          break;
        }
        nacks[r.code]++;
        if (!r.retryable) {
          ++not_retryable;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    producing = false;
  });
  ASSERT_TRUE(test::wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(m);
        return acked.size() >= 5;
      },
      60));
  pg.stop();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // uploads keep coming meanwhile
  pg.start();
  producer.join();
  EXPECT_EQ(not_retryable, 0);
  EXPECT_EQ(acked.size(), 40u);
  EXPECT_GT(nacks["database_unavailable"] + nacks["timeout"], 0) << "the outage was not noticed";
  EXPECT_GT(nacks["database_unavailable"], 0);
  // Nothing acknowledged is lost: every acked submission has its media row, and all reach a final state.
  ASSERT_TRUE(test::wait_until([&] { return final_count() == static_cast<std::int64_t>(acked.size()); }, 180))
      << d.log_text();
  for (const auto& [sid, media] : acked) {
    EXPECT_EQ(query_text(url_, "SELECT id::text FROM media WHERE client_submission_id = '" + sid + "'"), media) << sid;
  }
  std::vector<std::string> ids;
  for (const auto& [sid, media] : acked) ids.push_back(media);
  expect_processed_exactly_once(ids);
  EXPECT_EQ(test::http_get(d.http_port, "/readyz").first, 200);
  EXPECT_EQ(d.terminate(), 0);
}

// PostgreSQL killed with SIGKILL in the middle of a batch (no shutdown, no checkpoint: crash
// recovery at the next start), then started again: every acknowledged upload reaches a final
// state, each processed exactly once, and veild is ready again without being restarted.
TEST_F(VeildE2E, PostgresKilledDuringABatchThenRestartedLosesNothingAndDoesNoItemTwice) {
  EmbeddedPostgres pg(private_cluster());
  pg.start();
  prepare(pg.url());
  test::VeildProcess d;
  d.start(config("pgkill", "[queue]\npoll_interval_s = 1\nlease_s = 5\nretry_backoff_s = 0\n"), data_,
          tmp_.path() + "/veild.log");
  ASSERT_TRUE(d.wait_ready()) << d.log_text();
  IngestClient c(client_options(d));
  constexpr int kItems = 12;
  const auto ids = submit_batch(c, kItems, "pgkill-");
  ASSERT_EQ(ids.size(), std::size_t{kItems});
  ASSERT_TRUE(test::wait_until([&] { return query_int(url_, "SELECT count(*) FROM jobs WHERE state = 'running'") > 0; },
                               30));
  const auto done_before = query_int(url_, "SELECT count(*) FROM jobs WHERE state = 'done'");
  const int postmaster = pg.postmaster_pid();
  ASSERT_GT(postmaster, 0);
  ASSERT_EQ(::kill(postmaster, SIGKILL), 0);
  // The server's own processes notice the postmaster is gone and exit; then it starts again.
  ASSERT_TRUE(test::wait_until([&] { return ::kill(postmaster, 0) != 0; }, 10));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  pg.start();
  ASSERT_TRUE(test::wait_until([&] { return final_count() == kItems; }, 180)) << d.log_text();
  EXPECT_LT(done_before, kItems) << "the batch finished before the kill";
  EXPECT_EQ(query_int(url_, "SELECT count(*) FROM media"), kItems);
  expect_processed_exactly_once(ids);
  EXPECT_TRUE(test::wait_until([&] { return test::http_get(d.http_port, "/readyz").first == 200; }, 30));
  EXPECT_EQ(d.terminate(), 0);
}

}  // namespace
}  // namespace veil

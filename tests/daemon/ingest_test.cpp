// Ingest on real PostgreSQL and real ZeroMQ sockets (CURVE on), with a fake processor:
// ACK only once the original is durable, encrypted and its rows committed; idempotent
// re-sends; unregistered and revoked keys refused; refusals that say why and whether to
// retry; chunked uploads (resumable); events; /healthz, /readyz, /metrics.
#include <sys/stat.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "storage/media_repository.h"
#include "storage/originals_store.h"
#include "tests/daemon/service_fixture.h"

namespace veil {
namespace {

using json = nlohmann::json;
using test::query_int;
using test::query_text;

class IngestTest : public test::ServiceTest {};

TEST_F(IngestTest, AckComesOnlyAfterTheOriginalIsDurableEncryptedAndCommitted) {
  std::atomic<bool> release{false};
  auto& service = start(base_config(), [&](const std::string&) {
    test::wait_until([&] { return release.load(); }, 20);  // keep the item from being processed
  });
  const std::string photo = test::read_file(test::testdata("robustness/orientation/hopper.jpg"));
  auto c = client(service);
  const SubmitReply r = c->submit_bytes(test::photo_request(nursery_, "ack-1", "hopper.jpg"), photo);
  // Everything below was true when the ACK left the daemon.
  ASSERT_TRUE(r.acked) << r.code << ": " << r.reason;
  EXPECT_FALSE(r.duplicate);
  const std::string path = original_path(data_ + "/originals", nursery_.child, r.media_id);
  ASSERT_TRUE(std::filesystem::exists(path));
  const std::string on_disk = test::read_file(path);
  EXPECT_EQ(on_disk.find(photo.substr(0, 64)), std::string::npos) << "the original is stored in clear";
  pqxx::connection db(db_.url());
  const SecretKey master = load_or_create_master_key(data_ + "/keys/master.key");
  EXPECT_EQ(read_original(path, child_data_key(db, master, nursery_.child, false), r.media_id), photo);
  EXPECT_EQ(query_text(db_.url(), "SELECT original_sha256 || ' ' || bytes || ' ' || uploader_role || ' ' || "
                                  "observation_ref || ' ' || original_name || ' ' || device_id FROM media WHERE id = '" +
                                      r.media_id + "'"),
            sha256_hex_of(photo) + " " + std::to_string(photo.size()) + " staff obs-1 hopper.jpg " +
                std::to_string(nursery_.device));
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM jobs WHERE kind = 'process' AND media_id = '" + r.media_id + "'"),
            1);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM audit WHERE action = 'media.received'"), 1);
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_ + "/originals")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  // Keys are private.
  struct stat st {};
  ASSERT_EQ(stat((data_ + "/keys/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((data_ + "/curve/server.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  release = true;
  EXPECT_TRUE(wait_state(r.media_id, "published"));
  // Destroying the child's key makes its originals unreadable.
  {
    pqxx::work tx(db);
    destroy_child_key(tx, nursery_.child);
    tx.commit();
  }
  EXPECT_THROW(child_data_key(db, master, nursery_.child, true), StorageError);
  SecretKey other{};
  other[0] = 1;
  EXPECT_THROW(read_original(path, other, r.media_id), StorageError);
}

TEST_F(IngestTest, ResendingASubmissionGivesTheSameMediaIdAndStoresNothingNew) {
  auto& service = start(base_config());
  const std::string photo = test::read_file(test::testdata("robustness/orientation/hopper.jpg"));
  auto c = client(service);
  const SubmitReply first = c->submit_bytes(test::photo_request(nursery_, "same-id"), photo);
  ASSERT_TRUE(first.acked) << first.reason;
  const SubmitReply again = c->submit_bytes(test::photo_request(nursery_, "same-id"), photo);
  ASSERT_TRUE(again.acked) << again.reason;
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.media_id, first.media_id);
  // Through the chunked path too, and from a new connection.
  test::TempDir files;
  std::ofstream(files.path() + "/p.jpg", std::ios::binary) << photo;
  auto c2 = client(service);
  const SubmitReply chunked = c2->submit_chunked(test::photo_request(nursery_, "same-id"), files.path() + "/p.jpg");
  ASSERT_TRUE(chunked.acked) << chunked.reason;
  EXPECT_TRUE(chunked.duplicate);
  EXPECT_EQ(chunked.media_id, first.media_id);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media"), 1);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM jobs"), 1);
  const SubmitReply other = c->submit_bytes(test::photo_request(nursery_, "another-id"), photo);
  ASSERT_TRUE(other.acked);
  EXPECT_NE(other.media_id, first.media_id);
  EXPECT_TRUE(wait_state(first.media_id, "published"));
  EXPECT_TRUE(wait_state(other.media_id, "published"));
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records"), 2);
}

TEST_F(IngestTest, AnUnregisteredKeyIsRefusedAndARevokedOneToo) {
  auto& service = start(base_config());
  auto o = test::client_for(service.ingest_endpoint(), data_, nursery_);
  const CurveKeyPair stranger = generate_curve_keypair();
  o.public_key = stranger.public_key;
  o.secret_key = stranger.secret_key;
  IngestClient intruder(o);
  const auto t0 = std::chrono::steady_clock::now();
  const SubmitReply r = intruder.submit_bytes(test::photo_request(nursery_, "intruder"), "abc");
  EXPECT_FALSE(r.acked);
  EXPECT_EQ(r.code, "unauthorized") << r.reason;
  EXPECT_FALSE(r.retryable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5)) << "refusal should be prompt";
  // A wrong server key fails the handshake too.
  auto wrong = test::client_for(service.ingest_endpoint(), data_, nursery_);
  wrong.server_public_key = generate_curve_keypair().public_key;
  wrong.timeout_ms = 2000;
  EXPECT_FALSE(IngestClient(wrong).submit_bytes(test::photo_request(nursery_, "wrong-server"), "abc").acked);

  // The registered device works; once revoked (and the cache reloaded, as SIGHUP does) it is refused,
  // on its open connection as on a new one.
  auto c = client(service);
  ASSERT_TRUE(c->submit_bytes(test::photo_request(nursery_, "ok"), "abc").acked);
  {
    pqxx::connection db(db_.url());
    ASSERT_TRUE(revoke_device(db, std::to_string(nursery_.device)));
  }
  EXPECT_EQ(service.reload_devices(), 0);
  const SubmitReply revoked = c->submit_bytes(test::photo_request(nursery_, "after-revoke"), "abc");
  EXPECT_EQ(revoked.code, "unauthorized") << revoked.reason;
  EXPECT_EQ(client(service)->submit_bytes(test::photo_request(nursery_, "after-revoke-2"), "abc").code, "unauthorized");
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media"), 1);
}

TEST_F(IngestTest, RefusalsSayWhyAndWhetherRetryingHelps) {
  Config config = base_config();
  config.limits.max_file_bytes = 5000;
  auto& service = start(config);
  auto c = client(service);
  auto expect_nack = [&](SubmitRequest req, const std::string& bytes, const std::string& code, bool retryable) {
    const SubmitReply r = c->submit_bytes(req, bytes);
    EXPECT_FALSE(r.acked) << code;
    EXPECT_EQ(r.code, code) << r.reason;
    EXPECT_EQ(r.retryable, retryable) << code;
    EXPECT_FALSE(r.reason.empty()) << code;
  };
  auto req = test::photo_request(nursery_, "r1");
  req.journal_child = 987654;
  expect_nack(req, "abc", "unknown_child", false);
  test::exec_sql(db_.url(), "INSERT INTO children (id, display_name, status) VALUES (555, 'Left', 'left')");
  req.journal_child = 555;
  expect_nack(req, "abc", "child_not_active", false);
  req = test::photo_request(nursery_, "r2");
  req.role = "parent";
  expect_nack(req, "abc", "role_mismatch", false);
  req = test::photo_request(nursery_, "r3");
  req.uploader = 987654;
  expect_nack(req, "abc", "unknown_uploader", false);
  req = test::photo_request(nursery_, "r4", "notes.txt");
  expect_nack(req, "abc", "unsupported_type", false);
  expect_nack(test::photo_request(nursery_, "r5"), std::string(6000, 'x'), "too_large", false);
  // A parent uploading as a parent is fine, the role defaults to the uploader's kind.
  req = test::photo_request(nursery_, "r6");
  req.uploader = nursery_.parent;
  req.role = "";
  EXPECT_TRUE(c->submit_bytes(req, "abc").acked);
  EXPECT_EQ(query_text(db_.url(), "SELECT uploader_role FROM media"), "parent");

  // Checksum and size mismatches, malformed requests: through the raw protocol.
  zmq::context_t ctx(1);
  auto s = test::raw_dealer(ctx, test::client_for(service.ingest_endpoint(), data_, nursery_));
  json h{{"submission_id", "raw-1"}, {"journal_child", nursery_.child}, {"uploader", nursery_.staff},
         {"file_name", "a.jpg"}, {"sha256", std::string(64, 'a')}, {"seq", 1}};
  const std::string bytes = "hello";
  auto [type, body] = test::raw_request(*s, "SUBMIT", h, &bytes);
  EXPECT_EQ(type, "NACK");
  EXPECT_EQ(body["code"], "checksum_mismatch");
  EXPECT_EQ(body["retryable"], true);
  EXPECT_EQ(body["seq"], 1);
  h.erase("sha256");
  h["size"] = 9;
  std::tie(type, body) = test::raw_request(*s, "SUBMIT", h, &bytes);
  EXPECT_EQ(body["code"], "size_mismatch");
  std::tie(type, body) = test::raw_request(*s, "SUBMIT", json{{"journal_child", "Ada"}}, &bytes);
  EXPECT_EQ(body["code"], "bad_request");
  std::tie(type, body) = test::raw_request(*s, "FROBNICATE", json::object());
  EXPECT_EQ(body["code"], "bad_request");
  std::tie(type, body) = test::raw_request(*s, "PING", json{{"seq", 7}});
  EXPECT_EQ(type, "PONG");
  EXPECT_EQ(body["seq"], 7);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media"), 1);
  // Nothing refused left a file behind.
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_ + "/originals")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

// A device over its upload rate is refused with a retryable NACK that says when to retry;
// what it sent before the limit is stored, what it sent after is not.
TEST_F(IngestTest, ADeviceOverItsUploadRateIsToldToRetryLater) {
  Config config = base_config();
  config.ingest.device_uploads_per_minute = 1;  // one a minute after a burst of three
  config.ingest.device_upload_burst = 3;
  auto& service = start(config);
  auto c = client(service);
  for (int i = 0; i < 3; ++i) {
    const SubmitReply r = c->submit_bytes(test::photo_request(nursery_, "rate-" + std::to_string(i)), "photo " + std::to_string(i));
    EXPECT_TRUE(r.acked) << i << ": " << r.code << " " << r.reason;
  }
  const SubmitReply over = c->submit_bytes(test::photo_request(nursery_, "rate-3"), "photo 3");
  EXPECT_FALSE(over.acked);
  EXPECT_EQ(over.code, "rate_limited") << over.reason;
  EXPECT_TRUE(over.retryable);
  EXPECT_NE(over.reason.find("retry in"), std::string::npos) << over.reason;
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media"), 3);
}

// The data directory's filesystem full (a 4 MiB tmpfs mounted by the test; root only):
// uploads get a retryable storage_unavailable NACK, nothing acknowledged is lost (every ACKed
// original is whole and decrypts), veild keeps serving, and once space returns the refused
// upload, sent again, is stored.
TEST_F(IngestTest, AFullDiskRefusesUploadsRetryablyAndLosesNothingAcknowledged) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small filesystem needs root (CI runs as root)";
  std::filesystem::create_directories(data_);
  const auto mounted = test::run_command("mount -t tmpfs -o size=4m veil-test-full " + data_);
  if (mounted.exit_code != 0) GTEST_SKIP() << "cannot mount a tmpfs here: " << mounted.err;
  struct Unmount {
    std::string dir;
    ~Unmount() { test::run_command("umount -l " + dir); }
  } unmount{data_};
  auto& service = start(base_config());
  auto c = client(service);
  // Leave about 600 KiB free, then upload 100 KiB photos until the disk refuses one.
  {
    const auto free_now = std::filesystem::space(data_).available;
    std::ofstream filler(data_ + "/filler", std::ios::binary);
    filler << std::string(free_now - 600 * 1024, 'f');
  }
  const SecretKey master = load_or_create_master_key(data_ + "/keys/master.key");
  std::vector<std::pair<std::string, std::string>> acked;  // media id, bytes
  SubmitReply refused;
  std::string refused_bytes, refused_id;
  for (int i = 0; i < 20; ++i) {
    std::string bytes(100 * 1024, static_cast<char>('a' + i));
    const std::string sid = "full-" + std::to_string(i);
    const SubmitReply r = c->submit_bytes(test::photo_request(nursery_, sid), bytes);
    if (r.acked) {
      acked.emplace_back(r.media_id, bytes);
      continue;
    }
    refused = r, refused_bytes = bytes, refused_id = sid;
    break;
  }
  ASSERT_FALSE(refused_id.empty()) << "the disk never filled";
  ASSERT_GE(acked.size(), 2u);
  EXPECT_EQ(refused.code, "storage_unavailable") << refused.reason;
  EXPECT_TRUE(refused.retryable);
  // Nothing acknowledged is lost, nothing refused was recorded.
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media"), static_cast<std::int64_t>(acked.size()));
  pqxx::connection db(db_.url());
  const SecretKey key = child_data_key(db, master, nursery_.child, false);
  for (const auto& [id, bytes] : acked) {
    EXPECT_EQ(read_original(original_path(data_ + "/originals", nursery_.child, id), key, id), bytes) << id;
  }
  // Still serving; once space returns, the same upload sent again is stored.
  EXPECT_EQ(service.not_ready_reason(), "");
  std::filesystem::remove(data_ + "/filler");
  const SubmitReply again = c->submit_bytes(test::photo_request(nursery_, refused_id), refused_bytes);
  EXPECT_TRUE(again.acked) << again.code << " " << again.reason;
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media"), static_cast<std::int64_t>(acked.size() + 1));
  service.stop();
}

TEST_F(IngestTest, LargeFilesGoInResumableChunks) {
  Config config = base_config();
  config.ingest.chunk_bytes = 256 * 1024;
  config.ingest.max_message_bytes = 1024 * 1024;
  auto& service = start(config);
  test::TempDir files;
  const std::string video = test::random_bytes(6 * 1024 * 1024 + 123, 7);
  const std::string file = files.path() + "/clip.mp4";
  std::ofstream(file, std::ios::binary) << video;
  auto o = test::client_for(service.ingest_endpoint(), data_, nursery_);
  o.chunk_bytes = 256 * 1024;
  o.single_message_max = 1024 * 1024;
  IngestClient c(o);
  std::vector<std::int64_t> progress;
  const SubmitReply r =
      c.submit_file(test::photo_request(nursery_, "video-1", "clip.mp4"), file,
                    [&](std::int64_t sent, std::int64_t total) {
                      EXPECT_EQ(total, static_cast<std::int64_t>(video.size()));
                      progress.push_back(sent);
                    });
  ASSERT_TRUE(r.acked) << r.code << ": " << r.reason;
  EXPECT_GE(progress.size(), 24u) << "one progress report per chunk";
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), static_cast<std::int64_t>(video.size()));
  EXPECT_EQ(query_text(db_.url(), "SELECT kind || ' ' || bytes || ' ' || original_sha256 FROM media"),
            "video " + std::to_string(video.size()) + " " + sha256_hex_of(video));
  pqxx::connection db(db_.url());
  const SecretKey master = load_or_create_master_key(data_ + "/keys/master.key");
  EXPECT_EQ(read_original(original_path(data_ + "/originals", nursery_.child, r.media_id),
                          child_data_key(db, master, nursery_.child, false), r.media_id),
            video);

  // Resuming: BEGIN again after two chunks answers with the offset reached.
  zmq::context_t ctx(1);
  auto s = test::raw_dealer(ctx, o);
  const std::string part = video.substr(0, 256 * 1024);
  json begin{{"submission_id", "video-2"}, {"journal_child", nursery_.child}, {"uploader", nursery_.staff},
             {"file_name", "clip.mp4"}, {"size", 3 * part.size()}};
  auto [type, body] = test::raw_request(*s, "BEGIN", begin);
  ASSERT_EQ(type, "READY") << body.dump();
  const std::string upload = body["upload_id"];
  EXPECT_EQ(test::raw_request(*s, "CHUNK", {{"upload_id", upload}, {"offset", 0}}, &part).first, "CHUNK_OK");
  std::tie(type, body) = test::raw_request(*s, "CHUNK", {{"upload_id", upload}, {"offset", 0}}, &part);
  EXPECT_EQ(body["code"], "bad_offset");
  EXPECT_EQ(body["expected"], part.size());
  EXPECT_EQ(test::raw_request(*s, "CHUNK", {{"upload_id", upload}, {"offset", part.size()}}, &part).first, "CHUNK_OK");
  auto s2 = test::raw_dealer(ctx, o);  // as after a reconnect
  std::tie(type, body) = test::raw_request(*s2, "BEGIN", begin);
  ASSERT_EQ(type, "READY");
  EXPECT_EQ(body["upload_id"], upload);
  EXPECT_EQ(body["offset"], 2 * part.size());
  EXPECT_EQ(test::raw_request(*s2, "CHUNK", {{"upload_id", upload}, {"offset", 2 * part.size()}}, &part).first,
            "CHUNK_OK");
  std::tie(type, body) = test::raw_request(*s2, "COMMIT", {{"upload_id", upload}, {"sha256", std::string(64, 'b')}});
  EXPECT_EQ(body["code"], "checksum_mismatch");
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media"), 1);
  // A chunk for an upload that no longer exists asks the client to BEGIN again.
  std::tie(type, body) = test::raw_request(*s2, "CHUNK", {{"upload_id", upload}, {"offset", 0}}, &part);
  EXPECT_EQ(body["code"], "upload_unknown");
  EXPECT_EQ(body["retryable"], true);
  // A declared size above the limit is refused before any byte is sent.
  begin["size"] = config.limits.max_file_bytes + 1;
  begin["submission_id"] = "video-3";
  std::tie(type, body) = test::raw_request(*s2, "BEGIN", begin);
  EXPECT_EQ(body["code"], "too_large");
}

// An item rendered again (a `reprocess` job, as a manager's face change queues it) is announced
// as media.updated with its state.
TEST_F(IngestTest, EventsAnnounceReceivedPublishedAndUpdated) {
  auto& service = start(base_config());
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  const auto o = test::client_for(service.ingest_endpoint(), data_, nursery_);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::curve_serverkey, o.server_public_key);
  sub.set(zmq::sockopt::curve_publickey, o.public_key);
  sub.set(zmq::sockopt::curve_secretkey, o.secret_key);
  sub.set(zmq::sockopt::subscribe, "media.");
  ASSERT_EQ(zmq_socket_monitor(static_cast<void*>(sub), "inproc://sub-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
  zmq::socket_t monitor(ctx, zmq::socket_type::pair);
  monitor.connect("inproc://sub-monitor");
  sub.connect(service.events_endpoint());
  // Wait for the CURVE handshake, then give the subscription a moment to reach the publisher.
  zmq::pollitem_t handshake{static_cast<void*>(monitor), 0, ZMQ_POLLIN, 0};
  zmq::poll(&handshake, 1, std::chrono::seconds(10));
  ASSERT_TRUE(handshake.revents & ZMQ_POLLIN) << "no handshake with the events socket";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const SubmitReply r = client(service)->submit_bytes(test::photo_request(nursery_, "ev-1"), "abc");
  ASSERT_TRUE(r.acked);
  std::vector<std::string> topics;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string updated_state;
  while (topics.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{static_cast<void*>(sub), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(200));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> frames;
    ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(frames)));
    ASSERT_EQ(frames.size(), 2u);
    const json body = json::parse(frames[1].to_string_view());
    EXPECT_EQ(body["media_id"], r.media_id);
    EXPECT_EQ(body["event"], frames[0].to_string());
    EXPECT_EQ(body["journal_child"], nursery_.child);
    topics.push_back(frames[0].to_string());
    if (topics.back() == "media.updated") updated_state = body["state"];
    if (topics.size() == 2)
      test::exec_sql(db_.url(), "UPDATE media SET state = 'processing' WHERE id = '" + r.media_id +
                                    "'; INSERT INTO jobs (media_id, kind) VALUES ('" + r.media_id + "', 'reprocess')");
  }
  EXPECT_EQ(topics, (std::vector<std::string>{"media.received", "media.published", "media.updated"}));
  EXPECT_EQ(updated_state, "published");
}

TEST_F(IngestTest, HealthReadinessAndMetrics) {
  auto& service = start(base_config());
  ASSERT_GT(service.http_port(), 0);
  EXPECT_EQ(test::http_get(service.http_port(), "/healthz"), (std::pair<int, std::string>{200, "ok\n"}));
  EXPECT_EQ(test::http_get(service.http_port(), "/readyz").first, 200);
  const SubmitReply r = client(service)->submit_bytes(test::photo_request(nursery_, "m-1"), "abc");
  ASSERT_TRUE(r.acked);
  ASSERT_TRUE(wait_state(r.media_id, "published"));
  const std::string m = test::http_get(service.http_port(), "/metrics").second;
  for (const char* line : {"veil_queue_depth 0\n", "veil_jobs{state=\"done\"} 1\n", "veil_jobs{state=\"failed\"} 0\n",
                           "veil_processing_seconds_count 1\n", "veil_processing_seconds_bucket{le=\"+Inf\"} 1\n",
                           "veil_faces_detected_total 1\n", "veil_faces_blurred_total 1\n",
                           "veil_media_outcomes_total{state=\"published\"} 1\n",
                           "veil_ingest_requests_total{result=\"ack\"} 1\n", "veil_workers 1\n",
                           "veil_database_up 1\n", "# TYPE veil_processing_seconds histogram\n"})
    EXPECT_NE(m.find(line), std::string::npos) << line << "\n" << m;
  service.stop();
}

}  // namespace
}  // namespace veil

namespace veil {
namespace {

TEST_F(IngestTest, WithoutCurveOnlyLocalEndpointsAreAllowed) {
  Config open = base_config();
  open.ingest.curve = false;
  open.ingest.endpoint = "tcp://0.0.0.0:*";
  VeildService refused(
      ServiceOptions{open, db_.url(), data_, [] { return std::make_unique<test::FakeRecorder>(); }, {}, std::nullopt, {}});
  EXPECT_THROW(refused.start(), std::runtime_error);
  open.ingest.endpoint = "tcp://127.0.0.1:*";
  auto& service = start(open);
  IngestClientOptions o;
  o.endpoint = service.ingest_endpoint();
  IngestClient c(o);
  auto req = test::photo_request(nursery_, "plain");
  const SubmitReply r = c.submit_bytes(req, "abc");
  ASSERT_TRUE(r.acked) << r.reason;
  EXPECT_EQ(query_text(db_.url(), "SELECT coalesce(device_id::text, 'none') FROM media"), "none");
  EXPECT_TRUE(wait_state(r.media_id, "published"));
}

}  // namespace
}  // namespace veil

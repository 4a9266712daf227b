// The worker pool with a fake processor on real PostgreSQL: a failing item is retried then
// ends failed while the others are served; the time limit abandons a stuck item and the
// retry is recorded once; two services on one database never record an item twice;
// SIGTERM-style stop drains in-flight jobs; a worker whose processor cannot load stops the
// start, and one that cannot be replaced is reported and makes the service not ready; an item
// stuck every time ends failed while the others flow; an original altered on disk fails
// authentication and is never published.
#include <atomic>
#include <mutex>
#include <set>

#include "storage/media_repository.h"
#include "storage/originals_store.h"
#include "tests/daemon/service_fixture.h"

namespace veil {
namespace {

using test::query_int;
using test::query_text;
using test::wait_until;

class WorkerPoolTest : public test::ServiceTest {};

TEST_F(WorkerPoolTest, AFailingItemIsRetriedThenFailsWhileOthersAreServed) {
  Config config = base_config();
  config.queue.max_attempts = 2;
  std::mutex m;
  std::string poison;
  auto& service = start(config, [&](const std::string& media) {
    std::lock_guard<std::mutex> lock(m);
    if (media == poison) throw std::runtime_error("decoder exploded");
  });
  auto c = client(service);
  {
    std::lock_guard<std::mutex> lock(m);
    poison = media_id_for_submission(load_or_create_master_key(data_ + "/keys/master.key"), nursery_.staff, "poison");
  }
  const SubmitReply bad = c->submit_bytes(test::photo_request(nursery_, "poison"), "abc");
  const SubmitReply good = c->submit_bytes(test::photo_request(nursery_, "fine"), "def");
  ASSERT_TRUE(bad.acked && good.acked);
  EXPECT_EQ(bad.media_id, poison);
  EXPECT_TRUE(wait_state(good.media_id, "published"));
  EXPECT_TRUE(wait_state(bad.media_id, "failed"));
  EXPECT_EQ(query_text(db_.url(), "SELECT state || ' ' || attempts || ' ' || last_error FROM jobs WHERE media_id = '" +
                                      bad.media_id + "'"),
            "failed 2 decoder exploded");
  EXPECT_NE(query_text(db_.url(), "SELECT reason FROM media WHERE id = '" + bad.media_id + "'").find("decoder exploded"),
            std::string::npos);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records WHERE media_id = '" + bad.media_id + "'"), 0);
  EXPECT_EQ(service.not_ready_reason(), "");
  // Still serving.
  const SubmitReply later = c->submit_bytes(test::photo_request(nursery_, "later"), "ghi");
  ASSERT_TRUE(later.acked);
  EXPECT_TRUE(wait_state(later.media_id, "published"));
}

TEST_F(WorkerPoolTest, TheTimeLimitAbandonsAStuckItemAndItsRetryIsRecordedOnce) {
  Config config = base_config();
  config.queue.item_timeout_s = 1;
  config.queue.lease_s = 30;
  std::atomic<int> calls{0};
  auto& service = start(config, [&](const std::string&) {
    if (calls++ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // stuck the first time
  });
  const SubmitReply r = client(service)->submit_bytes(test::photo_request(nursery_, "slow"), "abc");
  ASSERT_TRUE(r.acked);
  EXPECT_TRUE(wait_state(r.media_id, "published", 20));
  EXPECT_EQ(query_int(db_.url(), "SELECT attempts FROM jobs"), 2);
  // Let the stuck attempt return: its result is discarded.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records"), 1);
  EXPECT_EQ(query_text(db_.url(), "SELECT state FROM jobs"), "done");
  const std::string metrics = service.metrics_text();
  EXPECT_NE(metrics.find("veil_jobs_abandoned_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("veil_workers 1\n"), std::string::npos) << "a replacement worker runs" << metrics;
}

// An item stuck every time it runs: abandoned at the time limit each attempt, failed after
// the last with the time limit as its reason; the items after it are served meanwhile.
TEST_F(WorkerPoolTest, AnItemStuckEveryTimeEndsFailedAndTheOthersFlow) {
  Config config = base_config();
  config.queue.item_timeout_s = 1;
  config.queue.max_attempts = 2;
  config.queue.lease_s = 30;
  std::string stuck;
  std::mutex m;
  auto& service = start(config, [&](const std::string& media) {
    bool is_stuck;
    {
      std::lock_guard<std::mutex> lock(m);
      is_stuck = media == stuck;
    }
    if (is_stuck) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  });
  {
    std::lock_guard<std::mutex> lock(m);
    stuck = media_id_for_submission(load_or_create_master_key(data_ + "/keys/master.key"), nursery_.staff, "stuck");
  }
  auto c = client(service);
  const SubmitReply bad = c->submit_bytes(test::photo_request(nursery_, "stuck"), "abc");
  ASSERT_TRUE(bad.acked);
  std::vector<std::string> others;
  for (int i = 0; i < 3; ++i) {
    const SubmitReply r = c->submit_bytes(test::photo_request(nursery_, "after-" + std::to_string(i)), "x" + std::to_string(i));
    ASSERT_TRUE(r.acked);
    others.push_back(r.media_id);
  }
  for (const auto& id : others) EXPECT_TRUE(wait_state(id, "published", 20)) << id;
  EXPECT_TRUE(wait_state(bad.media_id, "failed", 30));
  EXPECT_EQ(query_text(db_.url(), "SELECT state || ' ' || attempts FROM jobs WHERE media_id = '" + bad.media_id + "'"),
            "failed 2");
  EXPECT_NE(query_text(db_.url(), "SELECT reason FROM media WHERE id = '" + bad.media_id + "'").find("time limit"),
            std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // the last stuck attempt returns: discarded
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records WHERE media_id = '" + bad.media_id + "'"), 0);
  EXPECT_EQ(media_state(bad.media_id), "failed");
}

// One bit of an acknowledged original altered on disk before a worker reads it: decryption
// fails authentication, the job fails at once (retrying cannot help) with that reason, and the
// item is never processed or published.
TEST_F(WorkerPoolTest, AnOriginalAlteredOnDiskFailsAuthenticationAndIsNeverPublished) {
  Config config = base_config();
  std::atomic<bool> release{false};
  std::string gate;
  std::mutex m;
  auto& service = start(config, [&](const std::string& media) {
    bool is_gate;
    {
      std::lock_guard<std::mutex> lock(m);
      is_gate = media == gate;
    }
    if (is_gate) wait_until([&] { return release.load(); }, 20);
  });
  {
    std::lock_guard<std::mutex> lock(m);
    gate = media_id_for_submission(load_or_create_master_key(data_ + "/keys/master.key"), nursery_.staff, "gate");
  }
  auto c = client(service);
  const SubmitReply first = c->submit_bytes(test::photo_request(nursery_, "gate"), "the worker holds this one");
  ASSERT_TRUE(first.acked);
  ASSERT_TRUE(wait_until([&] { return query_text(db_.url(), "SELECT state FROM jobs WHERE media_id = '" + first.media_id + "'") == "running"; }, 20));
  const SubmitReply victim = c->submit_bytes(test::photo_request(nursery_, "victim"), std::string(4096, 'v'));
  ASSERT_TRUE(victim.acked);
  const std::string path = original_path(data_ + "/originals", nursery_.child, victim.media_id);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << path;
    f.seekg(0, std::ios::end);
    const std::streamoff middle = f.tellg() / 2;
    char byte = 0;
    f.seekg(middle);
    f.read(&byte, 1);
    byte ^= 0x04;
    f.seekp(middle);
    f.write(&byte, 1);
  }
  release = true;
  EXPECT_TRUE(wait_state(first.media_id, "published", 20));
  EXPECT_TRUE(wait_state(victim.media_id, "failed", 20));
  EXPECT_EQ(query_text(db_.url(), "SELECT state || ' ' || attempts FROM jobs WHERE media_id = '" + victim.media_id + "'"),
            "failed 1");
  EXPECT_NE(query_text(db_.url(), "SELECT reason FROM media WHERE id = '" + victim.media_id + "'").find("cannot be decrypted"),
            std::string::npos)
      << query_text(db_.url(), "SELECT reason FROM media WHERE id = '" + victim.media_id + "'");
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records WHERE media_id = '" + victim.media_id + "'"), 0);
}

TEST_F(WorkerPoolTest, TwoServicesOnOneDatabaseNeverRecordAnItemTwice) {
  Config a = base_config("a"), b = base_config("b");
  a.daemon.workers = b.daemon.workers = 2;
  auto slow = [](const std::string&) { std::this_thread::sleep_for(std::chrono::milliseconds(30)); };
  auto& first = start(a, slow);
  auto& second = start(b, slow);
  auto ca = client(first), cb = client(second);
  constexpr int kItems = 40;
  std::vector<std::string> ids;
  for (int i = 0; i < kItems; ++i) {
    const SubmitReply r = (i % 2 ? ca : cb)->submit_bytes(test::photo_request(nursery_, "batch-" + std::to_string(i)),
                                                          "bytes " + std::to_string(i));
    ASSERT_TRUE(r.acked) << r.reason;
    ids.push_back(r.media_id);
  }
  EXPECT_TRUE(test::wait_until(
      [&] { return query_int(db_.url(), "SELECT count(*) FROM media WHERE state = 'published'") == kItems; }, 60));
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records"), kItems);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(DISTINCT media_id) FROM fake_records"), kItems);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1"), kItems);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM faces"), kItems);
}

TEST_F(WorkerPoolTest, StopDrainsInFlightJobs) {
  std::atomic<bool> started{false};
  auto& service = start(base_config(), [&](const std::string&) {
    started = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  });
  const SubmitReply r = client(service)->submit_bytes(test::photo_request(nursery_, "drain"), "abc");
  ASSERT_TRUE(r.acked);
  ASSERT_TRUE(test::wait_until([&] { return started.load(); }, 10));
  EXPECT_EQ(service.stop(), 0);
  EXPECT_EQ(media_state(r.media_id), "published") << "the in-flight job was finished before stopping";
  EXPECT_EQ(query_text(db_.url(), "SELECT state FROM jobs"), "done");
}

TEST_F(WorkerPoolTest, AJobStillRunningAfterTheDrainTimeoutIsReleasedForARetry) {
  Config config = base_config();
  config.queue.drain_timeout_s = 0;
  std::atomic<bool> started{false};
  auto& service = start(config, [&](const std::string&) {
    started = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  });
  const SubmitReply r = client(service)->submit_bytes(test::photo_request(nursery_, "release"), "abc");
  ASSERT_TRUE(r.acked);
  ASSERT_TRUE(test::wait_until([&] { return started.load(); }, 10));
  service.stop();
  // Released, not failed: the next daemon takes it as a first attempt.
  EXPECT_EQ(query_text(db_.url(), "SELECT state || ' ' || attempts FROM jobs"), "queued 0");
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records"), 0);
  auto& next = start(base_config("next"));
  (void)next;
  EXPECT_TRUE(wait_state(r.media_id, "published"));
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM fake_records"), 1);
}

TEST_F(WorkerPoolTest, AWorkerWhoseProcessorCannotLoadStopsTheStartWithItsReason) {
  Config config = base_config();
  config.daemon.workers = 2;
  std::atomic<int> made{0};
  try {
    start_with(config, [&]() -> std::unique_ptr<ItemProcessor> {
      if (made++ == 1) throw std::runtime_error("model file /x/detector.onnx cannot be read by user 'veil'");
      return std::make_unique<test::FakeRecorder>();
    });
    FAIL() << "started with a worker short";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(": cannot start its processor: model file /x/detector.onnx cannot be read by "
                                         "user 'veil'"),
              std::string::npos)
        << e.what();
  }
  // Nothing is listening: an upload cannot be acknowledged by a service that cannot work.
  EXPECT_EQ(services_.back()->ingest_endpoint(), "");
}

TEST_F(WorkerPoolTest, AWorkerThatCannotBeReplacedIsReportedAndTheServiceIsNotReady) {
  Config config = base_config();
  config.queue.item_timeout_s = 1;
  config.queue.lease_s = 30;
  std::atomic<int> made{0};
  std::mutex m;
  std::string lost;
  std::atomic<bool> stuck{true};
  auto& service = start_with(
      config,
      [&]() -> std::unique_ptr<ItemProcessor> {
        if (made++ > 0) throw std::runtime_error("the model directory went away");
        return std::make_unique<test::FakeRecorder>([&](const std::string&) {
          while (stuck) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        });
      },
      [&](const std::string& why) {
        std::lock_guard<std::mutex> lock(m);
        lost = why;
      });
  EXPECT_EQ(service.not_ready_reason(), "");
  ASSERT_TRUE(client(service)->submit_bytes(test::photo_request(nursery_, "stuck"), "abc").acked);
  // The time limit abandons the stuck worker; its replacement cannot load its processor.
  ASSERT_TRUE(test::wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(m);
        return !lost.empty();
      },
      10));
  EXPECT_NE(lost.find(": cannot start its processor: the model directory went away"), std::string::npos) << lost;
  EXPECT_NE(service.not_ready_reason().find("0 of 1 workers running"), std::string::npos) << service.not_ready_reason();
  stuck = false;
}

}  // namespace
}  // namespace veil

// The PostgreSQL job queue on a real server: concurrent claims never share a job, an
// expired lease is taken over and the old owner cannot record, attempts are bounded (also
// when workers keep dying), releases do not count, NOTIFY wakes listeners.
#include <atomic>
#include <mutex>
#include <set>

#include "tests/daemon/daemon_fixture.h"
#include "storage/job_queue.h"
#include "storage/media_repository.h"

namespace veil {
namespace {

using test::query_int;

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (db_.url().empty()) GTEST_SKIP() << "VEIL_TEST_DATABASE_URL not set (run through scripts/test)";
    pqxx::connection c(db_.url());
    apply_migrations(c);
    nursery_ = test::make_nursery(db_.url(), tmp_.path());
  }

  // A media row and its process job, as ingest writes them.
  std::string add_media(int i) {
    pqxx::connection c(db_.url());
    pqxx::work tx(c);
    NewMedia m;
    m.media_id = media_id_for_submission(SecretKey{}, nursery_.staff, "sub-" + std::to_string(i));
    m.client_submission_id = "sub-" + std::to_string(i);
    m.journal_child_id = nursery_.child;
    m.uploader_id = nursery_.staff;
    m.uploader_role = "staff";
    m.kind = "photo";
    m.original_sha256 = std::string(64, '0');
    m.bytes = 1;
    EXPECT_TRUE(insert_received_media(tx, m).inserted);
    tx.commit();
    return m.media_id;
  }

  test::ScratchDatabase db_;
  test::TempDir tmp_;
  test::Nursery nursery_;
};

TEST_F(JobQueueTest, ConcurrentWorkersNeverShareAJob) {
  constexpr int kJobs = 40, kWorkers = 4;
  for (int i = 0; i < kJobs; ++i) add_media(i);
  JobQueue queue(QueueOptions{30, 3, 0});
  std::mutex m;
  std::multiset<std::int64_t> done;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      pqxx::connection c(db_.url());
      while (auto job = queue.claim(c, "w" + std::to_string(w))) {
        EXPECT_EQ(job->attempt, 1);
        EXPECT_TRUE(queue.complete(c, *job, [&](pqxx::transaction_base&) {
          std::lock_guard<std::mutex> lock(m);
          done.insert(job->id);
        }));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.size(), std::size_t{kJobs});
  EXPECT_EQ(std::set<std::int64_t>(done.begin(), done.end()).size(), std::size_t{kJobs}) << "a job ran twice";
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1"), kJobs);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM media WHERE state = 'processing'"), kJobs);
}

TEST_F(JobQueueTest, AnExpiredLeaseIsTakenOverAndTheOldOwnerCannotRecord) {
  add_media(1);
  JobQueue queue(QueueOptions{1, 3, 0});
  pqxx::connection a(db_.url()), b(db_.url());
  const auto first = queue.claim(a, "crashed");
  ASSERT_TRUE(first);
  EXPECT_FALSE(queue.claim(b, "other")) << "a leased job must not be handed out";
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  const auto second = queue.claim(b, "other");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->attempt, 2);
  EXPECT_NE(test::query_text(db_.url(), "SELECT last_error FROM jobs").find("expired"), std::string::npos);
  bool recorded = false;
  EXPECT_FALSE(queue.complete(a, *first, [&](pqxx::transaction_base&) { recorded = true; }));
  EXPECT_FALSE(recorded) << "the old owner recorded with a stolen lease";
  EXPECT_FALSE(queue.renew(a, *first));
  EXPECT_FALSE(queue.fail(a, *first, "late", true).lease_held);
  EXPECT_TRUE(queue.renew(b, *second));
  EXPECT_TRUE(queue.complete(b, *second, [&](pqxx::transaction_base&) { recorded = true; }));
  EXPECT_TRUE(recorded);
  EXPECT_EQ(test::query_text(db_.url(), "SELECT state FROM jobs"), "done");
}

TEST_F(JobQueueTest, FailingJobsEndFailedAfterMaxAttemptsAndTheirMediaFailed) {
  const std::string media = add_media(1);
  JobQueue queue(QueueOptions{30, 3, 0});
  pqxx::connection c(db_.url());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    const auto job = queue.claim(c, "w");
    ASSERT_TRUE(job) << attempt;
    EXPECT_EQ(job->attempt, attempt);
    const FailResult r = queue.fail(c, *job, "decoder exploded " + std::to_string(attempt), true);
    EXPECT_TRUE(r.lease_held);
    EXPECT_EQ(r.final, attempt == 3);
  }
  EXPECT_FALSE(queue.claim(c, "w"));
  EXPECT_EQ(test::query_text(db_.url(), "SELECT state || ' ' || last_error FROM jobs"), "failed decoder exploded 3");
  EXPECT_EQ(test::query_text(db_.url(), "SELECT state FROM media"), "failed");
  EXPECT_NE(test::query_text(db_.url(), "SELECT reason FROM media").find("after 3 attempt(s): decoder exploded 3"),
            std::string::npos);
  EXPECT_EQ(query_int(db_.url(), "SELECT count(*) FROM audit WHERE action = 'media.failed'"), 1);
}

TEST_F(JobQueueTest, APermanentFailureEndsAtOnce) {
  add_media(1);
  JobQueue queue(QueueOptions{30, 3, 0});
  pqxx::connection c(db_.url());
  const auto job = queue.claim(c, "w");
  ASSERT_TRUE(job);
  EXPECT_TRUE(queue.fail(c, *job, "original key destroyed", false).final);
  EXPECT_EQ(test::query_text(db_.url(), "SELECT state FROM media"), "failed");
}

TEST_F(JobQueueTest, AJobWhoseWorkersKeepDyingEndsFailed) {
  add_media(1);
  JobQueue queue(QueueOptions{1, 2, 0});
  pqxx::connection c(db_.url());
  ASSERT_TRUE(queue.claim(c, "dies-1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE(queue.claim(c, "dies-2"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  std::vector<FailedMedia> failed;
  EXPECT_FALSE(queue.claim(c, "survivor", &failed));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].reason.find("attempt 2 of 2 did not finish"), std::string::npos) << failed[0].reason;
  EXPECT_EQ(test::query_text(db_.url(), "SELECT state FROM jobs"), "failed");
  EXPECT_EQ(test::query_text(db_.url(), "SELECT state FROM media"), "failed");
}

TEST_F(JobQueueTest, ReleaseGivesTheJobBackWithoutCountingTheAttempt) {
  add_media(1);
  JobQueue queue(QueueOptions{30, 3, 0});
  pqxx::connection c(db_.url());
  const auto job = queue.claim(c, "draining");
  ASSERT_TRUE(job);
  EXPECT_TRUE(queue.release(c, *job));
  const auto again = queue.claim(c, "next");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempt, 1);
}

TEST_F(JobQueueTest, BackOffDelaysARetry) {
  add_media(1);
  JobQueue queue(QueueOptions{30, 3, 1});
  pqxx::connection c(db_.url());
  const auto job = queue.claim(c, "w");
  ASSERT_TRUE(job);
  queue.fail(c, *job, "transient", true);
  EXPECT_FALSE(queue.claim(c, "w")) << "retried before retry_backoff_s";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(queue.claim(c, "w"));
}

TEST_F(JobQueueTest, NewJobsNotifyListeners) {
  struct Listener : pqxx::notification_receiver {
    explicit Listener(pqxx::connection_base& c) : pqxx::notification_receiver(c, kJobsChannel) {}
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  };
  pqxx::connection listening(db_.url());
  Listener listener(listening);
  add_media(1);
  listening.await_notification(5, 0);
  ASSERT_EQ(listener.payloads.size(), 1u);
  EXPECT_EQ(listener.payloads[0], std::to_string(query_int(db_.url(), "SELECT id FROM jobs")));
}

TEST_F(JobQueueTest, CountsByStateAndDepth) {
  for (int i = 0; i < 3; ++i) add_media(i);
  JobQueue queue(QueueOptions{30, 3, 0});
  pqxx::connection c(db_.url());
  ASSERT_TRUE(queue.claim(c, "w"));
  const auto counts = JobQueue::counts_by_state(c);
  EXPECT_EQ(counts.at("queued"), 2);
  EXPECT_EQ(counts.at("running"), 1);
  EXPECT_EQ(counts.at("done"), 0);
  EXPECT_EQ(JobQueue::ready_depth(c), 2);
}

}  // namespace
}  // namespace veil

// The moderation queue and the review reads on real PostgreSQL: the list by the latest row of
// each item, counted by reason code and age, paged by a cursor, scoped to a key person;
// decisions name accounts (migration 030); face decisions by a person and the reprocess job.
#include <pqxx/pqxx>

#include "storage/account_repository.h"
#include "storage/children_repository.h"
#include "storage/face_decisions.h"
#include "storage/media_view.h"
#include "storage/moderation_queue.h"
#include "tests/database_test.h"

namespace veil {
namespace {

class ModerationQueueTest : public test::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    pqxx::work tx(*conn_);
    patel_ = add_person(tx, "staff", "Mrs Patel", "", "test");
    add_person(tx, "staff", "Mr Jones", "", "test");
    kit_ = add_child(tx, "Kit", "Mrs Patel", "test");
    rose_ = add_child(tx, "Rose", "Mr Jones", "test");
    ada_ = insert_account(tx, "Ada", "manager", 0, "x", t0_);
    tx.commit();
  }

  // A held media item of `child`'s journal, received `minutes_ago` before t0_, with its pending row.
  std::string held(std::int64_t child, const std::string& reason, int minutes_ago) {
    pqxx::work tx(*conn_);
    const std::string id =
        tx.exec_params1("INSERT INTO media (id, journal_child_id, uploader_role, kind, original_sha256, bytes, state, "
                        "reason, created_at) VALUES (gen_random_uuid(), $1, 'parent', 'photo', 'x', 1, 'held', $2, " +
                            timestamptz_param(3) + ") RETURNING id::text",
                        child, reason, unix_micros(t0_ - std::chrono::minutes(minutes_ago)))[0]
            .as<std::string>();
    enqueue_for_moderation(tx, id, reason);
    tx.commit();
    return id;
  }

  QueuePage list(const std::string& state, std::int64_t key_person = 0, int limit = 10, std::int64_t after = 0) {
    pqxx::read_transaction tx(*conn_);
    return list_moderation(tx, QueueQuery{state, key_person, limit, after, t0_});
  }

  std::int64_t patel_ = 0, kit_ = 0, rose_ = 0, ada_ = 0;
};

TEST_F(ModerationQueueTest, ListsCountsAndPagesThePendingItems) {
  const std::string a = held(kit_, "uncertain_match; parent_upload", 30);
  const std::string b = held(kit_, "processing_error: model failed", 60 * 30);
  const std::string c = held(rose_, "parent_upload", 60 * 24 * 10);
  const QueuePage all = list("pending");
  EXPECT_EQ(all.total, 3);
  EXPECT_EQ(all.media_ids, (std::vector<std::string>{a, b, c}));
  EXPECT_EQ(all.by_reason, (std::map<std::string, std::int64_t>{
                               {"parent_upload", 2}, {"processing_error", 1}, {"uncertain_match", 1}}));
  EXPECT_EQ(all.by_age, (std::map<std::string, std::int64_t>{{"under_1h", 1}, {"under_1w", 1}, {"older", 1}}));
  EXPECT_FALSE(all.more);

  const QueuePage first = list("pending", 0, 2);
  EXPECT_EQ(first.media_ids, (std::vector<std::string>{a, b}));
  EXPECT_TRUE(first.more);
  EXPECT_EQ(list("pending", 0, 2, first.last_row).media_ids, std::vector<std::string>{c});

  const QueuePage patel = list("pending", patel_);
  EXPECT_EQ(patel.total, 2) << "Mrs Patel is Kit's key person, not Rose's";
  EXPECT_EQ(patel.by_reason.count("parent_upload"), 1u);
}

TEST_F(ModerationQueueTest, DecisionsNameAccountsAndAnItemIsListedByItsLatestRow) {
  const std::string a = held(kit_, "parent_upload", 5);
  {
    pqxx::work tx(*conn_);
    decide_moderation(tx, a, "approved", ada_, "fine", t0_);
    tx.commit();
  }
  EXPECT_EQ(list("pending").total, 0);
  EXPECT_EQ(list("approved").media_ids, std::vector<std::string>{a});
  {
    pqxx::work tx(*conn_);
    // Rejected after publication: a row is made for it, and it is listed as rejected only.
    decide_moderation(tx, a, "rejected", ada_, "", t0_);
    const auto latest = latest_moderation(tx, a);
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->state, "rejected");
    EXPECT_EQ(latest->decided_by_name, "Ada");
    EXPECT_FALSE(latest->note);
    tx.commit();
  }
  EXPECT_EQ(list("approved").total, 0);
  EXPECT_EQ(list("rejected").total, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM moderation"), "2");
  // decided_by references accounts (030), not people.
  pqxx::work tx(*conn_);
  EXPECT_THROW(tx.exec_params("UPDATE moderation SET decided_by = $1", ada_ + 1000), pqxx::foreign_key_violation);
}

TEST_F(ModerationQueueTest, APersonsFaceDecisionAndTheReprocessJob) {
  const std::string a = held(kit_, "parent_upload", 5);
  pqxx::work tx(*conn_);
  tx.exec_params("INSERT INTO faces (media_id, bbox, landmarks, det_score, decision, decision_reason) VALUES "
                 "($1, '{1,2,30,40}', '{1,2,3,4,5,6,7,8,9,10}', 0.9, 'keep', 'journal_owner')",
                 a);
  auto faces = media_faces(tx, a);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_TRUE(faces[0].has_landmarks);
  decide_face(tx, faces[0].id, "blur", "blurred_by_person", ada_, t0_);
  add_manual_face(tx, a, {50, 60, 20, 20}, "added_by_person", ada_, t0_);
  queue_reprocess(tx, a);
  faces = media_faces(tx, a);
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_EQ(faces[0].decision, "blur");
  EXPECT_EQ(faces[0].decided_by_name, "Ada");
  EXPECT_EQ(faces[0].decided_at, t0_);
  EXPECT_EQ(faces[1].n, 2);
  EXPECT_TRUE(faces[1].manual);
  EXPECT_FALSE(faces[1].has_landmarks);
  EXPECT_EQ(faces[1].bbox, (std::array<float, 4>{50, 60, 20, 20}));
  const auto media = find_media_view(tx, a);
  ASSERT_TRUE(media);
  EXPECT_EQ(media->state, "processing");
  EXPECT_EQ(media->reason, "parent_upload") << "kept while rendering again";
  EXPECT_EQ(media->journal_key_person, patel_);
  EXPECT_EQ(tx.exec1("SELECT kind || ' ' || state FROM jobs")[0].as<std::string>(), "reprocess queued");
  EXPECT_TRUE(has_pending_moderation(tx, a));
  EXPECT_FALSE(is_uuid("3f2c"));
  EXPECT_TRUE(is_uuid(a));
}

}  // namespace
}  // namespace veil

// What the journal front end may read (journal_renditions and the veil_journal role), the
// priorities of the job queue, and the stored decisions a render takes.
#include <set>

#include "jobs/stored_decisions.h"
#include "tests/reprocess/reprocess_fixture.h"

namespace veil {
namespace {

using test::read_file;
using test::testdata;

class ReprocessViewTest : public test::ReprocessTest {};

TEST_F(ReprocessViewTest, JournalRenditionsShowPublishedItemsOnlyAndItsRoleReadsNothingElse) {
  const std::string published = upload(stranger_photo(), "staff", journals_[0]);
  const std::string withdrawn = upload(kit_photo(), "staff", journals_[1]);
  const std::string held = upload(stranger_photo(), "parent");
  const std::string rejected = upload(testdata("robustness/corrupt/broken.png"), "staff", journals_[2]);
  ASSERT_EQ(run_jobs(), 4);
  {
    pqxx::work tx(*conn_);
    record_consent_change(tx, kit_, false, patel_, "letter", "test");
    tx.commit();
  }
  ASSERT_EQ(state_of(published), "published");
  ASSERT_EQ(state_of(withdrawn), "withdrawn");
  ASSERT_EQ(state_of(held), "held");
  ASSERT_EQ(state_of(rejected), "rejected");
  ASSERT_FALSE(renditions_of(withdrawn).empty()) << "its files wait for the job";
  ASSERT_FALSE(renditions_of(held).empty());

  const auto expected = renditions_of(published);
  ASSERT_FALSE(expected.empty());
  std::vector<test::RenditionRow> shown;
  std::set<std::string> items;
  {
    pqxx::work tx(*conn_);
    for (const auto& r : tx.exec("SELECT media_id::text, version, kind, path, sha256 FROM journal_renditions "
                                 "ORDER BY kind, version")) {
      items.insert(r[0].as<std::string>());
      shown.push_back({r[1].as<int>(), r[2].as<std::string>(), r[3].as<std::string>(), r[4].as<std::string>()});
    }
  }
  EXPECT_EQ(items, std::set<std::string>{published});
  EXPECT_EQ(shown, expected);

  // The front end's role.
  if (scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'veil_journal'") == "0")
    GTEST_SKIP() << "role veil_journal does not exist (the test user may not create roles)";
  if (scalar("SELECT rolsuper OR pg_has_role(current_user, 'veil_journal', 'MEMBER') FROM pg_roles "
             "WHERE rolname = current_user") != "t")
    GTEST_SKIP() << "the test user may not SET ROLE veil_journal";
  {
    pqxx::work tx(*conn_);
    tx.exec0("SET LOCAL ROLE veil_journal");
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM journal_renditions")[0].as<std::size_t>(), expected.size());
  }
  std::vector<std::string> tables;
  {
    pqxx::work tx(*conn_);
    for (const auto& r : tx.exec("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))
      tables.push_back(r[0].as<std::string>());
  }
  for (const char* t : {"media", "faces", "face_templates", "audit", "child_keys"})
    ASSERT_TRUE(std::find(tables.begin(), tables.end(), t) != tables.end()) << t;
  for (const auto& t : tables) {
    pqxx::work tx(*conn_);
    tx.exec0("SET LOCAL ROLE veil_journal");
    EXPECT_THROW(tx.exec("SELECT 1 FROM " + tx.quote_name(t) + " LIMIT 1"), pqxx::insufficient_privilege)
        << "veil_journal may read " << t;
  }
  {
    pqxx::work tx(*conn_);
    tx.exec0("SET LOCAL ROLE veil_journal");
    EXPECT_THROW(tx.exec("DELETE FROM journal_renditions"), pqxx::sql_error) << "the view is read only";
  }
}

class ReprocessQueueTest : public test::ReprocessTest {
 protected:
  // An item whose process job a worker has completed (without recording: the item stays
  // `processing`, a state reprocess jobs are queued for).
  std::string processed_item() {
    const std::string id = upload(stranger_photo(), "staff", journals_[0]);
    JobQueue queue(QueueOptions{});
    const auto job = queue.claim(*conn_, "test");
    EXPECT_TRUE(job && job->media_id == id);
    if (job) {
      EXPECT_TRUE(queue.complete(*conn_, *job, [](pqxx::transaction_base&) {}));
    }
    return id;
  }
};

TEST_F(ReprocessQueueTest, AWithdrawalIsClaimedBeforeUploadsAndABatchOnlyWhenAllowed) {
  const std::string item = processed_item();
  const std::string uploaded = upload(stranger_photo(), "staff", journals_[1]);  // its process job: older
  {
    pqxx::work tx(*conn_);
    EXPECT_EQ(queue_reprocess_jobs(tx, {item}, ReprocessCause{"consent", 42}, kPriorityWithdrawal), 1);
    tx.commit();
  }
  JobQueue queue(QueueOptions{});
  const auto first = queue.claim(*conn_, "test");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->media_id, item);
  EXPECT_EQ(first->kind, "reprocess");
  EXPECT_EQ(first->priority, kPriorityWithdrawal);
  EXPECT_TRUE(cites(nlohmann::json::parse(first->causes), "consent", 42)) << first->causes;
  const auto second = queue.claim(*conn_, "test");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->media_id, uploaded);
  EXPECT_EQ(second->kind, "process");
  EXPECT_FALSE(queue.claim(*conn_, "test"));
  for (const auto& j : {*first, *second}) ASSERT_TRUE(queue.complete(*conn_, j, [](pqxx::transaction_base&) {}));

  // An operator's batch waits while batches are not allowed.
  std::int64_t batch = 0;
  {
    pqxx::work tx(*conn_);
    batch = create_batch(tx, "test", R"({"child": 1})", 1);
    EXPECT_EQ(queue_reprocess_jobs(tx, {item}, ReprocessCause{"operator", batch}, kPriorityBatch, batch), 1);
    tx.commit();
  }
  EXPECT_FALSE(queue.claim(*conn_, "test", nullptr, false));
  const std::string later = upload(stranger_photo(), "staff", journals_[2]);
  const auto upload_job = queue.claim(*conn_, "test", nullptr, false);
  ASSERT_TRUE(upload_job);
  EXPECT_EQ(upload_job->media_id, later) << "uploads go on while the batch waits";
  ASSERT_TRUE(queue.complete(*conn_, *upload_job, [](pqxx::transaction_base&) {}));
  const auto batch_job = queue.claim(*conn_, "test", nullptr, true);
  ASSERT_TRUE(batch_job);
  EXPECT_EQ(batch_job->media_id, item);
  EXPECT_EQ(batch_job->priority, kPriorityBatch);
  EXPECT_EQ(batch_job->batch_id, batch);
}

TEST_F(ReprocessQueueTest, AQueuedJobTakesFurtherCausesAndTheHigherPriorityInsteadOfASecondJob) {
  const std::string item = processed_item();
  std::int64_t batch = 0;
  {
    pqxx::work tx(*conn_);
    batch = create_batch(tx, "test", R"({"all": true})", 1);
    EXPECT_EQ(queue_reprocess_jobs(tx, {item}, ReprocessCause{"operator", batch}, kPriorityBatch, batch), 1);
    EXPECT_EQ(queue_reprocess_jobs(tx, {item}, ReprocessCause{"consent", 7}, kPriorityWithdrawal), 1);
    EXPECT_EQ(queue_reprocess_jobs(tx, {item}, ReprocessCause{"template", 3}, kPriorityUpload), 1);
    tx.commit();
  }
  const auto queued = queued_jobs_of(item);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].priority, kPriorityWithdrawal);
  EXPECT_EQ(queued[0].batch_id, batch);
  EXPECT_TRUE(cites(queued[0].causes, "operator", batch));
  EXPECT_TRUE(cites(queued[0].causes, "consent", 7));
  EXPECT_TRUE(cites(queued[0].causes, "template", 3));
}

// Stored face rows for the decisions tests.
FaceView stored_face(std::array<float, 4> box, const std::string& decision, std::int64_t decided_by, int track = 0,
                     bool manual = false) {
  FaceView f;
  f.bbox = box;
  f.frame_or_track = track;
  for (std::size_t i = 0; i < f.landmarks.size(); ++i) f.landmarks[i] = box[i % 2] + static_cast<float>(i);
  f.has_landmarks = !manual;
  f.det_score = manual ? 0.f : 0.9f;
  f.decision = decision;
  f.reason = decided_by ? (decision == "keep" ? "unblurred_by_person" : "blurred_by_person") : "unknown";
  f.matched_child_id = 7;
  f.matched_child_name = "Kit";
  f.similarity = 0.7f;
  f.consent_event_id = 3;
  f.decided_by = decided_by;
  if (decided_by) f.decided_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'772'442'000));
  f.manual = manual;
  return f;
}

TEST(ReprocessDecisionsTest, DecidedFacesTakeTheStoredRowsAndVideoTracksOnlyWithEveryRow) {
  const std::vector<FaceView> stored = {stored_face({10, 20, 30, 40}, "keep", 0),
                                        stored_face({100, 20, 30, 40}, "blur", 5),
                                        stored_face({200, 20, 30, 40}, "keep", 0, 4),
                                        stored_face({300, 20, 30, 40}, "something else", 0)};
  std::vector<PersonDecision> people;
  const auto photo = decided_faces(stored, people);
  ASSERT_EQ(photo.size(), 3u) << "the track is left out";
  ASSERT_EQ(people.size(), 3u);
  EXPECT_EQ(photo[0].judgement.decision, Decision::keep);
  EXPECT_EQ(photo[1].judgement.decision, Decision::blur);
  EXPECT_EQ(photo[2].judgement.decision, Decision::blur) << "anything but keep is painted";
  EXPECT_EQ(photo[1].face.box.x, 100);
  EXPECT_EQ(photo[1].face.landmarks[2].x, stored[1].landmarks[4]);
  EXPECT_EQ(photo[1].judgement.reason, "blurred_by_person");
  EXPECT_EQ(photo[1].judgement.matched_child_id, 7);
  EXPECT_EQ(photo[1].judgement.consent_event_id, 3);
  EXPECT_EQ(people[0].decided_by, 0);
  EXPECT_EQ(people[1].decided_by, 5);
  EXPECT_TRUE(people[1].decided_at.has_value());

  const auto every = decided_faces(stored, people, true);
  ASSERT_EQ(every.size(), 4u);
  ASSERT_EQ(people.size(), 4u);
  EXPECT_EQ(every[2].face.box.x, 200);
  EXPECT_EQ(every[2].judgement.decision, Decision::keep);
}

TEST(ReprocessDecisionsTest, CarryPersonDecisionsToTheFacesTheyCoincideWithAndAddBoxesDrawnByHand) {
  const std::vector<FaceView> stored = {stored_face({100, 100, 50, 50}, "blur", 5),        // a person's blur
                                        stored_face({300, 100, 50, 50}, "keep", 0),        // the policy's
                                        stored_face({500, 100, 40, 40}, "blur", 6, 0, true)};  // drawn by hand
  PhotoFace near_person, near_policy, elsewhere;
  near_person.face.box = {104, 102, 50, 50};  // IoU with the person's face about 0.8
  near_person.judgement.decision = Decision::keep;
  near_person.judgement.reason = "journal_owner";
  near_policy.face.box = {302, 100, 50, 50};
  near_policy.judgement.decision = Decision::blur;
  near_policy.judgement.reason = "consent_no";
  elsewhere.face.box = {125, 100, 50, 50};  // IoU with the person's face 1/3: not the same face
  elsewhere.judgement.decision = Decision::keep;
  elsewhere.judgement.reason = "consent_yes";
  std::vector<PersonDecision> people;
  const auto faces = carry_person_decisions({near_person, near_policy, elsewhere}, stored, people);
  ASSERT_EQ(faces.size(), 4u);
  ASSERT_EQ(people.size(), 4u);
  EXPECT_EQ(faces[0].judgement.decision, Decision::blur) << "the person's decision wins";
  EXPECT_EQ(faces[0].judgement.reason, "blurred_by_person");
  EXPECT_EQ(faces[0].face.box.x, 104) << "on the new detection's box";
  EXPECT_EQ(people[0].decided_by, 5);
  EXPECT_EQ(faces[1].judgement.reason, "consent_no") << "the policy judges again what the policy decided";
  EXPECT_EQ(people[1].decided_by, 0);
  EXPECT_EQ(faces[2].judgement.reason, "consent_yes");
  EXPECT_EQ(people[2].decided_by, 0);
  EXPECT_EQ(faces[3].face.box.x, 500) << "the box drawn by hand comes last";
  EXPECT_EQ(faces[3].judgement.decision, Decision::blur);
  EXPECT_TRUE(people[3].manual);
  EXPECT_FALSE(people[3].has_landmarks);
  EXPECT_EQ(people[3].decided_by, 6);
  EXPECT_TRUE(has_person_decisions(stored));
  EXPECT_FALSE(has_person_decisions({stored[1]}));
}

}  // namespace
}  // namespace veil

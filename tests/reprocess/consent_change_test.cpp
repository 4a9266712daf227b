// Consent changes reach every published item (issue 18), on real PostgreSQL with the real
// models and media: the face index, a withdrawal taking every item showing a child out of view
// and rendering it again without him, consent given, nothing changed, a new template, a
// result recorded after a withdrawal it did not see, a rejected item.
#include <chrono>
#include <filesystem>
#include <map>

#include "tests/reprocess/reprocess_fixture.h"

namespace veil {
namespace {

using test::read_file;
using test::testdata;

using test::FaceRow;
using test::JobRow;
using test::RenditionRow;

class ReprocessTest : public test::ReprocessTest {};

TEST_F(ReprocessTest, EveryRecordedFaceKeepsItsEmbeddingAndTheItemItsDetectionSettings) {
  const std::string id = upload(group_photo(), "staff");
  ASSERT_EQ(run_jobs(), 1);
  ASSERT_EQ(state_of(id), "published");
  const auto faces = faces_of(id);
  ASSERT_GE(faces.size(), 3u) << "Kit, Rose and a stranger";
  for (const auto& f : faces) {
    EXPECT_EQ(f.embedding_size, 128) << "face " << f.id;
    EXPECT_EQ(f.embedder, config().models.embedder) << "face " << f.id;
  }
  EXPECT_EQ(scalar("SELECT detection FROM media WHERE id = '" + id + "'"), detection_settings(config()));

  // The index entry is the embedding the face was judged with: Kit's matches his templates,
  // and reading the index gives the same vectors.
  const auto kit = face_matched(id, kit_);
  ASSERT_TRUE(kit) << "Kit is recognised";
  pqxx::work tx(*conn_);
  const auto index = media_face_embeddings(tx, id);
  ASSERT_EQ(index.size(), faces.size());
  float best = -1;
  for (const auto& e : index) {
    if (e.face_id != kit->id) continue;
    for (const auto& t : child_templates(tx, kit_)) best = std::max(best, cosine_similarity(e.embedding, t));
  }
  EXPECT_GE(best, accept());
  std::set<std::int64_t> indexed;
  for (const auto& f : indexed_faces(tx, config().models.embedder)) indexed.insert(f.face_id);
  for (const auto& f : faces) EXPECT_TRUE(indexed.count(f.id)) << "face " << f.id << " is in the index";
  EXPECT_TRUE(indexed_faces(tx, "another_embedder.onnx").empty());
}

TEST_F(ReprocessTest, AWithdrawalTakesEveryItemShowingTheChildOutOfViewAndRendersItAgainWithoutHim) {
  // Kit kept in five other children's journals, in his own, and a photo without him.
  std::vector<std::string> others;
  for (int i = 0; i < 5; ++i) others.push_back(upload(kit_photo(), "staff", journals_[i]));
  const std::string own = upload(kit_photo(), "staff");
  const std::string without = upload(stranger_photo(), "staff", journals_[5]);
  ASSERT_EQ(run_jobs(), 7);
  const auto kit_templates = templates_of(kit_);
  std::map<std::string, std::vector<RenditionRow>> before;
  for (const auto& id : others) {
    ASSERT_EQ(state_of(id), "published") << id;
    const auto kit = face_matched(id, kit_);
    ASSERT_TRUE(kit) << id;
    ASSERT_EQ(kit->decision, "keep");
    ASSERT_EQ(kit->reason, "consent_yes");
    before[id] = renditions_of(id);
    ASSERT_FALSE(before[id].empty());
    EXPECT_GT(in_view(id), 0);
  }
  // The check below can see Kit: before the withdrawal his face is in the rendition.
  EXPECT_GE(best_similarity(display_of(before[others[0]]), kit_templates), accept());
  const auto own_before = renditions_of(own);
  const auto without_before = renditions_of(without);
  ASSERT_EQ(state_of(without), "published");
  ASSERT_FALSE(without_before.empty());
  std::map<std::string, std::string> without_bytes;
  for (const auto& r : without_before) without_bytes[r.path] = read_file(r.path);

  pqxx::connection other(db_.url());  // what the journal front end sees meanwhile
  ConsentChange change;
  {
    pqxx::work tx(*conn_);
    change = record_consent_change(tx, kit_, false, patel_, "letter from Kit's mum", "test");
    {
      pqxx::read_transaction look(other);
      for (const auto& id : others)
        EXPECT_EQ(look.exec_params1("SELECT state FROM media WHERE id = $1", id)[0].as<std::string>(), "published")
            << "nothing changes before the commit";
    }
    tx.commit();
  }
  ASSERT_GT(change.consent_event_id, kit_yes_);
  EXPECT_EQ(change.queued, 5);
  std::set<std::string> withdrawn;
  for (const auto& w : change.withdrawn) {
    withdrawn.insert(w.media_id);
    EXPECT_EQ(w.state, "withdrawn");
  }
  EXPECT_EQ(withdrawn, std::set<std::string>(others.begin(), others.end()));
  for (const auto& id : others) {
    pqxx::read_transaction look(other);
    EXPECT_EQ(look.exec_params1("SELECT state FROM media WHERE id = $1", id)[0].as<std::string>(), "withdrawn");
    EXPECT_EQ(look.exec_params1("SELECT count(*) FROM journal_renditions WHERE media_id = $1", id)[0].as<int>(), 0)
        << "out of the journal's view at the commit";
    const auto queued = queued_jobs_of(id);
    ASSERT_EQ(queued.size(), 1u) << id;
    EXPECT_EQ(queued[0].kind, "reprocess");
    EXPECT_EQ(queued[0].priority, kPriorityWithdrawal);
    EXPECT_TRUE(cites(queued[0].causes, "consent", change.consent_event_id)) << queued[0].causes.dump();
  }
  for (const auto& id : {own, without}) {
    EXPECT_EQ(state_of(id), "published") << "Kit in his own journal, and a photo without him, stay";
    EXPECT_TRUE(queued_jobs_of(id).empty());
  }
  EXPECT_EQ(audit_details(own, "media.processed").size(), 1u);

  EXPECT_EQ(run_jobs(), 5);
  for (const auto& id : others) {
    EXPECT_EQ(state_of(id), "published") << id;
    const auto after = renditions_of(id);
    ASSERT_EQ(after.size(), before[id].size());
    for (std::size_t i = 0; i < after.size(); ++i) {
      EXPECT_GT(after[i].version, before[id][i].version) << "a new version";
      EXPECT_NE(after[i].sha256, before[id][i].sha256);
      EXPECT_TRUE(std::filesystem::exists(after[i].path)) << after[i].path;
      EXPECT_FALSE(std::filesystem::exists(before[id][i].path)) << "old file deleted: " << before[id][i].path;
    }
    EXPECT_EQ(in_view(id), static_cast<int>(after.size()));
    const auto kit = face_matched(id, kit_);
    ASSERT_TRUE(kit) << id;
    EXPECT_EQ(kit->decision, "blur");
    EXPECT_EQ(kit->reason, "consent_no");
    EXPECT_EQ(kit->consent_event, change.consent_event_id);
    EXPECT_EQ(kit->embedding_size, 128) << "the index entry stays";
    EXPECT_LT(best_similarity(display_of(after), kit_templates), accept()) << "Kit is not recognisable in " << id;
    const auto processed = audit_details(id, "media.processed");
    ASSERT_EQ(processed.size(), 2u);
    EXPECT_EQ(processed.back().value("job", ""), "reprocess");
    EXPECT_TRUE(cites(processed.back()["causes"], "consent", change.consent_event_id)) << processed.back().dump();
    EXPECT_EQ(processed.back().value("renditions_kept", true), false);
    EXPECT_EQ(processed.back().value("detected_again", true), false) << "judged from the index";
  }
  EXPECT_EQ(renditions_of(own), own_before);
  EXPECT_EQ(renditions_of(without), without_before) << "the photo without Kit is untouched";
  for (const auto& [path, bytes] : without_bytes) EXPECT_EQ(read_file(path), bytes) << path;
  EXPECT_EQ(audit_details(without, "media.processed").size(), 1u);
}

TEST_F(ReprocessTest, ConsentGivenRendersTheItemsShowingTheChildAgainWithHerFaceKept) {
  const std::string id = upload(rose_photo(), "staff", journals_[0]);
  ASSERT_EQ(run_jobs(), 1);
  ASSERT_EQ(state_of(id), "published") << reason_of(id);
  const auto rose = face_matched(id, rose_);
  ASSERT_TRUE(rose) << "Rose is recognised";
  ASSERT_EQ(rose->decision, "blur");
  ASSERT_EQ(rose->reason, "consent_no");
  const auto before = renditions_of(id);
  const auto rose_templates = templates_of(rose_);
  EXPECT_LT(best_similarity(display_of(before), rose_templates), accept()) << "blurred";

  ConsentChange change;
  {
    pqxx::work tx(*conn_);
    change = record_consent_change(tx, rose_, true, jones_, "new form", "test");
    tx.commit();
  }
  EXPECT_TRUE(change.withdrawn.empty());
  EXPECT_EQ(change.queued, 1);
  EXPECT_EQ(state_of(id), "published") << "what is on show is safe while the job waits";
  const auto queued = queued_jobs_of(id);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].priority, kPriorityUpload);
  EXPECT_TRUE(cites(queued[0].causes, "consent", change.consent_event_id));

  EXPECT_EQ(run_jobs(), 1);
  EXPECT_EQ(state_of(id), "published");
  const auto kept = face_matched(id, rose_);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->decision, "keep");
  EXPECT_EQ(kept->reason, "consent_yes");
  EXPECT_EQ(kept->consent_event, change.consent_event_id);
  const auto after = renditions_of(id);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_GT(after[i].version, before[i].version);
    EXPECT_FALSE(std::filesystem::exists(before[i].path)) << before[i].path;
  }
  EXPECT_GE(best_similarity(display_of(after), rose_templates), accept()) << "Rose is shown now";
}

TEST_F(ReprocessTest, NothingChangedKeepsTheRenditionsAndTheState) {
  const std::string published = upload(kit_photo(), "staff", journals_[0]);
  const std::string held = upload(kit_photo(), "parent");
  ASSERT_EQ(run_jobs(), 2);
  ASSERT_EQ(state_of(published), "published");
  ASSERT_EQ(state_of(held), "held");
  const std::string held_reason = scalar("SELECT reason FROM media WHERE id = '" + held + "'");
  std::map<std::string, std::vector<RenditionRow>> before;
  std::map<std::string, std::string> bytes;
  for (const auto& id : {published, held}) {
    before[id] = renditions_of(id);
    ASSERT_FALSE(before[id].empty());
    for (const auto& r : before[id]) bytes[r.path] = read_file(r.path);
  }
  std::int64_t batch = 0;
  {
    pqxx::work tx(*conn_);
    batch = create_batch(tx, "test", R"({"all": true})", 2);
    EXPECT_EQ(queue_reprocess_jobs(tx, {published, held}, ReprocessCause{"operator", batch}, kPriorityBatch, batch), 2);
    tx.commit();
  }
  EXPECT_EQ(run_jobs(), 2);
  for (const auto& id : {published, held}) {
    EXPECT_EQ(renditions_of(id), before[id]) << "same rows, same version and sha256";
    for (const auto& r : before[id]) EXPECT_EQ(read_file(r.path), bytes[r.path]) << r.path;
    for (const auto& f : faces_of(id)) EXPECT_EQ(f.embedding_size, 128) << "the index stays";
    const auto processed = audit_details(id, "media.processed");
    ASSERT_EQ(processed.size(), 2u);
    EXPECT_EQ(processed.back().value("renditions_kept", false), true) << processed.back().dump();
    EXPECT_EQ(processed.back().value("changed_faces", -1), 0);
    EXPECT_TRUE(cites(processed.back()["causes"], "operator", batch));
  }
  EXPECT_EQ(state_of(published), "published");
  EXPECT_EQ(state_of(held), "held");
  EXPECT_EQ(scalar("SELECT reason FROM media WHERE id = '" + held + "'"), held_reason);
  EXPECT_EQ(scalar("SELECT count(*) FROM moderation WHERE media_id = '" + held + "' AND state = 'pending'"), "1");
  pqxx::work tx(*conn_);
  const auto progress = batch_progress(tx, batch);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].done, 2);
  EXPECT_EQ(progress[0].queued, 0);
}

TEST_F(ReprocessTest, ANewTemplateReachesTheEarlierItemsItMatchesThroughTheIndex) {
  const std::string earlier = upload(testdata("faces/Colin_Powell/Colin_Powell_0002.jpg"), "staff", journals_[0]);
  const std::string unrelated = upload(stranger_photo(), "staff", journals_[1]);
  ASSERT_EQ(run_jobs(), 2);
  for (const auto& id : {earlier, unrelated}) {
    ASSERT_EQ(state_of(id), "published");
    const auto faces = faces_of(id);
    ASSERT_EQ(faces.size(), 1u) << id;
    ASSERT_EQ(faces[0].decision, "blur");
    ASSERT_EQ(faces[0].reason, "unknown");
  }
  const auto before = renditions_of(earlier);
  const auto unrelated_before = renditions_of(unrelated);

  std::int64_t colin = 0, tmpl = 0;
  int queued = 0;
  {
    pqxx::work tx(*conn_);
    colin = add_child(tx, "Colin", "Mr Jones", "test");
    record_consent(tx, colin, true, jones_, "signed form", "test");
    tmpl = enrol_photo(tx, colin, "faces/Colin_Powell/Colin_Powell_0001.jpg");
    ASSERT_NE(tmpl, 0);
    queued = queue_after_template(tx, config(), tmpl, "template");
    tx.commit();
  }
  EXPECT_EQ(queued, 1);
  const auto jobs = queued_jobs_of(earlier);
  ASSERT_EQ(jobs.size(), 1u) << "the earlier photo of Colin is reached";
  EXPECT_TRUE(cites(jobs[0].causes, "template", tmpl)) << jobs[0].causes.dump();
  EXPECT_TRUE(queued_jobs_of(unrelated).empty()) << "a photo of someone else is not";

  EXPECT_EQ(run_jobs(), 1);
  EXPECT_EQ(state_of(earlier), "published");
  const auto faces = faces_of(earlier);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(faces[0].child, colin);
  EXPECT_EQ(faces[0].decision, "keep");
  EXPECT_EQ(faces[0].reason, "consent_yes");
  const auto after = renditions_of(earlier);
  ASSERT_FALSE(after.empty());
  EXPECT_GT(after[0].version, before[0].version);
  EXPECT_EQ(renditions_of(unrelated), unrelated_before);
}

TEST_F(ReprocessTest, AResultRecordedAfterAWithdrawalItDidNotSeeIsRecordedOutOfView) {
  const std::string id = upload(kit_photo(), "staff", journals_[0]);
  JobQueue queue(QueueOptions{});
  const auto job = queue.claim(*conn_, "test");
  ASSERT_TRUE(job);
  ASSERT_EQ(job->media_id, id);
  // run() reads the consents (Kit: yes) ...
  const auto result = processor().run(*conn_, *job, original_of(id));
  // ... Kit's consent is withdrawn before the result is recorded: the item is not published
  // yet, so the withdrawal finds nothing to take out of view ...
  ConsentChange change;
  {
    pqxx::work tx(*conn_);
    change = record_consent_change(tx, kit_, false, patel_, "letter", "test");
    tx.commit();
  }
  EXPECT_TRUE(change.withdrawn.empty());
  // ... and the recording sees the withdrawal.
  MediaState state = MediaState::published;
  ASSERT_TRUE(queue.complete(*conn_, *job, [&](pqxx::transaction_base& tx) {
    state = processor().record(tx, result, renditions_);
  }));
  processor().committed(result, renditions_);
  EXPECT_EQ(state, MediaState::withdrawn);
  EXPECT_EQ(state_of(id), "withdrawn");
  EXPECT_EQ(in_view(id), 0);
  const auto queued = queued_jobs_of(id);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].kind, "reprocess");
  EXPECT_EQ(queued[0].priority, kPriorityWithdrawal);
  EXPECT_TRUE(cites(queued[0].causes, "consent", change.consent_event_id)) << queued[0].causes.dump();

  EXPECT_EQ(run_jobs(), 1);
  EXPECT_EQ(state_of(id), "published");
  const auto kit = face_matched(id, kit_);
  ASSERT_TRUE(kit);
  EXPECT_EQ(kit->decision, "blur");
  EXPECT_EQ(kit->reason, "consent_no");
  EXPECT_LT(best_similarity(display_of(renditions_of(id)), templates_of(kit_)), accept());
}

TEST_F(ReprocessTest, AReprocessJobForARejectedItemDoesNothing) {
  const std::string id = upload(testdata("robustness/corrupt/broken.png"), "staff", journals_[0]);
  ASSERT_EQ(run_jobs(), 1);
  ASSERT_EQ(state_of(id), "rejected");
  const std::string reason = scalar("SELECT reason FROM media WHERE id = '" + id + "'");
  {
    pqxx::work tx(*conn_);
    EXPECT_EQ(queue_reprocess_jobs(tx, {id}, ReprocessCause{"operator", 0}, kPriorityUpload), 0)
        << "a rejected item is not queued";
    JobQueue::enqueue(tx, id, "reprocess");  // queued anyway (before it was rejected, say)
    tx.commit();
  }
  const auto audit_before = audit_rows().size();
  EXPECT_EQ(run_jobs(), 1);
  EXPECT_EQ(state_of(id), "rejected");
  EXPECT_EQ(scalar("SELECT reason FROM media WHERE id = '" + id + "'"), reason);
  EXPECT_TRUE(renditions_of(id).empty());
  EXPECT_TRUE(faces_of(id).empty());
  const auto rows = audit_rows();
  ASSERT_EQ(rows.size(), audit_before + 1);
  EXPECT_EQ(rows.back().action, "media.reprocess_skipped");
  EXPECT_EQ(nlohmann::json::parse(rows.back().detail).value("state", ""), "rejected");
  EXPECT_EQ(audit_details(id, "media.processed").size(), 1u);
}

TEST_F(ReprocessTest, AFaceDecidedByAPersonKeepsItsIndexEntryWhenRenderedAgain) {
  const std::string id = upload(group_photo(), "staff");
  ASSERT_EQ(run_jobs(), 1);
  const Item first = service_->show(*conn_, ada_, id);
  const ItemFace* kit = face_of(first, kit_);
  ASSERT_NE(kit, nullptr);
  service_->blur(*conn_, ada_, id, kit->n, std::chrono::system_clock::now());
  ASSERT_EQ(run_jobs(), 1);
  const auto faces = faces_of(id);
  bool person = false;
  for (const auto& f : faces) {
    person = person || f.decided_by != 0;
    EXPECT_EQ(f.embedding_size, 128) << "face " << f.id << " decided by " << f.decided_by;
  }
  EXPECT_TRUE(person);
  // Judged again from the index, not detected again.
  {
    pqxx::work tx(*conn_);
    queue_reprocess_jobs(tx, {id}, ReprocessCause{"operator", 0}, kPriorityUpload);
    tx.commit();
  }
  ASSERT_EQ(run_jobs(), 1);
  const auto processed = audit_details(id, "media.processed");
  ASSERT_FALSE(processed.empty());
  EXPECT_EQ(processed.back().value("detected_again", true), false) << processed.back().dump();
  EXPECT_EQ(processed.back().value("renditions_kept", false), true);
}

}  // namespace
}  // namespace veil

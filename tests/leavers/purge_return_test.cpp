// The purge after the grace period and a return within it (issue 19), on real PostgreSQL with
// the real models and media: after the purge no file, row, template or embedding of the child
// remains but the anonymised audit rows, an original copied aside cannot be decrypted, the
// child's faces in other journals are rendered again blurred, and the audit chain verifies; a
// return restores everything.
#include <chrono>
#include <filesystem>
#include <thread>

#include "daemon/purge_schedule.h"

#include "leavers/purge.h"
#include "storage/audit_log.h"
#include "tests/leavers/leavers_fixture.h"

namespace veil {
namespace {

using test::read_file;

class PurgeTest : public test::LeaversTest {
 protected:
  // Kit's own journal (a photo of him, a group photo) and Kit kept under his consent in
  // Amara's and Ben's journals.
  void make_journals() {
    own_ = {upload(kit_photo(), "staff"), upload(group_photo(), "staff")};
    elsewhere_ = {upload(kit_photo(), "staff", journals_[0]), upload(kit_photo(), "staff", journals_[1])};
    ASSERT_EQ(run_all(), 4);
    for (const auto& id : elsewhere_) {
      const auto kit = face_matched(id, kit_);
      ASSERT_TRUE(kit) << reason_of(id);
      ASSERT_EQ(kit->decision, "keep") << "consent yes";
      ASSERT_EQ(state_of(id), "published");
    }
    kit_templates_ = templates_of(kit_);
    ASSERT_FALSE(kit_templates_.empty());
  }

  std::vector<std::string> own_, elsewhere_;
  std::vector<Embedding> kit_templates_;
};

TEST_F(PurgeTest, AfterThePurgeNothingOfTheChildRemainsButTheAnonymisedAuditRows) {
  make_journals();
  // An original copied aside, as a backup of the blob store would keep it.
  const std::string aside = data_ + "/backup.orig";
  std::filesystem::copy_file(original_path(originals_, kit_, own_[0]), aside);
  const std::string plain = read_original(aside, child_data_key(*conn_, master_, kit_, false), own_[0]);
  ASSERT_FALSE(plain.empty());
  std::vector<std::string> own_files;
  for (const auto& id : own_)
    for (const auto& r : renditions_of(id)) own_files.push_back(r.path);

  // Left long ago: the grace period is over. Only the export runs before the purge, so that
  // the purge itself takes Kit's items in other journals out of view.
  const auto left = leave(kit_, "2026-01-05");
  EXPECT_EQ(left.leaver.purge_due, "2026-02-04") << "30 days of grace by default";
  ASSERT_EQ(run_all("export"), 1);
  const std::string export_path = leaver_export_path(settings_, kit_);
  ASSERT_TRUE(std::filesystem::exists(export_path));
  {
    pqxx::work tx(*conn_);
    ASSERT_EQ(queue_due_purges(tx), 1);
    EXPECT_EQ(queue_due_purges(tx), 0) << "one purge job per leaver";
    tx.commit();
  }
  ASSERT_EQ(run_all("purge"), 1);
  ASSERT_EQ(last_summary_.value("purged", false), true) << last_summary_.dump();
  EXPECT_EQ(last_summary_["media"], 2);
  EXPECT_EQ(last_summary_["withdrawn_elsewhere"], 2);

  // Out of view at once, as for a withdrawal; the faces no longer linked to Kit, nor embedded.
  for (const auto& id : elsewhere_) {
    EXPECT_EQ(state_of(id), "withdrawn") << id;
    EXPECT_EQ(in_view(id), 0);
    for (const auto& f : faces_of(id)) {
      EXPECT_NE(f.child, kit_);
      if (f.reason == "consent_yes") {
        EXPECT_EQ(f.embedding_size, 0) << "the index entry of Kit's face is gone";
      }
    }
  }

  // No row of Kit.
  const std::string kit = std::to_string(kit_);
  EXPECT_EQ(count("SELECT count(*) FROM children WHERE id = " + kit), 0);
  EXPECT_EQ(count("SELECT count(*) FROM face_templates WHERE child_id = " + kit), 0);
  EXPECT_EQ(count("SELECT count(*) FROM consent_events WHERE child_id = " + kit), 0);
  EXPECT_EQ(count("SELECT count(*) FROM child_keys WHERE child_id = " + kit), 0);
  EXPECT_EQ(count("SELECT count(*) FROM leavers"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM media WHERE journal_child_id = " + kit), 0);
  EXPECT_EQ(count("SELECT count(*) FROM faces WHERE matched_child_id = " + kit), 0);
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE child_id = " + kit), 0);
  for (const auto& id : own_) {
    EXPECT_EQ(count("SELECT count(*) FROM media WHERE id = '" + id + "'"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM faces WHERE media_id = '" + id + "'"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM renditions WHERE media_id = '" + id + "'"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM moderation WHERE media_id = '" + id + "'"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE media_id = '" + id + "'"), 0);
    EXPECT_FALSE(std::filesystem::exists(renditions_ + "/" + id));
  }
  // No file of Kit.
  for (const auto& f : own_files) EXPECT_FALSE(std::filesystem::exists(f)) << f;
  EXPECT_FALSE(std::filesystem::exists(export_path));
  EXPECT_FALSE(std::filesystem::exists(originals_ + "/" + kit));

  // The copy aside cannot be decrypted: the key is gone, and a new one cannot be made for him.
  EXPECT_THROW(child_data_key(*conn_, master_, kit_, false), StorageError);
  EXPECT_ANY_THROW(child_data_key(*conn_, master_, kit_, true));

  // The audit log: unchanged rows, still a valid chain, no name; the purge named by reference.
  const auto check = verify_audit(*conn_);
  EXPECT_TRUE(check.ok) << check.problem;
  bool purged_row = false;
  for (const auto& r : audit_rows()) {
    EXPECT_EQ(r.detail.find("Kit"), std::string::npos) << r.action << " " << r.detail;
    if (r.action == "child.purged") {
      purged_row = true;
      EXPECT_EQ(nlohmann::json::parse(r.detail)["child_ref"], child_reference(master_, kit_));
    }
  }
  EXPECT_TRUE(purged_row);
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE action = 'child.purged' AND child_id IS NULL"), 1);
  EXPECT_NE(child_reference(master_, kit_), child_reference(master_, rose_));

  // Rendered again with Kit blurred: an unknown face now, nowhere recognisable.
  EXPECT_EQ(run_all(), 2);
  for (const auto& id : elsewhere_) {
    EXPECT_EQ(state_of(id), "published") << reason_of(id);
    EXPECT_GT(in_view(id), 0);
    for (const auto& f : faces_of(id)) {
      EXPECT_EQ(f.decision, "blur") << reason_of(id);
      EXPECT_NE(f.child, kit_);
    }
    EXPECT_LT(best_similarity(display_of(renditions_of(id)), kit_templates_), accept())
        << "Kit is not recognisable in " << id;
  }
  EXPECT_EQ(count("SELECT count(*) FROM faces WHERE matched_child_id = " + kit), 0);
  EXPECT_TRUE(verify_audit(*conn_).ok);
}

TEST_F(PurgeTest, NothingIsPurgedBeforeTheGracePeriodEnds) {
  make_journals();
  leave(kit_);  // today: due in 30 days
  pqxx::work tx(*conn_);
  EXPECT_EQ(queue_due_purges(tx), 0);
  EXPECT_FALSE(purge_child(tx, kit_, settings_, 0, "test")) << "not due";
  tx.commit();
  EXPECT_EQ(count("SELECT count(*) FROM children WHERE id = " + std::to_string(kit_)), 1);
}

TEST_F(PurgeTest, VeildsDailyLookQueuesTheDuePurgesOnce) {
  leave(kit_, "2026-01-05");
  leave(rose_);  // not due
  PurgeSchedule schedule(db_.url(), 3600);
  schedule.start();  // looks at once, then hourly here (daily in veild)
  const std::string purges = "SELECT count(*) FROM jobs WHERE kind = 'purge' AND child_id = " + std::to_string(kit_);
  for (int i = 0; i < 100 && count(purges) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  schedule.stop();
  EXPECT_EQ(count(purges), 1);
  EXPECT_EQ(schedule.run_once(), 0) << "one purge job per leaver";
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE kind = 'purge'"), 1);
}

TEST_F(PurgeTest, AReturnWithinTheGracePeriodRestoresEverything) {
  make_journals();
  std::map<std::string, std::vector<test::RenditionRow>> own_before;
  for (const auto& id : own_) own_before[id] = renditions_of(id);
  const auto templates = count("SELECT count(*) FROM face_templates WHERE child_id = " + std::to_string(kit_));

  const auto left = leave(kit_);
  EXPECT_EQ(left.reprocess_queued, 2) << "Kit's items in other journals";
  EXPECT_EQ(run_all(), 3) << "the export and the two items";
  const std::string export_path = leaver_export_path(settings_, kit_);
  ASSERT_TRUE(std::filesystem::exists(export_path));
  for (const auto& id : elsewhere_)
    for (const auto& f : faces_of(id)) EXPECT_EQ(f.decision, "blur") << "his templates stopped matching";
  for (const auto& id : own_) EXPECT_EQ(renditions_of(id), own_before[id]) << "his own journal stays as it was";

  ReturnResult back;
  {
    pqxx::work tx(*conn_);
    back = return_child(tx, kit_, config(), "test");
    tx.commit();
  }
  EXPECT_EQ(back.export_path, export_path);
  std::filesystem::remove(back.export_path);  // what veil children return does after the commit
  EXPECT_EQ(back.reprocess_queued, 4) << "the items his templates reach: his own two and two elsewhere";
  EXPECT_EQ(run_all(), 4);

  EXPECT_EQ(scalar("SELECT status FROM children WHERE id = " + std::to_string(kit_)), "active");
  EXPECT_EQ(scalar("SELECT left_at FROM children WHERE id = " + std::to_string(kit_)), "NULL");
  EXPECT_EQ(count("SELECT count(*) FROM leavers"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM face_templates WHERE child_id = " + std::to_string(kit_)), templates);
  for (const auto& id : own_) {
    EXPECT_EQ(state_of(id), "published");
    EXPECT_EQ(renditions_of(id), own_before[id]);
  }
  for (const auto& id : elsewhere_) {
    EXPECT_EQ(state_of(id), "published");
    const auto kit = face_matched(id, kit_);
    ASSERT_TRUE(kit) << reason_of(id);
    EXPECT_EQ(kit->decision, "keep") << "shown again under his consent";
  }
  EXPECT_GE(best_similarity(display_of(renditions_of(elsewhere_[0])), kit_templates_), accept());
  // No purge can happen now, and a second return is refused.
  pqxx::work tx(*conn_);
  EXPECT_EQ(queue_due_purges(tx), 0);
  EXPECT_FALSE(purge_child(tx, kit_, settings_, 0, "test"));
  EXPECT_THROW(return_child(tx, kit_, config(), "test"), std::invalid_argument);
  tx.abort();
  EXPECT_TRUE(verify_audit(*conn_).ok);
  const auto actions = audit_actions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "leaver.returned"), actions.end());
}

}  // namespace
}  // namespace veil

// Face changes on real PostgreSQL with real models, rendered again by the worker's path: a
// face blurred and unblurred by a person, a box added by hand, a face assigned to a child;
// the item returns to the state it had, with a new rendition version and the old files gone.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/moderation/moderation_fixture.h"

namespace veil {
namespace {

using Code = ModerationError::Code;

class FaceChangesTest : public test::ModerationTest {
 protected:
  TimePoint now() const { return std::chrono::system_clock::now(); }

  // The item after its reprocess job ran.
  Item rendered(const std::string& id) {
    EXPECT_EQ(scalar("SELECT state FROM media WHERE id = '" + id + "'"), "processing");
    EXPECT_EQ(run_jobs(), 1);
    return service_->show(*conn_, ada_, id);
  }
};

TEST_F(FaceChangesTest, BlurThenUnblurTheJournalOwnersFaceRendersAgainAndReturnsToHeld) {
  const std::string photo = group_photo();
  const std::string id = upload(photo, "parent");
  ASSERT_EQ(run_jobs(), 1);
  const Item first = service_->show(*conn_, ada_, id);
  ASSERT_EQ(first.state, "held");
  const ItemFace* kit = face_of(first, kit_);
  ASSERT_NE(kit, nullptr) << item_json(first, true).dump();
  ASSERT_EQ(kit->decision, "keep");
  const int n = kit->n;
  const auto box = kit->box;
  EXPECT_LT(box_difference(display_path(first), photo, box), 8) << "Kit is shown in his own journal";

  const ActionResult blurred = service_->blur(*conn_, ada_, id, n, now());
  EXPECT_EQ(blurred.item.state, "processing");
  EXPECT_EQ(blurred.event.name, "media.processing");
  EXPECT_EQ(scalar("SELECT kind || ' ' || state FROM jobs ORDER BY id DESC LIMIT 1"), "reprocess queued");
  EXPECT_EQ(refusal_code([&] { service_->unblur(*conn_, ada_, id, n, now()); }), Code::kConflict)
      << "no change while the item is being rendered";

  const Item second = rendered(id);
  EXPECT_EQ(second.state, "held") << "held items stay in the queue";
  EXPECT_EQ(second.reasons, std::vector<std::string>{"parent_upload"});
  EXPECT_EQ(second.version, 2);
  EXPECT_EQ(second.faces.size(), first.faces.size());
  EXPECT_EQ(second.faces[n - 1].decision, "blur");
  EXPECT_EQ(second.faces[n - 1].reason, "blurred_by_person");
  EXPECT_EQ(second.faces[n - 1].decided_by.value_or(""), "Ada");
  EXPECT_TRUE(second.faces[n - 1].may_unblur) << "Kit is the journal's own child";
  EXPECT_GT(box_difference(display_path(second), photo, box), 20) << "painted in the new version";
  for (const auto& r : first.renditions) EXPECT_FALSE(std::filesystem::exists(r.path)) << "old files gone: " << r.path;
  EXPECT_EQ(scalar("SELECT count(*) FROM moderation WHERE media_id = '" + id + "' AND state = 'pending'"), "1");

  const ActionResult unblurred = service_->unblur(*conn_, ada_, id, n, now());
  EXPECT_EQ(unblurred.item.state, "processing");
  const Item third = rendered(id);
  EXPECT_EQ(third.state, "held");
  EXPECT_EQ(third.version, 3);
  EXPECT_EQ(third.faces[n - 1].decision, "keep");
  EXPECT_EQ(third.faces[n - 1].reason, "unblurred_by_person");
  EXPECT_LT(box_difference(display_path(third), photo, box), 8) << "shown again, as in the original";
  for (const auto& r : second.renditions) EXPECT_FALSE(std::filesystem::exists(r.path)) << r.path;
  for (const auto& r : third.renditions) EXPECT_TRUE(std::filesystem::exists(r.path)) << r.path;

  std::vector<std::string> actions;
  for (const auto& row : audit_rows())
    if (row.actor == "Ada") actions.push_back(row.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"face.blurred", "face.unblurred"}));
}

TEST_F(FaceChangesTest, ABoxAddedByHandIsPaintedAndKeptWhenRenderedAgain) {
  const std::string photo = group_photo();
  const std::string id = upload(photo, "staff");
  ASSERT_EQ(run_jobs(), 1);
  const Item first = service_->show(*conn_, ada_, id);
  ASSERT_EQ(first.state, "published");
  const ItemFace* kit = face_of(first, kit_);
  ASSERT_NE(kit, nullptr);
  // A box drawn over Kit's kept face: whatever is under it, a box drawn by hand is painted.
  const auto box = kit->box;
  const ActionResult added = service_->add_face(*conn_, ada_, id, box, now());
  EXPECT_EQ(added.item.faces.size(), first.faces.size() + 1);
  EXPECT_TRUE(added.item.faces.back().manual);
  EXPECT_EQ(added.item.faces.back().reason, "added_by_person");
  const Item second = rendered(id);
  EXPECT_EQ(second.state, "published") << "a published item is published again";
  EXPECT_GT(box_difference(display_path(second), photo, box), 20);
  EXPECT_EQ(audit_rows().back().action, "media.processed");

  // Blurring another face renders again: the box drawn by hand stays, decided by Ada.
  const ItemFace* rose = face_of(second, rose_);
  ASSERT_NE(rose, nullptr);
  service_->blur(*conn_, sam_, id, rose->n, now());
  const Item third = rendered(id);
  ASSERT_EQ(third.faces.size(), second.faces.size());
  EXPECT_TRUE(third.faces.back().manual);
  EXPECT_EQ(third.faces.back().decided_by.value_or(""), "Ada");
  EXPECT_EQ(third.faces[rose->n - 1].decided_by.value_or(""), "Sam");
  EXPECT_GT(box_difference(display_path(third), photo, box), 20);

  EXPECT_EQ(refusal_code([&] { service_->add_face(*conn_, ada_, id, {0, 0, 0, 10}, now()); }), Code::kBadRequest);
  EXPECT_EQ(refusal_code([&] { service_->add_face(*conn_, ada_, id, {5000, 10, 20, 20}, now()); }), Code::kBadRequest);
}

TEST_F(FaceChangesTest, AssignAddsATemplateAndTheConsentRuleDecidesTheFace) {
  const std::string photo = group_photo();
  const std::string id = upload(photo, "staff");
  ASSERT_EQ(run_jobs(), 1);
  const Item first = service_->show(*conn_, ada_, id);
  // The unknown man becomes Paul, a child whose consent allows photos in others' journals.
  std::int64_t paul = 0;
  {
    pqxx::work tx(*conn_);
    paul = add_child(tx, "Paul", "Mr Jones", "test");
    record_consent(tx, paul, true, jones_, "signed form", "test");
    tx.commit();
  }
  const ItemFace* unknown = nullptr;
  for (const auto& f : first.faces)
    if (!f.child) unknown = &f;
  ASSERT_NE(unknown, nullptr) << item_json(first, false).dump();
  ASSERT_EQ(unknown->decision, "blur");
  const auto box = unknown->box;
  const int n = unknown->n;
  EXPECT_GT(box_difference(display_path(first), photo, box), 20);

  const ActionResult r = service_->assign(*conn_, ada_, id, n, paul, now());
  EXPECT_EQ(r.item.faces[n - 1].child->name, "Paul");
  EXPECT_EQ(r.item.faces[n - 1].decision, "keep");
  EXPECT_EQ(r.item.faces[n - 1].reason, "consent_yes");
  EXPECT_EQ(scalar("SELECT count(*) FROM face_templates WHERE child_id = " + std::to_string(paul)), "1");
  const Item second = rendered(id);
  EXPECT_EQ(second.state, "published");
  EXPECT_LT(box_difference(display_path(second), photo, box), 8) << "Paul is shown now";
  EXPECT_EQ(refusal_code([&] { service_->assign(*conn_, ada_, id, n, 999999, now()); }), Code::kNotFound);
}

TEST_F(FaceChangesTest, TheCliBlursAFaceAsAnAccountAndTheWorkerPaintsIt) {
  const std::string photo = group_photo();
  const std::string id = upload(photo, "parent");
  ASSERT_EQ(run_jobs(), 1);
  const Item before = service_->show(*conn_, ada_, id);
  const ItemFace* kit = face_of(before, kit_);
  ASSERT_NE(kit, nullptr);
  const auto box = kit->box;
  const auto r = test::run_command(test::binary_dir() + "/cli/veil --database-url '" + db_.url() + "' --data-dir " +
                                   data_ + " moderation blur " + id + " " + std::to_string(kit->n) + " --as Sam");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["state"], "processing");
  const Item after = rendered(id);
  EXPECT_EQ(after.state, "held");
  EXPECT_GT(box_difference(display_path(after), photo, box), 20);
  EXPECT_EQ(scalar("SELECT actor || ' ' || action FROM audit WHERE action = 'face.blurred'"), "Sam face.blurred");
}

TEST_F(FaceChangesTest, FaceChangesOnVideosAreRefused) {
  pqxx::work tx(*conn_);
  const std::string id =
      tx.exec_params1("INSERT INTO media (id, journal_child_id, uploader_role, kind, original_sha256, bytes, state) "
                      "VALUES (gen_random_uuid(), $1, 'staff', 'video', 'x', 1, 'held') RETURNING id::text",
                      kit_)[0]
          .as<std::string>();
  tx.commit();
  try {
    service_->blur(*conn_, ada_, id, 1, now());
    ADD_FAILURE() << "allowed";
  } catch (const ModerationError& e) {
    EXPECT_EQ(e.code(), Code::kConflict);
    EXPECT_EQ(std::string(e.what()), "face changes on videos are not supported yet");
  }
}

}  // namespace
}  // namespace veil

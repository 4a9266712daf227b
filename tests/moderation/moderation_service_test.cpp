// ModerationService on real PostgreSQL with real models: the queue, approve, reject, who may
// read and decide, the unblur rule's refusal, the face crop and the review image.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "pipeline/photo/review_marks.h"
#include "tests/moderation/moderation_fixture.h"

namespace veil {
namespace {

using Code = ModerationError::Code;

class ModerationServiceTest : public test::ModerationTest {
 protected:
  // A parent's upload of the group photo, processed: held for parent_upload.
  std::string held_item() {
    const std::string id = upload(group_photo(), "parent");
    EXPECT_EQ(run_jobs(), 1);
    EXPECT_EQ(scalar("SELECT state FROM media WHERE id = '" + id + "'"), "held");
    return id;
  }

  template <typename Call>
  Code refusal(Call call) {
    return refusal_code(call);
  }

  TimePoint now() const { return std::chrono::system_clock::now(); }
};

TEST_F(ModerationServiceTest, TheQueueListsHeldItemsWithCountsAndPages) {
  const std::string first = held_item(), second = held_item();
  const Page page = service_->list(*conn_, ada_, "pending", 1, "", now());
  EXPECT_EQ(page.total, 2);
  EXPECT_EQ(page.by_reason.at("parent_upload"), 2);
  EXPECT_EQ(page.by_age.at("under_1h"), 2);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, first) << "oldest first";
  ASSERT_TRUE(page.next);
  const Page rest = service_->list(*conn_, ada_, "pending", 1, *page.next, now());
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].id, second);
  EXPECT_FALSE(rest.next);

  const nlohmann::json j = page_json(page, false);
  EXPECT_EQ(j["total"], 2);
  EXPECT_EQ(j["counts"]["by_reason"]["parent_upload"], 2);
  const auto& item = j["items"][0];
  EXPECT_EQ(item["state"], "held");
  EXPECT_EQ(item["reasons"], nlohmann::json::array({"parent_upload"}));
  EXPECT_EQ(item["journal_child"]["name"], "Kit");
  EXPECT_EQ(item["uploader"]["role"], "parent");
  EXPECT_EQ(item["moderation"]["state"], "pending");
  EXPECT_EQ(item["version"], 1);
  EXPECT_GT(item["width"].get<int>(), 0);
  EXPECT_EQ(item["faces"].size(), 3u);
  EXPECT_FALSE(item["renditions"].empty());
  EXPECT_FALSE(item["renditions"][0].contains("path")) << "the API leaves paths out";
  EXPECT_TRUE(item_json(page.items[0], true)["renditions"][0].contains("path"));

  EXPECT_EQ(refusal([&] { service_->list(*conn_, ada_, "waiting", 10, "", now()); }), Code::kBadRequest);
  EXPECT_EQ(refusal([&] { service_->list(*conn_, ada_, "pending", 10, "999999", now()); }), Code::kBadRequest);
  EXPECT_EQ(refusal([&] { service_->list(*conn_, ada_, "pending", 0, "", now()); }), Code::kBadRequest);
}

TEST_F(ModerationServiceTest, ApprovePublishesAHeldItem) {
  const std::string id = held_item();
  const ActionResult r = service_->approve(*conn_, ada_, id, "fine", now());
  EXPECT_EQ(r.item.state, "published");
  EXPECT_EQ(r.event.name, "media.approved");
  EXPECT_EQ(r.event.media_id, id);
  EXPECT_EQ(r.event.state, MediaState::published);
  ASSERT_TRUE(r.item.moderation);
  EXPECT_EQ(r.item.moderation->state, "approved");
  EXPECT_EQ(r.item.moderation->decided_by.value_or(""), "Ada");
  EXPECT_EQ(r.item.moderation->note.value_or(""), "fine");
  EXPECT_EQ(scalar("SELECT state FROM media WHERE id = '" + id + "'"), "published");
  EXPECT_EQ(scalar("SELECT decided_by FROM moderation WHERE media_id = '" + id + "'"), std::to_string(ada_.id));
  const auto rows = audit_rows();
  EXPECT_EQ(rows.back().actor, "Ada");
  EXPECT_EQ(rows.back().action, "media.approved");
  EXPECT_EQ(refusal([&] { service_->approve(*conn_, ada_, id, "", now()); }), Code::kConflict) << "not held any more";
  EXPECT_TRUE(std::filesystem::exists(display_path(r.item)));
}

TEST_F(ModerationServiceTest, RejectDeletesTheRenditionFiles) {
  const std::string id = held_item();
  const Item before = service_->show(*conn_, sam_, id);
  ASSERT_FALSE(before.renditions.empty());
  const ActionResult r = service_->reject(*conn_, sam_, id, "wrong child", now());
  EXPECT_EQ(r.item.state, "rejected");
  EXPECT_EQ(r.event.name, "media.rejected");
  EXPECT_TRUE(r.item.renditions.empty());
  for (const auto& rendition : before.renditions) EXPECT_FALSE(std::filesystem::exists(rendition.path)) << rendition.path;
  EXPECT_EQ(scalar("SELECT state || ' ' || note FROM moderation WHERE media_id = '" + id + "'"), "rejected wrong child");
  EXPECT_EQ(audit_rows().back().action, "media.rejected");
  EXPECT_EQ(audit_rows().back().actor, "Sam");
}

TEST_F(ModerationServiceTest, RejectingAPublishedItemMakesItsModerationRow) {
  const std::string id = upload(group_photo(), "staff");
  run_jobs();
  ASSERT_EQ(scalar("SELECT state FROM media WHERE id = '" + id + "'"), "published");
  ASSERT_EQ(scalar("SELECT count(*) FROM moderation WHERE media_id = '" + id + "'"), "0");
  const ActionResult r = service_->reject(*conn_, ada_, id, "", now());
  EXPECT_EQ(r.item.state, "rejected");
  EXPECT_EQ(scalar("SELECT state || ' ' || decided_by FROM moderation WHERE media_id = '" + id + "'"),
            "rejected " + std::to_string(ada_.id));
  EXPECT_EQ(service_->list(*conn_, ada_, "rejected", 10, "", now()).total, 1);
}

TEST_F(ModerationServiceTest, StaffReadTheirKeyChildrensItemsOnlyAndDecideNothing) {
  const std::string id = held_item();
  EXPECT_EQ(service_->show(*conn_, patel_staff_, id).id, id) << "Mrs Patel is Kit's key person";
  EXPECT_EQ(refusal([&] { service_->show(*conn_, jones_staff_, id); }), Code::kNotFound);
  EXPECT_EQ(service_->list(*conn_, patel_staff_, "pending", 10, "", now()).total, 1);
  EXPECT_EQ(service_->list(*conn_, jones_staff_, "pending", 10, "", now()).total, 0);
  EXPECT_EQ(service_->media(*conn_, jones_staff_, {}, 0, 10, "").total, 0);
  EXPECT_EQ(refusal([&] { service_->approve(*conn_, patel_staff_, id, "", now()); }), Code::kForbidden);
  EXPECT_EQ(refusal([&] { service_->reject(*conn_, patel_staff_, id, "", now()); }), Code::kForbidden);
  EXPECT_EQ(refusal([&] { service_->blur(*conn_, patel_staff_, id, 1, now()); }), Code::kForbidden);
  EXPECT_EQ(refusal([&] { service_->face_crop(*conn_, patel_staff_, id, 1); }), Code::kForbidden);
  EXPECT_EQ(refusal([&] { service_->approve(*conn_, jones_staff_, id, "", now()); }), Code::kNotFound);
  for (const auto& f : service_->show(*conn_, patel_staff_, id).faces) EXPECT_FALSE(f.may_unblur);
  EXPECT_EQ(scalar("SELECT state FROM media WHERE id = '" + id + "'"), "held");
  EXPECT_EQ(refusal([&] { service_->show(*conn_, ada_, "not-a-uuid"); }), Code::kNotFound);
}

TEST_F(ModerationServiceTest, UnblurOfAChildWithoutConsentIsRefusedWithTheReason) {
  const std::string id = held_item();
  const Item item = service_->show(*conn_, ada_, id);
  const ItemFace* rose = face_of(item, rose_);
  ASSERT_NE(rose, nullptr) << item_json(item, false).dump();
  EXPECT_EQ(rose->decision, "blur");
  EXPECT_EQ(rose->reason, "consent_no");
  EXPECT_FALSE(rose->may_unblur);
  try {
    service_->unblur(*conn_, ada_, id, rose->n, now());
    ADD_FAILURE() << "unblur allowed";
  } catch (const ModerationError& e) {
    EXPECT_EQ(e.code(), Code::kConflict);
    EXPECT_NE(std::string(e.what()).find("Rose"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("consent_no"), std::string::npos) << e.what();
  }
  EXPECT_EQ(scalar("SELECT state FROM media WHERE id = '" + id + "'"), "held");
  EXPECT_EQ(scalar("SELECT count(*) FROM jobs WHERE kind = 'reprocess'"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM faces WHERE decided_by IS NOT NULL"), "0");
}

TEST_F(ModerationServiceTest, TheFaceCropIsAuditedAndTheReviewImageMarksEveryFace) {
  const std::string id = held_item();
  const Item item = service_->show(*conn_, sam_, id);
  const ItemFace* rose = face_of(item, rose_);
  ASSERT_NE(rose, nullptr);
  const cv::Mat crop = decode_bgr(service_->face_crop(*conn_, sam_, id, rose->n));
  // The box with a quarter of it around each side, cut by the photo's edges.
  EXPECT_GE(crop.rows, rose->box[3]);
  EXPECT_LE(crop.rows, rose->box[3] * 1.5 + 2);
  EXPECT_GE(crop.cols, rose->box[2]);
  EXPECT_LE(crop.cols, rose->box[2] * 1.5 + 2);
  const auto rows = audit_rows();
  EXPECT_EQ(rows.back().action, "face.viewed");
  EXPECT_EQ(rows.back().actor, "Sam");
  EXPECT_EQ(refusal([&] { service_->face_crop(*conn_, sam_, id, 9); }), Code::kNotFound);

  const cv::Mat review = decode_bgr(service_->review_image(*conn_, sam_, id));
  const cv::Mat display = cv::imread(display_path(item), cv::IMREAD_COLOR);
  ASSERT_EQ(review.size(), display.size());
  cv::Mat diff;
  cv::absdiff(review, display, diff);
  EXPECT_GT(cv::mean(diff)[2], 0.5) << "marks are drawn";
  EXPECT_EQ(audit_rows().size(), rows.size()) << "the review image shows only painted pixels: not audited";
}

}  // namespace
}  // namespace veil

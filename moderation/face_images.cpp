// ModerationService: the unblurred face crop and the review image.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "moderation/item_reader.h"
#include "moderation/moderation_service.h"
#include "moderation/original_image.h"
#include "moderation/service_impl.h"
#include "pipeline/photo/review_marks.h"
#include "storage/audit_log.h"
#include "storage/durable_file.h"

namespace veil {

using moderation_detail::readable_media;
using moderation_detail::refuse;
using moderation_detail::require_decider;
using Code = ModerationError::Code;

namespace {

// A crop's margin around the face box, as a share of the box on each side.
constexpr float kCropMargin = 0.25f;

}  // namespace

std::string ModerationService::face_crop(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                                         int n) const {
  MediaView media;
  std::array<float, 4> box{};
  {
    pqxx::read_transaction tx(db);
    media = readable_media(tx, who, media_id, false);
    require_decider(who);
    if (media.kind == "video") refuse(Code::kConflict, "face crops of videos are not supported yet");
    const auto faces = media_faces(tx, media.id);
    if (n < 1 || n > static_cast<int>(faces.size()))
      refuse(Code::kNotFound, "no face " + std::to_string(n) + " on this item (it has " + std::to_string(faces.size()) + ")");
    box = faces[n - 1].bbox;
  }
  const DecodedImage image = moderation_detail::original_image(db, impl_->settings, media);
  const float mx = box[2] * kCropMargin, my = box[3] * kCropMargin;
  const cv::Rect want(static_cast<int>(std::floor(box[0] - mx)), static_cast<int>(std::floor(box[1] - my)),
                      static_cast<int>(std::ceil(box[2] + 2 * mx)), static_cast<int>(std::ceil(box[3] + 2 * my)));
  const cv::Rect inside = want & cv::Rect(0, 0, image.bgr.cols, image.bgr.rows);
  if (inside.empty()) refuse(Code::kConflict, "face " + std::to_string(n) + " lies outside the photo");
  const std::string jpeg = encode_jpeg(image.bgr(inside));
  // Audited before anyone sees it: the view is recorded even if the answer is lost.
  pqxx::work tx(db);
  append_audit(tx, AuditEntry{who.name, "face.viewed", media.id, media.journal_child_id,
                              nlohmann::json{{"face", n}, {"box", {box[0], box[1], box[2], box[3]}}}.dump()});
  tx.commit();
  return jpeg;
}

std::string ModerationService::review_image(pqxx::connection_base& db, const Account& who,
                                            const std::string& media_id) const {
  pqxx::read_transaction tx(db);
  const MediaView media = readable_media(tx, who, media_id, false);
  // A processing item's renditions are about to be replaced: they are not served.
  if (media.state == "processing") refuse(Code::kConflict, "the item is being rendered again");
  const std::string wanted = media.kind == "video" ? "poster" : "display";
  std::string path;
  for (const auto& r : current_renditions(tx, media.id))
    if (r.kind == wanted) path = r.path;
  if (path.empty()) refuse(Code::kConflict, "the item has no " + wanted + " rendition (it is " + media.state + ")");
  std::vector<ReviewMark> marks;
  if (media.kind == "photo") {
    for (const auto& f : media_faces(tx, media.id))
      marks.push_back({Box{f.bbox[0], f.bbox[1], f.bbox[2], f.bbox[3]}, f.n, f.decision == "keep"});
  }
  const std::string bytes = read_whole_file(path);
  if (marks.empty()) return bytes;
  return encode_jpeg(draw_review_marks(decode_bgr(bytes), marks, media.width));
}

}  // namespace veil

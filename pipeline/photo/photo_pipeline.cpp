// The photo job runner: chains the stages and applies the fail-closed rules.
#include "pipeline/photo/photo_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include <spdlog/spdlog.h>

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "models/image_geometry.h"
#include "policy/reasons.h"

namespace veil {
namespace {

// A face found again after redaction is "the same" as a kept face when they overlap this much.
constexpr float kSameFaceIou = 0.3f;

// A detector with the first pass's model, threshold and mode that runs one pass only: the
// whole image with its long edge at `long_edge` (and the black border), enlarged at most
// `max_upscale` times (0: the mode's default); with the first pass's second network or without.
// The close looks go without it: it runs on a whole pass image, which for them is one square
// around a painted face that the whole-image pass (with it) has already looked at.
std::unique_ptr<FaceDetector> single_pass_detector(const DetectorOptions& first_pass, int long_edge, float max_upscale,
                                                   bool second_network) {
  DetectorOptions o = first_pass;
  if (!second_network) o.second_model_path.clear();
  o.base_long_edge = long_edge;
  o.max_upscale = max_upscale;
  o.min_face_height = 1e9f;  // no finer pass
  return std::make_unique<FaceDetector>(o);
}

// One square looked at closely: `rect` in original pixels (may reach past the image), shown
// to the detector at `scale`.
struct CloseLook {
  cv::Rect rect;
  double scale = 1;
  float min_height = 0, max_height = 0;  // detections looked for (original pixels)
};

// A face the verification found; `cut` when it touches the edge of a close look that is not
// the image's edge.
struct Found {
  DetectedFace face;
  bool cut = false;
};

// Close looks around every face judged blur, largest first, at the first pass's finest
// scale (where the first pass saw faces of this size; coarser only when twice the painted
// region would not fit in kCropSide detector pixels). A look that an earlier square already
// covers (with a quarter of the region to spare) at about the same scale is skipped. With a
// one-pass plan (default mode: long edge up to 768 px) the whole-image pass repeats the first pass
// entirely, and there is nothing to look at closely.
std::vector<CloseLook> plan_close_looks(const std::vector<DetectionPass>& plan, const std::vector<PhotoFace>& faces,
                                        const RedactOptions& redact, int W, int H) {
  constexpr int kCropSide = RedactionVerifier::kCropSide;
  double finest = 0;
  for (const auto& p : plan) finest = std::max(finest, p.scale);
  std::vector<const PhotoFace*> blurred;
  if (plan.size() > 1) {
    for (const auto& pf : faces)
      if (pf.judgement.decision == Decision::blur && !pf.found_in_verification) blurred.push_back(&pf);
  }
  std::sort(blurred.begin(), blurred.end(),
            [](const PhotoFace* a, const PhotoFace* b) { return a->face.box.area() > b->face.box.area(); });
  std::vector<CloseLook> looks;
  for (const PhotoFace* pf : blurred) {
    const Box r = redaction_region(pf->face.box, redact, W, H);
    const double extent = std::max({r.w, r.h, 1.f});
    const int side = static_cast<int>(std::ceil(std::max(2 * extent, kCropSide / finest)));
    const double scale = static_cast<double>(kCropSide) / side;
    const cv::Rect rect(static_cast<int>(std::lround(r.x + r.w / 2 - side / 2.0)),
                        static_cast<int>(std::lround(r.y + r.h / 2 - side / 2.0)), side, side);
    const float spare = static_cast<float>(extent / 4);
    const cv::Rect need(static_cast<int>(std::floor(r.x - spare)), static_cast<int>(std::floor(r.y - spare)),
                        static_cast<int>(std::ceil(r.w + 2 * spare)), static_cast<int>(std::ceil(r.h + 2 * spare)));
    // What this look is for: the blurred face itself, or what is left of it, at about its size.
    const float h = pf->face.box.h;
    bool covered = false;
    for (auto& l : looks) {
      const double ratio = l.scale / scale;
      if (!covered && ratio > 0.8 && ratio < 1.25 && (l.rect & need) == need) {
        covered = true;
        l.min_height = std::min(l.min_height, h / 2), l.max_height = std::max(l.max_height, 2 * h);
      }
    }
    if (!covered) looks.push_back({rect, scale, h / 2, 2 * h});
  }
  return looks;
}

// The detections in one close look, mapped back to original pixels; those of the sizes the
// look is for are added to `found`.
void look_closely(FaceDetector& close, const cv::Mat& bgr, const CloseLook& look, std::vector<Found>& found) {
  constexpr int kCropSide = RedactionVerifier::kCropSide;
  const int W = bgr.cols, H = bgr.rows;
  const cv::Rect inside = look.rect & cv::Rect(0, 0, W, H);
  if (inside.empty()) return;
  // The square as the detector sees it: kCropSide x kCropSide, black where it leaves the image.
  cv::Mat canvas(kCropSide, kCropSide, CV_8UC3, cv::Scalar(0, 0, 0));
  const int ox = static_cast<int>(std::lround((inside.x - look.rect.x) * look.scale));
  const int oy = static_cast<int>(std::lround((inside.y - look.rect.y) * look.scale));
  const cv::Size size(std::clamp(static_cast<int>(std::lround(inside.width * look.scale)), 1, kCropSide - ox),
                      std::clamp(static_cast<int>(std::lround(inside.height * look.scale)), 1, kCropSide - oy));
  cv::Mat part;
  if (look.scale <= 1.0)
    part = shrink_to(bgr(inside), size);
  else
    cv::resize(bgr(inside), part, size, 0, 0, cv::INTER_LINEAR);  // as the first pass enlarges
  part.copyTo(canvas(cv::Rect(ox, oy, size.width, size.height)));
  const float inv = static_cast<float>(1.0 / look.scale);
  const float edge = 2.f;  // canvas pixels
  const bool inner_left = look.rect.x > 0, inner_top = look.rect.y > 0;
  const bool inner_right = look.rect.x + look.rect.width < W, inner_bottom = look.rect.y + look.rect.height < H;
  for (DetectedFace f : close.detect(canvas)) {
    const bool cut = (inner_left && f.box.x < ox + edge) || (inner_top && f.box.y < oy + edge) ||
                     (inner_right && f.box.x + f.box.w > ox + size.width - edge) ||
                     (inner_bottom && f.box.y + f.box.h > oy + size.height - edge);
    auto map = [&](Point p) { return Point{look.rect.x + p.x * inv, look.rect.y + p.y * inv}; };
    const Point a = map({f.box.x, f.box.y}), b = map({f.box.x + f.box.w, f.box.y + f.box.h});
    const float x1 = std::clamp(a.x, 0.f, static_cast<float>(W)), y1 = std::clamp(a.y, 0.f, static_cast<float>(H));
    const float x2 = std::clamp(b.x, 0.f, static_cast<float>(W)), y2 = std::clamp(b.y, 0.f, static_cast<float>(H));
    if (x2 - x1 < 1.f || y2 - y1 < 1.f) continue;
    // Other sizes are the other passes' business: larger faces the whole-image pass's,
    // smaller ones the first pass's finer passes, which already saw this area at this scale.
    if (b.y - a.y < look.min_height || b.y - a.y > look.max_height) continue;
    f.box = Box{x1, y1, x2 - x1, y2 - y1};
    for (auto& lm : f.landmarks) lm = map(lm);
    found.push_back({f, cut});
  }
}

// Of what the verification found, the faces nothing explains: one detection per face
// (greedy by score, whole detections before cut ones), minus those that are a kept face, part
// of a kept face cut by a close look's edge, or a painted blob with every feature on paint.
std::vector<DetectedFace> unexplained_faces(std::vector<Found> found, const std::vector<PhotoFace>& faces) {
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    if (a.cut != b.cut) return !a.cut;
    return a.face.score > b.face.score;
  });
  std::vector<Found> merged;
  for (const auto& f : found) {
    bool same = false;
    for (const auto& m : merged) same = same || iou(f.face.box, m.face.box) > kSameFaceIou;
    if (!same) merged.push_back(f);
  }

  std::vector<DetectedFace> out;
  for (const auto& f : merged) {
    bool explained = false;
    for (const auto& pf : faces) {
      if (pf.judgement.decision != Decision::keep) continue;
      if (iou(f.face.box, pf.face.box) >= kSameFaceIou) explained = true;
      // Cut by the edge of a close look: part of a kept face next to the blurred one.
      if (f.cut && share_inside(f.face.box, pf.face.box) >= 0.5f) explained = true;
    }
    // A detection whose eyes, nose and mouth all fall on painted pixels shows no facial
    // feature: it is the painted blob itself, which a detector may still take for a head.
    bool features_painted = true;
    for (const auto& lm : f.face.landmarks) {
      bool on_paint = false;
      for (const auto& pf : faces) on_paint = on_paint || (pf.painted && inside_painted_ellipse(lm, pf.painted_region));
      features_painted = features_painted && on_paint;
    }
    if (!explained && !features_painted) out.push_back(f.face);
  }
  return out;
}

}  // namespace

RedactionVerifier::RedactionVerifier(FaceDetector& first_pass)
    : detector_(first_pass), first_pass_(first_pass.options()), close_(single_pass_detector(first_pass_, kCropSide, 1.0f, false)) {}

RedactionVerifier::~RedactionVerifier() = default;

std::vector<DetectedFace> RedactionVerifier::unexplained(const cv::Mat& bgr, const cv::Mat& reduced,
                                                         const std::vector<PhotoFace>& faces,
                                                         const RedactOptions& redact) {
  std::vector<Found> found;
  const int W = bgr.cols, H = bgr.rows;

  // The whole image at the first pass's coarse scale. A one-pass plan (small images) is
  // simply repeated. Otherwise the reduced copy is brought to the coarse pass's size, where
  // the first-pass detector plans exactly that one pass again (same input size: its networks
  // are already set up); a mode that would add finer passes there (thorough) uses a
  // one-pass detector of its own.
  const std::vector<DetectionPass> plan = plan_detection_passes(W, H, first_pass_);
  if (plan.size() <= 1) {
    for (const auto& f : detector_.detect(bgr, EdgeRule::skip)) found.push_back({f, false});
  } else {
    const cv::Size coarse(plan.front().input_width, plan.front().input_height);
    cv::Mat small;
    if (coarse.width <= reduced.cols && coarse.height <= reduced.rows)
      small = shrink_to(reduced, coarse);
    else  // an enlarged coarse pass (a small image in thorough mode), as the detector enlarges
      cv::resize(bgr, small, coarse, 0, 0, cv::INTER_LINEAR);
    FaceDetector* one_pass = &detector_;
    if (plan_detection_passes(coarse.width, coarse.height, first_pass_).size() != 1) {
      if (!whole_)
        whole_ = single_pass_detector(first_pass_, first_pass_.base_long_edge > 0 ? first_pass_.base_long_edge : 640, 0.f,
                                      true);
      one_pass = whole_.get();
    }
    const float fx = static_cast<float>(W) / small.cols, fy = static_cast<float>(H) / small.rows;
    for (DetectedFace f : one_pass->detect(small, EdgeRule::skip)) {
      f.box = Box{f.box.x * fx, f.box.y * fy, f.box.w * fx, f.box.h * fy};
      for (auto& lm : f.landmarks) lm = Point{lm.x * fx, lm.y * fy};
      found.push_back({f, false});
    }
  }

  for (const auto& look : plan_close_looks(plan, faces, redact, W, H)) look_closely(*close_, bgr, look, found);
  return unexplained_faces(std::move(found), faces);
}

PhotoPipeline::PhotoPipeline(FaceDetector& detector, FaceEmbedder& embedder, PhotoOptions options)
    : detector_(detector), embedder_(embedder), options_(std::move(options)) {
  if (options_.verify) verifier_ = std::make_unique<RedactionVerifier>(detector_);
}

PhotoPipeline::~PhotoPipeline() = default;

PhotoResult PhotoPipeline::rejected(const DecodeError& error) {
  PhotoResult result;
  result.outcome = Outcome::rejected(error.what());  // already "<kind>: <what happened>"
  return result;
}

PhotoResult PhotoPipeline::process(const std::string& bytes, FaceJudge& judge) {
  const auto started = std::chrono::steady_clock::now();
  DecodedImage image;
  try {
    image = decode_image(bytes, options_.limits);
  } catch (const DecodeError& e) {
    PhotoResult result = rejected(e);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  }
  spdlog::debug("photo: decode {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  PhotoResult result = process(std::move(image), judge);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

PhotoResult PhotoPipeline::process(DecodedImage image, FaceJudge& judge) {
  const auto started = std::chrono::steady_clock::now();
  PhotoResult result;
  auto finish = [&]() -> PhotoResult& {
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  };
  // Stage timings at debug level.
  auto lap = started;
  auto stage = [&](const char* name) {
    const auto now = std::chrono::steady_clock::now();
    spdlog::debug("photo: {} {:.1f} ms", name, std::chrono::duration<double, std::milli>(now - lap).count());
    lap = now;
  };

  result.width = image.bgr.cols;
  result.height = image.bgr.rows;
  result.format = image.format;

  try {
    const auto detected = detector_.detect(image.bgr);
    stage("detect");
    for (const auto& face : detected) {
      PhotoFace pf;
      pf.face = face;
      Embedding embedding;
      if (judge.needs_embedding()) {
        try {
          embedding = embedder_.embed(image.bgr, face);
        } catch (const std::exception&) {
          embedding.clear();  // the judge fails closed on an empty embedding
        }
      }
      pf.judgement = judge.judge(embedding);
      pf.embedding = std::move(embedding);
      result.faces.push_back(std::move(pf));
    }
    stage("embed+judge");
    redact_verify_render(image, result);
    if (result.outcome.state == MediaState::published) {
      for (const auto& pf : result.faces) {
        if (pf.judgement.hold) {
          result.outcome.hold(reason::uncertain_match);
          break;
        }
      }
    }
    std::vector<float> heights;
    for (const auto& pf : result.faces) heights.push_back(pf.face.box.h);
    if (result.outcome.state != MediaState::rejected && too_crowded_to_check(heights, options_.crowd))
      result.outcome.hold(reason::with_details(reason::crowd, "faces too small to check"));
  } catch (const std::exception& e) {
    result.outcome = Outcome::held(reason::with_details(reason::processing_error, e.what()));
    result.renditions.clear();  // nothing half-processed leaves the pipeline
  }
  return finish();
}

void PhotoPipeline::redact_verify_render(DecodedImage& image, PhotoResult& result) {
  auto lap = std::chrono::steady_clock::now();
  auto stage = [&](const char* name) {
    const auto now = std::chrono::steady_clock::now();
    spdlog::debug("photo: {} {:.1f} ms", name, std::chrono::duration<double, std::milli>(now - lap).count());
    lap = now;
  };
  for (auto& pf : result.faces) {
    if (pf.judgement.decision != Decision::blur) continue;
    pf.painted_region = redact_face(image.bgr, pf.face.box, options_.redact);
    pf.painted = true;
  }
  stage("redact");

  // The display-size image, made once from the redacted full-resolution pixels: the
  // verification's whole-image pass looks at it, and the renditions are made from it.
  cv::Mat display = fit_in_box(image.bgr, options_.renditions.display_long_edge);
  stage("reduce");

  bool leak = false;
  if (verifier_) {
    for (const auto& again : verifier_->unexplained(image.bgr, display, result.faces, options_.redact)) {
      // A face visible where the policy said blur, or one the first pass missed: paint it
      // (it may not appear) and hold the item for a person to look at.
      leak = true;
      PhotoFace extra;
      extra.face = again;
      extra.found_in_verification = true;
      extra.judgement.decision = Decision::blur;
      extra.judgement.reason = reason::verification;
      extra.judgement.hold = true;
      for (const auto& pf : result.faces) {
        if (pf.painted && iou(again.box, pf.painted_region) > 0) extra.judgement.reason = reason::verification_residual;
      }
      extra.painted_region = redact_face(image.bgr, again.box, options_.redact);
      extra.painted = true;
      result.faces.push_back(std::move(extra));
    }
    // More was painted: the display image is made again from the full-resolution pixels.
    if (leak) display = fit_in_box(image.bgr, options_.renditions.display_long_edge);
    stage("verify");
  }

  // The one entry into the renditions stage: `display` already fits the display size, so it
  // is encoded as it is and the thumbnails are made from it.
  result.renditions = make_renditions(display, options_.renditions);
  stage("renditions");

  result.outcome = Outcome{};
  if (leak) result.outcome.hold(reason::verification_failed);
}

PhotoResult PhotoPipeline::render(DecodedImage image, std::vector<PhotoFace> decided) {
  const auto started = std::chrono::steady_clock::now();
  PhotoResult result;
  result.width = image.bgr.cols;
  result.height = image.bgr.rows;
  result.format = image.format;
  result.faces = std::move(decided);
  for (auto& pf : result.faces) {
    pf.painted = false;
    pf.judgement.hold = false;
  }
  try {
    redact_verify_render(image, result);
  } catch (const std::exception& e) {
    result.outcome = Outcome::held(reason::with_details(reason::processing_error, e.what()));
    result.renditions.clear();  // nothing half-processed leaves the pipeline
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace veil

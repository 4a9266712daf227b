// The photo job runner: chains the stages and applies the fail-closed rules.
#include "pipeline/photo_pipeline.h"

#include <chrono>

#include "models/face_detector.h"
#include "models/face_embedder.h"

namespace veil {
namespace {

// A face found again after redaction is "the same" as a kept face when they overlap this much.
constexpr float kSameFaceIou = 0.3f;

}  // namespace

PhotoPipeline::PhotoPipeline(FaceDetector& detector, FaceEmbedder& embedder, PhotoOptions options)
    : detector_(detector), embedder_(embedder), options_(std::move(options)) {}

PhotoResult PhotoPipeline::process(const std::string& bytes, FaceJudge& judge) {
  const auto started = std::chrono::steady_clock::now();
  PhotoResult result;
  auto finish = [&]() -> PhotoResult& {
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  };

  DecodedImage image;
  try {
    image = decode_image(bytes, options_.limits);
  } catch (const DecodeError& e) {
    result.outcome = "rejected";
    result.reason = std::string(to_string(e.kind())) + ": " + e.what();
    return finish();
  }
  result.width = image.bgr.cols;
  result.height = image.bgr.rows;
  result.format = image.format;

  try {
    for (const auto& face : detector_.detect(image.bgr)) {
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
      result.faces.push_back(std::move(pf));
    }
    for (auto& pf : result.faces) {
      if (pf.judgement.decision != Decision::blur) continue;
      pf.painted_region = redact_face(image.bgr, pf.face.box, options_.redact);
      pf.painted = true;
    }

    bool leak = false;
    if (options_.verify) {
      for (const auto& again : detector_.detect(image.bgr)) {
        bool explained = false;
        for (const auto& pf : result.faces) {
          if (pf.judgement.decision == Decision::keep && iou(again.box, pf.face.box) >= kSameFaceIou) explained = true;
        }
        // A detection whose eyes, nose and mouth all fall on painted pixels shows no facial
        // feature: it is the painted blob itself, which a detector may still take for a head.
        bool features_painted = true;
        for (const auto& lm : again.landmarks) {
          bool on_paint = false;
          for (const auto& pf : result.faces) on_paint = on_paint || (pf.painted && inside_painted_ellipse(lm, pf.painted_region));
          features_painted = features_painted && on_paint;
        }
        if (explained || features_painted) continue;
        // A face visible where the policy said blur, or one the first pass missed: paint it
        // (it may not appear) and hold the item for a person to look at.
        leak = true;
        PhotoFace extra;
        extra.face = again;
        extra.found_in_verification = true;
        extra.judgement.decision = Decision::blur;
        extra.judgement.reason = "verification";
        extra.judgement.hold = true;
        for (const auto& pf : result.faces) {
          if (pf.painted && iou(again.box, pf.painted_region) > 0) extra.judgement.reason = "verification_residual";
        }
        extra.painted_region = redact_face(image.bgr, again.box, options_.redact);
        extra.painted = true;
        result.faces.push_back(std::move(extra));
      }
    }

    result.renditions = make_renditions(image.bgr, options_.renditions);

    result.outcome = "published";
    if (leak) {
      result.outcome = "held";
      result.reason = "verification_failed";
    } else {
      for (const auto& pf : result.faces) {
        if (pf.judgement.hold) {
          result.outcome = "held";
          result.reason = "uncertain_match";
          break;
        }
      }
    }
  } catch (const std::exception& e) {
    result.outcome = "held";
    result.reason = std::string("processing_error: ") + e.what();
    result.renditions.clear();  // nothing half-processed leaves the pipeline
  }
  return finish();
}

}  // namespace veil

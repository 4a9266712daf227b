// The photo job: bytes of an uploaded photo in, consent-safe renditions and a full
// account of every face out. Stages: decode -> detect -> embed -> judge -> redact ->
// verify -> renditions.
//
// Contract (fail closed):
//  - undecodable input: outcome "rejected" with the decoder's reason, no renditions;
//  - any model or stage error after decoding: outcome "held" ("processing_error"), no renditions;
//  - every face judged blur is painted on the full-resolution pixels before any rendition exists;
//  - verification: the detector runs again on the redacted image; a face found there that
//    does not coincide with a kept face is painted too and the item is held
//    ("verification_failed");
//  - a judgement with hold=true holds the item ("uncertain_match").
// Otherwise the outcome is "published". Callers with more rules (parent uploads) may hold it further.
#pragma once

#include <string>
#include <vector>

#include "models/face.h"
#include "pipeline/decode.h"
#include "pipeline/face_judge.h"
#include "pipeline/redact.h"
#include "pipeline/renditions.h"

namespace veil {

class FaceDetector;
class FaceEmbedder;

struct PhotoOptions {
  DecodeLimits limits;
  RedactOptions redact;
  RenditionOptions renditions;
  bool verify = true;  // the second detector pass on the redacted image
};

struct PhotoFace {
  DetectedFace face;
  FaceJudgement judgement;
  bool painted = false;
  Box painted_region;  // valid when painted
  bool found_in_verification = false;  // added by the verification pass
};

struct PhotoResult {
  int width = 0, height = 0;
  std::string outcome;  // "published", "held" or "rejected"
  std::string reason;   // why held or rejected; "" when published
  std::string format;   // decoded format
  std::vector<PhotoFace> faces;
  std::vector<Rendition> renditions;
  double seconds = 0;
};

class PhotoPipeline {
 public:
  // The detector and embedder are used from the calling thread only (not thread-safe).
  PhotoPipeline(FaceDetector& detector, FaceEmbedder& embedder, PhotoOptions options);
  PhotoResult process(const std::string& bytes, FaceJudge& judge);

 private:
  FaceDetector& detector_;
  FaceEmbedder& embedder_;
  PhotoOptions options_;
};

}  // namespace veil

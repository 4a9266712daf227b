// The photo job: bytes of an uploaded photo in, consent-safe renditions and a full
// account of every face out. Stages: decode -> detect -> embed -> judge -> redact ->
// verify -> renditions.
//
// Contract (fail closed):
//  - undecodable input: rejected with the decoder's reason, no renditions;
//  - any model or stage error after decoding: held ("processing_error: ..."), no renditions;
//  - every face judged blur is painted on the full-resolution pixels before any rendition exists;
//  - verification: the detector runs again on the redacted image (RedactionVerifier: a pass
//    over the whole image at the first pass's coarse scale, and a closer look around every
//    face judged blur); a face found there that does not coincide with a kept face, and is
//    not a painted blob, is painted too and the item is held ("verification_failed");
//  - a judgement with hold=true holds the item ("uncertain_match");
//  - many faces too small to check (the crowd rule, policy/crowd_rule.h, over every face found
//    by detection and verification) hold the item ("crowd: faces too small to check").
// Otherwise the photo is published. Callers with more rules (parent uploads) may hold it
// further (Outcome::add). The reasons are codes of policy/reasons.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/face.h"
#include "models/face_detector.h"
#include "pipeline/photo/decode.h"
#include "policy/crowd_rule.h"
#include "policy/face_judge.h"
#include "policy/outcome.h"
#include "pipeline/photo/redact.h"
#include "pipeline/photo/renditions.h"

namespace veil {

class FaceEmbedder;

struct PhotoOptions {
  DecodeLimits limits;
  RedactOptions redact;
  RenditionOptions renditions;
  bool verify = true;  // the second detector pass on the redacted image
  CrowdRule crowd;     // off unless set (stage_options: the configuration's detection.crowd_*)
};

struct PhotoFace {
  DetectedFace face;
  FaceJudgement judgement;
  bool painted = false;
  Box painted_region;  // valid when painted
  bool found_in_verification = false;  // added by the verification pass
  Embedding embedding;  // what it was judged with; empty: not embedded (or decided beforehand)
};

struct PhotoResult {
  int width = 0, height = 0;
  Outcome outcome;      // published, held or rejected, and why
  std::string format;   // decoded format
  std::vector<PhotoFace> faces;
  std::vector<Rendition> renditions;
  double seconds = 0;
};

// The verification stage, on its own so that it can be tested alone. It looks for faces in a
// redacted image that the account of its faces does not explain, with two kinds of passes
// of the detector (same model, threshold and mode as the first pass):
//  - the whole image at the first pass's coarse scale (base_long_edge, with the black
//    border), for large faces and gross failures anywhere (a one-pass plan, as for images up
//    to 768 px in default mode, is then repeated entirely);
//  - when the first pass had finer passes: around every face judged blur, a square of
//    twice its painted region, shown to the detector as kCropSide x kCropSide pixels at the
//    first pass's finest scale (coarser only for faces whose square would not fit; such a
//    face is then ~80 detector pixels tall), which is where a face left visible against the
//    policy would be; detections there count when they are half to twice the blurred face's
//    height (the face or what is left of it). Squares another square already covers at
//    about the same scale are skipped (crowds).
// For larger images the finer passes are not repeated away from the blurred faces: a face
// the first pass missed there, too small for the coarse pass, is not looked for again
// (docs/models.md). The edge rule (DetectorOptions::edge_score_threshold) is not repeated
// either: away from the paint the first pass saw the same pixels at the image edge, and on
// the painted photos of testdata it found only edge boxes scoring just above its threshold,
// none a face, which held the photos (benchmarks/RESULTS.md).
// A detection is explained when it coincides with a kept face (IoU >= 0.3; a detection cut
// by a square's edge: half of it inside a kept face), or when its five landmarks all lie on
// painted ellipses (the painted blob itself). Everything else is returned.
class RedactionVerifier {
 public:
  static constexpr int kCropSide = 256;
  // `first_pass`: the detector that found the faces (used again for the whole-image pass;
  // same thread rules).
  explicit RedactionVerifier(FaceDetector& first_pass);
  ~RedactionVerifier();
  // `bgr`: the redacted full-resolution image; `reduced`: the same pixels reduced (the whole
  // image pass runs on it; may be `bgr` itself); `faces`: the account so far (painted_region
  // valid where painted); `redact`: the options the faces were painted with.
  std::vector<DetectedFace> unexplained(const cv::Mat& bgr, const cv::Mat& reduced, const std::vector<PhotoFace>& faces,
                                        const RedactOptions& redact);

 private:
  // Paints, verifies and makes the renditions of `result.faces` on `image`; sets
  // result.outcome from verification alone (held "verification_failed" or published).
  void redact_verify_render(DecodedImage& image, PhotoResult& result);

  FaceDetector& detector_;
  DetectorOptions first_pass_;
  std::unique_ptr<FaceDetector> close_, whole_;  // whole_: made when needed (see the .cpp)
};

class PhotoPipeline {
 public:
  // The detector and embedder are used from the calling thread only (not thread-safe).
  PhotoPipeline(FaceDetector& detector, FaceEmbedder& embedder, PhotoOptions options);
  ~PhotoPipeline();
  PhotoResult process(const std::string& bytes, FaceJudge& judge);
  // The same from an image decoded beforehand (with decode_image and these options' limits),
  // so that a caller can decode while its models load.
  PhotoResult process(DecodedImage image, FaceJudge& judge);
  // Renders a photo again with faces decided beforehand (stored decisions, people's
  // decisions): no detection, embedding or judging; every face decided blur is painted, then
  // verification and renditions run as in process(), so a face the verifier finds
  // unexplained is painted and holds the item ("verification_failed"). The judgements' hold
  // flags are ignored: otherwise the result is published, and the caller decides the item's
  // state. `decided` comes back in result.faces, in its order, before any face verification adds.
  PhotoResult render(DecodedImage image, std::vector<PhotoFace> decided);
  // The result for a photo that did not decode: rejected with the decoder's reason.
  static PhotoResult rejected(const DecodeError& error);

 private:
  // Paints, verifies and makes the renditions of `result.faces` on `image`; sets
  // result.outcome from verification alone (held "verification_failed" or published).
  void redact_verify_render(DecodedImage& image, PhotoResult& result);

  FaceDetector& detector_;
  FaceEmbedder& embedder_;
  PhotoOptions options_;
  std::unique_ptr<RedactionVerifier> verifier_;  // when options.verify
};

}  // namespace veil

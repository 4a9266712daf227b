// YuNet face detection (OpenCV 4.6 cv::FaceDetectorYN, 2022mar model) over as many
// scales or tiles as needed to find small faces, optionally with a second network (YuNet
// 2023mar, models/yunet2023_network.h) on the whole-image pass, all merged with NMS.
//
// Contract: detect() never returns a face with score below options.score_threshold, nor one
// whose box shows less than kMinFaceDetail of detail (models/region_detail.h: the "faces"
// YuNet reports on a black picture); boxes are clipped to the image (landmarks are not: a face
// cut by the edge may have landmarks outside it); a face of the second network reaching the
// image edge may score down to options.edge_score_threshold (see there); any image of at
// least 1 x 1 runs, whatever its aspect ratio (a tile under the network's minimum input is
// framed in black); throws ModelError if the model cannot run or an option is out of range.
// The constructor checks the model's sha256 (options.model_sha256) with
// read_verified_model, then lets OpenCV load it from the same path (OpenCV 4.6 has no
// buffer overload of FaceDetectorYN::create); the same for the second model.
// Not thread-safe: use one FaceDetector per thread. Thread counts are left to the caller.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/face.h"

namespace cv {
class Mat;
}

namespace veil {

struct DetectorOptions {
  std::string model_path;        // YuNet 2022mar ONNX file
  std::string model_sha256;      // expected sha256 of the model file; empty: no check
  // Favours recall, privacy first. 0.4 measured on testdata (docs/models.md): against 0.5 it
  // covers 3 % more annotated faces (the small ones) for 10 % lower precision; below 0.4
  // false positives on texture and animals double for little more recall.
  float score_threshold = 0.4f;
  float nms_threshold = 0.3f;
  bool thorough = false;         // extra passes for faces below the default's smallest size

  // Pass planning (see plan_detection_passes). 0 means "the mode's default".
  int base_long_edge = 640;          // the whole-image pass: long edge in detector pixels
  float min_face_height = 0;         // smallest face (original pixels) to plan for; default 16, thorough 8
  float max_input_megapixels = 0;    // detector input summed over passes; default 4, thorough 32
  float max_upscale = 0;             // largest scale factor for small images; default 1.6, thorough 2
  int tile_size = 1024;              // passes larger than this (either edge) are cut into overlapping tiles
  int mirror = -1;                   // also run each pass on the mirrored image: 1 on, 0 off, -1 mode default
  // The whole-image pass is framed by a black border (1/8 of its long edge on every side), so
  // that YuNet sees faces cut by the image edge; it costs ~1.8x that pass's pixels.
  bool edge_border = true;

  // A second network on the whole-image pass (YuNet 2023mar, decoded by YuNet2023Network); its
  // faces join the NMS merge. Empty path: none.
  std::string second_model_path;
  std::string second_model_sha256;
  float second_score_threshold = 0.5f;
  // Faces cut by the image edge: a face that loses its eyes or mouth to the edge scores low.
  // When edge_score_threshold is below second_score_threshold, the second network runs once
  // more on the whole-image pass framed by a mirrored border (1/8 of its long edge on every
  // side), and its boxes that reach the image edge with at least half of their area
  // inside the image are accepted from edge_score_threshold, but only where no other detection
  // covers them (as the boxes cut by a tile edge). A box mostly in the border is the mirror
  // image of a face inside. >= second_score_threshold: the rule is off (no extra run).
  float edge_score_threshold = 0.3f;
};

// One detector pass: the image scaled by `scale` (input_width x input_height), framed by `pad`
// black pixels on every side, cut into tiles_x * tiles_y overlapping tiles of tile_width x
// tile_height detector pixels (one tile when it is small enough).
// Faces are accepted from this pass when their height in original pixels is within
// [min_face_height, max_face_height] (0: no bound); other passes cover the other sizes.
struct DetectionPass {
  double scale = 1;
  int input_width = 0, input_height = 0;  // the scaled image
  int tile_width = 0, tile_height = 0;
  int tiles_x = 1, tiles_y = 1;
  float min_face_height = 0, max_face_height = 0;
  bool mirrored = false;  // the pass runs a second time on the horizontally mirrored image
  int pad = 0;            // black border added on every side (detector pixels), for faces cut by the image edge
};

// The passes detect() runs on a width x height image with these options, coarsest first.
std::vector<DetectionPass> plan_detection_passes(int width, int height, const DetectorOptions& options);

// The smallest face height (original pixels) the plan is expected to find reliably.
float smallest_planned_face(const std::vector<DetectionPass>& passes);

// Whether a detect() call applies the edge rule (DetectorOptions::edge_score_threshold).
enum class EdgeRule { apply, skip };

class FaceDetector {
 public:
  explicit FaceDetector(const DetectorOptions& options);
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // Faces in an 8-bit BGR image, in its pixel coordinates. EdgeRule::skip leaves the edge
  // rule out whatever the options say (the redaction verification: see docs/models.md).
  std::vector<DetectedFace> detect(const cv::Mat& bgr, EdgeRule edge_rule = EdgeRule::apply);

  const DetectorOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil

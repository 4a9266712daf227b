// YuNet (cv::FaceDetectorYN, 2022mar) over several scales and tiles, plus an optional second
// network on the whole-image pass, merged with NMS.
//
// Why several passes: YuNet finds faces from about 16 to about 300 detector pixels tall. One
// pass with the long edge at 640 therefore misses faces below ~16 * L / 640 original pixels
// (75 px in a 4000x3000 photo). The plan (plan_detection_passes) adds finer passes, up to
// native resolution (default) or beyond (thorough), within a budget of detector pixels; large
// passes are cut into overlapping tiles of about tile_size so memory stays bounded and the
// network runs on cache-friendly inputs. Measured figures and the choice of defaults:
// docs/models.md.
#include "models/face_detector.h"

#include "models/bgr_image.h"
#include "models/image_geometry.h"

#include <algorithm>
#include <cmath>
#include <list>
#include <utility>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect/face.hpp>

#include "models/model_file.h"
#include "models/region_detail.h"
#include "models/yunet2023_network.h"

namespace veil {
namespace {

// Face height, in detector pixels, above which YuNet 2022mar finds faces reliably (measured on
// testdata/detection: recall of faces 12-16 detector px tall is already ~0.9, 16 px and up ~0.95).
constexpr double kReliableFace = 16.0;
// The largest face a finer pass reports, in detector pixels; bigger ones are left to the coarser
// pass, which sees them at a size YuNet handles better (YuNet's largest anchor is 256 px).
// Upscaled passes in particular produce large false positives on texture.
constexpr double kLargestFace = 256.0;
// Largest scale ratio between successive passes. YuNet covers ~16..256 px per pass, a factor of
// 16; with 8, a face too big for the finer pass (> 256 px there) is >= 32 px in the coarser one.
constexpr double kPassStep = 8.0;
// Tile overlap in detector pixels: faces up to this size cut by one tile's edge are whole in
// the next tile; bigger ones are found by the coarser pass (at >= kTileOverlap / kPassStep px).
constexpr int kTileOverlap = 128;

// Black border around the whole-image pass, as a fraction of its long edge. YuNet misses most
// large faces cut by the image edge (a selfie's nearest faces); with a border it sees them
// (testdata/detection/unannotated/deepface_selfie-many-people.jpg: 5 -> 7 of 7 faces) and, on
// testdata, both recall and precision improve a little (docs/models.md).
constexpr double kBorderPad = 0.125;

// The smallest input YuNet 2022mar runs on, each side: below 63 px OpenCV's shape inference
// fails inside the network (measured on OpenCV 4.6). A narrower tile (a pass over a long thin
// image) is framed in black up to this.
constexpr int kMinNetworkInput = 64;

struct ModeDefaults {
  float min_face, megapixels, upscale;
  bool mirror;
};
constexpr ModeDefaults kDefaultMode{16.f, 4.0f, 1.6f, false};
constexpr ModeDefaults kThoroughMode{8.f, 32.f, 2.0f, true};

// Splits `length` into n equal tiles of at most `tile` with `overlap`; returns {n, tile length}.
std::pair<int, int> split(int length, int tile, int overlap) {
  if (length <= tile) return {1, length};
  const int n = static_cast<int>(std::ceil(static_cast<double>(length - overlap) / (tile - overlap)));
  const int len = static_cast<int>(std::ceil(static_cast<double>(length + (n - 1) * overlap) / n));
  return {n, std::min(len, length)};
}

DetectionPass make_pass(int width, int height, double scale, int tile_size) {
  DetectionPass p;
  p.scale = scale;
  p.input_width = std::max(1, static_cast<int>(std::lround(width * scale)));
  p.input_height = std::max(1, static_cast<int>(std::lround(height * scale)));
  const int tile = std::max(tile_size, 2 * kTileOverlap + 64);
  std::tie(p.tiles_x, p.tile_width) = split(p.input_width, tile, kTileOverlap);
  std::tie(p.tiles_y, p.tile_height) = split(p.input_height, tile, kTileOverlap);
  return p;
}

double pass_megapixels(const DetectionPass& p) {
  return static_cast<double>(p.tile_width) * p.tile_height * p.tiles_x * p.tiles_y / 1e6;
}

// Tile origin i of n along an axis of `length` with tiles of `tile`.
int tile_origin(int i, int n, int length, int tile) {
  if (n <= 1) return 0;
  return static_cast<int>(std::lround(static_cast<double>(i) * (length - tile) / (n - 1)));
}

struct Candidate {
  DetectedFace face;
  // A partial view, kept only where nothing else covers it: a box touching an inner tile edge
  // (maybe half a face), or the second network's box at the image edge seen with the mirrored
  // border (the edge rule).
  bool fallback = false;
  bool second = false;        // found by the second network
};

Box union_box(const Box& a, const Box& b) {
  const float x1 = std::min(a.x, b.x), y1 = std::min(a.y, b.y);
  const float x2 = std::max(a.x + a.w, b.x + b.w), y2 = std::max(a.y + a.h, b.y + b.h);
  return {x1, y1, x2 - x1, y2 - y1};
}

float intersection_over_smaller(const Box& a, const Box& b) {
  const float x1 = std::max(a.x, b.x), y1 = std::max(a.y, b.y);
  const float x2 = std::min(a.x + a.w, b.x + b.w), y2 = std::min(a.y + a.h, b.y + b.h);
  const float inter = (x2 > x1 && y2 > y1) ? (x2 - x1) * (y2 - y1) : 0.f;
  const float smaller = std::min(a.area(), b.area());
  return smaller > 0 ? inter / smaller : 0.f;
}

}  // namespace

std::vector<DetectionPass> plan_detection_passes(int width, int height, const DetectorOptions& o) {
  std::vector<DetectionPass> passes;
  if (width <= 0 || height <= 0) return passes;
  const ModeDefaults& mode = o.thorough ? kThoroughMode : kDefaultMode;
  const double min_face = o.min_face_height > 0 ? o.min_face_height : mode.min_face;
  const double budget = o.max_input_megapixels > 0 ? o.max_input_megapixels : mode.megapixels;
  const double max_up = o.max_upscale > 0 ? o.max_upscale : mode.upscale;
  const int tile = o.tile_size > 0 ? o.tile_size : 1024;
  const double long_edge = std::max(width, height);
  const double megapixels = static_cast<double>(width) * height / 1e6;
  const bool mirror = o.mirror < 0 ? mode.mirror : o.mirror > 0;

  // The whole image with its long edge at base_long_edge: the pass for large faces.
  const double s0 = std::min(std::max(64, o.base_long_edge) / long_edge, max_up);
  passes.push_back(make_pass(width, height, s0, tile));
  passes.back().mirrored = mirror;
  {
    DetectionPass& b = passes.back();
    b.pad = o.edge_border ? static_cast<int>(std::lround(kBorderPad * std::max(b.input_width, b.input_height))) : 0;
    const DetectionPass padded = make_pass(b.input_width + 2 * b.pad, b.input_height + 2 * b.pad, 1.0, tile);
    b.tiles_x = padded.tiles_x, b.tiles_y = padded.tiles_y;
    b.tile_width = padded.tile_width, b.tile_height = padded.tile_height;
  }
  double used = pass_megapixels(passes.back()) * (mirror ? 2 : 1);

  // Finer passes, a factor kPassStep apart, up to the scale at which a min_face face is
  // kReliableFace detector pixels tall, while the budget lasts.
  const double target = std::min(kReliableFace / min_face, max_up);
  double s = s0;
  while (target > s * 1.2) {
    double next = std::min(s * kPassStep, target);
    const double cost = mirror ? 2 : 1;
    DetectionPass p = make_pass(width, height, next, tile);
    if (used + cost * pass_megapixels(p) > budget) {
      // Shrink the pass to what the budget has left (tiles overlap, so iterate a little).
      next = std::sqrt(std::max(0.0, budget - used) / cost / megapixels);
      for (int i = 0; i < 20 && next > s * 1.2; ++i) {
        p = make_pass(width, height, next, tile);
        if (used + cost * pass_megapixels(p) <= budget) break;
        next *= 0.97;
      }
      if (next <= s * 1.2 || used + cost * pass_megapixels(p) > budget) break;
    }
    // Native resolution when the plan comes near it: no interpolation, no resize cost.
    if (next > 0.85 && next < 1.1 && next != 1.0 && 1.0 > s * 1.2) {
      const DetectionPass native = make_pass(width, height, 1.0, tile);
      if (used + cost * pass_megapixels(native) <= budget) next = 1.0, p = native;
    }
    p.max_face_height = static_cast<float>(kLargestFace / next);  // bigger faces: the coarser pass
    p.mirrored = mirror;
    passes.push_back(p);
    used += cost * pass_megapixels(p);
    s = next;
  }
  return passes;
}

float smallest_planned_face(const std::vector<DetectionPass>& passes) {
  double best = 0;
  for (const auto& p : passes) best = std::max(best, p.scale);
  return best > 0 ? static_cast<float>(kReliableFace / best) : 0.f;
}

struct FaceDetector::Impl {
  DetectorOptions options;
  // One cv::FaceDetectorYN per input size, most recently used first (create() costs a model load).
  std::list<std::pair<std::pair<int, int>, cv::Ptr<cv::FaceDetectorYN>>> cache;
  static constexpr std::size_t kCacheSize = 6;
  std::unique_ptr<YuNet2023Network> second;  // options.second_model_path, or none
  // The second network on a whole pass's scaled image; appends its faces in original pixels.
  // With the edge rule on (DetectorOptions::edge_score_threshold) it runs a second time on the
  // image framed by a mirrored border, where a face cut by the edge is completed by its own
  // reflection and scores higher (a black border lowers it: the network was not trained on
  // one); of that run only the boxes reaching the image edge are kept, as fallbacks.
  void run_second(const cv::Mat& image, const DetectionPass& pass, int image_w, int image_h, EdgeRule edge_rule,
                  std::vector<Candidate>& out) {
    const float inv = static_cast<float>(1.0 / pass.scale);
    auto add = [&](const DetectedFace& f, int pad, bool fallback) {
      const float x1 = std::clamp((f.box.x - pad) * inv, 0.f, static_cast<float>(image_w));
      const float y1 = std::clamp((f.box.y - pad) * inv, 0.f, static_cast<float>(image_h));
      const float x2 = std::clamp((f.box.x + f.box.w - pad) * inv, 0.f, static_cast<float>(image_w));
      const float y2 = std::clamp((f.box.y + f.box.h - pad) * inv, 0.f, static_cast<float>(image_h));
      if (x2 - x1 < 1.f || y2 - y1 < 1.f) return;
      Candidate c;
      c.second = true;
      c.fallback = fallback;
      c.face.box = {x1, y1, x2 - x1, y2 - y1};
      c.face.score = f.score;
      for (int k = 0; k < 5; ++k)
        c.face.landmarks[k] = {(f.landmarks[k].x - pad) * inv, (f.landmarks[k].y - pad) * inv};
      out.push_back(c);
    };
    for (const DetectedFace& f : second->detect(image, options.second_score_threshold, options.nms_threshold))
      add(f, 0, false);
    if (edge_rule == EdgeRule::skip || !(options.edge_score_threshold < options.second_score_threshold)) return;

    const int pad = static_cast<int>(std::lround(kBorderPad * std::max(image.cols, image.rows)));
    cv::Mat framed;
    // BORDER_ISOLATED: `image` may be a view into a larger buffer (see detect()).
    cv::copyMakeBorder(image, framed, pad, pad, pad, pad, cv::BORDER_REFLECT_101 | cv::BORDER_ISOLATED);
    const Box inside{0, 0, static_cast<float>(image.cols), static_cast<float>(image.rows)};
    const float edge = 2.f;  // detector pixels
    for (const DetectedFace& f : second->detect(framed, options.edge_score_threshold, options.nms_threshold)) {
      const Box b{f.box.x - pad, f.box.y - pad, f.box.w, f.box.h};
      const bool at_edge = b.x < edge || b.y < edge || b.x + b.w > inside.w - edge || b.y + b.h > inside.h - edge;
      // A box mostly in the border is the reflection of a face inside, not a face cut by the edge.
      if (at_edge && share_inside(b, inside) >= 0.5f) add(f, pad, true);
    }
  }

  cv::FaceDetectorYN& detector_for(int w, int h) {
    const std::pair<int, int> key{w, h};
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->first == key) {
        cache.splice(cache.begin(), cache, it);
        return *cache.front().second;
      }
    }
    cv::Ptr<cv::FaceDetectorYN> d;
    try {
      d = cv::FaceDetectorYN::create(options.model_path, "", cv::Size(w, h), options.score_threshold,
                                     options.nms_threshold, 5000, cv::dnn::DNN_BACKEND_OPENCV,
                                     cv::dnn::DNN_TARGET_CPU);
    } catch (const cv::Exception& e) {
      throw ModelError("model file " + options.model_path + " cannot be loaded by OpenCV: " + e.what());
    }
    if (!d) throw ModelError("model file " + options.model_path + " cannot be loaded by OpenCV");
    cache.emplace_front(key, d);
    if (cache.size() > kCacheSize) cache.pop_back();
    return *d;
  }

  // Runs one tile and appends its faces, mapped to original pixels, to `out`.
  // With `mirrored`, the tile is flipped left-right first and the faces are flipped back
  // (landmark order kept: the image-left eye stays first).
  void run_tile(const cv::Mat& tile_in, bool mirrored, int ox, int oy, const DetectionPass& pass, bool inner_left,
                bool inner_top, bool inner_right, bool inner_bottom, int image_w, int image_h,
                std::vector<Candidate>& out) {
    // FaceDetectorYN pads its input to a multiple of 32 with copyMakeBorder, which reads the
    // pixels around a view (a neighbouring tile, or the uninitialised spare rows of a video
    // frame's buffer: run-to-run differences in the detections). It gets a tile of its own.
    cv::Mat tile;
    if (mirrored)
      cv::flip(tile_in, tile, 1);
    else if (tile_in.isSubmatrix())
      tile = tile_in.clone();
    else
      tile = tile_in;
    const int tile_w = tile.cols, tile_h = tile.rows;  // without the frame below
    if (tile.cols < kMinNetworkInput || tile.rows < kMinNetworkInput) {
      // Black on the right and below: the tile's origin, and so every face's coordinates, stay.
      cv::Mat framed;
      cv::copyMakeBorder(tile, framed, 0, std::max(0, kMinNetworkInput - tile.rows), 0,
                         std::max(0, kMinNetworkInput - tile.cols), cv::BORDER_CONSTANT | cv::BORDER_ISOLATED,
                         cv::Scalar(0, 0, 0));
      tile = framed;
    }
    cv::FaceDetectorYN& det = detector_for(tile.cols, tile.rows);
    cv::Mat faces;
    try {
      det.detect(tile, faces);
    } catch (const cv::Exception& e) {
      throw ModelError("face detector failed on a " + std::to_string(tile.cols) + "x" + std::to_string(tile.rows) +
                       " input: " + e.what());
    }
    if (mirrored && !faces.empty()) {
      const float w = static_cast<float>(tile_w);
      for (int r = 0; r < faces.rows; ++r) {
        float* f = faces.ptr<float>(r);
        f[0] = w - f[0] - f[2];
        for (int k = 0; k < 5; ++k) f[4 + 2 * k] = w - f[4 + 2 * k];
        std::swap(f[4], f[6]), std::swap(f[5], f[7]);     // eyes
        std::swap(f[10], f[12]), std::swap(f[11], f[13]);  // mouth corners
      }
    }
    const float inv = static_cast<float>(1.0 / pass.scale);
    const float edge = 2.f;  // detector pixels
    for (int r = 0; r < faces.rows; ++r) {
      const float* f = faces.ptr<float>(r);
      const float score = f[14];
      if (score < options.score_threshold) continue;
      Candidate c;
      c.fallback = (inner_left && f[0] < edge) || (inner_top && f[1] < edge) ||
                   (inner_right && f[0] + f[2] > tile_w - edge) || (inner_bottom && f[1] + f[3] > tile_h - edge);
      float x1 = (f[0] + ox) * inv, y1 = (f[1] + oy) * inv;
      float x2 = (f[0] + f[2] + ox) * inv, y2 = (f[1] + f[3] + oy) * inv;
      const float height = y2 - y1;
      if (pass.max_face_height > 0 && height > pass.max_face_height) continue;
      if (pass.min_face_height > 0 && height < pass.min_face_height) continue;
      x1 = std::clamp(x1, 0.f, static_cast<float>(image_w));
      y1 = std::clamp(y1, 0.f, static_cast<float>(image_h));
      x2 = std::clamp(x2, 0.f, static_cast<float>(image_w));
      y2 = std::clamp(y2, 0.f, static_cast<float>(image_h));
      if (x2 - x1 < 1.f || y2 - y1 < 1.f) continue;
      c.face.box = {x1, y1, x2 - x1, y2 - y1};
      c.face.score = score;
      for (int k = 0; k < 5; ++k) c.face.landmarks[k] = {(f[4 + 2 * k] + ox) * inv, (f[5 + 2 * k] + oy) * inv};
      out.push_back(c);
    }
  }
};

FaceDetector::FaceDetector(const DetectorOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  if (!(options.score_threshold >= 0.f && options.score_threshold <= 1.f))
    throw ModelError("detector score threshold must be between 0 and 1");
  if (!(options.edge_score_threshold >= 0.f && options.edge_score_threshold <= 1.f))
    throw ModelError("detector edge score threshold must be between 0 and 1");
  if (!(options.nms_threshold > 0.f && options.nms_threshold <= 1.f))
    throw ModelError("detector NMS threshold must be in (0, 1]");
  // Checks presence and sha256; OpenCV 4.6 then loads the model from the same path.
  read_verified_model(options.model_path, options.model_sha256);
  impl_->detector_for(options.base_long_edge > 0 ? options.base_long_edge : 640, 480);  // loads once: fails early
  if (!options.second_model_path.empty())
    impl_->second = std::make_unique<YuNet2023Network>(options.second_model_path, options.second_model_sha256);
}

FaceDetector::~FaceDetector() = default;

const DetectorOptions& FaceDetector::options() const { return impl_->options; }

std::vector<DetectedFace> FaceDetector::detect(const cv::Mat& image, EdgeRule edge_rule) {
  std::vector<DetectedFace> result;
  if (image.empty()) return result;
  const cv::Mat bgr = as_bgr8(image, "detect");
  const int W = bgr.cols, H = bgr.rows;
  std::vector<DetectionPass> passes = plan_detection_passes(W, H, impl_->options);

  // Scaled images, finest first, so that each coarser one is made from the next finer one
  // (cheaper than going back to the full-resolution original every time).
  std::vector<std::size_t> order(passes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return passes[a].scale > passes[b].scale; });

  std::vector<Candidate> candidates;
  cv::Mat finer;  // the last scaled image made with scale <= 1
  for (std::size_t idx : order) {
    const DetectionPass& pass = passes[idx];
    const cv::Size size(pass.input_width, pass.input_height);
    cv::Mat scaled;
    if (size == bgr.size()) {
      scaled = bgr;
    } else if (pass.scale > 1.0) {
      cv::resize(bgr, scaled, size, 0, 0, cv::INTER_LINEAR);
    } else {
      scaled = shrink_to(finer.empty() ? bgr : finer, size);
    }
    if (pass.scale <= 1.0) finer = scaled;
    // The second network sees the whole-image pass without the black border: measured on
    // testdata, it finds the masked faces it adds only there (docs/models.md). The edge rule's
    // run frames the same image in a mirrored border of its own.
    if (impl_->second && idx == 0) impl_->run_second(scaled, pass, W, H, edge_rule, candidates);
    if (pass.pad > 0) {
      cv::Mat padded;
      // BORDER_ISOLATED: `scaled` may be a view into a larger buffer (a video frame with spare
      // rows), and without it OpenCV would fill the border from whatever lies around the view.
      cv::copyMakeBorder(scaled, padded, pass.pad, pass.pad, pass.pad, pass.pad,
                         cv::BORDER_CONSTANT | cv::BORDER_ISOLATED, cv::Scalar(0, 0, 0));
      scaled = padded;
    }

    for (int ty = 0; ty < pass.tiles_y; ++ty) {
      for (int tx = 0; tx < pass.tiles_x; ++tx) {
        const int ox = tile_origin(tx, pass.tiles_x, scaled.cols, pass.tile_width);
        const int oy = tile_origin(ty, pass.tiles_y, scaled.rows, pass.tile_height);
        const cv::Mat tile = scaled(cv::Rect(ox, oy, pass.tile_width, pass.tile_height));
        for (int m = 0; m < (pass.mirrored ? 2 : 1); ++m) {
          impl_->run_tile(tile, m == 1, ox - pass.pad, oy - pass.pad, pass, tx > 0, ty > 0, tx + 1 < pass.tiles_x, ty + 1 < pass.tiles_y,
                          W, H, candidates);
        }
      }
    }
  }

  // A "face" on a region with no detail at face scale is the network answering featureless
  // input (models/region_detail.h); dropped before the merge, so it can suppress no real face.
  std::erase_if(candidates, [&](const Candidate& c) { return region_detail(bgr, c.face.box) < kMinFaceDetail; });

  // Merge: greedy NMS over all passes, whole faces first (by score), then the fallbacks (faces
  // that touch an inner tile edge, the edge rule's faces), which are kept only when nothing else
  // covers them (privacy first: a face seen only cut by a tile edge is still a face).
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.fallback != b.fallback) return !a.fallback;
    return a.face.score > b.face.score;
  });
  // When the two networks see the same face and disagree on its extent (more than a fifth of
  // the other box outside the one kept, the higher score), the box kept grows to take in the
  // other's: they do on masked and turned faces, and the painting must cover both (privacy
  // first). Small disagreements are left alone: a larger painting looks more like a face to
  // the detector (docs/models.md). The landmarks stay the kept face's.
  const float nms = impl_->options.nms_threshold;
  std::vector<bool> kept_second;
  for (const Candidate& c : candidates) {
    bool suppressed = false;
    for (std::size_t k = 0; k < result.size(); ++k) {
      if (iou(c.face.box, result[k].box) > nms ||
          (c.fallback && intersection_over_smaller(c.face.box, result[k].box) > 0.5f)) {
        if (c.second != kept_second[k] && !c.fallback && share_inside(c.face.box, result[k].box) < 0.8f)
          result[k].box = union_box(result[k].box, c.face.box);
        suppressed = true;
        break;
      }
    }
    if (!suppressed) result.push_back(c.face), kept_second.push_back(c.second);
  }
  std::sort(result.begin(), result.end(), [](const DetectedFace& a, const DetectedFace& b) { return a.score > b.score; });
  return result;
}

}  // namespace veil

// Face detection and recognition accuracy on ../shared/testdata, with the real models.
//
//  (a) detection recall/precision (IoU >= 0.5, >= 0.3 for faces under 20 px) overall and by
//      annotated face height, default and thorough mode, time per image;
//  (b) share of annotated faces >= 80 % covered by the painted regions when every detected face
//      is blurred (redaction_region + the ellipse redact_face paints, rasterised into a mask);
//  (c) verification TAR at FAR 1e-2 / 1e-3 over all pairs of faces/ (kind=single, largest face);
//  (d) open-set identification, two photos enrolled per identity with >= 3 photos;
//  (e) what goes out: each set through the photo pipeline with every face judged blur:
//      published and held counts, the painted share by face height and the annotated faces
//      left unpainted in published photos (< 16, 16-24, 24-32, >= 32 px);
//  and the detector's time on a large photo (--large FILE, e.g. a 12 MP JPEG) against one plain
//  YuNet 640x480 pass measured in the same process.
//
// Usage: face_accuracy [--testdata DIR] [--models DIR] [--large FILE] [--threads N]
//                      [--score X] [--sweep] [--skip-recognition] [--skip-detection] [--skip-published]
//                      [--no-second-detector] [--second-score X] [--edge-score X] [--misses DIR]
//                      [--expand X] [--small-expand X] [--small-height PX] [--crowd-faces N] [--crowd-height PX]
//                      [--mirror 0|1] [--min-face PX] [--upscale X] [--budget MP] [--base PX] [--tile PX]
// (the last two groups override the redaction, the crowd rule and the detector's pass planning,
// for experiments; the crowd and redaction ones apply to (e) only)
// The detector is set up as veil's default configuration: YuNet 2022mar with the YuNet 2023mar
// second network (--no-second-detector: the first alone). --misses DIR lists every face >= 32 px
// left uncovered with the detections around it and draws them into DIR; in (e), every face
// >= 24 px left unpainted in a published photo and one line per photo (faces found by size,
// then what the verification found).
// Images are decoded with cv::imread. Run through benchmarks/face_accuracy.sh.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect/face.hpp>

#include "config/config.h"
#include "config/allocator.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "models/model_file.h"
#include "pipeline/photo/photo_pipeline.h"
#include "pipeline/photo/redact.h"
#include "pipeline/stage_options.h"
#include "policy/face_judge.h"

namespace {

using namespace veil;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t')) cols.push_back(c);
    rows.push_back(cols);
  }
  return rows;
}

cv::Mat load(const std::string& path) {
  cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
  if (m.empty()) {
    std::fprintf(stderr, "cannot decode %s\n", path.c_str());
    std::exit(1);
  }
  return m;
}

// ---------------------------------------------------------------- (a) + (b) detection

constexpr int kBuckets = 4;
const char* kBucketNames[kBuckets] = {"<16", "16-32", "32-64", ">=64"};
int bucket(float h) { return h < 16 ? 0 : h < 32 ? 1 : h < 64 ? 2 : 3; }

struct DetectionImage {
  std::string file;
  cv::Mat image;
  std::vector<Box> truth;
};

struct DetectionStats {
  int truth[kBuckets] = {}, found[kBuckets] = {}, covered[kBuckets] = {};
  std::vector<std::array<int, kBuckets>> covered_what_if;  // per kWhatIf geometry
  int detections = 0, matched_detections = 0;
  double total_ms = 0;
  int images = 0;
  int negative_images = 0, negative_detections = 0;
  std::vector<std::string> negative_hits;
};

// Greedy matching, annotated faces in order, each to the unmatched detection of highest IoU.
void match(const std::vector<Box>& truth, const std::vector<DetectedFace>& det, std::vector<bool>& truth_hit,
           std::vector<bool>& det_used) {
  truth_hit.assign(truth.size(), false);
  det_used.assign(det.size(), false);
  for (std::size_t t = 0; t < truth.size(); ++t) {
    const float need = truth[t].h < 20 ? 0.3f : 0.5f;
    int best = -1;
    float best_iou = 0;
    for (std::size_t d = 0; d < det.size(); ++d) {
      if (det_used[d]) continue;
      const float v = iou(truth[t], det[d].box);
      if (v >= need && v > best_iou) best_iou = v, best = static_cast<int>(d);
    }
    if (best >= 0) truth_hit[t] = true, det_used[best] = true;
  }
}

// Other redaction geometries, for comparison only: the box scaled by `expand_w` x `expand_h`
// around its centre moved down by `down` face heights, the ellipse cut by the image edge as
// redact_face paints it.
struct WhatIf {
  const char* name;
  float expand_w, expand_h, down;
};
const WhatIf kWhatIf[] = {{"1.4 x 1.4", 1.4f, 1.4f, 0.f},       {"1.6 x 1.6", 1.6f, 1.6f, 0.f},
                          {"1.6 x 1.6, 0.1 h up", 1.6f, 1.6f, -0.1f}, {"1.7 x 1.7", 1.7f, 1.7f, 0.f},
                          {"1.6 x 2.0", 1.6f, 2.0f, 0.f},       {"1.8 x 1.8", 1.8f, 1.8f, 0.f}};

Box what_if_ellipse_box(const Box& f, const WhatIf& g) {
  const float cx = f.x + f.w / 2, cy = f.y + f.h / 2 + g.down * f.h;
  const float x1 = std::floor(cx - f.w * g.expand_w / 2), y1 = std::floor(cy - f.h * g.expand_h / 2);
  const float x2 = std::ceil(cx + f.w * g.expand_w / 2), y2 = std::ceil(cy + f.h * g.expand_h / 2);
  return {x1, y1, x2 - x1, y2 - y1};
}

// The pixels redact_face paints for these faces: the ellipse inscribed in each face's
// redaction_ellipse_box (RedactOptions{}), cut by the image edge; or the same for a what-if
// geometry.
cv::Mat painted_mask(const std::vector<DetectedFace>& faces, int w, int h, const WhatIf* what_if = nullptr) {
  cv::Mat mask = cv::Mat::zeros(h, w, CV_8UC1);
  for (const auto& f : faces) {
    const Box e = what_if ? what_if_ellipse_box(f.box, *what_if) : redaction_ellipse_box(f.box, RedactOptions{});
    const int ew = static_cast<int>(e.w), eh = static_cast<int>(e.h);
    cv::ellipse(mask, cv::Point(static_cast<int>(e.x) + ew / 2, static_cast<int>(e.y) + eh / 2),
                cv::Size(std::max(1, ew / 2), std::max(1, eh / 2)), 0, 0, 360, cv::Scalar(255), cv::FILLED);
  }
  return mask;
}

double covered_fraction(const cv::Mat& mask, const Box& b) {
  const cv::Rect r = cv::Rect(static_cast<int>(std::lround(b.x)), static_cast<int>(std::lround(b.y)),
                              static_cast<int>(std::lround(b.w)), static_cast<int>(std::lround(b.h))) &
                     cv::Rect(0, 0, mask.cols, mask.rows);
  if (r.area() <= 0) return 0;
  return static_cast<double>(cv::countNonZero(mask(r))) / r.area();
}

// Set by --misses DIR: every annotated face >= 32 px left uncovered is listed with the detections
// around it, and its image is written to DIR with the truth (green) and the detections (red,
// landmarks as dots) drawn on it.
std::string g_misses_dir;

void report_miss(const DetectionImage& img, const Box& t, const std::vector<DetectedFace>& faces, double covered) {
  std::printf("miss      %s truth [%.0f,%.0f %.0fx%.0f] covered %.2f\n", img.file.c_str(), t.x, t.y, t.w, t.h, covered);
  cv::Mat canvas = img.image.clone();
  cv::rectangle(canvas, cv::Rect(int(t.x), int(t.y), int(t.w), int(t.h)), cv::Scalar(0, 255, 0), 1);
  for (const auto& f : faces) {
    cv::rectangle(canvas, cv::Rect(int(f.box.x), int(f.box.y), int(f.box.w), int(f.box.h)), cv::Scalar(0, 0, 255), 1);
    for (const auto& p : f.landmarks) cv::circle(canvas, cv::Point(int(p.x), int(p.y)), 1, cv::Scalar(255, 0, 0), -1);
    if (iou(t, f.box) <= 0) continue;
    std::printf("miss        detection [%.0f,%.0f %.0fx%.0f] score %.2f iou %.2f landmarks", f.box.x, f.box.y, f.box.w,
                f.box.h, f.score, iou(t, f.box));
    for (const auto& p : f.landmarks) std::printf(" (%.0f,%.0f)", p.x, p.y);
    std::printf("\n");
  }
  const std::string name = std::filesystem::path(img.file).stem().string();
  cv::imwrite(g_misses_dir + "/" + name + ".png", canvas);
}

DetectionStats run_detection(FaceDetector& detector, const std::vector<DetectionImage>& images,
                             const std::vector<std::pair<std::string, cv::Mat>>& negatives) {
  DetectionStats s;
  for (const auto& img : images) {
    const auto t0 = Clock::now();
    const auto faces = detector.detect(img.image);
    s.total_ms += ms_since(t0);
    ++s.images;
    std::vector<bool> hit, used;
    match(img.truth, faces, hit, used);
    const cv::Mat mask = painted_mask(faces, img.image.cols, img.image.rows);
    for (std::size_t t = 0; t < img.truth.size(); ++t) {
      const int b = bucket(img.truth[t].h);
      ++s.truth[b];
      s.found[b] += hit[t];
      const double c = covered_fraction(mask, img.truth[t]);
      s.covered[b] += c >= 0.8;
      if (!g_misses_dir.empty() && c < 0.8 && b >= 2) report_miss(img, img.truth[t], faces, c);
    }
    s.covered_what_if.resize(std::size(kWhatIf));
    for (std::size_t g = 0; g < std::size(kWhatIf); ++g) {
      const cv::Mat alt = painted_mask(faces, img.image.cols, img.image.rows, &kWhatIf[g]);
      for (const Box& t : img.truth) s.covered_what_if[g][bucket(t.h)] += covered_fraction(alt, t) >= 0.8;
    }
    s.detections += static_cast<int>(faces.size());
    s.matched_detections += static_cast<int>(std::count(used.begin(), used.end(), true));
  }
  for (const auto& [name, image] : negatives) {
    const auto faces = detector.detect(image);
    ++s.negative_images;
    s.negative_detections += static_cast<int>(faces.size());
    for (const auto& f : faces) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s [%.0f,%.0f %.0fx%.0f score %.2f]", name.c_str(), f.box.x, f.box.y, f.box.w,
                    f.box.h, f.score);
      s.negative_hits.push_back(buf);
    }
  }
  return s;
}

void print_detection(const char* mode, const DetectionStats& s) {
  int truth = 0, found = 0, covered = 0, truth32 = 0, covered32 = 0, found32 = 0;
  for (int b = 0; b < kBuckets; ++b) {
    truth += s.truth[b], found += s.found[b], covered += s.covered[b];
    if (b >= 2) truth32 += s.truth[b], covered32 += s.covered[b], found32 += s.found[b];
  }
  std::printf("detection %-8s recall %.3f (%d/%d)  precision %.3f (%d/%d detections matched)  %.1f ms/image\n", mode,
              double(found) / truth, found, truth, s.detections ? double(s.matched_detections) / s.detections : 0.0,
              s.matched_detections, s.detections, s.total_ms / std::max(1, s.images));
  std::printf("detection %-8s recall by face height:", mode);
  for (int b = 0; b < kBuckets; ++b)
    std::printf("  %s px %.3f (%d/%d)", kBucketNames[b], s.truth[b] ? double(s.found[b]) / s.truth[b] : 0.0,
                s.found[b], s.truth[b]);
  std::printf("\n");
  std::printf("coverage  %-8s faces >= 80%% painted: all %.3f (%d/%d)  faces >= 32 px %.3f (%d/%d)\n", mode,
              double(covered) / truth, covered, truth, double(covered32) / truth32, covered32, truth32);
  std::printf("coverage  %-8s by face height:", mode);
  for (int b = 0; b < kBuckets; ++b)
    std::printf("  %s px %.3f (%d/%d)", kBucketNames[b], s.truth[b] ? double(s.covered[b]) / s.truth[b] : 0.0,
                s.covered[b], s.truth[b]);
  std::printf("\n");
  for (std::size_t g = 0; g < s.covered_what_if.size(); ++g) {
    int c = 0, c32 = 0;
    for (int b = 0; b < kBuckets; ++b) c += s.covered_what_if[g][b], c32 += b >= 2 ? s.covered_what_if[g][b] : 0;
    std::printf("coverage  %-8s what-if ellipse %-22s (not what redact_face paints): all %.3f  faces >= 32 px %.3f\n",
                mode, kWhatIf[g].name, double(c) / truth, double(c32) / truth32);
  }
  std::printf("negatives %-8s %d detections on %d images without people\n", mode, s.negative_detections,
              s.negative_images);
  for (const auto& h : s.negative_hits) std::printf("negatives %-8s   %s\n", mode, h.c_str());
}

// ---------------------------------------------------------------- (e) what goes out

// A set of annotated images as uploaded: `scale` < 1 shrinks each image (INTER_AREA, as a phone
// or a journal app makes a small copy) and its annotations with it; `long_edge` > 0 instead
// brings the long edge to that many pixels.
struct PublishedSet {
  std::string name;
  std::vector<DetectionImage> images;
};

PublishedSet scaled_set(const std::string& name, const std::vector<DetectionImage>& from, double scale, int long_edge) {
  PublishedSet set{name, {}};
  for (const auto& img : from) {
    const double f = long_edge > 0 ? static_cast<double>(long_edge) / std::max(img.image.cols, img.image.rows) : scale;
    DetectionImage out{img.file, {}, {}};
    if (f == 1.0) {
      out.image = img.image;
    } else {
      cv::resize(img.image, out.image,
                 cv::Size(std::max(1, static_cast<int>(std::lround(img.image.cols * f))),
                          std::max(1, static_cast<int>(std::lround(img.image.rows * f)))),
                 0, 0, f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    const double fx = static_cast<double>(out.image.cols) / img.image.cols;
    const double fy = static_cast<double>(out.image.rows) / img.image.rows;
    for (const Box& b : img.truth)
      out.truth.push_back({static_cast<float>(b.x * fx), static_cast<float>(b.y * fy), static_cast<float>(b.w * fx),
                           static_cast<float>(b.h * fy)});
    set.images.push_back(std::move(out));
  }
  return set;
}

constexpr int kOutBuckets = 4;
const char* kOutBucketNames[kOutBuckets] = {"<16", "16-24", "24-32", ">=32"};
int out_bucket(float h) { return h < 16 ? 0 : h < 24 ? 1 : h < 32 ? 2 : 3; }

// Every face judged blur, as `veil process --blur-all`.
class BlurAll : public FaceJudge {
 public:
  bool needs_embedding() const override { return false; }
  FaceJudgement judge(const Embedding&) override { return {Decision::blur, "benchmark", "", 0, 0, 0, false}; }
};

// Each image through the photo pipeline as veild runs it (veil's default configuration,
// verification on, the image encoded as PNG and decoded by libvips) with every face judged blur.
// Prints, per set: published and held counts (with the reasons held), the painted share by
// annotated face height over all photos, and the annotated faces left unpainted (< 80 % of
// the box painted) in published photos, by height; with --misses, each of those >= 24 px.
void run_published(PhotoPipeline& pipeline, const PublishedSet& set, const RedactOptions& redact) {
  int truth[kOutBuckets] = {}, painted[kOutBuckets] = {}, leaked[kOutBuckets] = {};
  int published = 0, held = 0, rejected = 0;
  std::map<std::string, int> reasons;
  double seconds = 0;
  for (const auto& img : set.images) {
    std::vector<uchar> png;
    cv::imencode(".png", img.image, png);
    BlurAll judge;
    const PhotoResult r = pipeline.process(std::string(png.begin(), png.end()), judge);
    seconds += r.seconds;
    const bool out = r.outcome.state == MediaState::published;
    if (out) ++published;
    else if (r.outcome.state == MediaState::rejected) ++rejected;
    else ++held;
    if (!out) {
      for (const auto& why : r.outcome.reasons) ++reasons[why.substr(0, why.find(':'))];
    }
    std::vector<DetectedFace> paint;
    for (const auto& pf : r.faces)
      if (pf.painted) paint.push_back(pf.face);
    cv::Mat mask = cv::Mat::zeros(img.image.rows, img.image.cols, CV_8UC1);
    for (const auto& f : paint) {
      const Box e = redaction_ellipse_box(f.box, redact);
      const int ew = static_cast<int>(e.w), eh = static_cast<int>(e.h);
      cv::ellipse(mask, cv::Point(static_cast<int>(e.x) + ew / 2, static_cast<int>(e.y) + eh / 2),
                  cv::Size(std::max(1, ew / 2), std::max(1, eh / 2)), 0, 0, 360, cv::Scalar(255), cv::FILLED);
    }
    if (!g_misses_dir.empty()) {
      int n16 = 0, n24 = 0, n32 = 0, unpainted = 0;
      for (const auto& pf : r.faces) n16 += pf.face.box.h < 16, n24 += pf.face.box.h < 24, n32 += pf.face.box.h < 32;
      for (const Box& t : img.truth) unpainted += covered_fraction(mask, t) < 0.8;
      std::printf("photo     %-16s %s %dx%d %s faces %zu (<16 %d, <24 %d, <32 %d), truth %zu, unpainted %d\n",
                  set.name.c_str(), img.file.c_str(), img.image.cols, img.image.rows, out ? "published" : "held",
                  r.faces.size(), n16, n24, n32, img.truth.size(), unpainted);
      for (const auto& pf : r.faces) {
        if (!pf.found_in_verification) continue;
        const DetectedFace& f = pf.face;
        std::printf("photo       found by the verification [%.0f,%.0f %.0fx%.0f] score %.2f landmarks", f.box.x, f.box.y,
                    f.box.w, f.box.h, f.score);
        for (const auto& p : f.landmarks) std::printf(" (%.0f,%.0f)", p.x, p.y);
        std::printf("\n");
      }
    }
    for (const Box& t : img.truth) {
      const int b = out_bucket(t.h);
      ++truth[b];
      const double c = covered_fraction(mask, t);
      painted[b] += c >= 0.8;
      if (out && c < 0.8) {
        ++leaked[b];
        if (!g_misses_dir.empty() && t.h >= 24)
          std::printf("published %-16s %s %dx%d: face [%.0f,%.0f %.0fx%.0f] painted %.2f\n", set.name.c_str(),
                      img.file.c_str(), img.image.cols, img.image.rows, t.x, t.y, t.w, t.h, c);
      }
    }
  }
  int all = 0, all_painted = 0, all_leaked = 0, leaked24 = 0;
  for (int b = 0; b < kOutBuckets; ++b) {
    all += truth[b], all_painted += painted[b], all_leaked += leaked[b];
    if (b >= 2) leaked24 += leaked[b];
  }
  std::printf("published %-16s %zu photos: %d published, %d held, %d rejected; %.0f ms/photo\n", set.name.c_str(),
              set.images.size(), published, held, rejected, 1000 * seconds / std::max<std::size_t>(1, set.images.size()));
  if (!reasons.empty()) {
    std::printf("published %-16s held because:", set.name.c_str());
    for (const auto& [why, n] : reasons) std::printf(" %s %d;", why.c_str(), n);
    std::printf("\n");
  }
  std::printf("published %-16s painted share: all %.3f (%d/%d)", set.name.c_str(), all ? double(all_painted) / all : 0.0,
              all_painted, all);
  for (int b = 0; b < kOutBuckets; ++b)
    std::printf("  %s px %.3f (%d/%d)", kOutBucketNames[b], truth[b] ? double(painted[b]) / truth[b] : 0.0, painted[b],
                truth[b]);
  std::printf("\n");
  std::printf("published %-16s unpainted in published photos: %d;", set.name.c_str(), all_leaked);
  for (int b = 0; b < kOutBuckets; ++b) std::printf("  %s px %d", kOutBucketNames[b], leaked[b]);
  std::printf("  (>= 24 px: %d)\n", leaked24);
}

// ---------------------------------------------------------------- (c) + (d) recognition

struct Photo {
  std::string file, identity, kind;
  Embedding embedding;  // empty: no face found
};

// Threshold t such that at most `far` of the impostor scores are > t; TAR = share of genuine > t.
std::pair<double, double> tar_at_far(std::vector<float> genuine, std::vector<float> impostor, double far) {
  std::sort(impostor.begin(), impostor.end(), std::greater<float>());
  const std::size_t k = static_cast<std::size_t>(std::floor(far * impostor.size()));
  const double threshold = impostor.empty() ? 1.0 : impostor[std::min(k, impostor.size() - 1)];
  const auto above = std::count_if(genuine.begin(), genuine.end(), [&](float g) { return g > threshold; });
  return {threshold, genuine.empty() ? 0.0 : double(above) / genuine.size()};
}

void verification(const std::vector<Photo>& photos, const char* label, double& thr_1e3) {
  std::vector<float> genuine, impostor;
  int usable = 0;
  for (std::size_t i = 0; i < photos.size(); ++i) {
    if (photos[i].embedding.empty()) continue;
    ++usable;
    for (std::size_t j = i + 1; j < photos.size(); ++j) {
      if (photos[j].embedding.empty()) continue;
      const float s = cosine_similarity(photos[i].embedding, photos[j].embedding);
      (photos[i].identity == photos[j].identity ? genuine : impostor).push_back(s);
    }
  }
  const auto [t2, tar2] = tar_at_far(genuine, impostor, 1e-2);
  const auto [t3, tar3] = tar_at_far(genuine, impostor, 1e-3);
  thr_1e3 = t3;
  std::printf("verification %s: %d photos, %zu same-person and %zu different-person pairs\n", label, usable,
              genuine.size(), impostor.size());
  std::printf("verification %s: TAR %.3f at FAR 1e-2 (threshold %.3f), TAR %.3f at FAR 1e-3 (threshold %.3f)\n",
              label, tar2, t2, tar3, t3);
}

void open_set(const std::vector<Photo>& singles, const std::vector<Photo>& unknown, double threshold) {
  std::map<std::string, std::vector<const Photo*>> by_id;
  for (const auto& p : singles)
    if (!p.embedding.empty()) by_id[p.identity].push_back(&p);
  std::map<std::string, std::vector<const Embedding*>> gallery;
  std::vector<const Photo*> known_probes, unknown_probes, other_probes;
  for (auto& [id, list] : by_id) {
    std::sort(list.begin(), list.end(), [](auto a, auto b) { return a->file < b->file; });
    if (list.size() >= 3) {
      gallery[id] = {&list[0]->embedding, &list[1]->embedding};
      for (std::size_t i = 2; i < list.size(); ++i) known_probes.push_back(list[i]);
    } else {
      for (auto* p : list) other_probes.push_back(p);  // people not enrolled
    }
  }
  for (const auto& p : unknown)
    if (!p.embedding.empty()) unknown_probes.push_back(&p);

  auto identify = [&](const Photo& p) -> std::pair<std::string, float> {
    std::string best;
    float best_s = -2;
    for (const auto& [id, templates] : gallery)
      for (const auto* t : templates) {
        const float s = cosine_similarity(p.embedding, *t);
        if (s > best_s) best_s = s, best = id;
      }
    return {best_s > threshold ? best : std::string(), best_s};
  };
  int right = 0, wrong = 0, missed = 0;
  for (const auto* p : known_probes) {
    const auto [id, s] = identify(*p);
    if (id.empty()) ++missed;
    else if (id == p->identity) ++right;
    else ++wrong;
  }
  auto accepted = [&](const std::vector<const Photo*>& probes) {
    int n = 0;
    for (const auto* p : probes) {
      const auto [id, sim] = identify(*p);
      if (id.empty()) continue;
      ++n;
      std::printf("open-set: not enrolled, accepted: %s as %s (similarity %.3f)\n", p->file.c_str(), id.c_str(), sim);
    }
    return n;
  };
  const int acc_unknown = accepted(unknown_probes), acc_other = accepted(other_probes);
  std::printf("open-set: %zu identities enrolled with 2 photos each, threshold %.3f (FAR 1e-3 from verification)\n",
              gallery.size(), threshold);
  std::printf("open-set: enrolled probes %zu: right match %.3f (%d), wrong match %.3f (%d), not accepted %.3f (%d)\n",
              known_probes.size(), double(right) / known_probes.size(), right, double(wrong) / known_probes.size(),
              wrong, double(missed) / known_probes.size(), missed);
  std::printf("open-set: _unknown probes accepted as someone: %.3f (%d/%zu)\n",
              unknown_probes.empty() ? 0.0 : double(acc_unknown) / unknown_probes.size(), acc_unknown,
              unknown_probes.size());
  std::printf("open-set: _unknown + non-enrolled identities (< 3 photos) accepted as someone: %.3f (%d/%zu)\n",
              double(acc_unknown + acc_other) / std::max<std::size_t>(1, unknown_probes.size() + other_probes.size()),
              acc_unknown + acc_other, unknown_probes.size() + other_probes.size());
}

// ---------------------------------------------------------------- timing on a large photo

void time_large(const std::string& file, const std::string& model, DetectorOptions options) {
  const cv::Mat image = load(file);
  // Baseline: one plain YuNet pass on a 640x480 frame (DESIGN.md section 7: 15 ms on this kind of machine).
  cv::Mat frame;
  cv::resize(image, frame, cv::Size(640, 480), 0, 0, cv::INTER_AREA);
  auto yunet = cv::FaceDetectorYN::create(model, "", frame.size(), options.score_threshold, 0.3f, 5000);
  cv::Mat out;
  yunet->detect(frame, out);
  std::vector<double> base;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    yunet->detect(frame, out);
    base.push_back(ms_since(t0));
  }
  std::sort(base.begin(), base.end());
  std::printf("timing: baseline one YuNet 640x480 pass %.1f ms (median of 5; DESIGN.md: 15 ms unloaded)\n", base[2]);
  for (bool thorough : {false, true}) {
    options.thorough = thorough;
    FaceDetector detector(options);
    const auto passes = plan_detection_passes(image.cols, image.rows, options);
    std::string plan;
    for (const auto& p : passes) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "%s%dx%d (scale %.2f, %dx%d tiles)", plan.empty() ? "" : " + ", p.input_width,
                    p.input_height, p.scale, p.tiles_x, p.tiles_y);
      plan += buf;
    }
    detector.detect(image);  // warm-up: creates the detectors
    std::vector<double> t;
    std::size_t n = 0;
    for (int i = 0; i < (thorough ? 1 : 3); ++i) {
      const auto t0 = Clock::now();
      n = detector.detect(image).size();
      t.push_back(ms_since(t0));
    }
    std::sort(t.begin(), t.end());
    const double med = t[t.size() / 2];
    std::printf("timing: %s %dx%d (%.1f MP) %s: %.0f ms (%.1fx the 640x480 pass), %zu faces; passes: %s; "
                "smallest face planned %.0f px\n",
                thorough ? "thorough" : "default ", image.cols, image.rows, image.total() / 1e6,
                std::filesystem::path(file).filename().c_str(), med, med / base[2], n, plan.c_str(),
                smallest_planned_face(passes));
  }
}

}  // namespace

int main(int argc, char** argv) {
  veil::tune_allocator_for_media();
  std::string testdata = std::string(VEIL_SHARED_DIR) + "/testdata";
  std::string models = std::getenv("VEIL_MODEL_DIR") ? std::getenv("VEIL_MODEL_DIR") : "";
  std::string large;
  int threads = 1;
  float score = -1;
  bool sweep = false, recognition = true, second_detector = true, detection = true, published = true;
  float second_score = -1;  // the second network's threshold; < 0: veil's default
  float edge_score = -1;    // the second network's threshold at the image edge; < 0: veil's default
  int crowd_faces = -1;     // the crowd rule (published photos); < 0: veil's default
  float crowd_height = -1;
  float expand = -1, small_expand = -1, small_height = -1;        // the painted ellipse's expansion (published photos); < 0: veil's default
  DetectorOptions plan;  // pass-planning overrides (0 / -1: the mode's defaults)
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--testdata") testdata = next();
    else if (a == "--models") models = next();
    else if (a == "--large") large = next();
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--score") score = std::stof(next());
    else if (a == "--sweep") sweep = true;
    else if (a == "--mirror") plan.mirror = std::stoi(next());
    else if (a == "--min-face") plan.min_face_height = std::stof(next());
    else if (a == "--upscale") plan.max_upscale = std::stof(next());
    else if (a == "--budget") plan.max_input_megapixels = std::stof(next());
    else if (a == "--base") plan.base_long_edge = std::stoi(next());
    else if (a == "--tile") plan.tile_size = std::stoi(next());
    else if (a == "--skip-recognition") recognition = false;
    else if (a == "--skip-detection") detection = false;
    else if (a == "--expand") expand = std::stof(next());
    else if (a == "--small-expand") small_expand = std::stof(next());
    else if (a == "--small-height") small_height = std::stof(next());
    else if (a == "--crowd-faces") crowd_faces = std::stoi(next());
    else if (a == "--crowd-height") crowd_height = std::stof(next());
    else if (a == "--skip-published") published = false;
    else if (a == "--misses") g_misses_dir = next();
    else if (a == "--no-second-detector") second_detector = false;
    else if (a == "--second-score") second_score = std::stof(next());
    else if (a == "--edge-score") edge_score = std::stof(next());
    else {
      std::fprintf(stderr, "usage: %s [--testdata DIR] [--models DIR] [--large FILE] [--threads N] [--score X] "
                           "[--sweep] [--skip-recognition] [--skip-detection] [--skip-published] [--no-second-detector] [--second-score X] [--edge-score X] [--misses DIR] [--mirror 0|1] "
                           "[--min-face PX] [--upscale X] [--budget MP] [--base PX] [--tile PX]\n", argv[0]);
      return 2;
    }
  }
  if (models.empty()) {
    std::fprintf(stderr, "set VEIL_MODEL_DIR or pass --models DIR\n");
    return 2;
  }
  cv::setNumThreads(threads);
  std::printf("face_accuracy: testdata %s, models %s, %d OpenCV thread(s)\n", testdata.c_str(), models.c_str(),
              threads);

  DetectorOptions dopt = plan;
  dopt.model_path = models + "/face_detection_yunet_2022mar.onnx";
  dopt.model_sha256 = "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7";
  if (score >= 0) dopt.score_threshold = score;
  if (second_detector) {  // as veil's default configuration
    const Config defaults;
    dopt.second_model_path = models + "/" + defaults.models.second_detector;
    dopt.second_model_sha256 = defaults.models.second_detector_sha256;
    dopt.second_score_threshold =
        second_score >= 0 ? second_score : static_cast<float>(defaults.detection.second_score_threshold);
    dopt.edge_score_threshold =
        edge_score >= 0 ? edge_score : static_cast<float>(defaults.detection.edge_score_threshold);
  }
  EmbedderOptions eopt;
  eopt.model_path = models + "/face_recognition_mobilefacenet_128d.onnx";
  eopt.model_sha256 = "e72a5710cce378dc46472b6b845cb90647634f2738d8c3e581735cf195b9866f";

  // Annotated detection images and the people-free negatives.
  std::vector<DetectionImage> images;
  {
    std::map<std::string, std::size_t> index;
    for (const auto& row : read_tsv(testdata + "/detection/annotations.tsv")) {
      if (row.size() < 7) continue;
      if (!index.count(row[0])) {
        index[row[0]] = images.size();
        images.push_back({row[0], load(testdata + "/detection/" + row[0]), {}});
      }
      images[index[row[0]]].truth.push_back({std::stof(row[3]), std::stof(row[4]), std::stof(row[5]), std::stof(row[6])});
    }
  }
  std::vector<std::pair<std::string, cv::Mat>> negatives;
  {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(testdata + "/robustness/negatives"))
      files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) negatives.emplace_back(std::filesystem::path(f).filename().string(), load(f));
  }

  if (sweep) {
    for (bool thorough : {false, true})
      for (float t : {0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}) {
        DetectorOptions o = dopt;
        o.thorough = thorough;
        o.score_threshold = t;
        FaceDetector d(o);
        const DetectionStats s = run_detection(d, images, negatives);
        int truth = 0, found = 0, covered = 0;
        for (int b = 0; b < kBuckets; ++b) truth += s.truth[b], found += s.found[b], covered += s.covered[b];
        std::printf("sweep %-8s score >= %.1f: recall %.3f precision %.3f coverage %.3f negatives %d  |",
                    thorough ? "thorough" : "default", t, double(found) / truth,
                    double(s.matched_detections) / std::max(1, s.detections), double(covered) / truth,
                    s.negative_detections);
        for (int b = 0; b < kBuckets; ++b) std::printf(" %s %d/%d", kBucketNames[b], s.found[b], s.truth[b]);
        std::printf("\n");
      }
  }

  if (detection) {
    std::printf("detection: %zu annotated images, IoU >= 0.5 (>= 0.3 for faces under 20 px), score >= %.2f\n",
                images.size(), dopt.score_threshold);
    for (bool thorough : {false, true}) {
      DetectorOptions o = dopt;
      o.thorough = thorough;
      FaceDetector d(o);
      print_detection(thorough ? "thorough" : "default", run_detection(d, images, negatives));
    }
  }

  if (published) {
    // The developer set as it is, then sets that look like the photos where small faces are
    // missed: the same images made smaller, and the group photos of detection/unannotated
    // (boxes in benchmarks/group_faces.tsv, drawn over their faces by hand) at phone-upload sizes.
    std::vector<DetectionImage> groups;
    {
      std::map<std::string, std::size_t> index;
      for (const auto& row : read_tsv(std::string(VEIL_SOURCE_DIR) + "/benchmarks/group_faces.tsv")) {
        if (row.size() < 7) continue;
        if (!index.count(row[0])) {
          index[row[0]] = groups.size();
          groups.push_back({row[0], load(testdata + "/detection/" + row[0]), {}});
        }
        groups[index[row[0]]].truth.push_back(
            {std::stof(row[3]), std::stof(row[4]), std::stof(row[5]), std::stof(row[6])});
      }
    }
    std::vector<PublishedSet> sets;
    sets.push_back(scaled_set("detection", images, 1.0, 0));
    sets.push_back(scaled_set("detection@0.75", images, 0.75, 0));
    sets.push_back(scaled_set("detection@0.5", images, 0.5, 0));
    for (int edge : {600, 400, 300, 200}) sets.push_back(scaled_set("groups@" + std::to_string(edge), groups, 0, edge));
    Config config;
    config.models.dir = models;
    if (score >= 0) config.detection.score_threshold = score;
    if (!second_detector) config.models.second_detector.clear();
    if (second_score >= 0) config.detection.second_score_threshold = second_score;
    if (edge_score >= 0) config.detection.edge_score_threshold = edge_score;
    if (expand >= 0) config.redaction.expand = expand;
    if (small_expand >= 0) config.redaction.small_face_expand = small_expand;
    if (small_height >= 0) config.redaction.small_face_height = small_height;
    if (crowd_faces >= 0) config.detection.crowd_min_faces = crowd_faces;
    if (crowd_height >= 0) config.detection.crowd_face_height = crowd_height;
    DetectorOptions o = detector_options(config);
    o.base_long_edge = plan.base_long_edge, o.min_face_height = plan.min_face_height;
    o.max_input_megapixels = plan.max_input_megapixels, o.max_upscale = plan.max_upscale;
    o.tile_size = plan.tile_size, o.mirror = plan.mirror;
    FaceDetector detector(o);
    FaceEmbedder embedder(embedder_options(config));
    PhotoPipeline pipeline(detector, embedder,
                           photo_options(config));
    std::printf("published: every face judged blur, veil's default configuration; unpainted = < 80 %% of the box painted\n");
    for (const auto& set : sets) run_published(pipeline, set, redact_options(config));
  }

  if (recognition) {
    FaceDetector detector(dopt);
    FaceEmbedder embedder(eopt);
    std::vector<Photo> singles, unknown;
    int no_face = 0;
    for (const auto& row : read_tsv(testdata + "/faces/identities.tsv")) {
      if (row.size() < 3 || (row[2] != "single" && row[2] != "unknown")) continue;
      Photo p{row[0], row[1], row[2], {}};
      const cv::Mat image = load(testdata + "/faces/" + row[0]);
      const auto faces = detector.detect(image);
      if (faces.empty()) {
        ++no_face;
        std::printf("recognition: no face found in %s\n", row[0].c_str());
      } else {
        const auto largest = std::max_element(faces.begin(), faces.end(),
                                              [](const auto& a, const auto& b) { return a.box.area() < b.box.area(); });
        p.embedding = embedder.embed(image, *largest);
      }
      (row[2] == "single" ? singles : unknown).push_back(p);
    }
    std::printf("recognition: %zu single photos, %zu unknown, %d without a face\n", singles.size(), unknown.size(),
                no_face);
    double thr = 0, thr_all = 0;
    verification(singles, "(kind=single)", thr);
    std::vector<Photo> all = singles;
    all.insert(all.end(), unknown.begin(), unknown.end());
    verification(all, "(single + _unknown, as SOURCES.md)", thr_all);
    open_set(singles, unknown, thr);
  }

  if (!large.empty()) time_large(large, dopt.model_path, dopt);
  return 0;
}

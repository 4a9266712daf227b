// Offline judges for `veil process`.
#include "cli/offline_judges.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "cli/face_tools.h"
#include "config/config.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "models/image_geometry.h"
#include "policy/consent_judge.h"
#include "policy/reasons.h"
#include "pipeline/photo/decode.h"
#include "pipeline/stage_options.h"

namespace veil {

FaceJudgement KeepAllJudge::judge(const Embedding&) {
  FaceJudgement j;
  j.decision = Decision::keep;
  j.reason = reason::keep_all;
  return j;
}

FaceJudgement BlurAllJudge::judge(const Embedding&) {
  FaceJudgement j;
  j.decision = Decision::blur;
  j.reason = reason::blur_all;
  return j;
}

namespace {

// Reference photos show one large face. They are decoded (shrunk on load) and embedded at
// kGalleryLongEdge, and the face is looked for in one pass at kGalleryLookEdge without the
// black border (a quarter of the pixels of the detector's usual one-pass plan at 640); only a
// photo where that finds nothing gets the detector's full plan.
constexpr int kGalleryLongEdge = 640;
constexpr int kGalleryLookEdge = 320;

}  // namespace

std::unique_ptr<ConsentJudge> make_gallery_judge(const GalleryPolicy& policy, FaceDetector& detector,
                                                 FaceEmbedder& embedder, const Config& config) {
  namespace fs = std::filesystem;
  std::map<std::string, std::int64_t> ids;
  std::vector<FaceTemplate> templates;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(policy.gallery_dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  DetectorOptions look_options = detector.options();
  look_options.base_long_edge = kGalleryLookEdge;
  look_options.min_face_height = 1e9f;  // one pass
  look_options.edge_border = false;
  std::unique_ptr<FaceDetector> look;
  for (const auto& path : files) {
    const std::string stem = path.stem().string();
    const auto underscore = stem.find('_');
    if (underscore == std::string::npos || underscore == 0) continue;  // not CHILD_*.ext
    const std::string child = stem.substr(0, underscore);
    const auto t0 = std::chrono::steady_clock::now();
    DecodedImage image;
    try {
      image = decode_image_reduced(read_whole_file(path.string()), decode_limits(config), kGalleryLongEdge);
    } catch (const DecodeError& e) {
      throw std::runtime_error("gallery photo " + path.string() + ": " + e.what());
    }
    // At most kGalleryLongEdge pixels are plenty for the embedder; detection on the full photo
    // cost most of a `veil process` call.
    cv::Mat pixels = image.bgr;
    const int long_edge = std::max(pixels.cols, pixels.rows);
    if (long_edge > kGalleryLongEdge)
      pixels = shrink_to(pixels, cv::Size(std::max(1, pixels.cols * kGalleryLongEdge / long_edge),
                                          std::max(1, pixels.rows * kGalleryLongEdge / long_edge)));
    const auto t1 = std::chrono::steady_clock::now();
    if (!look) look = std::make_unique<FaceDetector>(look_options);
    // Without the edge rule: its boxes are cut faces or texture at the edge, never the one whole
    // face of a reference photo, and one larger than that face would be taken for it.
    auto faces = look->detect(pixels, EdgeRule::skip);
    if (faces.empty()) faces = detector.detect(pixels, EdgeRule::skip);
    const auto t2 = std::chrono::steady_clock::now();
    if (faces.empty()) throw std::runtime_error("gallery photo " + path.string() + " has no face");
    const auto largest = std::max_element(faces.begin(), faces.end(),
                                          [](const auto& a, const auto& b) { return a.box.area() < b.box.area(); });
    auto [it, inserted] = ids.emplace(child, static_cast<std::int64_t>(ids.size() + 1));
    FaceTemplate t;
    t.id = static_cast<std::int64_t>(templates.size() + 1);
    t.child_id = it->second;
    t.child_name = child;
    t.embedding = embedder.embed(pixels, *largest);
    const auto t3 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    spdlog::debug("gallery {}: decode {:.1f} detect {:.1f} embed {:.1f} ms", path.filename().string(), ms(t0, t1),
                  ms(t1, t2), ms(t2, t3));
    templates.push_back(std::move(t));
  }
  if (templates.empty())
    throw std::runtime_error("gallery " + policy.gallery_dir + " holds no reference photo named CHILD_*.jpg");

  auto id_of = [&](const std::string& child, const char* what) {
    auto it = ids.find(child);
    if (it == ids.end()) throw std::runtime_error(std::string(what) + " child '" + child + "' has no photo in the gallery");
    return it->second;
  };
  ConsentMap consents;
  std::int64_t event = 0;
  for (const auto& [child, answer] : policy.consent) {
    if (answer != "yes" && answer != "no")
      throw std::runtime_error("--consent " + child + "=" + answer + ": expected yes or no");
    consents[id_of(child, "--consent")] = ConsentState{answer == "yes", ++event};
  }
  ConsentJudgeParams params;
  params.journal_child_id = policy.journal_child.empty() ? 0 : id_of(policy.journal_child, "--journal");
  auto role = parse_uploader_role(policy.uploader_role);
  if (!role) throw std::runtime_error("--role must be staff or parent");
  params.uploader_role = *role;
  params.thresholds = thresholds_from(config.matching);
  params.rules = rules_from(config.policy);
  params.now_unix = 0;
  FaceMatcher matcher(matcher_options(config));
  matcher.replace_templates(std::move(templates));
  return std::make_unique<ConsentJudge>(matcher, std::move(consents), params);
}

}  // namespace veil

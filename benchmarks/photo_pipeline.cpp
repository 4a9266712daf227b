// Driver for benchmarks/photo_throughput.sh: the photo pipeline as a daemon worker runs it.
// Loads the models and enrols the gallery once, then processes the same file RUNS times
// (decode, detect, embed, match, redact, verify, renditions: PhotoPipeline::process on the
// file's bytes) and prints one JSON line: milliseconds per photo (median, min, max), the
// outcome, and the one-off set-up cost that a `veil process` call pays every time.
//
//   photo_pipeline FILE GALLERY_DIR JOURNAL_CHILD [RUNS]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/huge_pages.h"
#include "cli/offline_judges.h"
#include "config/config.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "policy/consent_judge.h"
#include "pipeline/photo/photo_pipeline.h"
#include "pipeline/stage_options.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  veil::start_media_process(argv);
  if (argc < 4) {
    std::cerr << "usage: photo_pipeline FILE GALLERY_DIR JOURNAL_CHILD [RUNS]\n";
    return 2;
  }
  const std::string file = argv[1];
  const int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
  std::ifstream in(file, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  if (bytes.empty()) {
    std::cerr << "photo_pipeline: cannot read " << file << "\n";
    return 1;
  }

  const veil::Config config;  // defaults, models from VEIL_MODEL_DIR
  const auto setup_start = Clock::now();
  veil::FaceDetector detector(veil::detector_options(config));
  veil::FaceEmbedder embedder(veil::embedder_options(config));
  veil::GalleryPolicy policy;
  policy.gallery_dir = argv[2];
  policy.journal_child = argv[3];
  auto judge = veil::make_gallery_judge(policy, detector, embedder, config);
  veil::PhotoOptions options;
  options.limits = veil::decode_limits(config);
  options.redact = veil::redact_options(config);
  options.renditions = veil::rendition_options(config);
  veil::PhotoPipeline pipeline(detector, embedder, options);
  const double setup_ms = ms_since(setup_start);

  std::vector<double> times;
  std::string outcome;
  std::size_t faces = 0;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const veil::PhotoResult r = pipeline.process(bytes, *judge);
    times.push_back(ms_since(start));
    outcome = to_string(r.outcome.state);
    faces = r.faces.size();
  }
  std::sort(times.begin(), times.end());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::cout << nlohmann::json{{"file", file},
                              {"runs", runs},
                              {"setup_ms", setup_ms},
                              {"median_ms", times[times.size() / 2]},
                              {"min_ms", times.front()},
                              {"max_ms", times.back()},
                              {"outcome", outcome},
                              {"faces", faces},
                              {"peak_rss_mb", usage.ru_maxrss / 1024.0}}
                   .dump()
            << std::endl;
  return 0;
}

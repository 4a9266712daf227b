// Driver for benchmarks/photo_throughput.sh: the photo pipeline as a daemon worker runs it.
// Loads the models and enrols the gallery once, then processes the same file RUNS times
// (decode, detect, embed, match, redact, verify, renditions: PhotoPipeline::process on the
// file's bytes) and prints one JSON line: milliseconds per photo (median, min, max), the
// process's CPU time and minor page faults per photo (medians: steadier than wall time on a
// shared machine), the outcome, and the one-off set-up cost that a `veil process` call pays
// every time.
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

#include "cli/offline_judges.h"
#include "config/allocator.h"
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

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// CPU time (user + system, all threads) and minor page faults of this process so far.
struct Usage {
  double cpu_ms = 0;
  double minor_faults = 0;
};

Usage usage_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return {ms(u.ru_utime) + ms(u.ru_stime), static_cast<double>(u.ru_minflt)};
}

}  // namespace

int main(int argc, char** argv) {
  veil::tune_allocator_for_media();
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
  veil::PhotoPipeline pipeline(detector, embedder, veil::photo_options(config));
  const double setup_ms = ms_since(setup_start);

  std::vector<double> times, cpu, faults;
  std::string outcome;
  std::size_t faces = 0;
  for (int i = 0; i < runs; ++i) {
    const Usage before = usage_now();
    const auto start = Clock::now();
    const veil::PhotoResult r = pipeline.process(bytes, *judge);
    times.push_back(ms_since(start));
    const Usage after = usage_now();
    cpu.push_back(after.cpu_ms - before.cpu_ms);
    faults.push_back(after.minor_faults - before.minor_faults);
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
                              {"cpu_ms", median(cpu)},
                              {"minor_faults", median(faults)},
                              {"outcome", outcome},
                              {"faces", faces},
                              {"peak_rss_mb", usage.ru_maxrss / 1024.0}}
                   .dump()
            << std::endl;
  return 0;
}

// Driver for benchmarks/video_throughput.sh: runs process_video() once on one file and
// prints one JSON line with the timings, the speed and the peak memory (getrusage).
//
//   video_throughput INPUT OUTPUT [--judge blur-all|embed] [--preset P] [--crf N]
//                    [--stride N] [--no-verify] [--no-recheck]
//
// --judge blur-all: every track blurred, no embedding (the default).
// --judge embed:    every track embedded from its best views (MobileFaceNet), then blurred.
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "config/allocator.h"
#include "config/config.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/video/process.h"

namespace {

class BlurJudge : public veil::FaceJudge {
 public:
  explicit BlurJudge(bool embed) : embed_(embed) {}
  bool needs_embedding() const override { return embed_; }
  veil::FaceJudgement judge(const veil::Embedding& e) override {
    veil::FaceJudgement j;
    j.decision = veil::Decision::blur;
    j.reason = e.empty() ? "blur_all" : "benchmark";
    return j;
  }

 private:
  bool embed_;
};

int usage() {
  std::cerr << "usage: video_throughput INPUT OUTPUT [--judge blur-all|embed] [--preset P] [--crf N] [--stride N]"
               " [--no-verify] [--no-recheck]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  veil::tune_allocator_for_media();
  if (argc < 3) return usage();
  const std::string input = argv[1], output = argv[2];
  veil::VideoOptions options;
  options.limits.max_video_seconds = 3600;
  bool embed = false;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage());
      return argv[++i];
    };
    if (a == "--judge") {
      const std::string j = value();
      if (j != "blur-all" && j != "embed") return usage();
      embed = j == "embed";
    } else if (a == "--preset") {
      options.preset = value();
    } else if (a == "--crf") {
      options.crf = std::atoi(value().c_str());
    } else if (a == "--stride") {
      options.detect_stride = std::atoi(value().c_str());
    } else if (a == "--no-verify") {
      options.verify = false;
    } else if (a == "--no-recheck") {
      options.recheck = false;
    } else {
      return usage();
    }
  }

  try {
    const veil::Config config;
    const std::string models = veil::effective_model_dir(config);
    veil::DetectorOptions d;
    d.model_path = models + "/" + config.models.detector;
    veil::FaceDetector detector(d);
    veil::EmbedderOptions e;
    e.model_path = models + "/" + config.models.embedder;
    std::unique_ptr<veil::FaceEmbedder> embedder;
    if (embed) embedder = std::make_unique<veil::FaceEmbedder>(e);
    BlurJudge judge(embed);

    const auto start = std::chrono::steady_clock::now();
    const veil::VideoResult r = veil::process_video(input, output, detector, embedder.get(), judge, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    int embedded = 0;
    for (const auto& t : r.tracks) embedded += t.embeddings > 0 ? 1 : 0;
    nlohmann::json j{{"file", input},
                     {"judge", embed ? "embed" : "blur-all"},
                     {"width", r.width},
                     {"height", r.height},
                     {"frames", r.frames},
                     {"duration_s", r.duration_s},
                     {"seconds", seconds},
                     {"fps", r.frames / seconds},
                     {"speed_x_realtime", r.duration_s / seconds},
                     {"seconds_analyse", r.seconds_analyse},
                     {"seconds_render", r.seconds_render},
                     {"seconds_verify", r.seconds_verify},
                     {"cpu_seconds", usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                                         usage.ru_stime.tv_usec / 1e6},
                     {"peak_rss_mb", usage.ru_maxrss / 1024.0},
                     {"detect_stride", r.detect_stride},
                     {"detected_frames", r.detected_frames},
                     {"rechecked_frames", r.rechecked_frames},
                     {"tracks", r.tracks.size()},
                     {"tracks_embedded", embedded},
                     {"redacted_regions", r.redacted_regions},
                     {"outcome", to_string(r.outcome.state)},
                     {"reason", r.outcome.reason()}};
    std::cout << j.dump() << std::endl;
  } catch (const std::exception& ex) {
    std::cerr << "video_throughput: " << ex.what() << "\n";
    return 1;
  }
  return 0;
}

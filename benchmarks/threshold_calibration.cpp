// Calibrates the matching thresholds on ../shared/testdata/faces: identities play the
// enrolled children, _unknown the strangers. Prints, per candidate accept threshold, the
// pairwise TAR and FAR and the estimated rate at which a stranger's face is accepted as
// one of the children in a setting of 50 and of 500 children (2 templates each), then the
// open-set figures of the shipped defaults measured directly on the set.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "config/config.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/stage_options.h"

using namespace veil;

int main(int argc, char** argv) {
  const std::string faces = std::string(argc > 1 ? argv[1] : VEIL_SHARED_DIR "/testdata") + "/faces/";
  Config config;
  FaceDetector detector(detector_options(config));
  FaceEmbedder embedder(embedder_options(config));

  struct Sample {
    std::string identity;
    bool unknown;
    Embedding e;
  };
  std::vector<Sample> samples;
  std::ifstream tsv(faces + "identities.tsv");
  std::string line;
  std::getline(tsv, line);
  while (std::getline(tsv, line)) {
    std::istringstream f(line);
    std::string file, identity, kind;
    std::getline(f, file, '\t');
    std::getline(f, identity, '\t');
    std::getline(f, kind, '\t');
    if (kind != "single" && kind != "unknown") continue;
    cv::Mat img = cv::imread(faces + file, cv::IMREAD_COLOR);
    if (img.empty()) continue;
    auto found = detector.detect(img);
    if (found.empty()) continue;
    const auto& face = *std::max_element(found.begin(), found.end(),
                                         [](const auto& a, const auto& b) { return a.box.area() < b.box.area(); });
    samples.push_back({kind == "unknown" ? file : identity, kind == "unknown", embedder.embed(img, face)});
  }

  std::vector<float> genuine, impostor;
  for (std::size_t i = 0; i < samples.size(); ++i)
    for (std::size_t j = i + 1; j < samples.size(); ++j) {
      const float s = cosine_similarity(samples[i].e, samples[j].e);
      (samples[i].identity == samples[j].identity ? genuine : impostor).push_back(s);
    }
  std::printf("faces embedded: %zu; pairs: %zu same-person, %zu different-person\n", samples.size(), genuine.size(),
              impostor.size());
  auto rate = [](const std::vector<float>& v, float t) {
    return static_cast<double>(std::count_if(v.begin(), v.end(), [t](float s) { return s >= t; })) / v.size();
  };
  std::printf("\naccept  TAR    pair-FAR   stranger accepted as some child (2 templates each)\n");
  std::printf("                           50 children   500 children\n");
  for (float t = 0.30f; t <= 0.801f; t += 0.05f) {
    const double far = rate(impostor, t);
    // A stranger is compared with every template; assuming independent comparisons.
    const double far50 = 1 - std::pow(1 - far, 100), far500 = 1 - std::pow(1 - far, 1000);
    std::printf("%.2f   %.3f   %.2e   %8.4f      %8.4f\n", t, rate(genuine, t), far, far50, far500);
  }
  float max_impostor = *std::max_element(impostor.begin(), impostor.end());
  std::printf("highest different-person similarity: %.3f\n", max_impostor);

  // Beyond what 8,767 pairs resolve (about 1e-4), a normal fit to the different-person
  // scores estimates the tail. It is an estimate: real tails are often heavier.
  double mu = 0, var = 0;
  for (float s : impostor) mu += s;
  mu /= impostor.size();
  for (float s : impostor) var += (s - mu) * (s - mu);
  const double sigma = std::sqrt(var / impostor.size());
  std::printf("\ndifferent-person scores: mean %.3f, sd %.3f (normal fit)\n", mu, sigma);
  std::printf("accept  fitted pair-FAR   stranger accepted: 50 children   500 children\n");
  for (float t = 0.40f; t <= 0.701f; t += 0.05f) {
    const double far = 0.5 * std::erfc((t - mu) / (sigma * std::sqrt(2.0)));
    std::printf("%.2f    %.2e                 %.2e         %.2e\n", t, far, 1 - std::pow(1 - far, 100),
                1 - std::pow(1 - far, 1000));
  }

  // Open-set, directly: enrol the first two photos of each identity with >= 3 photos; probe
  // with the rest (should match their identity) and with the strangers (should match nobody).
  const float accept = static_cast<float>(config.matching.accept_threshold);
  const float reject = static_cast<float>(config.matching.reject_threshold);
  std::map<std::string, std::vector<const Sample*>> by_identity;
  for (const auto& s : samples)
    if (!s.unknown) by_identity[s.identity].push_back(&s);
  std::vector<std::pair<std::string, const Embedding*>> gallery;
  std::vector<const Sample*> probes;
  for (auto& [id, list] : by_identity) {
    if (list.size() < 3) continue;
    gallery.push_back({id, &list[0]->e});
    gallery.push_back({id, &list[1]->e});
    for (std::size_t k = 2; k < list.size(); ++k) probes.push_back(list[k]);
  }
  for (const auto& s : samples)
    if (s.unknown) probes.push_back(&s);
  int known = 0, right = 0, wrong = 0, uncertain_known = 0, strangers = 0, stranger_accepted = 0, stranger_uncertain = 0;
  for (const Sample* p : probes) {
    std::string best;
    float best_s = -2;
    for (const auto& [id, e] : gallery) {
      const float s = cosine_similarity(p->e, *e);
      if (s > best_s) best_s = s, best = id;
    }
    if (p->unknown) {
      ++strangers;
      stranger_accepted += best_s >= accept;
      stranger_uncertain += best_s >= reject && best_s < accept;
    } else {
      ++known;
      if (best_s >= accept) (best == p->identity ? right : wrong)++;
      else uncertain_known += best_s >= reject;
    }
  }
  std::printf("\nshipped thresholds: accept %.2f, reject %.2f; gallery %zu templates of %zu identities\n", accept, reject,
              gallery.size(), gallery.size() / 2);
  std::printf("known probes %d: right match %.3f, wrong match %.3f, uncertain (held) %.3f\n", known,
              static_cast<double>(right) / known, static_cast<double>(wrong) / known,
              static_cast<double>(uncertain_known) / known);
  std::printf("stranger probes %d: accepted as someone %d, uncertain %d\n", strangers, stranger_accepted,
              stranger_uncertain);
  return 0;
}

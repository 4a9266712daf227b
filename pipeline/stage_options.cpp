// Config -> stage options.
#include "pipeline/stage_options.h"

#include "pipeline/video/process.h"

namespace veil {

DetectorOptions detector_options(const Config& config) {
  DetectorOptions o;
  o.model_path = effective_model_dir(config) + "/" + config.models.detector;
  o.model_sha256 = config.models.detector_sha256;
  o.score_threshold = static_cast<float>(config.detection.score_threshold);
  o.nms_threshold = static_cast<float>(config.detection.nms_threshold);
  o.thorough = config.detection.mode == "thorough";
  if (!config.models.second_detector.empty()) {
    o.second_model_path = effective_model_dir(config) + "/" + config.models.second_detector;
    o.second_model_sha256 = config.models.second_detector_sha256;
    o.second_score_threshold = static_cast<float>(config.detection.second_score_threshold);
    o.edge_score_threshold = static_cast<float>(config.detection.edge_score_threshold);
  }
  return o;
}

std::string detection_settings(const Config& config) {
  const auto& m = config.models;
  const auto& d = config.detection;
  std::string s = "detector " + m.detector_sha256.substr(0, 16) + " score " + std::to_string(d.score_threshold) +
                  " nms " + std::to_string(d.nms_threshold) + " mode " + d.mode;
  if (!m.second_detector.empty()) {
    s += "; second " + m.second_detector_sha256.substr(0, 16) + " score " + std::to_string(d.second_score_threshold);
    if (d.edge_score_threshold < d.second_score_threshold) s += " edge " + std::to_string(d.edge_score_threshold);
  }
  return s;
}

std::string embedder_name(const Config& config) { return config.models.embedder; }

EmbedderOptions embedder_options(const Config& config) {
  EmbedderOptions o;
  o.model_path = effective_model_dir(config) + "/" + config.models.embedder;
  o.model_sha256 = config.models.embedder_sha256;
  o.input_size = config.models.embedder_input_size;
  o.mean = static_cast<float>(config.models.embedder_mean);
  o.scale = static_cast<float>(config.models.embedder_scale);
  o.rgb = config.models.embedder_rgb;
  for (std::size_t i = 0; i < 5; ++i) {
    o.template_points[i] = Point{static_cast<float>(config.models.embedder_template[i][0]),
                                 static_cast<float>(config.models.embedder_template[i][1])};
  }
  return o;
}

DecodeLimits decode_limits(const Config& config) {
  DecodeLimits l;
  l.max_pixels = config.limits.max_pixels;
  l.max_file_bytes = config.limits.max_file_bytes;
  return l;
}

CrowdRule crowd_rule(const Config& config) {
  return CrowdRule{config.detection.crowd_min_faces, static_cast<float>(config.detection.crowd_face_height)};
}

PhotoOptions photo_options(const Config& config) {
  PhotoOptions o;
  o.limits = decode_limits(config);
  o.redact = redact_options(config);
  o.renditions = rendition_options(config);
  o.crowd = crowd_rule(config);
  return o;
}

RedactOptions redact_options(const Config& config) {
  RedactOptions o;
  o.style = parse_redaction_style(config.redaction.style);
  o.expand = static_cast<float>(config.redaction.expand);
  o.small_face_expand = static_cast<float>(config.redaction.small_face_expand);
  o.small_face_height = static_cast<float>(config.redaction.small_face_height);
  o.cells = config.redaction.cells;
  return o;
}

RenditionOptions rendition_options(const Config& config) {
  RenditionOptions o;
  o.display_long_edge = config.renditions.display_long_edge;
  o.display_format = config.renditions.display_format;
  o.quality = config.renditions.quality;
  o.thumb_size = config.renditions.thumb_size;
  o.square_thumb = config.renditions.square_thumb;
  return o;
}

MatcherOptions matcher_options(const Config& config) {
  MatcherOptions o;
  o.max_template_age_days = config.enrolment.max_template_age_days;
  o.stale_penalty = static_cast<float>(config.matching.stale_penalty);
  o.ambiguity_margin = static_cast<float>(config.matching.ambiguity_margin);
  return o;
}

VideoOptions video_options(const Config& config) {
  VideoOptions o;
  o.limits = config.limits;
  o.redact = redact_options(config);
  return o;
}

}  // namespace veil

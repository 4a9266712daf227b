// Translates the configuration into each stage's options, in one place.
#pragma once

#include <string>

#include "config/config.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/photo/decode.h"
#include "pipeline/photo/photo_pipeline.h"
#include "policy/face_matcher.h"
#include "pipeline/photo/redact.h"
#include "pipeline/photo/renditions.h"

namespace veil {

DetectorOptions detector_options(const Config& config);
EmbedderOptions embedder_options(const Config& config);
DecodeLimits decode_limits(const Config& config);
RedactOptions redact_options(const Config& config);
RenditionOptions rendition_options(const Config& config);
CrowdRule crowd_rule(const Config& config);
// The photo pipeline's options (limits, redaction, renditions, crowd rule), verification on.
PhotoOptions photo_options(const Config& config);
MatcherOptions matcher_options(const Config& config);
struct VideoOptions;
VideoOptions video_options(const Config& config);

// The face index's record of what found and embedded a face (docs/architecture.md): the
// detection settings (models by sha256, thresholds, mode), and the embedder's name (as
// face_templates.model has it). A recorded item whose settings differ is detected again
// when it is rendered again.
std::string detection_settings(const Config& config);
std::string embedder_name(const Config& config);

}  // namespace veil

// Irreversible face redaction on full-resolution pixels (DESIGN.md section 5).
//
// The painted region is the face box expanded by `expand` about its centre (YuNet boxes
// run from the hairline to the chin, so this takes in forehead, hair and chin), clipped
// to the image. Inside it an ellipse is pixelated to
// at most `cells` cells across and then blurred ("pixelate_blur"), or painted flat
// grey ("solid"). The corners outside the ellipse keep a feathered edge only.
#pragma once

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

enum class RedactionStyle { pixelate_blur, solid };

struct RedactOptions {
  RedactionStyle style = RedactionStyle::pixelate_blur;
  float expand = 1.6f;  // box scale factor, >= 1 (1.6 measured: see docs/models.md)
  int cells = 8;        // pixelation cells across the face
};

// The region redact_face() paints for `face` in an image of the given size.
Box redaction_region(const Box& face, const RedactOptions& options, int image_width, int image_height);

// Paints over `face` in `bgr` (8-bit, 3 channels) and returns the painted region.
Box redact_face(cv::Mat& bgr, const Box& face, const RedactOptions& options);

// Whether `p` lies in the ellipse redact_face() paints inside `region` (its return value).
bool inside_painted_ellipse(const Point& p, const Box& region);

// Parses "pixelate_blur" / "solid"; throws std::invalid_argument otherwise.
RedactionStyle parse_redaction_style(const std::string& name);

}  // namespace veil

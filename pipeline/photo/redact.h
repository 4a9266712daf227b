// Irreversible face redaction on full-resolution pixels (DESIGN.md section 5).
//
// The painted ellipse is inscribed in the face box expanded by `expand` about its centre
// (YuNet boxes run from the hairline to the chin, so this takes in forehead, hair and chin).
// For a face cut by the image edge the ellipse keeps its full size and is cut by the edge
// too (an ellipse fitted into the clipped box would leave the face's corners at the edge
// visible). Inside it the pixels are pixelated to `cells` cells across the whole ellipse and
// then blurred ("pixelate_blur"), or painted flat grey ("solid"); outside it nothing changes.
#pragma once

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

enum class RedactionStyle { pixelate_blur, solid };

struct RedactOptions {
  RedactionStyle style = RedactionStyle::pixelate_blur;
  // Box scale factor, >= 1. 1.6 measured (docs/models.md): a larger ellipse covers more of
  // masked faces' annotated boxes, but its painting looks more like a face to YuNet (a painted
  // face found again at 0.43-0.53).
  float expand = 1.6f;
  // Faces under small_face_height px tall are painted with small_face_expand instead, when it
  // is larger: a detector's box is off by a pixel or two whatever the face's size, which is a
  // large share of a small face (and of its chin and hair), and a painted small face is too
  // coarse to be found again as a face. small_face_height 0: every face uses `expand`.
  float small_face_height = 96;
  float small_face_expand = 1.7f;
  int cells = 8;        // pixelation cells across the face
};

// The expanded box whose inscribed ellipse redact_face() paints for `face`, in whole pixels,
// not clipped to the image.
Box redaction_ellipse_box(const Box& face, const RedactOptions& options);

// The region redact_face() paints for `face` in an image of the given size: the ellipse box
// clipped to the image.
Box redaction_region(const Box& face, const RedactOptions& options, int image_width, int image_height);

// Paints over `face` in `bgr` (8-bit, 3 channels) and returns the painted region.
Box redact_face(cv::Mat& bgr, const Box& face, const RedactOptions& options);

// Whether `p` lies in the ellipse inscribed in `region` (redact_face()'s return value). For a
// face cut by the image edge the painted ellipse is larger than that one (see above), so this
// may say "no" for a painted point near the edge, never "yes" for an unpainted one.
bool inside_painted_ellipse(const Point& p, const Box& region);

// Parses "pixelate_blur" / "solid"; throws std::invalid_argument otherwise.
RedactionStyle parse_redaction_style(const std::string& name);

}  // namespace veil

// Renditions: the published display image and thumbnails, encoded from processed
// (already redacted) pixels with libvips. Nothing from the original file survives:
// no EXIF, XMP, IPTC, ICC beyond sRGB, GPS, secondary images or file names.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace veil {

struct RenditionOptions {
  int display_long_edge = 2048;         // never upscaled
  std::string display_format = "jpeg";  // "jpeg" or "webp"
  int quality = 85;
  int thumb_size = 320;                 // long edge of the thumbnail
  bool square_thumb = true;             // also a thumb_size x thumb_size centre crop
};

struct Rendition {
  std::string kind;   // "display", "thumb", "thumb_square"
  std::string mime;   // "image/jpeg" or "image/webp"
  std::string ext;    // "jpg" or "webp"
  int width = 0, height = 0;
  std::string bytes;  // the encoded file
};

// The renditions of `bgr` (non-empty CV_8UC3, the redacted pixels at any size): "display"
// is `bgr` fitted in display_long_edge (fit_in_box: `bgr` as it is when it already fits, as
// the photo job's display image does); the thumbnails come from the display image, or from
// `bgr` when the display image is smaller than thumb_size. Throws std::invalid_argument for
// another image type or bad options, std::runtime_error when libvips fails or an output
// still carries metadata.
std::vector<Rendition> make_renditions(const cv::Mat& bgr, const RenditionOptions& options);

}  // namespace veil

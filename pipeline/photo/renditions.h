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

// Encodes the renditions of an 8-bit BGR image.
std::vector<Rendition> make_renditions(const cv::Mat& bgr, const RenditionOptions& options);

// The resampling the renditions use: `bgr` fitted in box x box (never upscaled; the image
// itself, not a copy, when it already fits), and `src` reduced to `size` (no larger than
// src). The photo runner uses them to make the display-size image once.
cv::Mat fit_image(const cv::Mat& bgr, int box);
cv::Mat shrink_image(const cv::Mat& src, cv::Size size);

}  // namespace veil

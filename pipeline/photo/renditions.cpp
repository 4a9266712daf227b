// Renditions (see renditions.h): the display image and thumbnails, freshly encoded with
// libvips from the redacted pixels. The VImage is built from a memory copy of the Mat, so
// it carries no metadata at all; every save also runs with strip=true, so no EXIF, XMP,
// IPTC, ICC or GPS block is ever written (the output is plain sRGB by convention). WebP
// needs one more step: libvips 8.14 writes its own small EXIF chunk even when stripping,
// so the RIFF container is rewritten without EXIF/XMP/ICCP chunks.
//
// Sizes: "display" fits in display_long_edge x display_long_edge, "thumb" in thumb_size x
// thumb_size, "thumb_square" fills thumb_size x thumb_size and is centre-cropped. Nothing
// is upscaled: a small image keeps its size (its square thumbnail is then the largest
// centred square, at most thumb_size).
// Each encoded rendition is opened again and refused if libvips finds EXIF, XMP, IPTC or
// an ICC profile in it.
// Resampling: OpenCV on the BGR pixels (models/image_geometry.h), then each result is
// converted to RGB and encoded with libvips. libvips' thumbnail on an in-memory image cannot
// shrink on load and is several times slower (benchmarks/RESULTS.md). The thumbnails are made
// from the display image when it is at least as large as the thumbnail.
#include "pipeline/photo/renditions.h"

#include <vips/vips8>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "models/image_geometry.h"
#include "pipeline/photo/decode.h"  // ensure_vips_started

namespace veil {

namespace {

using vips::VImage;

// libvips 8.14's webpsave writes a small EXIF chunk of its own (orientation, resolution,
// pixel dimensions) even with strip=true. Rewrite the RIFF container without EXIF, XMP and
// ICCP chunks and clear their VP8X flags. Returns false if the container is not as
// expected (the caller then refuses the output).
bool strip_webp_metadata(std::string& webp) {
  auto le32 = [&](size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(webp.data() + at);
    return static_cast<std::uint32_t>(p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24));
  };
  if (webp.size() < 12 || webp.compare(0, 4, "RIFF") != 0 || webp.compare(8, 4, "WEBP") != 0) return false;
  std::string out = webp.substr(0, 12);
  size_t pos = 12;
  while (pos + 8 <= webp.size()) {
    const std::string fourcc = webp.substr(pos, 4);
    const size_t payload = le32(pos + 4);
    const size_t padded = payload + (payload & 1);
    if (pos + 8 + padded > webp.size()) return false;
    if (fourcc == "EXIF" || fourcc == "XMP " || fourcc == "ICCP") {
      pos += 8 + padded;
      continue;
    }
    std::string chunk = webp.substr(pos, 8 + padded);
    if (fourcc == "VP8X" && payload >= 1) chunk[8] = static_cast<char>(chunk[8] & ~(0x20 | 0x08 | 0x04));
    out += chunk;
    pos += 8 + padded;
  }
  if (pos != webp.size()) return false;
  const std::uint32_t riff_size = static_cast<std::uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((riff_size >> (8 * i)) & 0xff);
  webp = std::move(out);
  return true;
}

// Encodes `image` into a Rendition of `kind`.
Rendition encode(const VImage& image, const std::string& kind, const RenditionOptions& options) {
  Rendition out;
  out.kind = kind;
  out.width = image.width();
  out.height = image.height();
  const int quality = std::clamp(options.quality, 1, 100);
  void* buffer = nullptr;
  size_t size = 0;
  // Speed matters here (the whole photo pipeline has to stay within a few times a plain
  // vipsthumbnail): baseline JPEG without optimize_coding / progressive (each costs
  // much time for a few % of bytes), WebP at effort 2 (half the time of the default 4).
  if (options.display_format == "webp") {
    out.mime = "image/webp";
    out.ext = "webp";
    image.write_to_buffer(".webp", &buffer, &size,
                          VImage::option()->set("Q", quality)->set("strip", true)->set("effort", 2));
  } else {
    out.mime = "image/jpeg";
    out.ext = "jpg";
    image.write_to_buffer(".jpg", &buffer, &size, VImage::option()->set("Q", quality)->set("strip", true));
  }
  out.bytes.assign(static_cast<const char*>(buffer), size);
  g_free(buffer);
  if (out.mime == "image/webp" && !strip_webp_metadata(out.bytes))
    throw std::runtime_error("renditions: unexpected WebP container from libvips");

  // Fail closed: check what actually left, not what was asked for.
  for (const std::string& field : image_metadata_fields(out.bytes)) {
    if (field == VIPS_META_EXIF_NAME || field == VIPS_META_XMP_NAME || field == VIPS_META_IPTC_NAME ||
        field == VIPS_META_ICC_NAME || field.rfind("exif-ifd", 0) == 0)
      throw std::runtime_error("renditions: the encoded " + kind + " still carries " + field);
  }
  return out;
}

// Encodes 8-bit BGR pixels (converted to RGB for libvips: a private, continuous copy that
// carries nothing but these pixels).
Rendition encode_bgr(const cv::Mat& bgr, const std::string& kind, const RenditionOptions& options) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  if (!rgb.isContinuous()) rgb = rgb.clone();
  const VImage image =
      VImage::new_from_memory(rgb.data, rgb.total() * rgb.elemSize(), rgb.cols, rgb.rows, 3, VIPS_FORMAT_UCHAR)
          .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  return encode(image, kind, options);
}

}  // namespace

std::vector<Rendition> make_renditions(const cv::Mat& bgr, const RenditionOptions& options) {
  if (bgr.empty() || bgr.type() != CV_8UC3) throw std::invalid_argument("make_renditions: expects a non-empty CV_8UC3 image");
  if (options.display_format != "jpeg" && options.display_format != "webp")
    throw std::invalid_argument("make_renditions: display_format must be \"jpeg\" or \"webp\", not \"" +
                                options.display_format + "\"");
  if (options.display_long_edge < 1 || options.thumb_size < 1)
    throw std::invalid_argument("make_renditions: sizes must be positive");
  ensure_vips_started();

  std::vector<Rendition> renditions;
  try {
    // Resampled with OpenCV on the BGR pixels, which is several times faster than libvips'
    // thumbnail on an in-memory image; only the small results are converted for the encoder.
    const cv::Mat display = fit_in_box(bgr, options.display_long_edge);
    renditions.push_back(encode_bgr(display, "display", options));

    // The thumbnails come from the display image when it is at least as large.
    const cv::Mat& thumb_source = std::max(display.cols, display.rows) >= options.thumb_size ? display : bgr;
    renditions.push_back(encode_bgr(fit_in_box(thumb_source, options.thumb_size), "thumb", options));
    if (options.square_thumb) {
      // Fills thumb_size x thumb_size: the centred square, reduced (or, when smaller, kept).
      renditions.push_back(
          encode_bgr(fit_in_box(centre_square(thumb_source), options.thumb_size), "thumb_square", options));
    }
  } catch (const vips::VError& error) {
    std::string message = error.what();
    vips_error_clear();
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::runtime_error("renditions: libvips failed: " + message);
  }
  return renditions;
}

}  // namespace veil

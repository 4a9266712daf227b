// Image decoding with libvips 8.14 (see decode.h for the contract, docs/decoding.md for
// the user-facing description).
//
// Decisions taken here:
//  * Fail closed on partial images. A truncated JPEG/PNG/... is refused as `corrupt`;
//    Veil never returns (and so never publishes) a half-decoded photo whose missing rows
//    libjpeg/libpng would fill with grey. Two layers: a structural check of the container
//    before libvips runs (JPEG must reach its EOI marker, PNG its IEND chunk, a GIF's
//    first frame must be complete), because libvips 8.14 does not always report a
//    truncated JPEG (a libjpeg longjmp inside one worker thread can be lost, so the same
//    file is sometimes accepted); then loaders run with fail_on=error (JPEG: see below),
//    which stops on truncation and on real decoder errors.
//  * JPEG warnings. A JPEG is decoded with fail_on=warning: any libjpeg warning refuses
//    it. If it warned, its header is rebuilt from well-formed segments only (junk bytes
//    and FF00 padding between segments dropped, APPn segments that play no part in the
//    pixels dropped) and the result is decoded strictly once more. So header damage that
//    leaves the picture intact decodes (corrupt/junk_jpeg_header.jpg, jpeg_ff00_header.jpg,
//    truncated_app14.jpg), while corrupt *entropy* data (junk before a restart marker, bad
//    Huffman codes: corrupt/hopper_bad_exif.jpg) is refused as corrupt: libjpeg would
//    "recover" into shifted, smeared blocks, and a damaged region can hide a face from the
//    detector while leaving it recognisable to a person. The decision never reads
//    libvips' error text, which is global to the process and mixes concurrent decodes.
//    Cost: clean JPEGs are decoded once; only files that warn are decoded again.
//  * Only loaders on an allowlist may run (jpeg incl. MPO / Ultra HDR primary image, png,
//    webp, heif incl. AVIF, gif, tiff). Everything else libvips could open (SVG, PDF,
//    ImageMagick, matrix, CSV, raw, FITS, ...) is `unsupported`; libvips' "untrusted"
//    loaders are also blocked process-wide in ensure_vips_started().
//  * Width x height from the header (libvips loads lazily: the header is parsed before
//    any pixel is decoded) is checked against max_pixels and the minimum size. GIFs are also pre-scanned here:
//    the bounding box of the logical screen and every frame descriptor must fit in
//    max_pixels (libnsgif would otherwise be asked to handle frames far outside the
//    canvas, the classic GIF decompression bomb).
//  * Colour: alpha is flattened on white (what a viewer of the original saw; it also means
//    RGB data hidden under transparent pixels is never published); an embedded ICC profile
//    is applied (to sRGB); CMYK without a profile uses libvips' built-in CMYK profile;
//    grey becomes 3 equal channels; 16-bit becomes 8-bit through the colourspace
//    conversion (a right shift by 8).
//  * Orientation: EXIF orientation (JPEG, WebP, TIFF) is applied with vips autorot. HEIF /
//    AVIF irot/imir are applied by libheif and libvips removes the orientation tag, so
//    there is no double rotation. PNG eXIf orientation is not honoured by libvips 8.14
//    (the manifest allows either), the image is returned as stored.
#include "pipeline/photo/decode.h"

#include "pipeline/photo/container_checks.h"
#include "policy/picture_size.h"
#include "policy/reasons.h"

#include <gmodule.h>
#include <spdlog/spdlog.h>
#include <vips/vips8>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace veil {

const char* to_string(DecodeErrorKind kind) {
  switch (kind) {
    case DecodeErrorKind::empty: return "empty";
    case DecodeErrorKind::too_large: return "too_large";
    case DecodeErrorKind::unsupported: return "unsupported";
    case DecodeErrorKind::pixel_bomb: return "pixel_bomb";
    case DecodeErrorKind::corrupt: return "corrupt";
    case DecodeErrorKind::too_small: return reason::too_small;
  }
  return "unknown";
}

namespace {

// libvips loads every module in its module directory at start-up: ImageMagick, poppler
// (PDF), OpenSlide, JPEG XL and HEIF on Debian 12. Veil's allowlist needs only HEIF (HEIC,
// AVIF). The others put more parsers of untrusted input into the process (their loaders are
// blocked anyway) and cost time at every start (benchmarks/RESULTS.md). libvips looks for modules under
// the prefix in $VIPSHOME, so during the init it points at a directory that does not exist;
// then the HEIF module is opened by its path (its g_module_check_init registers the loader).
// Returns false when libvips failed to start.
bool start_vips_with_heif_only() {
  const char* user_home = std::getenv("VIPSHOME");
  const std::optional<std::string> saved = user_home ? std::optional<std::string>(user_home) : std::nullopt;
  setenv("VIPSHOME", "/nonexistent/veil-loads-no-vips-modules", 1);
  const bool started = VIPS_INIT("veil") == 0;
  if (saved)
    setenv("VIPSHOME", saved->c_str(), 1);
  else
    unsetenv("VIPSHOME");
  if (!started) return false;
  if (g_type_from_name("VipsForeignLoadHeifBuffer") == 0) {  // not built in: the module
    const std::string module = std::string(VEIL_VIPS_LIBDIR) + "/vips-modules-" + std::to_string(VIPS_MAJOR_VERSION) +
                               "." + std::to_string(VIPS_MINOR_VERSION) + "/vips-heif.so";
    if (!g_module_open(module.c_str(), G_MODULE_BIND_LAZY))
      spdlog::warn("libvips HEIF module not loaded ({}): HEIC, HEIF and AVIF photos will be refused as unsupported",
                   g_module_error());
  }
  return true;
}

}  // namespace

void ensure_vips_started() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    if (!start_vips_with_heif_only()) return;
    // Each image is decoded once and encoded once: the operation cache would only hold
    // memory (and file contents) for nothing.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    // Defence in depth next to the loader allowlist below: ImageMagick, SVG, PDF, FITS,
    // raw, CSV, matrix, ... are marked untrusted by libvips and cannot run at all.
    vips_block_untrusted_set(TRUE);
    ok = true;
  });
  if (!ok) throw std::runtime_error("libvips failed to start: " + std::string(vips_error_buffer()));
}

namespace {

// One line of libvips' error text: the accumulated buffer may hold several lines (and,
// with several threads, lines from other images); keep the most specific one.
std::string vips_message(const std::string& raw) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('\n', start);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  vips_error_clear();
  if (lines.empty()) return "the decoder could not read the image (no detail given)";
  // Generic wrapper lines ("... load_buffer: unable to ...") say less than the decoder's.
  for (const auto& line : lines) {
    if (line.find("VipsJpeg:") != std::string::npos || line.find("libpng") != std::string::npos ||
        line.find("vipspng") != std::string::npos || line.find("heif") != std::string::npos ||
        line.find("gif") != std::string::npos || line.find("webp") != std::string::npos ||
        line.find("tiff") != std::string::npos)
      return line.size() > 300 ? line.substr(0, 300) : line;
  }
  const std::string& line = lines.front();
  return line.size() > 300 ? line.substr(0, 300) : line;
}

struct Loader {
  const char* vips_name;  // vips_foreign_find_load_buffer() answer (a GType name)
  const char* format;     // DecodedImage::format
  bool has_pages;         // accepts n / page
};

// The loaders Veil accepts. MPO and Ultra HDR are JPEG files: jpegload reads the first
// (primary) image and ignores what follows its EOI marker.
constexpr Loader kLoaders[] = {
    {"VipsForeignLoadJpegBuffer", "jpeg", false},  {"VipsForeignLoadPngBuffer", "png", false},
    {"VipsForeignLoadWebpBuffer", "webp", true},   {"VipsForeignLoadHeifBuffer", "heif", false},
    {"VipsForeignLoadNsgifBuffer", "gif", true},   {"VipsForeignLoadTiffBuffer", "tiff", true},
};

const Loader* find_loader(const std::string& bytes) {
  const char* name = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (!name) {
    vips_error_clear();
    return nullptr;
  }
  for (const auto& loader : kLoaders)
    if (std::strcmp(loader.vips_name, name) == 0) return &loader;
  return nullptr;
}

}  // namespace

bool looks_like_photo(const std::string& first_bytes) {
  ensure_vips_started();
  return !first_bytes.empty() && find_loader(first_bytes) != nullptr;
}

namespace {


// Whether an ICC profile is, for 8-bit data, plain sRGB: an RGB matrix/TRC profile (no LUT
// tags) whose colorants are sRGB's (D50-adapted, within 0.0015) and whose three curves give
// sRGB's values at every 8-bit level (within half a level after sRGB's own encoding). The
// transform from such a profile to sRGB changes no pixel by more than one level, and it is
// costly on large photos, so it is skipped (benchmarks/RESULTS.md has the measurement). Anything else (Display P3,
// Adobe RGB, HLG, grey, CMYK, LUT profiles, anything unparsable) is transformed as before.
bool is_srgb_profile(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  auto be32 = [&](size_t at) -> std::uint32_t {
    return (std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) | (std::uint32_t{p[at + 2]} << 8) | p[at + 3];
  };
  auto be16 = [&](size_t at) -> unsigned { return (unsigned{p[at]} << 8) | p[at + 1]; };
  auto s15 = [&](size_t at) { return static_cast<std::int32_t>(be32(at)) / 65536.0; };
  auto sig = [&](size_t at) { return std::string_view(reinterpret_cast<const char*>(p + at), 4); };
  if (!p || size < 132 || be32(0) > size) return false;
  if (sig(16) != "RGB " || sig(20) != "XYZ ") return false;
  const std::uint32_t count = be32(128);
  if (count > 1000 || 132 + 12 * static_cast<size_t>(count) > size) return false;
  struct Tag {
    size_t offset = 0, size = 0;
  };
  std::map<std::string, Tag, std::less<>> tags;
  for (std::uint32_t i = 0; i < count; ++i) {
    const size_t e = 132 + 12 * static_cast<size_t>(i);
    const Tag t{be32(e + 4), be32(e + 8)};
    if (t.offset > size || t.size > size - t.offset) return false;
    tags[std::string(sig(e))] = t;
  }
  for (const char* lut : {"A2B0", "A2B1", "A2B2", "B2A0", "B2A1", "B2A2", "D2B0", "B2D0"})
    if (tags.count(lut)) return false;
  // sRGB's colorants adapted to D50 (as in every v2/v4 sRGB profile).
  const double colorants[3][3] = {{0.4361, 0.2225, 0.0139}, {0.3851, 0.7169, 0.0971}, {0.1431, 0.0606, 0.7141}};
  const char* xyz_tags[3] = {"rXYZ", "gXYZ", "bXYZ"};
  for (int c = 0; c < 3; ++c) {
    const auto it = tags.find(xyz_tags[c]);
    if (it == tags.end() || it->second.size < 20 || sig(it->second.offset) != "XYZ ") return false;
    for (int k = 0; k < 3; ++k)
      if (std::abs(s15(it->second.offset + 8 + 4 * k) - colorants[c][k]) > 0.0015) return false;
  }
  auto srgb_decode = [](double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
  auto srgb_encode = [](double l) { return l <= 0.0031308 ? l * 12.92 : 1.055 * std::pow(l, 1 / 2.4) - 0.055; };
  for (const char* trc : {"rTRC", "gTRC", "bTRC"}) {
    const auto it = tags.find(trc);
    if (it == tags.end() || it->second.size < 12) return false;
    const size_t o = it->second.offset, n = it->second.size;
    std::function<double(double)> curve;
    if (sig(o) == "curv") {
      const std::uint32_t entries = be32(o + 8);
      if (entries < 2 || 12 + 2 * static_cast<size_t>(entries) > n) return false;  // identity or pure gamma: not sRGB
      curve = [&, o, entries](double x) {
        const double at = x * (entries - 1);
        const size_t i = std::min<size_t>(static_cast<size_t>(at), entries - 2);
        const double f = at - static_cast<double>(i);
        return (be16(o + 12 + 2 * i) * (1 - f) + be16(o + 12 + 2 * (i + 1)) * f) / 65535.0;
      };
    } else if (sig(o) == "para") {
      const unsigned type = be16(o + 8);
      if (type != 3 && type != 4) return false;
      const size_t params = type == 3 ? 5 : 7;
      if (12 + 4 * params > n) return false;
      double g = s15(o + 12), a = s15(o + 16), b = s15(o + 20), c = s15(o + 24), d = s15(o + 28);
      double e = 0, f = 0;
      if (type == 4) e = s15(o + 32), f = s15(o + 36);
      curve = [=](double x) { return x >= d ? std::pow(std::max(0.0, a * x + b), g) + e : c * x + f; };
    } else {
      return false;
    }
    for (int v = 0; v <= 255; ++v) {
      const double x = v / 255.0;
      const double y = std::clamp(curve(x), 0.0, 1.0);
      if (std::abs(srgb_encode(y) * 255.0 - v) > 0.5 || std::abs(y - srgb_decode(x)) > 0.002) return false;
    }
  }
  return true;
}


// Flattens alpha on white, applies colour management, and returns 8-bit 3-band sRGB.
vips::VImage to_srgb8(vips::VImage image) {
  using vips::VImage;
  if (image.coding() != VIPS_CODING_NONE) {
    VipsImage* decoded = nullptr;
    if (vips_image_decode(image.get_image(), &decoded)) throw vips::VError();
    image = VImage(decoded);
  }

  const VipsInterpretation interpretation = image.interpretation();
  const bool cmyk = interpretation == VIPS_INTERPRETATION_CMYK && image.bands() >= 4;
  const bool sixteen = image.format() == VIPS_FORMAT_USHORT || image.format() == VIPS_FORMAT_SHORT;

  // Alpha. CMYK + alpha: drop the alpha band (white in CMYK is all-zero ink anyway);
  // otherwise flatten on white in the image's own range.
  if (cmyk) {
    if (image.bands() > 4) image = image.extract_band(0, VImage::option()->set("n", 4));
  } else if (image.has_alpha()) {
    const double white = sixteen ? 65535.0 : 255.0;
    const int colour_bands = image.bands() - 1;
    image = image.flatten(VImage::option()
                              ->set("background", std::vector<double>(colour_bands, white))
                              ->set("max_alpha", white));
  }

  // Colour management.
  const bool has_icc = image.get_typeof(VIPS_META_ICC_NAME) != 0;
  // Relative colorimetric with black point compensation, as photo viewers do: the
  // profile's darkest black becomes sRGB black (without it, the rich black of a print
  // profile comes out as a washed-out dark grey).
  auto icc_options = [](vips::VOption* options) {
    return options->set("intent", VIPS_INTENT_RELATIVE)->set("black_point_compensation", true)->set("depth", 8);
  };
  if (cmyk) {
    try {
      image = image.icc_transform(
          "srgb", icc_options(VImage::option()->set("input_profile", "cmyk")->set("embedded", has_icc)));
    } catch (const vips::VError&) {  // a broken embedded profile: use the default one
      vips_error_clear();
      image = image.icc_transform(
          "srgb", icc_options(VImage::option()->set("input_profile", "cmyk")->set("embedded", false)));
    }
  } else if (has_icc && vips_icc_present() &&
             (image.bands() == 3 || image.bands() == 1) &&
             (interpretation == VIPS_INTERPRETATION_sRGB || interpretation == VIPS_INTERPRETATION_RGB16 ||
              interpretation == VIPS_INTERPRETATION_RGB || interpretation == VIPS_INTERPRETATION_B_W ||
              interpretation == VIPS_INTERPRETATION_GREY16)) {
    // A profile that does not fit the image (or that lcms cannot parse) is ignored:
    // the pixels themselves are fine, so the image is read as plain sRGB / grey.
    size_t icc_size = 0;
    const void* icc = image.get_blob(VIPS_META_ICC_NAME, &icc_size);
    if (image.bands() == 3 && image.format() == VIPS_FORMAT_UCHAR && is_srgb_profile(icc, icc_size)) {
      // Already sRGB: nothing to convert (see is_srgb_profile).
    } else if (vips_icc_is_compatible_profile(image.get_image(), icc, icc_size)) {
      try {
        image = image.icc_transform("srgb", icc_options(VImage::option()->set("embedded", true)));
      } catch (const vips::VError&) {
        vips_error_clear();
      }
    }
  }

  if (image.interpretation() != VIPS_INTERPRETATION_sRGB || image.format() != VIPS_FORMAT_UCHAR) {
    if (vips_colourspace_issupported(image.get_image())) {
      image = image.colourspace(VIPS_INTERPRETATION_sRGB);
    }
  }
  if (image.format() != VIPS_FORMAT_UCHAR) {
    if (image.format() == VIPS_FORMAT_USHORT)
      image = (image >> 8).cast(VIPS_FORMAT_UCHAR);
    else
      image = image.cast(VIPS_FORMAT_UCHAR);  // clips to 0..255
  }
  if (image.bands() == 1 || image.bands() == 2) {
    VImage grey = image.extract_band(0);
    image = grey.bandjoin({grey, grey});
  } else if (image.bands() > 3) {
    image = image.extract_band(0, VImage::option()->set("n", 3));
  }
  return image.copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

[[noreturn]] void refuse(DecodeErrorKind kind, const std::string& message) {
  throw DecodeError(kind, std::string(to_string(kind)) + ": " + message);
}

// One decoding attempt. Throws DecodeError (pixel_bomb, too_small) or vips::VError.
// `min_long_edge` > 0: a JPEG is shrunk on load by the largest of 8, 4, 2 that keeps its long
// edge at least that.
DecodedImage decode_with(const std::string& bytes, const Loader& loader, const DecodeLimits& limits,
                         VipsFailOn fail_on, int min_long_edge) {
  using vips::VImage;
  // (A VOption is used up by the call it is given to.)
  auto options = [&] {
    auto o = VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", fail_on);
    // Only the first page/frame. heifload is left at its default, which is the *primary*
    // image (setting n or page would make it page 0 instead).
    if (loader.has_pages) o->set("n", 1)->set("page", 0);
    return o;
  };
  // No copy: `bytes` outlives the image.
  VImage image = VImage::new_from_buffer(bytes.data(), bytes.size(), "", options());

  // Header only so far: no pixel has been decoded.
  const std::int64_t width = image.width(), height = image.height();
  if (width <= 0 || height <= 0 || (limits.max_pixels > 0 && width * height > limits.max_pixels))
    refuse(DecodeErrorKind::pixel_bomb, "declared size " + std::to_string(width) + "x" + std::to_string(height) +
                                            " is over the limit of " + std::to_string(limits.max_pixels) + " pixels");
  if (too_small_to_process(width, height)) refuse(DecodeErrorKind::too_small, too_small_details(width, height));
  if (min_long_edge > 0 && std::string_view(loader.format) == "jpeg") {
    int shrink = 8;
    while (shrink > 1 && std::max(width, height) / shrink < min_long_edge) shrink /= 2;
    if (shrink > 1) image = VImage::new_from_buffer(bytes.data(), bytes.size(), "", options()->set("shrink", shrink));
  }

  DecodedImage result;
  result.format = loader.format;
  if (image.get_typeof(VIPS_META_N_PAGES)) result.frames = std::max(1, image.get_int(VIPS_META_N_PAGES));
  int orientation = 1;
  if (image.get_typeof(VIPS_META_ORIENTATION)) orientation = image.get_int(VIPS_META_ORIENTATION);
  if (orientation < 1 || orientation > 8) orientation = 1;  // autorot ignores these too
  result.orientation = orientation;

  VImage rgb = to_srgb8(image);
  if (orientation != 1) {
    // Rotations read the source out of order, which a sequential loader cannot do:
    // decode into memory first, then rotate.
    rgb = rgb.copy_memory().autorot();
  }

  // Render (this is where the pixels are decoded; write_to_memory renders on libvips'
  // threads), then RGB -> BGR into memory the Mat owns.
  size_t size = 0;
  void* pixels = rgb.write_to_memory(&size);
  const int w = rgb.width(), h = rgb.height();
  if (size != static_cast<size_t>(w) * h * 3) {
    g_free(pixels);
    refuse(DecodeErrorKind::corrupt, "unexpected pixel buffer size");
  }
  cv::cvtColor(cv::Mat(h, w, CV_8UC3, pixels), result.bgr, cv::COLOR_RGB2BGR);
  g_free(pixels);
  return result;
}

}  // namespace

DecodedImage decode_image(const std::string& bytes, const DecodeLimits& limits) {
  return decode_image_reduced(bytes, limits, 0);
}

DecodedImage decode_image_reduced(const std::string& bytes, const DecodeLimits& limits, int min_long_edge) {
  if (bytes.empty()) refuse(DecodeErrorKind::empty, "the file is empty");
  if (limits.max_file_bytes > 0 && static_cast<std::int64_t>(bytes.size()) > limits.max_file_bytes)
    refuse(DecodeErrorKind::too_large, "the file is " + std::to_string(bytes.size()) +
                                           " bytes, over the limit of " + std::to_string(limits.max_file_bytes));
  ensure_vips_started();

  const Loader* loader = find_loader(bytes);
  if (!loader)
    refuse(DecodeErrorKind::unsupported, "not an image type Veil accepts (jpeg, png, webp, heif/avif, gif, tiff)");

  // Fail closed on truncation, before libvips sees the file.
  const std::string format = loader->format;
  if (format == "jpeg" && !jpeg_reaches_eoi(bytes))
    refuse(DecodeErrorKind::corrupt, "truncated: the JPEG data ends before its end-of-image marker");
  if (format == "png" && !png_reaches_iend(bytes))
    refuse(DecodeErrorKind::corrupt, "truncated: the PNG data ends before its IEND chunk");
  if (format == "gif") {
    const GifScan scan = scan_gif(bytes);
    if (limits.max_pixels > 0 && scan.width * scan.height > limits.max_pixels)
      refuse(DecodeErrorKind::pixel_bomb, "GIF canvas and frames span " + std::to_string(scan.width) + "x" +
                                              std::to_string(scan.height) + " pixels, over the limit of " +
                                              std::to_string(limits.max_pixels));
    if (!scan.first_frame_complete)
      refuse(DecodeErrorKind::corrupt, "truncated: the GIF's first frame is incomplete");
  }

  // JPEG: first strictly (stop on any libjpeg warning); if the only warnings were benign
  // header ones, decode again tolerating warnings. Other formats: stop on errors and
  // truncation (libpng/libheif/libwebp warnings are about metadata, not pixels).
  if (format == "jpeg") {
    std::string first_error;
    try {
      DecodedImage strict = decode_with(bytes, *loader, limits, VIPS_FAIL_ON_WARNING, min_long_edge);
      vips_error_clear();
      return strict;
    } catch (const vips::VError& error) {
      first_error = vips_message(error.what());
    }
    // Something warned. If it was only header junk, the rebuilt header decodes strictly.
    // (Deciding from libvips' error text instead would not be safe: that text is global
    // to the process, and with several decodes at once it mixes their messages.)
    const std::optional<std::string> rebuilt = rebuild_jpeg_header(bytes);
    if (!rebuilt || *rebuilt == bytes) refuse(DecodeErrorKind::corrupt, first_error);
    try {
      DecodedImage repaired = decode_with(*rebuilt, *loader, limits, VIPS_FAIL_ON_WARNING, min_long_edge);
      vips_error_clear();
      return repaired;
    } catch (const vips::VError& error) {
      vips_message(error.what());  // clears
      refuse(DecodeErrorKind::corrupt, first_error);
    }
  }
  try {
    DecodedImage result = decode_with(bytes, *loader, limits, VIPS_FAIL_ON_ERROR, min_long_edge);
    vips_error_clear();  // benign warnings left there by the loader
    return result;
  } catch (const vips::VError& error) {
    refuse(DecodeErrorKind::corrupt, vips_message(error.what()));
  }
}

std::vector<std::string> image_metadata_fields(const std::string& bytes) {
  if (bytes.empty()) refuse(DecodeErrorKind::empty, "the file is empty");
  ensure_vips_started();
  const Loader* loader = find_loader(bytes);
  if (!loader) refuse(DecodeErrorKind::unsupported, "not an image type Veil accepts");
  std::vector<std::string> fields;
  try {
    vips::VImage image = vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "");
    gchar** names = vips_image_get_fields(image.get_image());
    for (gchar** name = names; name && *name; ++name) fields.emplace_back(*name);
    g_strfreev(names);
  } catch (const vips::VError& error) {
    refuse(DecodeErrorKind::corrupt, vips_message(error.what()));
  }
  return fields;
}

}  // namespace veil

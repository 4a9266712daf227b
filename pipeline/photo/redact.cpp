// Face redaction: expanded elliptical region, pixelated then blurred, or solid.
#include "pipeline/photo/redact.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace veil {
namespace {
// After pixelation the cells are blurred with a sigma of this many cells, and the result is
// pulled this far towards the region's mean colour. Chosen by measurement (redact_test and
// the accuracy benchmark): with one cell and half-way, YuNet still found some painted faces
// again; with 1.5 cells and 0.7 it finds almost none, and nothing of the face is legible.
constexpr double kBlurSigmaCells = 1.5;
constexpr double kFlatten = 0.7;
}  // namespace

RedactionStyle parse_redaction_style(const std::string& name) {
  if (name == "pixelate_blur") return RedactionStyle::pixelate_blur;
  if (name == "solid") return RedactionStyle::solid;
  throw std::invalid_argument("unknown redaction style: " + name);
}

Box redaction_ellipse_box(const Box& face, const RedactOptions& options) {
  const float expand = std::max({1.0f, options.expand,
                                 face.h < options.small_face_height ? options.small_face_expand : 0.0f});
  const float w = face.w * expand;
  const float h = face.h * expand;
  const float cx = face.x + face.w / 2;
  // Centred on the box: YuNet's boxes already reach from the hairline to the chin (they sit
  // 0.06-0.13 face heights higher than hand-drawn boxes), so the expansion alone takes in
  // forehead, hair and chin. A further upward shift left chins uncovered (face_accuracy).
  const float cy = face.y + face.h / 2;
  const float x1 = std::floor(cx - w / 2), y1 = std::floor(cy - h / 2);
  const float x2 = std::ceil(cx + w / 2), y2 = std::ceil(cy + h / 2);
  return Box{x1, y1, x2 - x1, y2 - y1};
}

Box redaction_region(const Box& face, const RedactOptions& options, int image_width, int image_height) {
  const Box e = redaction_ellipse_box(face, options);
  const float x1 = std::clamp(e.x, 0.f, static_cast<float>(image_width));
  const float y1 = std::clamp(e.y, 0.f, static_cast<float>(image_height));
  const float x2 = std::clamp(e.x + e.w, 0.f, static_cast<float>(image_width));
  const float y2 = std::clamp(e.y + e.h, 0.f, static_cast<float>(image_height));
  return Box{x1, y1, x2 - x1, y2 - y1};
}

bool inside_painted_ellipse(const Point& p, const Box& region) {
  if (region.w <= 0 || region.h <= 0) return false;
  const float rx = region.w / 2, ry = region.h / 2;
  const float dx = (p.x - (region.x + rx)) / rx, dy = (p.y - (region.y + ry)) / ry;
  return dx * dx + dy * dy <= 1.0f;
}

Box redact_face(cv::Mat& bgr, const Box& face, const RedactOptions& options) {
  CV_Assert(bgr.type() == CV_8UC3);
  const Box region = redaction_region(face, options, bgr.cols, bgr.rows);
  const int x = static_cast<int>(region.x), y = static_cast<int>(region.y);
  const int w = static_cast<int>(region.w), h = static_cast<int>(region.h);
  if (w <= 0 || h <= 0) return region;
  cv::Mat roi = bgr(cv::Rect(x, y, w, h));
  // The whole ellipse's box, in the region's coordinates (larger than the region only for a
  // face cut by the image edge).
  const Box e = redaction_ellipse_box(face, options);
  const int ex = static_cast<int>(e.x) - x, ey = static_cast<int>(e.y) - y;
  const int ew = static_cast<int>(e.w), eh = static_cast<int>(e.h);

  // Elliptical mask; the region's corners outside the ellipse are left as they were.
  cv::Mat mask = cv::Mat::zeros(roi.size(), CV_8UC1);
  cv::ellipse(mask, cv::Point(ex + ew / 2, ey + eh / 2), cv::Size(std::max(1, ew / 2), std::max(1, eh / 2)), 0, 0,
              360, cv::Scalar(255), cv::FILLED);
  if (options.style == RedactionStyle::solid) {
    roi.setTo(cv::Scalar(128, 128, 128), mask);
    return region;
  }
  // Pixelate: average down to at most `cells` cells across, so no detail finer than a cell
  // survives; then blur the cell edges so the result is not a mosaic that could be matched.
  // Averaging is lossy: nothing of the original detail can be recovered.
  // Cells are a `cells`-th of the whole ellipse's width, also where the image edge cuts it.
  const int cells = std::max(2, options.cells);
  const double cell_px = std::max(1.0, static_cast<double>(ew) / cells);
  const int cw = std::clamp(static_cast<int>(std::lround(w / cell_px)), 1, w);
  const int ch = std::clamp(static_cast<int>(std::lround(h / cell_px)), 1, h);
  // The region is first averaged down to at most kLookPx across (the mean of each cell, and
  // of the surroundings below, need no finer detail), which keeps large faces cheap.
  constexpr int kLookPx = 96;
  const double f = std::min(1.0, static_cast<double>(kLookPx) / std::max(w, h));
  cv::Mat look = roi, look_mask = mask;
  if (f < 1.0) {
    const cv::Size size(std::max(cw, static_cast<int>(std::lround(w * f))),
                        std::max(ch, static_cast<int>(std::lround(h * f))));
    cv::resize(roi, look, size, 0, 0, cv::INTER_AREA);
    cv::resize(mask, look_mask, size, 0, 0, cv::INTER_NEAREST);
  }
  cv::Mat small;
  cv::resize(look, small, cv::Size(cw, ch), 0, 0, cv::INTER_AREA);
  // Blur with a sigma of about 1.5 cells: cell edges and the dark eye band melt into a smooth
  // blob that neither a person nor a face detector reads as a face. All of this runs on the
  // cells drawn kCellPx pixels wide and is scaled to the region once at the end: the same
  // picture as working at full size (scaling is linear, so flattening commutes with it), at a
  // cost that does not grow with the face (a full-size Gaussian grows with the cube of its size).
  constexpr int kCellPx = 3;
  cv::Mat cells_img;
  cv::resize(small, cells_img, cv::Size(cw * kCellPx, ch * kCellPx), 0, 0, cv::INTER_NEAREST);
  const double sigma = kBlurSigmaCells * kCellPx;
  cv::GaussianBlur(cells_img, cells_img, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
  // Flatten what contrast is left towards the colour around the face (the corners of the
  // region, outside the ellipse), so that the patch does not stay a skin-coloured,
  // head-shaped blob that a face detector still takes for a face.
  cv::Mat ring;
  cv::bitwise_not(look_mask, ring);
  const cv::Scalar around = cv::countNonZero(ring) > 0 ? cv::mean(look, ring) : cv::mean(cells_img);
  cv::addWeighted(cells_img, 1.0 - kFlatten, cv::Mat(cells_img.size(), cells_img.type(), around), kFlatten, 0,
                  cells_img);
  cv::Mat painted;
  cv::resize(cells_img, painted, roi.size(), 0, 0, cv::INTER_LINEAR);
  painted.copyTo(roi, mask);
  return region;
}

}  // namespace veil

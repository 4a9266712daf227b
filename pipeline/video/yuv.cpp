// Pixel work on yuv420p frames: orientation, scaling, crops and in-place redaction.
#include "pipeline/video/yuv.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <stdexcept>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/video/orientation.h"

namespace veil {

namespace {

// Regions up to this size are painted directly; larger ones through a reduced copy (the
// pixelate_blur style blurs with a sigma proportional to the region: its cost grows with the
// cube of the region size).
// At 40 pixels a cell of the 8-cell pixelation is 5 pixels, and the blur spans 1.5 cells.
constexpr int kDirectPaintPx = 40;

cv::Mat plane(const AVFrame* f, int index) {
  const int w = index == 0 ? f->width : (f->width + 1) / 2;
  const int h = index == 0 ? f->height : (f->height + 1) / 2;
  return cv::Mat(h, w, CV_8UC1, f->data[index], static_cast<std::size_t>(f->linesize[index]));
}

// YCbCr -> RGB coefficients: kr, kb of the matrix, and whether the range is full.
cv::Matx34f ycc_to_bgr(double kr, double kb, bool full) {
  const double kg = 1 - kr - kb;
  const double ys = full ? 1.0 : 255.0 / 219.0, cs = full ? 1.0 : 255.0 / 224.0;
  const double yo = full ? 0 : 16;
  // R = ys(Y-yo) + cs*2(1-kr)(Cr-128); B = ys(Y-yo) + cs*2(1-kb)(Cb-128);
  // G = ys(Y-yo) - cs*(2 kb (1-kb)/kg)(Cb-128) - cs*(2 kr (1-kr)/kg)(Cr-128)
  const double rv = cs * 2 * (1 - kr), bu = cs * 2 * (1 - kb);
  const double gu = -cs * 2 * kb * (1 - kb) / kg, gv = -cs * 2 * kr * (1 - kr) / kg;
  cv::Matx34f m;
  const double rows[3][3] = {{ys, bu, 0}, {ys, gu, gv}, {ys, 0, rv}};  // B, G, R from (Y, Cb, Cr)
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) m(r, c) = static_cast<float>(rows[r][c]);
    m(r, 3) = static_cast<float>(-rows[r][0] * yo - (rows[r][1] + rows[r][2]) * 128);
  }
  return m;
}

cv::Matx34f inverse_affine(const cv::Matx34f& m) {
  cv::Matx44d full = cv::Matx44d::eye();
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) full(r, c) = m(r, c);
  const cv::Matx44d inv = full.inv();
  cv::Matx34f out;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) out(r, c) = static_cast<float>(inv(r, c));
  return out;
}

// Even-aligned rectangle containing `r`, clipped to the frame.
void aligned_bounds(const cv::Rect& r, int width, int height, int& x0, int& y0, int& x1, int& y1) {
  x0 = std::max(0, r.x) & ~1;
  y0 = std::max(0, r.y) & ~1;
  x1 = std::min(width, r.x + r.width);
  y1 = std::min(height, r.y + r.height);
  if ((x1 - x0) % 2 && x1 < width) ++x1;
  if ((y1 - y0) % 2 && y1 < height) ++y1;
}

}  // namespace

YuvMatrix YuvMatrix::for_frame(const AVFrame* frame) {
  const bool full = frame->format == AV_PIX_FMT_YUVJ420P || frame->color_range == AVCOL_RANGE_JPEG;
  bool bt709;
  switch (frame->colorspace) {
    case AVCOL_SPC_BT709: bt709 = true; break;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: bt709 = false; break;
    default: bt709 = frame->height >= 720; break;
  }
  YuvMatrix m;
  m.to_bgr = bt709 ? ycc_to_bgr(0.2126, 0.0722, full) : ycc_to_bgr(0.299, 0.114, full);
  m.to_yuv = inverse_affine(m.to_bgr);
  return m;
}

cv::Rect pixel_rect(const Box& box, int width, int height) {
  const int x0 = std::clamp(static_cast<int>(std::floor(box.x)), 0, width);
  const int y0 = std::clamp(static_cast<int>(std::floor(box.y)), 0, height);
  const int x1 = std::clamp(static_cast<int>(std::ceil(box.x + box.w)), 0, width);
  const int y1 = std::clamp(static_cast<int>(std::ceil(box.y + box.h)), 0, height);
  return cv::Rect(x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0));
}

cv::Mat yuv_rect_to_bgr(const AVFrame* yuv, const cv::Rect& rect, const YuvMatrix& matrix) {
  int x0, y0, x1, y1;
  aligned_bounds(rect, yuv->width, yuv->height, x0, y0, x1, y1);
  if (x1 <= x0 || y1 <= y0) return cv::Mat();
  const int w = x1 - x0, h = y1 - y0;
  const int cx0 = x0 / 2, cy0 = y0 / 2, cx1 = (x1 + 1) / 2, cy1 = (y1 + 1) / 2;
  cv::Mat channels[3];
  channels[0] = plane(yuv, 0)(cv::Rect(x0, y0, w, h));
  for (int i = 1; i <= 2; ++i) {
    cv::Mat up;
    cv::resize(plane(yuv, i)(cv::Rect(cx0, cy0, cx1 - cx0, cy1 - cy0)), up,
               cv::Size(2 * (cx1 - cx0), 2 * (cy1 - cy0)), 0, 0, cv::INTER_NEAREST);
    channels[i] = up(cv::Rect(0, 0, w, h));
  }
  cv::Mat ycc, bgr;
  cv::merge(channels, 3, ycc);
  cv::transform(ycc, bgr, cv::Mat(matrix.to_bgr));
  const cv::Rect inner(rect.x - x0, rect.y - y0, std::min(rect.width, w - (rect.x - x0)),
                       std::min(rect.height, h - (rect.y - y0)));
  return bgr(inner).clone();
}

cv::Mat upright_crop(const AVFrame* yuv, int orientation, const Box& upright_region, cv::Point2f& origin) {
  const Box stored = box_to_stored(upright_region, orientation, yuv->width, yuv->height);
  const cv::Rect rect = pixel_rect(stored, yuv->width, yuv->height);
  if (rect.empty()) return cv::Mat();
  cv::Mat bgr = yuv_rect_to_bgr(yuv, rect, YuvMatrix::for_frame(yuv));
  const Box up = box_to_upright(Box{static_cast<float>(rect.x), static_cast<float>(rect.y),
                                    static_cast<float>(rect.width), static_cast<float>(rect.height)},
                                orientation, yuv->width, yuv->height);
  origin = cv::Point2f(up.x, up.y);
  if (orientation == 1) return bgr;
  cv::Mat upright;
  apply_orientation(bgr, upright, orientation);
  return upright;
}

void orient_yuv(const AVFrame* src, av::FramePtr& dst, int orientation) {
  const bool swap = orientation_swaps_axes(orientation);
  const int w = swap ? src->height : src->width, h = swap ? src->width : src->height;
  if (!dst || dst->width != w || dst->height != h || dst->format != AV_PIX_FMT_YUV420P) {
    dst = av::make_frame();
    dst->format = AV_PIX_FMT_YUV420P;
    dst->width = w;
    dst->height = h;
    if (av_frame_get_buffer(dst.get(), 0) < 0) throw std::bad_alloc();
  }
  if (av_frame_make_writable(dst.get()) < 0) throw std::bad_alloc();
  for (int i = 0; i < 3; ++i) {
    const cv::Mat s = plane(src, i);
    cv::Mat d = plane(dst.get(), i);
    uchar* const target = d.data;
    if (orientation == 1) {
      s.copyTo(d);
    } else {
      apply_orientation(s, d, orientation);
    }
    if (d.data != target) d.copyTo(plane(dst.get(), i));
  }
  av_frame_copy_props(dst.get(), src);
  if (swap) std::swap(dst->sample_aspect_ratio.num, dst->sample_aspect_ratio.den);
}

Box redact_yuv(AVFrame* yuv, const Box& face, const RedactOptions& options, const YuvMatrix& matrix) {
  const int width = yuv->width, height = yuv->height;
  const Box region = redaction_region(face, options, width, height);
  if (region.w <= 0 || region.h <= 0) return region;
  // Two pixels of slack around the region so that rounding cannot clip it at the crop's edge.
  cv::Rect want = pixel_rect(Box{region.x - 2, region.y - 2, region.w + 4, region.h + 4}, width, height);
  int x0, y0, x1, y1;
  aligned_bounds(want, width, height, x0, y0, x1, y1);
  const cv::Rect rect(x0, y0, x1 - x0, y1 - y0);
  cv::Mat bgr = yuv_rect_to_bgr(yuv, rect, matrix);
  const Box local{face.x - x0, face.y - y0, face.w, face.h};
  const int largest = std::max(bgr.cols, bgr.rows);
  if (largest <= kDirectPaintPx) {
    redact_face(bgr, local, options);
  } else {
    // A large face: paint a reduced copy (the painting keeps no detail finer than a cell
    // anyway, and blurring a 1000-pixel region at full size costs tens of milliseconds per
    // frame), then bring the painted ellipse back at full size.
    const double s = static_cast<double>(kDirectPaintPx) / largest;
    cv::Mat small;
    cv::resize(bgr, small, cv::Size(std::max(1, static_cast<int>(std::lround(bgr.cols * s))),
                                    std::max(1, static_cast<int>(std::lround(bgr.rows * s)))),
               0, 0, cv::INTER_AREA);
    const float fx = static_cast<float>(small.cols) / bgr.cols, fy = static_cast<float>(small.rows) / bgr.rows;
    redact_face(small, Box{local.x * fx, local.y * fy, local.w * fx, local.h * fy}, options);
    cv::Mat painted;
    cv::resize(small, painted, bgr.size(), 0, 0, cv::INTER_LINEAR);
    // The same ellipse redact_face() fills (whole, even where the frame's edge cuts it), in
    // the full-size region.
    const Box e = redaction_ellipse_box(local, options);
    cv::Mat mask = cv::Mat::zeros(bgr.size(), CV_8UC1);
    const int w = static_cast<int>(e.w), h = static_cast<int>(e.h);
    cv::ellipse(mask, cv::Point(static_cast<int>(e.x) + w / 2, static_cast<int>(e.y) + h / 2),
                cv::Size(std::max(1, w / 2), std::max(1, h / 2)), 0, 0, 360, cv::Scalar(255), cv::FILLED);
    painted.copyTo(bgr, mask);
  }

  cv::Mat ycc;
  cv::transform(bgr, ycc, cv::Mat(matrix.to_yuv));
  cv::Mat channels[3];
  cv::split(ycc, channels);
  channels[0].copyTo(plane(yuv, 0)(rect));
  const int cx0 = x0 / 2, cy0 = y0 / 2, cx1 = (x1 + 1) / 2, cy1 = (y1 + 1) / 2;
  for (int i = 1; i <= 2; ++i) {
    cv::Mat full = channels[i];
    if (rect.width % 2 || rect.height % 2)
      cv::copyMakeBorder(full, full, 0, rect.height % 2, 0, rect.width % 2, cv::BORDER_REPLICATE);
    cv::Mat half;
    cv::resize(full, half, cv::Size(cx1 - cx0, cy1 - cy0), 0, 0, cv::INTER_AREA);
    half.copyTo(plane(yuv, i)(cv::Rect(cx0, cy0, cx1 - cx0, cy1 - cy0)));
  }
  return region;
}

void FrameScaler::to_bgr(const AVFrame* src, int dst_width, int dst_height, cv::Mat& dst) {
  // yuvj420p is handled as yuv420p with a full-range flag, like the frames this pipeline makes.
  sws_.reset(sws_getCachedContext(sws_.release(), src->width, src->height, AV_PIX_FMT_YUV420P, dst_width,
                                  dst_height, AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (!sws_) throw std::runtime_error("cannot create a BGR converter");
  const bool full = src->format == AV_PIX_FMT_YUVJ420P || src->color_range == AVCOL_RANGE_JPEG;
  const int space = src->colorspace == AVCOL_SPC_BT709 || (src->colorspace == AVCOL_SPC_UNSPECIFIED && src->height >= 720)
                        ? SWS_CS_ITU709
                        : SWS_CS_ITU601;
  const int* table = sws_getCoefficients(space);
  sws_setColorspaceDetails(sws_.get(), table, full ? 1 : 0, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                           1 << 16);
  // swscale's vector code may store a few bytes past the end of a line (valgrind: an 8-byte
  // store reaching 4 bytes past the last line of a 460-pixel-wide picture, a heap overflow
  // that aborted a test now and then). So the picture is the first dst_height rows of a
  // buffer with spare rows: what spills over lands in the next line, which is written after
  // it, or in the spare rows. The buffer starts zeroed: a consumer that looks around the view
  // (copyMakeBorder without BORDER_ISOLATED) then finds black, not old heap bytes.
  const int spare_rows = 1 + 64 / (3 * std::max(1, dst_width));
  const std::size_t need = static_cast<std::size_t>(dst_height + spare_rows) * dst_width * 3;
  if (dst.rows != dst_height || dst.cols != dst_width || dst.type() != CV_8UC3 || !dst.isContinuous() ||
      static_cast<std::size_t>(dst.datalimit - dst.data) < need) {
    cv::Mat buffer(dst_height + spare_rows, dst_width, CV_8UC3, cv::Scalar::all(0));
    dst = buffer.rowRange(0, dst_height);
  }
  uint8_t* data[4] = {dst.data, nullptr, nullptr, nullptr};
  int linesize[4] = {static_cast<int>(dst.step[0]), 0, 0, 0};
  sws_scale(sws_.get(), src->data, src->linesize, 0, src->height, data, linesize);
}

void FrameScaler::to_yuv(const AVFrame* src, int dst_width, int dst_height, av::FramePtr& dst) {
  // yuvj420p is scaled as yuv420p: the values keep their range, the frame keeps its range flag.
  sws_.reset(sws_getCachedContext(sws_.release(), src->width, src->height, AV_PIX_FMT_YUV420P, dst_width,
                                  dst_height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws_) throw std::runtime_error("cannot create a scaler");
  if (!dst || dst->width != dst_width || dst->height != dst_height) {
    dst = av::make_frame();
    dst->format = AV_PIX_FMT_YUV420P;
    dst->width = dst_width;
    dst->height = dst_height;
    if (av_frame_get_buffer(dst.get(), 0) < 0) throw std::bad_alloc();
  }
  if (av_frame_make_writable(dst.get()) < 0) throw std::bad_alloc();
  sws_scale(sws_.get(), src->data, src->linesize, 0, src->height, dst->data, dst->linesize);
  av_frame_copy_props(dst.get(), src);
}

}  // namespace veil

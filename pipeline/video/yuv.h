// Internal to the video pipeline (includes FFmpeg headers): pixel work on 8-bit yuv420p
// AVFrames without converting whole frames to BGR: turning a frame upright, scaling,
// small BGR copies for detection, BGR crops around faces for embedding, and redaction of
// a face region in place (only the region is converted to BGR, painted with
// redact_face() and converted back).
#pragma once

#include <opencv2/core/mat.hpp>

#include "models/face.h"
#include "pipeline/photo/redact.h"
#include "pipeline/video/ffmpeg.h"

namespace veil {

// BT.601/BT.709, limited/full range conversion between YCbCr and BGR, chosen from a frame's
// colorspace and color_range (unspecified: BT.601 below 720 lines, else BT.709; limited
// range unless yuvj420p or AVCOL_RANGE_JPEG).
struct YuvMatrix {
  cv::Matx34f to_bgr;  // applied to (Y, Cb, Cr, 1)
  cv::Matx34f to_yuv;  // applied to (B, G, R, 1)
  static YuvMatrix for_frame(const AVFrame* frame);
};

// The rectangle of a `width` x `height` picture covered by `box` (rounded outwards, clipped).
cv::Rect pixel_rect(const Box& box, int width, int height);

// BGR copy of `rect` of a yuv420p frame (the rect must lie inside the frame).
cv::Mat yuv_rect_to_bgr(const AVFrame* yuv, const cv::Rect& rect, const YuvMatrix& matrix);

// Upright BGR crop around `upright_region` of a stored (not yet oriented) yuv420p frame.
// `origin` receives the crop's top-left corner in upright coordinates.
cv::Mat upright_crop(const AVFrame* yuv, int orientation, const Box& upright_region, cv::Point2f& origin);

// `dst` (allocated here when needed, reused otherwise) = `src` turned upright.
void orient_yuv(const AVFrame* src, av::FramePtr& dst, int orientation);

// Paints `face` in the upright yuv420p frame (writable) as redact_face() would in BGR; returns
// the painted region. Regions larger than 40 px are painted on a reduced copy whose painted
// ellipse is then scaled back (same look: the painting has no detail finer than a cell).
Box redact_yuv(AVFrame* yuv, const Box& face, const RedactOptions& options, const YuvMatrix& matrix);

// Whole-frame conversions with a cached swscale context.
class FrameScaler {
 public:
  // yuv420p `src` -> BGR `dst` of dst_width x dst_height (no orientation applied).
  void to_bgr(const AVFrame* src, int dst_width, int dst_height, cv::Mat& dst);
  // yuv420p `src` -> yuv420p `dst` (allocated here when needed) of dst_width x dst_height.
  void to_yuv(const AVFrame* src, int dst_width, int dst_height, av::FramePtr& dst);

 private:
  av::SwsPtr sws_;
};

}  // namespace veil

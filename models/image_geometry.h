// Image geometry below the stages: reducing an image, fitting it in a square box, and its
// centre square. For OpenCV images of any channel count; nothing here enlarges.
#pragma once

#include <opencv2/core/mat.hpp>

namespace veil {

// `src` reduced to `size` without aliasing (source pixels are averaged, not picked); the
// last columns and rows of `src` may be left out, fewer than src.cols / size.width and
// src.rows / size.height of them. Returns `src` itself (its pixels, not a copy) when `size`
// is src's size, else new pixels.
// Throws std::invalid_argument when `size` is wider or taller than `src`, or under 1 x 1.
cv::Mat shrink_to(const cv::Mat& src, cv::Size size);

// `size` fitted in box x box with its aspect ratio (the long side becomes `box`, the other
// is rounded and at least 1); `size` itself when its long side is at most `box`.
// Throws std::invalid_argument when `box` is under 1.
cv::Size fitted_size(cv::Size size, int box);

// `src` shrunk to fitted_size(src.size(), box): `src` itself when it already fits.
// Throws std::invalid_argument when `box` is under 1.
cv::Mat fit_in_box(const cv::Mat& src, int box);

// The largest square centred in `src` (half a pixel up or left when a margin is odd): a view of
// src's pixels, never a copy.
cv::Mat centre_square(const cv::Mat& src);

}  // namespace veil

// Display-matrix orientation: the decision ffmpeg's autorotate makes, and pixels and
// boxes turned upright consistently.
#include "pipeline/video/orientation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace veil {
namespace {

// The matrix av_display_rotation_set(m, angle) writes: a clockwise rotation by `angle`
// (16.16 fixed point; av_display_rotation_get() reads it back as -angle, counter-clockwise).
void rotation_matrix(std::int32_t m[9], double angle) {
  const double r = -angle * M_PI / 180;
  const double c = std::cos(r), s = std::sin(r);
  for (int i = 0; i < 9; ++i) m[i] = 0;
  m[0] = static_cast<std::int32_t>(std::lround(c * 65536));
  m[1] = static_cast<std::int32_t>(std::lround(-s * 65536));
  m[3] = static_cast<std::int32_t>(std::lround(s * 65536));
  m[4] = static_cast<std::int32_t>(std::lround(c * 65536));
  m[8] = 1 << 30;
}

TEST(VideoOrientation, RotationsFromTheDisplayMatrix) {
  std::int32_t m[9];
  rotation_matrix(m, 0);
  EXPECT_EQ(orientation_from_display_matrix(m), 1);
  rotation_matrix(m, 90);  // the usual portrait phone video: shown turned 90 degrees clockwise
  EXPECT_EQ(orientation_from_display_matrix(m), 6);
  rotation_matrix(m, -90);
  EXPECT_EQ(orientation_from_display_matrix(m), 8);
  rotation_matrix(m, 180);
  EXPECT_EQ(orientation_from_display_matrix(m), 3);
  rotation_matrix(m, 92);  // not a right angle: the nearest one
  EXPECT_EQ(orientation_from_display_matrix(m), 6);
  EXPECT_EQ(orientation_rotation(6), 90);
  EXPECT_EQ(orientation_rotation(8), 270);
  EXPECT_TRUE(orientation_swaps_axes(6));
  EXPECT_FALSE(orientation_swaps_axes(3));
}

TEST(VideoOrientation, MirroredMatrices) {
  std::int32_t m[9] = {-65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30};  // horizontal flip
  EXPECT_EQ(orientation_from_display_matrix(m), 2);
  std::int32_t v[9] = {65536, 0, 0, 0, -65536, 0, 0, 0, 1 << 30};  // vertical flip
  EXPECT_EQ(orientation_from_display_matrix(v), 4);
  std::int32_t zero[9] = {0};
  EXPECT_EQ(orientation_from_display_matrix(zero), 1);  // degenerate: as stored
}

TEST(VideoOrientation, BoxesFollowThePixels) {
  // A 40x30 picture with a marked 4x3 block; every orientation moves the block and the box alike.
  const int w = 40, h = 30;
  const Box stored_box{5, 7, 4, 3};
  cv::Mat stored = cv::Mat::zeros(h, w, CV_8UC1);
  stored(cv::Rect(5, 7, 4, 3)).setTo(255);
  for (int o = 1; o <= 8; ++o) {
    cv::Mat upright;
    apply_orientation(stored, upright, o);
    EXPECT_EQ(upright.cols, orientation_swaps_axes(o) ? h : w);
    const cv::Rect marked = cv::boundingRect(upright);
    const Box b = box_to_upright(stored_box, o, w, h);
    EXPECT_EQ(marked, cv::Rect(static_cast<int>(b.x), static_cast<int>(b.y), static_cast<int>(b.w), static_cast<int>(b.h)))
        << "orientation " << o;
    const Box back = box_to_stored(b, o, w, h);
    EXPECT_FLOAT_EQ(back.x, stored_box.x) << o;
    EXPECT_FLOAT_EQ(back.y, stored_box.y) << o;
    EXPECT_FLOAT_EQ(back.w, stored_box.w) << o;
    EXPECT_FLOAT_EQ(back.h, stored_box.h) << o;
  }
}

}  // namespace
}  // namespace veil

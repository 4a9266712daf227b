// models/image_geometry: shrink_to, fitted_size, fit_in_box and centre_square, on made-up images.
#include "models/image_geometry.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include <opencv2/core.hpp>

namespace veil {
namespace {

// Black and white pixels in a one-pixel checkerboard: the worst case for aliasing.
cv::Mat checkerboard(int width, int height, int type = CV_8UC3) {
  cv::Mat image(height, width, type);
  const int channels = image.channels();
  for (int y = 0; y < height; ++y) {
    uchar* row = image.ptr(y);
    for (int i = 0; i < width * channels; ++i) row[i] = (i / channels + y) % 2 ? 255 : 0;
  }
  return image;
}

void expect_flat_grey(const cv::Mat& image, double tolerance) {
  double low = 0, high = 0;
  cv::minMaxLoc(image.reshape(1), &low, &high);
  EXPECT_GE(low, 127.5 - tolerance);
  EXPECT_LE(high, 127.5 + tolerance);
}

TEST(ImageGeometry, ShrinkToTheSameSizeIsTheImageItself) {
  const cv::Mat image = checkerboard(64, 48);
  const cv::Mat same = shrink_to(image, image.size());
  EXPECT_EQ(same.data, image.data);
  EXPECT_EQ(same.size(), image.size());
}

TEST(ImageGeometry, ShrinkToReachesTheSizeWithoutAliasing) {
  const cv::Mat image = checkerboard(1000, 800);
  // A whole factor, a remainder below 1.5x after it, and one above.
  for (const cv::Size size : {cv::Size(500, 400), cv::Size(333, 267), cv::Size(180, 140), cv::Size(999, 800)}) {
    SCOPED_TRACE(size);
    const cv::Mat small = shrink_to(image, size);
    EXPECT_EQ(small.size(), size);
    EXPECT_EQ(small.type(), image.type());
    if (size.width <= image.cols / 2) expect_flat_grey(small, 20);
  }
}

TEST(ImageGeometry, ShrinkToTakesAnyChannelCountAndViews) {
  const cv::Mat grey = checkerboard(300, 200, CV_8UC1);
  const cv::Mat small = shrink_to(grey, cv::Size(100, 67));
  EXPECT_EQ(small.type(), CV_8UC1);
  EXPECT_EQ(small.size(), cv::Size(100, 67));
  expect_flat_grey(small, 20);
  const cv::Mat view = checkerboard(400, 400)(cv::Rect(50, 60, 200, 100));
  EXPECT_EQ(shrink_to(view, cv::Size(50, 25)).size(), cv::Size(50, 25));
}

TEST(ImageGeometry, ShrinkToNeverEnlarges) {
  const cv::Mat image = checkerboard(64, 48);
  EXPECT_THROW(shrink_to(image, cv::Size(65, 48)), std::invalid_argument);
  EXPECT_THROW(shrink_to(image, cv::Size(64, 49)), std::invalid_argument);
  EXPECT_THROW(shrink_to(image, cv::Size(32, 60)), std::invalid_argument);
  EXPECT_THROW(shrink_to(image, cv::Size(0, 10)), std::invalid_argument);
  EXPECT_THROW(shrink_to(image, cv::Size(10, 0)), std::invalid_argument);
}

TEST(ImageGeometry, FittedSizeKeepsTheAspectAndNeverUpscales) {
  EXPECT_EQ(fitted_size({4000, 3000}, 2048), cv::Size(2048, 1536));
  EXPECT_EQ(fitted_size({3000, 4000}, 2048), cv::Size(1536, 2048));
  EXPECT_EQ(fitted_size({5000, 5000}, 320), cv::Size(320, 320));
  EXPECT_EQ(fitted_size({1500, 1000}, 320), cv::Size(320, 213));  // 213.33 rounded
  EXPECT_EQ(fitted_size({1000, 1500}, 320), cv::Size(213, 320));
  EXPECT_EQ(fitted_size({1001, 3}, 100), cv::Size(100, 1));  // at least one pixel
  EXPECT_EQ(fitted_size({3, 1001}, 100), cv::Size(1, 100));
  EXPECT_EQ(fitted_size({300, 200}, 2048), cv::Size(300, 200));
  EXPECT_EQ(fitted_size({2048, 100}, 2048), cv::Size(2048, 100));
  EXPECT_THROW(fitted_size({300, 200}, 0), std::invalid_argument);
}

TEST(ImageGeometry, FitInBox) {
  const cv::Mat image = checkerboard(900, 600);
  const cv::Mat fitted = fit_in_box(image, 300);
  EXPECT_EQ(fitted.size(), cv::Size(300, 200));
  expect_flat_grey(fitted, 20);
  EXPECT_EQ(fit_in_box(image, 900).data, image.data);  // already fits: the image itself
  EXPECT_EQ(fit_in_box(image, 4000).size(), image.size());
  EXPECT_THROW(fit_in_box(image, 0), std::invalid_argument);
}

TEST(ImageGeometry, CentreSquareIsACentredViewOfThePixels) {
  const cv::Mat landscape = checkerboard(9, 4);
  const cv::Mat a = centre_square(landscape);
  EXPECT_EQ(a.size(), cv::Size(4, 4));
  EXPECT_EQ(a.data, landscape.ptr(0, 2));  // margins 2 and 3: half a pixel to the left
  const cv::Mat portrait = checkerboard(4, 8);
  const cv::Mat b = centre_square(portrait);
  EXPECT_EQ(b.size(), cv::Size(4, 4));
  EXPECT_EQ(b.data, portrait.ptr(2, 0));
  const cv::Mat square = checkerboard(5, 5);
  EXPECT_EQ(centre_square(square).data, square.data);
  EXPECT_EQ(centre_square(square).size(), square.size());
}

}  // namespace
}  // namespace veil

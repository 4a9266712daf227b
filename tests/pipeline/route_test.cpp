// Routing of files to the photo or the video pipeline (pipeline/route.h), on real photos and
// clips and on files made in a temporary directory.
#include "pipeline/route.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/test_support.h"

namespace veil {
namespace {

TEST(Route, VideoContainersGoToTheVideoPipeline) {
  EXPECT_TRUE(looks_like_video_file(test::testdata("video/short_hamilton_clip.mp4")));
  EXPECT_TRUE(looks_like_video_file(test::testdata("robustness/animated/faceapi_5frames_820x460.mp4")));
}

TEST(Route, PhotosGoToThePhotoPipelineEvenWhenTheirContainerIsLikeAVideos) {
  EXPECT_FALSE(looks_like_video_file(test::testdata("robustness/orientation/hopper.jpg")));
  EXPECT_FALSE(looks_like_video_file(test::testdata("robustness/formats/astronaut.png")));
  EXPECT_FALSE(looks_like_video_file(test::testdata("robustness/heic/test-heic_image3.heic")));  // ISO-BMFF, as MP4
  EXPECT_FALSE(looks_like_video_file(test::testdata("robustness/animated/hopper.gif")));        // animated
}

TEST(Route, WhatIsNeitherOrCannotBeReadIsNotAVideo) {
  test::TempDir tmp;
  std::ofstream(tmp.path() + "/notes.mp4") << "not a video, whatever the name says";
  EXPECT_FALSE(looks_like_video_file(tmp.path() + "/notes.mp4"));
  std::ofstream(tmp.path() + "/empty.mp4");
  EXPECT_FALSE(looks_like_video_file(tmp.path() + "/empty.mp4"));
  EXPECT_FALSE(looks_like_video_file(tmp.path() + "/missing.mp4"));
}

}  // namespace
}  // namespace veil

// Recognition once per video track, on its best views: while a video is decoded, keeps
// for each live track the few face crops most worth embedding (largest, most frontal,
// most confident, sharpest), then embeds them and averages the embeddings into one
// L2-normalised track embedding.
//
// Memory: at most `per_track` crops per live track, each scaled so that the face is at
// most max_face_px wide (about 100 KB); crops leave with take().
#pragma once

#include <functional>
#include <map>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "models/face.h"

namespace veil {

class FaceEmbedder;

// A face and the image around it, in the crop's pixel coordinates.
struct FaceCrop {
  cv::Mat bgr;
  DetectedFace face;
  float quality = 0;
};

// Quality of a detection for recognition, from geometry alone (no pixels), in [0, 1]:
// size (saturating at `full_size_px` across) x frontalness (nose between the eyes,
// from the landmarks) x detector score.
float face_view_quality(const DetectedFace& face, float full_size_px = 112.f);

// Sharpness of the face in a crop, in (0, 1]: variance of the Laplacian of the face
// scaled to 64 px, squashed as v / (v + 100).
float face_sharpness(const FaceCrop& crop);

class BestFaces {
 public:
  BestFaces(int per_track, int min_face_px, int max_face_px = 224);

  // Offers a detection (full-picture coordinates) of track `track_id`. `make_crop` is
  // called only when the face is large enough and may be among the track's best; it
  // returns the face and its surroundings (FaceCrop::face in crop coordinates).
  void offer(int track_id, const DetectedFace& face, const std::function<FaceCrop()>& make_crop);

  // The kept crops of a track, best first; the track is forgotten.
  std::vector<FaceCrop> take(int track_id);

  std::size_t crops_held() const;

 private:
  int per_track_, min_face_px_, max_face_px_;
  std::map<int, std::vector<FaceCrop>> kept_;
};

// The embeddings of `crops`, averaged and L2-normalised; empty when there is no crop or
// none could be embedded. `used` receives the number of embeddings averaged.
Embedding average_embedding(FaceEmbedder& embedder, const std::vector<FaceCrop>& crops, int* used = nullptr);

}  // namespace veil

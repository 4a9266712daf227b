// An item's stored face decisions as the photo pipeline's render() takes them, and back: the
// bridge that lets a face decided by a person keep that decision whenever the item is
// rendered again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/photo/photo_pipeline.h"
#include "storage/media_view.h"
#include "storage/timestamps.h"

namespace veil {

// Who decided a face by hand, carried from its stored row to the row written again.
struct PersonDecision {
  std::int64_t decided_by = 0;  // accounts.id; 0: the policy decided
  std::optional<TimePoint> decided_at;
  bool manual = false;         // a box added by hand
  bool has_landmarks = true;   // false for a box added by hand
};

// The stored photo faces (frame_or_track 0; with `every_row`, every row: a video's tracks) as
// decided faces for PhotoPipeline::render(), in their order; `people` gets each one's
// PersonDecision at the same index.
std::vector<PhotoFace> decided_faces(const std::vector<FaceView>& stored, std::vector<PersonDecision>& people,
                                     bool every_row = false);

// The faces a new detection found (`detected`, judged by the policy), with the decisions of
// people carried over from the stored faces: a detected face that coincides with a face a
// person decided (IoU >= 0.5) takes that decision; boxes drawn by hand are added after them.
// `people` gets each one's PersonDecision at the same index.
std::vector<PhotoFace> carry_person_decisions(const std::vector<PhotoFace>& detected,
                                              const std::vector<FaceView>& stored,
                                              std::vector<PersonDecision>& people);

// Whether any stored face was decided by a person.
bool has_person_decisions(const std::vector<FaceView>& stored);

}  // namespace veil

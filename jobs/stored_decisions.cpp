// Stored face rows <-> decided faces for rendering again.
#include "jobs/stored_decisions.h"

namespace veil {

std::vector<PhotoFace> decided_faces(const std::vector<FaceView>& stored, std::vector<PersonDecision>& people) {
  std::vector<PhotoFace> faces;
  people.clear();
  for (const auto& s : stored) {
    if (s.frame_or_track != 0) continue;
    PhotoFace pf;
    pf.face.box = Box{s.bbox[0], s.bbox[1], s.bbox[2], s.bbox[3]};
    for (std::size_t i = 0; i < pf.face.landmarks.size(); ++i)
      pf.face.landmarks[i] = Point{s.landmarks[2 * i], s.landmarks[2 * i + 1]};
    pf.face.score = s.det_score;
    // Anything but an explicit keep is painted: a stored decision never shows more than it says.
    pf.judgement.decision = s.decision == "keep" ? Decision::keep : Decision::blur;
    pf.judgement.reason = s.reason;
    pf.judgement.match = s.matched_child_name;
    pf.judgement.matched_child_id = s.matched_child_id;
    pf.judgement.similarity = s.similarity;
    pf.judgement.consent_event_id = s.consent_event_id;
    faces.push_back(std::move(pf));
    people.push_back({s.decided_by, s.decided_at, s.manual, s.has_landmarks});
  }
  return faces;
}

bool has_person_decisions(const std::vector<FaceView>& stored) {
  for (const auto& s : stored)
    if (s.decided_by != 0) return true;
  return false;
}

}  // namespace veil

// Stored face rows <-> decided faces for rendering again.
#include "jobs/stored_decisions.h"

namespace veil {

namespace {

PhotoFace decided_face(const FaceView& s) {
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
  return pf;
}

PersonDecision person_of(const FaceView& s) { return {s.decided_by, s.decided_at, s.manual, s.has_landmarks}; }

}  // namespace

std::vector<PhotoFace> decided_faces(const std::vector<FaceView>& stored, std::vector<PersonDecision>& people,
                                     bool every_row) {
  std::vector<PhotoFace> faces;
  people.clear();
  for (const auto& s : stored) {
    if (s.frame_or_track != 0 && !every_row) continue;
    faces.push_back(decided_face(s));
    people.push_back(person_of(s));
  }
  return faces;
}

std::vector<PhotoFace> carry_person_decisions(const std::vector<PhotoFace>& detected,
                                              const std::vector<FaceView>& stored,
                                              std::vector<PersonDecision>& people) {
  std::vector<PhotoFace> faces;
  people.clear();
  for (const auto& d : detected) {
    PhotoFace pf = d;
    PersonDecision person;
    for (const auto& s : stored) {
      if (s.decided_by == 0 || s.manual) continue;
      if (iou(d.face.box, Box{s.bbox[0], s.bbox[1], s.bbox[2], s.bbox[3]}) < 0.5f) continue;
      pf.judgement = decided_face(s).judgement;
      person = person_of(s);
      break;
    }
    faces.push_back(std::move(pf));
    people.push_back(person);
  }
  for (const auto& s : stored) {
    if (!s.manual) continue;
    faces.push_back(decided_face(s));
    people.push_back(person_of(s));
  }
  return faces;
}

bool has_person_decisions(const std::vector<FaceView>& stored) {
  for (const auto& s : stored)
    if (s.decided_by != 0) return true;
  return false;
}

}  // namespace veil

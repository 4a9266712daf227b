// The offline consent policies of `veil process`: keep every face, blur every face, or
// match against a gallery of reference photos with consents given on the command line.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "policy/face_judge.h"

namespace veil {

class FaceDetector;
class FaceEmbedder;
class ConsentJudge;

class KeepAllJudge : public FaceJudge {
 public:
  bool needs_embedding() const override { return false; }
  FaceJudgement judge(const Embedding&) override;
};

class BlurAllJudge : public FaceJudge {
 public:
  bool needs_embedding() const override { return false; }
  FaceJudgement judge(const Embedding&) override;
};

struct GalleryPolicy {
  std::string gallery_dir;                  // reference photos named CHILD_*.jpg (or .png, .webp...)
  std::map<std::string, std::string> consent;  // CHILD -> "yes" | "no"
  std::string journal_child;                // the journal owner
  std::string uploader_role = "staff";
};

// Builds a ConsentJudge over the gallery (one template per reference photo: its largest face).
// Throws std::runtime_error for an empty gallery, an unreadable photo or a photo without a face,
// or a --journal/--consent child that has no reference photo.
std::unique_ptr<ConsentJudge> make_gallery_judge(const GalleryPolicy& policy, FaceDetector& detector,
                                                 FaceEmbedder& embedder, const struct Config& config);

}  // namespace veil

// What processing decided for one item: its state and every reason for it. One shape for the
// photo and video pipelines, the consent policy, the job that records the item (media.state,
// media.reason) and the CLI's JSON.
#pragma once

#include <string>
#include <vector>

#include "policy/media_state.h"

namespace veil {

struct Outcome {
  MediaState state = MediaState::published;  // published, held or rejected
  // Why the item is held or rejected, most specific first (policy/reasons.h); empty when
  // published.
  std::vector<std::string> reasons;

  // The reasons joined with "; ": the text stored in media.reason ("" when published).
  std::string reason() const;

  // Holds the item for `why`, after the reasons it has. A reason it already has, or a bare
  // code one of its reasons starts with, is not added again. A rejected item is left as it is:
  // its one reason is why it could not be read.
  void hold(std::string why);

  // Adds what `other` decided: rejected wins, then held (its reasons appended, as hold() does).
  void add(const Outcome& other);

  static Outcome held(std::string why);
  static Outcome rejected(std::string why);
};

}  // namespace veil

// What managers, seniors and staff do with held and published media (docs/moderation.md):
// list the moderation queue, look at an item, approve, reject, change its face decisions,
// assign a face to a child, and look at a face unblurred. The HTTP API (daemon/) and
// `veil moderation` (cli/) call this; neither holds a rule of its own.
//
// Contract. Every call takes a connection and the acting Account (accounts/session_service.h:
// who a session or `--as` names) and commits its own transaction; nothing rides on a
// caller's transaction. Permissions: managers and seniors read every item and decide; staff
// read only the items whose journal child has the account's person as key person, and decide
// nothing (kForbidden). An item a staff account may not read is kNotFound for it, as if it
// did not exist. Every decision, face change and unblurred face view is audited, with the
// account's name as actor, in the transaction of the change.
//
// Face changes (blur, unblur, add_face, assign) take effect by rendering again: in the
// transaction of the change the face rows are updated (decided_by = the account), the item
// goes to `processing` and a `reprocess` job is queued. Its renditions are not served until
// the worker has painted the original again with the stored decisions, verified the result
// and written a new rendition version; the item then returns to `held` when it has a pending
// moderation row, else to `published` (unless verification holds it), and the worker
// publishes `media.updated`. A face decided by a person keeps that decision whenever the
// item is processed again. Face changes are refused (kConflict) while the item is
// `processing`, for items that are not `held` or `published`, for items whose original is
// not stored (`veil process --journal`), and for videos ("face changes on videos are not
// supported yet").
//
// Errors: ModerationError with a code (the HTTP layer maps kBadRequest/kForbidden/kNotFound/
// kConflict to 400/403/404/409) and a message the user understands. Database failures throw
// pqxx exceptions; storage failures (an unreadable original) throw std::runtime_error; in
// both cases nothing is committed. A rejected item's rendition files are deleted after the
// commit (a file that cannot be deleted is logged, not thrown).
//
// Thread safety: a ModerationService holds settings and, optionally, an embedder (not
// thread-safe). Without an embedder every call but assign() may run on any thread, each with
// its own connection; with one, calls to assign() must not overlap.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <pqxx/types.hxx>

#include "accounts/session_service.h"
#include "config/config.h"
#include "policy/media_state.h"
#include "storage/originals_store.h"
#include "storage/timestamps.h"

namespace veil {

class FaceEmbedder;

class ModerationError : public std::runtime_error {
 public:
  enum class Code { kBadRequest, kForbidden, kNotFound, kConflict };
  ModerationError(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Code code() const { return code_; }

 private:
  Code code_;
};

struct ItemChild {
  std::int64_t id = 0;
  std::string name;
};

struct ItemUploader {
  std::int64_t id = 0;
  std::string name;
  std::string role;  // staff | parent
};

// The item's latest moderation row.
struct ItemModeration {
  std::string state;                     // pending | approved | rejected
  std::string reason;                    // why it was held ("" for a published item rejected)
  std::optional<std::string> decided_by;  // the account's name
  std::optional<TimePoint> decided_at;
  std::optional<std::string> note;
};

struct ItemFace {
  int n = 0;                         // 1, 2, ... in the order the faces were found (added faces last)
  std::array<float, 4> box{};        // x, y, w, h in the pixels of the photo as uploaded
  std::string decision;              // keep | blur
  std::string reason;                // a per-face code of policy/reasons.h
  std::optional<ItemChild> child;    // the matched child (or the candidate of an uncertain match)
  float similarity = 0;
  std::optional<std::string> decided_by;  // the account that decided it by hand, if any
  bool manual = false;                    // a box added by hand
  bool may_unblur = false;                // unblur() would be allowed now
};

struct ItemRendition {
  std::string kind;  // display, thumb, thumb_square; video, poster, poster_thumb...
  int version = 0;
  int width = 0, height = 0;
  std::string mime;
  std::string path;  // the file; item_json() leaves it out unless asked
};

struct Item {
  std::string id;
  std::string kind;   // photo | video
  std::string state;  // media.state
  std::vector<std::string> reasons;  // media.reason split at "; "
  std::optional<ItemChild> journal_child;
  std::optional<ItemUploader> uploader;
  TimePoint received_at;
  TimePoint updated_at;
  std::optional<ItemModeration> moderation;
  int width = 0, height = 0;  // the photo (or video) as uploaded; 0 when not known
  int version = 0;            // the current rendition version; 0: none
  std::vector<ItemFace> faces;
  std::vector<ItemRendition> renditions;  // the current version's only
};

// One page of a list, with what the whole list holds.
struct Page {
  std::vector<Item> items;
  std::int64_t total = 0;                          // items in the whole list
  std::map<std::string, std::int64_t> by_reason;   // moderation list: reason code -> items
  std::map<std::string, std::int64_t> by_age;      // moderation list: "under_1h", "under_1d", "under_1w", "older"
  std::optional<std::string> next;                 // the cursor for the next page; none after the last
};

// What the caller publishes after an action (daemon/event_publisher.h): topic `name`
// ("media.approved", "media.rejected", or "media.processing" for a face change) with the
// media id and its state now.
struct ModerationEvent {
  std::string name;
  std::string media_id;
  MediaState state = MediaState::held;
};

// The item after an action, and the event to publish.
struct ActionResult {
  Item item;
  ModerationEvent event;
};

struct ModerationSettings {
  std::string originals_root;   // <data_dir>/originals
  SecretKey master_key{};       // unwraps the children's data keys
  Config config;                // policy rules, redaction, decode limits, enrolment quality
};

class ModerationService {
 public:
  // `embedder` (not owned; may be null) makes the face templates of assign(); without it
  // assign() is refused with kConflict ("face models are not loaded here").
  explicit ModerationService(ModerationSettings settings, FaceEmbedder* embedder = nullptr);
  ~ModerationService();

  // The moderation queue: items whose latest moderation row is in `state` (pending,
  // approved or rejected; else kBadRequest), oldest first, at most `limit` (1..200, else
  // kBadRequest) after the cursor `after` ("" for the first page; an unknown cursor is
  // kBadRequest). Staff: their key children's items only. `now` places the items in age buckets.
  Page list(pqxx::connection_base& db, const Account& who, const std::string& state, int limit,
            const std::string& after, TimePoint now) const;

  // Media items whose state is one of `states` (every state when empty; an unknown one is
  // kBadRequest), of the journal child `journal_child` (0: any), newest first, at most
  // `limit` (1..200) after the cursor `after`. Staff: their key children's items only.
  // total counts the whole list; by_reason and by_age stay empty.
  Page media(pqxx::connection_base& db, const Account& who, const std::vector<std::string>& states,
             std::int64_t journal_child, int limit, const std::string& after) const;

  // One item; kNotFound when there is none (or staff may not read it; a malformed id too).
  Item show(pqxx::connection_base& db, const Account& who, const std::string& media_id) const;

  // Publishes a held item: its pending moderation row becomes approved (by the account, with
  // `note`, at `now`), the item published with its current renditions; audited
  // media.approved; event media.approved. kConflict when the item is not held or has no
  // renditions to publish.
  ActionResult approve(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                       const std::string& note, TimePoint now) const;

  // Withdraws a held or published item: its moderation row (made for a published item)
  // becomes rejected, the item rejected, its rendition rows deleted in the transaction and
  // their files after the commit; audited media.rejected; event media.rejected. kConflict in
  // any other state.
  ActionResult reject(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                      const std::string& note, TimePoint now) const;

  // Face `n` (1-based; kNotFound when there is none) decided blur by the account; the item is
  // rendered again (see above). Audited face.blurred.
  ActionResult blur(pqxx::connection_base& db, const Account& who, const std::string& media_id, int n,
                    TimePoint now) const;

  // Face `n` decided keep, only when the consent policy would keep its child here: the
  // face is matched (or an uncertain candidate) to the journal's own child, or to a child
  // whose current consent allows photos in other children's journals. Otherwise kConflict
  // with the reason (e.g. "face 2 may not be unblurred: Ben has no consent record
  // (no_consent_record)"). The item is rendered again. Audited face.unblurred.
  ActionResult unblur(pqxx::connection_base& db, const Account& who, const std::string& media_id, int n,
                      TimePoint now) const;

  // Adds a face the detector missed, box {x, y, w, h} in the photo's pixels (kBadRequest
  // unless w, h > 0 and the box overlaps the photo), decided blur, as the last face. The
  // item is rendered again. Audited face.added.
  ActionResult add_face(pqxx::connection_base& db, const Account& who, const std::string& media_id,
                        const std::array<float, 4>& box, TimePoint now) const;

  // Face `n` is the child `child_id` (an active child; else kNotFound): a face template is
  // added for the child from this face of the original (the checks of `veil enrol`: a
  // confident detection, large and sharp enough; else kConflict saying which failed; a face
  // added by hand has no landmarks and is refused), the face's child becomes `child_id` and
  // its decision what the consent policy decides for that child here. The item is rendered
  // again. Audited face.assigned (and template.enrolled).
  ActionResult assign(pqxx::connection_base& db, const Account& who, const std::string& media_id, int n,
                      std::int64_t child_id, TimePoint now);

  // The unblurred face `n` cut from the decrypted original (its box with a margin), as JPEG
  // bytes. Managers and seniors only (kForbidden for staff); photos only (kConflict for
  // videos). Audited face.viewed in its own committed transaction before the bytes are
  // returned.
  std::string face_crop(pqxx::connection_base& db, const Account& who, const std::string& media_id, int n) const;

  // The current display rendition with each face's box, number and decision drawn on it, as
  // JPEG bytes; for a video its poster as it is (face boxes are per track). kConflict while
  // the item is `processing` and when it has no display rendition (rejected, failed).
  std::string review_image(pqxx::connection_base& db, const Account& who, const std::string& media_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The ITEM of docs/moderation.md. `with_paths`: the renditions' "path" (the CLI shows it; the
// HTTP API does not).
nlohmann::json item_json(const Item& item, bool with_paths);
// {"items": [ITEM...], "total", "counts": {"by_reason", "by_age"}, "next"}.
nlohmann::json page_json(const Page& page, bool with_paths);

}  // namespace veil

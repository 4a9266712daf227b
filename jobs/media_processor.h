// Processing one stored media item against the database: the bridge between the pixel
// pipeline and PostgreSQL, used by veild's workers and by `veil process --journal`.
//
// run() reads the media row, the current enrolment (templates, refreshed in memory only
// when enrolment changed) and the current consents, then runs the photo (or video) pipeline
// with the consent policy. It writes nothing to the database: it may take seconds.
// A `reprocess` job (and a photo a person decided a face of) judges the item again instead
// (docs/operations.md, "When consent changes"): from the face index when the item's faces were
// found with the current detection settings and embedder (no detection), the policy's faces by
// their stored embeddings, a person's decisions kept unless the consent rule no longer allows
// a face they kept; otherwise the faces are detected again and a person's decisions carried
// over. When no decision changed (and no person asked for the change) the renditions stay as
// they are; otherwise the photo is rendered again from its original (PhotoPipeline::render:
// verification still runs), a video processed again with the new judgements. The item
// returns to the state it had: `held` when it has a pending moderation row (with its reasons),
// else `published`; unless verification holds it ("verification_failed"). A reprocess job
// for an item no longer published, held, withdrawn or processing does nothing.
// record() then writes the whole result inside the caller's transaction, replacing any
// earlier result for the same media (idempotent: a retried job replaces, never duplicates,
// faces and renditions): faces with decisions, embeddings and the consent events used,
// renditions (files written under renditions_root/<media_id>/v<version>/ before the
// transaction commits, a new version each time), the face rows with who decided them by
// hand, the media state, size and detection settings, a moderation row when held, and an audit
// entry citing the job's causes. A result that keeps a child whose consent was withdrawn after
// run() read the consents is recorded out of view (withdrawn) with a new reprocess job
// (storage/reprocess_queue.h). committed() removes the files of earlier versions once that
// transaction has committed.
//
// One MediaProcessor per worker thread (the detector and embedder are not thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <pqxx/types.hxx>

#include "config/config.h"
#include "policy/outcome.h"

namespace veil {

struct ProcessedMedia;  // opaque result of run(), consumed by record()
class FaceJudge;
struct PhotoResult;
struct PhotoFace;
struct PersonDecision;

class MediaProcessor {
 public:
  explicit MediaProcessor(const Config& config);
  ~MediaProcessor();
  MediaProcessor(const MediaProcessor&) = delete;
  MediaProcessor& operator=(const MediaProcessor&) = delete;

  // Runs the pipeline on the original bytes of media `media_id` (a row in `media`).
  // Never throws for bad media: an undecodable file is rejected, a pipeline failure is held
  // with the reason "processing_error: ...". Throws for database errors.
  // `job_kind`: "process" or "reprocess" (see above); `causes`: the reprocess job's causes
  // (a JSON array, storage/reprocess_queue.h).
  std::shared_ptr<ProcessedMedia> run(pqxx::connection_base& db, const std::string& media_id,
                                      const std::string& original_bytes, const std::string& job_kind = "process",
                                      const std::string& causes = "[]");

  // Writes `result` in `tx` (see above); returns the final media state (published, held,
  // withdrawn, processing (a held item withdrawn), or rejected).
  MediaState record(pqxx::transaction_base& tx, const ProcessedMedia& result, const std::string& renditions_root);

  // After record()'s transaction committed: removes renditions_root/<media_id>/v<N>/ of every
  // version but the one recorded. Never throws (a file left behind is logged).
  void committed(const ProcessedMedia& result, const std::string& renditions_root);

 private:
  void run_video(ProcessedMedia& result, const std::string& original_bytes, FaceJudge& judge);
  void render_again(ProcessedMedia& result, const std::string& original_bytes, std::vector<PhotoFace> decided,
                    const std::vector<PersonDecision>& people);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The outcome run() decided, for callers that report it before recording.
const Outcome& processed_outcome(const ProcessedMedia& result);
// The pipeline's account of the photo (faces, judgements, renditions).
const PhotoResult& processed_photo(const ProcessedMedia& result);
// For a video: video_result_json() of the pipeline's result (tracks, output, verification); null for photos.
const nlohmann::json& processed_video(const ProcessedMedia& result);

}  // namespace veil

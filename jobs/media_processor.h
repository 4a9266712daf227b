// Processing one stored media item against the database: the bridge between the pixel
// pipeline and PostgreSQL, used by veild's workers and by `veil process --journal`.
//
// run() reads the media row, the current enrolment (templates, refreshed in memory only
// when enrolment changed) and the current consents, then runs the photo (or video)
// pipeline with the consent policy. It writes nothing to the database: it may take seconds.
// record() then writes the whole result inside the caller's transaction, replacing any
// earlier result for the same media (idempotent: a retried job replaces, never duplicates,
// faces and renditions): faces with decisions and the consent events used, renditions
// (files written under renditions_root/<media_id>/ before the transaction commits),
// the media state, a moderation row when held, and audit entries.
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

class MediaProcessor {
 public:
  explicit MediaProcessor(const Config& config);
  ~MediaProcessor();
  MediaProcessor(const MediaProcessor&) = delete;
  MediaProcessor& operator=(const MediaProcessor&) = delete;

  // Runs the pipeline on the original bytes of media `media_id` (a row in `media`).
  // Never throws for bad media: an undecodable file is rejected, a pipeline failure is held
  // with the reason "processing_error: ...". Throws for database errors.
  std::shared_ptr<ProcessedMedia> run(pqxx::connection_base& db, const std::string& media_id,
                                      const std::string& original_bytes);

  // Writes `result` in `tx` (see above); returns the final media state (published, held or
  // rejected).
  MediaState record(pqxx::transaction_base& tx, const ProcessedMedia& result, const std::string& renditions_root);

 private:
  void run_video(ProcessedMedia& result, const std::string& original_bytes, FaceJudge& judge);

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

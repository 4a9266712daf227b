// MediaProcessor: pipeline run against the current enrolment and consents, and the
// idempotent recording of its result.
#include "jobs/media_processor.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "jobs/stored_decisions.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "models/model_file.h"
#include "policy/consent_judge.h"
#include "policy/reasons.h"
#include "pipeline/photo/photo_pipeline.h"
#include "pipeline/stage_options.h"
#include "pipeline/video/process.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/durable_file.h"
#include "storage/media_repository.h"
#include "storage/media_view.h"
#include "storage/moderation_queue.h"

namespace veil {

// One row of the face index: a photo face (frame_or_track 0) or a video track (its id).
struct FaceRecord {
  int frame_or_track = 0;
  DetectedFace face;
  FaceJudgement judgement;
  PersonDecision person;  // kept when the item is rendered again
};

struct ProcessedMedia {
  std::string media_id;
  Outcome outcome;
  std::int64_t enrolment_version = 0;
  PhotoResult photo;                    // photos: the pipeline's account
  nlohmann::json video = nullptr;       // videos: video_result_json()
  std::vector<FaceRecord> faces;        // what record() stores in `faces`
  std::vector<Rendition> renditions;    // what record() stores in `renditions`
  int width = 0, height = 0;            // as uploaded
  bool rerendered = false;              // rendered with the stored decisions
  std::string previous_reason;          // media.reason before (rerendered items)
  mutable int recorded_version = 0;     // set by record(), for committed()
};

const Outcome& processed_outcome(const ProcessedMedia& r) { return r.outcome; }
const PhotoResult& processed_photo(const ProcessedMedia& r) { return r.photo; }
const nlohmann::json& processed_video(const ProcessedMedia& r) { return r.video; }

struct MediaProcessor::Impl {
  Config config;
  FaceDetector detector;
  FaceEmbedder embedder;
  PhotoPipeline pipeline;
  FaceMatcher matcher;
  std::int64_t loaded_version = -1;

  explicit Impl(const Config& c)
      : config(c),
        detector(detector_options(c)),
        embedder(embedder_options(c)),
        pipeline(detector, embedder, PhotoOptions{decode_limits(c), redact_options(c), rendition_options(c), true}),
        matcher(matcher_options(c)) {}
};

MediaProcessor::MediaProcessor(const Config& config) : impl_(std::make_unique<Impl>(config)) {}
MediaProcessor::~MediaProcessor() = default;

std::shared_ptr<ProcessedMedia> MediaProcessor::run(pqxx::connection_base& db, const std::string& media_id,
                                                    const std::string& original_bytes, const std::string& job_kind) {
  auto result = std::make_shared<ProcessedMedia>();
  result->media_id = media_id;
  ConsentMap consents;
  ConsentJudgeParams params;
  std::string kind;
  {
    pqxx::read_transaction tx(db);
    const auto media = media_to_process(tx, media_id);
    if (!media) throw std::runtime_error("media " + media_id + " does not exist");
    params.journal_child_id = media->journal_child_id;
    params.uploader_role = parse_uploader_role(media->uploader_role).value_or(UploaderRole::parent);
    kind = media->kind;
    if (kind == "photo") {
      const auto stored = media_faces(tx, media_id);
      if (job_kind == "reprocess" || has_person_decisions(stored)) {
        result->rerendered = true;
        result->previous_reason = media->reason;
        result->enrolment_version = media->enrolment_version;
        std::vector<PersonDecision> people;
        std::vector<PhotoFace> decided = decided_faces(stored, people);
        tx.commit();
        render_again(*result, original_bytes, std::move(decided), people);
        return result;
      }
    }
    // Templates are held in memory and reloaded only when enrolment changed.
    const std::int64_t version = enrolment_version(tx);
    if (version != impl_->loaded_version) {
      std::vector<FaceTemplate> templates;
      for (auto& t : active_templates(tx))
        templates.push_back({t.id, t.child_id, t.child_name, std::move(t.embedding), t.created_at_unix});
      const auto count = templates.size();
      impl_->matcher.replace_templates(std::move(templates));
      impl_->loaded_version = version;
      spdlog::debug("matcher: loaded {} templates (enrolment version {})", count, version);
    }
    result->enrolment_version = version;
    for (const auto& c : current_consents(tx)) consents[c.child_id] = ConsentState{c.photo_in_others, c.id};
  }
  params.thresholds = thresholds_from(impl_->config.matching);
  params.rules = rules_from(impl_->config.policy);
  params.now_unix =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  ConsentJudge judge(impl_->matcher, std::move(consents), params);

  if (kind == "video") {
    run_video(*result, original_bytes, judge);
  } else {
    result->photo = impl_->pipeline.process(original_bytes, judge);
    result->outcome = result->photo.outcome;
    for (const auto& pf : result->photo.faces) result->faces.push_back({0, pf.face, pf.judgement, PersonDecision{}});
    result->renditions = result->photo.renditions;
    result->width = result->photo.width;
    result->height = result->photo.height;
  }
  result->outcome.add(judge.outcome(false));  // the item-level rules (parent uploads)
  return result;
}

void MediaProcessor::render_again(ProcessedMedia& result, const std::string& original_bytes,
                                  std::vector<PhotoFace> decided, const std::vector<PersonDecision>& people) {
  try {
    result.photo = impl_->pipeline.render(decode_image(original_bytes, decode_limits(impl_->config)), std::move(decided));
  } catch (const DecodeError& e) {
    result.photo = PhotoPipeline::rejected(e);
  }
  result.outcome = result.photo.outcome;
  for (std::size_t i = 0; i < result.photo.faces.size(); ++i) {
    const auto& pf = result.photo.faces[i];
    result.faces.push_back({0, pf.face, pf.judgement, i < people.size() ? people[i] : PersonDecision{}});
  }
  result.renditions = result.photo.renditions;
  result.width = result.photo.width;
  result.height = result.photo.height;
}

void MediaProcessor::run_video(ProcessedMedia& result, const std::string& original_bytes, FaceJudge& judge) {
  // The video pipeline reads files: the original goes to a private temporary directory.
  std::string pattern = (std::filesystem::temp_directory_path() / "veil-video-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory for a video");
  const std::filesystem::path dir(pattern);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string input = (dir / "original").string(), output = (dir / "video.mp4").string();
  {
    std::ofstream out(input, std::ios::binary);
    out.write(original_bytes.data(), static_cast<std::streamsize>(original_bytes.size()));
    if (!out) throw std::runtime_error("cannot write a temporary copy of the video");
  }
  try {
    const VideoResult v =
        process_video(input, output, impl_->detector, &impl_->embedder, judge, video_options(impl_->config));
    result.video = video_result_json(v);
    result.outcome = v.outcome;
    result.width = v.width;
    result.height = v.height;
    for (const auto& t : v.tracks) {
      DetectedFace f;
      f.box = t.best_box;
      f.score = 1.0f;
      result.faces.push_back({t.id, f, t.judgement, PersonDecision{}});
    }
    std::ifstream in(output, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    Rendition video;
    video.kind = "video";
    video.mime = "video/mp4";
    video.ext = "mp4";
    video.width = v.width;
    video.height = v.height;
    video.bytes = bytes.str();
    result.renditions.push_back(std::move(video));
    // The poster and its thumbnails come from a redacted output frame, through the photo code.
    if (!v.poster.empty()) {
      for (auto& r : make_renditions(v.poster, rendition_options(impl_->config))) {
        r.kind = r.kind == "display" ? "poster" : "poster_" + r.kind;
        result.renditions.push_back(std::move(r));
      }
    }
  } catch (const VideoError& e) {
    result.outcome = Outcome::rejected(std::string(to_string(e.kind())) + ": " + e.what());
    result.faces.clear();
    result.renditions.clear();
  } catch (const std::exception& e) {
    result.outcome = Outcome::held(reason::with_details(reason::processing_error, e.what()));
    result.faces.clear();
    result.renditions.clear();
  }
}

namespace {

// The state of an item rendered again: the one it returns to (held with its reasons when it
// has a pending moderation row, else published), held further by what rendering found
// (verification_failed, processing_error), or rejected when the original no longer decodes.
Outcome outcome_rendered_again(pqxx::transaction_base& tx, const ProcessedMedia& r) {
  Outcome o = r.outcome;
  if (o.state == MediaState::rejected || !has_pending_moderation(tx, r.media_id)) return o;
  std::string rest = r.previous_reason;
  while (!rest.empty()) {
    const auto cut = rest.find("; ");
    o.hold(rest.substr(0, cut));
    rest = cut == std::string::npos ? "" : rest.substr(cut + 2);
  }
  o.state = MediaState::held;
  return o;
}

}  // namespace

MediaState MediaProcessor::record(pqxx::transaction_base& tx, const ProcessedMedia& r,
                                   const std::string& renditions_root) {
  // Replace any earlier result: a retried job never duplicates faces or renditions.
  const int version = next_rendition_version(tx, r.media_id);
  r.recorded_version = version;
  delete_media_results(tx, r.media_id);

  const std::string dir = renditions_root + "/" + r.media_id + "/v" + std::to_string(version);
  if (!r.renditions.empty()) std::filesystem::create_directories(dir);
  for (const auto& rendition : r.renditions) {
    const std::string path = dir + "/" + rendition.kind + "." + rendition.ext;
    write_file_durably(path, rendition.bytes, 0644);
    insert_rendition(tx, r.media_id,
                     NewRendition{version, rendition.kind, path, rendition.mime, rendition.width, rendition.height,
                                  static_cast<std::int64_t>(rendition.bytes.size()), sha256_hex(rendition.bytes)});
  }

  nlohmann::json decisions = nlohmann::json::array();
  int blurred = 0;
  for (const auto& fr : r.faces) {
    const auto& f = fr.face;
    const auto& j = fr.judgement;
    const auto& lm = f.landmarks;
    insert_face(tx, r.media_id,
                NewFace{fr.frame_or_track,
                        {f.box.x, f.box.y, f.box.w, f.box.h},
                        {lm[0].x, lm[0].y, lm[1].x, lm[1].y, lm[2].x, lm[2].y, lm[3].x, lm[3].y, lm[4].x, lm[4].y},
                        f.score,
                        j.matched_child_id,
                        j.similarity,
                        to_string(j.decision),
                        j.reason,
                        j.consent_event_id,
                        fr.person.has_landmarks,
                        fr.person.decided_by,
                        fr.person.decided_at,
                        fr.person.manual});
    blurred += j.decision == Decision::blur;
    decisions.push_back({{"decision", to_string(j.decision)},
                         {"reason", j.reason},
                         {"child_id", j.matched_child_id},
                         {"similarity", j.similarity},
                         {"consent_event_id", j.consent_event_id},
                         {"decided_by", fr.person.decided_by}});
  }

  const Outcome outcome = r.rerendered ? outcome_rendered_again(tx, r) : r.outcome;
  const MediaState state = outcome.state;
  // A published item rendered again keeps the reasons it was published with (an approval).
  const std::string reason =
      r.rerendered && state == MediaState::published ? r.previous_reason : outcome.reason();
  set_media_size(tx, r.media_id, r.width, r.height);
  set_media_state(tx, r.media_id, to_string(state), reason, r.enrolment_version);
  if (state == MediaState::held) enqueue_for_moderation(tx, r.media_id, reason);
  append_audit(tx, AuditEntry{"veild", "media.processed", r.media_id, 0,
                              nlohmann::json{{"job", r.rerendered ? "reprocess" : "process"},
                                             {"state", to_string(state)},
                                             {"reason", reason},
                                             {"faces", r.faces.size()},
                                             {"blurred", blurred},
                                             {"rendition_version", version},
                                             {"enrolment_version", r.enrolment_version},
                                             {"decisions", decisions}}
                                  .dump()});
  return state;
}

void MediaProcessor::committed(const ProcessedMedia& r, const std::string& renditions_root) {
  if (r.recorded_version <= 0) return;
  const std::filesystem::path dir = std::filesystem::path(renditions_root) / r.media_id;
  const std::string keep = "v" + std::to_string(r.recorded_version);
  std::error_code ec;
  std::vector<std::filesystem::path> old;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 1 && name[0] == 'v' && name != keep) old.push_back(it->path());
  }
  for (const auto& p : old) {
    std::filesystem::remove_all(p, ec);
    if (ec) spdlog::warn("media {}: earlier renditions {} not removed: {}", r.media_id, p.string(), ec.message());
  }
}

}  // namespace veil

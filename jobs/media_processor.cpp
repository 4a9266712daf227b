// MediaProcessor: pipeline run against the current enrolment and consents, and the
// idempotent recording of its result.
#include "jobs/media_processor.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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
#include "storage/face_index.h"
#include "storage/job_queue.h"
#include "storage/media_repository.h"
#include "storage/media_view.h"
#include "storage/moderation_queue.h"
#include "storage/reprocess_queue.h"

namespace veil {

// One row of the face index: a photo face (frame_or_track 0) or a video track (its id).
struct FaceRecord {
  int frame_or_track = 0;
  DetectedFace face;
  FaceJudgement judgement;
  PersonDecision person;  // kept when the item is rendered again
  Embedding embedding;    // the face index's entry; empty: none
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
  bool rerendered = false;              // processed again: returns to the state it had
  std::string previous_reason;          // media.reason before (rerendered items)
  std::string job_kind = "process";
  nlohmann::json causes = nlohmann::json::array();  // what asked for a reprocess job
  bool skipped = false;                 // reprocess of an item no longer shown or held: nothing to do
  bool unchanged = false;               // judged again, no decision changed: renditions kept
  bool detected_again = false;          // reprocess whose recorded detection settings were not the current ones
  int changed_faces = 0;                // reprocess: faces whose decision changed
  std::int64_t journal_child_id = 0;
  std::int64_t consent_snapshot = 0;    // the newest consent event when the consents were read
  std::string detection;                // the detection settings the faces were found with
  std::string embedder;                 // the embedder of the faces' embeddings
  mutable int recorded_version = 0;     // set by record(), for committed()
};

const Outcome& processed_outcome(const ProcessedMedia& r) { return r.outcome; }
const PhotoResult& processed_photo(const ProcessedMedia& r) { return r.photo; }
const nlohmann::json& processed_video(const ProcessedMedia& r) { return r.video; }

// The photo pipeline's account (result.photo) as the result to record: its outcome, faces
// (with `people`'s decisions at the same index), renditions and size.
static void take_photo(ProcessedMedia& result, const std::vector<PersonDecision>& people);

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
        pipeline(detector, embedder, photo_options(c)),
        matcher(matcher_options(c)) {}
};

MediaProcessor::MediaProcessor(const Config& config) : impl_(std::make_unique<Impl>(config)) {}
MediaProcessor::~MediaProcessor() = default;

namespace {

// Items a reprocess job renders: on show, waiting for a manager, or taken out of view for it.
bool reprocessable(const std::string& state) {
  return state == "published" || state == "held" || state == "withdrawn" || state == "processing";
}

// Whether the stored faces can be judged again from the face index alone: found with the
// current detection settings, every face found by the detector embedded by the current
// embedder.
bool index_usable(const MediaToProcess& media, const std::vector<FaceView>& stored,
                  const std::vector<FaceEmbedding>& index, const std::string& detection, const std::string& embedder) {
  if (media.detection != detection || index.size() != stored.size()) return false;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].manual) continue;
    if (index[i].embedder != embedder) return false;  // an empty embedding is judged not embeddable
  }
  return true;
}

// Whether a reprocess job must render even when no decision changed: a person changed a face
// (the stored decisions already say so), or nothing says why it was queued.
bool render_forced(const nlohmann::json& causes) {
  if (!causes.is_array() || causes.empty()) return true;
  for (const auto& c : causes)
    if (c.value("kind", "") == "manager") return true;
  return false;
}

}  // namespace

std::shared_ptr<ProcessedMedia> MediaProcessor::run(pqxx::connection_base& db, const std::string& media_id,
                                                    const std::string& original_bytes, const std::string& job_kind,
                                                    const std::string& causes) {
  auto result = std::make_shared<ProcessedMedia>();
  result->media_id = media_id;
  result->job_kind = job_kind;
  result->causes = nlohmann::json::parse(causes, nullptr, false);
  if (!result->causes.is_array()) result->causes = nlohmann::json::array();
  result->detection = detection_settings(impl_->config);
  result->embedder = embedder_name(impl_->config);
  ConsentMap consents;
  ConsentJudgeParams params;
  std::string kind;
  std::optional<MediaToProcess> media;
  std::vector<FaceView> stored;
  std::vector<FaceEmbedding> index;
  bool again = false, has_renditions = false;
  {
    pqxx::read_transaction tx(db);
    media = media_to_process(tx, media_id);
    if (!media) throw std::runtime_error("media " + media_id + " does not exist");
    if (job_kind == "reprocess" && !reprocessable(media->state)) {
      result->skipped = true;
      result->previous_reason = media->state;
      return result;
    }
    params.journal_child_id = media->journal_child_id;
    result->journal_child_id = media->journal_child_id;
    params.uploader_role = parse_uploader_role(media->uploader_role).value_or(UploaderRole::parent);
    kind = media->kind;
    if (job_kind == "reprocess" || kind == "photo") {
      stored = media_faces(tx, media_id);
      again = job_kind == "reprocess" || has_person_decisions(stored);
      if (again) {
        index = media_face_embeddings(tx, media_id);
        has_renditions = !current_renditions(tx, media_id).empty();
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
    result->consent_snapshot = last_consent_event(tx);
  }
  params.thresholds = thresholds_from(impl_->config.matching);
  params.rules = rules_from(impl_->config.policy);
  params.now_unix =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const PolicyRules rules = params.rules;
  ConsentJudge judge(impl_->matcher, consents, params);

  if (again) {
    result->rerendered = true;
    result->previous_reason = media->reason;
    const bool usable = index_usable(*media, stored, index, result->detection, result->embedder);
    result->detected_again = !usable;
    if (usable) {
      // Judged again from the index: the policy's faces by their embeddings, a person's
      // decisions kept unless the consent rule no longer allows a face they kept.
      std::vector<PersonDecision> people;
      std::vector<PhotoFace> decided = decided_faces(stored, people, true);
      for (std::size_t i = 0; i < decided.size(); ++i) {
        PhotoFace& pf = decided[i];
        const FaceView& s = stored[i];
        pf.embedding = index[i].embedding;  // the index entry stays with the face, whoever decides it
        FaceJudgement j;
        if (s.decided_by != 0 || s.manual) {
          if (s.decision != "keep") continue;
          j = judge_known_child(s.matched_child_id, s.matched_child_name, media->journal_child_id, consents, rules);
          if (s.matched_child_id != 0 && j.decision == Decision::keep) continue;
          people[i].decided_by = 0;  // the consent rule overrides the person's keep
          people[i].decided_at.reset();
        } else {
          j = judge.judge(index[i].embedding);
        }
        if (j.decision != pf.judgement.decision) ++result->changed_faces;
        pf.judgement = j;
      }
      if (result->changed_faces == 0 && has_renditions && !render_forced(result->causes)) {
        result->unchanged = true;
        result->outcome = Outcome{};
        for (std::size_t i = 0; i < decided.size(); ++i)
          result->faces.push_back({stored[i].frame_or_track, decided[i].face, decided[i].judgement, people[i],
                                   decided[i].embedding});
        return result;
      }
      if (kind == "photo") {
        render_again(*result, original_bytes, std::move(decided), people);
        return result;
      }
    }
    if (kind == "photo") {
      // Detected again (other models or settings): the policy judges the new faces; a
      // person's decisions are carried over to the faces they coincide with.
      result->photo = impl_->pipeline.process(original_bytes, judge);
      std::vector<PersonDecision> people;
      std::vector<PhotoFace> decided = carry_person_decisions(result->photo.faces, stored, people);
      if (has_person_decisions(stored))
        render_again(*result, original_bytes, std::move(decided), people);
      else
        take_photo(*result, {});
      return result;
    }
  }

  if (kind == "video") {
    run_video(*result, original_bytes, judge);
  } else {
    result->photo = impl_->pipeline.process(original_bytes, judge);
    take_photo(*result, {});
  }
  if (!again) result->outcome.add(judge.outcome(false));  // the item-level rules (parent uploads)
  return result;
}

void MediaProcessor::render_again(ProcessedMedia& result, const std::string& original_bytes,
                                  std::vector<PhotoFace> decided, const std::vector<PersonDecision>& people) {
  try {
    result.photo = impl_->pipeline.render(decode_image(original_bytes, decode_limits(impl_->config)), std::move(decided));
  } catch (const DecodeError& e) {
    result.photo = PhotoPipeline::rejected(e);
  }
  take_photo(result, people);
}

static void take_photo(ProcessedMedia& result, const std::vector<PersonDecision>& people) {
  result.outcome = result.photo.outcome;
  for (std::size_t i = 0; i < result.photo.faces.size(); ++i) {
    const auto& pf = result.photo.faces[i];
    result.faces.push_back({0, pf.face, pf.judgement, i < people.size() ? people[i] : PersonDecision{}, pf.embedding});
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
      result.faces.push_back({t.id, f, t.judgement, PersonDecision{}, t.embedding});
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
  // Before anything else: a consent withdrawal and this recording wait for each other
  // (storage/reprocess_queue.h).
  lock_consents_shared(tx);
  if (r.skipped) {
    append_audit(tx, AuditEntry{"veild", "media.reprocess_skipped", r.media_id, 0,
                                nlohmann::json{{"state", r.previous_reason}, {"causes", r.causes}}.dump()});
    return parse_media_state(r.previous_reason).value_or(MediaState::failed);
  }
  int version = 0;
  if (r.unchanged) {
    delete_media_faces(tx, r.media_id);  // judged again; the renditions stay as they are
  } else {
    // Replace any earlier result: a retried job never duplicates faces or renditions.
    version = next_rendition_version(tx, r.media_id);
    delete_media_results(tx, r.media_id);
  }
  r.recorded_version = version;

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
  std::vector<std::int64_t> kept_others;  // children kept outside their own journal
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
                        fr.person.manual,
                        fr.embedding,
                        fr.person.manual ? std::string() : r.embedder});
    blurred += j.decision == Decision::blur;
    if (j.decision == Decision::keep && j.matched_child_id != 0 && j.matched_child_id != r.journal_child_id)
      kept_others.push_back(j.matched_child_id);
    decisions.push_back({{"decision", to_string(j.decision)},
                         {"reason", j.reason},
                         {"child_id", j.matched_child_id},
                         {"similarity", j.similarity},
                         {"consent_event_id", j.consent_event_id},
                         {"decided_by", fr.person.decided_by}});
  }

  const Outcome outcome = r.rerendered ? outcome_rendered_again(tx, r) : r.outcome;
  MediaState state = outcome.state;
  // A published item rendered again keeps the reasons it was published with (an approval).
  const std::string reason =
      r.rerendered && state == MediaState::published ? r.previous_reason : outcome.reason();
  if (r.width > 0) set_media_size(tx, r.media_id, r.width, r.height);
  if (!r.renditions.empty()) set_media_detection(tx, r.media_id, r.detection);  // the pipeline ran to its end
  set_media_state(tx, r.media_id, to_string(state), reason, r.enrolment_version);
  if (state == MediaState::held) enqueue_for_moderation(tx, r.media_id, reason);
  // Judged with consents older than a withdrawal of a child it keeps: out of view at once, and
  // judged again ahead of uploads.
  const auto withdrawn = consent_withdrawn_since(tx, r.consent_snapshot, kept_others);
  if (!withdrawn.empty() && (state == MediaState::published || state == MediaState::held)) {
    withdraw_item(tx, r.media_id);
    queue_reprocess_jobs(tx, {r.media_id}, ReprocessCause{"consent", *std::max_element(withdrawn.begin(), withdrawn.end())},
                         kPriorityWithdrawal);
    state = state == MediaState::published ? MediaState::withdrawn : MediaState::processing;
  }
  nlohmann::json detail{{"job", r.rerendered ? "reprocess" : "process"},
                        {"state", to_string(state)},
                        {"reason", reason},
                        {"faces", r.faces.size()},
                        {"blurred", blurred},
                        {"rendition_version", version},
                        {"enrolment_version", r.enrolment_version},
                        {"decisions", decisions}};
  if (r.job_kind == "reprocess") {
    detail["causes"] = r.causes;
    detail["changed_faces"] = r.changed_faces;
    detail["renditions_kept"] = r.unchanged;
    detail["detected_again"] = r.detected_again;
  }
  append_audit(tx, AuditEntry{"veild", "media.processed", r.media_id, 0, detail.dump()});
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

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

#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "models/model_file.h"
#include "policy/consent_judge.h"
#include "pipeline/photo/photo_pipeline.h"
#include "pipeline/stage_options.h"
#include "pipeline/video_module.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"

namespace veil {

// One row of the face index: a photo face (frame_or_track 0) or a video track (its id).
struct FaceRecord {
  int frame_or_track = 0;
  DetectedFace face;
  FaceJudgement judgement;
};

struct ProcessedMedia {
  std::string media_id;
  std::string state;   // published | held | rejected
  std::string reason;
  std::int64_t enrolment_version = 0;
  PhotoResult photo;                    // photos: the pipeline's account
  nlohmann::json video = nullptr;       // videos: video_result_json()
  std::vector<FaceRecord> faces;        // what record() stores in `faces`
  std::vector<Rendition> renditions;    // what record() stores in `renditions`
};

std::string processed_state(const ProcessedMedia& r) { return r.state; }
std::string processed_reason(const ProcessedMedia& r) { return r.reason; }
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
                                                    const std::string& original_bytes) {
  auto result = std::make_shared<ProcessedMedia>();
  result->media_id = media_id;
  ConsentMap consents;
  ConsentJudgeParams params;
  std::string kind;
  {
    pqxx::read_transaction tx(db);
    const auto row = tx.exec_params("SELECT coalesce(journal_child_id, 0), uploader_role, kind FROM media WHERE id = $1",
                                    media_id);
    if (row.empty()) throw std::runtime_error("media " + media_id + " does not exist");
    params.journal_child_id = row[0][0].as<std::int64_t>();
    params.uploader_role = parse_uploader_role(row[0][1].as<std::string>()).value_or(UploaderRole::parent);
    kind = row[0][2].as<std::string>();
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
    result->state = result->photo.outcome;
    result->reason = result->photo.reason;
    for (const auto& pf : result->photo.faces) result->faces.push_back({0, pf.face, pf.judgement});
    result->renditions = result->photo.renditions;
  }
  if (result->state == "published") {
    const ItemDecision item = judge.outcome(false);
    if (item.outcome != ItemOutcome::publish) {
      result->state = "held";
      result->reason = item.reason;
    }
  }
  return result;
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
    const VideoResult v = video_module().process_video(input, output, impl_->detector, &impl_->embedder, judge,
                                        video_options(impl_->config));
    result.video = video_module().video_result_json(v);
    result.state = v.held ? "held" : "published";
    result.reason = v.held ? v.hold_reason : "";
    for (const auto& t : v.tracks) {
      DetectedFace f;
      f.box = t.best_box;
      f.score = 1.0f;
      result.faces.push_back({t.id, f, t.judgement});
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
    result.state = "rejected";
    result.reason = std::string(to_string(e.kind())) + ": " + e.what();
    result.faces.clear();
    result.renditions.clear();
  } catch (const std::exception& e) {
    result.state = "held";
    result.reason = std::string("processing_error: ") + e.what();
    result.faces.clear();
    result.renditions.clear();
  }
}

namespace {

void write_durably(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error("cannot sync " + tmp);
  std::filesystem::rename(tmp, path);
}

std::string real_array(std::initializer_list<float> values) {
  std::string s = "{";
  bool first = true;
  for (float v : values) {
    s += (first ? "" : ",") + std::to_string(v);
    first = false;
  }
  return s + "}";
}

}  // namespace

std::string MediaProcessor::record(pqxx::transaction_base& tx, const ProcessedMedia& r,
                                   const std::string& renditions_root) {
  // Replace any earlier result: a retried job never duplicates faces or renditions.
  const int version =
      tx.exec_params1("SELECT coalesce(max(version), 0) + 1 FROM renditions WHERE media_id = $1", r.media_id)[0].as<int>();
  tx.exec_params0("DELETE FROM renditions WHERE media_id = $1", r.media_id);
  tx.exec_params0("DELETE FROM faces WHERE media_id = $1", r.media_id);

  const std::string dir = renditions_root + "/" + r.media_id + "/v" + std::to_string(version);
  if (!r.renditions.empty()) std::filesystem::create_directories(dir);
  for (const auto& rendition : r.renditions) {
    const std::string path = dir + "/" + rendition.kind + "." + rendition.ext;
    write_durably(path, rendition.bytes);
    tx.exec_params0(
        "INSERT INTO renditions (media_id, version, kind, path, mime, width, height, bytes, sha256) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        r.media_id, version, rendition.kind, path, rendition.mime, rendition.width, rendition.height,
        static_cast<std::int64_t>(rendition.bytes.size()), sha256_hex(rendition.bytes));
  }

  nlohmann::json decisions = nlohmann::json::array();
  int blurred = 0;
  for (const auto& fr : r.faces) {
    const auto& f = fr.face;
    const auto& j = fr.judgement;
    const auto& lm = f.landmarks;
    tx.exec_params0(
        "INSERT INTO faces (media_id, frame_or_track, bbox, landmarks, det_score, matched_child_id, similarity, "
        "decision, decision_reason, consent_event_id) VALUES ($1, $10, $2::real[], $3::real[], $4, NULLIF($5, 0), $6, "
        "$7, $8, NULLIF($9, 0))",
        r.media_id, real_array({f.box.x, f.box.y, f.box.w, f.box.h}),
        real_array({lm[0].x, lm[0].y, lm[1].x, lm[1].y, lm[2].x, lm[2].y, lm[3].x, lm[3].y, lm[4].x, lm[4].y}), f.score,
        j.matched_child_id, j.similarity, to_string(j.decision), j.reason, j.consent_event_id, fr.frame_or_track);
    blurred += j.decision == Decision::blur;
    decisions.push_back({{"decision", to_string(j.decision)},
                         {"reason", j.reason},
                         {"child_id", j.matched_child_id},
                         {"similarity", j.similarity},
                         {"consent_event_id", j.consent_event_id}});
  }

  tx.exec_params0("UPDATE media SET state = $2, reason = NULLIF($3, ''), enrolment_version = $4, updated_at = now() "
                  "WHERE id = $1",
                  r.media_id, r.state, r.reason, r.enrolment_version);
  if (r.state == "held") {
    tx.exec_params0("INSERT INTO moderation (media_id, reason) SELECT $1, $2 WHERE NOT EXISTS "
                    "(SELECT 1 FROM moderation WHERE media_id = $1 AND state = 'pending')",
                    r.media_id, r.reason);
  }
  append_audit(tx, AuditEntry{"veild", "media.processed", r.media_id, 0,
                              nlohmann::json{{"state", r.state},
                                             {"reason", r.reason},
                                             {"faces", r.faces.size()},
                                             {"blurred", blurred},
                                             {"rendition_version", version},
                                             {"enrolment_version", r.enrolment_version},
                                             {"decisions", decisions}}
                                  .dump()});
  return r.state;
}

}  // namespace veil

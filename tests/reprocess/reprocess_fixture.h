// The nursery of tests/moderation (Kit and Rose enrolled, Rose's consent "no", items stored
// encrypted as ingest does and run as a veild worker does), with Kit's consent "yes" and six
// more children whose journals other children appear in; readers of what the reprocessing
// core writes (renditions, jobs, faces, audit details) and a check of a rendition with the
// real detector and embedder.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "jobs/reprocess_plan.h"
#include "models/face.h"
#include "pipeline/photo/decode.h"
#include "pipeline/stage_options.h"
#include "storage/children_repository.h"
#include "storage/face_index.h"
#include "storage/job_queue.h"
#include "storage/reprocess_queue.h"
#include "tests/moderation/moderation_fixture.h"

namespace veil::test {

struct RenditionRow {
  int version = 0;
  std::string kind, path, sha256;
  bool operator==(const RenditionRow& o) const {
    return version == o.version && kind == o.kind && path == o.path && sha256 == o.sha256;
  }
};

struct JobRow {
  std::int64_t id = 0;
  std::string kind, state;
  int priority = 0;
  nlohmann::json causes;
  std::int64_t batch_id = 0;
};

struct FaceRow {
  std::int64_t id = 0;
  std::int64_t child = 0;  // matched_child_id, 0: none
  std::string decision, reason;
  std::int64_t consent_event = 0;
  int embedding_size = 0;  // 0: NULL
  std::string embedder;    // "" when NULL
  std::int64_t decided_by = 0;
  bool manual = false;
};

class ReprocessTest : public ModerationTest {
 protected:
  void SetUp() override {
    ModerationTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    pqxx::work tx(*conn_);
    kit_yes_ = record_consent(tx, kit_, true, patel_, "signed form", "test");
    for (const char* name : {"Amara", "Ben", "Cleo", "Dev", "Esme", "Finn"})
      journals_.push_back(add_child(tx, name, "Mrs Patel", "test"));
    tx.commit();
  }

  // A photo of Kit alone (not one his templates were made from), 630x374.
  static std::string kit_photo() { return testdata("faces/Kit_Harington/john2.jpeg"); }
  // Rose alone: the photo her template was made from (her other photo is held by the
  // verification pass, which would hide what this suite checks), 400 px tall to keep the
  // suite fast.
  std::string rose_photo() {
    const cv::Mat img = cv::imread(testdata("faces/Rose_Leslie/img1.jpg"), cv::IMREAD_COLOR);
    cv::Mat scaled;
    cv::resize(img, scaled, cv::Size(img.cols * 400 / img.rows, 400), 0, 0, cv::INTER_AREA);
    const std::string path = data_ + "/rose.png";
    cv::imwrite(path, scaled);
    return path;
  }
  // A man nobody enrolled, 250x250.
  static std::string stranger_photo() { return testdata("faces/George_W_Bush/George_W_Bush_0001.jpg"); }

  std::string state_of(const std::string& id) { return scalar("SELECT state FROM media WHERE id = '" + id + "'"); }
  // media.reason and the faces' decisions, for failure messages.
  std::string reason_of(const std::string& id) {
    std::string s = scalar("SELECT coalesce(reason, '') FROM media WHERE id = '" + id + "'");
    for (const auto& f : faces_of(id))
      s += "; face " + std::to_string(f.id) + " child " + std::to_string(f.child) + " " + f.decision + " " + f.reason;
    return s;
  }

  // The media's rendition rows, by kind.
  std::vector<RenditionRow> renditions_of(const std::string& id) {
    pqxx::work tx(*conn_);
    std::vector<RenditionRow> out;
    for (const auto& r : tx.exec_params("SELECT version, kind, path, sha256 FROM renditions WHERE media_id = $1 "
                                        "ORDER BY kind, version",
                                        id))
      out.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>()});
    return out;
  }

  static std::string display_of(const std::vector<RenditionRow>& rows) {
    for (const auto& r : rows)
      if (r.kind == "display") return r.path;
    return "";
  }

  // The rows of journal_renditions for the media.
  int in_view(const std::string& id) {
    return std::stoi(scalar("SELECT count(*) FROM journal_renditions WHERE media_id = '" + id + "'"));
  }

  std::vector<JobRow> jobs_of(const std::string& id) {
    pqxx::work tx(*conn_);
    std::vector<JobRow> out;
    for (const auto& r : tx.exec_params("SELECT id, kind, state, priority, causes::text, coalesce(batch_id, 0) "
                                        "FROM jobs WHERE media_id = $1 ORDER BY id",
                                        id))
      out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<int>(),
                     nlohmann::json::parse(r[4].as<std::string>()), r[5].as<std::int64_t>()});
    return out;
  }

  // The media's queued jobs.
  std::vector<JobRow> queued_jobs_of(const std::string& id) {
    std::vector<JobRow> out;
    for (auto& j : jobs_of(id))
      if (j.state == "queued") out.push_back(std::move(j));
    return out;
  }

  std::vector<FaceRow> faces_of(const std::string& id) {
    pqxx::work tx(*conn_);
    std::vector<FaceRow> out;
    for (const auto& r : tx.exec_params(
             "SELECT id, coalesce(matched_child_id, 0), decision, decision_reason, coalesce(consent_event_id, 0), "
             "  coalesce(array_length(embedding, 1), 0), coalesce(embedder, ''), coalesce(decided_by, 0), manual "
             "FROM faces WHERE media_id = $1 ORDER BY id",
             id))
      out.push_back({r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::string>(), r[3].as<std::string>(),
                     r[4].as<std::int64_t>(), r[5].as<int>(), r[6].as<std::string>(), r[7].as<std::int64_t>(),
                     r[8].as<bool>()});
    return out;
  }

  // The face of `id` matched to `child`; nullopt when none.
  std::optional<FaceRow> face_matched(const std::string& id, std::int64_t child) {
    for (const auto& f : faces_of(id))
      if (f.child == child) return f;
    return std::nullopt;
  }

  // The details of the media's audit rows of `action`, oldest first.
  std::vector<nlohmann::json> audit_details(const std::string& id, const std::string& action) {
    pqxx::work tx(*conn_);
    std::vector<nlohmann::json> out;
    for (const auto& r : tx.exec_params("SELECT detail::text FROM audit WHERE media_id = $1 AND action = $2 ORDER BY id",
                                        id, action))
      out.push_back(nlohmann::json::parse(r[0].as<std::string>()));
    return out;
  }

  static bool cites(const nlohmann::json& causes, const std::string& kind, std::int64_t id) {
    if (!causes.is_array()) return false;
    for (const auto& c : causes)
      if (c.value("kind", "") == kind && c.value("id", std::int64_t{-1}) == id) return true;
    return false;
  }

  std::vector<Embedding> templates_of(std::int64_t child) {
    pqxx::work tx(*conn_);
    return child_templates(tx, child);
  }

  // The best cosine similarity between any face the real detector (thorough mode) finds in
  // `image_file` and any of `templates`; -1 when it finds no face.
  static float best_similarity(const std::string& image_file, const std::vector<Embedding>& templates) {
    const DecodedImage image = decode_image(read_file(image_file), DecodeLimits{});
    float best = -1;
    for (const auto& face : thorough_detector().detect(image.bgr)) {
      const Embedding e = embedder().embed(image.bgr, face);
      for (const auto& t : templates) best = std::max(best, cosine_similarity(e, t));
    }
    return best;
  }

  // Enrols `photo`'s largest face as a template of `child`, in `tx`; returns its id (0 when
  // the photo shows no face: a test failure).
  std::int64_t enrol_photo(pqxx::transaction_base& tx, std::int64_t child, const std::string& photo) {
    const DecodedImage image = decode_image(read_file(testdata(photo)), DecodeLimits{});
    const auto faces = detector().detect(image.bgr);
    if (faces.empty()) {
      ADD_FAILURE() << "no face in " << photo;
      return 0;
    }
    const DetectedFace* best = &faces[0];
    for (const auto& f : faces)
      if (f.box.area() > best->box.area()) best = &f;
    return add_template(tx, child, embedder().embed(image.bgr, *best), config().models.embedder, photo, 100, "test");
  }

  double accept() const { return config().matching.accept_threshold; }

  std::int64_t kit_yes_ = 0;
  std::vector<std::int64_t> journals_;  // Amara, Ben, Cleo, Dev, Esme, Finn
};

}  // namespace veil::test

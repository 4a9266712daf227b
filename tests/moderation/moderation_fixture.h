// A nursery on real PostgreSQL with real models for the moderation tests: staff Mrs Patel
// (key person of Kit) and Mr Jones (of Rose); Kit and Rose enrolled from reference photos,
// Rose's consent "no"; accounts Ada (manager), Sam (senior), patel and jones (staff). upload()
// stores an original encrypted as ingest does, with its media row and `process` job;
// run_jobs() runs queued jobs as a veild worker does (claim, decrypt, the real
// MediaProcessor behind the ItemProcessor seam, record with completion, then committed());
// run_job() is one of them. tests/reprocess/ builds on this fixture.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <pqxx/pqxx>

#include "accounts/session_service.h"
#include "config/config.h"
#include "jobs/item_processor.h"
#include "moderation/moderation_service.h"
#include "pipeline/photo/decode.h"
#include "storage/account_repository.h"
#include "storage/children_repository.h"
#include "storage/job_queue.h"
#include "storage/media_repository.h"
#include "storage/originals_store.h"
#include "tests/database_test.h"
#include "tests/test_models.h"

namespace veil::test {

class ModerationTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (IsSkipped()) return;
    data_ = tmp_.path();
    originals_ = data_ + "/originals";
    renditions_ = data_ + "/renditions";
    master_ = load_or_create_master_key(data_ + "/keys/master.key");
    pqxx::work tx(*conn_);
    patel_ = add_person(tx, "staff", "Mrs Patel", "", "test");
    jones_ = add_person(tx, "staff", "Mr Jones", "", "test");
    mum_ = add_person(tx, "parent", "Kit's mum", "", "test");
    kit_ = add_child(tx, "Kit", "Mrs Patel", "test");
    rose_ = add_child(tx, "Rose", "Mr Jones", "test");
    enrol(tx, kit_, {"faces/Kit_Harington/john1.jpeg", "faces/Kit_Harington/johnsnow_test1.jpg"});
    enrol(tx, rose_, {"faces/Rose_Leslie/img1.jpg"});
    record_consent(tx, rose_, false, patel_, "signed form", "test");
    ada_ = account(tx, "Ada", Role::kManager, 0);
    sam_ = account(tx, "Sam", Role::kSenior, 0);
    patel_staff_ = account(tx, "patel", Role::kStaff, patel_);
    jones_staff_ = account(tx, "jones", Role::kStaff, jones_);
    tx.commit();
    ModerationSettings settings;
    settings.originals_root = originals_;
    settings.master_key = master_;
    settings.config = config();
    service_ = std::make_unique<ModerationService>(settings, &embedder());
  }

  static Config& config() {
    static Config c;
    return c;
  }

  // One processor for the whole executable: loading the models costs more than a test.
  static ItemProcessor& processor() {
    static std::unique_ptr<ItemProcessor> p = media_processor_factory(config())();
    return *p;
  }

  // Kit (journal owner), Rose (consent no) and an unknown man, side by side, 400 px tall.
  std::string group_photo() {
    std::vector<cv::Mat> parts;
    for (const char* f : {"faces/Kit_Harington/john2.jpeg", "faces/Rose_Leslie/img2.jpg", "faces/_unknown/paul_rudd_1.jpg"}) {
      cv::Mat img = cv::imread(testdata(f), cv::IMREAD_COLOR), scaled;
      cv::resize(img, scaled, cv::Size(img.cols * 400 / img.rows, 400), 0, 0, cv::INTER_AREA);
      parts.push_back(scaled);
    }
    cv::Mat group;
    cv::hconcat(parts, group);
    const std::string path = data_ + "/group.png";  // lossless: pixels compare exactly with the original
    cv::imwrite(path, group);
    return path;
  }

  // Stores `file` as an upload to Kit's journal (or `journal`'s) by `role` (staff: Mrs Patel;
  // parent: Kit's mum), with its process job. Returns the media id.
  std::string upload(const std::string& file, const std::string& role, std::int64_t journal = 0) {
    if (journal == 0) journal = kit_;
    const std::string bytes = read_file(file);
    const std::string id = scalar("SELECT gen_random_uuid()::text");
    const SecretKey key = child_data_key(*conn_, master_, journal, true);
    OriginalWriter writer(original_path(originals_, journal, id), key, id);
    writer.append(bytes.data(), bytes.size());
    const std::string sha = writer.sha256_hex();
    writer.commit();
    pqxx::work tx(*conn_);
    NewMedia m;
    m.media_id = id;
    m.client_submission_id = id;
    m.journal_child_id = journal;
    m.uploader_id = role == "parent" ? mum_ : patel_;
    m.uploader_role = role;
    m.kind = "photo";
    m.original_name = "group.png";
    m.original_sha256 = sha;
    m.bytes = static_cast<std::int64_t>(bytes.size());
    insert_received_media(tx, m);
    tx.commit();
    return id;
  }

  // Runs every queued job as a worker does; returns how many ran.
  int run_jobs() {
    JobQueue queue(QueueOptions{});
    int ran = 0;
    while (auto job = queue.claim(*conn_, "test")) {
      run_job(queue, *job);
      ++ran;
    }
    return ran;
  }

  // The decrypted original of `media_id`, as a worker reads it.
  std::string original_of(const std::string& media_id) {
    std::int64_t child = 0;
    {
      pqxx::read_transaction tx(*conn_);
      child = media_original(tx, media_id)->journal_child_id;
    }
    return read_original(original_path(originals_, child, media_id), child_data_key(*conn_, master_, child, false),
                         media_id);
  }

  // Runs one claimed job as a worker does; returns the state record() gave the media.
  MediaState run_job(JobQueue& queue, const ClaimedJob& job) {
    const auto result = processor().run(*conn_, job, original_of(job.media_id));
    MediaState state = MediaState::failed;
    EXPECT_TRUE(queue.complete(*conn_, job, [&](pqxx::transaction_base& tx) {
      state = processor().record(tx, result, renditions_);
    }));
    processor().committed(result, renditions_);
    return state;
  }

  // The code of the ModerationError `call` throws.
  template <typename Call>
  static ModerationError::Code refusal_code(Call call) {
    try {
      call();
    } catch (const ModerationError& e) {
      return e.code();
    }
    ADD_FAILURE() << "not refused";
    return ModerationError::Code::kBadRequest;
  }

  // The face of `item` matched to `child`, or nullptr.
  static const ItemFace* face_of(const Item& item, std::int64_t child) {
    for (const auto& f : item.faces)
      if (f.child && f.child->id == child) return &f;
    return nullptr;
  }

  // The path of the item's current display rendition.
  static std::string display_path(const Item& item) {
    for (const auto& r : item.renditions)
      if (r.kind == "display") return r.path;
    return "";
  }

  // Mean absolute difference of the display rendition and the original inside `box` (the
  // original is brought to the rendition's size first): small where the face is shown,
  // large where it is painted.
  static double box_difference(const std::string& display, const std::string& original, const std::array<float, 4>& box) {
    const cv::Mat shown = cv::imread(display, cv::IMREAD_COLOR);
    cv::Mat orig = cv::imread(original, cv::IMREAD_COLOR);
    const double scale = static_cast<double>(shown.cols) / orig.cols;
    if (orig.size() != shown.size()) cv::resize(orig, orig, shown.size(), 0, 0, cv::INTER_AREA);
    const cv::Rect r = cv::Rect(static_cast<int>(box[0] * scale), static_cast<int>(box[1] * scale),
                                static_cast<int>(box[2] * scale), static_cast<int>(box[3] * scale)) &
                       cv::Rect(0, 0, shown.cols, shown.rows);
    cv::Mat diff;
    cv::absdiff(shown(r), orig(r), diff);
    const cv::Scalar m = cv::mean(diff);
    return (m[0] + m[1] + m[2]) / 3;
  }

  std::string data_, originals_, renditions_;
  SecretKey master_{};
  std::int64_t patel_ = 0, jones_ = 0, mum_ = 0, kit_ = 0, rose_ = 0;
  Account ada_, sam_, patel_staff_, jones_staff_;
  std::unique_ptr<ModerationService> service_;
  TempDir tmp_;

 private:
  void enrol(pqxx::transaction_base& tx, std::int64_t child, const std::vector<std::string>& photos) {
    for (const auto& photo : photos) {
      const DecodedImage image = decode_image(read_file(testdata(photo)), DecodeLimits{});
      const auto faces = detector().detect(image.bgr);
      ASSERT_FALSE(faces.empty()) << photo;
      const DetectedFace* best = &faces[0];
      for (const auto& f : faces)
        if (f.box.area() > best->box.area()) best = &f;
      add_template(tx, child, embedder().embed(image.bgr, *best), config().models.embedder, photo, 100, "test");
    }
  }

  Account account(pqxx::transaction_base& tx, const std::string& name, Role role, std::int64_t person) {
    const auto id = insert_account(tx, name, std::string(role_name(role)), person, "not-a-hash", t0_);
    return Account{id, name, role, person};
  }
};

}  // namespace veil::test

// veil process FILE --out DIR: the full pipeline once, offline, printing the JSON result
// of DESIGN.md section 6 and writing the renditions into DIR.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <fstream>
#include <iostream>
#include <map>

#include "cli/cli_context.h"
#include "cli/face_tools.h"
#include "cli/offline_judges.h"
#include "cli/result_json.h"
#include "jobs/media_processor.h"
#include "models/model_file.h"
#include "storage/audit_log.h"
#include "storage/children_repository.h"
#include "storage/database.h"
#include "storage/media_repository.h"
#include <pqxx/pqxx>
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "policy/consent_judge.h"
#include "policy/reasons.h"
#include "pipeline/photo/photo_pipeline.h"
#include "pipeline/stage_options.h"
#include "pipeline/route.h"
#include "pipeline/video/process.h"

namespace veil {
namespace {

struct ProcessArgs {
  std::string file, out_dir, gallery, journal, role = "staff";
  bool keep_all = false, blur_all = false, thorough = false;
  std::vector<std::string> consent;
};

std::unique_ptr<FaceJudge> make_offline_judge(const ProcessArgs& args, FaceDetector& detector, FaceEmbedder& embedder,
                                              const Config& config) {
  const int chosen = int(args.keep_all) + int(args.blur_all) + int(!args.gallery.empty());
  if (chosen != 1)
    throw UsageError("process: choose exactly one policy: --keep-all, --blur-all, --gallery DIR, "
                     "or --journal CHILD alone to use the database");
  if (args.keep_all) return std::make_unique<KeepAllJudge>();
  if (args.blur_all) return std::make_unique<BlurAllJudge>();
  GalleryPolicy policy;
  policy.gallery_dir = args.gallery;
  policy.journal_child = args.journal;
  policy.uploader_role = args.role;
  for (const auto& c : args.consent) {
    const auto eq = c.find('=');
    if (eq == std::string::npos) throw UsageError("--consent " + c + ": expected CHILD=yes|no");
    policy.consent[c.substr(0, eq)] = c.substr(eq + 1);
  }
  return make_gallery_judge(policy, detector, embedder, config);
}

nlohmann::json video_json(const std::string& file, const nlohmann::json& video, const nlohmann::json& outputs);

// --journal CHILD without an offline policy: the configured database decides (children,
// templates, consents) and the media item, its faces, decisions and audit rows are recorded.
int run_process_with_database(CliContext& ctx, const ProcessArgs& args) {
  auto db = open_database(ctx);
  pqxx::connection c(db->url());
  const std::string bytes = read_whole_file(args.file);
  std::string media_id;
  {
    pqxx::work tx(c);
    const ChildRow journal = find_child(tx, args.journal);
    if (journal.status != "active") throw UsageError("child '" + journal.name + "' has " + journal.status);
    media_id = insert_processing_media(tx, journal.id, args.role, looks_like_video_file(args.file) ? "video" : "photo",
                                       sha256_hex(bytes), static_cast<std::int64_t>(bytes.size()));
    append_audit(tx, AuditEntry{ctx.actor(), "media.received", media_id, journal.id,
                                nlohmann::json{{"via", "veil process"}, {"bytes", bytes.size()}}.dump()});
    tx.commit();
  }
  MediaProcessor processor(ctx.config);
  const auto processed = processor.run(c, media_id, bytes);
  {
    pqxx::work tx(c);
    processor.record(tx, *processed, args.out_dir);
    tx.commit();
  }
  nlohmann::json outputs = nlohmann::json::array();
  {
    pqxx::read_transaction tx(c);
    for (const auto& r : list_renditions(tx, media_id))
      outputs.push_back(
          {{"kind", r.kind}, {"path", r.path}, {"width", r.width}, {"height", r.height}, {"mime", r.mime}});
  }
  nlohmann::json out = processed_video(*processed).is_null()
                           ? photo_result_json(args.file, processed_photo(*processed), outputs)
                           : video_json(args.file, processed_video(*processed), outputs);
  out["media_id"] = media_id;
  set_outcome_json(out, processed_outcome(*processed));
  std::cout << out.dump() << std::endl;
  return processed_outcome(*processed).state == MediaState::rejected ? kExitFailure : kExitOk;
}

// The video result, with the outputs and the outcome in the photo result's terms.
nlohmann::json video_json(const std::string& file, const nlohmann::json& video, const nlohmann::json& outputs) {
  nlohmann::json out = video;
  out["file"] = file;
  out["outputs"] = outputs;
  return out;
}

void write_output(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

// A video offline: the MP4 as DIR/video.mp4, its poster and thumbnails beside it. A JSON
// result every time, as veild records the item (jobs/media_processor.cpp): a refused video
// is rejected (exit 1), any other failure of the pipeline held with "processing_error: ..."
// and nothing written (process_video leaves no file at the output path).
int run_process_video(CliContext& ctx, const ProcessArgs& args, FaceDetector& detector, FaceEmbedder& embedder,
                      FaceJudge& judge) {
  std::filesystem::create_directories(args.out_dir);
  const std::string mp4 = args.out_dir + "/video.mp4";
  const auto without_outputs = [&](const Outcome& outcome) {
    nlohmann::json out{{"file", args.file}, {"outputs", nlohmann::json::array()}};
    set_outcome_json(out, outcome);
    std::cout << out.dump() << std::endl;
    return outcome.state == MediaState::rejected ? kExitFailure : kExitOk;
  };
  VideoResult v;
  try {
    v = process_video(args.file, mp4, detector, &embedder, judge, video_options(ctx.config));
  } catch (const VideoError& e) {
    return without_outputs(Outcome::rejected(std::string(to_string(e.kind())) + ": " + e.what()));
  } catch (const std::exception& e) {
    return without_outputs(Outcome::held(reason::with_details(reason::processing_error, e.what())));
  }
  nlohmann::json outputs = nlohmann::json::array();
  outputs.push_back({{"kind", "video"}, {"path", mp4}, {"width", v.width}, {"height", v.height}, {"mime", "video/mp4"}});
  if (!v.poster.empty()) {
    for (const auto& r : make_renditions(v.poster, rendition_options(ctx.config))) {
      const std::string kind = r.kind == "display" ? "poster" : "poster_" + r.kind;
      const std::string path = args.out_dir + "/" + kind + "." + r.ext;
      write_output(path, r.bytes);
      outputs.push_back({{"kind", kind}, {"path", path}, {"width", r.width}, {"height", r.height}, {"mime", r.mime}});
    }
  }
  nlohmann::json out = video_json(args.file, video_result_json(v), outputs);
  Outcome outcome = v.outcome;
  if (auto* consent = dynamic_cast<ConsentJudge*>(&judge)) outcome.add(consent->outcome(false));
  set_outcome_json(out, outcome);
  std::cout << out.dump() << std::endl;
  return kExitOk;
}

int run_process(CliContext& ctx, const ProcessArgs& args) {
  ctx.load();
  if (args.thorough) ctx.config.detection.mode = "thorough";
  const bool offline = args.keep_all || args.blur_all || !args.gallery.empty();
  if (!offline && !args.journal.empty()) return run_process_with_database(ctx, args);
  const bool video = looks_like_video_file(args.file);
  // A photo is decoded on a second thread while the models load and the gallery is enrolled
  // (together about as long as decoding a 12 MP JPEG).
  std::future<DecodedImage> decoded;
  if (!video)
    decoded = std::async(std::launch::async, [file = args.file, limits = decode_limits(ctx.config)] {
      return decode_image(read_whole_file(file), limits);
    });
  const auto started = std::chrono::steady_clock::now();
  auto detector = make_detector(ctx.config);
  auto embedder = make_embedder(ctx.config);
  spdlog::debug("process: models loaded in {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  auto judge = make_offline_judge(args, *detector, *embedder, ctx.config);
  spdlog::debug("process: models and policy ready in {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());

  if (video) return run_process_video(ctx, args, *detector, *embedder, *judge);

  PhotoPipeline pipeline(*detector, *embedder, photo_options(ctx.config));
  PhotoResult result;
  try {
    DecodedImage image = decoded.get();
    spdlog::debug("process: decoded after {:.1f} ms",
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    result = pipeline.process(std::move(image), *judge);
  } catch (const DecodeError& e) {
    result = PhotoPipeline::rejected(e);
  }

  // The item-level rules (parent uploads) of the consent policy apply offline too.
  if (auto* consent = dynamic_cast<ConsentJudge*>(judge.get())) result.outcome.add(consent->outcome(false));

  // Renditions are named by kind only: the original file name never reaches an output.
  nlohmann::json outputs = nlohmann::json::array();
  std::filesystem::create_directories(args.out_dir);
  for (const auto& r : result.renditions) {
    const std::string path = args.out_dir + "/" + r.kind + "." + r.ext;
    write_output(path, r.bytes);
    outputs.push_back({{"kind", r.kind}, {"path", path}, {"width", r.width}, {"height", r.height}, {"mime", r.mime}});
  }
  std::cout << photo_result_json(args.file, result, outputs).dump() << std::endl;
  return result.outcome.state == MediaState::rejected ? kExitFailure : kExitOk;
}

}  // namespace

void add_process_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("process", "Run the full pipeline on one photo or video; prints the JSON result");
  auto args = std::make_shared<ProcessArgs>();
  cmd->add_option("file", args->file, "photo or video to process")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out_dir, "directory for the renditions")->required();
  cmd->add_flag("--keep-all", args->keep_all, "policy: keep every face visible");
  cmd->add_flag("--blur-all", args->blur_all, "policy: blur every face");
  cmd->add_option("--gallery", args->gallery, "policy: match against reference photos DIR/CHILD_*.jpg")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--consent", args->consent, "with --gallery: CHILD=yes|no (repeatable; absent = no)");
  cmd->add_option("--journal", args->journal,
                  "the child whose journal this is; alone (no offline policy): use the database's children, "
                  "templates and consents and record the result");
  cmd->add_option("--role", args->role, "uploader role, staff (default) or parent")
      ->check(CLI::IsMember({"staff", "parent"}));
  cmd->add_flag("--thorough", args->thorough, "extra detection passes for very small faces (slower)");
  cmd->callback([&ctx, args] { ctx.exit_code = run_process(ctx, *args); });
}

}  // namespace veil

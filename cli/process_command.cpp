// veil process FILE --out DIR: the full pipeline once, offline, printing the JSON result
// of DESIGN.md section 6 and writing the renditions into DIR.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "cli/cli_context.h"
#include "cli/face_tools.h"
#include "cli/offline_judges.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/consent_judge.h"
#include "pipeline/photo_pipeline.h"
#include "pipeline/stage_options.h"

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
  if (chosen != 1) throw UsageError("process: choose exactly one policy: --keep-all, --blur-all or --gallery DIR");
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

nlohmann::json photo_result_json(const std::string& file, const PhotoResult& r, const nlohmann::json& outputs) {
  nlohmann::json faces = nlohmann::json::array();
  for (const auto& pf : r.faces) {
    nlohmann::json f = box_json(pf.face.box);
    f["score"] = std::round(pf.face.score * 1000.0) / 1000.0;
    f["match"] = pf.judgement.match.empty() ? nlohmann::json(nullptr) : nlohmann::json(pf.judgement.match);
    f["similarity"] = std::round(pf.judgement.similarity * 10000.0) / 10000.0;
    f["decision"] = to_string(pf.judgement.decision);
    f["reason"] = pf.judgement.reason;
    f["redaction"] = pf.painted ? box_json(pf.painted_region) : nlohmann::json(nullptr);
    if (pf.found_in_verification) f["found_in_verification"] = true;
    faces.push_back(f);
  }
  return {{"file", file},     {"width", r.width}, {"height", r.height}, {"outcome", r.outcome},
          {"reason", r.reason}, {"faces", faces},   {"outputs", outputs}, {"seconds", r.seconds}};
}

int run_process(CliContext& ctx, const ProcessArgs& args) {
  ctx.load();
  if (args.thorough) ctx.config.detection.mode = "thorough";
  auto detector = make_detector(ctx.config);
  auto embedder = make_embedder(ctx.config);
  auto judge = make_offline_judge(args, *detector, *embedder, ctx.config);

  PhotoOptions options;
  options.limits = decode_limits(ctx.config);
  options.redact = redact_options(ctx.config);
  options.renditions = rendition_options(ctx.config);
  PhotoPipeline pipeline(*detector, *embedder, options);
  PhotoResult result = pipeline.process(read_whole_file(args.file), *judge);

  // The item-level rules (parent uploads) of the consent policy apply offline too.
  if (auto* consent = dynamic_cast<ConsentJudge*>(judge.get()); consent && result.outcome == "published") {
    const ItemDecision item = consent->outcome(false);
    if (item.outcome == ItemOutcome::hold) {
      result.outcome = "held";
      result.reason = item.reason;
    }
  }

  // Renditions are named by kind only: the original file name never reaches an output.
  nlohmann::json outputs = nlohmann::json::array();
  std::filesystem::create_directories(args.out_dir);
  for (const auto& r : result.renditions) {
    const std::string path = args.out_dir + "/" + r.kind + "." + r.ext;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(r.bytes.data(), static_cast<std::streamsize>(r.bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
    outputs.push_back({{"kind", r.kind}, {"path", path}, {"width", r.width}, {"height", r.height}, {"mime", r.mime}});
  }
  std::cout << photo_result_json(args.file, result, outputs).dump() << std::endl;
  return result.outcome == "rejected" ? kExitFailure : kExitOk;
}

}  // namespace

void add_process_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("process", "Run the full pipeline on one file offline; prints the JSON result");
  auto args = std::make_shared<ProcessArgs>();
  cmd->add_option("file", args->file, "photo to process")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", args->out_dir, "directory for the renditions")->required();
  cmd->add_flag("--keep-all", args->keep_all, "policy: keep every face visible");
  cmd->add_flag("--blur-all", args->blur_all, "policy: blur every face");
  cmd->add_option("--gallery", args->gallery, "policy: match against reference photos DIR/CHILD_*.jpg")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--consent", args->consent, "with --gallery: CHILD=yes|no (repeatable; absent = no)");
  cmd->add_option("--journal", args->journal, "with --gallery: the child whose journal this is");
  cmd->add_option("--role", args->role, "with --gallery: uploader role, staff (default) or parent")
      ->check(CLI::IsMember({"staff", "parent"}));
  cmd->add_flag("--thorough", args->thorough, "extra detection passes for very small faces (slower)");
  cmd->callback([&ctx, args] { ctx.exit_code = run_process(ctx, *args); });
}

}  // namespace veil

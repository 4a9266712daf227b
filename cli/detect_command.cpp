// veil detect FILE...: one JSON line per file with the faces found (DESIGN.md section 6).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.h"
#include "cli/face_tools.h"
#include "models/face_detector.h"
#include "pipeline/photo/decode.h"
#include "pipeline/stage_options.h"

namespace veil {

void add_detect_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("detect", "Detect faces; prints one JSON object per file (JSON Lines)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto thorough = std::make_shared<bool>(false);
  cmd->add_option("files", *files, "image files")->required();
  cmd->add_flag("--thorough", *thorough, "extra passes for very small faces (slower)");
  cmd->callback([&ctx, files, thorough] {
    ctx.load();
    if (*thorough) ctx.config.detection.mode = "thorough";
    auto detector = make_detector(ctx.config);
    const DecodeLimits limits = decode_limits(ctx.config);
    bool failed = false;
    for (const auto& file : *files) {
      nlohmann::json out = {{"file", file}};
      try {
        const DecodedImage image = decode_image(read_whole_file(file), limits);
        out["width"] = image.bgr.cols;
        out["height"] = image.bgr.rows;
        nlohmann::json faces = nlohmann::json::array();
        for (const auto& f : detector->detect(image.bgr)) faces.push_back(face_json(f));
        out["faces"] = faces;
      } catch (const std::exception& e) {
        out["error"] = e.what();
        failed = true;
      }
      std::cout << out.dump() << std::endl;
    }
    ctx.exit_code = failed ? kExitFailure : kExitOk;
  });
}

}  // namespace veil

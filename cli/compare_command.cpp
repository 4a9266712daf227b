// veil compare A B: similarity of the largest face in each image.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cli/cli_context.h"
#include "cli/face_tools.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/photo/decode.h"
#include "pipeline/stage_options.h"

namespace veil {

void add_compare_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("compare", "Compare the largest face in two images: prints similarity and same_person");
  auto a = std::make_shared<std::string>(), b = std::make_shared<std::string>();
  cmd->add_option("A", *a, "first image")->required();
  cmd->add_option("B", *b, "second image")->required();
  cmd->callback([&ctx, a, b] {
    ctx.load();
    auto detector = make_detector(ctx.config);
    auto embedder = make_embedder(ctx.config);
    Embedding emb[2];
    const std::string* files[2] = {a.get(), b.get()};
    for (int i = 0; i < 2; ++i) {
      try {
        const DecodedImage image = decode_image(read_whole_file(*files[i]), decode_limits(ctx.config));
        auto faces = detector->detect(image.bgr);
        if (faces.empty()) throw std::runtime_error("no face found");
        auto largest = std::max_element(faces.begin(), faces.end(),
                                        [](const auto& x, const auto& y) { return x.box.area() < y.box.area(); });
        emb[i] = embedder->embed(image.bgr, *largest);
      } catch (const std::exception& e) {
        std::cout << nlohmann::json{{"file", *files[i]}, {"error", e.what()}}.dump() << std::endl;
        ctx.exit_code = kExitFailure;
        return;
      }
    }
    const float s = cosine_similarity(emb[0], emb[1]);
    std::cout << nlohmann::json{{"similarity", std::round(s * 10000.0) / 10000.0},
                                {"same_person", s >= ctx.config.matching.accept_threshold}}
                     .dump()
              << std::endl;
  });
}

}  // namespace veil

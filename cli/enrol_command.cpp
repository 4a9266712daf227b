// veil enrol CHILD PHOTO...: stores face templates from reference photos, refusing
// photos with no face, several faces, or a face too small or too blurred.
#include <CLI/CLI.hpp>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli_context.h"
#include "jobs/reprocess_plan.h"
#include "cli/db_session.h"
#include "cli/face_tools.h"
#include "models/face_detector.h"
#include "models/face_embedder.h"
#include "pipeline/photo/decode.h"
#include "policy/face_quality.h"
#include "pipeline/stage_options.h"
#include "storage/children_repository.h"

namespace veil {
void add_enrol_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("enrol", "Enrol a child's face from reference photos (one face per photo)");
  auto child = std::make_shared<std::string>();
  auto photos = std::make_shared<std::vector<std::string>>();
  cmd->add_option("child", *child, "the child's name or id")->required();
  cmd->add_option("photos", *photos, "reference photos, each showing only this child's face")->required();
  cmd->callback([&ctx, child, photos] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const ChildRow c = find_child(tx, *child);
      if (c.status != "active") throw UsageError("child '" + c.name + "' has " + c.status + ": cannot enrol");
      auto detector = make_detector(ctx.config);
      auto embedder = make_embedder(ctx.config);
      int refused = 0;
      for (const auto& photo : *photos) {
        nlohmann::json out = {{"child", c.name}, {"photo", photo}};
        try {
          const DecodedImage image = decode_image(read_whole_file(photo), decode_limits(ctx.config));
          // The detector favours recall (privacy first), so a reference photo counts only
          // confident detections as faces: a weak false positive should not refuse a good photo.
          std::vector<DetectedFace> faces;
          for (const auto& f : detector->detect(image.bgr))
            if (f.score >= kEnrolmentFaceScore) faces.push_back(f);
          if (faces.empty()) throw std::runtime_error("no face found");
          if (faces.size() > 1)
            throw std::runtime_error(std::to_string(faces.size()) + " faces found: a reference photo must show one face");
          const FaceQuality q = measure_face_quality(image.bgr, faces[0]);
          if (q.height_px < ctx.config.enrolment.min_face_px)
            throw std::runtime_error("face too small: " + std::to_string(static_cast<int>(q.height_px)) +
                                     " px tall, the limit is " + std::to_string(ctx.config.enrolment.min_face_px) + " px");
          if (q.sharpness < ctx.config.enrolment.min_sharpness)
            throw std::runtime_error("face too blurred: sharpness " + std::to_string(static_cast<int>(q.sharpness)) +
                                     ", the limit is " +
                                     std::to_string(static_cast<int>(ctx.config.enrolment.min_sharpness)));
          const Embedding e = embedder->embed(image.bgr, faces[0]);
          const auto id = add_template(tx, c.id, e, ctx.config.models.embedder, photo, q.sharpness, ctx.actor());
          out["template_id"] = id;
          out["reprocess_queued"] = queue_after_template(tx, ctx.config, id, "template");
          out["face_px"] = static_cast<int>(q.height_px);
          out["sharpness"] = static_cast<int>(q.sharpness);
        } catch (const std::exception& e) {
          out["error"] = e.what();
          ++refused;
        }
        std::cout << out.dump() << std::endl;
      }
      ctx.exit_code = refused ? kExitFailure : kExitOk;
    });
  });
}

}  // namespace veil

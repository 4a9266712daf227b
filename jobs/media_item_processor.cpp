// MediaProcessor (the lead's pipeline bridge) behind the worker pool's ItemProcessor seam.
#include "jobs/media_processor.h"
#include "jobs/item_processor.h"

namespace veil {
namespace {

class MediaItemProcessor : public ItemProcessor {
 public:
  explicit MediaItemProcessor(const Config& config) : processor_(config) {}
  std::shared_ptr<void> run(pqxx::connection_base& db, const ClaimedJob& job, const std::string& original) override {
    return processor_.run(db, job.media_id, original, job.kind, job.causes);
  }
  MediaState record(pqxx::transaction_base& tx, const std::shared_ptr<void>& result,
                     const std::string& renditions_root) override {
    return processor_.record(tx, *std::static_pointer_cast<ProcessedMedia>(result), renditions_root);
  }
  void committed(const std::shared_ptr<void>& result, const std::string& renditions_root) override {
    processor_.committed(*std::static_pointer_cast<ProcessedMedia>(result), renditions_root);
  }

 private:
  MediaProcessor processor_;
};

}  // namespace

ProcessorFactory media_processor_factory(const Config& config) {
  return [config] { return std::make_unique<MediaItemProcessor>(config); };
}

}  // namespace veil

// Decrypting and decoding an original for a person's look or a template.
#include "moderation/original_image.h"

#include <pqxx/pqxx>

#include "pipeline/stage_options.h"
#include "storage/media_repository.h"
#include "storage/originals_store.h"

namespace veil::moderation_detail {

DecodedImage original_image(pqxx::connection_base& db, const ModerationSettings& settings, const MediaView& media) {
  std::string sha;
  {
    pqxx::read_transaction tx(db);
    const auto original = media_original(tx, media.id);
    if (!original) throw std::runtime_error("media " + media.id + " does not exist");
    sha = original->original_sha256;
  }
  const SecretKey key = child_data_key(db, settings.master_key, media.journal_child_id, false);
  const std::string bytes =
      read_original(original_path(settings.originals_root, media.journal_child_id, media.id), key, media.id);
  if (sha256_hex_of(bytes) != sha) throw std::runtime_error("the stored original of " + media.id + " does not match its sha256");
  return decode_image(bytes, decode_limits(settings.config));
}

}  // namespace veil::moderation_detail

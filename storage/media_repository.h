// Media rows as ingest writes them: a received upload becomes one media row and one
// `process` job, committed together (with an audit entry) after the original is durable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/types.hxx>

#include "storage/originals_store.h"

namespace veil {

struct NewMedia {
  std::string media_id;
  std::string client_submission_id;
  std::int64_t journal_child_id = 0;
  std::string observation_ref;
  std::int64_t uploader_id = 0;
  std::string uploader_role;  // staff | parent
  std::string kind;           // photo | video
  std::string original_name;
  std::string original_sha256;
  std::int64_t bytes = 0;
  std::int64_t device_id = 0;  // 0: none (CURVE off)
};

struct InsertedMedia {
  std::string media_id;
  bool inserted = false;  // false: the submission existed already (its media id is returned)
};

// The media id for a submission: a UUID (version 4 layout) derived from the uploader and the
// client submission id with a keyed hash (BLAKE2b keyed by the master key), so that a
// re-sent submission writes to the same path and ids stay unguessable.
std::string media_id_for_submission(const SecretKey& master, std::int64_t uploader_id,
                                    const std::string& client_submission_id);

// The media id of an earlier submission with the same (uploader, client submission id), if any.
std::optional<std::string> find_submission(pqxx::transaction_base& tx, std::int64_t uploader_id,
                                           const std::string& client_submission_id);

// children.status of the child, or nullopt when there is no such child.
std::optional<std::string> child_status(pqxx::transaction_base& tx, std::int64_t child_id);
// people.kind of the person, or nullopt.
std::optional<std::string> person_kind(pqxx::transaction_base& tx, std::int64_t person_id);

// Inserts the media row (state received), its process job and a media.received audit entry.
// When the submission exists already (a concurrent re-send through another daemon), inserts
// nothing and returns the existing media id.
InsertedMedia insert_received_media(pqxx::transaction_base& tx, const NewMedia& media);

struct MediaStatus {
  std::string media_id;
  std::string state;
  std::string reason;
  std::int64_t journal_child_id = 0;
};
std::optional<MediaStatus> media_status(pqxx::transaction_base& tx, const std::string& media_id);

}  // namespace veil

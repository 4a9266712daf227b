// The request side of the ingest protocol (docs/protocol.md): what a SUBMIT or BEGIN header
// says, checked before anything touches the database or the disk, and the refusal sent when
// it is not acceptable.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "storage/device_repository.h"
#include "storage/media_repository.h"

namespace veil {

// A refusal: the NACK's code, reason and whether retrying may help.
struct Nack {
  std::string code;
  std::string reason;
  bool retryable = false;
};

// What a submission says (not yet checked against the database).
struct Submission {
  NewMedia media;
  std::int64_t declared_size = -1;  // -1: not given
  std::string declared_sha256;      // "" : not given
};

// Whether `s` is a sha256 as the protocol writes it: 64 lower-case hex digits.
bool is_sha256_hex(const std::string& s);

// Parses and checks the header `h` of a SUBMIT or BEGIN from `device` (null when CURVE is off):
// required fields, lengths, the uploader against the device's owner, the content type, the
// declared size against `max_file_bytes`. Returns the submission, or the NACK to send.
std::variant<Submission, Nack> parse_submission(const nlohmann::json& h, const Device* device,
                                                std::int64_t max_file_bytes);

}  // namespace veil

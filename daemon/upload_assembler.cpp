// The table of uploads in progress and the chunk checks.
#include "daemon/upload_assembler.h"

#include <sodium.h>

#include <vector>

#include <spdlog/spdlog.h>

namespace veil {
namespace {

using Clock = std::chrono::steady_clock;

std::string random_hex(std::size_t bytes) {
  std::string out;
  static const char* digits = "0123456789abcdef";
  std::vector<unsigned char> r(bytes);
  randombytes_buf(r.data(), r.size());
  for (unsigned char c : r) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string resume_key_of(const Submission& s) {
  return std::to_string(s.media.device_id) + ":" + std::to_string(s.media.uploader_id) + ":" +
         s.media.client_submission_id;
}

}  // namespace

Upload* UploadAssembler::resume(const Submission& s) {
  const auto it = by_resume_key_.find(resume_key_of(s));
  if (it == by_resume_key_.end()) return nullptr;
  auto& up = *uploads_.at(it->second);
  if (up.submission.declared_size == s.declared_size && up.submission.declared_sha256 == s.declared_sha256) {
    up.last_activity = Clock::now();
    return &up;
  }
  drop(it->second);  // a different file under the same submission id: start again
  return nullptr;
}

Upload& UploadAssembler::open(Submission s, std::unique_ptr<OriginalWriter> writer) {
  auto up = std::make_unique<Upload>();
  up->id = random_hex(12);
  up->resume_key = resume_key_of(s);
  up->device_id = s.media.device_id;
  up->last_activity = Clock::now();
  up->writer = std::move(writer);
  up->submission = std::move(s);
  Upload& opened = *up;
  by_resume_key_[up->resume_key] = up->id;
  uploads_[up->id] = std::move(up);
  return opened;
}

Upload* UploadAssembler::find(const std::string& id, std::int64_t device_id) {
  const auto it = uploads_.find(id);
  if (it == uploads_.end() || it->second->device_id != device_id) return nullptr;
  it->second->last_activity = Clock::now();
  return it->second.get();
}

ChunkResult UploadAssembler::append(Upload& up, std::int64_t offset, const void* data, std::size_t size) {
  if (static_cast<std::int64_t>(size) > chunk_bytes_)
    return {ChunkResult::refused, {"bad_request", "chunk larger than " + std::to_string(chunk_bytes_) + " bytes"}};
  const auto received = static_cast<std::int64_t>(up.writer->bytes());
  if (offset != received) return {ChunkResult::bad_offset, {}, received};
  if (received + static_cast<std::int64_t>(size) > up.submission.declared_size)
    return {ChunkResult::failed, {"size_mismatch", "more bytes than the declared size", false}};
  try {
    up.writer->append(data, size);
  } catch (const StorageError& e) {
    return {ChunkResult::failed, {"storage_unavailable", e.what(), true}};
  }
  return {};
}

void UploadAssembler::drop(const std::string& id) {
  const auto it = uploads_.find(id);
  if (it == uploads_.end()) return;
  by_resume_key_.erase(it->second->resume_key);
  uploads_.erase(it);  // the writer removes its temporary file
}

void UploadAssembler::expire_idle() {
  const auto limit = std::chrono::seconds(idle_timeout_s_);
  std::vector<std::string> idle;
  for (const auto& [id, up] : uploads_)
    if (Clock::now() - up->last_activity > limit) idle.push_back(id);
  for (const auto& id : idle) {
    spdlog::info("ingest: upload {} idle for {} s, dropped", id, idle_timeout_s_);
    drop(id);
  }
}

void UploadAssembler::clear() {
  uploads_.clear();
  by_resume_key_.clear();
}

}  // namespace veil

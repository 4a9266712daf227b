// Prometheus text rendering.
#include "daemon/metrics.h"

#include "policy/media_state.h"

#include <sstream>

namespace veil {

void Metrics::observe_processing(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) bucket_counts_[i]++;
  processed_count_++;
  processed_sum_ += seconds;
}

void Metrics::add_faces(std::int64_t detected, std::int64_t blurred) {
  faces_detected_ += detected;
  faces_blurred_ += blurred;
}

void Metrics::count_outcome(MediaState state) {
  std::lock_guard<std::mutex> lock(mutex_);
  outcomes_[to_string(state)]++;
}

void Metrics::count_ingest(const std::string& result) {
  std::lock_guard<std::mutex> lock(mutex_);
  ingest_[result]++;
}

std::string Metrics::render(const std::string& extra) const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);
  out << "# HELP veil_processing_seconds Time to process one media item (pipeline and recording).\n"
         "# TYPE veil_processing_seconds histogram\n";
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    out << "veil_processing_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << bucket_counts_[i] << "\n";
  out << "veil_processing_seconds_bucket{le=\"+Inf\"} " << processed_count_ << "\n"
      << "veil_processing_seconds_sum " << processed_sum_ << "\n"
      << "veil_processing_seconds_count " << processed_count_ << "\n";
  out << "# HELP veil_faces_detected_total Faces found in processed media.\n# TYPE veil_faces_detected_total counter\n"
      << "veil_faces_detected_total " << faces_detected_ << "\n";
  out << "# HELP veil_faces_blurred_total Faces blurred in processed media.\n# TYPE veil_faces_blurred_total counter\n"
      << "veil_faces_blurred_total " << faces_blurred_ << "\n";
  out << "# HELP veil_media_outcomes_total Media items finished by this daemon, by final state.\n"
         "# TYPE veil_media_outcomes_total counter\n";
  for (const MediaState state : {MediaState::published, MediaState::held, MediaState::rejected, MediaState::failed}) {
    const char* s = to_string(state);
    const auto it = outcomes_.find(s);
    out << "veil_media_outcomes_total{state=\"" << s << "\"} " << (it == outcomes_.end() ? 0 : it->second) << "\n";
  }
  out << "# HELP veil_ingest_requests_total Upload results (ack, duplicate, nack with its code).\n"
         "# TYPE veil_ingest_requests_total counter\n";
  for (const auto& [k, v] : ingest_) {
    const auto colon = k.find(':');
    if (colon == std::string::npos) out << "veil_ingest_requests_total{result=\"" << k << "\"} " << v << "\n";
    else
      out << "veil_ingest_requests_total{result=\"" << k.substr(0, colon) << "\",code=\"" << k.substr(colon + 1)
          << "\"} " << v << "\n";
  }
  out << "# HELP veil_ingest_bytes_total Original bytes received.\n# TYPE veil_ingest_bytes_total counter\n"
      << "veil_ingest_bytes_total " << ingest_bytes_ << "\n";
  out << "# HELP veil_job_retries_total Failed attempts put back in the queue.\n# TYPE veil_job_retries_total counter\n"
      << "veil_job_retries_total " << retries_ << "\n";
  out << "# HELP veil_jobs_abandoned_total Jobs abandoned by the watchdog (time limit).\n"
         "# TYPE veil_jobs_abandoned_total counter\nveil_jobs_abandoned_total "
      << abandoned_ << "\n";
  out << "# HELP veil_leases_lost_total Results discarded because the job's lease was lost.\n"
         "# TYPE veil_leases_lost_total counter\nveil_leases_lost_total "
      << leases_lost_ << "\n";
  out << extra;
  return out.str();
}

}  // namespace veil

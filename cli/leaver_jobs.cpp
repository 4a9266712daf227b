// Running leaver jobs from veil.
#include "cli/leaver_jobs.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "leavers/leaver_job.h"
#include "storage/job_queue.h"

namespace veil {

LeaverSettings cli_leaver_settings(const CliContext& ctx) {
  const std::string data = effective_data_dir(ctx.config);
  return leaver_settings(ctx.config, data, load_or_create_master_key(data + "/keys/master.key"));
}

ExportProgress terminal_export_progress() {
  if (!::isatty(STDERR_FILENO)) return {};
  return [last = -1](const char* phase, double fraction) mutable {
    const int percent = static_cast<int>(fraction * 100);
    if (percent == last) return;
    last = percent;
    const int width = 30, filled = width * percent / 100;
    std::fprintf(stderr, "\r%-8s [%s%s] %3d%%", phase, std::string(filled, '#').c_str(),
                 std::string(width - filled, '-').c_str(), percent);
    if (percent >= 100) {
      std::fprintf(stderr, "\n");
      last = -1;
    }
  };
}

std::vector<nlohmann::json> run_queued_leaver_jobs(pqxx::connection& c, const CliContext& ctx, const std::string& kind) {
  const LeaverSettings settings = cli_leaver_settings(ctx);
  JobQueue queue(QueueOptions{ctx.config.queue.lease_s, ctx.config.queue.max_attempts, ctx.config.queue.retry_backoff_s});
  std::vector<nlohmann::json> out;
  const std::string owner = "veil:" + std::to_string(::getpid());
  while (auto job = queue.claim(c, owner, nullptr, true, kind)) {
    // No watchdog here: the export's progress renews the lease (no transaction is open on `c`
    // while the files are checked and written).
    const ExportProgress bar = terminal_export_progress();
    auto renewed = std::chrono::steady_clock::now();
    const auto every = std::chrono::seconds(std::max(1, ctx.config.queue.lease_s / 3));
    const ExportProgress progress = [&](const char* phase, double fraction) {
      if (bar) bar(phase, fraction);
      if (std::chrono::steady_clock::now() - renewed < every) return;
      queue.renew(c, *job);
      renewed = std::chrono::steady_clock::now();
    };
    try {
      out.push_back(run_leaver_job(c, queue, *job, settings, ctx.actor(), progress).summary);
    } catch (const std::exception& e) {
      queue.fail(c, *job, e.what(), true);
      out.push_back({{"job", job->id}, {"kind", job->kind}, {"error", e.what()}});
      break;  // retried after the back-off, by veild or the next command
    }
  }
  return out;
}

}  // namespace veil

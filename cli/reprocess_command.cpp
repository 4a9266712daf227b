// veil reprocess --child C | --media M | --all [--since DATE] [--dry-run] [--no-wait]
// veil reprocess --status [BATCH]
// An operator's batch: the items are queued as one batch in PostgreSQL (veild's workers run
// it, behind uploads and at queue.batch_per_second, and resume it after a restart); the
// command then follows it until it is done: a progress bar on a terminal, JSON Lines
// otherwise, and a summary. Interrupting the command leaves the batch running.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "cli/cli_context.h"
#include "cli/db_session.h"
#include "jobs/reprocess_plan.h"
#include "storage/children_repository.h"
#include "storage/database.h"
#include "storage/job_queue.h"
#include "storage/media_repository.h"
#include "storage/reprocess_queue.h"

namespace veil {
namespace {

struct ReprocessArgs {
  std::string child, media, since;
  bool all = false, dry_run = false, no_wait = false, status = false;
  std::int64_t batch = 0;
};

// "YYYY-MM-DD" (UTC midnight) as seconds since the epoch.
std::int64_t parse_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (!end || *end) throw UsageError("--since: '" + text + "' is not a date like 2026-09-01");
  return static_cast<std::int64_t>(timegm(&tm));
}

nlohmann::json progress_json(const BatchProgress& b) {
  return {{"batch", b.id},       {"requested_by", b.requested_by}, {"selector", nlohmann::json::parse(b.selector)},
          {"total", b.total},    {"created_at", b.created_at},     {"queued", b.queued},
          {"running", b.running}, {"done", b.done},                 {"failed", b.failed}};
}

std::string clock_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

// Follows batch `id` until none of its jobs is queued or running. Returns its last progress.
BatchProgress follow(pqxx::connection& c, std::int64_t id) {
  using Clock = std::chrono::steady_clock;
  const bool terminal = ::isatty(STDERR_FILENO);
  const auto t0 = Clock::now();
  auto last_line = t0 - std::chrono::hours(1), last_change = t0;
  int last_finished = -1;
  bool warned = false;
  for (;;) {
    BatchProgress b;
    {
      pqxx::read_transaction tx(c);
      b = batch_progress(tx, id).at(0);
    }
    const int finished = b.done + b.failed;
    const auto now = Clock::now();
    if (finished != last_finished) last_change = now;
    const double elapsed = std::chrono::duration<double>(now - t0).count();
    const double rate = elapsed > 0 ? finished / elapsed : 0;
    const int left = b.queued + b.running;
    const double eta = rate > 0 ? left / rate : -1;
    const bool over = left == 0;
    if (terminal) {
      const int width = 30;
      const int filled = b.total > 0 ? width * finished / b.total : width;
      std::fprintf(stderr, "\r[%s%s] %d/%d  %.1f items/s  ETA %s%s  ", std::string(filled, '#').c_str(),
                   std::string(width - filled, '-').c_str(), finished, b.total, rate,
                   eta >= 0 ? clock_text(eta).c_str() : "?", b.failed ? (" failed " + std::to_string(b.failed)).c_str() : "");
      if (over) std::fprintf(stderr, "\n");
    } else if (over || finished != last_finished || now - last_line > std::chrono::seconds(10)) {
      std::cout << nlohmann::json{{"batch", id},        {"done", b.done},    {"failed", b.failed},
                                  {"total", b.total},   {"left", left},      {"items_per_s", rate},
                                  {"eta_s", eta >= 0 ? nlohmann::json(eta) : nlohmann::json(nullptr)}}
                       .dump()
                << std::endl;
      last_line = now;
    }
    last_finished = finished;
    if (over) return b;
    if (!warned && b.running == 0 && now - last_change > std::chrono::seconds(60)) {
      std::fprintf(stderr, "%sveil reprocess: nothing has moved for a minute: is veild running? (the batch waits "
                           "for it; Ctrl-C stops following, not the batch)\n",
                   terminal ? "\n" : "");
      warned = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

void add_reprocess_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "reprocess",
      "Judge items again with the current templates and consents and render the ones that change, as one batch that "
      "veild runs (behind uploads, at queue.batch_per_second); follows it to the end");
  auto a = std::make_shared<ReprocessArgs>();
  auto* child = cmd->add_option("--child", a->child,
                                "the items this child appears in, or may appear in (matched faces, and faces similar "
                                "to the child's templates)");
  auto* media = cmd->add_option("--media", a->media, "one item (its media id)");
  auto* all = cmd->add_flag("--all", a->all, "every published, held or withdrawn item");
  child->excludes(media)->excludes(all);
  media->excludes(all);
  cmd->add_option("--since", a->since, "with --all: only items uploaded on or after this date (YYYY-MM-DD, UTC)")
      ->needs(all);
  cmd->add_flag("--dry-run", a->dry_run, "list the items it would queue (JSON Lines) and queue nothing");
  cmd->add_flag("--no-wait", a->no_wait, "queue the batch and return without following it");
  auto* status = cmd->add_flag("--status", a->status, "show the latest batches and their progress (JSON Lines)");
  cmd->add_option("--batch", a->batch, "with --status: only this batch; alone: follow this batch")
      ->excludes(child)
      ->excludes(media)
      ->excludes(all);
  status->excludes(child)->excludes(media)->excludes(all);
  cmd->callback([&ctx, a] {
    ctx.load();
    auto db = open_database(ctx);
    pqxx::connection c(db->url());
    if (a->status) {
      pqxx::read_transaction tx(c);
      for (const auto& b : batch_progress(tx, a->batch)) std::cout << progress_json(b).dump() << std::endl;
      return;
    }
    std::int64_t batch = a->batch;
    if (batch == 0) {
      if (a->child.empty() && a->media.empty() && !a->all)
        throw UsageError("reprocess: give --child C, --media M or --all (or --status)");
      pqxx::work tx(c);
      std::vector<std::string> ids;
      nlohmann::json selector;
      if (!a->child.empty()) {
        const ChildRow row = find_child(tx, a->child);
        ids = items_reaching_child(tx, ctx.config, row.id);
        selector = {{"child", row.id}};
      } else if (!a->media.empty()) {
        const auto st = media_status(tx, a->media);
        if (!st) throw UsageError("reprocess: no media item " + a->media);
        if (st->state != "published" && st->state != "held" && st->state != "withdrawn")
          throw UsageError("reprocess: media " + a->media + " is " + st->state +
                           ": only published, held or withdrawn items are processed again");
        ids = {a->media};
        selector = {{"media", a->media}};
      } else {
        const std::int64_t since = a->since.empty() ? 0 : parse_date(a->since);
        ids = media_since(tx, since);
        selector = {{"all", true}};
        if (!a->since.empty()) selector["since"] = a->since;
      }
      if (a->dry_run) {
        for (const auto& id : ids) std::cout << nlohmann::json{{"media", id}}.dump() << "\n";
        std::cout << nlohmann::json{{"dry_run", true}, {"selector", selector}, {"items", ids.size()}}.dump()
                  << std::endl;
        return;
      }
      batch = create_batch(tx, ctx.actor(), selector.dump(), static_cast<int>(ids.size()));
      queue_reprocess_jobs(tx, ids, ReprocessCause{"operator", batch}, kPriorityBatch, batch);
      tx.commit();
      std::cout << nlohmann::json{{"batch", batch}, {"selector", selector}, {"items", ids.size()}}.dump()
                << std::endl;
      if (a->no_wait) return;
    }
    {
      pqxx::read_transaction tx(c);
      if (batch_progress(tx, batch).empty()) throw UsageError("reprocess: no batch " + std::to_string(batch));
    }
    const BatchProgress last = follow(c, batch);
    std::cout << nlohmann::json{{"batch", batch},
                                {"summary", true},
                                {"total", last.total},
                                {"done", last.done},
                                {"failed", last.failed}}
                     .dump()
              << std::endl;
    if (last.failed) ctx.exit_code = kExitFailure;
  });
}

}  // namespace veil

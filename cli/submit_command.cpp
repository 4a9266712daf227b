// veil submit FILE... --journal CHILD [--role staff|parent] [--wait]: the reference client of
// veild's ingest protocol (docs/protocol.md). Prints one JSON line per file once veild has
// acknowledged it (the original is durable and its job committed); with --wait, once the
// media reached a final state. Retryable refusals (database or storage unavailable, busy,
// timeouts) are retried with back-off; re-sending is safe (same submission id, same media id).
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "cli/cli_context.h"
#include "ingest/curve_keys.h"
#include "ingest/ingest_client.h"
#include "ingest/protocol.h"

namespace veil {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct SubmitArgs {
  std::vector<std::string> files;
  std::int64_t journal = 0;
  std::string role, observation, submission_id, endpoint, events_endpoint, server_key, server_key_file, key_file;
  std::int64_t uploader = 0;
  bool wait = false, no_curve = false, quiet = false;
  int wait_timeout_s = 600, retries = 5, timeout_s = 30;
};

std::string default_submission_id(const std::string& file_sha, const SubmitArgs& a) {
  const std::string input = file_sha + "|" + std::to_string(a.journal) + "|" + a.observation + "|" + a.role;
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  char hex[sizeof d * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  return "veil-submit-" + std::string(hex).substr(0, 32);
}

IngestClientOptions client_options(CliContext& ctx, const SubmitArgs& a) {
  IngestClientOptions o;
  o.endpoint = connectable_endpoint(a.endpoint.empty() ? ctx.config.ingest.endpoint : a.endpoint);
  o.timeout_ms = a.timeout_s * 1000;
  o.single_message_max = std::min<std::int64_t>(ctx.config.ingest.max_message_bytes, 8LL << 20);
  o.chunk_bytes = ctx.config.ingest.chunk_bytes;
  if (a.no_curve) return o;
  o.server_public_key = a.server_key.empty() ? ctx.config.ingest.server_public_key : a.server_key;
  if (o.server_public_key.empty()) {
    const std::string file =
        a.server_key_file.empty() ? effective_data_dir(ctx.config) + "/curve/server.pub" : a.server_key_file;
    try {
      o.server_public_key = read_key_file(file).public_key;
    } catch (const std::exception& e) {
      throw UsageError(std::string("submit: veild's public key: ") + e.what() +
                       " (give --server-key or ingest.server_public_key)");
    }
  }
  const std::string key_file = a.key_file.empty() ? ctx.config.ingest.client_key_file : a.key_file;
  if (key_file.empty()) throw UsageError("submit: no device key: give --key FILE (made by `veil keygen`)");
  const CurveKeyPair keys = read_key_file(key_file);
  if (keys.secret_key.empty()) throw UsageError("submit: " + key_file + " has no secret_key");
  o.public_key = keys.public_key;
  o.secret_key = keys.secret_key;
  return o;
}

struct Item {
  std::string file, submission_id, media_id, state, reason;
  bool duplicate = false, acked = false, final = false;
  json error;
};

// Waits for every acknowledged item to reach a final state: events wake it early, STATUS
// requests every half second are the ground truth.
void wait_for_results(std::vector<Item>& items, IngestClient& client, const IngestClientOptions& o,
                      const std::string& events_endpoint, int timeout_s) {
  std::map<std::string, Item*> pending;
  for (auto& it : items)
    if (it.acked) pending[it.media_id] = &it;
  zmq::context_t context(1);
  std::unique_ptr<zmq::socket_t> sub;
  if (!events_endpoint.empty()) {
    sub = std::make_unique<zmq::socket_t>(context, zmq::socket_type::sub);
    sub->set(zmq::sockopt::linger, 0);
    if (!o.server_public_key.empty()) {
      sub->set(zmq::sockopt::curve_serverkey, o.server_public_key);
      sub->set(zmq::sockopt::curve_publickey, o.public_key);
      sub->set(zmq::sockopt::curve_secretkey, o.secret_key);
    }
    sub->set(zmq::sockopt::subscribe, "media.");
    sub->connect(connectable_endpoint(events_endpoint));
  }
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  auto last_poll = Clock::now() - std::chrono::seconds(1);
  while (!pending.empty() && Clock::now() < deadline) {
    if (sub) {
      zmq::pollitem_t item{static_cast<void*>(*sub), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(200));
      while (item.revents & ZMQ_POLLIN) {
        std::vector<zmq::message_t> frames;
        if (!zmq::recv_multipart(*sub, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
        if (frames.size() < 2) continue;
        try {
          const json e = json::parse(frames[1].to_string_view());
          const auto it = pending.find(e.value("media_id", ""));
          if (it != pending.end() && protocol::is_final_state(e.value("state", ""))) {
            it->second->state = e.value("state", "");
            it->second->reason = e.value("reason", "");
            it->second->final = true;
            pending.erase(it);
          }
        } catch (const json::exception&) {
        }
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (Clock::now() - last_poll >= std::chrono::milliseconds(500)) {
      last_poll = Clock::now();
      for (auto it = pending.begin(); it != pending.end();) {
        const StatusReply s = client.status(it->first);
        if (s.ok) it->second->state = s.state, it->second->reason = s.reason;
        if (s.ok && s.final) {
          it->second->final = true;
          it = pending.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
}

int run_submit(CliContext& ctx, SubmitArgs& a) {
  ctx.load();
  if (a.files.empty()) throw UsageError("submit: give at least one FILE");
  if (a.journal <= 0) throw UsageError("submit: --journal CHILD (a child id) is required");
  if (!a.submission_id.empty() && a.files.size() > 1) throw UsageError("submit: --submission-id takes one FILE only");
  for (const auto& f : a.files)
    if (!std::filesystem::is_regular_file(f)) throw UsageError("submit: " + f + ": no such file");
  const IngestClientOptions options = client_options(ctx, a);
  IngestClient client(options);
  std::vector<Item> items;
  int failures = 0;
  for (const auto& file : a.files) {
    Item item;
    item.file = file;
    const std::string sha = sha256_of_file(file);
    item.submission_id = a.submission_id.empty() ? default_submission_id(sha, a) : a.submission_id;
    SubmitRequest req;
    req.submission_id = item.submission_id;
    req.journal_child = a.journal;
    req.observation_ref = a.observation;
    req.uploader = a.uploader;
    req.role = a.role;
    req.file_name = std::filesystem::path(file).filename().string();
    int last_step = -1;
    auto progress = [&](std::int64_t sent, std::int64_t total) {
      const int step = total > 0 ? static_cast<int>(sent * 20 / total) : 20;
      if (a.quiet || step == last_step) return;
      last_step = step;
      fprintf(stderr, "veil: %s: %d%% (%.1f of %.1f MB)\n", req.file_name.c_str(), step * 5, sent / 1e6, total / 1e6);
    };
    SubmitReply r;
    for (int attempt = 0;; ++attempt) {
      r = client.submit_file(req, file, progress);  // progress is reported for chunked uploads
      if (r.acked || !r.retryable || attempt >= a.retries) break;
      const int delay = std::min(10, 1 << attempt);
      if (!a.quiet)
        fprintf(stderr, "veil: %s: %s (%s); retrying in %d s\n", req.file_name.c_str(), r.code.c_str(),
                r.reason.c_str(), delay);
      std::this_thread::sleep_for(std::chrono::seconds(delay));
    }
    if (r.acked) {
      item.acked = true;
      item.media_id = r.media_id;
      item.duplicate = r.duplicate;
    } else {
      ++failures;
      item.error = {{"code", r.code}, {"reason", r.reason}, {"retryable", r.retryable}};
    }
    items.push_back(std::move(item));
  }
  if (a.wait)
    wait_for_results(items, client, options, a.events_endpoint.empty() ? ctx.config.events.endpoint : a.events_endpoint,
                     a.wait_timeout_s);
  for (const auto& it : items) {
    json line{{"file", it.file}, {"submission_id", it.submission_id}};
    if (it.acked) {
      line["media_id"] = it.media_id;
      line["duplicate"] = it.duplicate;
      if (a.wait) {
        line["state"] = it.state.empty() ? json(nullptr) : json(it.state);
        line["reason"] = it.reason;
        if (!it.final) {
          line["error"] = "timed out waiting for a final state";
          ++failures;
        } else if (it.state == "rejected" || it.state == "failed") {
          ++failures;
        }
      }
    } else {
      line["error"] = it.error;
    }
    std::cout << line.dump() << std::endl;
  }
  return failures ? kExitFailure : kExitOk;
}

}  // namespace

void add_submit_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("submit", "Send photos or videos to a running veild (waits for the acknowledgement)");
  auto a = std::make_shared<SubmitArgs>();
  cmd->add_option("files", a->files, "files to submit")->required();
  cmd->add_option("--journal", a->journal, "the child whose journal the media is for (child id)")->required();
  cmd->add_option("--role", a->role, "uploader role: staff or parent (default: the uploader's kind)")
      ->check(CLI::IsMember({"staff", "parent"}));
  cmd->add_option("--uploader", a->uploader, "uploader (person id; default: the device's owner)");
  cmd->add_option("--observation", a->observation, "the journal observation this media belongs to");
  cmd->add_option("--submission-id", a->submission_id,
                  "client submission id (one FILE; default: derived from the file's sha256, journal, observation and "
                  "role, so re-running the command never duplicates)");
  cmd->add_flag("--wait", a->wait, "wait until each media item is published, held, rejected or failed");
  cmd->add_option("--wait-timeout", a->wait_timeout_s, "seconds --wait waits at most (default 600)");
  cmd->add_option("--endpoint", a->endpoint, "veild's ingest endpoint (default: ingest.endpoint)");
  cmd->add_option("--events-endpoint", a->events_endpoint, "veild's events endpoint for --wait (default: events.endpoint)");
  cmd->add_option("--server-key", a->server_key, "veild's public key, Z85 (default: ingest.server_public_key)");
  cmd->add_option("--server-key-file", a->server_key_file,
                  "file holding veild's public key (default: <data_dir>/curve/server.pub)");
  cmd->add_option("--key", a->key_file, "this device's key file from `veil keygen` (default: ingest.client_key_file)");
  cmd->add_option("--retries", a->retries, "retries of a retryable refusal or timeout (default 5)");
  cmd->add_option("--timeout", a->timeout_s, "seconds to wait for each answer (default 30)");
  cmd->add_flag("--no-curve", a->no_curve, "plain connection, for a veild with ingest.curve = false");
  cmd->add_flag("-q,--quiet", a->quiet, "no progress or retry messages on stderr");
  cmd->callback([&ctx, a] { ctx.exit_code = run_submit(ctx, *a); });
}

}  // namespace veil

// Driver of benchmarks/soak.sh: many small uploads from concurrent clients through a running
// veild, bounded in time.
//   - `--clients` threads, each with its own device key (one per `--key`), submit their share of
//     `--uploads` photos back to back; a retryable NACK (rate_limited, busy, ...) is waited out
//     and sent again with the same submission id, so that nothing is lost or sent twice;
//   - acknowledgement latency: from sending a SUBMIT to its ACK, every upload;
//   - every acknowledged media id is then followed (STATUS) until it is final; photos/s is
//     uploads / (first submission to the last final state);
//   - veild's resident memory (VmRSS of `--pid`) is read when the first `--warm` items are final
//     and again when all are: "flat" is the end within `--rss-slack` of the first.
// Prints one JSON object; exits 1 when an upload is refused for good, an item does not reach a
// final state within `--timeout` seconds, or two uploads got one media id.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/curve_keys.h"
#include "ingest/ingest_client.h"

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

struct Args {
  std::string endpoint, server_key_file, prefix = "soak";
  std::vector<std::string> key_files;
  std::int64_t journal = 0, uploader = 0, pid = 0;
  int uploads = 2000, clients = 8, warm = 200, timeout_s = 1800;
  double rss_slack = 0.10;
  std::vector<std::string> files;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--endpoint") a.endpoint = next();
    else if (k == "--server-key-file") a.server_key_file = next();
    else if (k == "--key") a.key_files.push_back(next());
    else if (k == "--journal") a.journal = std::stoll(next());
    else if (k == "--uploader") a.uploader = std::stoll(next());
    else if (k == "--pid") a.pid = std::stoll(next());
    else if (k == "--uploads") a.uploads = std::stoi(next());
    else if (k == "--clients") a.clients = std::stoi(next());
    else if (k == "--warm") a.warm = std::stoi(next());
    else if (k == "--timeout") a.timeout_s = std::stoi(next());
    else if (k == "--rss-slack") a.rss_slack = std::stod(next());
    else if (k == "--prefix") a.prefix = next();
    else a.files.push_back(k);
  }
  if (a.endpoint.empty() || a.files.empty() || a.journal == 0 || a.pid == 0 || a.clients < 1 ||
      a.key_files.size() != static_cast<std::size_t>(a.clients) || a.warm >= a.uploads) {
    std::cerr << "usage: soak --endpoint E --server-key-file F --key F (one per client) --journal C --uploader U\n"
                 "            --pid VEILD_PID [--uploads 2000] [--clients 8] [--warm 200] [--timeout S] FILE...\n";
    std::exit(2);
  }
  return a;
}

// Resident memory of `pid` in KiB (VmRSS), 0 when it cannot be read.
std::int64_t rss_kib(std::int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return 0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(rank);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

veil::IngestClientOptions client_options(const Args& a, const std::string& key_file) {
  veil::IngestClientOptions o;
  o.endpoint = a.endpoint;
  o.server_public_key = veil::read_key_file(a.server_key_file).public_key;
  const auto keys = veil::read_key_file(key_file);
  o.public_key = keys.public_key;
  o.secret_key = keys.secret_key;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::vector<std::string> bytes;
  for (const auto& f : a.files) {
    std::ifstream in(f, std::ios::binary);
    bytes.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto deadline = Clock::now() + std::chrono::seconds(a.timeout_s);

  std::mutex m;
  std::vector<double> ack_ms;
  std::vector<std::string> ids;
  std::map<std::string, int> nacks;  // retryable NACK codes met, sent again
  std::atomic<bool> failed{false};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < a.clients; ++c) {
    threads.emplace_back([&, c] {
      veil::IngestClient client(client_options(a, a.key_files[static_cast<std::size_t>(c)]));
      for (int i = c; i < a.uploads && !failed; i += a.clients) {
        veil::SubmitRequest r;
        r.submission_id = a.prefix + "-" + std::to_string(i);
        r.journal_child = a.journal;
        r.uploader = a.uploader;
        r.file_name = std::filesystem::path(a.files[static_cast<std::size_t>(i) % a.files.size()]).filename().string();
        const std::string& body = bytes[static_cast<std::size_t>(i) % bytes.size()];
        for (;;) {
          const auto sent = Clock::now();
          const auto reply = client.submit_bytes(r, body);
          const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
          std::lock_guard<std::mutex> lock(m);
          if (reply.acked) {
            ack_ms.push_back(ms);
            ids.push_back(reply.media_id);
            break;
          }
          if (!reply.retryable || Clock::now() > deadline) {
            std::cerr << "soak: " << r.submission_id << " refused: " << reply.code << ": " << reply.reason << "\n";
            failed = true;
            return;
          }
          nacks[reply.code]++;
          std::this_thread::sleep_for(std::chrono::milliseconds(reply.code == "rate_limited" ? 500 : 100));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) return 1;
  const double ingest_s = std::chrono::duration<double>(Clock::now() - t0).count();

  const std::set<std::string> distinct(ids.begin(), ids.end());
  if (distinct.size() != ids.size()) {
    std::cerr << "soak: " << ids.size() - distinct.size() << " uploads were given a media id already given\n";
    return 1;
  }

  // Follow every item to a final state; RSS when the first `warm` are final and at the end.
  // Workers take jobs about in the order they were acknowledged, so each pass asks about the
  // pending items in that order and stops after a few that are not final yet: the watching
  // adds little load to the daemon it measures.
  veil::IngestClient watcher(client_options(a, a.key_files.front()));
  std::vector<std::string> pending = ids;
  std::map<std::string, int> states;
  std::int64_t rss_warm = 0, rss_peak = 0;
  Clock::time_point last_final = t0;
  while (!pending.empty()) {
    if (Clock::now() > deadline) {
      std::cerr << "soak: " << pending.size() << " items not final after " << a.timeout_s << " s\n";
      return 1;
    }
    int waiting = 0;
    for (auto it = pending.begin(); it != pending.end() && waiting < 16;) {
      const auto s = watcher.status(*it);
      if (s.ok && s.final) {
        states[s.state]++;
        last_final = Clock::now();
        it = pending.erase(it);
      } else {
        ++waiting;
        ++it;
      }
    }
    rss_peak = std::max(rss_peak, rss_kib(a.pid));
    if (rss_warm == 0 && static_cast<int>(distinct.size() - pending.size()) >= a.warm) rss_warm = rss_kib(a.pid);
    if (!pending.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::int64_t rss_end = rss_kib(a.pid);
  const double total_s = std::chrono::duration<double>(last_final - t0).count();
  const double growth = rss_warm > 0 ? static_cast<double>(rss_end - rss_warm) / static_cast<double>(rss_warm) : 0;

  json out{{"uploads", a.uploads},
           {"clients", a.clients},
           {"acked", ids.size()},
           {"retryable_nacks", nacks},
           {"ingest_seconds", ingest_s},
           {"acks_per_second", static_cast<double>(ids.size()) / ingest_s},
           {"ack_p50_ms", percentile(ack_ms, 50)},
           {"ack_p99_ms", percentile(ack_ms, 99)},
           {"ack_max_ms", percentile(ack_ms, 100)},
           {"seconds", total_s},
           {"photos_per_second", static_cast<double>(ids.size()) / total_s},
           {"final_states", states},
           {"rss_warm_mib", static_cast<double>(rss_warm) / 1024},
           {"rss_end_mib", static_cast<double>(rss_end) / 1024},
           {"rss_peak_mib", static_cast<double>(rss_peak) / 1024},
           {"rss_growth", growth},
           {"rss_flat", growth <= a.rss_slack}};
  std::cout << out.dump() << std::endl;
  return 0;
}

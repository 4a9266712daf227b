// Driver of benchmarks/daemon_throughput.sh: photos through a running veild.
//   phase 1 (throughput): `--count` photos submitted back to back; photos/s = count / (time
//            from the first submission to the last final state);
//   phase 2 (latency): `--latency-count` photos submitted one at a time at `--rate` per second
//            (below capacity), submit-to-final latency p50/p99 (final = published or held;
//            the event media.<state> from veild's PUB socket, STATUS polling as a fallback).
// Prints one JSON object.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "ingest/curve_keys.h"
#include "ingest/ingest_client.h"
#include "ingest/protocol.h"

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

struct Args {
  std::string endpoint, events, server_key_file, key_file, prefix = "bench";
  std::int64_t journal = 0, uploader = 0;
  int count = 40, latency_count = 20, timeout_s = 300;
  double rate = 2;
  std::vector<std::string> files;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--endpoint") a.endpoint = next();
    else if (k == "--events") a.events = next();
    else if (k == "--server-key-file") a.server_key_file = next();
    else if (k == "--key") a.key_file = next();
    else if (k == "--journal") a.journal = std::stoll(next());
    else if (k == "--uploader") a.uploader = std::stoll(next());
    else if (k == "--count") a.count = std::stoi(next());
    else if (k == "--latency-count") a.latency_count = std::stoi(next());
    else if (k == "--rate") a.rate = std::stod(next());
    else if (k == "--prefix") a.prefix = next();
    else if (k == "--timeout") a.timeout_s = std::stoi(next());
    else a.files.push_back(k);
  }
  if (a.endpoint.empty() || a.files.empty() || a.journal == 0) {
    std::cerr << "usage: daemon_throughput --endpoint E --events E --server-key-file F --key F --journal C "
                 "--uploader U [--count N] [--latency-count N] [--rate R] FILE...\n";
    std::exit(2);
  }
  return a;
}

// Final states seen on the PUB socket, by media id, with the time they arrived.
class EventWatcher {
 public:
  EventWatcher(const std::string& endpoint, const veil::IngestClientOptions& o) {
    if (endpoint.empty()) return;
    thread_ = std::thread([this, endpoint, o] {
      zmq::socket_t sub(ctx_, zmq::socket_type::sub);
      sub.set(zmq::sockopt::linger, 0);
      if (!o.server_public_key.empty()) {
        sub.set(zmq::sockopt::curve_serverkey, o.server_public_key);
        sub.set(zmq::sockopt::curve_publickey, o.public_key);
        sub.set(zmq::sockopt::curve_secretkey, o.secret_key);
      }
      sub.set(zmq::sockopt::subscribe, "media.");
      sub.connect(endpoint);
      while (!stop_) {
        zmq::pollitem_t item{static_cast<void*>(sub), 0, ZMQ_POLLIN, 0};
        zmq::poll(&item, 1, std::chrono::milliseconds(100));
        if (!(item.revents & ZMQ_POLLIN)) continue;
        std::vector<zmq::message_t> frames;
        if (!zmq::recv_multipart(sub, std::back_inserter(frames)) || frames.size() < 2) continue;
        const json e = json::parse(frames[1].to_string_view(), nullptr, false);
        if (e.is_discarded() || !veil::protocol::is_final_state(e.value("state", ""))) continue;
        std::lock_guard<std::mutex> lock(m_);
        final_.emplace(e.value("media_id", ""), std::make_pair(Clock::now(), e.value("state", "")));
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // subscription in place
  }
  ~EventWatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::optional<std::pair<Clock::time_point, std::string>> final_of(const std::string& id) {
    std::lock_guard<std::mutex> lock(m_);
    const auto it = final_.find(id);
    if (it == final_.end()) return std::nullopt;
    return it->second;
  }
  void note(const std::string& id, const std::string& state) {
    std::lock_guard<std::mutex> lock(m_);
    final_.emplace(id, std::make_pair(Clock::now(), state));
  }

 private:
  zmq::context_t ctx_{1};
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex m_;
  std::map<std::string, std::pair<Clock::time_point, std::string>> final_;
};

// Waits until every id has a final state (events, or STATUS every second as a fallback).
bool wait_all(EventWatcher& events, veil::IngestClient& client, const std::vector<std::string>& ids, int timeout_s) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  auto last_poll = Clock::now();
  for (;;) {
    std::size_t done = 0;
    for (const auto& id : ids) done += events.final_of(id).has_value();
    if (done == ids.size()) return true;
    if (Clock::now() > deadline) return false;
    if (Clock::now() - last_poll > std::chrono::seconds(1)) {
      last_poll = Clock::now();
      for (const auto& id : ids)
        if (!events.final_of(id)) {
          const auto s = client.status(id);
          if (s.ok && s.final) events.note(id, s.state);
        }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * (v.size() - 1);
  const auto lo = static_cast<std::size_t>(rank);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  veil::IngestClientOptions o;
  o.endpoint = a.endpoint;
  if (!a.server_key_file.empty()) {
    o.server_public_key = veil::read_key_file(a.server_key_file).public_key;
    const auto keys = veil::read_key_file(a.key_file);
    o.public_key = keys.public_key;
    o.secret_key = keys.secret_key;
  }
  std::vector<std::string> bytes;
  for (const auto& f : a.files) {
    std::ifstream in(f, std::ios::binary);
    bytes.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  veil::IngestClient client(o);
  EventWatcher events(a.events, o);
  auto submit = [&](int i, const std::string& phase) {
    veil::SubmitRequest r;
    r.submission_id = a.prefix + "-" + phase + "-" + std::to_string(i);
    r.journal_child = a.journal;
    r.uploader = a.uploader;
    r.file_name = std::filesystem::path(a.files[i % a.files.size()]).filename().string();
    const auto reply = client.submit_bytes(r, bytes[i % bytes.size()]);
    if (!reply.acked) {
      std::cerr << "daemon_throughput: " << r.submission_id << " refused: " << reply.code << ": " << reply.reason << "\n";
      std::exit(1);
    }
    return reply.media_id;
  };

  // Phase 1: a burst.
  std::vector<std::string> ids;
  const auto t0 = Clock::now();
  for (int i = 0; i < a.count; ++i) ids.push_back(submit(i, "burst"));
  const double ingest_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!wait_all(events, client, ids, a.timeout_s)) {
    std::cerr << "daemon_throughput: burst did not finish in " << a.timeout_s << " s\n";
    return 1;
  }
  Clock::time_point last = t0;
  std::map<std::string, int> states;
  for (const auto& id : ids) {
    const auto f = *events.final_of(id);
    last = std::max(last, f.first);
    states[f.second]++;
  }
  const double burst_s = std::chrono::duration<double>(last - t0).count();

  // Phase 2: paced submissions, latency to a final state.
  std::vector<double> latencies;
  const auto period = std::chrono::duration<double>(1.0 / a.rate);
  std::vector<std::pair<std::string, Clock::time_point>> sent;
  auto next = Clock::now();
  for (int i = 0; i < a.latency_count; ++i) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<Clock::duration>(period);
    const auto at = Clock::now();
    sent.emplace_back(submit(i, "paced"), at);
  }
  std::vector<std::string> paced;
  for (const auto& [id, at] : sent) paced.push_back(id);
  if (!wait_all(events, client, paced, a.timeout_s)) {
    std::cerr << "daemon_throughput: paced phase did not finish\n";
    return 1;
  }
  for (const auto& [id, at] : sent) latencies.push_back(std::chrono::duration<double>(events.final_of(id)->first - at).count());

  json out{{"photos", a.count},
           {"burst_seconds", burst_s},
           {"photos_per_second", a.count / burst_s},
           {"ingest_acks_per_second", a.count / ingest_s},
           {"final_states", states},
           {"latency_samples", latencies.size()},
           {"latency_rate_per_second", a.rate},
           {"latency_p50_ms", percentile(latencies, 50) * 1000},
           {"latency_p99_ms", percentile(latencies, 99) * 1000},
           {"latency_max_ms", percentile(latencies, 100) * 1000}};
  std::cout << out.dump() << std::endl;
  return 0;
}

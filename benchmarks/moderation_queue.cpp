// The moderation API under a full queue (issue 17), driven by benchmarks/moderation_queue.sh
// on a throwaway PostgreSQL:
//   - a nursery (a staff member, a parent, CHILDREN children, a manager account) made with the
//     storage/ and accounts/ functions `veil` uses;
//   - a handful of real parent uploads (the photos given): each original stored encrypted with
//     its media row and `process` job as ingest stores it, then processed by veild's own worker
//     (the real pipeline), so each ends `held` with real faces and a real display rendition;
//   - COUNT synthetic held items, written with the functions a worker's record() and the
//     moderation queue use: a media row, a few faces, the rendition rows of one of the real
//     items (the same files: nothing here rejects an item, which would delete them), a pending
//     moderation row;
//   - veild's HTTP API in process (daemon/service.h, as tests/api starts it) on 127.0.0.1,
//     one login, then REQUESTS timed requests of each kind with httplib::Client (keep-alive,
//     one request at a time): the queue's first page, a page deep in the list (by its cursor),
//     one item, and the review image of a small and of the largest real item; baselines in the
//     same process: GET /api/session (a session check and a small JSON answer: what every API
//     request pays) and the display file read from disk and served as it is by a plain
//     httplib::Server (what the review image would cost without decoding and drawing).
// Prints one line per measurement (p50/p99 in ms, and the ratio to its baseline), then a
// summary line. Exits non-zero when an answer is not 200 or the items do not become held.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "accounts/account_admin.h"
#include "accounts/password.h"
#include "daemon/service.h"
#include "jobs/item_processor.h"
#include "storage/durable_file.h"
#include "storage/children_repository.h"
#include "storage/media_repository.h"
#include "storage/migrations.h"
#include "storage/moderation_queue.h"
#include "storage/originals_store.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kPassword = "Bench-queue-2026";

struct Options {
  std::string database_url;
  std::string data_dir;
  std::string model_dir;
  int count = 2000;
  int children = 20;
  int requests = 200;
  int review_requests = 100;
  std::vector<std::string> photos;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "moderation_queue: " << why
            << "\nusage: moderation_queue --database-url URL --data-dir DIR [--model-dir DIR] [--count N] "
               "[--children N] [--requests N] [--review-requests N] PHOTO...\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--database-url") o.database_url = value();
    else if (a == "--data-dir") o.data_dir = value();
    else if (a == "--model-dir") o.model_dir = value();
    else if (a == "--count") o.count = std::stoi(value());
    else if (a == "--children") o.children = std::stoi(value());
    else if (a == "--requests") o.requests = std::stoi(value());
    else if (a == "--review-requests") o.review_requests = std::stoi(value());
    else if (!a.empty() && a[0] == '-') usage("unknown option " + a);
    else o.photos.push_back(a);
  }
  if (o.database_url.empty() || o.data_dir.empty() || o.photos.empty()) usage("missing arguments");
  if (o.count < 1 || o.children < 1 || o.requests < 1 || o.review_requests < 1) usage("counts must be positive");
  return o;
}

struct Stats {
  double p50 = 0, p99 = 0;
  std::size_t bytes = 0;  // of the last answer
};

// Nearest-rank percentiles of `ms`.
Stats stats_of(std::vector<double> ms, std::size_t bytes) {
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double p) {
    const auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::min(ms.size(), std::max<std::size_t>(k, 1)) - 1];
  };
  return {rank(0.50), rank(0.99), bytes};
}

// `n` GETs of `path` (after one untimed warm-up), each required to answer 200.
Stats time_get(httplib::Client& client, const std::string& path, const httplib::Headers& headers, int n) {
  std::vector<double> ms;
  std::size_t bytes = 0;
  for (int i = 0; i <= n; ++i) {
    const auto t0 = Clock::now();
    auto res = client.Get(path, headers);
    const auto t1 = Clock::now();
    if (!res || res->status != 200)
      throw std::runtime_error("GET " + path + ": " + (res ? std::to_string(res->status) + " " + res->body : "no answer"));
    bytes = res->body.size();
    if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return stats_of(std::move(ms), bytes);
}

void print(const std::string& what, const Stats& s, const Stats* baseline = nullptr, const std::string& base_name = "") {
  std::printf("%-34s p50 %7.2f ms  p99 %7.2f ms  (%zu bytes)", what.c_str(), s.p50, s.p99, s.bytes);
  if (baseline) std::printf("  = %.1fx %s (p50)", s.p50 / baseline->p50, base_name.c_str());
  std::printf("\n");
  std::fflush(stdout);
}

struct Nursery {
  std::int64_t staff = 0, parent = 0;
  std::vector<std::int64_t> children;
};

Nursery make_nursery(pqxx::connection& db, int children) {
  Nursery n;
  pqxx::work tx(db);
  n.staff = veil::add_person(tx, "staff", "Bench Staff", "", "benchmark");
  n.parent = veil::add_person(tx, "parent", "Bench Parent", "", "benchmark");
  for (int i = 0; i < children; ++i)
    n.children.push_back(veil::add_child(tx, "Child " + std::to_string(i + 1), "Bench Staff", "benchmark"));
  veil::add_account(tx, "bench", veil::Role::kManager, 0, kPassword, veil::password_rule(veil::AccountsConfig{}),
                    "benchmark", std::chrono::system_clock::now());
  tx.commit();
  return n;
}

// Stores `photo` as a parent's upload to `child`'s journal as ingest does (the encrypted
// original, then the media row with its `process` job); returns the media id.
std::string upload(pqxx::connection& db, const Options& o, const veil::SecretKey& master, const Nursery& n,
                   std::int64_t child, const std::string& photo, int index) {
  const std::string bytes = veil::read_whole_file(photo);
  const std::string submission = "bench-" + std::to_string(index);
  const std::string id = veil::media_id_for_submission(master, n.parent, submission);
  const veil::SecretKey key = veil::child_data_key(db, master, child, true);
  veil::OriginalWriter writer(veil::original_path(o.data_dir + "/originals", child, id), key, id);
  writer.append(bytes.data(), bytes.size());
  const std::string sha = writer.sha256_hex();
  writer.commit();
  veil::NewMedia m;
  m.media_id = id;
  m.client_submission_id = submission;
  m.journal_child_id = child;
  m.uploader_id = n.parent;
  m.uploader_role = "parent";
  m.kind = "photo";
  m.original_name = std::filesystem::path(photo).filename();
  m.original_sha256 = sha;
  m.bytes = static_cast<std::int64_t>(bytes.size());
  pqxx::work tx(db);
  veil::insert_received_media(tx, m);
  tx.commit();
  return id;
}

std::string state_of(pqxx::connection& db, const std::string& id) {
  pqxx::read_transaction tx(db);
  const auto s = veil::media_status(tx, id);
  return s ? s->state : "";
}

struct RealItem {
  std::string id;
  int width = 0, height = 0;
  std::vector<veil::RenditionRow> renditions;
};

// Writes `count` held items as record() and the queue would: media row, size, faces, the
// rendition rows of a real item, state held, a pending moderation row.
void insert_synthetic(pqxx::connection& db, const Nursery& n, const std::vector<RealItem>& real, int count) {
  static const char* kReasons[] = {"parent_upload", "parent_upload", "uncertain_match: face 2", "verification_failed"};
  constexpr int kBatch = 250;
  for (int done = 0; done < count;) {
    pqxx::work tx(db);
    for (int k = 0; k < kBatch && done < count; ++k, ++done) {
      const RealItem& like = real[static_cast<std::size_t>(done) % real.size()];
      const std::int64_t child = n.children[static_cast<std::size_t>(done) % n.children.size()];
      const std::string sha(64, static_cast<char>('a' + done % 6));
      const std::string id = veil::insert_processing_media(tx, child, "parent", "photo", sha, 100000 + done);
      veil::set_media_size(tx, id, like.width, like.height);
      const int faces = 2 + done % 3;
      for (int f = 0; f < faces; ++f) {
        veil::NewFace face;
        const float w = static_cast<float>(like.width) / 8;
        face.bbox = {static_cast<float>(f) * w * 1.5f, static_cast<float>(like.height) / 4, w, w * 1.2f};
        for (int l = 0; l < 5; ++l) {
          face.landmarks[static_cast<std::size_t>(2 * l)] = face.bbox[0] + w * (0.3f + 0.1f * static_cast<float>(l));
          face.landmarks[static_cast<std::size_t>(2 * l + 1)] = face.bbox[1] + w * 0.5f;
        }
        face.det_score = 0.9f;
        if (f == 0) {
          face.matched_child_id = child;
          face.similarity = 0.7f;
          face.decision = "keep";
          face.decision_reason = "journal_owner";
        } else {
          face.similarity = 0.2f;
          face.decision = "blur";
          face.decision_reason = "unknown";
        }
        veil::insert_face(tx, id, face);
      }
      for (const auto& r : like.renditions) {
        veil::NewRendition nr;
        nr.version = 1;
        nr.kind = r.kind;
        nr.path = r.path;
        nr.mime = r.mime;
        nr.width = r.width;
        nr.height = r.height;
        nr.bytes = 1;
        nr.sha256 = sha;
        veil::insert_rendition(tx, id, nr);
      }
      const std::string reason = kReasons[done % 4];
      veil::set_media_state(tx, id, "held", reason, 0);
      veil::enqueue_for_moderation(tx, id, reason);
    }
    tx.commit();
  }
}

int run(const Options& o) {
  std::filesystem::create_directories(o.data_dir);
  pqxx::connection db(o.database_url);
  veil::apply_migrations(db);
  const Nursery nursery = make_nursery(db, o.children);
  const veil::SecretKey master = veil::load_or_create_master_key(o.data_dir + "/keys/master.key");

  veil::Config c;
  c.daemon.workers = 1;
  if (!o.model_dir.empty()) c.models.dir = o.model_dir;
  c.ingest.curve = false;
  c.ingest.endpoint = "ipc://" + o.data_dir + "/ingest.ipc";
  c.events.endpoint = "ipc://" + o.data_dir + "/events.ipc";
  c.http.port = 0;
  c.queue.poll_interval_s = 1;
  veil::ServiceOptions so{c, o.database_url, o.data_dir, veil::media_processor_factory(c), {}, veil::StaticFiles{}, {}};
  veil::VeildService service(std::move(so));
  service.start();

  // The real uploads, processed by veild's worker.
  const auto t_real = Clock::now();
  std::vector<std::string> real_ids;
  for (std::size_t i = 0; i < o.photos.size(); ++i)
    real_ids.push_back(upload(db, o, master, nursery, nursery.children[i % nursery.children.size()], o.photos[i],
                              static_cast<int>(i)));
  std::vector<RealItem> real;
  for (const auto& id : real_ids) {
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    std::string state;
    while ((state = state_of(db, id)) != "held" && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (state != "held") throw std::runtime_error("upload " + id + " ended " + state + ", not held");
    pqxx::read_transaction tx(db);
    RealItem r{id, 0, 0, veil::list_renditions(tx, id)};
    for (const auto& rr : r.renditions)
      if (rr.kind == "display") r.width = rr.width, r.height = rr.height;
    real.push_back(std::move(r));
  }
  const double real_s = std::chrono::duration<double>(Clock::now() - t_real).count();

  const auto t_syn = Clock::now();
  insert_synthetic(db, nursery, real, o.count);
  const double syn_s = std::chrono::duration<double>(Clock::now() - t_syn).count();
  std::printf("setup: %zu real uploads processed by the worker in %.1f s; %d synthetic held items written in %.1f s\n",
              real.size(), real_s, o.count, syn_s);

  httplib::Client client("127.0.0.1", service.http_port());
  client.set_keep_alive(true);
  client.set_read_timeout(60);
  auto login = client.Post("/api/session", nlohmann::json{{"name", "bench"}, {"password", kPassword}}.dump(),
                           "application/json");
  if (!login || login->status != 200) throw std::runtime_error("login failed");
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const httplib::Headers session{{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};

  // The cursor of a page deep in the list: 30 pages of 50 in (items 1501..1550 of 2000).
  const int deep_pages = std::max(1, std::min(30, (o.count + static_cast<int>(real.size())) / 50 - 1));
  std::string cursor;
  std::int64_t total = 0;
  for (int p = 0; p < deep_pages; ++p) {
    auto res = client.Get("/api/moderation?state=pending&limit=50" + (cursor.empty() ? "" : "&after=" + cursor), session);
    if (!res || res->status != 200) throw std::runtime_error("paging the queue failed");
    const auto j = nlohmann::json::parse(res->body);
    total = j["total"].get<std::int64_t>();
    if (j["next"].is_null()) break;
    cursor = j["next"].get<std::string>();
  }
  std::printf("queue: %lld pending items; deep page after %d pages of 50\n", static_cast<long long>(total), deep_pages);

  const Stats base_api = time_get(client, "/api/session", session, o.requests);
  print("GET /api/session (baseline)", base_api);
  const Stats first = time_get(client, "/api/moderation?state=pending&limit=50", session, o.requests);
  print("GET /api/moderation first page", first, &base_api, "session");
  const Stats deep = time_get(client, "/api/moderation?state=pending&limit=50&after=" + cursor, session, o.requests);
  print("GET /api/moderation deep page", deep, &base_api, "session");
  std::string synthetic_id;
  {
    auto res = client.Get("/api/moderation?state=pending&limit=1&after=" + cursor, session);
    synthetic_id = nlohmann::json::parse(res->body)["items"][0]["id"];
  }
  const Stats item = time_get(client, "/api/media/" + synthetic_id, session, o.requests);
  print("GET /api/media/{id}", item, &base_api, "session");

  // Review images: the smallest and the largest real display rendition, each against the
  // same file served as it is.
  auto by_area = real;
  std::sort(by_area.begin(), by_area.end(), [](const RealItem& a, const RealItem& b) {
    return a.width * a.height < b.width * b.height;
  });
  // TCP_NODELAY: the file's last small segment must not wait for the client's delayed ACK,
  // or the baseline would measure that wait instead of reading and sending the file.
  httplib::Server files;
  files.set_tcp_nodelay(true);
  files.Get(R"(/file/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    const RealItem& r = by_area[std::stoul(req.matches[1])];
    for (const auto& rr : r.renditions)
      if (rr.kind == "display") res.set_content(veil::read_whole_file(rr.path), "image/jpeg");
  });
  const int files_port = files.bind_to_any_port("127.0.0.1");
  std::thread files_thread([&] { files.listen_after_bind(); });
  httplib::Client file_client("127.0.0.1", files_port);
  file_client.set_keep_alive(true);
  std::vector<std::pair<std::string, double>> review_ratios;
  Stats review_large;
  for (std::size_t i : {std::size_t{0}, by_area.size() - 1}) {
    const RealItem& r = by_area[i];
    const std::string size = std::to_string(r.width) + "x" + std::to_string(r.height);
    const Stats base = time_get(file_client, "/file/" + std::to_string(i), {}, o.review_requests);
    print("display file as is " + size + " (baseline)", base);
    const Stats review = time_get(client, "/api/media/" + r.id + "/review.jpg", session, o.review_requests);
    print("GET review.jpg " + size, review, &base, "file");
    review_ratios.emplace_back(size, review.p50 / base.p50);
    review_large = review;
  }
  files.stop();
  files_thread.join();
  service.stop();

  std::printf("summary: %lld pending; queue first page p50 %.1f ms p99 %.1f ms, deep page p50 %.1f ms p99 %.1f ms "
              "(%.1fx /api/session); item p50 %.1f ms; review.jpg %s p50 %.1f ms p99 %.1f ms (%.1fx the file as is)\n",
              static_cast<long long>(total), first.p50, first.p99, deep.p50, deep.p99, deep.p50 / base_api.p50, item.p50,
              review_ratios.back().first.c_str(), review_large.p50, review_large.p99, review_ratios.back().second);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "moderation_queue: " << e.what() << "\n";
    return 1;
  }
}

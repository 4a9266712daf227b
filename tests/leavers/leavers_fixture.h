// The nursery of tests/reprocess (Kit and Rose enrolled, Kit's consent "yes", Rose's "no",
// six more children) with the leaver flow's settings, a worker loop that runs export and
// purge jobs too, and readers of an export's ZIP with libzip.
#pragma once

#include <zip.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "leavers/journal_export.h"
#include "leavers/leaver_flow.h"
#include "leavers/leaver_job.h"
#include "leavers/leaver_settings.h"
#include "storage/leaver_repository.h"
#include "tests/reprocess/reprocess_fixture.h"

namespace veil::test {

class LeaversTest : public ReprocessTest {
 protected:
  void SetUp() override {
    ReprocessTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    settings_ = leaver_settings(config(), data_, master_);
  }

  // Runs every queued job (of `only_kind` when given) as veild's workers do; returns how many.
  int run_all(const std::string& only_kind = "") {
    JobQueue queue(QueueOptions{});
    int ran = 0;
    while (auto job = queue.claim(*conn_, "test", nullptr, true, only_kind)) {
      if (is_leaver_job(job->kind)) {
        const auto r = run_leaver_job(*conn_, queue, *job, settings_, "test");
        EXPECT_TRUE(r.recorded) << r.summary.dump();
        last_summary_ = r.summary;
      } else {
        run_job(queue, *job);
      }
      ++ran;
    }
    return ran;
  }

  // Leaves `child` on `on` ("" today) in one committed transaction.
  LeaveResult leave(std::int64_t child, const std::string& on = "") {
    pqxx::work tx(*conn_);
    auto r = start_leaving(tx, child, on, config(), "test");
    tx.commit();
    return r;
  }

  void set_observation(const std::string& media_id, const std::string& ref) {
    pqxx::work tx(*conn_);
    tx.exec_params0("UPDATE media SET observation_ref = $2 WHERE id = $1", media_id, ref);
    tx.commit();
  }

  // Every entry of the ZIP at `path`, by name, with its bytes.
  static std::map<std::string, std::string> zip_entries(const std::string& path) {
    std::map<std::string, std::string> out;
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!z) {
      ADD_FAILURE() << "cannot open " << path << ": libzip error " << err;
      return out;
    }
    for (zip_int64_t i = 0; i < zip_get_num_entries(z, 0); ++i) {
      zip_stat_t st;
      zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st);
      zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
      std::string bytes(st.size, '\0');
      if (st.size) {
        EXPECT_EQ(zip_fread(f, bytes.data(), st.size), static_cast<zip_int64_t>(st.size)) << st.name;
      }
      zip_fclose(f);
      out[st.name] = std::move(bytes);
    }
    zip_discard(z);
    return out;
  }

  // Writes a ZIP at `path` holding `entries` (stored, as the export's media are).
  static void write_zip(const std::string& path, const std::map<std::string, std::string>& entries) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    ASSERT_NE(z, nullptr);
    for (const auto& [name, bytes] : entries) {
      zip_source_t* src = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
      const auto index = zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
      ASSERT_GE(index, 0);
      zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    }
    ASSERT_EQ(zip_close(z), 0);
  }

  std::int64_t count(const std::string& sql) { return std::stoll(scalar(sql)); }

  LeaverSettings settings_;
  nlohmann::json last_summary_;
};

}  // namespace veil::test

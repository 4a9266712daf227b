// The leaver's export (issue 19) on real PostgreSQL with the real models and media: every
// published item of the child's own journal and nothing else, no original, no metadata, an
// index.html listing them all and a manifest whose sha256 match; and the import into a second
// database, which recreates the journal, and refuses a tampered or foreign file whole.
#include <filesystem>
#include <fstream>

#include "leavers/export_format.h"
#include "leavers/file_hash.h"
#include "leavers/journal_import.h"
#include "storage/audit_log.h"
#include "storage/migrations.h"
#include "tests/leavers/leavers_fixture.h"

namespace veil {
namespace {

using test::read_file;

class ExportTest : public test::LeaversTest {
 protected:
  // Kit's journal: two photos of Kit (one with an observation), a group photo, a parent's
  // upload held for a manager; and a photo of Kit in Amara's journal.
  void make_journal() {
    published_ = {upload(kit_photo(), "staff"), upload(group_photo(), "staff"), upload(stranger_photo(), "staff")};
    held_ = upload(kit_photo(), "parent");
    elsewhere_ = upload(kit_photo(), "staff", journals_[0]);
    set_observation(published_[0], "obs-2026-03 <painting> & \"sand\"");
    ASSERT_EQ(run_all(), 5);
    for (const auto& id : published_) ASSERT_EQ(state_of(id), "published") << reason_of(id);
    ASSERT_EQ(state_of(held_), "held");
    ASSERT_EQ(state_of(elsewhere_), "published");
  }

  std::vector<std::string> published_;
  std::string held_, elsewhere_;
};

TEST_F(ExportTest, TheLeaversExportHoldsEveryPublishedItemOfTheJournalAndNothingElse) {
  make_journal();
  const auto left = leave(kit_);
  EXPECT_GT(left.export_job, 0);
  EXPECT_EQ(left.leaver.purge_due.size(), 10u);
  ASSERT_EQ(run_all("export"), 1);
  ASSERT_EQ(last_summary_.value("recorded", false), true) << last_summary_.dump();

  // Recorded on the leaver row and audited.
  pqxx::work tx(*conn_);
  const auto leaver = find_leaver(tx, kit_);
  tx.commit();
  ASSERT_TRUE(leaver);
  ASSERT_FALSE(leaver->export_path.empty());
  EXPECT_EQ(leaver->export_path, leaver_export_path(settings_, kit_));
  std::int64_t bytes = 0;
  EXPECT_EQ(sha256_of_file(leaver->export_path, &bytes), leaver->export_sha256);
  EXPECT_EQ(bytes, leaver->export_bytes);
  const auto audited = audit_rows();
  bool found = false;
  for (const auto& r : audited)
    if (r.action == "journal.exported") {
      const auto d = nlohmann::json::parse(r.detail);
      EXPECT_EQ(d["sha256"], leaver->export_sha256);
      EXPECT_EQ(d["path"], leaver->export_path);
      EXPECT_EQ(d["items"], 3);
      found = true;
    }
  EXPECT_TRUE(found);

  const auto entries = zip_entries(leaver->export_path);
  ASSERT_TRUE(entries.count(kExportManifest));
  ASSERT_TRUE(entries.count(kExportIndex));
  const auto manifest = nlohmann::json::parse(entries.at(kExportManifest));
  EXPECT_EQ(manifest["format"], kExportFormat);
  EXPECT_EQ(manifest["format_version"], kExportFormatVersion);
  EXPECT_EQ(manifest["veil_version"], veil_version());
  EXPECT_EQ(manifest["child"]["name"], "Kit");
  ASSERT_EQ(manifest["items"].size(), published_.size()) << "every published item, not the held one nor Amara's";

  // Every rendition of every published item, byte for byte, and no other file.
  std::multiset<std::string> expected_sha, manifest_sha;
  for (const auto& id : published_)
    for (const auto& r : renditions_of(id)) expected_sha.insert(r.sha256);
  std::set<std::string> listed{kExportManifest, kExportIndex};
  const std::string index = entries.at(kExportIndex);
  for (const auto& item : manifest["items"]) {
    EXPECT_EQ(item["kind"], "photo");
    EXPECT_EQ(item["date"].get<std::string>(), item["created_at"].get<std::string>().substr(0, 10));
    for (const auto& r : item["renditions"]) {
      const std::string file = r["file"];
      listed.insert(file);
      ASSERT_TRUE(entries.count(file)) << file;
      EXPECT_EQ(sha256_hex_of(entries.at(file)), r["sha256"].get<std::string>()) << file;
      EXPECT_EQ(static_cast<std::int64_t>(entries.at(file).size()), r["bytes"].get<std::int64_t>()) << file;
      manifest_sha.insert(r["sha256"].get<std::string>());
      if (r["kind"] == "display" || r["kind"] == "thumb") {
        EXPECT_NE(index.find("\"" + file + "\""), std::string::npos) << "index.html shows " << file;
      }
    }
  }
  EXPECT_EQ(manifest_sha, expected_sha);
  std::set<std::string> names;
  for (const auto& [name, content] : entries) names.insert(name);
  EXPECT_EQ(names, listed) << "nothing the manifest does not list";
  EXPECT_NE(index.find("obs-2026-03 &lt;painting&gt; &amp; &quot;sand&quot;"), std::string::npos)
      << "the observation, escaped";
  EXPECT_EQ(index.find("<script"), std::string::npos);
  EXPECT_EQ(index.find("http"), std::string::npos) << "opens offline: nothing fetched";

  // No original: no entry is any stored original's plaintext; no metadata in any image.
  std::set<std::string> originals;
  for (const auto& id : {published_[0], published_[1], published_[2], held_, elsewhere_})
    originals.insert(sha256_hex_of(original_of(id)));
  for (const auto& [name, content] : entries) {
    EXPECT_FALSE(originals.count(sha256_hex_of(content))) << name << " is an original";
    if (name.size() > 4 && name.substr(name.size() - 4) == ".jpg") {
      ASSERT_GE(content.size(), 4u);
      EXPECT_EQ(static_cast<unsigned char>(content[0]), 0xFF);
      EXPECT_EQ(static_cast<unsigned char>(content[1]), 0xD8);
      EXPECT_EQ(content.find(std::string("Exif\0\0", 6)), std::string::npos) << name << " has EXIF";
      EXPECT_EQ(content.find("http://ns.adobe.com/xap"), std::string::npos) << name << " has XMP";
      EXPECT_EQ(content.find("ICC_PROFILE"), std::string::npos) << name << " has an ICC profile";
    }
  }
  EXPECT_EQ(nlohmann::json::parse(entries.at(kExportManifest)).dump().find(published_[0]), std::string::npos)
      << "the manifest carries no media id of this setting";
  EXPECT_TRUE(verify_audit(*conn_).ok);
}

class ImportTest : public ExportTest {
 protected:
  void SetUp() override {
    ExportTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    other_ = std::make_unique<pqxx::connection>(second_.url());
    apply_migrations(*other_);
    other_renditions_ = data_ + "/second-setting/renditions";
  }

  std::int64_t other_count(const std::string& sql) {
    pqxx::work tx(*other_);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  int files_under(const std::string& dir) {
    if (!std::filesystem::exists(dir)) return 0;
    int n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
      if (e.is_regular_file()) ++n;
    return n;
  }
  // The import of `path` is refused with a message containing `why`, and leaves nothing.
  void expect_refused(const std::string& path, const std::string& why) {
    const auto children = other_count("SELECT count(*) FROM children");
    const auto media = other_count("SELECT count(*) FROM media");
    const auto audit = other_count("SELECT count(*) FROM audit");
    const int files = files_under(other_renditions_);
    try {
      const auto v = verify_journal_export(path);
      import_journal(*other_, v, other_renditions_, "Kit", "test");
      ADD_FAILURE() << path << " was imported";
    } catch (const ExportRefused& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
    EXPECT_EQ(other_count("SELECT count(*) FROM children"), children);
    EXPECT_EQ(other_count("SELECT count(*) FROM media"), media);
    EXPECT_EQ(other_count("SELECT count(*) FROM audit"), audit);
    EXPECT_EQ(files_under(other_renditions_), files);
  }

  test::ScratchDatabase second_;
  std::unique_ptr<pqxx::connection> other_;
  std::string other_renditions_;
};

TEST_F(ImportTest, AnImportIntoASecondSettingRecreatesTheJournal) {
  make_journal();
  const std::string path = data_ + "/kit.zip";
  const ExportResult exported = write_journal_export(*conn_, kit_, path);
  ASSERT_EQ(exported.items, 3);

  const VerifiedExport v = verify_journal_export(path);
  EXPECT_EQ(v.child_name, "Kit");
  EXPECT_EQ(v.sha256, exported.sha256);
  const ImportResult r = import_journal(*other_, v, other_renditions_, "", "test");
  ASSERT_EQ(r.media_ids.size(), 3u);
  EXPECT_EQ(r.files, exported.files);

  pqxx::work tx(*other_);
  const auto child = tx.exec_params1("SELECT display_name, status FROM children WHERE id = $1", r.child_id);
  EXPECT_EQ(child[0].as<std::string>(), "Kit");
  EXPECT_EQ(child[1].as<std::string>(), "active");
  // The journal front end sees every item, with files byte for byte the exported ones.
  const auto shown = tx.exec_params(
      "SELECT media_id::text, kind, path, sha256, bytes, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
      "coalesce(observation_ref, '') FROM journal_renditions WHERE journal_child_id = $1",
      r.child_id);
  EXPECT_EQ(static_cast<int>(shown.size()), exported.files);
  std::multiset<std::string> imported_sha, exported_sha;
  bool observation = false;
  for (const auto& row : shown) {
    const std::string file = row[2].as<std::string>();
    EXPECT_EQ(file.rfind(other_renditions_, 0), 0u) << file;
    EXPECT_EQ(sha256_hex_of(read_file(file)), row[3].as<std::string>()) << file;
    imported_sha.insert(row[3].as<std::string>());
    if (row[6].as<std::string>() == "obs-2026-03 <painting> & \"sand\"") observation = true;
  }
  for (const auto& id : published_)
    for (const auto& rr : renditions_of(id)) exported_sha.insert(rr.sha256);
  EXPECT_EQ(imported_sha, exported_sha);
  EXPECT_TRUE(observation) << "observation references kept";
  // Dates kept; no original, no job, no faces.
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM media WHERE journal_child_id = $1 AND state = 'published' "
                            "AND imported_at IS NOT NULL",
                            r.child_id)[0]
                .as<int>(),
            3);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM jobs")[0].as<int>(), 0);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM faces")[0].as<int>(), 0);
  const auto first_date = tx.exec_params1("SELECT min(created_at)::date::text FROM media WHERE journal_child_id = $1",
                                          r.child_id)[0]
                              .as<std::string>();
  tx.commit();
  EXPECT_EQ(first_date, v.items.front().created_at.substr(0, 10));
  EXPECT_EQ(other_count("SELECT count(*) FROM audit WHERE action = 'media.imported'"), 3);
  EXPECT_EQ(other_count("SELECT count(*) FROM audit WHERE action = 'journal.imported'"), 1);
  EXPECT_TRUE(verify_audit(*other_).ok);

  // The same file again: the name is taken, nothing more is imported.
  const auto media = other_count("SELECT count(*) FROM media");
  EXPECT_THROW(import_journal(*other_, v, other_renditions_, "", "test"), std::invalid_argument);
  EXPECT_EQ(other_count("SELECT count(*) FROM media"), media);
}

TEST_F(ImportTest, ADamagedOrForeignExportIsRefusedWhole) {
  make_journal();
  const std::string path = data_ + "/kit.zip";
  write_journal_export(*conn_, kit_, path);
  const auto entries = zip_entries(path);
  const auto manifest = nlohmann::json::parse(entries.at(kExportManifest));
  const std::string last_file = manifest["items"].back()["renditions"].back()["file"];

  // One rendition changed (a valid ZIP whose CRCs match: only the sha256 sees it).
  auto tampered = entries;
  tampered[last_file][tampered[last_file].size() / 2] ^= 0x20;
  write_zip(data_ + "/tampered.zip", tampered);
  expect_refused(data_ + "/tampered.zip", last_file + " in the export does not match its sha256");

  // A byte flipped in the file itself.
  std::string raw = read_file(path);
  const auto at = raw.find(entries.at(last_file).substr(100, 32));
  ASSERT_NE(at, std::string::npos);
  raw[at + 5] ^= 0x01;
  std::ofstream(data_ + "/flipped.zip", std::ios::binary) << raw;
  expect_refused(data_ + "/flipped.zip", "damaged");

  // Truncated.
  std::ofstream(data_ + "/truncated.zip", std::ios::binary) << read_file(path).substr(0, raw.size() / 2);
  expect_refused(data_ + "/truncated.zip", "not a Veil journal export");

  // A file missing, an extra one, another version, another format, not a ZIP at all.
  auto missing = entries;
  missing.erase(last_file);
  write_zip(data_ + "/missing.zip", missing);
  expect_refused(data_ + "/missing.zip", "lacks " + last_file);
  auto extra = entries;
  extra["media/notes.txt"] = "hello";
  write_zip(data_ + "/extra.zip", extra);
  expect_refused(data_ + "/extra.zip", "does not list: media/notes.txt");
  auto v2 = entries;
  auto m2 = manifest;
  m2["format_version"] = 2;
  v2[kExportManifest] = m2.dump();
  write_zip(data_ + "/v2.zip", v2);
  expect_refused(data_ + "/v2.zip", "format version 2");
  write_zip(data_ + "/foreign.zip", {{"README.txt", "holiday photos"}});
  expect_refused(data_ + "/foreign.zip", "no journal.json");
  auto other_format = entries;
  auto m3 = manifest;
  m3["format"] = "someone-elses-journal";
  other_format[kExportManifest] = m3.dump();
  write_zip(data_ + "/other.zip", other_format);
  expect_refused(data_ + "/other.zip", "format is not");
  std::ofstream(data_ + "/photo.zip", std::ios::binary) << read_file(kit_photo());
  expect_refused(data_ + "/photo.zip", "not a readable ZIP");

  // The genuine file still imports.
  const auto r = import_journal(*other_, verify_journal_export(path), other_renditions_, "", "test");
  EXPECT_EQ(r.media_ids.size(), 3u);
}

}  // namespace
}  // namespace veil

// The start-up sweep of superseded renditions (jobs/rendition_sweep.h) on real PostgreSQL: a
// version below the one the rows name goes; the current one, a newer one being written, and an
// item without rendition rows stay.
#include <filesystem>
#include <fstream>

#include <pqxx/pqxx>

#include "jobs/rendition_sweep.h"
#include "storage/children_repository.h"
#include "storage/media_repository.h"
#include "tests/database_test.h"
#include "tests/test_support.h"

namespace veil {
namespace {

class RenditionSweepTest : public test::DatabaseTest {};

TEST_F(RenditionSweepTest, OnlyVersionsBelowTheRecordedOneAreRemoved) {
  test::TempDir tmp;
  const std::string root = tmp.path() + "/renditions";
  std::string recorded, unrecorded;
  {
    pqxx::work tx(*conn_);
    add_person(tx, "staff", "Mrs Patel", "", "test");
    const std::int64_t kit = add_child(tx, "Kit", "Mrs Patel", "test");
    const char* insert =
        "INSERT INTO media (id, journal_child_id, uploader_role, kind, original_sha256, bytes, state) "
        "VALUES (gen_random_uuid(), $1, 'staff', 'photo', 'x', 1, 'published') RETURNING id::text";
    recorded = tx.exec_params1(insert, kit)[0].as<std::string>();
    unrecorded = tx.exec_params1(insert, kit)[0].as<std::string>();
    insert_rendition(tx, recorded, NewRendition{2, "display", root + "/" + recorded + "/v2/display.jpg", "image/jpeg",
                                                10, 10, 1, "x"});
    tx.commit();
  }
  for (const auto& dir : {recorded + "/v1", recorded + "/v2", recorded + "/v3", recorded + "/notes", unrecorded + "/v1"}) {
    std::filesystem::create_directories(root + "/" + dir);
    std::ofstream(root + "/" + dir + "/display.jpg") << "pixels";
  }
  EXPECT_EQ(sweep_superseded_renditions(*conn_, root), 1);
  EXPECT_FALSE(std::filesystem::exists(root + "/" + recorded + "/v1")) << "superseded by v2";
  EXPECT_TRUE(std::filesystem::exists(root + "/" + recorded + "/v2/display.jpg")) << "the recorded version";
  EXPECT_TRUE(std::filesystem::exists(root + "/" + recorded + "/v3")) << "a newer version may be being written";
  EXPECT_TRUE(std::filesystem::exists(root + "/" + recorded + "/notes"));
  EXPECT_TRUE(std::filesystem::exists(root + "/" + unrecorded + "/v1")) << "no rows: not the sweep's to judge";
  EXPECT_EQ(sweep_superseded_renditions(*conn_, root), 0) << "nothing left to remove";
  EXPECT_EQ(sweep_superseded_renditions(*conn_, tmp.path() + "/absent"), 0);
}

}  // namespace
}  // namespace veil

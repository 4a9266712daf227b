// The HTTP API's moderation routes on real uploads through the real pipeline: what staff may
// see, the consent rule on unblur, approve and its event, reject (withdraw) deleting the
// files, a face added by hand painted into a new rendition version.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "tests/api/api_fixture.h"

namespace veil {
namespace {

using test::ApiTest;
using test::Login;
using json = nlohmann::json;

std::set<std::string> ids_of(const json& page) {
  std::set<std::string> ids;
  for (const auto& item : page["items"]) ids.insert(item["id"]);
  return ids;
}

// The rendition files of the item's current version, from the database.
std::vector<std::string> rendition_paths(const std::string& url, const std::string& id) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  std::vector<std::string> out;
  for (const auto& r : tx.exec_params("SELECT path FROM renditions WHERE media_id = $1 ORDER BY kind", id))
    out.push_back(r[0].as<std::string>());
  return out;
}

std::string display_path(const std::string& url, const std::string& id) {
  return test::query_text(url, "SELECT path FROM renditions WHERE kind = 'display' AND media_id = '" + id + "'");
}

TEST_F(ApiTest, StaffSeeOnlyTheirKeyChildrensItemsAndDecideNothing) {
  start();
  const std::string kit_item = submit_held(test::testdata("faces/_multi/kit_with_rose.jpg"), kit_, "k1");
  const std::string rose_item = submit_held(test::testdata("faces/Rose_Leslie/img2.jpg"), rose_, "r1");
  const Login staff = login("sam"), manager = login("maria");

  auto r = get(staff, "/api/moderation");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(ids_of(json_of(r)), std::set<std::string>{kit_item});
  EXPECT_EQ(json_of(r)["total"], 1);
  r = get(manager, "/api/moderation?state=pending");
  EXPECT_EQ(ids_of(json_of(r)), (std::set<std::string>{kit_item, rose_item}));
  EXPECT_EQ(json_of(r)["counts"]["by_reason"]["parent_upload"], 2) << r->body;
  EXPECT_EQ(json_of(r)["items"][0]["id"], kit_item) << "oldest first";

  EXPECT_EQ(get(staff, "/api/media/" + kit_item)->status, 200);
  r = get(staff, "/api/media/" + rose_item);
  EXPECT_EQ(r->status, 404) << "another child's item does not exist for staff";
  EXPECT_EQ(get(staff, "/api/media/" + rose_item + "/review.jpg")->status, 404);
  EXPECT_EQ(post(staff, "/api/media/" + kit_item + "/approve")->status, 403);
  EXPECT_EQ(get(staff, "/api/media/" + kit_item + "/faces/1.jpg")->status, 403) << "no unblurred faces for staff";
  EXPECT_EQ(media_state(kit_item), "held");

  const auto item = json_of(get(manager, "/api/media/" + kit_item));
  EXPECT_EQ(item["state"], "held");
  EXPECT_EQ(item["journal_child"]["name"], "Kit");
  EXPECT_EQ(item["reasons"], json::array({"parent_upload"}));
  ASSERT_FALSE(item["renditions"].empty());
  for (const auto& rendition : item["renditions"]) EXPECT_FALSE(rendition.contains("path")) << "never a path";
  const auto review = get(manager, "/api/media/" + kit_item + "/review.jpg");
  ASSERT_EQ(review->status, 200);
  EXPECT_EQ(review->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(review->body.substr(0, 2), "\xFF\xD8");
  const auto crop = get(manager, "/api/media/" + kit_item + "/faces/1.jpg");
  ASSERT_EQ(crop->status, 200) << crop->body;
  EXPECT_EQ(crop->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(test::query_int(db_.url(), "SELECT count(*) FROM audit WHERE action = 'face.viewed' AND actor = 'maria'"),
            1);
  EXPECT_EQ(get(manager, "/api/media/" + kit_item + "/faces/99.jpg")->status, 404);

  // Whom a face may be assigned to: for those who may assign.
  EXPECT_EQ(get(staff, "/api/children")->status, 403);
  const auto children = json_of(get(manager, "/api/children"))["children"];
  std::set<std::string> names;
  for (const auto& c : children) names.insert(c["name"]);
  EXPECT_EQ(names, (std::set<std::string>{"Ada", "Kit", "Rose"}));
}

TEST_F(ApiTest, UnblurringAChildWithoutConsentIsRefusedWithTheReason) {
  start();
  const std::string id = submit_held(test::testdata("faces/_multi/kit_with_rose.jpg"), kit_, "k1");
  const Login senior = login("sol");
  const auto item = json_of(get(senior, "/api/media/" + id));
  int rose_face = 0;
  for (const auto& f : item["faces"])
    if (f["child"].is_object() && f["child"]["name"] == "Rose") rose_face = f["n"];
  ASSERT_GT(rose_face, 0) << item.dump(1);
  EXPECT_EQ(item["faces"][rose_face - 1]["decision"], "blur");
  EXPECT_EQ(item["faces"][rose_face - 1]["may_unblur"], false);
  const auto r = post(senior, "/api/media/" + id + "/faces/" + std::to_string(rose_face) + "/unblur");
  ASSERT_EQ(r->status, 409) << r->body;
  const std::string why = json_of(r)["error"];
  EXPECT_NE(why.find("Rose"), std::string::npos) << why;
  EXPECT_EQ(media_state(id), "held") << "nothing changed";
  EXPECT_EQ(post(senior, "/api/media/" + id + "/faces/77/unblur")->status, 404);
}

TEST_F(ApiTest, ApprovePublishesWithAnEventAndRejectWithdrawsDeletingTheFiles) {
  start();
  const std::string id = submit_held(test::testdata("faces/_multi/kit_with_rose.jpg"), kit_, "k1");
  zmq::context_t ctx;
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::curve_serverkey, service_->server_public_key());
  sub.set(zmq::sockopt::curve_publickey, nursery_.device_keys.public_key);
  sub.set(zmq::sockopt::curve_secretkey, nursery_.device_keys.secret_key);
  sub.set(zmq::sockopt::subscribe, "media.");
  sub.set(zmq::sockopt::rcvtimeo, 10000);
  sub.connect(service_->events_endpoint());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // PUB drops what a late subscriber missed

  const Login manager = login("maria");
  auto r = post(manager, "/api/media/" + id + "/approve", {{"note", "fine by Kit's parents"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["state"], "published");
  EXPECT_EQ(json_of(r)["moderation"]["state"], "approved");
  EXPECT_EQ(json_of(r)["moderation"]["decided_by"], "maria");
  EXPECT_EQ(json_of(r)["moderation"]["note"], "fine by Kit's parents");
  EXPECT_EQ(media_state(id), "published");
  std::vector<zmq::message_t> frames;
  ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(frames))) << "no event within 10 s";
  EXPECT_EQ(frames[0].to_string(), "media.approved");
  EXPECT_EQ(json::parse(frames[1].to_string())["media_id"], id);
  EXPECT_EQ(post(manager, "/api/media/" + id + "/approve")->status, 409) << "not held any more";
  EXPECT_EQ(ids_of(json_of(get(manager, "/api/media?state=published"))), std::set<std::string>{id});

  const auto files = rendition_paths(db_.url(), id);
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) EXPECT_TRUE(std::filesystem::exists(f)) << f;
  r = post(manager, "/api/media/" + id + "/reject", {{"note", "withdrawn after a spot check"}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["state"], "rejected");
  EXPECT_EQ(media_state(id), "rejected");
  for (const auto& f : files) EXPECT_FALSE(std::filesystem::exists(f)) << f << " still on disk";
  frames.clear();
  ASSERT_TRUE(zmq::recv_multipart(sub, std::back_inserter(frames)));
  EXPECT_EQ(frames[0].to_string(), "media.rejected");
  EXPECT_TRUE(json_of(get(manager, "/api/media?state=published"))["items"].empty());
  EXPECT_EQ(test::query_int(db_.url(), "SELECT count(*) FROM audit WHERE actor = 'maria' AND action IN "
                                       "('media.approved', 'media.rejected')"),
            2);
}

TEST_F(ApiTest, AFaceAddedByHandIsPaintedInTheNextVersion) {
  start();
  const std::string id = submit_held(test::testdata("faces/_multi/kit_with_rose.jpg"), kit_, "k1");
  const Login manager = login("maria");
  const auto before = json_of(get(manager, "/api/media/" + id));
  const int width = before["width"], height = before["height"];
  const std::string old_display = display_path(db_.url(), id);
  const cv::Mat old_pixels = cv::imread(old_display, cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(old_pixels.empty()) << old_display;
  // A box over the bodies in the lower middle, where no face was found.
  const json box = {width * 3 / 10, height * 6 / 10, width * 4 / 10, height / 4};
  auto r = post(manager, "/api/media/" + id + "/faces", {{"box", box}});
  ASSERT_EQ(r->status, 200) << r->body;
  const auto added = json_of(r);
  EXPECT_EQ(added["state"], "processing");
  ASSERT_EQ(added["faces"].size(), before["faces"].size() + 1);
  EXPECT_EQ(added["faces"].back()["decision"], "blur");
  EXPECT_EQ(added["faces"].back()["decided_by"], "maria");
  EXPECT_EQ(post(manager, "/api/media/" + id + "/approve")->status, 409) << "not while processing";
  EXPECT_EQ(post(manager, "/api/media/" + id + "/faces", {{"box", {1, 2}}})->status, 400);

  ASSERT_TRUE(wait_state(id, "held", 90)) << "state " << media_state(id);
  const auto after = json_of(get(manager, "/api/media/" + id));
  EXPECT_GT(after["version"].get<int>(), before["version"].get<int>());
  EXPECT_EQ(after["faces"].size(), before["faces"].size() + 1) << "the hand-made face survives processing";
  EXPECT_FALSE(std::filesystem::exists(old_display)) << "the old version's files are deleted";
  const cv::Mat new_pixels = cv::imread(display_path(db_.url(), id), cv::IMREAD_GRAYSCALE);
  ASSERT_EQ(new_pixels.size(), old_pixels.size());
  // Inside the box the pixels changed (painted over); well away from it they did not.
  const cv::Rect inside(old_pixels.cols * 4 / 10, old_pixels.rows * 65 / 100, old_pixels.cols / 5, old_pixels.rows / 8);
  const cv::Rect far(0, 0, old_pixels.cols / 8, old_pixels.rows / 12);
  cv::Mat diff;
  cv::absdiff(old_pixels, new_pixels, diff);
  EXPECT_GT(cv::mean(diff(inside))[0], 2.0) << "the added face is not painted";
  EXPECT_LT(cv::mean(diff(far))[0], 3.0) << "pixels far from the box changed";
}

}  // namespace
}  // namespace veil

// The HTTP API's sessions: the cookie's attributes, wrong passwords and lockout, CSRF, expiry,
// logout, error answers and headers, the page, and the login history.
#include <gtest/gtest.h>

#include "daemon/api_session.h"
#include "daemon/static_files.h"
#include "tests/api/api_fixture.h"

namespace veil {
namespace {

using test::ApiTest;
using test::Login;

TEST(ApiSession, TheSessionCookieIsFoundAmongOthersByItsExactName) {
  httplib::Request r;
  EXPECT_EQ(session_cookie_value(r), "");
  r.headers.emplace("Cookie", "veil_session_old=1; theme=dark");
  EXPECT_EQ(session_cookie_value(r), "") << "a longer name is another cookie";
  r.headers.emplace("Cookie", "a=b;veil_session=TOKEN-1 ; c=d");
  EXPECT_EQ(session_cookie_value(r), "TOKEN-1");
  EXPECT_EQ(session_set_cookie("T", 60, true), "veil_session=T; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=60");
  EXPECT_EQ(session_clear_cookie(false), "veil_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST(StaticFiles, OnlyKnownFilesOfTheDirectoryAndAnIndexIsRequired) {
  test::TempDir dir;
  EXPECT_THROW(StaticFiles::load(dir.path()), std::runtime_error) << "no index.html";
  std::ofstream(dir.path() + "/index.html") << "<!doctype html>";
  std::ofstream(dir.path() + "/app.js") << "1";
  std::ofstream(dir.path() + "/secret.key") << "no";
  std::filesystem::create_directories(dir.path() + "/sub");
  std::ofstream(dir.path() + "/sub/x.js") << "no";
  const StaticFiles files = StaticFiles::load(dir.path());
  EXPECT_EQ(files.size(), 2u);
  EXPECT_EQ(files.find("app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files.find("secret.key"), nullptr);
  EXPECT_EQ(files.find("sub/x.js"), nullptr);
  EXPECT_THROW(StaticFiles::load(dir.path() + "/missing"), std::runtime_error);
}

TEST_F(ApiTest, LoginSetsAStrictHttpOnlyCookieAndTheSessionNamesTheAccount) {
  start();
  const Login l = login("Maria");  // names are found whatever their case
  EXPECT_EQ(l.cookie.rfind("veil_session=", 0), 0u) << l.set_cookie;
  EXPECT_GT(l.cookie.size(), std::string("veil_session=").size() + 40) << "a 256-bit token";
  for (const char* attribute : {"; HttpOnly", "; SameSite=Strict", "; Path=/", "; Max-Age=43200"})
    EXPECT_NE(l.set_cookie.find(attribute), std::string::npos) << attribute << " in " << l.set_cookie;
  EXPECT_EQ(l.set_cookie.find("Secure"), std::string::npos) << "plain HTTP unless secure_cookies";
  EXPECT_EQ(l.csrf.size(), 43u);

  auto r = get(l, "/api/session");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["account"], (nlohmann::json{{"name", "maria"}, {"role", "manager"}}));
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");

  r = http_->Get("/api/session");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json_of(r)["error"], "not logged in");
  r = http_->Get("/api/session", httplib::Headers{{"Cookie", "veil_session=" + std::string(43, 'A')}});
  EXPECT_EQ(r->status, 401) << "an unknown token";
}

TEST_F(ApiTest, BehindTlsTheCookieIsSecure) {
  Config c = config();
  c.http.secure_cookies = true;
  start(c);
  EXPECT_NE(login("sol").set_cookie.find("; Secure"), std::string::npos);
}

TEST_F(ApiTest, WrongPasswordIs401AndTooManyLockTheAccount423) {
  start();
  for (int i = 0; i < 2; ++i) {
    const auto r = http_->Post("/api/session", R"({"name": "sol", "password": "wrong"})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_FALSE(r->has_header("Set-Cookie"));
  }
  auto unknown = http_->Post("/api/session", R"({"name": "nobody", "password": "wrong"})", "application/json");
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(json_of(unknown), json_of(http_->Post("/api/session", R"({"name": "sam", "password": "x"})",
                                                  "application/json")))
      << "an unknown name and a wrong password get the same answer";
  auto third = http_->Post("/api/session", R"({"name": "sol", "password": "wrong"})", "application/json");
  EXPECT_EQ(third->status, 423) << third->body;
  EXPECT_NE(json_of(third)["error"].get<std::string>().find("locked until"), std::string::npos) << third->body;
  const auto right = http_->Post("/api/session", nlohmann::json{{"name", "sol"}, {"password", test::kPassword}}.dump(),
                                 "application/json");
  EXPECT_EQ(right->status, 423) << "locked whatever the password";
  // Not JSON, or not a form a cross-site page could send: refused before any password check.
  EXPECT_EQ(http_->Post("/api/session", "{nope", "application/json")->status, 400);
  EXPECT_EQ(http_->Post("/api/session", "name=sol&password=x", "application/x-www-form-urlencoded")->status, 400);
  EXPECT_EQ(http_->Post("/api/session", R"({"name": "sol"})", "application/json")->status, 400);
}

TEST_F(ApiTest, StateChangesWithoutTheRightCsrfTokenAre403) {
  start();
  const Login l = login("maria");
  const std::string none, wrong(43, 'x');
  const std::string item = "/api/media/00000000-0000-4000-8000-000000000000/approve";
  auto r = post(l, item, {{"note", "x"}}, &none);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(json_of(r)["error"], "missing X-CSRF-Token header");
  EXPECT_EQ(post(l, item, {}, &wrong)->status, 403);
  EXPECT_EQ(post(l, item)->status, 404) << "with the token the request reaches the item (which does not exist)";
  // Another session's token is no good either.
  const Login other = login("sol");
  EXPECT_EQ(post(l, item, {}, &other.csrf)->status, 403);
  // Logging out needs the token too.
  EXPECT_EQ(http_->Delete("/api/session", httplib::Headers{{"Cookie", l.cookie}})->status, 403);
  r = http_->Delete("/api/session", httplib::Headers{{"Cookie", l.cookie}, {"X-CSRF-Token", l.csrf}});
  EXPECT_EQ(r->status, 204);
  EXPECT_NE(r->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(get(l, "/api/session")->status, 401) << "the session ended";
  EXPECT_EQ(get(other, "/api/session")->status, 200) << "the other one did not";
}

TEST_F(ApiTest, AnIdleSessionExpires) {
  start();
  const Login l = login("sam");
  advance(std::chrono::minutes(29));
  EXPECT_EQ(get(l, "/api/session")->status, 200) << "used within the idle timeout";
  advance(std::chrono::minutes(29));
  EXPECT_EQ(get(l, "/api/session")->status, 200) << "each request counts as activity";
  advance(std::chrono::minutes(31));
  const auto r = get(l, "/api/session");
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json_of(r)["error"], "session ended or expired: log in again");
}

TEST_F(ApiTest, ErrorsAreJsonAndThePageCarriesItsSecurityHeaders) {
  Config c = config();
  c.http.max_body_bytes = 2048;
  start(c);
  const Login l = login("maria");
  auto r = post(l, "/api/media/00000000-0000-4000-8000-000000000000/reject",
                nlohmann::json{{"note", std::string(4096, 'n')}});
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(json_of(r)["error"], "request body too large");
  r = http_->Post("/api/media/00000000-0000-4000-8000-000000000000/reject",
                  httplib::Headers{{"Cookie", l.cookie}, {"X-CSRF-Token", l.csrf}}, "[1, 2", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json_of(r)["error"], "the body is not valid JSON");
  r = get(l, "/api/nothing-here");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json_of(r)["error"], "not found");
  EXPECT_EQ(get(l, "/api/moderation?limit=0")->status, 400);
  EXPECT_EQ(get(l, "/api/moderation?state=maybe")->status, 400);

  r = http_->Get("/");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<title>Veil moderation</title>"), std::string::npos);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  const std::string csp = r->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(r->body.find("<script>"), std::string::npos) << "no inline script";
  r = http_->Get("/app.js");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(http_->Get("/../config/config.h")->status, 404);
  EXPECT_EQ(http_->Get("/%2e%2e/CMakeLists.txt")->status, 404);
  EXPECT_EQ(http_->Get("/healthz")->status, 200) << "the operations endpoint is still there";
}

TEST_F(ApiTest, TheLoginHistoryIsForManagers) {
  start();
  http_->Post("/api/session", R"({"name": "sam", "password": "wrong"})", "application/json");
  const Login staff = login("sam");
  const Login senior = login("sol");
  EXPECT_EQ(get(staff, "/api/logins")->status, 403);
  EXPECT_EQ(get(senior, "/api/logins")->status, 403);
  const Login manager = login("maria");
  const auto r = get(manager, "/api/logins?limit=3");
  ASSERT_EQ(r->status, 200) << r->body;
  const auto logins = json_of(r)["logins"];
  ASSERT_EQ(logins.size(), 3u) << r->body;
  EXPECT_EQ(logins[0]["name"], "maria") << "newest first";
  EXPECT_EQ(logins[0]["action"], "login.succeeded");
  EXPECT_NE(logins[0]["client"].get<std::string>().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(logins[2]["name"], "sam");
  EXPECT_FALSE(json_of(r)["next"].is_null());
  const auto rest = json_of(get(manager, "/api/logins?before=" + std::to_string(json_of(r)["next"].get<int>())));
  ASSERT_EQ(rest["logins"].size(), 1u) << rest;
  EXPECT_EQ(rest["logins"][0]["action"], "login.failed");
  EXPECT_EQ(rest["logins"][0]["reason"], "wrong_password");
  EXPECT_EQ(r->body.find(test::kPassword), std::string::npos);
}

}  // namespace
}  // namespace veil

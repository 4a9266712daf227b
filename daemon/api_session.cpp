// Cookie parsing and building; the session and CSRF checks of every API request.
#include "daemon/api_session.h"

#include <httplib.h>

#include "daemon/api_error.h"

namespace veil {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string cookie_attributes(bool secure) {
  return std::string("; Path=/; HttpOnly; SameSite=Strict") + (secure ? "; Secure" : "");
}

}  // namespace

std::string session_cookie_value(const httplib::Request& request) {
  const std::string wanted = std::string(kSessionCookie) + "=";
  const std::size_t headers = request.get_header_value_count("Cookie");
  for (std::size_t h = 0; h < headers; ++h) {
    const std::string line = request.get_header_value("Cookie", h);
    std::size_t start = 0;
    while (start <= line.size()) {
      const std::size_t end = std::min(line.find(';', start), line.size());
      const std::string pair = trim(line.substr(start, end - start));
      if (pair.rfind(wanted, 0) == 0) return pair.substr(wanted.size());
      start = end + 1;
    }
  }
  return "";
}

std::string session_set_cookie(const std::string& token, long long max_age_s, bool secure) {
  return std::string(kSessionCookie) + "=" + token + cookie_attributes(secure) +
         "; Max-Age=" + std::to_string(std::max(0LL, max_age_s));
}

std::string session_clear_cookie(bool secure) {
  return std::string(kSessionCookie) + "=" + cookie_attributes(secure) + "; Max-Age=0";
}

std::string client_description(const httplib::Request& request) {
  std::string client = request.remote_addr;
  // Behind the TLS proxy every request comes from 127.0.0.1; the proxy names the browser.
  if (request.has_header("X-Forwarded-For")) client += " (for " + request.get_header_value("X-Forwarded-For") + ")";
  if (request.has_header("User-Agent")) client += " " + request.get_header_value("User-Agent");
  return client;
}

Session require_session(const SessionService& sessions, pqxx::connection_base& db, const httplib::Request& request,
                        TimePoint now) {
  const std::string token = session_cookie_value(request);
  if (token.empty()) throw ApiError(401, "not logged in");
  auto session = sessions.authenticate(db, token, now);
  if (!session) throw ApiError(401, "session ended or expired: log in again");
  return std::move(*session);
}

void require_csrf(const Session& session, const httplib::Request& request) {
  const std::string token = request.get_header_value(kCsrfHeader);
  if (token.empty()) throw ApiError(403, "missing X-CSRF-Token header");
  if (!SessionService::check_csrf(session, token)) throw ApiError(403, "wrong X-CSRF-Token");
}

}  // namespace veil

// The session cookie and the CSRF header of the HTTP API, over accounts/session_service.
//
// The session token travels only in the cookie `veil_session` (HttpOnly: page scripts cannot
// read it; SameSite=Strict: other sites' pages cannot make the browser send it; Path=/;
// Secure when http.secure_cookies says a TLS proxy is in front; Max-Age: the session's
// absolute end). The CSRF token the login answered travels in the X-CSRF-Token header of
// every state-changing request (POST, DELETE), the login itself excepted; the page keeps it
// in sessionStorage. Tokens are never logged.
#pragma once

#include <optional>
#include <string>

#include <pqxx/types.hxx>

#include "accounts/session_service.h"

namespace httplib {
struct Request;
}

namespace veil {

inline constexpr const char* kSessionCookie = "veil_session";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

// The value of the `veil_session` cookie in the request's Cookie header(s); "" when none.
std::string session_cookie_value(const httplib::Request& request);

// The Set-Cookie value that gives the browser `token` until `max_age_s` seconds from now.
std::string session_set_cookie(const std::string& token, long long max_age_s, bool secure);

// The Set-Cookie value that makes the browser forget the session cookie.
std::string session_clear_cookie(bool secure);

// What a login keeps with the session and in the audit log: the client's address and user
// agent (accounts/ makes it printable and cuts it).
std::string client_description(const httplib::Request& request);

// The request's valid session. Throws ApiError 401 when there is no cookie or the session is
// unknown, ended, idle too long or past its end (accounts/ decides, and records the request
// as activity).
Session require_session(const SessionService& sessions, pqxx::connection_base& db, const httplib::Request& request,
                        TimePoint now);

// Throws ApiError 403 unless the request's X-CSRF-Token is the session's CSRF token
// (compared in constant time by accounts/).
void require_csrf(const Session& session, const httplib::Request& request);

}  // namespace veil

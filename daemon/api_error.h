// The errors of the HTTP API (docs/moderation.md): a status code and a message, answered as
// {"error": MESSAGE}. Route handlers throw ApiError; the one wrapper around every route
// (web_api.cpp) turns it, and any other exception, into the answer.
#pragma once

#include <stdexcept>
#include <string>

namespace veil {

class ApiError : public std::runtime_error {
 public:
  // `status`: 400 bad request, 401 no valid session, 403 the role may not (or no CSRF token),
  // 404 no such item or face, 409 refused by a rule, 413 body too large, 423 account locked,
  // 503 database unreachable.
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace veil

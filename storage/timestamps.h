// Instants in the repositories' interfaces. A TimePoint is passed to PostgreSQL, and read
// back, as whole microseconds since the Unix epoch (timestamptz's own resolution), so that a
// time the caller chose (a test's fixed `now`) is stored and compared exactly, whatever the
// session's TimeZone.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace veil {

using TimePoint = std::chrono::system_clock::time_point;

// Whole microseconds since 1970-01-01T00:00:00Z, rounded down; and back.
std::int64_t unix_micros(TimePoint t);
TimePoint from_unix_micros(std::int64_t micros);

// The SQL expression that turns the bigint parameter $n (unix_micros) into a timestamptz.
std::string timestamptz_param(int n);

// The SQL expression that reads the timestamptz `column` as unix_micros (NULL stays NULL).
std::string unix_micros_of(const std::string& column);

// "2026-03-02T09:15:00Z": UTC, to the second, for JSON and messages.
std::string iso8601_utc(TimePoint t);

}  // namespace veil

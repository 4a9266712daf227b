// real[] literals and lists.
#include "storage/sql_arrays.h"

#include <cstdlib>
#include <sstream>

namespace veil {

std::string real_array_literal(const Embedding& values) {
  std::ostringstream out;
  out.precision(9);
  out << '{';
  for (std::size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << '}';
  return out.str();
}

Embedding parse_real_list(const std::string& csv) {
  Embedding e;
  const char* p = csv.c_str();
  while (*p) {
    char* end = nullptr;
    e.push_back(std::strtof(p, &end));
    if (end == p) {
      e.pop_back();
      break;
    }
    p = (*end == ',') ? end + 1 : end;
  }
  return e;
}

}  // namespace veil

// PostgreSQL real[] values as text, both ways: what embeddings and boxes are stored as.
#pragma once

#include <string>

#include "models/face.h"

namespace veil {

// "{v1,v2,...}" with enough digits that every float reads back exactly.
std::string real_array_literal(const Embedding& values);

// The numbers of array_to_string(x, ','): "0.1,0.2" -> {0.1, 0.2}; "" -> {}. Parsing stops at
// the first text that is not a number.
Embedding parse_real_list(const std::string& csv);

}  // namespace veil

// Reading the face index.
#include "storage/face_index.h"

#include <pqxx/pqxx>

#include "storage/sql_arrays.h"

namespace veil {

std::vector<IndexedFace> indexed_faces(pqxx::transaction_base& tx, const std::string& embedder) {
  std::vector<IndexedFace> out;
  for (const auto& r : tx.exec_params(
           "SELECT f.id, f.media_id::text, coalesce(f.matched_child_id, 0), f.decision, "
           "  array_to_string(f.embedding, ',') FROM faces f JOIN media m ON m.id = f.media_id "
           "WHERE m.state IN ('published', 'held', 'withdrawn') AND f.embedding IS NOT NULL AND f.embedder = $1 "
           "  AND f.decided_by IS NULL ORDER BY f.id",
           embedder))
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::int64_t>(), r[3].as<std::string>(),
                   parse_real_list(r[4].as<std::string>())});
  return out;
}

std::vector<FaceEmbedding> media_face_embeddings(pqxx::transaction_base& tx, const std::string& media_id) {
  std::vector<FaceEmbedding> out;
  for (const auto& r : tx.exec_params("SELECT id, coalesce(array_to_string(embedding, ','), ''), "
                                      "coalesce(embedder, '') FROM faces WHERE media_id = $1 ORDER BY id",
                                      media_id))
    out.push_back({r[0].as<std::int64_t>(), parse_real_list(r[1].as<std::string>()), r[2].as<std::string>()});
  return out;
}

Embedding template_embedding(pqxx::transaction_base& tx, std::int64_t template_id, std::int64_t* child_id) {
  const auto r = tx.exec_params("SELECT child_id, array_to_string(embedding, ',') FROM face_templates WHERE id = $1",
                                template_id);
  if (r.empty()) return {};
  if (child_id) *child_id = r[0][0].as<std::int64_t>();
  return parse_real_list(r[0][1].as<std::string>());
}

}  // namespace veil

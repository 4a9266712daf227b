// The face index: the embedding every recorded face was judged with (a photo face, or a video
// track's averaged embedding), kept in `faces` with the embedder that made it, so that an item
// can be judged again, and the items a new template may reach can be found, without detecting
// faces again. Reads only; record() writes the index with the faces (media_repository.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/types.hxx>

#include "models/face.h"

namespace veil {

struct IndexedFace {
  std::int64_t face_id = 0;
  std::string media_id;
  std::int64_t matched_child_id = 0;  // 0: none
  std::string decision;               // keep | blur
  Embedding embedding;
};

// Faces of items that are published, held or withdrawn, with an embedding made by `embedder`
// and decided by the policy (not by a person), in faces.id order.
std::vector<IndexedFace> indexed_faces(pqxx::transaction_base& tx, const std::string& embedder);

struct FaceEmbedding {
  std::int64_t face_id = 0;
  Embedding embedding;   // empty: the face could not be embedded, or has no entry (see embedder)
  std::string embedder;  // the embedder it was judged with; "": no entry (recorded before the
                         // index, or a box drawn by hand)
};
// The index entries of the media's faces, in faces.id order (the order of media_faces()).
std::vector<FaceEmbedding> media_face_embeddings(pqxx::transaction_base& tx, const std::string& media_id);

// The embedding of template `template_id` and its child; empty when there is no such template.
Embedding template_embedding(pqxx::transaction_base& tx, std::int64_t template_id, std::int64_t* child_id = nullptr);

}  // namespace veil

// Held media waiting for moderation.
#include "storage/moderation_queue.h"

#include <pqxx/pqxx>

namespace veil {

void enqueue_for_moderation(pqxx::transaction_base& tx, const std::string& media_id, const std::string& reason) {
  tx.exec_params0("INSERT INTO moderation (media_id, reason) SELECT $1, $2 WHERE NOT EXISTS "
                  "(SELECT 1 FROM moderation WHERE media_id = $1 AND state = 'pending')",
                  media_id, reason);
}

}  // namespace veil

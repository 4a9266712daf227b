// Superseded renditions left on disk by a crash: a job's transaction committed a new version,
// and the process died before MediaProcessor::committed() removed the earlier version's files
// (which may show a face a consent withdrawal has since blurred).
//
// Contract: sweep_superseded_renditions() removes renditions_root/<media_id>/v<N>/ for every N
// below the lowest version the item's rendition rows name, and nothing else: not the current
// version, not a newer one another worker may be writing (versions only grow), not an item
// without rendition rows. Returns how many directories it removed. veild runs it at start,
// before its workers.
#pragma once

#include <string>

#include <pqxx/connection.hxx>

namespace veil {

int sweep_superseded_renditions(pqxx::connection_base& db, const std::string& renditions_root);

}  // namespace veil

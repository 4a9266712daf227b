// What veild checks before it says "ready", as the user that does the work.
//
// Guarantees: veild never reports ready while a worker could not read a model or write the
// data directory. When veild starts as root it stages sha256-verified copies of the models
// into <data_dir>/models (owned by root, readable by the service user's group), so the
// service user never needs access to the checkout or build directory the models came from;
// every check after the privilege drop runs as the service user, on the files the workers
// will open.
#pragma once

#include <string>

#include "config/config.h"
#include "storage/process_runner.h"

namespace veil {

// Checks that every configured model exists, can be read by this process's user and matches
// its sha256. Throws ModelError naming the path and the fix.
void check_models(const Config& config);

// As root: copies the configured models from config.models.dir into <data_dir>/models after
// checking their sha256 (a file already there with the right sha256 is left alone) and
// returns that directory. The directory is root:<user's group> 0750, the files 0640.
std::string stage_models(const Config& config, const ServiceUser& user);

// Checks that this process can create and remove a file in `data_dir`; throws
// std::runtime_error naming the directory, the user and the fix.
void check_data_dir_writable(const std::string& data_dir);

}  // namespace veil

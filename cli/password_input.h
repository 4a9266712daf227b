// Where `veil accounts` takes a new password from: a file, or the terminal. Never the command
// line, where other users see it (ps, /proc) and the shell keeps it in its history.
#pragma once

#include <string>

namespace veil {

// With `password_file` set: its first line, without the line end ("-": standard input). A
// regular file that group or others may read or write is refused (UsageError) with the chmod
// that fixes it. Without: asks on the terminal (standard input), without echo, twice; throws
// std::runtime_error when the two differ, UsageError when standard input is no terminal.
// `account_name` is named in the prompts.
std::string read_new_password(const std::string& password_file, const std::string& account_name);

}  // namespace veil

// Reading a password from a private file or a terminal without echo (termios).
#include "cli/password_input.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/cli_context.h"

namespace veil {
namespace {

std::string first_line(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string from_file(const std::string& path) {
  if (path == "-") return first_line(std::cin);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error("cannot read password file " + path + ": " + std::strerror(errno));
  if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw UsageError("password file " + path + " can be read or written by group or others (mode " + mode +
                     "): chmod 600 " + path);
  }
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read password file " + path);
  return first_line(in);
}

// Echo is restored on return, and on the signals that end a program at a prompt.
struct termios saved_terminal;

void restore_and_reraise(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

std::string ask_without_echo(const std::string& prompt) {
  if (::tcgetattr(STDIN_FILENO, &saved_terminal) != 0)
    throw std::runtime_error(std::string("cannot read the terminal: ") + std::strerror(errno));
  struct termios quiet = saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  auto* old_int = std::signal(SIGINT, restore_and_reraise);
  auto* old_term = std::signal(SIGTERM, restore_and_reraise);
  auto* old_hup = std::signal(SIGHUP, restore_and_reraise);
  // Echo goes off (and anything typed ahead is dropped) before the prompt shows.
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::cerr << prompt << ": " << std::flush;
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_terminal);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::signal(SIGHUP, old_hup);
  if (!read) throw std::runtime_error("no password given");
  return line;
}

}  // namespace

std::string read_new_password(const std::string& password_file, const std::string& account_name) {
  if (!password_file.empty()) return from_file(password_file);
  if (!::isatty(STDIN_FILENO))
    throw UsageError("no terminal to ask for the password on: give --password-file FILE (mode 0600), or - for "
                     "standard input");
  const std::string first = ask_without_echo("New password for " + account_name);
  const std::string second = ask_without_echo("The same password again");
  if (first != second) throw std::runtime_error("the two passwords differ; nothing changed");
  return first;
}

}  // namespace veil

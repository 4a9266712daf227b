// veil accounts add|passwd|disable|enable|list: the accounts of managers, seniors and staff who
// review media. Passwords come from a no-echo prompt or --password-file, never from argv.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <tuple>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "accounts/account_admin.h"
#include "accounts/password.h"
#include "accounts/role.h"
#include "cli/cli_context.h"
#include "cli/db_session.h"
#include "cli/password_input.h"
#include "storage/account_repository.h"
#include "storage/children_repository.h"

namespace veil {
namespace {

struct AccountsArgs {
  std::string name, role, person, password_file;
};

TimePoint now() { return std::chrono::system_clock::now(); }

nlohmann::json optional_time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(iso8601_utc(*t)) : nlohmann::json(nullptr);
}

// Never the hash. locked_until only while the lock lasts.
nlohmann::json account_json(const AccountRow& a) {
  const bool locked = a.locked_until && *a.locked_until > now();
  return {{"id", a.id},
          {"name", a.name},
          {"role", a.role},
          {"person", a.person_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.person_name)},
          {"disabled", a.disabled},
          {"locked_until", locked ? optional_time(a.locked_until) : nlohmann::json(nullptr)},
          {"last_login", optional_time(a.last_login)},
          {"created_at", iso8601_utc(a.created_at)},
          {"password_changed_at", iso8601_utc(a.password_changed_at)}};
}

void print_account(pqxx::transaction_base& tx, const std::string& name) {
  std::cout << account_json(find_account_by_name(tx, name).value()).dump() << std::endl;
}

AccountRow existing(pqxx::transaction_base& tx, const std::string& name) {
  auto account = find_account_by_name(tx, name);
  if (!account) throw AccountError("no account '" + name + "' (see 'veil accounts list')");
  return *account;
}

// Runs `body` for the subcommand `sub`. Extra arguments are refused without repeating them:
// one may be a password typed where it does not belong.
template <typename Body>
void run_without_extras(CLI::App* sub, Body body) {
  sub->allow_extras();
  sub->callback([sub, body] {
    if (!sub->remaining().empty())
      throw UsageError("accounts " + sub->get_name() +
                       ": unexpected arguments (not repeated here). A password is never taken from the command "
                       "line: answer the prompt, or give --password-file FILE");
    body();
  });
}

}  // namespace

void add_accounts_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("accounts", "Manage the accounts that log in to review media (managers, seniors, "
                                             "staff)");
  cmd->require_subcommand(1);
  auto args = std::make_shared<AccountsArgs>();
  const char* password_file_help =
      "read the password from the first line of FILE (mode 0600; - for standard input) instead of asking";

  auto* add = cmd->add_subcommand(
      "add", "Add an account: veil accounts add NAME --role manager|senior|staff [--person PERSON]");
  add->add_option("name", args->name, "the name to log in with")->required();
  add->add_option("--role", args->role, "manager (decides, manages accounts), senior (decides), staff (reads their "
                                        "key children's items)")
      ->required()
      ->check(CLI::IsMember({"manager", "senior", "staff"}));
  add->add_option("--person", args->person, "the staff member (name or id) the account belongs to; required for staff");
  add->add_option("--password-file", args->password_file, password_file_help);
  run_without_extras(add, [&ctx, args] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const std::int64_t person = args->person.empty() ? 0 : find_person(tx, args->person).id;
      if (find_account_by_name(tx, args->name))
        throw AccountError("an account named '" + args->name + "' already exists");
      const std::string password = read_new_password(args->password_file, args->name);
      add_account(tx, args->name, parse_role(args->role).value(), person, password,
                  password_rule(ctx.config.accounts), ctx.actor(), now());
      print_account(tx, args->name);
    });
  });

  auto* passwd =
      cmd->add_subcommand("passwd", "Set an account's password (its open sessions end): veil accounts passwd NAME");
  passwd->add_option("name", args->name, "the account")->required();
  passwd->add_option("--password-file", args->password_file, password_file_help);
  run_without_extras(passwd, [&ctx, args] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      const AccountRow account = existing(tx, args->name);
      const std::string password = read_new_password(args->password_file, account.name);
      change_password(tx, account.name, password, password_rule(ctx.config.accounts), ctx.actor(), now());
      print_account(tx, account.name);
    });
  });

  using Switch = bool (*)(pqxx::transaction_base&, const std::string&, const std::string&, TimePoint);
  const std::tuple<const char*, const char*, Switch> switches[] = {
      {"disable", "Refuse an account's logins and end its sessions at once", disable_account},
      {"enable", "Allow a disabled account to log in again; also lifts a lockout", enable_account}};
  for (const auto& [name, help, change] : switches) {
    auto* sub = cmd->add_subcommand(name, help);
    sub->add_option("name", args->name, "the account")->required();
    run_without_extras(sub, [&ctx, args, change = change] {
      in_transaction(ctx, [&](pqxx::work& tx) {
        change(tx, args->name, ctx.actor(), now());
        print_account(tx, args->name);
      });
    });
  }

  auto* list = cmd->add_subcommand("list", "List accounts (JSON Lines; never a password hash)");
  run_without_extras(list, [&ctx] {
    in_transaction(ctx, [&](pqxx::work& tx) {
      for (const auto& a : list_accounts(tx)) std::cout << account_json(a).dump() << "\n";
      std::cout << std::flush;
    });
  });
}

}  // namespace veil

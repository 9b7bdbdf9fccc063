#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actions/context.hpp"
#include "cluster/clone_source.hpp"
#include "pg/datadir.hpp"

namespace repmgr {

// The destination of `standby clone`, checked: not running, and empty unless
// -F/--force was given (with --replication-conf-only: an existing data
// directory instead).
struct TargetCheck {
    std::string path;  // as the user gave it (-D, or data_directory)
    DirState state = DirState::Missing;
};
TargetCheck check_clone_target(Context& ctx);

// A configuration file the source keeps outside its data directory, read
// during the checks and written into the standby's data directory.
struct ExternalConfigFile {
    std::string setting;      // config_file | hba_file | ident_file
    std::string source_path;  // on the source host
    std::string local_name;   // postgresql.conf | pg_hba.conf | pg_ident.conf
    std::string content;
    bool already_in_place = false;  // samepath: this host has it there, identical
};

// Where external configuration files go (--copy-external-config-files):
// into the standby's data directory (the seed's default), or to the path the
// source has them at (repmgr 5's samepath).
enum class ExternalFilesTo { Pgdata, SamePath };

// Everything the copy needs, established by checks that change nothing.
struct ClonePlan {
    std::string source_conninfo;
    std::string source_description;  // host "..", port ..
    std::optional<Connection> source_conn;
    ServerFacts source;
    std::optional<Connection> upstream_conn;  // only when the upstream is another server
    bool upstream_is_source = true;
    std::optional<int> upstream_node_id;
    std::string primary_conninfo;  // what the standby will stream from
    std::optional<std::string> slot_name;
    std::string ssh_host;  // rsync mode
    std::vector<ExternalConfigFile> external_files;
    ExternalFilesTo external_files_to = ExternalFilesTo::Pgdata;
    // False with --upstream-conninfo: the slot belongs on an upstream this
    // command does not connect to; its name is written all the same.
    bool create_slot = true;
};

// Checks the standby-clone options that need no server (values, combinations)
// and applies --replication-user and --recovery-min-apply-delay to the
// configuration. Throws Failure(BadConfig).
void check_clone_options(Context& ctx);

// Connects to the source (and the upstream when it differs) and checks them:
// version, wal_level, free WAL senders, replication connections, slots, ssh
// and rsync (rsync mode), readable external configuration files. Throws a
// Failure with the seed's exit code and a HINT for each problem.
ClonePlan plan_clone(Context& ctx, const TargetCheck& target);

}  // namespace repmgr

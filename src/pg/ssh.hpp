#pragma once

#include <string>
#include <vector>

#include "cluster/node_record.hpp"
#include "config/config.hpp"
#include "util/log.hpp"
#include "util/process.hpp"

namespace repmgr {

// The host to ssh to for a node: the host (or hostaddr) of its conninfo; a
// Unix-socket directory or no host at all means this machine.
// Throws Failure(BadSsh) when it would not be a host to ssh or rsync.
std::string ssh_host_of(const std::string& conninfo);

// `host` when ssh and rsync can only read it as a host name. A host from the
// metadata that starts with "-" (host=-oProxyCommand=... beside a working
// hostaddr) would be read as an option and run a command, and an empty one
// is no host: both throw Failure(BadSsh). Every argv that carries a host
// passes it through here and puts "--" before it as well.
const std::string& require_ssh_host(const std::string& host);

// Runs commands on another host with `ssh <ssh_options> <host> <command>`.
// Each argument is shell-quoted for the remote shell, so values can never be
// re-interpreted there.
class RemoteShell {
public:
    // Every command gets `timeout_secs` (ssh_timeout; 0 = none): a remote
    // command that never returns ends with its local ssh process group.
    RemoteShell(std::string host, std::string ssh_options, Logger& log, int timeout_secs = 0);

    // Runs argv remotely; stdout and stderr are captured.
    ProcessResult run(const std::vector<std::string>& argv) const;
    // Runs a user-supplied command line (service_*_command) remotely as is.
    ProcessResult run_command_line(const std::string& command_line) const;
    // Throws Failure(ERR_BAD_SSH) when `ssh host true` does not succeed.
    void check_reachable() const;
    const std::string& host() const { return host_; }
    // The argv that runs `remote_command` (public for tests).
    std::vector<std::string> ssh_argv(const std::string& remote_command) const;

private:

    std::string host_;
    std::string ssh_options_;
    Logger& log_;
    int timeout_secs_;
};

// `repmgr` on a remote host: repmgr_bindir/repmgr, or the bare name (PATH).
std::string remote_repmgr_binary(const Config& config);

// The path of a node's repmgr.conf for commands run there over ssh:
// remote_config_file (an override) with %n (node id) and %a (node name)
// substituted; else the path the node recorded when it registered; else
// (registered by an older version) the absolute path of our own file.
std::string remote_config_path(const Config& config, const NodeRecord& node);

// argv for running our repmgr remotely against that node's repmgr.conf.
std::vector<std::string> remote_repmgr_argv(const Config& config, const NodeRecord& node,
                                            const std::vector<std::string>& args);

}  // namespace repmgr

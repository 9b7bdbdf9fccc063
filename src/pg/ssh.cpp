#include "pg/ssh.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "config/conninfo.hpp"
#include "util/error.hpp"

namespace repmgr {

const std::string& require_ssh_host(const std::string& host) {
    if (host.empty())
        fail(ExitCode::BadSsh, "no host to connect to with ssh",
             "the node's conninfo names no host", "set host= in the node's conninfo");
    if (host.front() == '-')
        fail(ExitCode::BadSsh, fmt::format("refusing host \"{}\" for ssh and rsync", host),
             "a host starting with \"-\" would be read as an option (e.g. -oProxyCommand runs a "
             "command)",
             "correct the host in the node's conninfo (repl_nodes, and conninfo in its repmgr.conf)");
    return host;
}

std::string ssh_host_of(const std::string& conninfo) {
    Conninfo c = Conninfo::parse(conninfo);
    std::string host = c.get("host").value_or("");
    // A multi-host conninfo names several hosts; the first is the node's own.
    if (auto comma = host.find(','); comma != std::string::npos) host = host.substr(0, comma);
    if (host.empty() || host[0] == '/') {
        std::string addr = c.get("hostaddr").value_or("");
        return addr.empty() ? "localhost" : require_ssh_host(addr);
    }
    return require_ssh_host(host);
}

RemoteShell::RemoteShell(std::string host, std::string ssh_options, Logger& log, int timeout_secs)
    : host_(require_ssh_host(host)),
      ssh_options_(std::move(ssh_options)),
      log_(log),
      timeout_secs_(timeout_secs) {}

std::vector<std::string> RemoteShell::ssh_argv(const std::string& remote_command) const {
    std::vector<std::string> argv{"ssh"};
    for (auto& word : split_words(ssh_options_)) argv.push_back(std::move(word));
    argv.push_back("--");  // whatever the host holds, it is not an option
    argv.push_back(host_);
    argv.push_back(remote_command);
    return argv;
}

ProcessResult RemoteShell::run(const std::vector<std::string>& argv) const {
    std::string command;
    for (const auto& a : argv) command += (command.empty() ? "" : " ") + shell_quote(a);
    return run_command_line(command);
}

ProcessResult RemoteShell::run_command_line(const std::string& command_line) const {
    log_.debug("running on {} over ssh: {}", host_, command_line);
    ProcessResult r = run_process(ssh_argv(command_line),
                                  RunOptions{.capture = true,
                                             .timeout_secs = timeout_secs_,
                                             .timeout_setting = "ssh_timeout"});
    if (r.timed_out) {
        log_.error("the command run on \"{}\" over ssh did not finish within {} seconds: ssh was "
                   "killed", host_, timeout_secs_);
        log_.detail(command_line);
        log_.hint("check the remote host; raise ssh_timeout in repmgr.conf if the command needs "
                  "longer");
    }
    return r;
}

void RemoteShell::check_reachable() const {
    ProcessResult r = run({"true"});
    if (r.exit_status != 0)
        fail(ExitCode::BadSsh, fmt::format("unable to connect to host \"{}\" over ssh", host_),
             r.output.empty() ? fmt::format("ssh: {}", describe_exit(r)) : r.output,
             fmt::format("check passwordless ssh for this user to \"{}\" and ssh_options (now: "
                         "\"{}\")",
                         host_, ssh_options_));
}

std::string remote_repmgr_binary(const Config& config) {
    if (config.repmgr_bindir.empty()) return "repmgr";
    std::string dir = config.repmgr_bindir;
    if (dir.back() != '/') dir += '/';
    return dir + "repmgr";
}

std::string remote_config_path(const Config& config, const NodeRecord& node) {
    if (config.remote_config_file.empty()) {
        if (node.config_file) return *node.config_file;
        if (config.source_file.empty()) return {};
        return std::filesystem::absolute(config.source_file).lexically_normal().string();
    }
    const std::string& pattern = config.remote_config_file;
    const int node_id = node.id;
    const std::string& node_name = node.name;
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '%' && i + 1 < pattern.size()) {
            char key = pattern[i + 1];
            if (key == 'n') { out += std::to_string(node_id); ++i; continue; }
            if (key == 'a') { out += node_name; ++i; continue; }
            if (key == '%') { out += '%'; ++i; continue; }
        }
        out += pattern[i];
    }
    return out;
}

std::vector<std::string> remote_repmgr_argv(const Config& config, const NodeRecord& node,
                                            const std::vector<std::string>& args) {
    std::vector<std::string> argv{remote_repmgr_binary(config)};
    std::string conf = remote_config_path(config, node);
    if (!conf.empty()) {
        argv.push_back("-f");
        argv.push_back(conf);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace repmgr

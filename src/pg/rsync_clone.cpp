#include "pg/rsync_clone.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "pg/datadir.hpp"
#include "pg/ssh.hpp"
#include "util/error.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

// What PostgreSQL's backup documentation lists as safe to leave out, plus the
// files we copy separately (pg_control) or write ourselves (backup_label,
// standby settings). Patterns are anchored at the data directory root.
const std::vector<std::string> kExcludes = {
    "--exclude=/postmaster.pid",   "--exclude=/postmaster.opts",
    "--exclude=/pg_wal/*",         "--exclude=/pg_replslot/*",
    "--exclude=/pg_dynshmem/*",    "--exclude=/pg_notify/*",
    "--exclude=/pg_serial/*",      "--exclude=/pg_snapshots/*",
    "--exclude=/pg_stat_tmp/*",    "--exclude=/pg_subtrans/*",
    "--exclude=pgsql_tmp*",        "--exclude=pg_internal.init",
    "--exclude=/backup_label",     "--exclude=/backup_label.old",
    "--exclude=/tablespace_map",   "--exclude=/standby.signal",
    "--exclude=/recovery.signal",  "--exclude=/global/pg_control",
    "--exclude=/log/*",            "--exclude=/pg_log/*",
    "--exclude=/current_logfiles",
};

std::vector<std::string> ssh_argv(const RsyncSource& s, const std::string& remote_command) {
    std::vector<std::string> argv{"ssh"};
    for (auto& w : split_words(s.ssh_options)) argv.push_back(w);
    argv.push_back("--");  // whatever the host holds, it is not an option
    argv.push_back(require_ssh_host(s.host));
    argv.push_back(remote_command);
    return argv;
}

// rsync's -e takes one string it splits itself; single quotes keep words whole.
std::string rsh_option(const RsyncSource& s) {
    std::string rsh = "ssh";
    for (auto& w : split_words(s.ssh_options)) rsh += " " + shell_quote(w);
    return "--rsh=" + rsh;
}

std::string remote(const RsyncSource& s, const std::string& relative) {
    std::string dir = s.data_directory;
    if (!dir.empty() && dir.back() == '/') dir.pop_back();
    return require_ssh_host(s.host) + ":" + dir + relative;
}

// `paths` (sources, then the target) come after "--": never read as options.
void run_rsync(const std::vector<std::string>& options, const std::vector<std::string>& paths,
               const RsyncSource& s, Logger& log, const std::string& what, bool vanished_ok) {
    std::vector<std::string> argv{"rsync", "--archive", "--checksum", rsh_option(s)};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("--");
    argv.insert(argv.end(), paths.begin(), paths.end());
    std::string shown;
    for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + shell_quote(a);
    log.info("{}: running {}", what, shown);
    ProcessResult r = run_process(argv, RunOptions{.capture = true,
                                                   .timeout_secs = s.rsync_timeout,
                                                   .timeout_setting = "rsync_timeout"});
    fail_if_timed_out(r, ExitCode::BadRsync, fmt::format("rsync of the {}", what),
                      "the clone is abandoned: its partial copy is removed as after any failed "
                      "clone (the source ends its backup when repmgr disconnects); run the clone again");
    // 24: files vanished during the copy: normal for a live data directory,
    // the WAL replayed from the backup start makes the copy consistent.
    if (r.exit_status == 0 || (vanished_ok && r.exit_status == 24)) return;
    std::string hint = r.exit_status == 127
                           ? "install rsync on both hosts"
                           : "check rsync_options and ssh_options in repmgr.conf, and free space "
                             "on this host";
    fail(ExitCode::BadRsync, fmt::format("rsync failed ({}) with exit status {}", what, r.exit_status),
         trim_trailing(r.output), hint);
}

}  // namespace

void check_rsync_source(const RsyncSource& s, Logger& log) {
    std::string cmd = "test -d " + shell_quote(s.data_directory) + " && command -v rsync >/dev/null";
    log.info("checking ssh access to \"{}\"", s.host);
    ProcessResult r =
        run_process(ssh_argv(s, cmd), RunOptions{.capture = true, .timeout_secs = s.ssh_timeout,
                               .timeout_setting = "ssh_timeout"});
    if (r.exit_status == 255 || r.exit_status == 127)
        fail(ExitCode::BadSsh, fmt::format("unable to connect to \"{}\" with ssh", s.host),
             trim_trailing(r.output),
             "rsync mode needs password-less ssh to the source host as this OS user: check "
             "ssh_options in repmgr.conf and the keys");
    if (r.exit_status != 0)
        fail(ExitCode::BadRsync,
             fmt::format("data directory \"{}\" or rsync not found on \"{}\"", s.data_directory,
                         s.host),
             trim_trailing(r.output),
             "the host of -h must be the machine the source server runs on, with rsync installed");
}

void copy_data_directory(const RsyncSource& s, const std::string& target, Logger& log) {
    std::vector<std::string> args{"--delete"};
    args.insert(args.end(), kExcludes.begin(), kExcludes.end());
    for (auto& w : split_words(s.rsync_options)) args.push_back(w);
    run_rsync(args, {remote(s, "/"), target + "/"}, s, log, "data directory", true);
}

void copy_control_file(const RsyncSource& s, const std::string& target, Logger& log) {
    run_rsync({}, {remote(s, "/global/pg_control"), target + "/global/pg_control"}, s, log,
              "pg_control", false);
}

std::string start_wal_file_of(const std::string& backup_label) {
    std::istringstream in(backup_label);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("START WAL LOCATION:", 0) != 0) continue;
        auto at = line.find("(file ");
        auto end = line.find(')', at);
        if (at != std::string::npos && end != std::string::npos)
            return line.substr(at + 6, end - at - 6);
    }
    return {};
}

void copy_backup_wal(const RsyncSource& s, const std::string& target,
                     const std::string& start_wal_file, Logger& log) {
    std::string wal_dir = s.data_directory + "/pg_wal";
    ProcessResult listing =
        run_process(ssh_argv(s, "ls -1 " + shell_quote(wal_dir)),
                    RunOptions{.capture = true, .timeout_secs = s.ssh_timeout,
                               .timeout_setting = "ssh_timeout"});
    if (listing.exit_status != 0)
        fail(ExitCode::BadRsync, fmt::format("unable to list \"{}\" on \"{}\"", wal_dir, s.host),
             trim_trailing(listing.output), "check ssh access and permissions of the source's pg_wal");

    // Segment names are TTTTTTTT + 16 hex digits of position: every segment at
    // or after the start position is needed (any timeline: the source may have
    // switched during the copy), plus the history files of all timelines.
    std::string wanted;
    std::istringstream in(listing.output);
    std::string name;
    const std::string start_pos = start_wal_file.size() == 24 ? start_wal_file.substr(8) : "";
    while (std::getline(in, name)) {
        bool segment = name.size() == 24 &&
                       std::all_of(name.begin(), name.end(), [](char c) { return std::isxdigit(c); });
        bool history = name.size() > 8 && name.ends_with(".history");
        if (history || (segment && name.substr(8) >= start_pos)) wanted += name + "\n";
    }
    if (wanted.empty())
        fail(ExitCode::BadRsync, "no WAL to copy was found on the source",
             fmt::format("backup start segment {} is not in {}", start_wal_file, wal_dir),
             "the segment was recycled: increase wal_keep_size or use replication slots, then "
             "run the clone again");
    std::string list_file = target + "/.repmgr_clone_wal_list";
    write_text_file(list_file, wanted);
    try {
        run_rsync({"--files-from=" + list_file}, {remote(s, "/pg_wal/"), target + "/pg_wal/"}, s,
                  log, "WAL", false);
    } catch (...) {
        unlink(list_file.c_str());
        throw;
    }
    unlink(list_file.c_str());
}

}  // namespace repmgr

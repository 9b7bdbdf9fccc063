#include "pg/basebackup.hpp"

#include <fmt/format.h>

#include "config/conninfo.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace repmgr {
namespace {

bool picks_wal_method(const std::vector<std::string>& words) {
    for (const auto& w : words)
        if (w == "-X" || w.rfind("-X", 0) == 0 || w.rfind("--wal-method", 0) == 0 ||
            w.rfind("--xlog-method", 0) == 0)
            return true;
    return false;
}

}  // namespace

void run_basebackup(const BasebackupRequest& r, Logger& log) {
    std::vector<std::string> extra = split_words(r.extra_options);
    SplitConninfo source = split_password(r.source_conninfo);
    std::vector<std::string> argv{r.binary, "-D", r.target, "-d", source.conninfo};
    if (!picks_wal_method(extra)) {
        argv.push_back("-X");
        argv.push_back("stream");
    }
    if (r.fast_checkpoint) {
        argv.push_back("-c");
        argv.push_back("fast");
    }
    if (r.show_progress) argv.push_back("--progress");
    if (r.slot_name) {
        argv.push_back("-S");
        argv.push_back(*r.slot_name);
    }
    if (!r.tablespace_mapping.empty()) {
        argv.push_back("-T");
        argv.push_back(r.tablespace_mapping);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());

    log.info("running \"{}\"", shown_command(argv));
    // On a terminal pg_basebackup talks to the user directly (its progress
    // bar); otherwise we keep its output and show it only when it failed.
    RunOptions options{.capture = !r.show_progress,
                       .timeout_secs = r.timeout_secs,
                       .timeout_setting = "pg_basebackup_timeout"};
    if (source.password) options.env = {{"PGPASSWORD", *source.password}};
    ProcessResult result = run_process(argv, options);
    fail_if_timed_out(result, ExitCode::BadBasebackup, "pg_basebackup",
                      fmt::format("the clone is abandoned: the partial copy in \"{}\" is removed "
                                  "as after any failed clone; run the clone again",
                                  r.target));
    if (result.exit_status == 0) {
        if (!result.output.empty()) log.debug("pg_basebackup said: {}", result.output);
        return;
    }
    std::string detail = result.output;
    while (!detail.empty() && detail.back() == '\n') detail.pop_back();
    if (result.exit_status == 127 && detail.find("exec failed") != std::string::npos)
        fail(ExitCode::BadBasebackup, fmt::format("unable to run \"{}\"", r.binary), detail,
             "install pg_basebackup, or set pg_bindir in repmgr.conf (or -b/--pg_bindir)");
    fail(ExitCode::BadBasebackup,
         fmt::format("pg_basebackup failed with exit status {}", result.exit_status),
         detail.empty() ? "see pg_basebackup's messages above" : detail,
         "fix the cause above (the source server's log may say more), then run the clone again");
}

}  // namespace repmgr

// repmgr standby clone: copy a data directory from the primary (or another
// node) with pg_basebackup or rsync, and make it a standby of its upstream.
//
// Order of work: every check first (target directory, source and upstream
// servers, slots, ssh, configuration files), then the copy. --dry-run stops
// between the two. Once copying starts, a failure removes what was created.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/clone_checks.hpp"
#include "cluster/clone_source.hpp"
#include "cluster/nodes.hpp"
#include "cluster/topology.hpp"
#include "pg/basebackup.hpp"
#include "pg/datadir.hpp"
#include "pg/rsync_clone.hpp"
#include "pg/standby_config.hpp"
#include "util/mask.hpp"

namespace repmgr {
namespace {

// Drops the slot this clone created when the clone fails after creating it.
class SlotGuard {
public:
    SlotGuard(Connection& conn, std::string name, Logger& log)
        : conn_(conn), name_(std::move(name)), log_(log) {}
    ~SlotGuard() {
        if (committed_) return;
        try {
            drop_replication_slot(conn_, name_);
            log_.notice("dropped replication slot \"{}\", created by this failed clone", name_);
        } catch (const std::exception& e) {
            log_.warning("unable to drop replication slot \"{}\": {}", name_, e.what());
        }
    }
    SlotGuard(const SlotGuard&) = delete;
    SlotGuard& operator=(const SlotGuard&) = delete;
    void commit() { committed_ = true; }

private:
    Connection& conn_;
    std::string name_;
    Logger& log_;
    bool committed_ = false;
};

// --copy-external-config-files=samepath: each file where the source has it,
// so the settings naming it stay as they are.
void write_at_same_paths(const ClonePlan& plan, Logger& log) {
    for (const auto& file : plan.external_files) {
        if (file.already_in_place) {
            log.notice("\"{}\" is already in place on this host, identical", file.source_path);
            continue;
        }
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(file.source_path).parent_path(), ec);
        write_text_file(file.source_path, file.content);
        log.notice("copied the source's {} to \"{}\"", file.setting, file.source_path);
    }
}

void write_external_config_files(const ClonePlan& plan, const std::string& target, Logger& log) {
    if (plan.external_files_to == ExternalFilesTo::SamePath) return write_at_same_paths(plan, log);
    std::vector<std::string> now_local;  // settings that pointed outside the data directory
    for (const auto& file : plan.external_files) {
        write_text_file(target + "/" + file.local_name, file.content);
        log.notice("copied \"{}\" into the data directory as {}", file.source_path, file.local_name);
        now_local.push_back(file.setting);
    }
    if (now_local.empty()) return;
    std::string conf = target + "/postgresql.conf";
    // The copy lives in the data directory now: settings naming the source's
    // locations would make the standby read (or, for data_directory, run on)
    // the source's files.
    std::vector<std::string> keys{"hba_file", "ident_file"};
    bool conf_copied = std::find(now_local.begin(), now_local.end(), "config_file") != now_local.end();
    if (conf_copied) {
        keys.push_back("data_directory");
        keys.push_back("external_pid_file");
    }
    for (const auto& key : comment_out_settings(conf, keys, "commented out by repmgr standby clone"))
        log.notice("commented out \"{}\" in the standby's postgresql.conf", key);
    if (conf_copied) {
        auto includes = include_directives(conf);
        if (!includes.empty()) {
            log.warning("the copied postgresql.conf includes other files, which were not copied");
            std::string lines;
            for (const auto& l : includes) lines += (lines.empty() ? "" : "; ") + l;
            log.detail(lines);
            log.hint("copy them into the standby's data directory, or adjust the include lines");
        }
    }
}

void copy_with_rsync(Context& ctx, const ClonePlan& plan, Connection& source,
                     const std::string& target) {
    RsyncSource rs{.host = plan.ssh_host,
                   .data_directory = plan.source.data_directory,
                   .ssh_options = ctx.config.ssh_options,
                   .rsync_options = ctx.config.rsync_options,
                   .ssh_timeout = ctx.config.ssh_timeout,
                   .rsync_timeout = ctx.config.rsync_timeout};
    std::string start_lsn;
    try {
        start_lsn = backup_start(source, "repmgr standby clone", ctx.opts.fast_checkpoint);
    } catch (const DbError& e) {
        fail(ExitCode::DbQuery, "unable to start a backup on the source server", e.detail(),
             "the source user needs superuser, or EXECUTE on pg_backup_start and pg_backup_stop");
    }
    ctx.log.info("backup started at {}", start_lsn);
    // The backup stays open as long as `source` does; if anything below throws,
    // the connection closes and the server aborts the backup by itself.
    copy_data_directory(rs, target, ctx.log);
    copy_control_file(rs, target, ctx.log);
    BackupStop stop = backup_stop(source);
    ctx.log.info("backup stopped at {}", stop.stop_lsn);
    write_text_file(target + "/backup_label", stop.backup_label);
    if (!stop.tablespace_map.empty()) write_text_file(target + "/tablespace_map", stop.tablespace_map);
    // WAL between backup start and stop makes the copy consistent. pg_wal was
    // left out of the main copy (it changes under rsync); now that the backup
    // has stopped, the segments up to the stop point are on the source's disk
    // and we copy them. Everything later the standby streams from its
    // upstream, which keeps it for us through the slot (created before the
    // backup started) or wal_keep_size.
    copy_backup_wal(rs, target, start_wal_file_of(stop.backup_label), ctx.log);
}

// The primary, for the event row: the source itself, or found through the
// metadata the source holds. Nullopt (event only notified) when unreachable.
std::optional<PrimaryConnection> reach_primary(Context& ctx, Connection& source) {
    try {
        std::string schema = schema_name(ctx.config);
        if (!ctx.have_config || ctx.config.cluster.empty() || !metadata_schema_exists(source, schema))
            return std::nullopt;
        use_metadata_schema(source, schema);
        return find_primary(source, schema);
    } catch (const Failure& e) {
        ctx.log.warning("unable to reach the primary to record the clone: {}", e.what());
        return std::nullopt;
    }
}

void record_slot_in_metadata(Context& ctx, PrimaryConnection& primary, const std::string& slot) {
    try {
        NodeRepository repo(primary.conn);
        if (auto me = repo.by_id(ctx.config.node_id); me && me->slot_name != slot) {
            repo.set_slot_name(me->id, slot);
            ctx.log.info("recorded slot \"{}\" for node {}", slot, me->id);
        }
    } catch (const Failure& e) {
        ctx.log.warning("unable to record slot \"{}\" in the metadata: {}", slot, e.what());
    }
}

StandbySettings standby_settings(const Context& ctx, const ClonePlan& plan) {
    return StandbySettings{.primary_conninfo = plan.primary_conninfo,
                           .primary_slot_name = plan.slot_name,
                           .restore_command = ctx.config.restore_command,
                           .recovery_min_apply_delay = ctx.config.recovery_min_apply_delay};
}

// --replication-conf-only: the checked data directory gets standby.signal and
// the standby settings (and its slot on the upstream); nothing is copied.
int write_replication_conf_only(Context& ctx, ClonePlan& plan, const TargetCheck& target) {
    Connection& source = *plan.source_conn;
    Connection& upstream = plan.upstream_conn ? *plan.upstream_conn : source;
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] all checks passed; would write the standby settings into \"{}\" "
                       "(primary_conninfo '{}')", target.path, mask_passwords(plan.primary_conninfo));
        ctx.log.notice("[dry run] nothing was changed");
        return 0;
    }
    if (plan.slot_name && plan.create_slot && create_reserving_slot(upstream, *plan.slot_name))
        ctx.log.notice("replication slot \"{}\" created on the upstream", *plan.slot_name);
    write_standby_settings(target.path, standby_settings(ctx, plan));
    auto primary = reach_primary(ctx, source);
    if (primary && plan.slot_name && plan.create_slot && ctx.config.node_id > 0)
        record_slot_in_metadata(ctx, *primary, *plan.slot_name);
    ctx.record(primary ? &primary->conn : nullptr, "standby_clone", true,
               fmt::format("standby settings written into existing data directory \"{}\" "
                           "(--replication-conf-only); upstream: {}",
                           target.path, plan.source_description),
               plan.upstream_node_id);
    ctx.log.notice("standby settings written into \"{}\"; nothing else was changed", target.path);
    ctx.log.hint(fmt::format("start the server: pg_ctl -D {} start", target.path));
    return 0;
}

}  // namespace

int run_standby_clone(Context& ctx) {
    const bool rsync = ctx.opts.rsync_only;
    const std::string method = rsync ? "rsync" : "pg_basebackup";

    check_clone_options(ctx);
    TargetCheck target = check_clone_target(ctx);
    ClonePlan plan = plan_clone(ctx, target);
    if (ctx.opts.replication_conf_only) return write_replication_conf_only(ctx, plan, target);

    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] all checks passed; would clone from {} using {} into \"{}\"",
                       plan.source_description, method, target.path);
        if (plan.slot_name)
            ctx.log.notice("[dry run] would use replication slot \"{}\" on the upstream",
                           *plan.slot_name);
        for (const auto& f : plan.external_files)
            ctx.log.notice("[dry run] would copy \"{}\" as {}", f.source_path, f.local_name);
        ctx.log.notice("[dry run] nothing was changed");
        return 0;
    }

    Connection& source = *plan.source_conn;
    Connection& upstream = plan.upstream_conn ? *plan.upstream_conn : source;
    std::string details;
    try {
        CloneTarget destination(target.path, ctx.log);
        destination.prepare(/*empty_existing=*/!rsync && target.state == DirState::NonEmpty);
        if (rsync && target.state == DirState::NonEmpty) remove_volatile_files(target.path);

        std::optional<SlotGuard> slot_guard;
        if (plan.slot_name && plan.create_slot && create_reserving_slot(upstream, *plan.slot_name)) {
            ctx.log.notice("replication slot \"{}\" created on the upstream", *plan.slot_name);
            slot_guard.emplace(upstream, *plan.slot_name, ctx.log);
        }

        ctx.log.notice("starting backup...");
        if (!ctx.opts.fast_checkpoint)
            ctx.log.hint("this may take some time; consider using the -c/--fast-checkpoint option");
        if (rsync) {
            copy_with_rsync(ctx, plan, source, target.path);
        } else {
            BasebackupRequest request{
                .binary = ctx.pg_binary("pg_basebackup"),
                .target = target.path,
                .source_conninfo = plan.source_conninfo,
                .fast_checkpoint = ctx.opts.fast_checkpoint,
                .show_progress = isatty(STDOUT_FILENO) != 0,
                // pg_basebackup can stream through our slot only when it copies
                // from the upstream itself.
                .slot_name = plan.upstream_is_source && plan.create_slot ? plan.slot_name
                                                                         : std::nullopt,
                .tablespace_mapping = ctx.config.tablespace_mapping,
                .extra_options = ctx.config.pg_basebackup_options,
                .timeout_secs = ctx.config.pg_basebackup_timeout};
            run_basebackup(request, ctx.log);
        }

        write_external_config_files(plan, target.path, ctx.log);
        write_standby_settings(target.path, standby_settings(ctx, plan));

        destination.commit();
        if (slot_guard) slot_guard->commit();
    } catch (const Failure& f) {
        auto primary = reach_primary(ctx, source);
        ctx.record(primary ? &primary->conn : nullptr, "standby_clone", false,
                   fmt::format("standby clone from {} using {} failed: {}",
                               plan.source_description, method, f.what()),
                   plan.upstream_node_id);
        throw;
    }

    details = fmt::format("cloned from {}; backup method: {}; --force: {}",
                          plan.source_description, method, ctx.opts.force ? "Y" : "N");
    auto primary = reach_primary(ctx, source);
    if (primary && plan.slot_name && plan.create_slot && ctx.config.node_id > 0)
        record_slot_in_metadata(ctx, *primary, *plan.slot_name);
    ctx.record(primary ? &primary->conn : nullptr, "standby_clone", true, details,
               plan.upstream_node_id);

    ctx.log.notice("standby clone (using {}) complete", method);
    ctx.log.notice("you can now start your PostgreSQL server");
    ctx.log.hint(fmt::format("for example : pg_ctl -D {} start", target.path));
    return 0;
}

}  // namespace repmgr

#include "actions/clone_checks.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cluster/nodes.hpp"
#include "config/conninfo.hpp"
#include "pg/datadir.hpp"
#include "pg/rsync_clone.hpp"
#include "pg/standby_config.hpp"

namespace repmgr {
namespace {

constexpr int kMinimumVersion = 120000;

std::string describe(const std::string& conninfo) {
    Conninfo c = Conninfo::parse(conninfo);
    std::string host = c.get("host").value_or(c.get("hostaddr").value_or("(local socket)"));
    return fmt::format("host \"{}\", port {}", host, c.get("port").value_or("5432"));
}

Connection open_server(const std::string& conninfo, const std::string& role) {
    try {
        return Connection::open(conninfo);
    } catch (const DbError& e) {
        fail(e.code(), fmt::format("unable to connect to the {} ({})", role, describe(conninfo)),
             e.detail(),
             role == "upstream node"
                 ? "start the upstream node, or choose another with --upstream-node-id"
                 : "check -h/-p/-U/-d, that the server is running and that pg_hba.conf allows "
                   "this user");
    }
}

ServerFacts facts_of(Connection& conn, const std::string& role) {
    ServerFacts f = read_server_facts(conn);
    if (f.version_num < kMinimumVersion)
        fail(ExitCode::BadConfig,
             fmt::format("the {} runs PostgreSQL {}, older than 12", role, f.version_num), {},
             "this repmgr clones with PostgreSQL 12+ mechanics (standby.signal); upgrade first");
    if (!wal_level_allows_standbys(f.wal_level))
        fail(ExitCode::BadConfig,
             fmt::format("wal_level is \"{}\" on the {}: a standby cannot replay its WAL", f.wal_level,
                         role),
             {}, "set wal_level = replica in its postgresql.conf and restart it");
    return f;
}

void require_free_wal_senders(const ServerFacts& f, int needed, const std::string& role,
                              const std::string& why) {
    int free_senders = f.max_wal_senders - f.active_wal_senders;
    if (free_senders >= needed) return;
    fail(ExitCode::BadConfig,
         fmt::format("the {} has {} free WAL sender(s), {} needed", role, free_senders, needed),
         fmt::format("max_wal_senders = {}, {} in use; {}", f.max_wal_senders, f.active_wal_senders,
                     why),
         "raise max_wal_senders in its postgresql.conf and restart it");
}

void require_replication_connection(const std::string& conninfo, ExitCode code,
                                    const std::string& role) {
    Conninfo c = Conninfo::parse(conninfo);
    c.set("replication", "true");
    try {
        Connection::open(c.to_string());
    } catch (const DbError& e) {
        fail(code,
             fmt::format("the {} does not accept replication connections from this user ({})",
                         role, describe(conninfo)),
             e.detail(),
             "add a \"host replication <user> <address> ...\" line to its pg_hba.conf, give the "
             "user the REPLICATION attribute (or superuser), then reload it");
    }
}

bool is_local_host(const std::string& host) {
    return host.empty() || host[0] == '/' || host == "localhost" || host == "::1" ||
           host.rfind("127.", 0) == 0;
}

bool inside(const std::string& path, const std::string& dir) {
    std::string d = dir;
    if (!d.empty() && d.back() != '/') d += '/';
    return path.rfind(d, 0) == 0;
}

// --upstream-node-id (or upstream_node in repmgr.conf): that node's record,
// read through the source (or, with no -h, through this node's own conninfo).
NodeRecord upstream_record(Context& ctx, int id, Connection* source) {
    if (!ctx.have_config || ctx.config.cluster.empty())
        fail(ExitCode::BadConfig, "--upstream-node-id needs repmgr.conf with \"cluster\"", {},
             "give -f /path/to/repmgr.conf");
    if (id == ctx.config.node_id)
        fail(ExitCode::BadConfig, "a node cannot be its own upstream", {},
             "give --upstream-node-id the id of the node to stream from");
    std::optional<Connection> local;
    if (!source) {
        try {
            local = ctx.connect_local();
        } catch (const DbError& e) {
            fail(ExitCode::DbConnection,
                 fmt::format("no server to read the record of node {} from", id), e.detail(),
                 "give any running node of the cluster with -h/-p/-U/-d");
        }
        source = &*local;
    }
    use_metadata_schema(*source, schema_name(ctx.config));
    auto node = NodeRepository(*source).by_id(id);
    if (!node)
        fail(ExitCode::BadConfig, fmt::format("upstream node {} is not registered", id), {},
             "check the node id with \"repmgr cluster show\"");
    if (!node->active && !ctx.opts.force)
        fail(ExitCode::BadConfig, fmt::format("upstream node {} is marked inactive", id), {},
             "choose an active node, or use -F/--force");
    if (node->type == NodeType::Witness)
        fail(ExitCode::BadConfig, fmt::format("node {} is a witness and cannot be an upstream", id));
    return *node;
}

void check_slot(Context& ctx, ClonePlan& plan) {
    if (!ctx.config.use_replication_slots) return;
    if (ctx.config.node_id <= 0)
        fail(ExitCode::BadConfig, "use_replication_slots needs this node's id", {},
             "set \"node\" in repmgr.conf (the slot is named repmgr_slot_<node>)");
    std::string slot = fmt::format("repmgr_slot_{}", ctx.config.node_id);
    if (!plan.create_slot) {
        plan.slot_name = slot;
        ctx.log.warning("replication slot \"{}\" is not created: --upstream-conninfo names an "
                        "upstream this command does not connect to", slot);
        ctx.log.hint(fmt::format("create it there before starting the standby: SELECT "
                                 "pg_create_physical_replication_slot('{}', true);", slot));
        return;
    }
    Connection& upstream = plan.upstream_conn ? *plan.upstream_conn : *plan.source_conn;
    ServerFacts f = plan.upstream_conn ? read_server_facts(upstream) : plan.source;
    if (auto state = replication_slot_state(upstream, slot)) {
        if (state->active)
            fail(ExitCode::BadConfig,
                 fmt::format("replication slot \"{}\" is in use on the upstream", slot),
                 "another server streams through it: node ids must be unique",
                 "stop the server using it or check \"node\" in repmgr.conf");
        ctx.log.info("replication slot \"{}\" exists on the upstream and will be reused", slot);
    } else if (f.used_replication_slots >= f.max_replication_slots) {
        fail(ExitCode::BadConfig, "no free replication slot on the upstream",
             fmt::format("max_replication_slots = {}, {} in use", f.max_replication_slots,
                         f.used_replication_slots),
             "raise max_replication_slots on the upstream and restart it, or drop unused slots");
    }
    plan.slot_name = slot;
}

void check_rsync(Context& ctx, ClonePlan& plan) {
    const ServerFacts& f = plan.source;
    if (f.data_directory.empty())
        fail(ExitCode::BadConfig, "unable to read the source's data_directory",
             "rsync mode needs superuser (or pg_read_all_settings) on the source", 
             "connect as a superuser with -U");
    if (f.has_user_tablespaces)
        fail(ExitCode::BadRsync, "the source has tablespaces, which rsync mode does not copy", {},
             "clone with pg_basebackup (without -r), with tablespace_mapping if needed");
    Conninfo c = Conninfo::parse(plan.source_conninfo);
    plan.ssh_host = c.get("host").value_or(c.get("hostaddr").value_or(""));
    if (plan.ssh_host.empty() || plan.ssh_host[0] == '/')
        fail(ExitCode::BadConfig, "rsync mode needs the host name of the source", {},
             "give the source with -h HOST (a Unix socket cannot be reached with ssh)");
    check_rsync_source(RsyncSource{.host = plan.ssh_host,
                                   .data_directory = f.data_directory,
                                   .ssh_options = ctx.config.ssh_options,
                                   .rsync_options = ctx.config.rsync_options,
                                   .ssh_timeout = ctx.config.ssh_timeout},
                       ctx.log);
}

void read_external_files(Context& ctx, ClonePlan& plan, ExitCode copy_error) {
    if (ctx.opts.ignore_external_config_files) return;
    const ServerFacts& f = plan.source;
    if (f.data_directory.empty()) {
        ctx.log.warning("unable to see where the source keeps its configuration files");
        ctx.log.hint("connect as a superuser to have external configuration files copied");
        return;
    }
    const std::pair<std::string, std::string> files[] = {{"config_file", "postgresql.conf"},
                                                         {"hba_file", "pg_hba.conf"},
                                                         {"ident_file", "pg_ident.conf"}};
    for (const auto& [setting, local_name] : files) {
        const std::string& path = setting == "config_file" ? f.config_file
                                  : setting == "hba_file"  ? f.hba_file
                                                           : f.ident_file;
        if (path.empty() || inside(path, f.data_directory)) continue;
        ExternalConfigFile file{.setting = setting, .source_path = path, .local_name = local_name,
                                .content = {}, .already_in_place = false};
        try {
            file.content = read_server_file(*plan.source_conn, path);
        } catch (const DbError& e) {
            fail(copy_error, fmt::format("unable to read the source's {} \"{}\"", setting, path),
                 e.detail(),
                 "connect as a superuser, or use --ignore-external-config-files and copy it "
                 "yourself");
        }
        if (plan.external_files_to == ExternalFilesTo::SamePath && std::filesystem::exists(path)) {
            // Checked before anything is copied: a different file at that
            // path on this host is not ours to replace without -F.
            std::ifstream in(path, std::ios::binary);
            std::stringstream here;
            here << in.rdbuf();
            file.already_in_place = in && here.str() == file.content;
            if (!file.already_in_place && !ctx.opts.force)
                fail(ExitCode::BadConfig,
                     fmt::format("\"{}\" exists on this host and differs from the source's {}",
                                 path, setting),
                     "--copy-external-config-files=samepath writes the source's file to the same "
                     "path here; nothing was changed",
                     "move it away, use -F/--force to replace it, or "
                     "--copy-external-config-files=pgdata");
        }
        plan.external_files.push_back(std::move(file));
    }
}

}  // namespace

void check_clone_options(Context& ctx) {
    const Options& o = ctx.opts;
    if (o.copy_external_config_files) {
        const std::string& to = *o.copy_external_config_files;
        if (to != "samepath" && to != "pgdata")
            fail(ExitCode::BadConfig,
                 fmt::format("--copy-external-config-files takes samepath or pgdata, got \"{}\"", to),
                 {}, "write --copy-external-config-files=samepath (the default) or =pgdata");
        if (o.ignore_external_config_files)
            fail(ExitCode::BadConfig,
                 "--copy-external-config-files and --ignore-external-config-files contradict "
                 "each other", {}, "give one of them");
    }
    if (o.replication_conf_only && o.rsync_only)
        fail(ExitCode::BadConfig, "--replication-conf-only copies nothing: -r/--rsync-only makes "
             "no sense with it", {}, "leave out -r");
    if (!o.replication_user.empty()) {
        if (o.replication_user.find_first_of(" \t\n'\"\\=") != std::string::npos)
            fail(ExitCode::BadConfig,
                 fmt::format("invalid user name \"{}\" for --replication-user", o.replication_user),
                 {}, "give a plain user name");
        ctx.config.replication_user = o.replication_user;
    }
    if (o.recovery_min_apply_delay) {
        // PostgreSQL's own form: an integer, optionally with a time unit.
        const std::string& v = *o.recovery_min_apply_delay;
        size_t digits = 0;
        while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits]))) ++digits;
        std::string unit = v.substr(digits);
        const char* units[] = {"", "ms", "s", "min", "h", "d"};
        bool known = false;
        for (const char* u : units) known = known || unit == u;
        if (digits == 0 || !known)
            fail(ExitCode::BadConfig,
                 fmt::format("invalid --recovery-min-apply-delay \"{}\"", v), {},
                 "give a whole number with an optional unit: ms, s, min, h or d (e.g. 5min)");
        ctx.config.recovery_min_apply_delay = v;
    }
}

TargetCheck check_clone_target(Context& ctx) {
    TargetCheck t;
    if (!ctx.opts.pgdata.empty()) {
        t.path = ctx.opts.pgdata;
        ctx.log.notice("destination directory '{}' provided", t.path);
    } else if (!ctx.config.data_directory.empty()) {
        t.path = ctx.config.data_directory;
        ctx.log.notice("destination directory '{}' (data_directory in repmgr.conf)", t.path);
    } else {
        fail(ExitCode::BadConfig, "no destination directory given", {},
             "use -D/--pgdata DIR, or set data_directory in repmgr.conf");
    }
    t.state = directory_state(t.path);
    if (ctx.opts.replication_conf_only) {
        // Only the standby settings are written, into a data directory that
        // exists already (restored by a backup tool, say); nothing is copied.
        if (t.state != DirState::NonEmpty || !std::filesystem::exists(t.path + "/PG_VERSION"))
            fail(ExitCode::BadConfig,
                 fmt::format("\"{}\" is not a PostgreSQL data directory", t.path),
                 "--replication-conf-only writes the standby settings into an existing data "
                 "directory (PG_VERSION missing)",
                 "restore the data directory first, or clone without --replication-conf-only");
        if (postmaster_running(t.path))
            fail(ExitCode::BadConfig,
                 fmt::format("a PostgreSQL server is running in data directory \"{}\"", t.path),
                 {}, "stop it first: its standby settings are read at start");
        return t;
    }
    if (t.state != DirState::NonEmpty) return t;
    if (postmaster_running(t.path))
        fail(ExitCode::BadConfig,
             fmt::format("a PostgreSQL server is running in destination directory \"{}\"", t.path),
             {}, "stop that server first (even -F/--force never copies over a running server)");
    if (!ctx.opts.force)
        fail(ExitCode::BadConfig, fmt::format("destination directory \"{}\" is not empty", t.path),
             "standby clone never overwrites existing files unless told to; nothing was changed",
             ctx.opts.rsync_only
                 ? "use an empty directory, or -F/--force to resync this one in place"
                 : "use an empty directory, or -F/--force to replace its contents");
    ctx.log.warning("destination directory \"{}\" is not empty; -F/--force given", t.path);
    return t;
}

ClonePlan plan_clone(Context& ctx, const TargetCheck& target) {
    const bool rsync = ctx.opts.rsync_only;
    const ExitCode copy_error = rsync ? ExitCode::BadRsync : ExitCode::BadBasebackup;
    ClonePlan plan;

    std::optional<std::string> given = ctx.upstream_conninfo();
    std::optional<int> upstream_id = ctx.opts.upstream_node_id;
    if (!upstream_id && ctx.config.upstream_node_id > 0) upstream_id = ctx.config.upstream_node_id;
    if (!given && !upstream_id)
        fail(ExitCode::BadConfig, "no server to clone from", {},
             "give it with -h HOST [-p PORT] -U USER -d DB (or -d CONNINFO), or "
             "--upstream-node-id=N");
    if (given) {
        plan.source_conninfo = *given;
        plan.source_conn = open_server(*given, "source server");
    }
    std::string upstream_conninfo = plan.source_conninfo;
    if (upstream_id) {
        NodeRecord up =
            upstream_record(ctx, *upstream_id, plan.source_conn ? &*plan.source_conn : nullptr);
        plan.upstream_node_id = up.id;
        upstream_conninfo = up.conninfo;
        if (!given) {
            plan.source_conninfo = up.conninfo;
            plan.source_conn = open_server(up.conninfo, "upstream node");
        }
    }
    plan.source_description = describe(plan.source_conninfo);
    plan.source = facts_of(*plan.source_conn, "source server");

    if (upstream_conninfo != plan.source_conninfo) {
        Connection up = open_server(upstream_conninfo, "upstream node");
        ServerFacts uf = facts_of(up, "upstream node");
        plan.upstream_is_source = uf.instance_id == plan.source.instance_id;
        if (!plan.upstream_is_source) {
            require_free_wal_senders(uf, 1, "upstream node", "the new standby needs one");
            plan.upstream_conn = std::move(up);
        }
    }

    const bool conf_only = ctx.opts.replication_conf_only;
    if (ctx.opts.copy_external_config_files == "samepath")
        plan.external_files_to = ExternalFilesTo::SamePath;
    if (!ctx.opts.upstream_conninfo.empty()) plan.create_slot = false;
    // pg_basebackup -X stream holds two WAL senders; the standby later needs one.
    // (--replication-conf-only copies nothing: the standby needs its sender
    // only once it starts.)
    if (rsync)
        require_free_wal_senders(plan.source, plan.upstream_is_source ? 1 : 0, "source server",
                                 "the new standby needs one");
    else if (!conf_only)
        require_free_wal_senders(plan.source, 2, "source server",
                                 "pg_basebackup -X stream uses two");
    if (!rsync && !conf_only)
        require_replication_connection(plan.source_conninfo, copy_error, "source server");

    std::string application_name = ctx.config.node_name;
    // --upstream-conninfo: what the standby will stream from, e.g. a server
    // that does not exist yet; application_name and user are still ours.
    const std::string& stream_from =
        ctx.opts.upstream_conninfo.empty() ? upstream_conninfo : ctx.opts.upstream_conninfo;
    plan.primary_conninfo =
        build_primary_conninfo(stream_from, application_name, ctx.config.replication_user);
    if (application_name.empty()) {
        Conninfo c = Conninfo::parse(plan.primary_conninfo);
        c.erase("application_name");
        plan.primary_conninfo = c.to_string();
    }
    if (ctx.opts.upstream_conninfo.empty()) {
        require_replication_connection(plan.primary_conninfo, ExitCode::BadConfig,
                                       plan.upstream_is_source ? "source server" : "upstream node");
    } else {
        try {
            require_replication_connection(plan.primary_conninfo, ExitCode::BadConfig,
                                           "upstream given with --upstream-conninfo");
        } catch (const Failure& f) {
            ctx.log.warning("{}", f.what());
            ctx.log.detail(f.detail());
            ctx.log.hint("the standby streams once that server accepts it; written all the same");
        }
    }

    check_slot(ctx, plan);
    if (rsync) check_rsync(ctx, plan);

    // Cloning a server onto its own data directory would destroy it.
    std::string host = Conninfo::parse(plan.source_conninfo).get("host").value_or("");
    if (!plan.source.data_directory.empty() && is_local_host(host)) {
        std::error_code ec;
        auto a = std::filesystem::weakly_canonical(target.path, ec);
        auto b = std::filesystem::weakly_canonical(plan.source.data_directory, ec);
        if (!ec && a == b)
            fail(ExitCode::BadConfig, "the destination is the source server's own data directory",
                 target.path, "give -D the new standby's directory");
    }
    if (!conf_only) read_external_files(ctx, plan, copy_error);
    return plan;
}

}  // namespace repmgr

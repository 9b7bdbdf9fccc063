// repmgr witness create | register | unregister
//
// The witness is a separate, writable PostgreSQL instance outside the
// replication cluster holding a copy of the metadata; repmgrd uses it as the
// casting vote in a failover.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/registration.hpp"
#include "cluster/nodes.hpp"
#include "cluster/witness.hpp"
#include "config/conninfo.hpp"
#include "pg/control.hpp"
#include "pg/witness_server.hpp"
#include "util/process.hpp"

namespace repmgr {
namespace {

// The primary, reached through -h/-p/-U/-d (required: the witness's own
// database has no metadata yet, or a stale copy).
PrimaryConnection connect_primary_for_witness(Context& ctx) {
    auto up = ctx.upstream_conninfo();
    if (!up)
        fail(ExitCode::BadConfig, "the primary's connection details are required",
             "the witness is not a replica, so it cannot find the primary by itself",
             "give the primary with -h HOST [-p PORT] [-U USER] [-d DBNAME]");
    Connection entry = Connection::open(*up);
    const std::string schema = schema_name(ctx.config);
    use_metadata_schema(entry, schema);
    if (!entry.in_recovery()) {
        auto p = NodeRepository(entry).active_primary();
        if (p) return PrimaryConnection{std::move(entry), *p};
    }
    if (auto p = find_primary(entry, schema)) return std::move(*p);
    fail(ExitCode::DbConnection, "unable to find a running primary for this cluster", {},
         "check \"repmgr cluster show\" on a cluster node");
}

void require_separate_instance(Connection& witness, Connection& primary) {
    if (system_identifier(witness) == system_identifier(primary))
        fail(ExitCode::BadConfig,
             "the witness's conninfo reaches the primary, or a copy of it",
             "a witness must be a separate PostgreSQL instance outside the replication cluster",
             "point conninfo in the witness's repmgr.conf at its own server");
}

}  // namespace

int run_witness_register(Context& ctx) {
    require_node_identity(ctx.config);
    Connection local = ctx.connect_local();
    if (local.in_recovery())
        fail(ExitCode::BadConfig, "this node is in recovery: a witness must be a writable instance",
             {}, "use a separate PostgreSQL server that is not a standby");
    PrimaryConnection primary = connect_primary_for_witness(ctx);
    require_separate_instance(local, primary.conn);

    NodeRepository repo(primary.conn);
    NodeRecord me = node_record_from_config(ctx.config, NodeType::Witness, primary.node.id);
    fit_record_to_schema(ctx, repo, me);
    bool unchanged = registration_unchanged(ctx, repo, me, "witness");
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would register node {} (\"{}\") as witness of primary node {}",
                       me.id, me.name, primary.node.id);
        return 0;
    }
    if (!unchanged) repo.upsert(me);

    const std::string schema = schema_name(ctx.config);
    {
        Transaction tx(local);
        install_metadata_schema(local, schema);
        tx.commit();
    }
    int copied = copy_node_records(primary.conn, local);
    if (unchanged) return 0;
    ctx.record(&primary.conn, "witness_register", true,
               fmt::format("witness registered; primary node ID is {}; {} node record(s) copied",
                           primary.node.id, copied),
               primary.node.id);
    ctx.log.notice("witness node correctly registered for cluster {} with id {} (conninfo: {})",
                   ctx.config.cluster, me.id, me.conninfo);
    return 0;
}

int run_witness_unregister(Context& ctx) {
    std::optional<PrimaryConnection> primary;
    if (ctx.upstream_conninfo()) primary = connect_primary_for_witness(ctx);
    return unregister_node(ctx, NodeType::Witness, nullptr, std::move(primary));
}

int run_witness_create(Context& ctx) {
    require_node_identity(ctx.config);
    std::string datadir = !ctx.opts.pgdata.empty() ? ctx.opts.pgdata : ctx.config.data_directory;
    if (datadir.empty())
        fail(ExitCode::BadConfig, "no data directory for the witness",
             {}, "give -D/--pgdata or set data_directory in repmgr.conf");
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(datadir, ec) && !fs::is_empty(datadir, ec))
        fail(ExitCode::BadConfig, fmt::format("directory \"{}\" exists and is not empty", datadir),
             {}, "give an empty or new directory; the witness's server is created there");

    Conninfo mine = Conninfo::parse(ctx.config.conninfo);
    std::string user = mine.get("user").value_or("repmgr");
    std::string dbname = mine.get("dbname").value_or(user);
    std::string server_settings = witness_server_settings(mine);  // refuses a bad port early
    std::string port = mine.get("port").value_or("5432");

    PrimaryConnection primary = connect_primary_for_witness(ctx);
    std::string hba = read_hba_file(primary.conn);
    if (ctx.opts.dry_run) {
        ctx.log.notice("[dry run] would initdb \"{}\", start it on port {} and register it as witness",
                       datadir, port);
        return 0;
    }

    ctx.log.notice("creating the witness server in \"{}\"", datadir);
    ProcessResult init = run_argv({ctx.pg_binary("initdb"), "-D", datadir, "-U", user,
                                   "-A", "trust", "-E", "UTF8"}, true);
    if (init.exit_status != 0)
        fail(ExitCode::BadConfig, "initdb failed for the witness", init.output,
             "check that the directory is writable by this user");
    {
        std::ofstream conf(datadir + "/postgresql.conf", std::ios::app);
        conf << "\n# added by repmgr witness create\n" << server_settings;
        std::ofstream hba_out(datadir + "/pg_hba.conf", std::ios::trunc);
        hba_out << hba;  // the primary's rules: the same users may reach the witness
    }
    ServerControl server(ctx.config, ctx.log, datadir);
    server.start();
    {
        Conninfo admin = mine;
        admin.set("dbname", "postgres");
        Connection conn = Connection::open(admin.to_string());
        ensure_database(conn, dbname);
    }
    ctx.record(&primary.conn, "witness_create", true,
               fmt::format("witness server created in \"{}\"", datadir), primary.node.id);
    return run_witness_register(ctx);
}

}  // namespace repmgr

// repmgr cluster matrix | crosscheck: every node's view of every other node
#include <cctype>
#include <future>
#include <iostream>

#include <fmt/format.h>

#include "actions/actions.hpp"
#include "actions/link_matrix.hpp"
#include "actions/registration.hpp"
#include "cluster/status.hpp"
#include "pg/ssh.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace repmgr {
namespace {

constexpr int kSshConnectTimeout = 10;  // seconds

bool contains_ci(std::string text, std::string_view word) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text.find(word) != std::string::npos;
}

std::string who(const NodeRecord& n) { return fmt::format("node \"{}\" (ID: {})", n.name, n.id); }

// What this node sees: the registered nodes, and its own row of the matrix
// (its own connection to each, all probed at once).
struct LocalView {
    std::vector<NodeStatus> statuses;
    LinkMatrix matrix{{}};
};

LocalView local_view(Context& ctx) {
    require_node_identity(ctx.config);
    Connection conn = connect_metadata(ctx);
    LocalView v;
    v.statuses = probe_cluster(conn);
    std::vector<MatrixNode> nodes;
    for (const auto& s : v.statuses) nodes.push_back({s.node.id, s.node.name});
    v.matrix = LinkMatrix(std::move(nodes));
    for (const auto& s : v.statuses)
        v.matrix.set(ctx.config.node_id, s.node.id, s.reachable ? Link::Up : Link::Down);
    return v;
}

// The outcome of running our repmgr on one node over ssh.
struct RemoteRun {
    const NodeRecord* node = nullptr;
    bool ssh_failed = false;  // ssh could not log in, or the command hit ssh_timeout
    std::string output;       // its stdout and stderr
    std::string why;          // what went wrong, for the notes under the table
};

// Runs `args` with repmgr (with each node's own repmgr.conf) on every node of
// `targets` at once, so that a node that does not answer costs one
// ssh_timeout in all, not one each; a node that cannot be reached is
// reported, never waited for beyond that.
std::vector<RemoteRun> run_everywhere(Context& ctx, const std::vector<const NodeRecord*>& targets,
                                      const std::vector<std::string>& args) {
    std::vector<RemoteRun> runs(targets.size());
    std::vector<std::future<ProcessResult>> pending(targets.size());
    for (size_t i = 0; i < targets.size(); ++i) {
        runs[i].node = targets[i];
        try {
            // RemoteShell refuses a host that is no host; its logger stays on
            // this thread, the ssh processes run on theirs.
            Logger quiet;
            RemoteShell shell(ssh_host_of(targets[i]->conninfo), ctx.config.ssh_options, quiet,
                              ctx.config.ssh_timeout);
            std::string command = shown_command(remote_repmgr_argv(ctx.config, *targets[i], args));
            ctx.log.debug("running on {} over ssh: {}", shell.host(), command);
            std::vector<std::string> argv = shell.ssh_argv(command);
            // A host that drops packets would hold ssh in connect() for about
            // two minutes; a status overview should say "unreachable" sooner.
            // ssh takes the first value given, so one in ssh_options wins.
            if (!contains_ci(ctx.config.ssh_options, "connecttimeout"))
                argv.insert(argv.begin() + 1, {"-o", fmt::format("ConnectTimeout={}", kSshConnectTimeout)});
            pending[i] = std::async(std::launch::async,
                                    [argv = std::move(argv), t = ctx.config.ssh_timeout] {
                                        return run_process(argv, RunOptions{.capture = true,
                                                                            .timeout_secs = t,
                                                                            .env = {},
                                                                            .timeout_setting =
                                                                                "ssh_timeout"});
                                    });
        } catch (const Failure& f) {
            runs[i].ssh_failed = true;
            runs[i].why = f.what();
        }
    }
    for (size_t i = 0; i < targets.size(); ++i) {
        if (!pending[i].valid()) continue;
        ProcessResult r = pending[i].get();
        runs[i].output = r.output;
        // ssh exits 255 for its own failures; repmgr's 12 and 25 are answers.
        if (r.timed_out || r.exit_status == 255) {
            runs[i].ssh_failed = true;
            std::string out = r.output;
            while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
            runs[i].why = fmt::format("ssh failed ({}){}", describe_exit(r),
                                      out.empty() ? "" : ": " + out);
        }
    }
    return runs;
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.empty() ? "no output" : line;
}

// repmgr 5's exit codes: 25 when a database could not be reached (it
// overrides 12), 12 when a node could not be asked over ssh.
int exit_code(const LinkMatrix& m, bool ssh_failed) {
    if (m.any(Link::Down)) return to_int(ExitCode::NodeStatus);
    if (ssh_failed) return to_int(ExitCode::BadSsh);
    if (m.any(Link::Unknown)) return to_int(ExitCode::NodeStatus);
    return 0;
}

int print_and_exit(Context& ctx, const LinkMatrix& m, bool ssh_failed,
                   const std::vector<std::string>& notes) {
    std::cout << (ctx.opts.csv ? matrix_csv(m) : matrix_table(m));
    if (!notes.empty()) {
        ctx.log.warning("some rows are not complete (\"?\": not known)");
        for (const auto& n : notes) ctx.log.detail(n);
        if (ssh_failed)
            ctx.log.hint("check passwordless ssh between the nodes, ssh_options and ssh_timeout");
    }
    return exit_code(m, ssh_failed);
}

}  // namespace

int run_cluster_matrix(Context& ctx) {
    LocalView v = local_view(ctx);
    std::vector<const NodeRecord*> targets;
    std::vector<std::string> notes;
    for (const auto& s : v.statuses) {
        if (s.node.id == ctx.config.node_id) continue;
        // As repmgr 5: a node whose database we cannot reach is not asked; its
        // row stays unknown (crosscheck asks it anyway).
        if (!s.reachable)
            notes.push_back(fmt::format("{}: not asked, its database is unreachable from here",
                                        who(s.node)));
        else
            targets.push_back(&s.node);
    }
    bool ssh_failed = false;
    for (const auto& run : run_everywhere(ctx, targets, {"-q", "cluster", "show", "--csv", "--terse"})) {
        if (run.ssh_failed) {
            ssh_failed = true;
            notes.push_back(fmt::format("{}: {}", who(*run.node), run.why));
        } else if (read_show_csv(run.output, run.node->id, v.matrix) == 0) {
            notes.push_back(fmt::format("{}: \"repmgr cluster show\" there gave no status: {}",
                                        who(*run.node), first_line(run.output)));
        }
    }
    return print_and_exit(ctx, v.matrix, ssh_failed, notes);
}

int run_cluster_crosscheck(Context& ctx) {
    LocalView v = local_view(ctx);
    // Every other node's whole matrix, merged with our own row: a link one
    // node could not test may be known to another.
    std::vector<const NodeRecord*> targets;
    for (const auto& s : v.statuses)
        if (s.node.id != ctx.config.node_id) targets.push_back(&s.node);
    bool ssh_failed = false;
    std::vector<std::string> notes;
    for (const auto& run : run_everywhere(ctx, targets, {"-q", "cluster", "matrix", "--csv"})) {
        LinkMatrix view(v.matrix.nodes());
        if (run.ssh_failed) {
            ssh_failed = true;
            notes.push_back(fmt::format("{}: {}", who(*run.node), run.why));
        } else if (read_matrix_csv(run.output, view) == 0) {
            notes.push_back(fmt::format("{}: \"repmgr cluster matrix\" there gave no matrix: {}",
                                        who(*run.node), first_line(run.output)));
        } else {
            v.matrix.merge(view);
        }
    }
    return print_and_exit(ctx, v.matrix, ssh_failed, notes);
}

}  // namespace repmgr

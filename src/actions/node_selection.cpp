#include "actions/node_selection.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace repmgr {

std::optional<int> selected_node_id(const Options& opts, NodeRepository& repo) {
    if (opts.node_name.empty()) return opts.node_id;
    auto named = repo.by_name(opts.node_name);
    if (!named)
        fail(ExitCode::BadConfig,
             fmt::format("no node named \"{}\" is registered", opts.node_name), {},
             "\"repmgr cluster show\" lists the registered nodes and their names");
    if (opts.node_id && *opts.node_id != named->id)
        fail(ExitCode::BadConfig,
             fmt::format("--node-id={} and --node-name=\"{}\" name different nodes",
                         *opts.node_id, opts.node_name),
             fmt::format("node \"{}\" has id {}", named->name, named->id),
             "give only one of them (\"repmgr cluster show\" lists ids and names)");
    return named->id;
}

}  // namespace repmgr

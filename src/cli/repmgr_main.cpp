// repmgr: the command-line tool.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "config/settings_doc.hpp"
#include "startup/startup.hpp"

using namespace repmgr;

int main(int argc, char** argv) {
    Context ctx;
    if (auto exit_now = parse_command_line(argc, argv, ctx.opts)) return *exit_now;
    try {
        refuse_root("repmgr");
        load_context(ctx, ctx.opts.log_to_file);
        if (ctx.opts.dump_config) {
            std::cout << config_dump(ctx.config);
            return 0;
        }
        for (const auto& spec : command_table())
            if (spec.group == ctx.opts.group && spec.verb == ctx.opts.verb) return spec.run(ctx);
        fail(ExitCode::BadConfig, fmt::format("unknown command \"{} {}\"", ctx.opts.group, ctx.opts.verb));
    } catch (const Failure& f) {
        return report_failure(ctx.log, f);
    } catch (const std::exception& e) {
        ctx.log.write(LogLevel::Error, fmt::format("internal error: {}", e.what()));
        return to_int(ExitCode::Internal);
    }
}

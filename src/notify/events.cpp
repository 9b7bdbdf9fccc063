#include "notify/events.hpp"

#include <ctime>
#include <map>

#include "cluster/events.hpp"
#include "util/mask.hpp"
#include "notify/placeholders.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

std::string local_timestamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

}  // namespace

bool event_selected(const std::string& event_notifications, const std::string& event) {
    if (trim(event_notifications).empty()) return true;
    size_t start = 0;
    while (start <= event_notifications.size()) {
        auto comma = event_notifications.find(',', start);
        auto item = trim(std::string_view(event_notifications).substr(start, comma - start));
        if (item == event) return true;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return false;
}

void run_notification(const Notification& n, Logger& log) {
    log.debug("executing event notification command: {}", n.command);
    // Its output goes to ours (the log when repmgrd was detached), as before.
    ProcessResult r = run_shell(n.command, false, n.timeout_secs);
    if (r.timed_out) {
        log.warning("event notification command for \"{}\" did not finish within {} seconds "
                    "and was killed with its process group",
                    n.event, n.timeout_secs);
        log.detail(n.command);
        log.hint("make the command return promptly (a webhook with its own timeout, e.g. curl "
                 "--max-time), or raise event_notification_timeout in repmgr.conf");
    } else if (r.exit_status != 0) {
        log.warning("event notification command for \"{}\" exited with status {}", n.event,
                    r.exit_status);
    }
}

void record_event(const Config& config, Logger& log, Connection* conn, const EventInfo& event,
                  NotificationSink* sink) {
    std::string timestamp;
    if (conn && conn->ok()) {
        try {
            timestamp = insert_event_row(*conn, event.node_id, event.event, event.successful,
                                         event.details);
        } catch (const Failure& f) {
            log.warning("unable to record event \"{}\" in the metadata: {}", event.event,
                        f.detail().empty() ? f.what() : f.detail());
        }
    }
    if (timestamp.empty()) timestamp = local_timestamp();

    if (config.event_notification_command.empty() ||
        !event_selected(config.event_notifications, event.event))
        return;
    std::map<char, std::string> values{
        {'n', std::to_string(event.node_id)},
        {'e', event.event},
        {'s', event.successful ? "1" : "0"},
        {'t', timestamp},
        {'d', mask_passwords(event.details)},
        {'a', event.node_name},
        {'c', mask_passwords(event.conninfo)},
        {'p', event.peer_node_id ? std::to_string(*event.peer_node_id) : ""},
    };
    Notification n{.event = event.event,
                   .command = expand_placeholders(config.event_notification_command, values),
                   .timeout_secs = config.event_notification_timeout};
    if (sink)
        sink->submit(std::move(n));
    else
        run_notification(n, log);
}

}  // namespace repmgr

#include "config/repmgr5_settings.hpp"

#include <utility>

namespace repmgr {
namespace {

constexpr std::string_view kNotImplemented = "not implemented by this version";

constexpr std::pair<std::string_view, std::string_view> kRepmgr5Only[] = {
    // By design (docs/moving-from-repmgr5.md, "What we do differently").
    {"connection_check_type",
     "repmgrd keeps its connections open and checks them every monitor_interval_secs"},
    {"primary_visibility_consensus",
     "repmgrd always requires it: no promotion while another standby still sees the primary, "
     "and only with a majority of the members visible"},
    {"async_query_timeout", "repmgrd's queries always run under a statement timeout"},
    {"replication_type", "replication is always physical"},
    // repmgr 5 features this version does not have.
    {"failover_validation_command", kNotImplemented},
    {"always_promote", kNotImplemented},
    {"standby_disconnect_on_failover", kNotImplemented},
    {"sibling_nodes_disconnect_timeout", kNotImplemented},
    {"child_nodes_check_interval", kNotImplemented},
    {"child_nodes_connected_min_count", kNotImplemented},
    {"child_nodes_disconnect_min_count", kNotImplemented},
    {"child_nodes_disconnect_timeout", kNotImplemented},
    {"child_nodes_disconnect_command", kNotImplemented},
    {"child_nodes_connected_include_witness", kNotImplemented},
    {"degraded_monitoring_timeout", kNotImplemented},
    {"primary_notification_timeout", kNotImplemented},
    {"repmgrd_standby_startup_timeout", kNotImplemented},
    {"standby_follow_timeout", kNotImplemented},
    {"node_rejoin_timeout", kNotImplemented},
    {"wal_receive_check_timeout", kNotImplemented},
    {"log_status_interval", kNotImplemented},
    {"passfile", kNotImplemented},
    {"use_primary_conninfo_password", kNotImplemented},
    {"archive_cleanup_command", kNotImplemented},
    {"config_directory", kNotImplemented},
};

}  // namespace

std::optional<std::string_view> repmgr5_setting_note(std::string_view key) {
    for (const auto& [name, note] : kRepmgr5Only)
        if (name == key) return note;
    return std::nullopt;
}

}  // namespace repmgr

#pragma once

namespace repmgr {

// The seed's exit codes exactly; kinds the seed lacks take repmgr 5's numbers.
enum class ExitCode : int {
    Success = 0,
    BadConfig = 1,             // ERR_BAD_CONFIG
    BadRsync = 2,              // ERR_BAD_RSYNC
    BadPidfile = 3,            // repmgr 5: ERR_BAD_PIDFILE
    NoRestart = 4,             // ERR_NO_RESTART
    LocalCommand = 5,          // repmgr 5: ERR_LOCAL_COMMAND
    DbConnection = 6,          // ERR_DB_CON
    DbQuery = 7,               // ERR_DB_QUERY
    Promoted = 8,              // ERR_PROMOTED (repmgr 5: ERR_PROMOTION_FAIL)
    BadPassword = 9,           // ERR_BAD_PASSWORD
    StrOverflow = 10,          // ERR_STR_OVERFLOW
    FailoverFail = 11,         // ERR_FAILOVER_FAIL
    BadSsh = 12,               // ERR_BAD_SSH
    SysFailure = 13,           // ERR_SYS_FAILURE
    BadBasebackup = 14,        // ERR_BAD_BASEBACKUP
    Internal = 15,             // repmgr 5: ERR_INTERNAL
    MonitoringFail = 16,       // ERR_MONITORING_FAIL
    BadBackupLabel = 17,       // repmgr 5: ERR_BAD_BACKUP_LABEL
    SwitchoverFail = 18,       // repmgr 5: ERR_SWITCHOVER_FAIL
    RegistrationSync = 20,     // repmgr 5: ERR_REGISTRATION_SYNC
    SwitchoverIncomplete = 22, // repmgr 5: ERR_SWITCHOVER_INCOMPLETE
    FollowFail = 23,           // repmgr 5: ERR_FOLLOW_FAIL
    RejoinFail = 24,           // repmgr 5: ERR_REJOIN_FAIL
    NodeStatus = 25,           // repmgr 5: ERR_NODE_STATUS
    RepmgrdPause = 26,         // repmgr 5: ERR_REPMGRD_PAUSE
    RepmgrdService = 27,       // repmgr 5: ERR_REPMGRD_SERVICE
};

constexpr int to_int(ExitCode c) { return static_cast<int>(c); }

}  // namespace repmgr

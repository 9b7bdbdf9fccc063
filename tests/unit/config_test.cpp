// repmgr.conf parsing: syntax, quoting, types and bounds, aliases, and error
// reporting (file:line, every error at once).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config/config.hpp"
#include "config/settings.hpp"
#include "util/error.hpp"

namespace repmgr {
namespace {

constexpr const char* kMinimal =
    "cluster=test\nnode=1\nnode_name=node1\nconninfo='host=127.0.0.1 dbname=repmgr'\n";

LoadedConfig parse(const std::string& text) { return parse_config(text, "/etc/repmgr.conf"); }

// Parses text that must be rejected and returns the Failure for inspection.
Failure parse_failure(const std::string& text) {
    try {
        parse(text);
    } catch (const Failure& f) {
        return f;
    }
    ADD_FAILURE() << "expected a configuration error for:\n" << text;
    return Failure(ExitCode::Success, "");
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

TEST(ConfigSyntax, SeedExampleParses) {
    Config c = parse(kMinimal).config;
    EXPECT_EQ(c.cluster, "test");
    EXPECT_EQ(c.node_id, 1);
    EXPECT_EQ(c.node_name, "node1");
    EXPECT_EQ(c.conninfo, "host=127.0.0.1 dbname=repmgr");
    EXPECT_EQ(c.source_file, "/etc/repmgr.conf");
    EXPECT_EQ(schema_name(c), "repmgr_test");
}

TEST(ConfigSyntax, DefaultsComeFromTheDescriptorTable) {
    Config c = parse(kMinimal).config;
    EXPECT_EQ(c.priority, 100);
    EXPECT_EQ(c.failover, "manual");
    EXPECT_EQ(c.loglevel, "NOTICE");
    EXPECT_EQ(c.logfacility, "STDERR");
    EXPECT_EQ(c.location, "default");
    EXPECT_FALSE(c.use_replication_slots);
    EXPECT_EQ(c.reconnect_attempts, 3);
}

TEST(ConfigSyntax, CommentsAndBlankLinesAreIgnored) {
    Config c = parse("# a comment\n\n   \t\n  # indented comment\n"
                     "node_name=node1   # trailing comment\n"
                     "priority = 5#no space before the comment\n")
                   .config;
    EXPECT_EQ(c.node_name, "node1");
    EXPECT_EQ(c.priority, 5);
}

TEST(ConfigSyntax, SpacesAroundEqualsAndCarriageReturns) {
    Config c = parse("node_name   =   node1  \r\npriority\t=\t7\r\n").config;
    EXPECT_EQ(c.node_name, "node1");
    EXPECT_EQ(c.priority, 7);
}

TEST(ConfigSyntax, PostgresStyleKeyValueWithoutEquals) {
    Config c = parse("node_name node1\npriority 42\n"
                     "conninfo 'host=127.0.0.1 port=5432 dbname=repmgr'\n")
                   .config;
    EXPECT_EQ(c.node_name, "node1");
    EXPECT_EQ(c.priority, 42);
    // the '=' inside the value must not be taken for the separator
    EXPECT_EQ(c.conninfo, "host=127.0.0.1 port=5432 dbname=repmgr");
}

TEST(ConfigSyntax, UnquotedValueMayContainEquals) {
    Config c = parse("conninfo=host=127.0.0.1 dbname=repmgr\n").config;
    EXPECT_EQ(c.conninfo, "host=127.0.0.1 dbname=repmgr");
}

TEST(ConfigQuoting, SingleQuotesKeepSpacesAndHashes) {
    Config c = parse("node_name='node # one'\npromote_command='a  b # c'  # comment\n").config;
    EXPECT_EQ(c.node_name, "node # one");
    EXPECT_EQ(c.promote_command, "a  b # c");
}

TEST(ConfigQuoting, EscapedQuotesBothStyles) {
    Config c = parse("node_name='it\\'s'\npromote_command='say ''hi'''\n").config;
    EXPECT_EQ(c.node_name, "it's");
    EXPECT_EQ(c.promote_command, "say 'hi'");
}

TEST(ConfigQuoting, BackslashEscapesBackslash) {
    Config c = parse("node_name='a\\\\b'\n").config;
    EXPECT_EQ(c.node_name, "a\\b");
}

TEST(ConfigQuoting, DoubleQuotesWork) {
    Config c = parse("node_name=\"node 'one'\"\npromote_command=\"echo \\\"x\\\"\"\n").config;
    EXPECT_EQ(c.node_name, "node 'one'");
    EXPECT_EQ(c.promote_command, "echo \"x\"");
}

TEST(ConfigQuoting, EmptyQuotedValue) {
    Config c = parse("event_notifications=''\n").config;
    EXPECT_EQ(c.event_notifications, "");
}

TEST(ConfigQuoting, UnterminatedQuoteIsAnError) {
    Failure f = parse_failure("node_name='node1\n");
    EXPECT_EQ(f.code(), ExitCode::BadConfig);
    EXPECT_TRUE(contains(f.detail(), "/etc/repmgr.conf:1: unterminated quoted value"))
        << f.detail();
}

TEST(ConfigQuoting, TextAfterClosingQuoteIsAnError) {
    Failure f = parse_failure("node_name='node1' extra\n");
    EXPECT_TRUE(contains(f.detail(), ":1: unexpected text \"extra\" after quoted value"))
        << f.detail();
}

TEST(ConfigErrors, MalformedLineNamesFileAndLine) {
    Failure f = parse_failure("cluster=test\njustaword\n");
    EXPECT_EQ(f.code(), ExitCode::BadConfig);
    EXPECT_TRUE(contains(f.what(), "/etc/repmgr.conf")) << f.what();
    EXPECT_TRUE(contains(f.detail(), "/etc/repmgr.conf:2: expected \"key=value\"")) << f.detail();
}

TEST(ConfigErrors, InvalidKeyCharacters) {
    Failure f = parse_failure("bad-key=1\n");
    EXPECT_TRUE(contains(f.detail(), ":1: invalid setting name")) << f.detail();
    Failure g = parse_failure("=value\n");
    EXPECT_TRUE(contains(g.detail(), ":1: invalid setting name")) << g.detail();
}

TEST(ConfigErrors, WrongTypeNamesTheRule) {
    Failure f = parse_failure("node=one\n");
    EXPECT_TRUE(contains(f.detail(), "/etc/repmgr.conf:1: \"node\" must be an integer, got \"one\""))
        << f.detail();
    Failure g = parse_failure("priority=1.5\n");
    EXPECT_TRUE(contains(g.detail(), "\"priority\" must be an integer")) << g.detail();
    Failure h = parse_failure("priority=\n");
    EXPECT_TRUE(contains(h.detail(), "\"priority\" must be an integer")) << h.detail();
    Failure i = parse_failure("priority=99999999999999999999999\n");
    EXPECT_TRUE(contains(i.detail(), "\"priority\" must be an integer")) << i.detail();
}

TEST(ConfigErrors, BoundsAreChecked) {
    Failure f = parse_failure("node=0\n");
    EXPECT_TRUE(contains(f.detail(), ":1: \"node\" must be between 1 and 2147483647, got 0"))
        << f.detail();
    Failure g = parse_failure("priority=-1\n");
    EXPECT_TRUE(contains(g.detail(), "\"priority\" must be between 0 and")) << g.detail();
    Failure h = parse_failure("monitor_interval_secs=0\n");
    EXPECT_TRUE(contains(h.detail(), "\"monitor_interval_secs\" must be between 1")) << h.detail();
    Failure i = parse_failure("http_port=65536\n");
    EXPECT_TRUE(contains(i.detail(), "\"http_port\" must be between 0 and 65535")) << i.detail();
}

TEST(ConfigErrors, ChoicesAreChecked) {
    Failure f = parse_failure("failover=sometimes\n");
    EXPECT_TRUE(contains(f.detail(), "\"failover\" must be one of automatic|manual")) << f.detail();
    Failure g = parse_failure("loglevel=LOUD\n");
    EXPECT_TRUE(contains(g.detail(), "\"loglevel\" must be one of")) << g.detail();
}

TEST(ConfigErrors, ChoicesAreCaseInsensitiveAndCanonicalised) {
    Config c = parse("failover=Automatic\nloglevel=debug\n").config;
    EXPECT_EQ(c.failover, "automatic");
    EXPECT_EQ(c.loglevel, "DEBUG");
}

TEST(ConfigErrors, InvalidConninfoAndClusterName) {
    Failure f = parse_failure("conninfo='host=a bogus_keyword=1'\ncluster='te st'\n");
    EXPECT_TRUE(contains(f.detail(), ":1: \"conninfo\" is not a valid connection string"))
        << f.detail();
    EXPECT_TRUE(contains(f.detail(), ":2: \"cluster\" may contain only letters")) << f.detail();
}

TEST(ConfigErrors, AllErrorsAreReportedAtOnce) {
    Failure f = parse_failure(
        "cluster=test\n"      // 1 ok
        "node=abc\n"          // 2 type
        "priority=-5\n"       // 3 bound
        "garbage\n"           // 4 malformed
        "unknown_key=1\n"     // 5 warning only
        "failover=maybe\n"    // 6 choice
        "use_replication_slots=perhaps\n");  // 7 boolean
    EXPECT_EQ(f.code(), ExitCode::BadConfig);
    EXPECT_TRUE(contains(f.what(), "has 5 errors")) << f.what();
    for (const char* where : {":2:", ":3:", ":4:", ":6:", ":7:"})
        EXPECT_TRUE(contains(f.detail(), std::string("/etc/repmgr.conf") + where))
            << where << " missing in:\n" << f.detail();
    EXPECT_FALSE(contains(f.detail(), ":5:")) << "an unknown key is a warning, not an error";
    EXPECT_FALSE(f.hint().empty());
}

TEST(ConfigWarnings, UnknownKeyWarnsWithFileAndLine) {
    LoadedConfig loaded = parse("cluster=test\nno_such_setting=1\n");
    ASSERT_EQ(loaded.warnings.size(), 1u);
    EXPECT_TRUE(contains(loaded.warnings[0], "/etc/repmgr.conf:2"));
    EXPECT_TRUE(contains(loaded.warnings[0], "no_such_setting"));
    EXPECT_EQ(loaded.config.cluster, "test");
}

TEST(ConfigWarnings, UnknownKeySuggestsTheSettingItIsATypoOf) {
    LoadedConfig loaded = parse("cluster=test\nreconect_attempts=5\nno_such_setting=1\n");
    ASSERT_EQ(loaded.warnings.size(), 2u);
    EXPECT_TRUE(contains(loaded.warnings[0], "/etc/repmgr.conf:2: unknown setting \"reconect_attempts\""));
    EXPECT_TRUE(contains(loaded.warnings[0], "did you mean \"reconnect_attempts\"?"));
    EXPECT_FALSE(contains(loaded.warnings[1], "did you mean")) << loaded.warnings[1];
    EXPECT_EQ(closest_setting("Monitor_Interval_Sec"), "monitor_interval_secs");
    EXPECT_EQ(closest_setting("pirority"), "priority");  // swapped letters
    EXPECT_EQ(closest_setting("bogus_key"), std::nullopt);
    EXPECT_EQ(closest_setting("nod"), "node");
    EXPECT_EQ(closest_setting("nd"), std::nullopt) << "short keys need a closer match";
}

TEST(ConfigWarnings, Repmgr5KeysWithoutEffectSayWhy) {
    LoadedConfig loaded = parse("node_id=1\nconnection_check_type='ping'\n"
                                "failover_validation_command='/bin/true'\n");
    ASSERT_EQ(loaded.warnings.size(), 2u);
    EXPECT_TRUE(contains(loaded.warnings[0],
                         "/etc/repmgr.conf:2: repmgr 5 setting \"connection_check_type\" ignored: "
                         "repmgrd keeps its connections open"))
        << loaded.warnings[0];
    EXPECT_TRUE(contains(loaded.warnings[1], "\"failover_validation_command\" ignored: not "
                                             "implemented by this version"))
        << loaded.warnings[1];
}

TEST(ConfigAliases, Repmgr5SpellingsAreAccepted) {
    Config c = parse("node_id=7\nlog_level=INFO\nupstream_node_id=3\npgdata='/data'\n"
                     "primary_response_timeout=9\nlog_facility=LOCAL0\nlog_file='/tmp/r.log'\n"
                     "witness_repl_nodes_sync_interval_secs=20\n")
                   .config;
    EXPECT_EQ(c.node_id, 7);
    EXPECT_EQ(c.loglevel, "INFO");
    EXPECT_EQ(c.upstream_node_id, 3);
    EXPECT_EQ(c.data_directory, "/data");
    EXPECT_EQ(c.master_response_timeout, 9);
    EXPECT_EQ(c.logfacility, "LOCAL0");
    EXPECT_EQ(c.logfile, "/tmp/r.log");
    EXPECT_EQ(c.witness_sync_interval, 20);
}

TEST(ConfigAliases, ErrorsNameTheCanonicalSetting) {
    Failure f = parse_failure("node_id=x\n");
    EXPECT_TRUE(contains(f.detail(), "\"node\" must be an integer")) << f.detail();
}

TEST(ConfigBooleans, AllSpellings) {
    for (const char* t : {"1", "true", "TRUE", "on", "On", "yes", "t", "y"})
        EXPECT_TRUE(parse(std::string("use_replication_slots=") + t + "\n")
                        .config.use_replication_slots)
            << t;
    for (const char* v : {"0", "false", "False", "off", "no", "f", "n"})
        EXPECT_FALSE(parse(std::string("use_replication_slots=") + v + "\n")
                         .config.use_replication_slots)
            << v;
    Failure f = parse_failure("monitoring_history=2\n");
    EXPECT_TRUE(contains(f.detail(), "\"monitoring_history\" must be a boolean")) << f.detail();
}

TEST(ConfigIdentity, MissingRequiredKeysAreAllNamed) {
    Config c = parse("priority=5\n").config;
    try {
        require_node_identity(c);
        FAIL() << "expected missing keys";
    } catch (const Failure& f) {
        EXPECT_EQ(f.code(), ExitCode::BadConfig);
        std::string msg = f.what();
        for (const char* key : {"node", "node_name", "conninfo"})
            EXPECT_TRUE(contains(msg, key)) << key << " not named in: " << msg;
        EXPECT_TRUE(contains(msg, "/etc/repmgr.conf")) << msg;
    }
    EXPECT_NO_THROW(require_node_identity(parse(kMinimal).config));
}

// A repmgr 5 repmgr.conf has no "cluster": it works unchanged, with the
// metadata in schema repmgr_default.
TEST(ConfigIdentity, Repmgr5ConfigWithoutClusterUsesTheDefaultCluster) {
    Config c = parse("node_id=1\nnode_name='node1'\nconninfo='host=node1 user=repmgr dbname=repmgr'\n"
                     "data_directory='/var/lib/postgresql/15/main'\nlog_file='/tmp/r.log'\n")
                   .config;
    EXPECT_NO_THROW(require_node_identity(c));
    EXPECT_EQ(c.cluster, "default");
    EXPECT_EQ(schema_name(c), "repmgr_default");
}

TEST(ConfigFiles, ExplicitMissingFileIsAnErrorNotAFallback) {
    try {
        find_config_file(std::string("/nonexistent/dir/repmgr.conf"));
        FAIL() << "expected an error";
    } catch (const Failure& f) {
        EXPECT_EQ(f.code(), ExitCode::BadConfig);
        EXPECT_TRUE(contains(f.what(), "/nonexistent/dir/repmgr.conf"));
    }
    EXPECT_THROW(load_config_file("/nonexistent/dir/repmgr.conf"), Failure);
}

TEST(SettingTable, NamesAndAliasesAreUniqueAndResolve) {
    std::set<std::string_view> seen;
    for (const auto& d : setting_descriptors()) {
        EXPECT_TRUE(seen.insert(d.name).second) << "duplicate " << d.name;
        EXPECT_EQ(find_setting(d.name), &d);
        for (auto alias : d.aliases) {
            if (alias.empty()) continue;
            EXPECT_TRUE(seen.insert(alias).second) << "duplicate alias " << alias;
            EXPECT_EQ(find_setting(alias), &d);
        }
        EXPECT_FALSE(d.help.empty()) << d.name << " has no help text";
        bool one_field = (d.text != nullptr) + (d.number != nullptr) + (d.flag != nullptr) == 1;
        EXPECT_TRUE(one_field) << d.name;
    }
    EXPECT_EQ(find_setting("no_such_setting"), nullptr);
}

TEST(SettingTable, DefaultsAreValidExceptRequiredIdentity) {
    for (const auto& d : setting_descriptors()) {
        Config c;
        std::string err = apply_setting(d, d.default_value, c);
        if (d.name == "node") {
            EXPECT_FALSE(err.empty()) << "node has no usable default on purpose";
            continue;
        }
        EXPECT_EQ(err, "") << d.name;
        if (d.type != SettingType::Boolean && d.type != SettingType::Choice) {
            EXPECT_EQ(setting_value(d, c), d.default_value) << d.name;
        }
    }
}

TEST(SettingTable, SeedKeysAreAllPresent) {
    for (const char* key :
         {"cluster", "node", "node_name", "conninfo", "pg_bindir", "pg_basebackup_options",
          "rsync_options", "use_replication_slots", "failover", "priority", "promote_command",
          "follow_command", "reconnect_attempts", "reconnect_interval", "monitor_interval_secs",
          "master_response_timeout", "event_notification_command", "event_notifications",
          "loglevel", "logfacility", "logfile", "ssh_options"})
        EXPECT_NE(find_setting(key), nullptr) << key;
}

TEST(ConfigSettings, PrimaryRestartGraceDefaultsToReportingAtOnce) {
    EXPECT_EQ(parse(kMinimal).config.primary_restart_grace, 0);
    EXPECT_EQ(parse(std::string(kMinimal) + "primary_restart_grace=15\n").config.primary_restart_grace,
              15);
    Failure f = parse_failure("primary_restart_grace=-1\n");
    EXPECT_TRUE(contains(f.detail(), "\"primary_restart_grace\" must be between 0 and"))
        << f.detail();
}

}  // namespace
}  // namespace repmgr

#include "config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "config/client_allow.hpp"
#include "config/conninfo.hpp"
#include "config/etcd_settings.hpp"
#include "config/repmgr5_settings.hpp"
#include "config/settings.hpp"
#include "util/error.hpp"
#include "util/mask.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

struct ParsedLine {
    std::string key;
    std::string value;
    std::string error;  // non-empty when the line is malformed
    bool empty = false;
};

bool valid_key(std::string_view key) {
    if (key.empty()) return false;
    for (char ch : key)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return false;
    return true;
}

// Parses a quoted value starting at the opening quote. Inside single quotes,
// \' and '' both stand for a quote and \\ for a backslash. Returns the value
// and the rest of the line after the closing quote, or an error.
std::string parse_quoted(std::string_view s, std::string& value, std::string_view& rest) {
    char quote = s[0];
    for (size_t i = 1; i < s.size(); ++i) {
        char ch = s[i];
        if (ch == '\\' && i + 1 < s.size()) {
            value += s[++i];
        } else if (ch == quote) {
            if (i + 1 < s.size() && s[i + 1] == quote) {
                value += quote;
                ++i;
            } else {
                rest = s.substr(i + 1);
                return {};
            }
        } else {
            value += ch;
        }
    }
    return "unterminated quoted value";
}

bool is_key_char(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }

// Accepts "key=value", "key = value" and PostgreSQL's "key value". The key is
// the leading run of name characters, so an '=' inside the value (a conninfo)
// never splits the line in the wrong place.
ParsedLine parse_line(std::string_view raw) {
    ParsedLine out;
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') {
        out.empty = true;
        return out;
    }
    size_t key_end = 0;
    while (key_end < line.size() && is_key_char(line[key_end])) ++key_end;
    std::string_view key = line.substr(0, key_end);
    std::string_view rest = line.substr(key_end);
    bool spaced = !rest.empty() && (rest[0] == ' ' || rest[0] == '\t');
    rest = trim(rest);
    if (!rest.empty() && rest[0] == '=') {
        rest = trim(rest.substr(1));
    } else if (!spaced && !rest.empty()) {
        // "bad-key=1": the name stops at a character names cannot contain.
        out.error = fmt::format("invalid setting name in \"{}\"", line);
        return out;
    } else if (rest.empty() || rest[0] == '#') {
        out.error = fmt::format("expected \"key=value\", got \"{}\"", line);
        return out;
    }
    if (!valid_key(key)) {
        out.error = fmt::format("invalid setting name in \"{}\"", line);
        return out;
    }
    out.key = std::string(key);
    if (!rest.empty() && (rest[0] == '\'' || rest[0] == '"')) {
        std::string_view after;
        out.error = parse_quoted(rest, out.value, after);
        if (!out.error.empty()) return out;
        after = trim(after);
        if (!after.empty() && after[0] != '#')
            out.error = fmt::format("unexpected text \"{}\" after quoted value", after);
        return out;
    }
    auto hash = rest.find('#');
    out.value = std::string(trim(rest.substr(0, hash)));
    return out;
}

void apply_defaults(Config& config) {
    for (const auto& d : setting_descriptors()) {
        std::string err = apply_setting(d, d.default_value, config);
        (void)err;  // defaults of required keys (node=0) are below their bounds on purpose
        if (d.type == SettingType::Integer && !err.empty()) config.*d.number = 0;
    }
}

}  // namespace

Config default_config() {
    Config config;
    apply_defaults(config);
    return config;
}

LoadedConfig parse_config(const std::string& text, const std::string& origin) {
    LoadedConfig loaded;
    loaded.config = default_config();
    loaded.config.source_file = origin;
    std::vector<std::string> errors;

    std::istringstream in(text);
    std::string raw;
    int line_no = 0;
    std::map<std::string_view, std::string> set_at;  // file:line of each setting given
    while (std::getline(in, raw)) {
        ++line_no;
        ParsedLine line = parse_line(raw);
        if (line.empty) continue;
        auto where = fmt::format("{}:{}", origin, line_no);
        // A NUL would silently cut the value short wherever it is used as a C string.
        if (raw.find('\0') != std::string::npos) line.error = "contains a NUL byte";
        if (!line.error.empty()) {
            errors.push_back(fmt::format("{}: {}", where, line.error));
            continue;
        }
        const SettingDescriptor* d = find_setting(line.key);
        if (!d) {
            if (auto note = repmgr5_setting_note(line.key)) {
                loaded.warnings.push_back(fmt::format("{}: repmgr 5 setting \"{}\" ignored: {}",
                                                      where, line.key, *note));
                continue;
            }
            std::string warning = fmt::format("{}: unknown setting \"{}\" ignored", where, line.key);
            if (auto near = closest_setting(line.key))
                warning += fmt::format(" (did you mean \"{}\"?)", *near);
            loaded.warnings.push_back(std::move(warning));
            continue;
        }
        std::string err = apply_setting(*d, line.value, loaded.config);
        if (!err.empty()) {
            errors.push_back(fmt::format("{}: {}", where, err));
            continue;
        }
        if (d->name == "conninfo") {
            if (auto bad = Conninfo::validate(line.value))
                errors.push_back(fmt::format("{}: \"conninfo\" is not a valid connection string: {}",
                                             where, *bad));
        }
        if (d->name == "http_allowed_clients") {
            std::string why;
            if (!ClientAllowList::parse(line.value, why))
                errors.push_back(fmt::format("{}: \"http_allowed_clients\" has a bad entry: {}",
                                             where, why));
        }
        set_at[d->name] = where;
        if (d->name == "cluster") {
            // It names the metadata schema (repmgr_<cluster>); leave it out
            // for the default rather than set it empty.
            bool ok = !line.value.empty() && line.value.size() <= 50;
            for (char ch : line.value)
                if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) ok = false;
            if (!ok)
                errors.push_back(fmt::format(
                    "{}: \"cluster\" may contain only letters, digits and underscores "
                    "(1 to 50), got \"{}\"",
                    where, line.value));
        }
    }
    // A certificate without its key (or the reverse) is a half-made HTTPS
    // setup: refuse it rather than fall back to plain HTTP.
    const Config& c = loaded.config;
    if (c.http_tls_cert.empty() != c.http_tls_key.empty()) {
        bool cert = !c.http_tls_cert.empty();
        errors.push_back(fmt::format(
            "{}: \"{}\" is set but \"{}\" is not: set both (HTTPS) or neither (plain HTTP)",
            set_at[cert ? "http_tls_cert" : "http_tls_key"], cert ? "http_tls_cert" : "http_tls_key",
            cert ? "http_tls_key" : "http_tls_cert"));
    }
    check_etcd_settings(c, set_at, origin, errors, loaded.warnings);
    if (!errors.empty()) {
        std::string detail;
        for (const auto& e : errors) detail += (detail.empty() ? "" : "\n  ") + e;
        fail(ExitCode::BadConfig,
             fmt::format("configuration file \"{}\" has {} error{}", origin, errors.size(),
                         errors.size() == 1 ? "" : "s"),
             detail, "correct the lines named above and run the command again");
    }
    return loaded;
}

std::optional<ConfigTrustProblem> config_trust_problem(const std::string& path, unsigned mode,
                                                        unsigned owner, unsigned user) {
    const std::string why =
        "repmgr runs the commands it holds (promote_command, follow_command, "
        "event_notification_command, service_*_command): whoever can change the file can run "
        "commands as this user";
    if (owner != user && owner != 0)
        return ConfigTrustProblem{
            fmt::format("configuration file \"{}\" is owned by another user (uid {}) than the one "
                        "running repmgr (uid {})",
                        path, owner, user),
            why,
            fmt::format("make this user (or root) its owner: chown {} \"{}\"", user, path)};
    if ((mode & (S_IWGRP | S_IWOTH)) != 0)
        return ConfigTrustProblem{
            fmt::format("configuration file \"{}\" is writable by {} (mode {:04o})", path,
                        (mode & S_IWOTH) ? "others" : "its group", mode & 07777),
            why, fmt::format("remove the write permission: chmod go-w \"{}\"", path)};
    return std::nullopt;
}

std::optional<std::string> passfile_warning(const std::string& conninfo) {
    std::optional<std::string> passfile;
    std::string where = "in conninfo";
    try {
        Conninfo parsed = Conninfo::parse(conninfo);
        passfile = parsed.get("passfile");
        // Without passfile= and password=, libpq reads PGPASSFILE, else ~/.pgpass.
        if ((!passfile || passfile->empty()) && !parsed.get("password")) {
            const char* env = std::getenv("PGPASSFILE");
            const char* home = std::getenv("HOME");
            if (env && *env) {
                passfile = env;
                where = "named by PGPASSFILE";
            } else if (home && *home) {
                passfile = std::string(home) + "/.pgpass";
                where = "(libpq's default, ~/.pgpass)";
            }
        }
    } catch (const std::exception&) {
        return std::nullopt;  // the conninfo's own error is reported where it is used
    }
    struct stat st {};
    if (!passfile || passfile->empty() || stat(passfile->c_str(), &st) != 0) return std::nullopt;
    // libpq's own rules: it skips such a file with a warning on stderr, which
    // repmgrd (logging to a file) and pg_basebackup's captured output hide;
    // the connection then fails with "no password supplied".
    if (!S_ISREG(st.st_mode))
        return fmt::format("passfile \"{}\" {} is not a plain file: libpq ignores it", *passfile,
                           where);
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return fmt::format("passfile \"{}\" {} has group or world access (mode {:04o}): libpq "
                           "ignores it, so connections needing its password fail; chmod 0600 "
                           "\"{}\"",
                           *passfile, where, st.st_mode & 07777, *passfile);
    return std::nullopt;
}

LoadedConfig load_config_file(const std::string& path) {
    // One descriptor for the check and the read: the file checked is the one read.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0) ::close(fd);
        fail(ExitCode::BadConfig, fmt::format("configuration file \"{}\" not found or not readable", path),
             {}, "check the path given with -f/--config-file and its permissions");
    }
    std::string text;
    char chunk[8192];
    ssize_t n;
    while ((n = ::read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) text.append(chunk, static_cast<size_t>(n));
    ::close(fd);
    if (auto problem = config_trust_problem(path, st.st_mode, st.st_uid, geteuid()))
        fail(ExitCode::BadConfig, problem->message, problem->detail, problem->hint);
    if (n < 0)
        fail(ExitCode::BadConfig, fmt::format("unable to read configuration file \"{}\"", path),
             std::strerror(errno), "check the file and its permissions");
    LoadedConfig loaded = parse_config(text, path);
    if (auto w = passfile_warning(loaded.config.conninfo)) loaded.warnings.push_back(*w);
    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0)
        for (const auto& d : setting_descriptors())
            if (d.type == SettingType::String &&
                (contains_password(loaded.config.*d.text) ||
                 (d.name.ends_with("password") && !(loaded.config.*d.text).empty())))
                loaded.password_readable_by_others = true;
    return loaded;
}

std::optional<std::string> find_config_file(const std::optional<std::string>& explicit_path) {
    if (explicit_path) {
        if (access(explicit_path->c_str(), R_OK) != 0)
            fail(ExitCode::BadConfig,
                 fmt::format("configuration file \"{}\" not found or not readable", *explicit_path),
                 {}, "check the path given with -f/--config-file and its permissions");
        return explicit_path;
    }
    for (const char* candidate : {"repmgr.conf", "/etc/repmgr.conf"})
        if (access(candidate, R_OK) == 0) return std::string(candidate);
    if (auto sysconf = run_capture("pg_config --sysconfdir 2>/dev/null")) {
        std::string dir(trim(*sysconf));
        if (!dir.empty()) {
            std::string candidate = dir + "/repmgr.conf";
            if (access(candidate.c_str(), R_OK) == 0) return candidate;
        }
    }
    return std::nullopt;
}

void require_node_identity(const Config& config) {
    std::vector<std::string> missing;
    if (config.node_id <= 0) missing.push_back("node");
    if (config.node_name.empty()) missing.push_back("node_name");
    if (config.conninfo.empty()) missing.push_back("conninfo");
    if (missing.empty()) return;
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    std::string origin = config.source_file.empty() ? "no configuration file" : config.source_file;
    fail(ExitCode::BadConfig, fmt::format("required settings missing in {}: {}", origin, list),
         {}, "add them to repmgr.conf, e.g. cluster=test, node=1, node_name=node1, "
             "conninfo='host=node1 user=repmgr dbname=repmgr'");
}

std::string schema_name(const Config& config) { return "repmgr_" + config.cluster; }

}  // namespace repmgr

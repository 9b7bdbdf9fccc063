#include "db/connection.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "config/conninfo.hpp"
#include "util/text.hpp"

namespace repmgr {
namespace {

std::string first_line(std::string_view sql) {
    auto nl = sql.find('\n');
    std::string line(sql.substr(0, nl));
    return line.size() > 80 ? line.substr(0, 77) + "..." : line;
}

}  // namespace

std::string connect_conninfo(const std::string& conninfo, int connect_timeout_s) {
    Conninfo c = Conninfo::parse(conninfo);
    c.set_default("connect_timeout", std::to_string(connect_timeout_s));
    // A peer that silently drops packets must fail a query in seconds, not hang
    // for minutes: with keepalives alone a query on such a connection still hung
    // after 40 s; tcp_user_timeout made it fail in about 2.4 s.
    c.set_default("keepalives", "1");
    c.set_default("keepalives_idle", "5");
    c.set_default("keepalives_interval", "2");
    c.set_default("keepalives_count", "2");
    c.set_default("tcp_user_timeout", std::to_string(connect_timeout_s * 1000));
    // Session settings for the server side of every connection (the user's
    // own options= win):
    // - our own writes (metadata, events, repmgrd's flags) never wait for a
    //   synchronous standby: during a failover there may be none yet, and the
    //   write would hang the very promotion that brings one back;
    // - the server notices a peer that vanished in a partition as fast as we
    //   do: without server-side keepalives the backend of a connection we
    //   dropped while packets were lost stays "idle" for the system's two-hour
    //   keepalive, and a few partitions fill max_connections (fault suite).
    std::string options = c.get("options").value_or("");
    const std::pair<const char*, std::string> session[] = {
        {"synchronous_commit", "local"},
        {"tcp_keepalives_idle", "5"},
        {"tcp_keepalives_interval", "2"},
        {"tcp_keepalives_count", "2"},
        {"tcp_user_timeout", std::to_string(connect_timeout_s * 1000)},
    };
    for (const auto& [name, value] : session)
        if (options.find(name) == std::string::npos)
            options += fmt::format(" -c {}={}", name, value);
    c.set("options", std::string(trim(options)));
    return c.to_string();
}

ExitCode classify_connection_error(const std::string& message) {
    if (message.find("password authentication failed") != std::string::npos ||
        message.find("no password supplied") != std::string::npos)
        return ExitCode::BadPassword;
    return ExitCode::DbConnection;
}

size_t Row::index_of(std::string_view column) const {
    for (size_t i = 0; i < names_->size(); ++i)
        if ((*names_)[i] == column) return i;
    throw DbError(ExitCode::Internal, fmt::format("result has no column \"{}\"", column), {});
}

std::optional<std::string> Row::opt_text(std::string_view column) const {
    return values_.at(index_of(column));
}

std::string Row::text(std::string_view column) const { return opt_text(column).value_or(""); }

std::optional<long long> Row::opt_int(std::string_view column) const {
    auto v = opt_text(column);
    if (!v) return std::nullopt;
    return std::stoll(*v);
}

long long Row::integer(std::string_view column) const {
    auto v = opt_int(column);
    if (!v)
        throw DbError(ExitCode::DbQuery, fmt::format("column \"{}\" is unexpectedly NULL", column),
                      {});
    return *v;
}

bool Row::boolean(std::string_view column) const { return opt_text(column).value_or("f") == "t"; }

Result::Result(PGresult* res) : res_(res) {
    auto names = std::make_shared<std::vector<std::string>>();
    for (int c = 0; c < PQnfields(res); ++c) names->push_back(PQfname(res, c));
    names_ = std::move(names);
}

Row Result::row(int index) const {
    std::vector<std::optional<std::string>> values;
    for (int c = 0; c < columns(); ++c) {
        if (PQgetisnull(res_.get(), index, c))
            values.emplace_back(std::nullopt);
        else
            values.emplace_back(std::string(PQgetvalue(res_.get(), index, c),
                                            PQgetlength(res_.get(), index, c)));
    }
    return Row(names_, std::move(values));
}

std::vector<Row> Result::all() const {
    std::vector<Row> out;
    for (int r = 0; r < rows(); ++r) out.push_back(row(r));
    return out;
}

long long Result::affected() const {
    const char* n = PQcmdTuples(res_.get());
    return (n && *n) ? std::stoll(n) : 0;
}

Connection Connection::open(const std::string& conninfo, int connect_timeout_s) {
    std::string full = connect_conninfo(conninfo, connect_timeout_s);
    Connection c(PQconnectdb(full.c_str()));
    if (!c.conn_ || PQstatus(c.conn_.get()) != CONNECTION_OK) {
        std::string msg = c.conn_ ? trim_trailing(PQerrorMessage(c.conn_.get())) : "out of memory";
        throw DbError(classify_connection_error(msg),
                      fmt::format("unable to connect to \"{}\"", conninfo), {}, msg,
                      "check that the server is running and that pg_hba.conf allows this "
                      "user and database");
    }
    // Notices from the server (e.g. "schema already exists") are not for our users.
    PQsetNoticeProcessor(c.conn_.get(), [](void*, const char*) {}, nullptr);
    return c;
}

Result Connection::exec_params(std::string_view sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    std::string text(sql);
    if (!conn_)
        throw DbError(ExitCode::DbConnection, "connection to the database was lost", {},
                      fmt::format("the connection was closed earlier (query: {})", first_line(sql)));
    PGresult* res = query_timeout_.count() > 0
                        ? exec_with_deadline(text, values)
                        : PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()),
                                       nullptr, values.data(), nullptr, nullptr, 0);
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Result(res);

    std::string message = trim_trailing(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_.get()));
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    if (res) PQclear(res);
    bool lost = !conn_ || PQstatus(conn_.get()) != CONNECTION_OK;
    throw DbError(lost ? ExitCode::DbConnection : ExitCode::DbQuery,
                  lost ? "connection to the database was lost" : "database query failed",
                  sqlstate, fmt::format("{} (query: {})", message, first_line(sql)));
}

namespace {

// Waits until `sock` is ready for `events` or the deadline passes.
bool wait_socket(int sock, short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd fd{sock, events, 0};
        int n = poll(&fd, 1, static_cast<int>(left.count()));
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return false;
    }
}

}  // namespace

PGresult* Connection::exec_with_deadline(const std::string& sql,
                                         const std::vector<const char*>& values) {
    PGconn* c = conn_.get();
    auto deadline = std::chrono::steady_clock::now() + query_timeout_;
    auto abandon = [&]() -> PGresult* {
        // The server takes the connection with it: a frozen server answers
        // neither the query nor a cancel request, so we only close our end.
        conn_.reset();
        throw DbError(ExitCode::DbConnection, "connection to the database was lost", {},
                      fmt::format("no answer from the server within {} ms (query: {})",
                                  query_timeout_.count(), first_line(sql)));
    };
    if (!PQsendQueryParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0))
        return nullptr;  // PQerrorMessage tells why
    PQsetnonblocking(c, 1);
    int flushed;
    while ((flushed = PQflush(c)) == 1)
        if (!wait_socket(PQsocket(c), POLLOUT | POLLIN, deadline)) return abandon();
    PQsetnonblocking(c, 0);
    if (flushed < 0) return nullptr;

    PGresult* kept = nullptr;  // the first error, else the last result
    for (;;) {
        while (PQisBusy(c)) {
            if (!wait_socket(PQsocket(c), POLLIN, deadline)) {
                if (kept) PQclear(kept);
                return abandon();
            }
            if (!PQconsumeInput(c)) {
                if (kept) PQclear(kept);
                return nullptr;
            }
        }
        PGresult* r = PQgetResult(c);
        if (!r) return kept;
        bool error = PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK;
        if (!kept || (error && PQresultStatus(kept) != PGRES_FATAL_ERROR)) {
            if (kept) PQclear(kept);
            kept = r;
        } else {
            PQclear(r);
        }
    }
}

void Connection::exec_script(std::string_view sql) {
    std::string text(sql);
    PGresult* res = PQexec(conn_.get(), text.c_str());
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        PQclear(res);
        return;
    }
    std::string message = trim_trailing(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_.get()));
    if (res) PQclear(res);
    throw DbError(ExitCode::DbQuery, "database script failed", {}, message);
}

Row Connection::exactly_one(const Result& r, std::string_view sql) {
    if (r.rows() != 1)
        throw DbError(ExitCode::DbQuery,
                      fmt::format("expected one row, got {} (query: {})", r.rows(), first_line(sql)),
                      {});
    return r.row(0);
}

std::optional<Row> Connection::at_most_one(const Result& r, std::string_view sql) {
    if (r.rows() > 1)
        throw DbError(ExitCode::DbQuery,
                      fmt::format("expected at most one row, got {} (query: {})", r.rows(),
                                  first_line(sql)),
                      {});
    if (r.rows() == 0) return std::nullopt;
    return r.row(0);
}

int Connection::take_notifications() {
    int n = 0;
    if (!conn_) return n;
    while (PGnotify* note = PQnotifies(conn_.get())) {
        PQfreemem(note);
        ++n;
    }
    return n;
}

bool Connection::in_recovery() { return one_row("SELECT pg_is_in_recovery() AS r").boolean("r"); }

void Connection::set_search_path(const std::string& schema) {
    exec("SELECT set_config('search_path', $1, false)", quote_identifier(schema) + ", public");
}

std::string Connection::quote_identifier(const std::string& name) const {
    char* q = PQescapeIdentifier(conn_.get(), name.c_str(), name.size());
    if (!q) throw DbError(ExitCode::DbQuery, "unable to quote identifier", {});
    std::string out(q);
    PQfreemem(q);
    return out;
}

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN"); }

Transaction::~Transaction() {
    if (!done_ && conn_.ok()) {
        try {
            conn_.exec("ROLLBACK");
        } catch (const DbError&) {
            // Ignored on purpose: a destructor must not throw (it may run while
            // another exception unwinds), and a ROLLBACK fails only when the
            // session is broken, in which case the server discards the open
            // transaction itself when the session ends.
        }
    }
}

void Transaction::commit() {
    conn_.exec("COMMIT");
    done_ = true;
}

}  // namespace repmgr

#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "util/error.hpp"

namespace repmgr {

// A database error: carries the SQLSTATE (empty for connection failures) and
// the seed's exit code (ERR_DB_CON or ERR_DB_QUERY).
class DbError : public Failure {
public:
    DbError(ExitCode code, std::string message, std::string sqlstate, std::string detail = {},
            std::string hint = {})
        : Failure(code, std::move(message), std::move(detail), std::move(hint)),
          sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }

private:
    std::string sqlstate_;
};

// One materialised row: small results only, values copied out of the PGresult.
class Row {
public:
    Row(std::shared_ptr<const std::vector<std::string>> names,
        std::vector<std::optional<std::string>> values)
        : names_(std::move(names)), values_(std::move(values)) {}

    std::optional<std::string> opt_text(std::string_view column) const;
    std::string text(std::string_view column) const;  // NULL -> ""
    std::optional<long long> opt_int(std::string_view column) const;
    long long integer(std::string_view column) const;  // NULL -> throws
    bool boolean(std::string_view column) const;       // 't' -> true
    bool is_null(std::string_view column) const { return !opt_text(column); }
    const std::optional<std::string>& at(size_t index) const { return values_.at(index); }

private:
    size_t index_of(std::string_view column) const;
    std::shared_ptr<const std::vector<std::string>> names_;
    std::vector<std::optional<std::string>> values_;
};

// Owns a PGresult and clears it on destruction.
class Result {
public:
    explicit Result(PGresult* res);
    int rows() const { return PQntuples(res_.get()); }
    int columns() const { return PQnfields(res_.get()); }
    Row row(int index) const;
    std::vector<Row> all() const;
    long long affected() const;

private:
    struct Clear {
        void operator()(PGresult* r) const { PQclear(r); }
    };
    std::unique_ptr<PGresult, Clear> res_;
    std::shared_ptr<const std::vector<std::string>> names_;
};

// A bound parameter: NULL or text. Built from the argument types we pass.
using Param = std::optional<std::string>;

inline Param to_param(std::nullopt_t) { return std::nullopt; }
inline Param to_param(const std::string& s) { return s; }
inline Param to_param(std::string_view s) { return std::string(s); }
inline Param to_param(const char* s) { return s ? Param(s) : std::nullopt; }
inline Param to_param(bool b) { return std::string(b ? "true" : "false"); }
template <typename T>
    requires std::is_integral_v<T>
Param to_param(T v) {
    return std::to_string(v);
}
template <typename T>
Param to_param(const std::optional<T>& v) {
    return v ? to_param(*v) : std::nullopt;
}

// Move-only libpq connection: closes itself. All SQL runs through exec() with
// bound parameters; no value is ever spliced into SQL text.
class Connection {
public:
    // Connects, adding connect_timeout (and TCP keepalive / user timeout) when
    // the conninfo has none. Throws DbError(ERR_DB_CON) on failure.
    static Connection open(const std::string& conninfo, int connect_timeout_s = 5);
    // Wraps an already connected PGconn (from the parallel prober).
    explicit Connection(PGconn* conn) : conn_(conn) {}

    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;

    Result exec_params(std::string_view sql, const std::vector<Param>& params);

    template <typename... Args>
    Result exec(std::string_view sql, const Args&... args) {
        return exec_params(sql, std::vector<Param>{to_param(args)...});
    }
    // Exactly one row, else DbError(ERR_DB_QUERY).
    template <typename... Args>
    Row one_row(std::string_view sql, const Args&... args) {
        return exactly_one(exec(sql, args...), sql);
    }
    // Zero or one row.
    template <typename... Args>
    std::optional<Row> opt_row(std::string_view sql, const Args&... args) {
        return at_most_one(exec(sql, args...), sql);
    }
    // Runs a script of several statements without parameters (schema DDL only).
    void exec_script(std::string_view sql);

    // A client-side deadline for every query on this connection: a server that
    // stops answering (SIGSTOP, a hung host whose kernel still ACKs) would
    // otherwise hang the caller, as neither statement_timeout nor
    // tcp_user_timeout fires then. Past the deadline the connection is closed
    // and DbError(ERR_DB_CON) thrown. Zero (the default) waits forever.
    void set_query_timeout(std::chrono::milliseconds timeout) { query_timeout_ = timeout; }

    bool in_recovery();
    int server_version_num() const { return PQserverVersion(conn_.get()); }
    // Points unqualified names at the cluster's metadata schema.
    void set_search_path(const std::string& schema);
    std::string quote_identifier(const std::string& name) const;
    bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
    // The connection's socket, to wait on between queries (-1 when closed).
    int socket() const { return conn_ ? PQsocket(conn_.get()) : -1; }
    // Reads whatever the server sent while idle; false when that showed the
    // connection is gone (the server closed it, or the socket failed).
    bool still_open_after_input() {
        return conn_ && PQconsumeInput(conn_.get()) == 1 && ok();
    }
    // Notifications (LISTEN) received so far: how many, and forgets them.
    int take_notifications();
    PGconn* raw() const { return conn_.get(); }

private:
    PGresult* exec_with_deadline(const std::string& sql, const std::vector<const char*>& values);
    static Row exactly_one(const Result& r, std::string_view sql);
    static std::optional<Row> at_most_one(const Result& r, std::string_view sql);

    struct Finish {
        void operator()(PGconn* c) const { PQfinish(c); }
    };
    std::unique_ptr<PGconn, Finish> conn_;
    std::chrono::milliseconds query_timeout_{0};
};

// Commits on commit(), rolls back when destroyed otherwise.
class Transaction {
public:
    explicit Transaction(Connection& conn);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Connection& conn_;
    bool done_ = false;
};

// The conninfo actually used to connect: the user's plus our timeouts.
std::string connect_conninfo(const std::string& conninfo, int connect_timeout_s);

// Maps a libpq connection error message to the seed's exit code.
ExitCode classify_connection_error(const std::string& message);

}  // namespace repmgr

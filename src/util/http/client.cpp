// The module's HTTP client (the etcd gateway's transport).

#include <httplib.h>

#include "util/http/server.hpp"

namespace repmgr::http {
namespace {

// Whether the request surely did not leave (another server may take it).
bool not_sent(httplib::Error e) {
    return e == httplib::Error::Connection || e == httplib::Error::ConnectionTimeout ||
           e == httplib::Error::SSLConnection || e == httplib::Error::BindIPAddress ||
           e == httplib::Error::SSLServerVerification || e == httplib::Error::SSLLoadingCerts;
}

class LibraryClient : public Client {
public:
    explicit LibraryClient(const ClientOptions& o)
        : client_(o.cert.empty() ? httplib::Client(o.base_url)
                                 : httplib::Client(o.base_url, o.cert, o.key)) {
        if (!o.cacert.empty()) client_.set_ca_cert_path(o.cacert);
        client_.set_keep_alive(true);
    }

    Answer post(const Post& request) override {
        time_t sec = request.timeout_ms / 1000;
        time_t usec = (request.timeout_ms % 1000) * 1000;
        client_.set_connection_timeout(sec, usec);
        client_.set_read_timeout(sec, usec);
        client_.set_write_timeout(sec, usec);
        httplib::Headers headers(request.headers.begin(), request.headers.end());
        auto res = client_.Post(request.path, headers, request.body, request.content_type);
        Answer a;
        if (!res) {
            a.surely_not_sent = not_sent(res.error());
            a.error = httplib::to_string(res.error());
            return a;
        }
        a.answered = true;
        a.status = res->status;
        a.body = std::move(res->body);
        return a;
    }

private:
    httplib::Client client_;
};

}  // namespace

std::unique_ptr<Client> make_library_client(const ClientOptions& options) {
    return std::make_unique<LibraryClient>(options);
}

}  // namespace repmgr::http

// The HTTP API of http-api.md: routing, auth and the handlers, over plain Request and
// Response values (the wire is http_server.cpp's business).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/http_types.hpp"

namespace spur::server {

class Server;

// Answers `request` through `respond`, now or later (events wait for their shards).
// Called on an I/O thread.
void handle_request(Server& server, const Request& request, Respond respond);

// What the request line and headers alone decide, before the body is read: the refusal
// (404 unknown route, 400 bad path, 405, 401, 403) or nullopt when the body may come.
// `head` is a request without its body.
std::optional<Response> screen_request(const Server& server, const Request& head);

// Whether the Content-Type is application/x-www-form-urlencoded: the label `curl -d`,
// `curl --data-binary` and Python's urllib put on a body given without one.
bool has_default_label(const Request& request);
// Whether the body is to be read as JSON: its Content-Type is application/json or
// missing, or the default label on a body that opens with `{` or `[` (a form-encoded
// body, `a=1&b=2`, cannot open so); any other body under that label is refused with 415
// like any other type.
bool is_json_body(const Request& request);

// {"error": {"code", "message", "details"?}} with `status`.
Response error_response(int status, const std::string& code, const std::string& message,
                        const nlohmann::ordered_json& details = nullptr);
Response json_response(int status, const nlohmann::ordered_json& body);
// 503 for a write the server cannot take now (Server::write_refusal), with Retry-After;
// nullopt when it can.
std::optional<Response> refuse_write(const Server& server);
// 503 for a write whose part could not be made durable (`error`, from the data folder).
Response not_durable(const std::string& error);

// The handlers, one file each (api_*.cpp).
void post_events(Server& server, const Request& request, Respond respond);
void post_decide(Server& server, const Request& request, Respond respond);
void profile_request(Server& server, const Request& request, const std::string& user,
                     Respond respond);
void user_firings(Server& server, const Request& request, const std::string& user, Respond respond);
void user_explain(Server& server, const Request& request, const std::string& user, Respond respond);
void list_rules(Server& server, Respond respond);
void one_rule(Server& server, const std::string& name, Respond respond);
void reload_rules(Server& server, Respond respond);
void validate_rules(Server& server, const Request& request, Respond respond);
void metrics_text(Server& server, Respond respond);

}  // namespace spur::server

#include "server/api.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "grammar/source.hpp"
#include "server/server.hpp"

namespace spur::server {
namespace {

enum class Need : uint8_t { kNothing, kIngest, kDecide, kRead, kAdmin };

struct Route {
  std::string_view method;
  Need need;
};

bool has_scope(const Token& token, Need need) {
  const Scope scope = need == Need::kIngest   ? Scope::kIngest
                      : need == Need::kDecide ? Scope::kDecide
                      : need == Need::kRead   ? Scope::kRead
                                              : Scope::kAdmin;
  for (const Scope s : token.scopes) {
    if (s == scope) return true;
  }
  return false;
}

// Compares a token with a secret in a time that does not depend on where they differ
// (their lengths are not secret).
bool same_secret(std::string_view given, std::string_view secret) {
  if (given.size() != secret.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ secret[i]);
  return diff == 0;
}

// nullopt when the request may go on; else the 401 or 403 to answer.
std::optional<Response> refuse(const Server& server, const Request& request, Need need) {
  const auto& tokens = server.config().tokens;
  if (need == Need::kNothing || tokens.empty()) return std::nullopt;
  // The scheme is case-insensitive (RFC 7235); spaces around the token are not part of it.
  std::string_view header = request.authorization;
  constexpr std::string_view kBearer = "bearer ";
  const bool bearer =
      header.size() > kBearer.size() &&
      std::equal(kBearer.begin(), kBearer.end(), header.begin(),
                 [](char k, char h) { return k == std::tolower(static_cast<unsigned char>(h)); });
  if (!bearer) {
    Response r = error_response(
        401, "unauthorized", "this endpoint needs a token: send `Authorization: Bearer <token>`");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  std::string_view secret = header.substr(kBearer.size());
  while (!secret.empty() && secret.front() == ' ')
    secret.remove_prefix(1);
  while (!secret.empty() && secret.back() == ' ')
    secret.remove_suffix(1);
  for (const Token& token : tokens) {
    if (!same_secret(secret, token.secret)) continue;
    if (has_scope(token, need)) return std::nullopt;
    static const char* const kScopes[] = {"", "ingest", "decide", "read", "admin"};
    return error_response(403, "forbidden",
                          "token `" + token.name + "` lacks the `" +
                              kScopes[static_cast<int>(need)] +
                              "` scope this endpoint needs; use a token that has it");
  }
  Response r = error_response(401, "unauthorized",
                              "the bearer token is not one this server knows; check the token");
  r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return r;
}

Response wrong_method(const Request& request, std::span<const Route> routes) {
  std::string allow;
  for (const Route& r : routes)
    allow += (allow.empty() ? "" : ", ") + std::string(r.method);
  Response response =
      error_response(405, "method_not_allowed",
                     request.method + " is not allowed on " + request.path + "; use " + allow);
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace

Response json_response(int status, const nlohmann::ordered_json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::optional<Response> refuse_write(const Server& server) {
  const std::string why = server.write_refusal();
  if (why.empty()) return std::nullopt;
  Response r = error_response(503, server.ready() ? "storage_unavailable" : "not_ready", why);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response not_durable(const std::string& error) {
  Response r = error_response(
      503, "storage_unavailable",
      "the data folder could not take this request's writes (" + error +
          "): it is not acknowledged; retry when the disk takes writes again (events with "
          "an id are not taken twice)");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool has_default_label(const Request& request) {
  return request.content_type == "application/x-www-form-urlencoded";
}

bool is_json_body(const Request& request) {
  if (request.content_type.empty() || request.content_type == "application/json") return true;
  if (!has_default_label(request)) return false;
  const size_t first = request.body.find_first_not_of(" \t\r\n");
  return first != std::string::npos && (request.body[first] == '{' || request.body[first] == '[');
}

Response error_response(int status, const std::string& code, const std::string& message,
                        const nlohmann::ordered_json& details) {
  nlohmann::ordered_json error = {{"code", code}, {"message", message}};
  if (!details.is_null()) error["details"] = details;
  return json_response(status, {{"error", error}});
}

namespace {

enum class Endpoint : uint8_t {
  kNone,
  kHealthz,
  kReadyz,
  kMetrics,
  kEvents,
  kDecide,
  kNotYet,
  kProfile,
  kUserFirings,
  kUserExplain,
  kRules,
  kReload,
  kValidate,
  kOneRule,
};

// The methods an endpoint takes, with the scope each needs: held inline, since every
// request is matched (twice: at its header and when it runs).
class Routes {
 public:
  Routes() = default;
  Routes(std::initializer_list<Route> routes) {
    assert(routes.size() <= list_.size());
    for (const Route& r : routes)
      list_[count_++] = r;
  }
  std::span<const Route> all() const { return {list_.data(), count_}; }

 private:
  std::array<Route, 4> list_{};
  size_t count_ = 0;
};

struct Match {
  Endpoint endpoint = Endpoint::kNone;
  Routes routes;
};

// The endpoint of a path's segments (each percent-decoded on its own, so that a user id
// may hold `/`).
Match match_route(const Server& server, const std::vector<std::string>& parts) {
  const size_t n = parts.size();
  const auto at = [&](size_t i, std::string_view text) { return i < n && parts[i] == text; };
  const bool user = n > 2 && !parts[2].empty();
  if (n == 1 && at(0, "healthz")) return {Endpoint::kHealthz, {{"GET", Need::kNothing}}};
  if (n == 1 && at(0, "readyz")) return {Endpoint::kReadyz, {{"GET", Need::kNothing}}};
  if (n == 1 && at(0, "metrics")) {
    return {Endpoint::kMetrics,
            {{"GET", server.config().metrics_auth ? Need::kRead : Need::kNothing}}};
  }
  if (n == 2 && at(0, "v1") && at(1, "events"))
    return {Endpoint::kEvents, {{"POST", Need::kIngest}}};
  if (n == 2 && at(0, "v1") && at(1, "decide"))
    return {Endpoint::kDecide, {{"POST", Need::kDecide}}};
  if (n == 2 && at(0, "v1") && at(1, "segment"))
    return {Endpoint::kNotYet, {{"POST", Need::kIngest}}};
  if (n == 3 && at(0, "v1") && at(1, "profiles") && user) {
    return {Endpoint::kProfile,
            {{"GET", Need::kRead},
             {"PATCH", Need::kIngest},
             {"PUT", Need::kIngest},
             {"DELETE", Need::kAdmin}}};
  }
  if (n == 4 && at(0, "v1") && at(1, "users") && user && at(3, "firings"))
    return {Endpoint::kUserFirings, {{"GET", Need::kRead}}};
  if (n == 4 && at(0, "v1") && at(1, "users") && user && at(3, "explain"))
    return {Endpoint::kUserExplain, {{"GET", Need::kRead}}};
  if (n == 2 && at(0, "v1") && at(1, "rules")) return {Endpoint::kRules, {{"GET", Need::kRead}}};
  if (n == 3 && at(0, "v1") && at(1, "rules") && at(2, "reload"))
    return {Endpoint::kReload, {{"POST", Need::kAdmin}}};
  if (n == 3 && at(0, "v1") && at(1, "rules") && at(2, "validate"))
    return {Endpoint::kValidate, {{"POST", Need::kAdmin}}};
  if (n == 3 && at(0, "v1") && at(1, "rules") && !parts[2].empty())
    return {Endpoint::kOneRule, {{"GET", Need::kRead}}};
  return {};
}

std::optional<Response> screen(const Server& server, const Request& request, const Match& match) {
  if (match.endpoint == Endpoint::kNone) {
    return error_response(404, "unknown_route",
                          "no endpoint at " + request.path +
                              "; see http-api.md for the routes (events go to POST /v1/events)");
  }
  for (const std::string& part : request.segments) {
    if (find_invalid_utf8(part) != part.size()) {
      return error_response(400, "bad_path",
                            "the path is not valid UTF-8 once percent-decoded; user ids and "
                            "rule names are UTF-8 text");
    }
  }
  const Route* route = nullptr;
  for (const Route& r : match.routes.all()) {
    if (r.method == request.method) route = &r;
  }
  if (route == nullptr) return wrong_method(request, match.routes.all());
  return refuse(server, request, route->need);
}

}  // namespace

std::optional<Response> screen_request(const Server& server, const Request& head) {
  return screen(server, head, match_route(server, head.segments));
}

void handle_request(Server& server, const Request& request, Respond respond) {
  const Match match = match_route(server, request.segments);
  if (auto refusal = screen(server, request, match)) return respond(std::move(*refusal));
  const std::vector<std::string>& parts = request.segments;
  switch (match.endpoint) {
    case Endpoint::kNone:
      break;  // refused above
    case Endpoint::kHealthz:
      return respond(json_response(200, {{"status", "ok"}}));
    case Endpoint::kReadyz: {
      if (server.ready()) return respond(json_response(200, {{"status", "ready"}}));
      Response r = error_response(
          503, "not_ready",
          "the server is starting (loading its rules, recovering its state from the data "
          "folder) or stopping; retry shortly");
      r.headers.emplace_back("Retry-After", "1");
      return respond(std::move(r));
    }
    case Endpoint::kMetrics:
      return metrics_text(server, std::move(respond));
    case Endpoint::kEvents:
      return post_events(server, request, std::move(respond));
    case Endpoint::kDecide:
      return post_decide(server, request, std::move(respond));
    case Endpoint::kNotYet:
      return respond(error_response(
          501, "not_implemented",
          request.path + " is not in this build of Spur yet; post events to /v1/events"));
    case Endpoint::kProfile:
      return profile_request(server, request, parts[2], std::move(respond));
    case Endpoint::kUserFirings:
      return user_firings(server, request, parts[2], std::move(respond));
    case Endpoint::kUserExplain:
      return user_explain(server, request, parts[2], std::move(respond));
    case Endpoint::kRules:
      return list_rules(server, std::move(respond));
    case Endpoint::kReload:
      return reload_rules(server, std::move(respond));
    case Endpoint::kValidate:
      return validate_rules(server, request, std::move(respond));
    case Endpoint::kOneRule:
      return one_rule(server, parts[2], std::move(respond));
  }
}

}  // namespace spur::server

#include "server/api.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

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

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Response wrong_method(const Request& request, const std::vector<Route>& routes) {
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

Response error_response(int status, const std::string& code, const std::string& message,
                        const nlohmann::ordered_json& details) {
  nlohmann::ordered_json error = {{"code", code}, {"message", message}};
  if (!details.is_null()) error["details"] = details;
  return json_response(status, {{"error", error}});
}

void handle_request(Server& server, Request request, Respond respond) {
  const std::vector<std::string_view> parts = segments(request.path);
  const size_t n = parts.size();
  const auto at = [&](size_t i, std::string_view text) { return i < n && parts[i] == text; };
  const std::string user = n > 2 ? std::string(parts[2]) : std::string();

  // The routes of the path, and what to do once method and token are right.
  std::vector<Route> routes;
  std::function<void()> run;
  if (n == 1 && at(0, "healthz")) {
    routes = {{"GET", Need::kNothing}};
    run = [&] { respond(json_response(200, {{"status", "ok"}})); };
  } else if (n == 1 && at(0, "readyz")) {
    routes = {{"GET", Need::kNothing}};
    run = [&] {
      if (server.ready()) return respond(json_response(200, {{"status", "ready"}}));
      Response r = error_response(503, "not_ready", "the rules are still loading; retry shortly");
      r.headers.emplace_back("Retry-After", "1");
      respond(std::move(r));
    };
  } else if (n == 1 && at(0, "metrics")) {
    routes = {{"GET", server.config().metrics_auth ? Need::kRead : Need::kNothing}};
    run = [&] { metrics_text(server, respond); };
  } else if (n == 2 && at(0, "v1") && at(1, "events")) {
    routes = {{"POST", Need::kIngest}};
    run = [&] { post_events(server, request, respond); };
  } else if (n == 2 && at(0, "v1") && (at(1, "segment") || at(1, "decide"))) {
    routes = {{"POST", at(1, "decide") ? Need::kDecide : Need::kIngest}};
    run = [&] {
      respond(error_response(501, "not_implemented",
                             request.path + " is not in this build of Spur yet; post events to "
                                            "/v1/events"));
    };
  } else if (n == 3 && at(0, "v1") && at(1, "profiles") && !user.empty()) {
    routes = {{"GET", Need::kRead},
              {"PATCH", Need::kIngest},
              {"PUT", Need::kIngest},
              {"DELETE", Need::kAdmin}};
    run = [&] { profile_request(server, request, user, respond); };
  } else if (n == 4 && at(0, "v1") && at(1, "users") && !user.empty() &&
             (at(3, "firings") || at(3, "explain"))) {
    routes = {{"GET", Need::kRead}};
    const bool firings = at(3, "firings");
    run = [&, firings] {
      firings ? user_firings(server, request, user, respond)
              : user_explain(server, request, user, respond);
    };
  } else if (n == 2 && at(0, "v1") && at(1, "rules")) {
    routes = {{"GET", Need::kRead}};
    run = [&] { list_rules(server, respond); };
  } else if (n == 3 && at(0, "v1") && at(1, "rules") && at(2, "reload")) {
    routes = {{"POST", Need::kAdmin}};
    run = [&] { reload_rules(server, respond); };
  } else if (n == 3 && at(0, "v1") && at(1, "rules") && at(2, "validate")) {
    routes = {{"POST", Need::kAdmin}};
    run = [&] { validate_rules(server, request, respond); };
  } else if (n == 3 && at(0, "v1") && at(1, "rules") && !parts[2].empty()) {
    routes = {{"GET", Need::kRead}};
    run = [&] { one_rule(server, std::string(parts[2]), respond); };
  } else {
    return respond(error_response(404, "unknown_route",
                                  "no endpoint at " + request.path +
                                      "; see http-api.md for the routes (events go to "
                                      "POST /v1/events)"));
  }
  if (find_invalid_utf8(request.path) != request.path.size()) {
    return respond(error_response(400, "bad_path",
                                  "the path is not valid UTF-8 once percent-decoded; user ids and "
                                  "rule names are UTF-8 text"));
  }
  const Route* route = nullptr;
  for (const Route& r : routes) {
    if (r.method == request.method) route = &r;
  }
  if (route == nullptr) return respond(wrong_method(request, routes));
  if (auto refusal = refuse(server, request, route->need)) return respond(std::move(*refusal));
  run();
}

}  // namespace spur::server

-- wrk: one event per POST /v1/events, keep-alive, cycling through EVENTS (NDJSON file).
-- PACE_MS (optional): each connection waits this long between requests (paced load).
-- TARGET (optional): another path to POST the lines to (/v1/decide).
local events = {}
local next_event = 1
local pace = tonumber(os.getenv("PACE_MS") or "0")
local target = os.getenv("TARGET") or "/v1/events"

function init(args)
  for line in io.lines(os.getenv("EVENTS")) do
    events[#events + 1] = line
  end
  next_event = math.random(#events)
end

function request()
  local body = events[next_event]
  next_event = next_event % #events + 1
  return wrk.format("POST", target, {["Content-Type"] = "application/json"}, body)
end

function delay()
  return pace
end

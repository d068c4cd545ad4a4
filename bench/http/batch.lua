-- wrk: NDJSON batches of BATCH events per POST /v1/events, cycling through EVENTS.
local bodies = {}
local next_body = 1
local batch = tonumber(os.getenv("BATCH") or "1000")

function init(args)
  local lines = {}
  for line in io.lines(os.getenv("EVENTS")) do
    lines[#lines + 1] = line
  end
  for first = 1, #lines - batch + 1, batch do
    bodies[#bodies + 1] = table.concat(lines, "\n", first, first + batch - 1) .. "\n"
  end
  next_body = math.random(#bodies)
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/x-ndjson"}, body)
end

-- Events per second = requests per second * BATCH; printed for run.sh to read.
function done(summary, latency, requests)
  io.write(string.format("events_per_second %.0f\n",
                         summary.requests / (summary.duration / 1e6) * batch))
  io.write(string.format("non_2xx %d\n", summary.errors.status))
end

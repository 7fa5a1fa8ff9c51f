-- One event per request, each with a fresh event_id (wrk's thread id keeps them unique).
local counter = 0
local tid = 0
local token = os.getenv("TRELLIS_TOKEN")
function setup(thread)
  thread:set("tid", math.random(1, 1e9))
end
function request()
  counter = counter + 1
  local u = (counter % 5000)
  local body = string.format(
    '{"event_id":"s%d-%d","user_id":"u%06d","type":"page_view","ts":"2026-11-23T00:00:00Z","props":{"page":"home"}}',
    tid, counter, u)
  return wrk.format("POST", "/v1/events",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

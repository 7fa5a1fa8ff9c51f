-- Batches of 1,000 events per request, each event with a fresh event_id.
local counter = 0
local tid = 0
local token = os.getenv("TRELLIS_TOKEN")
local kinds = { "page_view", "add_to_cart", "login", "page_view", "search" }
function setup(thread)
  thread:set("tid", math.random(1, 1e9))
end
function request()
  local parts = {}
  for i = 1, 1000 do
    counter = counter + 1
    parts[i] = string.format(
      '{"event_id":"b%d-%d","user_id":"u%06d","type":"%s","ts":"2026-11-23T00:00:00Z","props":{"amount":129}}',
      tid, counter, counter % 5000, kinds[(counter % 5) + 1])
  end
  return wrk.format("POST", "/v1/events",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token },
    "[" .. table.concat(parts, ",") .. "]")
end

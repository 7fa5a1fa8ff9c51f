-- One placement request per call: a fresh request_id (the thread's id and a counter) for a user
-- among the 5,000 loaded; counts the answers by decision (offer / content / none, and timeouts).
local counter = 0
local tid = 0
local token = os.getenv("TRELLIS_TOKEN")
local threads = {}
function setup(thread)
  thread:set("tid", math.random(1, 1e9))
  table.insert(threads, thread)
end
function init(args)
  offers, nones, timeouts = 0, 0, 0
end
function request()
  counter = counter + 1
  local u = (counter * 7919) % 5000
  local body = string.format(
    '{"request_id":"d%d-%d","user_id":"u%06d","placement":"home_banner","context":{"page":"home"}}',
    tid, counter, u)
  return wrk.format("POST", "/v1/decide",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
function response(status, headers, body)
  if body:find('"decision":"offer"', 1, true) then offers = offers + 1
  elseif body:find('"reason":"timeout"', 1, true) then timeouts = timeouts + 1
  else nones = nones + 1 end
end
function done(summary, latency, requests)
  local o, n, t = 0, 0, 0
  for _, th in ipairs(threads) do
    o = o + th:get("offers"); n = n + th:get("nones"); t = t + th:get("timeouts")
  end
  io.write(string.format("answers offer %d none %d timeout %d\n", o, n, t))
end

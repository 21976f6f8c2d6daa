-- wrk script: optional per-request sessions (one cookie + POST target per request, read from
-- WRK_SESSIONS), a fixed cookie/body otherwise, and a JSON summary with p50/p95/p99, the
-- request rate and status counts (302 to the thanks page counted separately).
local threads = {}
local sessions = nil
local counter = 0
local cookie = os.getenv("WRK_COOKIE") or ""
local body = os.getenv("WRK_BODY")
local method = os.getenv("WRK_METHOD") or "GET"
local file = os.getenv("WRK_SESSIONS")
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  thanks = 0
  if file then
    sessions = {}
    for line in io.lines(file) do
      local sid, path = line:match("^(%S+)%s+(%S+)$")
      if sid then table.insert(sessions, {sid, path}) end
    end
    -- each thread takes every n-th session, so no two requests share one
    counter = id
  end
end

function request()
  local headers = {}
  headers["Cookie"] = cookie
  if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  if sessions then
    local n = (counter % #sessions) + 1
    counter = counter + nthreads
    local s = sessions[n]
    -- a "name=value" cookie (the signed answering state), or a session key
    if s[1]:find("=", 1, true) then
      headers["Cookie"] = cookie .. "; " .. s[1]
    else
      headers["Cookie"] = cookie .. "; sessionid=" .. s[1]
    end
    return wrk.format(method, s[2], headers, body)
  end
  return wrk.format(method, nil, headers, body)
end

function response(status, headers, resp_body)
  statuses[status] = (statuses[status] or 0) + 1
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:find("thanks") then thanks = thanks + 1 end
end

function done(summary, latency, requests)
  local counts = {}
  local total_thanks = 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do counts[code] = (counts[code] or 0) + n end
    total_thanks = total_thanks + thread:get("thanks")
  end
  local parts = {}
  for code, n in pairs(counts) do table.insert(parts, string.format('"%d": %d', code, n)) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"max_ms": %.2f, "errors": %d, "thanks": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    total_thanks, table.concat(parts, ", ")))
end

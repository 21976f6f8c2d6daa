-- wrk script: optional per-request sessions (one cookie, POST target and marker per request,
-- read from WRK_SESSIONS), a fixed cookie/body otherwise, and a JSON summary with p50/p95/p99,
-- the request rate and status counts (302 to the thanks page counted separately).
--
-- With sessions, run one connection per thread (-tN -cN): a thread's requests are then
-- answered in order, so the marker of each "thanks" is known; the body's "BENCHMARKER" is
-- replaced by the session's marker, and the markers that got "thanks" go to WRK_MARKERS.
local threads = {}
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
  thanked = {}
  current = nil
  if file then
    sessions = {}
    for line in io.lines(file) do
      local state, path, marker = line:match("^(%S+)%s+(%S+)%s*(%S*)$")
      if state then table.insert(sessions, {state, path, marker}) end
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
    local s = sessions[(counter % #sessions) + 1]
    counter = counter + nthreads
    current = s[3]
    headers["Cookie"] = cookie .. "; " .. s[1] -- the answering state's "name=value"
    local sent = body
    if body and current ~= "" then sent = body:gsub("BENCHMARKER", current) end
    return wrk.format(method, s[2], headers, sent)
  end
  return wrk.format(method, nil, headers, body)
end

function response(status, headers, resp_body)
  statuses[status] = (statuses[status] or 0) + 1
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:find("thanks") then
    thanks = thanks + 1
    if current and current ~= "" then table.insert(thanked, current) end
  end
end

function done(summary, latency, requests)
  local counts = {}
  local total_thanks = 0
  local out = os.getenv("WRK_MARKERS") and io.open(os.getenv("WRK_MARKERS"), "w")
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do counts[code] = (counts[code] or 0) + n end
    total_thanks = total_thanks + thread:get("thanks")
    if out then
      for _, m in ipairs(thread:get("thanked")) do out:write(m, "\n") end
    end
  end
  if out then out:close() end
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

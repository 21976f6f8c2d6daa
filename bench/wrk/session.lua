-- wrk script: whole answering sessions, one respondent per connection (run with as many
-- threads as connections, -tN -cN: each wrk thread has its own Lua state, so this state is
-- the connection's).
--
-- A respondent opens a school's link (WRK_LINKS: one path per line, "/s/<code>"), follows the
-- redirect to the answering page, answers every question shown on it (an option of each radio
-- and checkbox group, the number fields' minimum, its own marker in the first text field),
-- POSTs the page with the page's CSRF token, follows the redirect to the next page, and so on
-- until the thanks page; then starts again as a new respondent. Cookies (the answering state,
-- csrftoken) are kept for one session only.
--
-- Each text answer carries a marker "bench-<WRK_TAG>-<thread>-<n>": the markers of the sessions
-- that reached "thanks" are written to WRK_MARKERS, so the run can check each against the
-- stored rows (none lost, none twice).
--
-- Timing: LuaJIT's ffi reads CLOCK_MONOTONIC; each request's latency is kept under its
-- step: "open" (GET /s/<code>), "get p<i>" and "post p<i>" (a page shown, a page sent),
-- "submit" (the last page's POST, which stores the response). done() prints one JSON line.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *tp);
]]
local timespec = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}
local think_ms = tonumber(os.getenv("WRK_THINK_MS") or "0")
local tag = os.getenv("WRK_TAG") or "x"

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  links = {}
  for line in io.lines(os.getenv("WRK_LINKS")) do
    if line ~= "" then table.insert(links, line) end
  end
  -- step and latency of every request, in two flat lists (wrk's thread:get() crashes on a
  -- table of tables)
  lat_steps, lat_ms = {}, {}
  statuses = {}    -- "step status" -> count (unexpected answers only)
  thanked = {}     -- markers of sessions that reached the thanks page
  started, completed, failed = 0, 0, 0
  jar, pending, sent_at, serial = {}, nil, 0, 0
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function cookie_header()
  local parts = {}
  for name, value in pairs(jar) do table.insert(parts, name .. "=" .. value) end
  return table.concat(parts, "; ")
end

local function keep_cookies(headers)
  for name, value in pairs(headers) do
    if name:lower() == "set-cookie" then
      local cname, cvalue = value:match("^%s*([^=;]+)=([^;]*)")
      if cname then
        if value:find("[Mm]ax%-[Aa]ge=0") or value:find("1970") then
          jar[cname] = nil
        else
          jar[cname] = cvalue
        end
      end
    end
  end
end

local function header(headers, wanted)
  for name, value in pairs(headers) do
    if name:lower() == wanted then return value end
  end
  return nil
end

local function new_session()
  jar = {}
  serial = serial + 1
  started = started + 1
  marker = string.format("bench-%s-%d-%d", tag, id, serial)
  local link = links[(id * 7919 + serial * 104729) % #links + 1]
  pending = { step = "open", method = "GET", path = link }
end

local function page_step(path)
  return "p" .. (path:match("[?&]p=(%d+)") or "0")
end

-- The POST body of an answering page: every question shown on it answered (radios and
-- checkboxes: one option each, taken in turn from session to session).
local function answers(body)
  local fields, options, order, text_done = {}, {}, {}, false
  for tag in body:gmatch("<input[^>]*>") do
    local kind = tag:match('type="([^"]*)"')
    local name = tag:match('name="([^"]*)"')
    local value = tag:match('value="([^"]*)"') or ""
    if name == "csrfmiddlewaretoken" then
      table.insert(fields, name .. "=" .. urlencode(value))
    elseif name and name:match("^q%d+$") then
      if kind == "radio" or kind == "checkbox" then
        if options[name] == nil then
          options[name] = {}
          table.insert(order, name)
        end
        table.insert(options[name], value)
      elseif kind == "number" and options[name] == nil then
        options[name] = { tag:match('min="([^"]*)"') or "1" }
        table.insert(order, name)
      elseif kind == "text" and not text_done then
        text_done = true
        table.insert(fields, name .. "=" .. marker)
      end
    end
  end
  for i, name in ipairs(order) do
    local values = options[name]
    table.insert(fields, name .. "=" .. urlencode(values[(serial + i) % #values + 1]))
  end
  if not text_done then
    local name = body:match('<textarea[^>]*name="(q%d+)"')
    if name then table.insert(fields, name .. "=" .. marker) end
  end
  return table.concat(fields, "&")
end

function request()
  if pending == nil then new_session() end
  local headers = { Cookie = cookie_header() }
  if pending.method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  sent_at = now_ms()
  return wrk.format(pending.method, pending.path, headers, pending.body)
end

if think_ms > 0 then
  function delay()
    return think_ms
  end
end

local function record(step, ms)
  table.insert(lat_steps, step)
  table.insert(lat_ms, ms)
end

local function fail(step, status)
  local key = step .. " " .. status
  statuses[key] = (statuses[key] or 0) + 1
  failed = failed + 1
  pending = nil -- a new respondent
end

function response(status, headers, body)
  local elapsed = now_ms() - sent_at
  keep_cookies(headers)
  local location = header(headers, "location")
  local step = pending.step
  if step == "open" then
    record("open", elapsed)
    if status ~= 302 or not location then return fail("open", status) end
    pending = { step = "get", method = "GET", path = location }
  elseif step == "get" then
    record("get " .. page_step(pending.path), elapsed)
    if status ~= 200 then return fail("get", status) end
    local action = body:match('<form method="post" action="([^"]*)"')
    if not action then return fail("get-no-form", status) end
    action = action:gsub("&amp;", "&")
    pending = { step = "post", method = "POST", path = action, body = answers(body) }
  else -- a page sent
    if status == 302 and location and location:find("thanks") then
      record("submit", elapsed)
      completed = completed + 1
      table.insert(thanked, marker)
      pending = nil
    elseif status == 302 and location then
      record("post " .. page_step(pending.path), elapsed)
      pending = { step = "get", method = "GET", path = location }
    else
      record("post " .. page_step(pending.path), elapsed)
      return fail("post", status)
    end
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then return 0 end
  local i = math.max(1, math.min(#sorted, math.floor(p / 100 * (#sorted - 1) + 0.5) + 1))
  return sorted[i]
end

function done(summary, latency, requests)
  local merged, codes = {}, {}
  local totals = { started = 0, completed = 0, failed = 0 }
  local out = os.getenv("WRK_MARKERS") and io.open(os.getenv("WRK_MARKERS"), "w")
  for _, thread in ipairs(threads) do
    local steps, ms = thread:get("lat_steps"), thread:get("lat_ms")
    for i, step in ipairs(steps) do
      merged[step] = merged[step] or {}
      table.insert(merged[step], ms[i])
    end
    for key, n in pairs(thread:get("statuses")) do codes[key] = (codes[key] or 0) + n end
    for key in pairs(totals) do totals[key] = totals[key] + thread:get(key) end
    if out then
      for _, m in ipairs(thread:get("thanked")) do out:write(m, "\n") end
    end
  end
  if out then out:close() end
  local steps = {}
  for step, list in pairs(merged) do
    table.sort(list)
    table.insert(steps, string.format('"%s": {"n": %d, "p50_ms": %.2f, "p95_ms": %.2f, "max_ms": %.2f}',
      step, #list, percentile(list, 50), percentile(list, 95), list[#list]))
  end
  local parts = {}
  for key, n in pairs(codes) do table.insert(parts, string.format('"%s": %d', key, n)) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "errors": %d, ' ..
    '"sessions_started": %d, "sessions_completed": %d, "sessions_failed": %d, ' ..
    '"steps": {%s}, "unexpected": {%s}}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    totals.started, totals.completed, totals.failed,
    table.concat(steps, ", "), table.concat(parts, ", ")))
end

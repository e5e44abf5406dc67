-- Sign with a unique email per request, and log every answer to a file per thread.
--
-- Run with as many threads as connections (wrk -t C -c C): each thread then has one
-- connection, so every response belongs to the request that thread sent last, and the
-- log says exactly which emails were accepted. Settings come from the environment
-- (done() runs in wrk's main state, which never sees init's arguments):
--   BENCH_PATH     the sign URL path          BENCH_CSRF    the form token
--   BENCH_COOKIE   the Cookie header          BENCH_FORM    form fields before &email=
--   BENCH_PREFIX   unique per run             BENCH_LOGDIR  where thread logs go
--   BENCH_SUMMARY  JSON summary written by done()
--   BENCH_DELAY_MS optional: a pause before each request (a steady load, not a flood)
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } bench_timeval;
  int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  email = ""
  prefix = os.getenv("BENCH_PREFIX")
  form = "csrfmiddlewaretoken=" .. os.getenv("BENCH_CSRF") .. "&" .. os.getenv("BENCH_FORM")
  wrk.method = "POST"
  wrk.path = os.getenv("BENCH_PATH")
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  log = io.open(os.getenv("BENCH_LOGDIR") .. "/thread-" .. id .. ".log", "w")
  log:setvbuf("line")
end

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause then
  function delay()
    return pause
  end
end

function request()
  counter = counter + 1
  email = prefix .. "-" .. id .. "-" .. counter .. "@bench.example.org"
  local body = form .. "&email=" .. prefix .. "-" .. id .. "-" .. counter .. "%40bench.example.org"
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  log:write(string.format("%.3f %d %s\n", now(), status, email))
end

function done(summary, latency, requests)
  local sent = {}
  for _, thread in ipairs(threads) do
    table.insert(sent, string.format('"%d": %d', thread:get("id"), thread:get("counter")))
  end
  local out = io.open(os.getenv("BENCH_SUMMARY"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "non_2xx_3xx": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "sent": {%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, table.concat(sent, ", ")))
  out:close()
end

-- wrk script for the server load benchmark (bench/server/run.sh).
-- One request shape per run, given through the environment:
--   BENCH_METHOD  GET | POST (default POST)
--   BENCH_PATH    e.g. /sdk/v1/sessions/authenticate
--   BENCH_AUTH    base64 of "public_token:<session token | public token>"
--   BENCH_ORIGIN  an authorized origin (default http://localhost:5173)
--   BENCH_BODY    the JSON body of a POST (default {})
-- At the end it prints one line: BENCH_JSON {...} with the throughput and
-- the latency distribution (wrk measures from the request's first byte
-- written to the response's last byte read, per connection, closed loop).

wrk.method = os.getenv("BENCH_METHOD") or "POST"
wrk.path = os.getenv("BENCH_PATH") or "/"
wrk.headers["Authorization"] = "Basic " .. (os.getenv("BENCH_AUTH") or "")
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN") or "http://localhost:5173"
wrk.headers["Content-Type"] = "application/json"
if wrk.method ~= "GET" then
  wrk.body = os.getenv("BENCH_BODY") or "{}"
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, ' ..
    '"latency_ms": {"mean": %.3f, "p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f}, ' ..
    '"errors": {"non_2xx_3xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end

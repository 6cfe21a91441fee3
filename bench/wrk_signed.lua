-- wrk script: replay pre-signed requests, one line each, so every request is unique
-- and carries a fresh, valid signature (wrk's LuaJIT has no HMAC to sign on the fly).
-- Line format (tab-separated): header name, header value, ..., body.
-- Usage: wrk ... -s bench/wrk_signed.lua -- <requests file> <threads> <path>
-- Thread k takes lines k, k+threads, ...; a thread that runs out starts again from
-- its first line and counts "wrapped" (those repeats are duplicates, not new events).
local threads, next_id = {}, 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[2])
  reqs, idx, ok, bad, wrapped = {}, 0, 0, 0, 0
  statuses = {}
  local line_no = 0
  for line in io.lines(args[1]) do
    if line_no % nthreads == id then
      local fields = {}
      for f in string.gmatch(line, "[^\t]+") do table.insert(fields, f) end
      local headers = {}
      for i = 1, #fields - 1, 2 do headers[fields[i]] = fields[i + 1] end
      table.insert(reqs, wrk.format("POST", args[3], headers, fields[#fields]))
    end
    line_no = line_no + 1
  end
end

function request()
  idx = idx + 1
  if idx > #reqs then idx, wrapped = 1, wrapped + 1 end
  return reqs[idx]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local t_ok, t_bad, t_wrapped, sent = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_bad = t_bad + thread:get("bad")
    t_wrapped = t_wrapped + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"ok":%d,"bad":%d,"wrapped":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, t_ok, t_bad, t_wrapped,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end

"""Server-side scripts of the shared site limits (``shared_site``).

Every script reads the clock with Redis's ``TIME``, so workers on machines whose clocks
disagree still share one clock per site. Waits come back in milliseconds.
"""

from __future__ import annotations

__all__ = ["GATE", "HOLD", "RECORD", "RELEASE", "site_keys"]

# KEYS: 1 hold, 2 breaker hash, 3 slots zset, 4 rate (theoretical arrival time, ms),
#       5 concurrency limit set for the whole run (an alert's action), if any
# ARGV: 1 token, 2 max concurrency, 3 slot ttl ms, 4 rate interval ms (0: none),
#       5 half-open re-check ms, 6 key ttl ms
# Returns {reason, wait_ms, transition}: reason 0 taken, 1 retry_after, 2 breaker,
# 3 concurrency, 4 rate_limit; transition '' or 'half_open' (this call moved the breaker).
GATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[6])
local hold = tonumber(redis.call('GET', KEYS[1]) or '0')
if hold > now then return {1, hold - now, ''} end
local moved = ''
local probe = false
local state = redis.call('HGET', KEYS[2], 'state') or 'closed'
if state == 'open' then
  local untl = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
  if untl > now then return {2, untl - now, ''} end
  state = 'half_open'
  redis.call('HSET', KEYS[2], 'state', 'half_open', 'probe', 0)
  redis.call('PEXPIRE', KEYS[2], ttl)
  moved = 'half_open'
end
if state == 'half_open' then
  local out = tonumber(redis.call('HGET', KEYS[2], 'probe') or '0')
  if out > now then return {2, tonumber(ARGV[5]), moved} end
  probe = true
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local limit = tonumber(redis.call('GET', KEYS[5]) or ARGV[2])
if redis.call('ZCARD', KEYS[3]) >= limit then return {3, 0, moved} end
local interval = tonumber(ARGV[4])
if interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[4]) or '0')
  if tat > now then return {4, tat - now, moved} end
  if tat < now then tat = now end
  redis.call('SET', KEYS[4], tat + interval, 'PX', ttl)
end
if probe then
  redis.call('HSET', KEYS[2], 'probe', now + tonumber(ARGV[3]))
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[3], ttl)
return {0, 0, moved}
"""

# KEYS: 1 slots zset; ARGV: 1 token
RELEASE = "return redis.call('ZREM', KEYS[1], ARGV[1])"

# KEYS: 1 hold; ARGV: 1 hold ms, 2 key ttl ms
HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < untl then redis.call('SET', KEYS[1], untl, 'PX', tonumber(ARGV[2])) end
return untl
"""

# KEYS: 1 breaker hash; ARGV: 1 kind (success, failure, abandoned, force),
#       2 threshold, 3 cooldown ms (force: the seconds to stay open, in ms), 4 key ttl ms
# Returns {old state, new state, failures}.
RECORD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local kind = ARGV[1]
local new = state
if kind == 'success' then
  failures = 0
  if state == 'half_open' then new = 'closed' end
  redis.call('HSET', KEYS[1], 'failures', 0, 'state', new, 'probe', 0)
elseif kind == 'failure' then
  failures = failures + 1
  if state == 'half_open' or (state == 'closed' and failures >= tonumber(ARGV[2])) then
    new = 'open'
    redis.call('HSET', KEYS[1], 'until', now + tonumber(ARGV[3]))
  end
  redis.call('HSET', KEYS[1], 'failures', failures, 'state', new, 'probe', 0)
elseif kind == 'force' then
  new = 'open'
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + tonumber(ARGV[3]), 'probe', 0)
elseif state == 'half_open' then
  redis.call('HSET', KEYS[1], 'probe', 0)
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return {state, new, failures}
"""


def site_keys(prefix: str) -> list[str]:
    """The keys of one site's shared limits, in ``GATE``'s order (``prefix``: the
    site's, ``QueueKeys.site``)."""
    return [f"{prefix}:{name}" for name in ("hold", "breaker", "slots", "rate", "limit")]

"""Key names and server-side scripts of the Redis Streams bus (bus/redis_streams.py).

Every key starts with the installation's prefix (``redis_prefix``), so several
installations, or tests, can share one Redis:

* ``{prefix}:run:{run_id}``: the run's stream. One entry per stored batch: id
  ``{last seq}-0``, field ``f`` its first seq, ``e`` its events as a JSON array. Redis
  refuses an id not above the stream's last one, which makes a second delivery a no-op
  and lets a reader resume by seq: ``XRANGE (seq-0 +`` starts with the entry that holds
  ``seq + 1``.
* ``{prefix}:seq:{run_id}``: the highest seq any process reserved for the run (ingest).
* ``{prefix}:lifecycle``: run, phase and breaker events of every run (automatic ids).
* ``{prefix}:wake:{token}``: one process's wake-up stream, written when its reader must
  start reading another run's stream (its blocked ``XREAD`` returns at once).
"""

from __future__ import annotations

__all__ = ["DELIVER", "RESERVE", "Keys"]


class Keys:
    """The keys of one installation (``prefix``)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lifecycle = f"{prefix}:lifecycle"

    def run(self, run_id: str) -> str:
        """The stream of ``run_id``'s events."""
        return f"{self.prefix}:run:{run_id}"

    def counter(self, run_id: str) -> str:
        """The highest seq reserved in ``run_id``."""
        return f"{self.prefix}:seq:{run_id}"

    def reservation(self, run_id: str, key: str) -> str:
        """The block of seqs reserved for one batch of ``run_id`` (kept ten minutes)."""
        return f"{self.prefix}:res:{run_id}:{key}"

    def wake(self, token: str) -> str:
        """The wake-up stream of the process ``token``."""
        return f"{self.prefix}:wake:{token}"

    def run_id(self, key: str) -> str:
        """The run id of a run stream's key."""
        return key[len(self.prefix) + 5 :]


RESERVE = """
-- KEYS[1] counter, KEYS[2] run stream, KEYS[3] the batch's reservation; ARGV[1] floor
-- (seqs known given), ARGV[2] count, ARGV[3] ttl, ARGV[4] '1': when the counter is
-- missing, reserve nothing and return -1 (the caller finds a floor in the store and asks
-- again with '0'); ARGV[5] '1': KEYS[3] names the batch (see EventBus.reserve).
-- Returns the last seq of the reserved block.
if ARGV[5] == '1' then
  local done = redis.call('GET', KEYS[3])
  if done then return tonumber(done) end
end
local held = redis.call('GET', KEYS[1])
if not held and ARGV[4] == '1' then return -1 end
local current = tonumber(held or '0')
local floor = tonumber(ARGV[1])
if current < floor then current = floor end
-- A counter lost with its keys' memory must not hand out seqs already on the stream.
local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if top[1] then
  local shown = tonumber(string.match(top[1][1], '^(%d+)'))
  if current < shown then current = shown end
end
local last = current + tonumber(ARGV[2])
redis.call('SET', KEYS[1], last, 'EX', ARGV[3])
if ARGV[5] == '1' then redis.call('SET', KEYS[3], last, 'EX', 600) end
return last
"""
"""Reserve a block of seqs atomically (``EVALSHA``; one round trip per ingested batch)."""

DELIVER = """
-- KEYS[1] lifecycle stream, KEYS[2..] run streams; ARGV[1] horizon (seqs kept per run),
-- ARGV[2] ttl; then per run stream five arguments: the first and last seq of its events,
-- how many there are, their JSON array, and its system events' JSON, one a line (JSON has
-- no raw newline). Returns how many events were refused.
local horizon, ttl = tonumber(ARGV[1]), ARGV[2]
local refused = 0
for i = 2, #KEYS do
  local at = 3 + (i - 2) * 5
  local last = tonumber(ARGV[at + 1])
  local oldest = last - horizon
  if oldest < 0 then oldest = 0 end
  -- Exact MINID: entries hold batches, so "~" (whole nodes of 100 entries) would keep
  -- far more than the horizon.
  local added = redis.pcall(
    'XADD', KEYS[i], 'MINID', oldest, last .. '-0', 'f', ARGV[at], 'e', ARGV[at + 3])
  if type(added) == 'table' and added.err then
    -- Not above the stream's last id: shown already (a retried batch), or a later seq of
    -- the run was shown first by another process (readers see a gap and read the store).
    refused = refused + tonumber(ARGV[at + 2])
  else
    redis.call('EXPIRE', KEYS[i], ttl)
    for data in string.gmatch(ARGV[at + 4], '[^\\n]+') do
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', horizon, '*', 'e', data)
    end
  end
end
return refused
"""
"""Append each run's stored events to its stream as one entry (and system events to the
lifecycle stream, one entry each) in one atomic step, so an event reaches the lifecycle
stream exactly when it is shown."""

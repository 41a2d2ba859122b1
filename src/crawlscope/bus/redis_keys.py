"""Key names and server-side scripts of the Redis Streams bus (bus/redis_streams.py).

Every key starts with the installation's prefix (``redis_prefix``), so several
installations, or tests, can share one Redis:

* ``{prefix}:run:{run_id}``: the run's stream; entry id ``{seq}-0``, field ``e`` the event
  as JSON. Redis refuses an id not above the stream's last one, which makes a second
  delivery of an event a no-op and lets a reader resume by seq (``XRANGE (seq-0 +``).
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

    def wake(self, token: str) -> str:
        """The wake-up stream of the process ``token``."""
        return f"{self.prefix}:wake:{token}"

    def run_id(self, key: str) -> str:
        """The run id of a run stream's key."""
        return key[len(self.prefix) + 5 :]


RESERVE = """
-- KEYS[1] counter, KEYS[2] run stream; ARGV[1] floor (seqs known given), ARGV[2] count,
-- ARGV[3] ttl. Returns the last seq of the reserved block.
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
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
return last
"""
"""Reserve a block of seqs atomically (``EVALSHA``; one round trip per ingested batch)."""

DELIVER = """
-- KEYS[1] lifecycle stream, KEYS[2..] run streams; ARGV[1] maxlen, ARGV[2] ttl, ARGV[i+1]
-- the events of KEYS[i], one a line: "<seq> <1 if a system event, else 0> <JSON>" (JSON
-- has no raw newline). One argument per run, not three per event: packing arguments is
-- what costs the client most. Returns how many events were refused.
local maxlen, ttl = ARGV[1], ARGV[2]
local refused = 0
for i = 2, #KEYS do
  local key, added = KEYS[i], false
  for seq, system, data in string.gmatch(ARGV[i + 1], '(%d+) (%d) ([^\\n]+)') do
    local ok = redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, seq .. '-0', 'e', data)
    if type(ok) == 'table' and ok.err then
      -- Not above the stream's last id: shown already (a retried batch), or a later seq
      -- of the run was shown first by another process (readers see a gap, read the store).
      refused = refused + 1
    else
      added = true
      if system == '1' then
        redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'e', data)
      end
    end
  end
  if added then redis.call('EXPIRE', key, ttl) end
end
return refused
"""
"""Append stored events to their runs' streams (and system events to the lifecycle one)
in one atomic step, so an event reaches the lifecycle stream exactly when it is shown."""

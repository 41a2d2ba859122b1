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
* ``{prefix}:owner:{run_id}``: the token of the process that aggregates the run (a lease,
  ``PX``; bus/redis_owners.py).
* ``{prefix}:frame:{run_id}``: the run's frame as its owner published it last (JSON,
  expires with the lease).
* ``{prefix}:frames``: frame notices, one entry per publishing round of an owner: field
  ``o`` its token, ``n`` a JSON array of ``[run_id, version, status]``, one per frame it
  published in that round (``MAXLEN ~``). Every process's reader follows it, so each
  knows the live remote runs owned elsewhere (bus/frame_notices.py).
* ``{prefix}:heard:{run_id}``: when a process that does not own the run last accepted a
  request of its runner (Unix time): the owner does not sweep a run heard of elsewhere.
* ``{prefix}:wake:{token}``: one process's wake-up stream, written when its reader must
  start reading another run's stream (its blocked ``XREAD`` returns at once).
"""

from __future__ import annotations

__all__ = ["CLAIM", "DELIVER", "PUBLISH_FRAMES", "RELEASE", "RESERVE", "Keys"]


class Keys:
    """The keys of one installation (``prefix``)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lifecycle = f"{prefix}:lifecycle"
        self.frames = f"{prefix}:frames"

    def run(self, run_id: str) -> str:
        """The stream of ``run_id``'s events."""
        return f"{self.prefix}:run:{run_id}"

    def counter(self, run_id: str) -> str:
        """The highest seq reserved in ``run_id``."""
        return f"{self.prefix}:seq:{run_id}"

    def owner(self, run_id: str) -> str:
        """The lease of the process that aggregates ``run_id``."""
        return f"{self.prefix}:owner:{run_id}"

    def frame(self, run_id: str) -> str:
        """The frame ``run_id``'s owner published last."""
        return f"{self.prefix}:frame:{run_id}"

    def heard(self, run_id: str) -> str:
        """When ``run_id``'s runner was last heard of by a process that does not own it."""
        return f"{self.prefix}:heard:{run_id}"

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

CLAIM = """
-- KEYS[1] the run's lease; ARGV[1] this process's token, ARGV[2] lease ms.
-- Returns 1 when the lease is (now) this process's, 0 when another process holds it.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
"""Take a run's lease unless a live process holds it (``SET NX PX``, or renew our own)."""

PUBLISH_FRAMES = """
-- KEYS[1] the frame notices stream, then per run its lease and its frame key; ARGV[1]
-- token, ARGV[2] lease ms, ARGV[3] the notices stream's MAXLEN, then per run its frame's
-- JSON ('' when unchanged: only renewed) and its notice's JSON. Returns the (1-based)
-- indexes of the runs whose lease another process holds: nothing is written for them. A
-- lease that is gone (it ran out while Redis was away, or Redis lost its keys) and that
-- nobody took is taken again: the aggregate here is still whole. The frames written are
-- announced in one notices entry, only if one was written.
local lost = {}
local notices = {}
for i = 1, (#KEYS - 1) / 2 do
  local lease, frame = KEYS[2 * i], KEYS[2 * i + 1]
  local holder = redis.call('GET', lease)
  if holder == ARGV[1] or not holder then
    redis.call('SET', lease, ARGV[1], 'PX', ARGV[2])
    local body = ARGV[2 + 2 * i]
    if body ~= '' then
      redis.call('SET', frame, body, 'PX', ARGV[2])
      notices[#notices + 1] = ARGV[3 + 2 * i]
    else
      redis.call('PEXPIRE', frame, ARGV[2])
    end
  else
    lost[#lost + 1] = i
  end
end
if #notices > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*',
    'o', ARGV[1], 'n', '[' .. table.concat(notices, ',') .. ']')
end
return lost
"""
"""Renew the owner's leases and publish its changed frames, only where it still owns: a
process that lost a lease (it stalled past it) can never overwrite its successor's frame;
and announce them on the frame notices stream in the same step, so a notice is never
read before its frame is there."""

RELEASE = """
-- KEYS[1] the run's lease, KEYS[2] its frame; ARGV[1] token.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""
"""Give a lease (and the frame published under it) up, if still ours."""

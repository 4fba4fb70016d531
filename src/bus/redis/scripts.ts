// The Lua scripts of the Redis bus: each runs as one step in Redis, so that no other node sees half of it.
import { script } from './link.ts';

/** Users of a stopped node taken per SWEEP call (one Lua call blocks Redis while it runs). */
export const SWEEP_BATCH = 500;
// Deliveries to users on other nodes, shared by DELIVER and LEAVE: a route counts while its node's
// alive key exists (looked up once per node), and the events for one node go as one message
// ({kind: 'events'}, in the order posted) on that node's channel.
const DELIVERY_FUNCTIONS = `
local alive, outgoing, nodes = {}, {}, {}
-- The route {node, session} of KEYS-style route key, if its node is alive; else nil.
local function live_route(key, alive_prefix)
  local route = redis.call('hmget', key, 'node', 'session')
  local node = route[1]
  if not node then return nil end
  if alive[node] == nil then alive[node] = redis.call('exists', alive_prefix .. node) == 1 end
  if alive[node] then return route end
  return nil
end
local function post(node, handle, event)
  if not outgoing[node] then
    outgoing[node] = {}
    table.insert(nodes, node)
  end
  table.insert(outgoing[node], '{"handle":' .. cjson.encode(handle) .. ',"event":' .. event .. '}')
end
local function send_posted(channel_prefix)
  for _, node in ipairs(nodes) do
    redis.call('publish', channel_prefix .. node, '{"kind":"events","events":[' .. table.concat(outgoing[node], ',') .. ']}')
  end
end
`;

// Route lookups and deliveries in one step (KEYS route keys; ARGV: the alive-key prefix, the
// node-channel prefix, the route-key prefix, the number n of distinct events, those n events as
// JSON, then per key the number of its event, 0 for a lookup only). Each user on a live node gets
// its event. Returns per key its live route {node, session} for a lookup, else false. One call
// serves a whole fan-out, and the lookups of requests asked for meanwhile.
export const DELIVER = script(`${DELIVERY_FUNCTIONS}
local alive_prefix, channel_prefix, route_prefix, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local routes = {}
for i, key in ipairs(KEYS) do
  local route = live_route(key, alive_prefix)
  local event = tonumber(ARGV[4 + n + i])
  routes[i] = false
  if route and event == 0 then
    routes[i] = route
  elseif route then
    post(route[1], string.sub(key, #route_prefix + 1), ARGV[4 + event])
  end
end
send_posted(channel_prefix)
return routes`);

// The next seq of a presence record. A record that does not exist, or no longer does (it was
// dropped, or Redis lost its data), starts its seq at Redis's clock in milliseconds: later than
// every seq it had before, so that sessions which saw those do not take the new events for stale
// ones (a user changes status far less often than once a millisecond). So an offline record is
// needed only until the clock has passed its seq: it goes then, and Redis holds presence records
// for the users online, not for every account that ever signed in.
const PRESENCE_FUNCTIONS = `
local function clock_ms()
  local now = redis.call('time')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end
local function next_seq(key)
  if redis.call('hexists', key, 'seq') == 0 then
    local seq = clock_ms()
    redis.call('hset', key, 'seq', seq)
    return seq
  end
  return redis.call('hincrby', key, 'seq', 1)
end
local function offline(key)
  local seq = next_seq(key)
  local ahead = seq - clock_ms()
  if ahead < 0 then
    redis.call('del', key)
  else
    redis.call('hdel', key, 'status', 'name')
    redis.call('pexpire', key, ahead + 1)
  end
  return seq
end
-- A user's presence record (status '' for offline or hidden); returns its new seq.
local function set_presence(key, status, name)
  if status == '' then return offline(key) end
  local seq = next_seq(key)
  redis.call('hset', key, 'status', status, 'name', name)
  redis.call('persist', key)
  return seq
end
-- Forgets a user of a node that is gone (KEYS of the caller's node): its route, unless another
-- node holds the user now, and its presence. Appends handle and new seq to gone.
local function forget(prefix, node, handle, gone)
  local route = prefix .. 'route:' .. handle
  local holder = redis.call('hget', route, 'node')
  if holder and holder ~= node then return end
  redis.call('del', route)
  table.insert(gone, handle)
  table.insert(gone, offline(prefix .. 'presence:' .. handle))
end
`;

// A presence change (KEYS[1] record; ARGV status and name, '' for none).
export const SET_PRESENCE = script(`${PRESENCE_FUNCTIONS}
return set_presence(KEYS[1], ARGV[1], ARGV[2])`);

// The records of KEYS[2..] ({seq, status, name} of each, as GET_PRESENCE), then SET_PRESENCE of
// KEYS[1] with ARGV: {its new seq, the records…}.
export const GET_AND_SET_PRESENCE = script(`${PRESENCE_FUNCTIONS}
local reply = {0}
for i = 2, #KEYS do
  local record = redis.call('hmget', KEYS[i], 'seq', 'status', 'name')
  reply[3 * i - 4], reply[3 * i - 3], reply[3 * i - 2] = record[1], record[2], record[3]
end
reply[1] = set_presence(KEYS[1], ARGV[1], ARGV[2])
return reply`);

// A sign-in's route, written in one step with what it replaces (KEYS: the route, this node's online
// set[, the web session's key, this node's web-session set]; ARGV: this node, the session, the
// handle, the alive-key prefix[, the web session's record, its MSPAuth]). Returns the replaced
// route {node, session} when it was on another live node (that session is to be kicked), else nil.
export const ATTACH = script(`
local old = redis.call('hmget', KEYS[1], 'node', 'session')
redis.call('hset', KEYS[1], 'node', ARGV[1], 'session', ARGV[2])
redis.call('sadd', KEYS[2], ARGV[3])
if KEYS[3] then
  redis.call('set', KEYS[3], ARGV[5])
  redis.call('sadd', KEYS[4], ARGV[6])
end
if old[1] and old[1] ~= ARGV[1] and redis.call('exists', ARGV[4] .. old[1]) == 1 then return old end
return false`);

// A session's end (Bus.leave, Routes.detach) in one step. KEYS: its route, this node's online set,
// its presence record[, the web session's key, this node's web-session set], then the routes of
// the watchers to tell that are not on this node. ARGV: the session, the handle, '1' if the
// session was this node's current one, '1' to record the user offline and tell the watchers, the
// alive-key prefix, the node-channel prefix, the route-key prefix, '1' with a web session[, its
// MSPAuth]. The watchers on live nodes get the offline event with the new seq; then the route
// goes if it is still this session's, the user leaves this node's online set if the session was
// its current one, and the web session goes. Returns the seq, or 0 without telling.
export const LEAVE = script(`${PRESENCE_FUNCTIONS}${DELIVERY_FUNCTIONS}
local session, handle, current, tell = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local alive_prefix, channel_prefix, route_prefix, web = ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1'
local seq = 0
if tell then
  seq = offline(KEYS[3])
  local event = '{"kind":"presence","contact":' .. cjson.encode(handle) .. ',"seq":' .. string.format('%d', seq) .. ',"shown":null}'
  for i = (web and 6 or 4), #KEYS do
    local route = live_route(KEYS[i], alive_prefix)
    if route then post(route[1], string.sub(KEYS[i], #route_prefix + 1), event) end
  end
  send_posted(channel_prefix)
end
if redis.call('hget', KEYS[1], 'session') == session then redis.call('del', KEYS[1]) end
if current == '1' then redis.call('srem', KEYS[2], handle) end
if web then
  redis.call('del', KEYS[4])
  redis.call('srem', KEYS[5], ARGV[9])
end
return seq`);

// The heartbeat (KEYS[1] alive key, KEYS[2] node directory; ARGV lifetime, node, info). Returns
// whether the alive key still existed: 0 means that other nodes may have swept this one.
export const BEAT = script(`
local existed = redis.call('exists', KEYS[1])
redis.call('set', KEYS[1], '1', 'PX', ARGV[1])
redis.call('hset', KEYS[2], ARGV[2], ARGV[3])
return existed`);

// Sweeps one batch of a node that is gone (KEYS: its alive key, the sweep claim, its online set,
// its web-session set, the node directory; ARGV: prefix, that node, this node, batch, claim
// lifetime). Nothing if the node is alive again or another node holds
// the claim; else {done, {handle, seq, …}}: the users forgotten now, for their watchers. SPOP
// hands each user to one caller only; the claim keeps the other nodes out while this one sweeps.
export const SWEEP = script(`${PRESENCE_FUNCTIONS}
local prefix, dead, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('exists', KEYS[1]) == 1 then return false end
local holder = redis.call('get', KEYS[2])
if holder and holder ~= me then return false end
redis.call('set', KEYS[2], me, 'PX', ARGV[5])
local gone = {}
for _, handle in ipairs(redis.call('spop', KEYS[3], ARGV[4])) do forget(prefix, dead, handle, gone) end
for _, auth in ipairs(redis.call('spop', KEYS[4], ARGV[4])) do redis.call('del', prefix .. 'web:' .. auth) end
if redis.call('exists', KEYS[3]) == 1 or redis.call('exists', KEYS[4]) == 1 then return {0, gone} end
redis.call('hdel', KEYS[5], dead)
redis.call('del', KEYS[2])
return {1, gone}`);

// What Redis holds of this node, made to match its sessions (KEYS: its online set, its web-session
// set; ARGV: prefix, this node, n, n pairs of handle and session id, then
// the MSPAuth of each web session). A user that another node holds now is superseded (ended here
// without touching its presence); every other session gets its route back; users and web
// sessions Redis still has for this node but the node does not are forgotten. Returns
// {superseded handles, {handle, seq, …} of the forgotten users}.
export const RECONCILE = script(`${PRESENCE_FUNCTIONS}
local prefix, me, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local mine, superseded, gone, auths = {}, {}, {}, {}
for i = 4, 3 + 2 * n, 2 do
  local handle, session = ARGV[i], ARGV[i + 1]
  local route = prefix .. 'route:' .. handle
  local holder = redis.call('hget', route, 'node')
  if holder and holder ~= me then
    redis.call('srem', KEYS[1], handle)
    table.insert(superseded, handle)
  else
    mine[handle] = true
    redis.call('hset', route, 'node', me, 'session', session)
    redis.call('sadd', KEYS[1], handle)
  end
end
for _, handle in ipairs(redis.call('smembers', KEYS[1])) do
  if not mine[handle] then
    redis.call('srem', KEYS[1], handle)
    forget(prefix, me, handle, gone)
  end
end
for i = 4 + 2 * n, #ARGV do auths[ARGV[i]] = true end
for _, auth in ipairs(redis.call('smembers', KEYS[2])) do
  if not auths[auth] then
    redis.call('srem', KEYS[2], auth)
    redis.call('del', prefix .. 'web:' .. auth)
  end
end
return {superseded, gone}`);

// The presence records of several users (KEYS records): seq, status and name of each, flat and in
// order, false where there is none. One call serves the first CHG's whole ILN batch.
export const GET_PRESENCE = script(`
local records = {}
for i, key in ipairs(KEYS) do
  local record = redis.call('hmget', key, 'seq', 'status', 'name')
  records[3 * i - 2], records[3 * i - 1], records[3 * i] = record[1], record[2], record[3]
end
return records`);

// The alive nodes of the directory (KEYS[1]; ARGV[1] alive-key prefix): {node, info, …}.
export const ALIVE_NODES = script(`
local alive = {}
local entries = redis.call('hgetall', KEYS[1])
for i = 1, #entries, 2 do
  if redis.call('exists', ARGV[1] .. entries[i]) == 1 then
    table.insert(alive, entries[i])
    table.insert(alive, entries[i + 1])
  end
end
return alive`);

// One event of a rate (KEYS[1]; ARGV: time, event, start of the window, window length): what
// left the window goes, and the key lives one window after its last event.
export const RATE_ADD = script(`
redis.call('zremrangebyscore', KEYS[1], 0, ARGV[3])
redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[4])
return 0`);

// Counts of several rates (KEYS; ARGV the lower bound of each, '(' + time for an open one).
export const RATE_COUNTS = script(`
local counts = {}
for i, key in ipairs(KEYS) do counts[i] = redis.call('zcount', key, ARGV[i], '+inf') end
return counts`);

// Events of a tally (KEYS[1], a hash of bucket → count; ARGV: their bucket, the oldest bucket
// still counted, the key's lifetime in ms, how many: 1 when absent, as a node of before sends it):
// a new bucket drops those older than the window's and renews the key's lifetime, which outlasts
// the window after the bucket's first events.
export const TALLY_ADD = script(`
local added = tonumber(ARGV[4] or '1')
if redis.call('hincrby', KEYS[1], ARGV[1], added) == added then
  local oldest = tonumber(ARGV[2])
  for _, bucket in ipairs(redis.call('hkeys', KEYS[1])) do
    if tonumber(bucket) < oldest then redis.call('hdel', KEYS[1], bucket) end
  end
  redis.call('pexpire', KEYS[1], ARGV[3])
end
return 0`);

// The counts of tallies (KEYS), each the sum of its buckets from ARGV[1] on.
export const TALLY_COUNTS = script(`
local oldest, counts = tonumber(ARGV[1]), {}
for i, key in ipairs(KEYS) do
  local fields, total = redis.call('hgetall', key), 0
  for j = 1, #fields, 2 do
    if tonumber(fields[j]) >= oldest then total = total + tonumber(fields[j + 1]) end
  end
  counts[i] = total
end
return counts`);

// A web session (KEYS: its key, its node's web-session set; ARGV: its record, its MSPAuth), or
// with no record its removal.
export const WEB_SESSION = script(`
if ARGV[1] == '' then
  redis.call('del', KEYS[1])
  redis.call('srem', KEYS[2], ARGV[2])
else
  redis.call('set', KEYS[1], ARGV[1])
  redis.call('sadd', KEYS[2], ARGV[2])
end
return 0`);

// A web session's record while its node is alive (KEYS[1] its key; ARGV[1] alive-key prefix), else nil.
export const LIVE_WEB_SESSION = script(`
local value = redis.call('get', KEYS[1])
if not value then return false end
local node = cjson.decode(value).node
if redis.call('exists', ARGV[1] .. node) == 1 then return value end
return false`);

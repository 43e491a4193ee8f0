-- bench/sign.lua - wrk script: POST /keys/<pkh> with consensus-shaped
-- attestations, as a baker sends them.
--
-- Every request is a fresh attestation (magic 0x13): tag 21 (tz1-tz3,
-- 80 bytes: slot, level, round, payload hash) or tag 41 (tz4 "bls mode",
-- 78 bytes: level, round, payload hash), chosen by BENCH_TAG (default 21).
--
-- High watermarks: every request must be strictly above the last one signed
-- on its chain, or the signer refuses it (409). Each wrk thread rotates over
-- K chain ids of its own (fixed per thread, so warm-up and measurement share
-- them), and each chain moves forward at every request. K is a compromise:
-- the signer's watermark store holds one record per chain and rewrites the
-- whole file when it persists, so many chains would bench a store no baker
-- has (a baker has one chain), while with several connections a request can
-- be overtaken by a later one on its chain (its answer is then a 409), which
-- needs a stall of about K/connections requests. With K = 32 that is rare
-- (a few per 100 000); bench/run counts only 2xx answers as signatures and
-- reports the others.
--
-- BENCH_ADVANCE says how a chain moves forward:
--   round (default)  same level, round + 1: the steady state of a baker, where
--                    a level lasts seconds and its watermark is already
--                    reserved on disk;
--   level            level + 1 at every request, round 0: each request needs a
--                    new level reserved (the worst case for the watermark store).
-- Both start from the clock (10 000 a second), so a later run on the same
-- signer is always above an earlier one.
--
-- done() prints one machine-readable line:
--   wrk_result requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N
--              max_us=N non2xx=N errors=N

local K = 32
local LEVEL = 5000000

local next_id = 1
function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
end

local function hex(nbytes)
	local t = {}
	for i = 1, nbytes do t[i] = string.format("%02x", math.random(0, 255)) end
	return table.concat(t)
end

local function be32(n)
	return string.format("%08x", n)
end

function init(args)
	tid = tid or 1
	math.randomseed(os.time() * 1000 + tid * 7919)
	tag = tonumber(os.getenv("BENCH_TAG") or "21")
	advance_level = (os.getenv("BENCH_ADVANCE") or "round") == "level"
	local start = (os.time() % 100000) * 10000
	levels = {}
	rounds = {}
	chains = {}
	for k = 1, K do
		if advance_level then
			levels[k], rounds[k] = LEVEL + start, 0
		else
			levels[k], rounds[k] = LEVEL, start
		end
		-- chain id: "b3" (bench), the thread, the place in the rotation
		chains[k] = string.format("b3%02x%04x", tid % 256, k)
	end
	branch = hex(32)
	payload_hash = hex(32)
	slot = string.format("%04x", math.random(0, 7000))
	tag_hex = string.format("%02x", tag)
	headers = { ["Content-Type"] = "application/json" }
	i = 0
end

function request()
	i = i + 1
	local k = (i % K) + 1
	if advance_level then
		levels[k] = levels[k] + 1
	else
		rounds[k] = rounds[k] + 1
	end
	local level = be32(levels[k])
	local round = be32(rounds[k])
	local body
	if tag == 40 or tag == 41 then
		body = '"13' .. chains[k] .. branch .. tag_hex .. level .. round .. payload_hash .. '"'
	else
		body = '"13' .. chains[k] .. branch .. tag_hex .. slot .. level .. round .. payload_hash .. '"'
	end
	return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"wrk_result requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d errors=%d\n",
		summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
		e.status, e.connect + e.read + e.write + e.timeout))
end

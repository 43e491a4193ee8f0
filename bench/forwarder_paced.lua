-- bench/forwarder_paced.lua - bench/sign.lua's requests, paced: each
-- connection waits 1 ms (BENCH_DELAY_MS) after each answer before its next
-- request, so the machine is not saturated and the latency figures show the
-- path, not a queue. Used by bench/forwarder_bench.
dofile("bench/sign.lua")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "1")
function delay()
	return pause
end
